"""The comparison cut into pieces that run anywhere: the tasks :func:`kikan_std.dask.compare` sends to workers.

Nothing here needs Dask; every task is a plain function of picklable values (Parquet bytes between them):

1. :func:`load_chunk` reads one byte range of a file (its header in front) with the same
   :func:`~kikan_std.migration._db.load` as one process — the mapping's transforms and key table
   included — and splits the rows by a hash of the record key into ``n`` pieces. A key lands in
   the same partition on both sides (DuckDB's ``hash`` has no seed).
2. :func:`compare_partition` runs the one-process comparison SQL (:func:`~kikan_std.migration.compare.compare_partial`)
   on one partition of both sides and gives its additive :class:`~kikan_std.migration.compare.Partial`,
   plus the distinct (household before, household after) pairs of its matched records, split again by
   a hash of each side's household number.
3. :func:`household_bucket` counts, over one bucket of household pairs from every partition, the
   households that became several (or several that became one) and how many there were.

:func:`plan_chunks` says where a file may be cut: at line starts with an even number of quote bytes
before them (:func:`kikan_std.engine.parallel.plan_parts`). A cut inside a quoted field leaves the
range before it inside an open quote, which DuckDB's strict reading refuses; the caller then reads
that file whole, so a wrong cut never changes a result. Files read leniently (a legacy extract
through a mapping, or one transcoded from another encoding) are cut only when they hold no quote
byte at all, because lenient reading would not refuse.

Every task works on a bounded piece (a range of at most :data:`CHUNK_BYTES`, a partition of about
:data:`kikan_std.dask.PARTITION_BYTES`), so its DuckDB tables are in memory (spilling past the limit)
and a partition is compared on views of its Parquet pieces: writing compressed tables to disk cost
about a quarter of a range's time, and copying the pieces into tables more than the comparison.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from pathlib import Path
from typing import Any

from kikan_std.engine.parallel import plan_parts
from kikan_std.errors import KikanStdError
from kikan_std.migration._db import Column, Loaded, connect, load, read_encoding
from kikan_std.migration.compare import Partial, compare_partial, register_functions
from kikan_std.migration.mapping import ExtraItem, Mapping
from kikan_std.migration.profile import HOUSEHOLD_ITEM
from kikan_std.model.spec import Group

__all__ = ["ChunkOut", "compare_partition", "household_bucket", "load_chunk", "plan_chunks"]

CHUNK_BYTES = 64 << 20
"""A file is cut into ranges of at most about this size (and at least one per worker thread)."""

Range = tuple[int, int, int] | None
"""(header end, start, end) of a byte range, or None: the whole file."""


def _quotes(path: Path) -> int:
    n = 0
    with path.open("rb") as f:
        while b := f.read(1 << 22):
            n += b.count(b'"')
    return n


def plan_chunks(path: str | Path, encoding: str, lenient: bool, threads: int) -> list[Range]:
    """The byte ranges ``path`` is read in: ``[None]`` (whole) when it is small or cannot be cut safely.

    ``lenient``: the file is read leniently (through a mapping, or in an encoding other than UTF-8).
    """
    p = Path(path)
    if lenient and _quotes(p):
        # Lenient reading (null padding, no strict quotes) would not refuse a wrong cut: only files
        # without quotes, whose every line end ends a record, are cut.
        return [None]
    enc = read_encoding(encoding)
    jobs = max(threads, math.ceil(p.stat().st_size / CHUNK_BYTES))
    try:
        plan = plan_parts(p, "utf-8" if enc == "utf-8-sig" else enc, jobs)
    except KikanStdError:  # an encoding the cutter does not know: read whole, as one process does
        return [None]
    if plan is None:
        return [None]
    header_end, cuts = plan
    return [(header_end, s, e) for s, e in itertools.pairwise(cuts)]


ChunkOut = list[Any]
"""What :func:`load_chunk` returns: ``[records, excluded, piece 0, …, piece n-1]``; a piece is a Parquet file's bytes."""


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _parquet(con: Any, sql: str, path: Path) -> bytes:
    """The rows of ``sql`` as the bytes of a Parquet file (compact to move; DuckDB reads only the columns a query needs)."""
    con.execute(f"COPY ({sql}) TO {_lit(str(path))} (FORMAT parquet)")
    data = path.read_bytes()
    path.unlink()
    return data


