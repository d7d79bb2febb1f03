"""Readers: bytes of one input file → a header of item names, then ``Chunk``s and ``Finding``s.

Every reader has the shape of :func:`~kikan_std.readers.csv_reader.iter_csv`: it fills a
:class:`~kikan_std.readers.csv_reader.CsvSource` (header, header line, stats) and yields chunks of
records column by column plus structural findings in file order. :func:`open_input` picks the
reader by ``--input-format`` or by file extension.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from kikan_std.errors import (
    CannotOpenError,
    InputError,
    LayoutError,
    LayoutGroupError,
    LayoutItemError,
    LayoutRequiredError,
    UnknownInputFormatError,
)
from kikan_std.findings import Finding
from kikan_std.model.spec import FixedWidthLayout, Group, Spec
from kikan_std.readers.csv_reader import Chunk, CsvSource, iter_csv, open_source, source_of
from kikan_std.readers.fixed_reader import iter_fixed
from kikan_std.readers.json_reader import iter_json
from kikan_std.readers.xml_reader import iter_xml

INPUT_FORMATS: tuple[str, ...] = ("csv", "json", "xml", "fixed")
"""Input formats, as accepted by ``--input-format``."""

EXTENSIONS: dict[str, str] = {
    ".csv": "csv",
    ".json": "json",
    ".xml": "xml",
    ".dat": "fixed",
    ".fix": "fixed",
    ".fixed": "fixed",
}
"""File extension → input format; any other extension is read as CSV."""


def input_format_for(path: Path, wanted: str | None) -> str:
    """The input format of ``path``: ``wanted`` if given, else by extension (default CSV)."""
    if wanted is not None:
        if wanted not in INPUT_FORMATS:
            raise UnknownInputFormatError(format=wanted, choices=INPUT_FORMATS)
        return wanted
    return EXTENSIONS.get(path.suffix.lower(), "csv")


def load_layout(path: str | Path) -> FixedWidthLayout:
    """A fixed-width layout from a JSON file (see docs/formats.md).

    Raises:
        InputError: the file cannot be read or is not a valid layout.
    """
    p = Path(path)
    try:
        return FixedWidthLayout.model_validate(json.loads(p.read_text(encoding="utf-8")))
    except OSError as e:
        raise CannotOpenError(path=p, reason=e.strerror) from None
    except (ValueError, ValidationError) as e:
        detail = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
        raise LayoutError(path=p, detail=detail) from None


def _names(spec: Spec) -> set[str]:
    return {n for g in spec.groups for it in g.items for n in (it.name, it.romaji, *it.aliases) if n}


def _fixed_setup(spec: Spec, group: str | None, layout: FixedWidthLayout | None) -> tuple[
    FixedWidthLayout, Group, list[str]
]:
    if layout is None:
        with_layout = [g for g in spec.groups if g.fixed_width is not None and (group is None or g.name == group)]
        if not with_layout:
            raise LayoutRequiredError()
        g = with_layout[0]
        assert g.fixed_width is not None
        layout = g.fixed_width
    else:
        wanted = group or layout.group
        g = spec.group(wanted) if wanted is not None else spec.groups[0]  # UnknownGroupError
        if wanted is None and len(spec.groups) > 1:
            raise LayoutGroupError()
    by_name = {n: it.name for it in g.items for n in (it.name, it.romaji, *it.aliases) if n}
    names = []
    for fl in layout.fields:
        if fl.item not in by_name:
            raise LayoutItemError(group=g.name, item=fl.item)
        names.append(by_name[fl.item])
    return layout, g, names


def open_input(
    path: Path,
    display: str,
    input_format: str,
    encoding: str,
    spec: Spec,
    group: str | None = None,
    layout: FixedWidthLayout | None = None,
) -> tuple[CsvSource, BinaryIO, Iterator[Chunk | Finding]]:
    """Open ``path`` and return its source, the open file (caller closes) and the reader.

    Raises:
        InputError: the file cannot be opened, the encoding or format is unknown, or a fixed-width
            input has no usable layout.
    """
    fixed = _fixed_setup(spec, group, layout) if input_format == "fixed" else None
    source, f = open_source(path, display, fixed[0].encoding if fixed is not None else encoding)
    return source, f, _reader(source, f, input_format, spec, group, fixed)


def open_bytes(
    data: bytes,
    display: str,
    input_format: str,
    encoding: str,
    spec: Spec,
    group: str | None = None,
    layout: FixedWidthLayout | None = None,
) -> tuple[CsvSource, BinaryIO, Iterator[Chunk | Finding]]:
    """Like :func:`open_input` for an input already in memory (``display`` names it in findings)."""
    if input_format not in INPUT_FORMATS:
        raise UnknownInputFormatError(format=input_format, choices=INPUT_FORMATS)
    fixed = _fixed_setup(spec, group, layout) if input_format == "fixed" else None
    f = io.BytesIO(data)
    source = source_of(f, Path(display), display, fixed[0].encoding if fixed is not None else encoding)
    return source, f, _reader(source, f, input_format, spec, group, fixed)


def start_reader(
    source: CsvSource,
    f: BinaryIO,
    input_format: str,
    spec: Spec,
    group: str | None = None,
    layout: FixedWidthLayout | None = None,
) -> Iterator[Chunk | Finding]:
    """The reader of ``input_format`` over the open input ``f`` (sets ``source.input_format``)."""
    fixed = _fixed_setup(spec, group, layout) if input_format == "fixed" else None
    return _reader(source, f, input_format, spec, group, fixed)


def _reader(
    source: CsvSource,
    f: BinaryIO,
    input_format: str,
    spec: Spec,
    group: str | None,
    fixed: tuple[FixedWidthLayout, Group, list[str]] | None,
) -> Iterator[Chunk | Finding]:
    """:func:`start_reader` with the fixed-width setup already made (``fixed``, for ``input_format`` fixed)."""
    source.input_format = input_format
    if fixed is not None:
        lay, g, names = fixed
        source.group_hint = g.name
        return iter_fixed(source, f, lay, names)
    if input_format == "json":
        return iter_json(source, f, _names(spec))
    if input_format == "xml":
        return iter_xml(source, f, spec, group)
    return iter_csv(source, f)


__all__ = ["EXTENSIONS", "INPUT_FORMATS", "InputError", "input_format_for", "load_layout", "open_bytes", "open_input", "start_reader"]
