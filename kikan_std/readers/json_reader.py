"""JSON interface files: API request / response bodies keyed by the items' romaji names.

Accepted shapes (RFC 8259 JSON, UTF-8 with or without BOM):

* one record object — an API request body such as the 住登外者宛名番号付番 request (§1.5);
* an array of record objects;
* an object holding the records in an array member — an API response (``{"result": [...]}``).
  The first member whose value is a non-empty array of objects is taken; its pointer shows in
  findings. Any further such member is not read and is a finding (JSN007), never skipped silently.

A top-level object is one record when any of its keys is an item name (romaji, official name or
alias). Each record's JSON pointer (``/result/0``) and the line it starts on travel with the chunk,
so findings say ``/result/0/atenabango`` and the line. Values must be strings (the API sends every
item as a string); ``null`` counts as not set. Numbers keep their source text (a 5,000-digit
number is a JSN002 finding with its digits checked, not a conversion error); ``NaN`` and
``Infinity`` are not JSON (JSN001). The file is parsed in memory: payloads are API bodies, not
bulk exports (use CSV for those).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator
from typing import Any, BinaryIO, cast

from kikan_std.findings import Finding
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource, normalise_encoding

_WS = re.compile(r"[ \t\n\r]*")
# The stdlib's own string scanner (C): position-aware, so keys are read exactly as json.loads does.
scanstring = cast(Callable[[str, int], tuple[str, int]], json.decoder.scanstring)  # type: ignore[attr-defined]


class _Obj(dict[str, Any]):
    """A JSON object that remembers keys it saw twice."""

    dups: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> _Obj:
    obj = _Obj(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.dups = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return obj


class _Num(str):
    """A JSON number, kept as its source text (no int/float conversion, so no size limit)."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value (RFC 8259)")


