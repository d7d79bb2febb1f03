"""Streaming CSV reader: bytes → header + column chunks with record and line numbers.

The reader knows bytes, encodings and positions, nothing about business meaning. It never raises
on bad data: structural problems come out as :class:`~kikan_std.findings.Finding` values in the
order they occur.

* RFC 4180 quoting via the stdlib ``csv`` module (strict mode, so malformed quoting is reported);
* UTF-8 with or without BOM by default, any Python codec on request (``cp932``, ``shift_jis``…);
* undecodable bytes are kept as lone surrogates (``surrogateescape``) so the field checks can
  report them with their item and record, and the raw bytes in hex;
* CRLF, LF or CR line ends; quoted line breaks inside fields are kept and line numbers stay right;
* memory is bounded by the block size, not by the file size.

Speed: the file is decoded in blocks that end at a line break. A block with no quote character
(or with every field quoted and nothing else quoted) is split with ``str.split`` and sliced into
columns at C speed; any other block goes through ``csv.reader``. Both give the same fields.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from kikan_std.errors import (
    CannotOpenError,
    InputIsDirectoryError,
    InputNotFoundError,
    UnknownEncodingError,
    UnsupportedEncodingError,
)
from kikan_std.findings import Finding
from kikan_std.jp.encodings import SUPPORTED_ENCODINGS, Detection, detect_encoding, supported_codec

BLOCK_SIZE = 384 * 1024
"""Bytes read per block. A block's text, fields and sets should stay in the core's cache: on a
2 MiB-L2 machine 256–512 KiB blocks check 200,000 rows ~25% faster than 2 MiB blocks
(benchmarks/bench_check.py --block-sizes)."""
CHUNK_ROWS = 8192

_LINEBREAK_RE = re.compile(r"\r\n|\r|\n")
# One field of a raw record as csv reads it: quoted (with doubled quotes inside), or unquoted and free
# of quotes. What stops an unquoted match at a quote is a bare quote (RFC 4180 2.5).
_RAW_FIELD_RE = re.compile(r'"(?:[^"]|"")*"|[^,\r\n"]*')


@dataclass(slots=True)
class Chunk:
    """Well-formed records (exactly as many fields as the header), column by column.

    ``locators`` (JSON and XML inputs only; None for CSV, which costs nothing per row): one JSON
    pointer or XPath per record; the engine puts ``locator + "/" + key`` into ``Finding.pointer``.
    """

    columns: list[Sequence[str]]
    records: Sequence[int]
    lines: Sequence[int]
    locators: Sequence[str] | None = None
    spaces_only: bool = True
    """False when the reader knows that no value consists of spaces only (the engine then skips
    making such values blank, see :func:`kikan_std.engine.file.blank_in_substance`)."""

    def __len__(self) -> int:
        return len(self.records)


@dataclass(slots=True)
class ReadStats:
    """What the reader saw, filled in while reading."""

    records: int = 0
    lines: int = 0
    bom: bool = False
    sha256: str = ""
    bytes: int = 0
    encoding: str = ""
    unterminated: bool = False
    """The data ended inside a quoted field (CSV009 at the end): a part of a split file whose end
    is not a record boundary, so the split was wrong (see :mod:`kikan_std.engine.parallel`)."""


@dataclass(slots=True)
class CsvSource:
    """One CSV input being read."""

    path: Path
    display_name: str
    encoding: str = "utf-8"
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    stats: ReadStats = field(default_factory=ReadStats)
    detection: Detection | None = None
    group_hint: str | None = None  # set by readers that know the group (XML root element)
    input_format: str = "csv"


def normalise_encoding(name: str) -> str:
    """The codec name of a supported encoding ``name`` (``auto`` passes through).

    ``utf-8-sig`` is ``utf-8``: a BOM is read (and held to ``--bom``) the same way whatever the
    name. See :data:`~kikan_std.jp.encodings.SUPPORTED_ENCODINGS`.

    Raises:
        UnknownEncodingError: no codec of that name.
        UnsupportedEncodingError: a codec that inputs are not read with (UTF-16, base64 …).
    """
    if name == "auto":
        return name
    try:
        codec = supported_codec(name)
    except LookupError:
        raise UnknownEncodingError(encoding=name) from None
    if codec is None:
        raise UnsupportedEncodingError(encoding=name, supported=", ".join(SUPPORTED_ENCODINGS))
    return codec


def _sjis_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler for Shift_JIS contracts: take CP932-only characters, flag the rest.

    A Shift_JIS file that holds NEC/IBM extension characters (①, ㈱, ⅰ …) is really CP932. Those
    bytes are decoded with CP932 so the field checks can name the character (ENC001); bytes that
    CP932 cannot decode either become lone surrogates, as with ``surrogateescape`` (CSV001).
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    data = exc.object[exc.start : exc.start + 2]
    if len(data) < 2:  # a lone lead byte at the very end
        return chr(0xDC00 + exc.object[exc.start]), exc.start + 1
    try:
        ch = bytes(data).decode("cp932")
    except UnicodeDecodeError:
        return chr(0xDC00 + exc.object[exc.start]), exc.start + 1
    if len(ch) == 1:
        return ch, exc.start + 2
    return chr(0xDC00 + exc.object[exc.start]), exc.start + 1


codecs.register_error("kikan-sjis-cp932", _sjis_fallback)


class ByteSource(Protocol):
    """Anything with ``read(n) -> bytes``: an open binary file or a :class:`RangeFile`."""

    def read(self, n: int = -1, /) -> bytes: ...


class RangeFile:
    """The bytes ``[start, end)`` of a binary file, read like a file (for parallel parts)."""

    def __init__(self, f: BinaryIO, start: int, end: int) -> None:
        f.seek(start)
        self._f = f
        self._left = end - start

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        b = self._f.read(self._left if n < 0 else min(n, self._left))
        self._left -= len(b)
        return b


def _last_break(text: str) -> int:
    """Index of the last line break of ``text`` that is certainly whole, or -1.

    LF, CRLF and a lone CR all end a line (as for ``csv``). A CR that is the last character may be
    the first half of a CRLF whose LF is in the next block, so it is not taken. Cutting at any line
    end (not only LF) keeps memory bounded by the block size whatever the file's line ends.
    """
    return max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1))


def _iter_text_blocks(
    f: ByteSource, encoding: str, stats: ReadStats, file_start: bool = True
) -> Iterator[tuple[str, bool]]:
    """Decoded text in blocks that end with a line break (except the last), with a 'final' flag.

    A UTF-8 BOM is the file's only when ``file_start``: a part of a file split for ``--jobs``
    starts at a record, and a U+FEFF there is data, exactly as one process reads it.
    """
    codec = normalise_encoding(encoding)
    stats.encoding = codec
    hasher = hashlib.sha256()
    errors = "kikan-sjis-cp932" if codec == "shift_jis" else "surrogateescape"
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    pending = ""
    first = file_start
    while True:
        b = f.read(BLOCK_SIZE)
        hasher.update(b)
        stats.bytes += len(b)
        text = decoder.decode(b, final=not b)
        if first and text:
            first = False
            if codec == "utf-8" and text.startswith("\ufeff"):
                stats.bom = True
                text = text[1:]
        if not b:
            stats.sha256 = hasher.hexdigest()
            yield pending + text, True
            return
        text = pending + text
        cut = _last_break(text)
        if cut < 0:
            pending = text
            continue
        pending = text[cut + 1 :]
        yield text[: cut + 1], False


def _physical_lines(row: list[str]) -> int:
    """How many physical lines a parsed row spanned (quoted line breaks add lines)."""
    extra = 0
    for v in row:
        if "\n" in v or "\r" in v:
            extra += len(_LINEBREAK_RE.findall(v))
    return 1 + extra


def bare_quote_field(raw: str) -> int | None:
    """The 1-based position of the first field of raw record text ``raw`` holding a bare quote.

    RFC 4180 2.5: a field that is not enclosed in double quotes may not contain one. The stdlib
    ``csv`` module reads such a quote as data (``ab"c``, or `` "x"`` after a space), and a quote
    that opens no field also throws off any reader counting quote pairs.
    """
    pos, field_no, end = 0, 1, len(raw)
    while True:
        m = _RAW_FIELD_RE.match(raw, pos)
        pos = m.end() if m else pos
        if pos >= end:
            return None
        ch = raw[pos]
        if ch == '"':
            return field_no
        if ch != ",":
            return None  # the record's line end
        pos += 1
        field_no += 1


# A space right after a separator, a line break or an opening quote. The pattern starts with the space
# itself, so the regex engine scans for that one character at C speed and tries the look-behind only
# where it finds one (~4x faster on Japanese text, full of U+3000 inside names, than searching for each
# two-character pair).
_SPACE_AFTER_SEPARATOR = tuple((space, re.compile(f'{space}(?<=[,\n\r"]{space})')) for space in (" ", "\u3000"))


def may_hold_spaces_only(text: str) -> bool:
    """False only if no CSV field of ``text`` can consist of spaces only (U+0020 / U+3000).

    Such a field starts with a space right after a separator, a line break or its opening quote
    (or at the start of the text); a C-level search rules that out for a whole block, where
    looking at each value would cost a Python call per value.
    """
    if text.startswith((" ", "\u3000")):
        return True
    # `in` first: str's own search is several times faster than the regex's for a character that is absent.
    return any(space in text and rx.search(text) is not None for space, rx in _SPACE_AFTER_SEPARATOR)


def _has_quote(row: Sequence[str]) -> bool:
    return any('"' in v for v in row)


def fast_columns(text: str, ncols: int) -> tuple[list[Sequence[str]], int] | None:
    """Columns of a block that needs no CSV state machine, or None (the fast path of :func:`iter_csv`).

    Two shapes qualify: no quote character at all, or every field quoted with no other quotes
    (so no field holds a quote, a line break or needs unquoting beyond the outer quotes).
    """
    if ncols < 2 or not text:
        return None
    lf = text.count("\n")
    if lf == 0 and "\r" in text:
        eol, lf = "\r", text.count("\r")  # CR-only line ends (old Mac exports) take the fast path too
    else:
        eol = "\r\n" if "\r" in text else "\n"
    if eol == "\r\n" and text.count("\r") != lf:
        return None  # a lone CR is a line break for csv (or a CR inside a value): slow path
    n = lf + 1
    if text.endswith(eol):
        text = text[: -len(eol)]
        n -= 1
    if not text:
        return None
    if '"' in text:
        return _quoted_columns(text, ncols, n, eol)
    # One split at the commas (the cheapest way to get every field as a str); the field at each
    # row boundary then holds "last<eol>first" and sits every ncols - 1 places.
    flat = text.split(",")
    step = ncols - 1
    if len(flat) != n * step + 1:
        return None
    if n == 1:
        return [[v] for v in flat], 1
    lasts, seps, firsts = zip(*map(str.partition, flat[step:-1:step], itertools.repeat(eol)), strict=True)
    # Each of the n - 1 boundary fields holds a line end, and the block has exactly n - 1 line
    # feeds (and as many CRs for CRLF): so no other field holds a CR or LF, no boundary field
    # holds two, and every row has exactly ncols fields.
    if len("".join(seps)) != len(eol) * (n - 1):
        return None
    return [[flat[0], *firsts], *(flat[c::step] for c in range(1, step)), [*lasts, flat[-1]]], n


def _quoted_columns(text: str, ncols: int, n: int, eol: str) -> tuple[list[Sequence[str]], int] | None:
    """Columns of a block of ``n`` rows in which every field is quoted and no field holds a quote.

    Each ``"<eol>"`` becomes a field of its own so one split yields every field; those fields
    must then sit exactly every ``ncols + 1`` places, which proves each line has ``ncols`` fields.
    """
    if (
        text.count('"') != 2 * ncols * n
        or text[0] != '"'
        or text[-1] != '"'
        or text.count(f'"{eol}"') != n - 1
    ):
        return None
    flat = text[1:-1].replace(f'"{eol}"', '","\n","').split('","')
    width = ncols + 1
    if len(flat) != n * width - 1 or flat[ncols::width].count("\n") != n - 1:
        return None
    return [flat[i::width] for i in range(ncols)], n


def iter_csv(source: CsvSource, f: ByteSource, header: list[str] | None = None) -> Iterator[Chunk | Finding]:
    """Read ``f``; set ``source.header`` and yield chunks and structural findings in order.

    The first non-blank row is the header, unless ``header`` is given: then ``f`` is a byte range
    of records after the header (a part of a file split for parallel checking), and records and
    lines are numbered from 1 within that range. Findings use codes from ``reader.toml``.
    """
    name = source.display_name
    stats = source.stats
    ncols = -1
    record = 0
    line = 0  # physical lines consumed before the current position
    carry = ""
    if header is not None:
        source.header = header
        source.header_line = 0
        ncols = len(header)

    for block, final in _iter_text_blocks(f, source.encoding, stats, file_start=header is None):
        text = carry + block
        carry = ""
        if ncols < 0:
            # Header: the first non-blank record, read with csv so quoting is honoured.
            sio = io.StringIO(text, newline="")
            reader = csv.reader(sio, strict=True)
            while ncols < 0:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    if not final and "unexpected end of data" in str(e):
                        break  # header continues in the next block
                    yield _csv_error(name, line + 1, str(e))
                    line = reader.line_num
                    continue
                if not row:
                    yield Finding("CSV012", file=name, line=reader.line_num)
                else:
                    source.header = row
                    source.header_line = line + 1
                    ncols = len(row)
                    if _has_quote(row):
                        raw = "".join(itertools.islice(io.StringIO(text, newline=""), line, reader.line_num))
                        pos = bare_quote_field(raw)
                        if pos is not None:
                            yield Finding("CSV013", file=name, line=line + 1, params={"position": pos})
                line = reader.line_num
            if ncols < 0:
                if not final:
                    carry = text  # re-read with more text
                    line = 0
                continue
            text = sio.read()
            if not text:
                continue

        fast = fast_columns(text, ncols) if text else None
        if fast is not None:
            columns, n = fast
            # One block is one chunk: the block size already bounds memory, and slicing the
            # columns into smaller chunks would only copy them.
            yield Chunk(columns, range(record + 1, record + n + 1), range(line + 1, line + n + 1),
                        spaces_only=may_hold_spaces_only(text))
            record += n
            line += n
            stats.records = record
            continue

        # Slow path: csv.reader over this block's lines.
        lines = list(io.StringIO(text, newline=""))
        reader = csv.reader(iter(lines), strict=True)
        base = line
        done = 0  # lines of this block consumed by complete rows
        while True:
            rows: list[list[str]] = []
            append = rows.append
            error: csv.Error | None = None
            try:
                for row in itertools.islice(reader, CHUNK_ROWS):
                    append(row)
            except csv.Error as e:
                error = e
            good: list[list[str]] = []
            good_records: list[int] = []
            good_lines: list[int] = []
            at = base + done + 1
            for r in rows:
                span = _physical_lines(r)
                if not r:
                    yield Finding("CSV012", file=name, line=at)
                else:
                    record += 1
                    if _has_quote(r):
                        pos = bare_quote_field("".join(lines[done : done + span]))
                        if pos is not None:
                            yield Finding("CSV013", file=name, record=record, line=at, params={"position": pos})
                    if len(r) == ncols:
                        good.append(r)
                        good_records.append(record)
                        good_lines.append(at)
                    else:
                        yield Finding(
                            "CSV002", file=name, record=record, line=at, params={"found": len(r), "expected": ncols}
                        )
                at += span
                done += span
            if good:
                yield Chunk([list(c) for c in zip(*good, strict=True)], good_records, good_lines)
            if error is not None:
                if not final and "unexpected end of data" in str(error):
                    # A quoted field continues into the next block: carry its lines over.
                    carry = "".join(lines[done:])
                    break
                record += 1
                if final and "unexpected end of data" in str(error):
                    stats.unterminated = True
                err = _csv_error(name, at, str(error))
                err.record = record
                yield err
                done = reader.line_num
                continue
            if not rows:
                break
        line = base + (len(lines) if not carry else done)
        stats.records = record

    stats.lines = line
    if ncols < 0:
        yield Finding("CSV007", file=name)
    elif record == 0 and header is None:
        yield Finding("CSV008", file=name, line=source.header_line)


def _csv_error(name: str, line: int, message: str) -> Finding:
    if "field larger than field limit" in message:
        code = "CSV010"
    elif "unexpected end of data" in message:
        code = "CSV009"
    else:
        code = "CSV011"
    return Finding(code, file=name, line=line, params={"detail": message})


def open_source(path: Path, display_name: str, encoding: str) -> tuple[CsvSource, BinaryIO]:
    """Open ``path`` for reading; raise an :class:`~kikan_std.errors.InputError` when it cannot be opened."""
    normalise_encoding(encoding)
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise InputNotFoundError(path=display_name) from None
    except IsADirectoryError:
        raise InputIsDirectoryError(path=display_name) from None
    except OSError as e:
        raise CannotOpenError(path=display_name, reason=e.strerror) from None
    return source_of(f, path, display_name, encoding), f


def source_of(f: BinaryIO, path: Path, display_name: str, encoding: str) -> CsvSource:
    """The source of an open binary input (a file or bytes in memory), its encoding guessed with ``auto``."""
    normalise_encoding(encoding)
    source = CsvSource(path=path, display_name=display_name, encoding=encoding)
    if encoding == "auto":
        # The contract did not say: guess from a sample cut at a line boundary, and say how sure.
        sample = f.read(256 * 1024)
        f.seek(0)
        if len(sample) == 256 * 1024 and b"\n" in sample:
            sample = sample[: sample.rfind(b"\n") + 1]
        source.detection = detect_encoding(sample)
        try:
            source.encoding = normalise_encoding(source.detection.encoding)  # UTF-16/32 by their BOM: refused
        except UnsupportedEncodingError:
            f.close()
            raise
    return source