def _view(con: Any, tmp: Path, name: str, pieces: list[bytes]) -> int:
    """A view ``name`` over Parquet pieces (written to ``tmp``); return its rows."""
    files = []
    for i, data in enumerate(pieces):
        f = tmp / f"{name}{i}.parquet"
        f.write_bytes(data)
        files.append(str(f))
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet([{', '.join(_lit(f) for f in files)}])")
    return int(con.execute(f"SELECT count(*) FROM {name}").fetchone()[0])


def load_chunk(path: str, rng: Range, group: Group, encoding: str, mapping: Mapping | None,
               extras: dict[str, ExtraItem] | None, key: list[str], n: int) -> ChunkOut:
    """Read one range of ``path`` as one process reads the whole file, and split its rows by key hash into ``n``.

    Raises:
        InputError: what :func:`~kikan_std.migration._db.load` raises for this range (the caller then
            reads the whole file, which raises what one process raises).
    """
    with tempfile.TemporaryDirectory(prefix="kikan-std-chunk-") as d, connect(in_memory=True) as (con, tmp):
        src = Path(path)
        if rng is not None:
            header_end, start, end = rng
            src = Path(d) / "chunk.csv"
            with Path(path).open("rb") as f, src.open("wb") as o:
                o.write(f.read(header_end))
                f.seek(start)
                left = end - start
                while left > 0 and (b := f.read(min(1 << 22, left))):
                    o.write(b)
                    left -= len(b)
        loaded = load(con, tmp, "t", src, group=group, encoding=encoding, mapping=mapping, extras=extras)
        if rng is not None:
            src.unlink()
        idx = loaded.index()
        keys = ", ".join(f"c{idx[k]}" for k in key)
        names = ", ".join(f"c{i}" for i in range(len(loaded.columns)))
        # One pass per partition: DuckDB's PARTITION_BY copy was many times slower with few partitions.
        pieces = [_parquet(con, f"SELECT {names} FROM t WHERE CAST(hash({keys}) % {n} AS INTEGER) = {p}",
                           Path(d) / "piece.parquet") for p in range(n)]
    return [loaded.records, loaded.excluded, *pieces]


def compare_partition(b_pieces: list[bytes], a_pieces: list[bytes], b_columns: list[Column], a_columns: list[Column],
                      key: list[str], show_values: bool, buckets: int) -> list[Any]:
    """One key partition of both sides: ``[partial, pairs by before household…, pairs by after household…]``.

    The pairs are Parquet pieces ``(h, o)``: the bucket's household number on one side and the other
    side's for the same person (``buckets`` of each; none when there is no household item).
    """
    with connect(in_memory=True) as (con, tmp):
        register_functions(con)
        b = Loaded("b", "", b_columns, records=_view(con, tmp, "b", b_pieces))
        a = Loaded("a", "", a_columns, records=_view(con, tmp, "a", a_pieces))
        part: Partial = compare_partial(con, b, a, key, show_values, households=False)
        bi, ai = b.index(), a.index()
        if HOUSEHOLD_ITEM not in bi or HOUSEHOLD_ITEM not in ai:
            return [part]
        on = " AND ".join(f"b.c{bi[k]} = a.c{ai[k]}" for k in key)
        hb, ha = f"b.c{bi[HOUSEHOLD_ITEM]}", f"a.c{ai[HOUSEHOLD_ITEM]}"
        con.execute(f"CREATE TABLE hh AS SELECT DISTINCT {hb} AS hb, {ha} AS ha FROM bd b JOIN ad a ON {on}")
        out: list[Any] = [part]
        for mine, theirs in (("hb", "ha"), ("ha", "hb")):
            for m in range(buckets):
                out.append(_parquet(con, f"SELECT {mine} AS h, {theirs} AS o FROM hh "
                                         f"WHERE CAST(hash({mine}) % {buckets} AS INTEGER) = {m}", tmp / "hh.parquet"))
    return out


def household_bucket(pieces: list[bytes]) -> tuple[int, int]:
    """(households of this bucket whose people hold several numbers on the other side, households of this bucket)."""
    with connect(in_memory=True) as (con, tmp):
        _view(con, tmp, "p", pieces)
        many, total = con.execute(
            "SELECT count(*) FILTER (WHERE n > 1), count(*) FROM "
            "(SELECT h, count(DISTINCT o) AS n FROM p WHERE h IS NOT NULL GROUP BY 1)"
        ).fetchone()
    return int(many), int(total)
