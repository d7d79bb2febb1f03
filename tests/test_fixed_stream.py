"""The fixed-width reader streams (bounded blocks) and reads exactly as a whole-file read does.

The oracle below is the reader as it was before it streamed, copied unchanged (only renamed): it
held the whole file and split it with ``bytes.splitlines``. Keeping it here, instead of comparing
the streaming code with itself, makes the property test an honest differential one: every chunk,
finding and statistic of the streamed read must equal that whole-file read, whatever the block size
(down to one byte, so block ends fall inside records, CR LF pairs, BOMs and characters) and whether
the input can seek (a pipe is spooled to a temporary file for ``auto``).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.findings import Finding
from kikan_std.model.spec import FixedWidthLayout, RecordType
from kikan_std.readers import fixed_reader
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource, normalise_encoding
from kikan_std.readers.fixed_reader import iter_fixed, read_records, split_records
from tests.conftest import ROOT, run_cli

sys.path.insert(0, str(ROOT / "tools"))
import build_conformance_zengin as conf

sys.path.pop(0)

_PAD = " \u3000"
CASES_DIR = ROOT / "conformance" / "formats"


# --- the oracle: the whole-file reader as it was (do not "fix" it; it is the reference) -----------

def _oracle_back_to_back(data: bytes, layout: FixedWidthLayout) -> bool:
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


def oracle_split_records(data: bytes, layout: FixedWidthLayout) -> Iterator[tuple[int, int, bytes]]:
    """(line, byte offset, record bytes) for each record; terminators removed."""
    if _oracle_back_to_back(data, layout):
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


def _oracle_trail_length(codec: str, pending: bytes, following: bytes) -> int:
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


def oracle_iter_fixed(source: CsvSource, f: BinaryIO, layout: FixedWidthLayout, item_names: list[str]) -> Iterator[
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
    for line, off, rec in oracle_split_records(data, layout):
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
                skip = _oracle_trail_length(codec, pending, rec[b : spans[j + 1][1]])
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


# --- the differential property ---------------------------------------------------------------------


class _Pipe(io.RawIOBase):
    """A readable input that cannot seek, as a pipe (``kikan-std check /dev/stdin``)."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._data.readinto(b)


# Half-width, full-width (2 bytes CP932, 3 UTF-8), half-width katakana (1 byte CP932, 3 UTF-8), an
# ideographic space (padding), a character CP932 cannot encode (replaced by "?") and a 4-byte one in UTF-8.
_CHARS = "A1 ｱあ漢　-\U00020bb7"


@st.composite
def _cases(draw: st.DrawFn) -> tuple[FixedWidthLayout, bytes]:
    codec = draw(st.sampled_from(["cp932", "utf-8"]))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    record_length = sum(widths) + draw(st.integers(0, 2))  # bytes after the last field are allowed
    starts = [1 + sum(widths[:i]) for i in range(len(widths))]
    selector = draw(st.booleans())
    layout = FixedWidthLayout(
        encoding=codec,
        record_length=record_length,
        line_terminator=draw(st.sampled_from(["auto", "crlf", "lf", "none"])),
        fields=tuple({"item": f"F{i}", "start": s, "length": w}  # type: ignore[misc]
                     for i, (s, w) in enumerate(zip(starts, widths, strict=True))),
        record_type=RecordType(start=1, length=1, value="1") if selector else None,
    )
    back = draw(st.booleans())  # no separators at all: the back-to-back form of ``auto``
    parts: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["record", "record", "record", "wrong", "blank"]))
        if kind == "record":
            rec = draw(st.text(_CHARS, max_size=record_length)).encode(codec, "replace")[:record_length]
            rec = rec.ljust(record_length, b" ")  # cut by bytes: characters straddle field boundaries
            if selector:
                rec = draw(st.sampled_from([b"1", b"2"])) + rec[1:]
        elif kind == "wrong":
            rec = draw(st.binary(max_size=2 * record_length + 2))  # any bytes, CR and LF included
        else:
            rec = b""
        sep = b"" if back else draw(st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\n\r\n", b"\n\n", b""]))
        parts.append(rec + sep)
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return layout, bom + b"".join(parts)


def _read(reader: object, layout: FixedWidthLayout, f: BinaryIO) -> tuple[list[Chunk | Finding], CsvSource]:
    source = CsvSource(path=Path("x.dat"), display_name="x.dat")
    names = [fl.item for fl in layout.fields]
    out = list(reader(source, f, layout, names))  # type: ignore[operator]
    return out, source


EXAMPLES = int(os.environ.get("KIKAN_STD_FUZZ_EXAMPLES", "0")) or 400
"""Examples of the property test: 400 in ``make test``; release checks set ``KIKAN_STD_FUZZ_EXAMPLES``."""


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases(), block=st.integers(1, 9), seekable=st.booleans())
def test_streamed_read_equals_whole_file_read(case: tuple[FixedWidthLayout, bytes], block: int, seekable: bool) -> None:
    layout, data = case
    want, want_source = _read(oracle_iter_fixed, layout, io.BytesIO(data))
    f: BinaryIO = io.BytesIO(data) if seekable else io.BufferedReader(_Pipe(data))
    with patch.object(fixed_reader, "BLOCK_SIZE", block):
        got, got_source = _read(iter_fixed, layout, f)
    assert got == want  # chunks (values, record and line numbers) and findings (code, place, offset, params)
    assert got_source.stats == want_source.stats  # bytes, sha256, bom, encoding, records, lines
    assert list(split_records(data, layout)) == list(oracle_split_records(data, layout))


