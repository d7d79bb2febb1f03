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

The file is read in blocks of :data:`BLOCK_SIZE` (:func:`read_records`), never whole, so memory does
not grow with the file; records, lines, offsets and findings are those of the whole file read at once
(:func:`split_records`, the same splitting over one block).
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, cast

from kikan_std.findings import Finding
from kikan_std.model.spec import FixedWidthLayout
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource, ReadStats, normalise_encoding

_PAD = " \u3000"
_BOM = b"\xef\xbb\xbf"

BLOCK_SIZE = 4 * 1024 * 1024
"""Bytes read at a time: memory stays bounded whatever the file's size (tests set it tiny so that
block ends fall inside records, CR LF pairs and characters)."""


def _is_back_to_back(layout: FixedWidthLayout, size: int, has_break: Callable[[], bool]) -> bool:
    """:func:`back_to_back` for ``size`` bytes; ``has_break`` (asked last, it may read the file)
    says whether they hold a CR or LF."""
    if layout.line_terminator == "none":
        return True
    rl = layout.record_length
    return layout.line_terminator == "auto" and size > rl and size % rl == 0 and not has_break()


def back_to_back(data: bytes, layout: FixedWidthLayout) -> bool:
    """True when the records follow each other without line breaks.

    Always for ``line_terminator: none``; for ``auto`` when the data holds no CR or LF at all and
    is a whole number (two or more) of records, as 全銀 files often are (whether records end with
    CR LF is agreed with the bank). Anything else is read by line, so a stray break still shows
    as a record of the wrong length (FIX001).
    """
    return _is_back_to_back(layout, len(data), lambda: b"\n" in data or b"\r" in data)


def _split(blocks: Iterable[bytes], layout: FixedWidthLayout, whole: bool, keep: int | None) -> Iterator[
    tuple[int, int, bytes, int]
]:
    """(line, byte offset, record bytes, record length) of the data given as consecutive ``blocks``.

    The one implementation of record splitting, for data in memory (one block) and streamed files
    alike. ``whole``: records back to back (:func:`back_to_back`); else lines as
    ``bytes.splitlines`` cuts the whole data (CR LF, LF or a lone CR), whatever the block ends.
    ``keep``: a line growing past that many bytes across blocks is kept as its first ``keep``
    bytes only (a file without line breaks must not be held whole); its length stays exact.
    """
    line = off = 0
    if whole:
        size = layout.record_length
        carry = b""
        for block in blocks:
            buf = carry + block if carry else block
            end = len(buf) - len(buf) % size
            for o in range(0, end, size):
                line += 1
                yield line, off, buf[o : o + size], size
                off += size
            carry = buf[end:]
        if carry:  # ``none``: a short last record
            yield line + 1, off, carry, len(carry)
        return
    mode = layout.line_terminator
    head = b""  # the start of a line not yet ended (or ended by a CR that an LF may still follow)
    dropped = 0  # bytes of that line not kept (``keep``)
    it = iter(blocks)
    while True:
        got = next(it, None)
        if got is None:
            if not head:
                return
            pieces, head = [head], b""
        else:
            buf = head + got if head else got
            if not buf:
                continue
            pieces = buf.splitlines(keepends=True)
            head = pieces.pop() if pieces[-1][-1] != 0x0A else b""
        for raw in pieces:
            line += 1
            if mode == "crlf":
                rec = raw[:-2] if raw.endswith(b"\r\n") else raw
            elif mode == "lf":
                rec = raw[:-1] if raw.endswith(b"\n") else raw
            else:
                rec = raw.rstrip(b"\r\n")
            if raw.strip(b"\r\n"):  # blank lines (e.g. at the end) are not records
                yield line, off, rec, len(rec) + dropped
            off += len(raw) + dropped
            dropped = 0
        if got is None:
            return
        if keep is not None and len(head) > keep + 1:
            cr = head.endswith(b"\r")
            body = head[:-1] if cr else head
            dropped += len(body) - keep
            head = body[:keep] + (b"\r" if cr else b"")