def escape_pointer(token: str) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class _Text:
    """Line numbers of offsets in a text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.breaks = [m.start() for m in re.finditer("\n", text)]

    def line(self, offset: int) -> int:
        return bisect.bisect_left(self.breaks, offset) + 1


def _skip(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _array_starts(text: str, pos: int, decoder: json.JSONDecoder) -> list[int]:
    """Start offsets of the elements of the array at ``pos`` (which holds ``[``)."""
    out: list[int] = []
    pos = _skip(text, pos + 1)
    if text[pos] == "]":
        return out
    while True:
        out.append(pos)
        _, end = decoder.raw_decode(text, pos)
        pos = _skip(text, end)
        if text[pos] == "]":
            return out
        pos = _skip(text, pos + 1)  # ","


def _member_start(text: str, pos: int, key: str, decoder: json.JSONDecoder) -> int:
    """Start offset of member ``key``'s value in the object at ``pos`` (which holds ``{``)."""
    found = -1
    pos = _skip(text, pos + 1)
    while text[pos] != "}":
        k, end = scanstring(text, pos + 1)
        pos = _skip(text, _skip(text, end) + 1)  # past ":"
        if k == key:
            found = pos  # the last one wins, as in json.loads
        _, end = decoder.raw_decode(text, pos)
        pos = _skip(text, end)
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
    return found


def iter_json(source: CsvSource, f: BinaryIO, names: Collection[str]) -> Iterator[Chunk | Finding]:
    """Read a JSON payload; set ``source.header`` (keys in order of appearance) and yield chunks.

    Args:
        names: Item names of the spec (romaji, official names, aliases): tell a single record
            object from a wrapper object.
    """
    name = source.display_name
    stats = source.stats
    data = f.read()
    stats.bytes = len(data)
    stats.sha256 = hashlib.sha256(data).hexdigest()
    codec = normalise_encoding(source.encoding)
    stats.encoding = codec
    if data.startswith(b"\xef\xbb\xbf"):
        stats.bom = True
        data = data[3:]
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        yield Finding("JSN001", file=name, line=line, offset=e.start, params={"detail": f"{codec}: {e.reason}"})
        return
    decoder = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_Num, parse_float=_Num, parse_constant=_no_constant)
    try:
        doc, end = decoder.raw_decode(text, _skip(text, 0))
        if _skip(text, end) != len(text):
            raise json.JSONDecodeError("Extra data", text, _skip(text, end))
    except json.JSONDecodeError as e:
        yield Finding("JSN001", file=name, line=e.lineno, offset=e.pos, params={"detail": f"{e.msg} (col {e.colno})"})
        return
    except RecursionError:
        yield Finding("JSN001", file=name, line=1, params={"detail": "nesting too deep"})
        return
    except ValueError as e:  # NaN / Infinity
        yield Finding("JSN001", file=name, line=1, params={"detail": str(e)})
        return
    lines = _Text(text)
    start = _skip(text, 0)
    wanted = set(names)
    if isinstance(doc, list):
        base, records = "", doc
        starts = _array_starts(text, start, decoder)
    elif isinstance(doc, dict) and (wanted & doc.keys() or not doc):
        base, records, starts = None, [doc], [start]
    elif isinstance(doc, dict):
        arrays = [k for k, v in doc.items() if isinstance(v, list) and all(isinstance(x, dict) for x in v)]
        key = next((k for k in arrays if doc[k]), arrays[0] if arrays else None)
        if key is None:
            yield Finding("JSN005", file=name, line=1, pointer="")
            return
        for other in arrays:
            if other != key and doc[other]:
                at = _member_start(text, start, other, decoder)
                yield Finding("JSN007", file=name, line=lines.line(at), pointer="/" + escape_pointer(other),
                              params={"key": other, "taken": key, "records": len(doc[other])})
        base, records = "/" + escape_pointer(key), doc[key]
        starts = _array_starts(text, _member_start(text, start, key, decoder), decoder)
    else:
        yield Finding("JSN005", file=name, line=1, pointer="")
        return

    header: list[str] = []
    seen: set[str] = set()
    for r in records:
        if isinstance(r, dict):
            for k in r:
                if k not in seen:
                    seen.add(k)
                    header.append(k)
    source.header = header
    source.header_line = lines.line(starts[0]) if starts else 1
    stats.records = len(records)
    stats.lines = len(lines.breaks) + 1
    if not records:
        yield Finding("JSN006", file=name, line=1, pointer=base or "")
        return

    rows: list[list[str]] = []
    recs: list[int] = []
    rec_lines: list[int] = []
    locs: list[str] = []
    for i, r in enumerate(records):
        pointer = "" if base is None else f"{base}/{i}"
        line = lines.line(starts[i])
        if not isinstance(r, dict):
            yield Finding("JSN003", file=name, record=i + 1, line=line, pointer=pointer,
                          params={"found": type(r).__name__})
            continue
        for k in getattr(r, "dups", ()):
            yield Finding("JSN004", file=name, record=i + 1, line=line, pointer=f"{pointer}/{escape_pointer(k)}",
                          params={"key": k})
        row: list[str] = []
        for k in header:
            v = r.get(k)
            if v is None:
                row.append("")
            elif isinstance(v, _Num):
                yield Finding("JSN002", file=name, record=i + 1, line=line, pointer=f"{pointer}/{escape_pointer(k)}",
                              params={"key": k, "found": "number"})
                row.append(str(v))  # its text, so the field checks judge it once
            elif isinstance(v, str):
                row.append(v)
            else:
                kind = "object" if isinstance(v, dict) else "array" if isinstance(v, list) else type(v).__name__
                yield Finding("JSN002", file=name, record=i + 1, line=line, pointer=f"{pointer}/{escape_pointer(k)}",
                              params={"key": k, "found": kind})
                row.append("")  # a structure or a boolean is unusable as a value
        rows.append(row)
        recs.append(i + 1)
        rec_lines.append(line)
        locs.append(pointer)
        if len(rows) == CHUNK_ROWS:
            yield _chunk(rows, recs, rec_lines, locs)
            rows, recs, rec_lines, locs = [], [], [], []
    if rows:
        yield _chunk(rows, recs, rec_lines, locs)


def _chunk(rows: list[list[str]], recs: list[int], lines: list[int], locs: list[str]) -> Chunk:
    return Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