def test_a_block_end_inside_cr_lf_bom_and_character() -> None:
    """The cases the property must reach, spelled out once: block ends after every byte."""
    layout = FixedWidthLayout(encoding="utf-8", record_length=6, line_terminator="auto", fields=(
        {"item": "A", "start": 1, "length": 2}, {"item": "B", "start": 3, "length": 4}))  # type: ignore[arg-type]
    data = b"\xef\xbb\xbf" + "Aあ  ".encode() + b"\r\n" + b"\r\n" + "ABあ ".encode() + b"\rXY\n" + b"12345"
    want, want_source = _read(oracle_iter_fixed, layout, io.BytesIO(data))
    assert {x.code for x in want if isinstance(x, Finding)} == {"FIX001", "FIX002"}  # the case has both
    with patch.object(fixed_reader, "BLOCK_SIZE", 1):
        got, got_source = _read(iter_fixed, layout, io.BytesIO(data))
    assert got == want and got_source.stats == want_source.stats and got_source.stats.bom


class _Watched(io.BytesIO):
    """A file that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        self.largest = max(self.largest, size if size is not None and size >= 0 else 1 << 62)
        return super().read(size)


@pytest.mark.parametrize("terminator", ["auto", "crlf", "none"])
def test_the_file_is_read_in_blocks_and_chunks_come_before_the_end(terminator: str) -> None:
    """Memory does not grow with the file: no read asks for more than a block, and the first chunk
    is handed on while most of the file is still unread."""
    layout = FixedWidthLayout(encoding="cp932", record_length=10, line_terminator=terminator, fields=(  # type: ignore[arg-type]
        {"item": "A", "start": 1, "length": 10},))
    sep = b"" if terminator == "none" else b"\r\n"
    f = _Watched((b"0123456789" + sep) * (CHUNK_ROWS * 4))
    with patch.object(fixed_reader, "BLOCK_SIZE", 4096):
        it = iter_fixed(CsvSource(path=Path("x.dat"), display_name="x.dat"), f, layout, ["A"])
        first = next(it)
        assert isinstance(first, Chunk) and len(first) == CHUNK_ROWS
        assert f.tell() < len(f.getvalue()) // 2
        assert sum(len(x) for x in it if isinstance(x, Chunk)) == CHUNK_ROWS * 3
    assert f.largest <= 4096


def test_an_overlong_line_is_not_held_whole() -> None:
    """A file without line breaks read by line (not a whole number of records) is one record of the
    file's length: its exact length is reported, but only the record's own bytes are kept."""
    layout = FixedWidthLayout(encoding="cp932", record_length=10, line_terminator="crlf", fields=(
        {"item": "A", "start": 1, "length": 10},))  # type: ignore[arg-type]
    data = b"x" * 100_003
    with patch.object(fixed_reader, "BLOCK_SIZE", 64):
        got = list(read_records(io.BytesIO(data), layout))
    assert [(line, off, length) for line, off, _, length in got] == [(1, 0, 100_003)]
    assert len(got[0][2]) <= 64 + 10


# --- end to end: the same report whatever the block size, with --jobs 2, from a pipe ---------------


def _transfer_file(data_records: int) -> bytes:
    """A 全銀 総合振込 file with many data records and a few defects (each located by the report)."""
    crlf = b"\r\n"
    header, d1, d2, d3, trailer, end = conf.valid().split(crlf)[:-1]
    body = [(d1, d2, d3)[i % 3] for i in range(data_records)]
    body[5] = body[5][:85] + b"A" + body[5][86:]  # 振込金額 not a number
    body[7000] = body[7000][:119]  # one byte short (FIX001)
    body[9001] = body[9001][:50] + "ｮ".encode("cp932") + body[9001][51:]  # small kana in 受取人名
    return crlf.join([header, *body, trailer, end]) + crlf


def _report(path: Path, **kw: object) -> dict[str, object]:
    dump = kikan_std.check(path, max_findings=None, **kw).model_dump()  # type: ignore[arg-type]
    dump.pop("generated_at")  # when it ran
    return dump


@pytest.mark.parametrize("back_to_back", [False, True])
def test_zengin_report_is_the_same_for_any_block_size_and_jobs(tmp_path: Path, back_to_back: bool) -> None:
    data = _transfer_file(10_000)
    if back_to_back:  # no CR LF at all: read record by record (``auto``); the short record breaks that
        data = data.replace(b"\r\n", b"")
    p = tmp_path / "transfer.txt"
    p.write_bytes(data)
    default = _report(p, spec="zengin_sogo_furikomi")
    codes = {f["code"] for f in default["findings"]}  # type: ignore[attr-defined]
    assert default["valid"] is False and "FIX001" in codes
    with patch.object(fixed_reader, "BLOCK_SIZE", 7):
        assert _report(p, spec="zengin_sogo_furikomi") == default
    assert _report(p, spec="zengin_sogo_furikomi", jobs=2) == default
    code1, out1, _ = run_cli("check", str(p), "--spec", "zengin_sogo_furikomi", "--output-format", "json")
    code2, out2, _ = run_cli("check", str(p), "--spec", "zengin_sogo_furikomi", "--output-format", "json",
                             "--jobs", "2")
    assert code1 == code2 == 1
    one, two = json.loads(out1), json.loads(out2)
    one.pop("generated_at")
    two.pop("generated_at")
    assert one == two


def test_fixed_width_with_a_layout_same_report_tiny_blocks_and_from_a_pipe(tmp_path: Path) -> None:
    """住登外者宛名 from a CP932 fixed-width export (conformance case: a full-width character cut by
    a field boundary, a short record): the same findings with one-byte blocks and read from a pipe."""
    dat, layout = CASES_DIR / "split_short.dat", CASES_DIR / "layout.json"
    default = _report(dat, layout=layout)
    assert {"FIX001", "FIX002"} <= {f["code"] for f in default["findings"]}  # type: ignore[attr-defined]
    with patch.object(fixed_reader, "BLOCK_SIZE", 1):
        assert _report(dat, layout=layout) == default
    cmd = [sys.executable, "-m", "kikan_std", "check", "/dev/stdin", "--spec", "jutogai_atena", "--layout", str(layout),
           "--input-format", "fixed", "--output-format", "json"]
    piped = subprocess.run(cmd, input=dat.read_bytes(), capture_output=True, check=False)
    from_file = subprocess.run([*cmd[:4], str(dat), *cmd[5:]], capture_output=True, check=False)
    assert piped.returncode == from_file.returncode == 1, piped.stderr

    def located(out: bytes) -> list[tuple[object, ...]]:
        return [(f["code"], f["record"], f["line"], f.get("offset"), f["item"]) for f in json.loads(out)["findings"]]

    assert located(piped.stdout) == located(from_file.stdout)
    assert json.loads(piped.stdout)["inputs"][0]["sha256"] == json.loads(from_file.stdout)["inputs"][0]["sha256"]
