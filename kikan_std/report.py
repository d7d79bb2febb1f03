"""The report: the one result of a run, serialised by every writer.

``Report`` is a Pydantic model, so its JSON form and JSON Schema come from one definition
(``schemas/report.schema.json`` is generated from it). Personal values are masked when the report
is built unless the caller asked to show them; the report records which.
"""

from __future__ import annotations

import hmac
import re
from hashlib import sha256
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kikan_std.catalogue import Lang, entry
from kikan_std.findings import Finding

REPORT_VERSION = "1.0"

Severity = Literal["error", "warning", "info"]


class FindingOut(BaseModel):
    """One finding as it appears in the report."""

    model_config = ConfigDict(extra="forbid")

    code: str
    severity: Severity
    file: str
    record: int | None = Field(description="1-based data record number; the header is not a record")
    line: int | None = Field(description="1-based physical line where the record starts")
    item: str | None = Field(description="official Japanese item name")
    item_id: str | None
    message: str
    value: str | None = Field(description="offending value; masked for personal items unless shown")
    value_masked: bool = False
    keys: dict[str, str] = Field(default_factory=dict, description="business keys of the record")
    related: list[dict[str, int | None]] = Field(default_factory=list, description="other records involved")
    pointer: str | None = Field(default=None, description="JSON pointer (JSON input) or XPath (XML input)")
    offset: int | None = Field(default=None, description="byte offset in the input, where known")
    api_error: str | None = Field(
        default=None, description="the 住登外者宛名番号付番API error code (E0001–E0004) this finding corresponds to"
    )
    params: dict[str, Any] = Field(default_factory=dict)


class SpecRef(BaseModel):
    """Which spec the data was checked against."""

    id: str
    edition: str
    title: str
    provenance: str


class InputInfo(BaseModel):
    """One input file."""

    file: str
    format: str = Field(default="csv", description="input format: csv, json, xml or fixed")
    group: str | None
    encoding: str = Field(description="the encoding read with (the detected one with --encoding auto)")
    encoding_detected: bool = False
    bom: bool
    records: int
    bytes: int
    sha256: str


class RuleNotRunOut(BaseModel):
    """A rule that could not run (the report cannot be valid)."""

    rule: str
    file: str
    reason: str


class Stats(BaseModel):
    """Counts over all findings, complete even when stored findings are capped."""

    records: dict[str, int]
    findings_by_code: dict[str, int]
    findings_by_severity: dict[str, int]
    total_findings: int
    stored_findings: int
    capped: bool


class Report(BaseModel):
    """The result of checking data against a spec."""

    report_version: str = REPORT_VERSION
    tool: dict[str, str]
    valid: bool = Field(description="true only if there is no error finding and every rule ran")
    spec: SpecRef
    generated_at: str
    lang: Lang
    values_shown: bool = Field(description="true when personal values were not masked (--show-values)")
    inputs: list[InputInfo]
    rules_not_run: list[RuleNotRunOut]
    stats: Stats
    findings: list[FindingOut]

    def errors(self) -> list[FindingOut]:
        """The stored findings of severity error."""
        return [f for f in self.findings if f.severity == "error"]

    def flatten(self, fields: tuple[str, ...] = ("code", "record", "item")) -> list[tuple[Any, ...]]:
        """Tuples of the given finding attributes, e.g. ``(code, record, item)`` for assertions."""
        return [tuple(getattr(f, k) for k in fields) for f in self.findings]


_MASK_KEY = b"kikan-std"


def mask_value(value: str, key: bytes = _MASK_KEY) -> str:
    """Mask a personal value, keeping only what helps locate the problem.

    Digit strings keep their last two digits (enough to tell two numbers apart on a screen);
    anything else becomes asterisks. A short keyed hash lets the same value be recognised across
    findings and runs without revealing it.
    """
    tag = hmac.new(key, value.encode("utf-8", "surrogatepass"), sha256).hexdigest()[:8]
    if value.isascii() and value.isdigit() and len(value) >= 6:
        return f"{'*' * (len(value) - 2)}{value[-2:]} #{tag}"
    return f"{'*' * min(len(value), 8)} #{tag}"


def visible(text: str) -> str:
    """``text`` with undecodable input bytes (lone surrogates) shown as ``\\xNN``, so it serialises."""
    if text.isascii() or not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02X}" if ord(m.group()) >= 0xDC80 else "\ufffd", text)


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _visible_any(v: Any) -> Any:
    return visible(v) if isinstance(v, str) else v


def finding_out(f: Finding, lang: Lang, show_values: bool, mask_key: bytes = _MASK_KEY) -> FindingOut:
    """Render one finding: severity and message from the catalogue, values masked as needed."""
    e = entry(f.code)
    masked = f.personal and not show_values and f.value is not None
    value = mask_value(f.value, mask_key) if masked and f.value is not None else f.value
    params = dict(f.params)
    if f.personal and not show_values and "suggestion" in params and len(str(params["suggestion"])) > 1:
        params["suggestion"] = "***"  # a whole-value suggestion would reveal the value
    tmpl = {"item": f.item or "-", "value": value, "file": f.file, "record": f.record, "line": f.line, **params}
    return FindingOut(
        code=f.code,
        severity=f.severity or e.severity,  # type: ignore[arg-type]
        file=f.file,
        record=f.record,
        line=f.line,
        item=f.item,
        item_id=f.item_id,
        message=visible(e.render(lang, tmpl)),
        value=None if value is None else visible(value),
        value_masked=masked,
        keys={k: visible(v) for k, v in f.keys.items()},
        related=[{"record": r, "line": ln} for r, ln in f.related],
        pointer=f.pointer,
        offset=f.offset,
        api_error=e.api_error,
        params={k: _visible_any(v) for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None},
    )
