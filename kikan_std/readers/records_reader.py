"""Records already in memory (dicts or pydantic models) → chunks, as a JSON array of objects would read.

The in-memory twin of :func:`~kikan_std.readers.json_reader.iter_json`: records are taken one by one
from any iterable (a generator streams: memory stays bounded by one chunk), keyed by romaji, official
item name or alias. The header is the group's items (romaji), so an absent key is a blank value;
an unknown key is reported once (CSV003, as for an unknown JSON key), a value that is not a string
like a JSON value that is not one (JSN002: a number keeps its text, a structure is unusable).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from kikan_std.findings import Finding
from kikan_std.model.spec import Group
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource


def _as_mapping(record: Any) -> Mapping[str, Any] | None:
    if isinstance(record, Mapping):
        return record
    dump = getattr(record, "model_dump", None)  # a pydantic model: its official names
    if callable(dump):
        out = dump(by_alias=True)
        return out if isinstance(out, Mapping) else None
    return None


def iter_records(source: CsvSource, records: Iterable[Any], group: Group) -> Iterator[Chunk | Finding]:
    """Read ``records`` of ``group``; set ``source.header`` and yield chunks and findings in order."""
    name = source.display_name
    header = [it.romaji or it.name for it in group.items]
    source.header = header
    source.header_line = 1
    source.group_hint = group.name
    stats = source.stats
    column: dict[str, int] = {}
    for pos, it in enumerate(group.items):
        for key in (it.romaji, it.name, *it.aliases):
            if key:
                column.setdefault(key, pos)
    unknown: set[str] = set()
    width = len(header)
    rows: list[list[str]] = []
    recs: list[int] = []
    locs: list[str] = []
    n = 0
    for n, raw in enumerate(records, start=1):
        stats.records = n
        pointer = f"/{n - 1}"
        r = _as_mapping(raw)
        if r is None:
            yield Finding("JSN003", file=name, record=n, pointer=pointer, params={"found": type(raw).__name__})
            continue
        row = [""] * width
        for k, v in r.items():
            col = column.get(k)
            if col is None:
                if k not in unknown:
                    unknown.add(k)
                    yield Finding("CSV003", file=name, params={"column": k, "position": "-", "suggestion": "-"})
                continue
            if v is None:
                continue
            if isinstance(v, str):
                row[col] = v
                continue
            kind = "object" if isinstance(v, dict) else "array" if isinstance(v, list) else type(v).__name__
            yield Finding("JSN002", file=name, record=n, pointer=f"{pointer}/{k}", params={"key": k, "found": kind})
            if isinstance(v, int | float) and not isinstance(v, bool):
                row[col] = json.dumps(v)
        rows.append(row)
        recs.append(n)
        locs.append(pointer)
        if len(rows) == CHUNK_ROWS:
            yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, recs, locs)
            rows, recs, locs = [], [], []
    if rows:
        yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, recs, locs)
    if n == 0:
        yield Finding("JSN006", file=name, line=1, pointer="")