def split_records(data: bytes, layout: FixedWidthLayout) -> Iterator[tuple[int, int, bytes]]:
    """(line, byte offset, record bytes) for each record; terminators removed."""
    for line, off, rec, _ in _split((data,), layout, back_to_back(data, layout), None):
        yield line, off, rec


def _blocks(f: BinaryIO, stats: ReadStats, strip_bom: bool, size: int) -> Iterator[bytes]:
    """The bytes of ``f`` in blocks of ``size``, a leading UTF-8 BOM left out when ``strip_bom``;
    sets ``stats`` bytes, bom and sha256 (of every byte, BOM included) as it goes."""
    digest = hashlib.sha256()
    total = 0
    start = b""  # the first bytes, until three are seen (a BOM may be cut by a block end)
    while block := f.read(size):
        digest.update(block)
        total += len(block)
        stats.bytes = total
        if strip_bom:
            start += block
            if len(start) < 3:
                continue
            strip_bom = False
            if start.startswith(_BOM):
                stats.bom = True
                start = start[3:]
            block, start = start, b""
        if block:
            yield block
    stats.sha256 = digest.hexdigest()
    if start:
        yield start


def _has_break(f: BinaryIO, start: int, size: int) -> bool:
    """Whether ``f`` holds a CR or LF after ``start`` (read in blocks, stopping at the first); rewinds."""
    f.seek(start)
    try:
        while block := f.read(size):
            if b"\n" in block or b"\r" in block:
                return True
        return False
    finally:
        f.seek(start)


def read_records(f: BinaryIO, layout: FixedWidthLayout, stats: ReadStats | None = None, *, strip_bom: bool = False,
                 ) -> Iterator[tuple[int, int, bytes, int]]:
    """:func:`split_records` of an open binary file, read in blocks of :data:`BLOCK_SIZE`.

    Yields (line, byte offset, record bytes, record length). A record longer than the layout's
    record (and selector) comes cut to that many bytes, with its true length. Offsets count from
    after the BOM when ``strip_bom`` and the file starts with one. ``stats`` gets bytes, sha256
    and bom.

    ``auto`` must know whether the whole file is a whole number of records without line breaks
    (:func:`back_to_back`): a seekable file is measured and scanned for CR/LF first (the scan stops
    at the first break, so it reads the whole file only when records are back to back); any other
    input (a pipe) is first copied to a temporary file, never held in memory.
    """
    stats = stats if stats is not None else ReadStats()
    size = BLOCK_SIZE
    sel = layout.record_type
    keep = max(layout.record_length, sel.start - 1 + sel.length if sel is not None else 0)
    auto = layout.line_terminator == "auto"
    with contextlib.ExitStack() as stack:
        if auto and not (getattr(f, "seekable", None) and f.seekable()):
            spool = stack.enter_context(tempfile.TemporaryFile())
            shutil.copyfileobj(f, spool, size)
            spool.seek(0)
            f = cast(BinaryIO, spool)
        whole = layout.line_terminator == "none"
        if auto:
            start = f.tell()
            length = f.seek(0, 2) - start
            f.seek(start)
            if strip_bom and f.read(3) == _BOM:
                length -= 3
            f.seek(start)
            whole = _is_back_to_back(layout, length, lambda: _has_break(f, start, size))
        yield from _split(_blocks(f, stats, strip_bom, size), layout, whole, keep)


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
    for line, off, rec, length in read_records(f, layout, stats, strip_bom=codec == "utf-8"):
        n += 1
        if sel is not None and rec[sel_span[0] : sel_span[1]] != sel_value:
            continue
        if length != layout.record_length:
            yield Finding("FIX001", file=name, record=n, line=line, offset=off,
                          params={"length": length, "expected": layout.record_length})
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
