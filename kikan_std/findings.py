"""Findings: what the checks emit. Findings are values, never exceptions.

A :class:`Finding` carries a stable ``code`` from the catalogue, a location and template
parameters. Its severity and message come from the catalogue when a report is built, so the hot
path only creates small slotted objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Finding:
    """One finding.

    Attributes:
        code: Stable catalogue code, e.g. ``"FLD001"``.
        file: Input file name as given by the user ("" when not file-bound).
        record: 1-based data record number (the header is not a record), or None.
        line: 1-based physical line where the record starts, or None.
        item: Official Japanese item name, or None.
        item_id: 8-digit データ項目ID, or None.
        value: The offending raw value (masked later when the item is personal), or None.
        params: Extra template parameters for the message.
        keys: Business keys of the record (e.g. {"宛名番号": "..."}) so people can find it.
        related: Other (record, line) pairs involved in a cross-record finding.
        pointer: JSON pointer or XPath for non-CSV inputs.
        offset: Byte offset in the input, where known.
        severity: Overrides the catalogue severity (e.g. a configurable rule), or None.
    """

    code: str
    file: str = ""
    record: int | None = None
    line: int | None = None
    item: str | None = None
    item_id: str | None = None
    value: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    related: list[tuple[int | None, int | None]] = field(default_factory=list)
    pointer: str | None = None
    offset: int | None = None
    severity: str | None = None
    personal: bool = False
