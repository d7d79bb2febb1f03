"""Fixed-width (固定長) legacy exports: byte positions from a layout, decoded field by field.

Widths are bytes in the declared encoding (a full-width character is 2 bytes in CP932), so the
reader slices each record's bytes first and then decodes each field. Two structural problems are
reported here, each once:

* FIX001 — a record whose byte length differs from the layout's ``record_length``. Its fields
  would all be shifted, so the record gets no field findings (no cascade).
* FIX002 — a multi-byte character cut by a field boundary. The broken character's bytes are left
  out of both fields, so neither field reports undecodable bytes for it again.

With a ``record_type`` selector in the layout (a file holding several record types, e.g. the 全銀
総合振込 データ区分), records whose selector bytes differ are skipped without a finding: another group
of the same file reads them. Record numbers and lines stay the record's position in the whole file,
and FIX001 is checked after the selector, so a short record is reported once, by its own group.

Values are right-trimmed of padding (half-width and full-width spaces); everything else in a
field (bytes that do not decode, wrong characters) goes to the usual field checks.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from kikan_std.findings import Finding
from kikan_std.model.spec import FixedWidthLayout
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource, normalise_encoding

_PAD = " \u3000"


def back_to_back(data: bytes, layout: FixedWidthLayout) -> bool:
    """True when the records follow each other without line breaks.

    Always for ``line_terminator: none``; for ``auto`` when the data holds no CR or LF at all and
    is a whole number (two or more) of records, as 全銀 files often are (whether records end with
    CR LF is agreed with the bank). Anything else is read by line, so a stray break still shows
    as a record of the wrong length (FIX001).
    """
    if layout.line_terminator == "none":
        return True
    size = layout.record_length
    return (layout.line_terminator == "auto" and len(data) > size and len(data) % size == 0
            and b"\n" not in data and b"\r" not in data)


def split_records(data: bytes, layout: FixedWidthLayout) -> Iterator[tuple[int, int, bytes]]:
    """(line, byte offset, record bytes) for each record; terminators removed."""
    if back_to_back(data, layout):
        size = layout.record_length
        for i, off in enumerate(range(0, len(data), size)):
            yield i + 1, off, data[off : off + size]
        return
    off = 0
    for line, raw in enumerate(data.splitlines(keepends=True), start=1):
        if layout.line_terminator == "crlf":
            rec = raw[:-2] if raw.endswith(b"\r\n") else raw
        elif layout.line_terminator == "lf":
            rec = raw[:-1] if raw.endswith(b"\n") else raw
        else:
            rec = raw.rstrip(b"\r\n")
        if raw.strip(b"\r\n"):  # blank lines (e.g. at the end) are not records
            yield line, off, rec
        off += len(raw)


def _trail_length(codec: str, pending: bytes, following: bytes) -> int:
    """How many bytes at the start of ``following`` complete the character begun by ``pending``."""
    dec = codecs.getincrementaldecoder(codec)("strict")
    dec.decode(pending)
    for k in range(min(4, len(following))):
        try:
            if dec.decode(following[k : k + 1]):
                return k + 1
        except UnicodeDecodeError:
            return k + 1 if k else 0
    return 0


def iter_fixed(source: CsvSource, f: BinaryIO, layout: FixedWidthLayout, item_names: list[str]) -> Iterator[
    Chunk | Finding
]:
    """Read a fixed-width file; the header is the layout's item names (``item_names``, in layout order)."""
    name = source.display_name
    stats = source.stats
    codec = normalise_encoding(layout.encoding)
    stats.encoding = codec
    data = f.read()
    stats.bytes = len(data)
    stats.sha256 = hashlib.sha256(data).hexdigest()
    if codec == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        stats.bom = True
        data = data[3:]
    spans = [(fl.start - 1, fl.start - 1 + fl.length) for fl in layout.fields]
    source.header = item_names
    source.header_line = 1
    n = 0
    rows: list[list[str]] = []
    recs: list[int] = []
    lines: list[int] = []
    sel = layout.record_type
    sel_span = (sel.start - 1, sel.start - 1 + sel.length) if sel is not None else (0, 0)
    sel_value = sel.value.encode("ascii") if sel is not None else b""
    for line, off, rec in split_records(data, layout):
        n += 1
        if sel is not None and rec[sel_span[0] : sel_span[1]] != sel_value:
            continue
        if len(rec) != layout.record_length:
            yield Finding("FIX001", file=name, record=n, line=line, offset=off,
                          params={"length": len(rec), "expected": layout.record_length})
            continue
        row: list[str] = []
        dec = codecs.getincrementaldecoder(codec)("surrogateescape")
        skip = 0  # bytes at the start of this field that belong to a character split off the last one
        for j, (a, b) in enumerate(spans):
            raw = rec[a:b]
            body = raw[skip:]
            skip = 0
            dec.reset()
            dec.decode(body)
            pending = dec.getstate()[0]
            if pending and j + 1 < len(spans) and spans[j + 1][0] == b:
                # The field ends inside a multi-byte character that continues into the next field.
                skip = _trail_length(codec, pending, rec[b : spans[j + 1][1]])
                if skip:
                    fl = layout.fields[j]
                    yield Finding("FIX002", file=name, record=n, line=line, offset=off + b - len(pending),
                                  item=item_names[j], params={"field": fl.item, "next": layout.fields[j + 1].item,
                                                     "bytes": (pending + rec[b : b + skip]).hex(" ").upper(),
                                                     "byte": b + 1 - len(pending)})
                    body = body[: len(body) - len(pending)]
            row.append(body.decode(codec, "surrogateescape").rstrip(_PAD))
        rows.append(row)
        recs.append(n)
        lines.append(line)
        if len(rows) == CHUNK_ROWS:
            yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines)
            rows, recs, lines = [], [], []
    if rows:
        yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines)
    stats.records = n
    stats.lines = n
