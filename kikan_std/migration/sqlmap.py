"""A legacy mapping applied inside DuckDB: one SQL ``SELECT`` over the raw CSV instead of a Python loop.

:meth:`Mapping.row_function` is the reference (one legacy row in, standard values out); this module
builds the same transforms as column expressions so that DuckDB reads the legacy extract once and maps
it in parallel, out of core. Every transform is exact, not an approximation of the Python one:

* trim → ``trim(x, ' \\u3000\\t')``; width folding → a Python function DuckDB calls per value, built from
  the same tables (the half-width kana + (半)濁点 pairs NFKC composes, then one ``str.translate``), which
  is four times faster than DuckDB's ``translate`` with a table this long;
* zero_pad → ``lpad`` when the value is made of characters ``str.isdigit`` accepts (a class built from
  Python's own table) and shorter than the width (``lpad`` would cut a longer value);
* date ``wareki7`` / ``yyyymmdd`` → ``substr`` arithmetic with a lookup of the eras' first years and a
  ``try_cast(… AS DATE)`` validity check; non-ASCII digits, ``wareki`` text and ``%``-formats fall back to
  the Python functions as DuckDB UDFs, called only for the values that need them;
* code maps → ``CASE``; exclusions → a flag column filtered by a view; the key table → a join.

``tests/test_migration_sqlmap.py`` checks row for row that both give the same mapped values.
"""

from __future__ import annotations

import csv
import re
import sys
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kikan_std.jp.wareki import era_by_code
from kikan_std.migration.mapping import (
    Mapping,
    Transform,
    _date_parser,
    _wareki7,
    _wareki_text,
)

__all__ = ["MappedSelect", "mapped_select"]


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


@cache
def _digit_class() -> str:
    """An RE2 class of every character for which ``str.isdigit()`` is true (what zfill/isdigit test)."""
    ranges: list[tuple[int, int]] = []
    for c in range(sys.maxunicode + 1):
        if chr(c).isdigit():
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1] = (ranges[-1][0], c)
            else:
                ranges.append((c, c))
    return "[" + "".join(f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


@cache
def _full_width_tables() -> tuple[list[tuple[str, str]], str, str]:
    """(pairs NFKC composes, single characters, their images) of ``_to_full``."""
    halves = [chr(c) for c in range(0xFF61, 0xFFA0)]
    pairs = []
    for h in halves:
        for mark in ("\uff9e", "\uff9f"):
            f = unicodedata.normalize("NFKC", h + mark)
            if len(f) == 1:
                pairs.append((h + mark, f))
    src, dst = [], []
    for h in halves:
        f = unicodedata.normalize("NFKC", h)
        if len(f) != 1:  # not expected in Unicode's table; would need a replace
            raise RuntimeError(f"half-width {h!r} folds to {len(f)} characters")
        src.append(h)
        dst.append(f)
    for c in range(0x21, 0x7F):
        src.append(chr(c))
        dst.append(chr(c + 0xFEE0))
    src.append(" ")
    dst.append("\u3000")
    return pairs, "".join(src), "".join(dst)


@cache
def _full_tools() -> tuple[re.Pattern[str], dict[str, str], dict[int, int]]:
    pairs, src, dst = _full_width_tables()
    return re.compile("|".join(re.escape(a) for a, _ in pairs)), dict(pairs), str.maketrans(src, dst)


def _full_fast(v: str) -> str:
    """``_to_full`` without per-run NFKC: composed pairs first, then one ``str.translate`` (tested equal)."""
    pairs, composed, table = _full_tools()
    if "\uff9e" in v or "\uff9f" in v:
        v = pairs.sub(lambda m: composed[m.group()], v)
    return v.translate(table)


_HALF_TABLE = {**{c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def _half_fast(v: str) -> str:
    """``_to_half`` as one ``str.translate`` (tested equal)."""
    return v.translate(_HALF_TABLE)


@cache
def _era_years() -> dict[str, int]:
    out: dict[str, int] = {}
    for d in "0123456789":
        try:
            out[d] = era_by_code(d).start.year
        except (KeyError, ValueError):
            continue
    return out


def _wareki7_sql(x: str) -> str:
    eras = _era_years()
    start = "CASE substr({x}, 1, 1) " + " ".join(f"WHEN '{d}' THEN {y}" for d, y in eras.items()) + " END"
    year = f"lpad(CAST(({start.format(x=x)}) + CAST(substr({x}, 2, 2) AS INTEGER) - 1 AS VARCHAR), 4, '0')"
    iso = f"{year} || '-' || substr({x}, 4, 2) || '-' || substr({x}, 6, 2)"
    codes = "".join(eras)
    return (
        f"CASE WHEN regexp_full_match({x}, '[{codes}][0-9]{{6}}') THEN (CASE "
        f"WHEN substr({x}, 4, 2) = '00' THEN {year} || '-00-00' "
        f"WHEN substr({x}, 6, 2) = '00' THEN {year} || '-' || substr({x}, 4, 2) || '-00' "
        f"WHEN try_cast({iso} AS DATE) IS NOT NULL THEN {iso} ELSE {x} END) "
        f"WHEN regexp_full_match({x}, '[0-9]{{7}}') THEN {x} "  # an unknown 年号コード: left as it is
        f"WHEN length({x}) = 7 AND regexp_full_match({x}, '{_digit_class()}+') THEN kk_wareki7({x}) "
        f"ELSE {x} END"
    )


def _yyyymmdd_sql(x: str) -> str:
    return (f"CASE WHEN length({x}) = 8 AND regexp_full_match({x}, '{_digit_class()}+') "
            f"THEN substr({x}, 1, 4) || '-' || substr({x}, 5, 2) || '-' || substr({x}, 7, 2) ELSE {x} END")


_TRIM = " \u3000\t"
_V = "\x01v\x01"
"""Placeholder of a step's input in its SQL template."""


def _transform_steps(t: Transform, udfs: set[str], formats: dict[str, str]) -> list[str]:
    """``t`` as SQL templates over ``{v}`` (``_V``, a non-NULL value), one per step, in the order of the Python transform.

    Each step becomes its own projection layer, so that a step naming its input several times does not
    copy the expressions of the steps before it.
    """
    steps: list[str] = []
    if t.trim:
        steps.append(f"trim({_V}, {_lit(_TRIM)})")
    # Width folding runs as a Python function: DuckDB's translate() with a 158-character table costs
    # about 7 µs a value, four times a str.translate called from DuckDB (measured on 1,000,000 values).
    if t.width == "full":
        udfs.add("kk_full")
        steps.append(f"kk_full({_V})")
    elif t.width == "half":
        udfs.add("kk_half")
        steps.append(f"kk_half({_V})")
    if t.zero_pad:
        n = t.zero_pad
        steps.append(f"CASE WHEN length({_V}) < {n} AND regexp_full_match({_V}, '{_digit_class()}+') "
                     f"THEN lpad({_V}, {n}, '0') ELSE {_V} END")
    if t.date == "wareki7":
        udfs.add("kk_wareki7")
        steps.append(_wareki7_sql(_V))
    elif t.date == "yyyymmdd":
        steps.append(_yyyymmdd_sql(_V))
    elif t.date == "wareki":
        udfs.add("kk_wareki")
        steps.append(f"kk_wareki({_V})")
    elif t.date is not None:
        name = formats.setdefault(t.date, f"kk_date{len(formats)}")
        udfs.add(name)
        steps.append(f"{name}({_V})")
    return steps


@dataclass
class MappedSelect:
    """A mapped load in SQL: per target column its source ``h{i}`` (or none) and its steps, the exclusion, the keys."""

    sources: list[int]
    steps: list[list[str]]
    exclude: str | None
    key_join: tuple[int, dict[str, str]] | None
    udfs: set[str]
    formats: dict[str, str]

    def sql(self, source: str, keys_table: str | None = None) -> str:
        """``SELECT c0 … cN, kk_x`` (the exclusion flag) from ``source`` (a ``FROM`` item with ``h{i}`` columns)."""
        layer = ", ".join(f"h{p} AS v{i}" if p >= 0 else f"NULL::VARCHAR AS v{i}" for i, p in enumerate(self.sources))
        sql = f"SELECT {layer}, {self.exclude or 'false'} AS kk_x FROM {source}"
        for k in range(max((len(s) for s in self.steps), default=0)):
            exprs = [(st[k].replace(_V, f"v{i}") if k < len(st) else f"v{i}") + f" AS v{i}"
                     for i, st in enumerate(self.steps)]
            sql = f"SELECT {', '.join(exprs)}, kk_x FROM ({sql})"
        out = [f"nullif(v{i}, '') AS c{i}" for i in range(len(self.sources))]
        if self.key_join is not None and keys_table is not None:
            k = self.key_join[0]
            out[k] = f"nullif(coalesce(kk_k.n, v{k}), '') AS c{k}"
            return (f"SELECT {', '.join(out)}, kk_x FROM ({sql}) m "
                    f"LEFT JOIN {keys_table} kk_k ON kk_k.o = coalesce(m.v{k}, '')")
        return f"SELECT {', '.join(out)}, kk_x FROM ({sql})"


def mapped_select(mapping: Mapping, header: list[str], items: list[str]) -> MappedSelect:
    """The SQL that gives, for each of ``items``, what :meth:`Mapping.row_function` gives.

    Raises:
        InputError: a mapped legacy column is missing from the header.
    """
    udfs: set[str] = set()
    formats: dict[str, str] = {}
    sources: list[int] = []
    steps: list[list[str]] = []
    excl: list[str] = []
    for pos, t, codes, exclude in mapping.plan(header, items):
        sources.append(pos)
        st: list[str] = []
        if pos >= 0:
            if exclude:
                excl.append(f"coalesce(h{pos}, '') IN ({', '.join(_lit(v) for v in sorted(exclude))})")
            if t is not None:
                st = _transform_steps(t, udfs, formats)
            if codes:
                st.append(f"CASE coalesce({_V}, '') " + " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}"
                                                               for k, v in codes.items()) + f" ELSE {_V} END")
        steps.append(st)
    key_join = None
    if mapping.keys is not None and mapping.keys.item in items:
        kmap = mapping.key_map()
        if kmap:
            key_join = (items.index(mapping.keys.item), kmap)
    return MappedSelect(sources, steps, " OR ".join(excl) or None, key_join, udfs, formats)


def register(con: Any, sel: MappedSelect) -> None:
    """Register the Python fallbacks the select needs (once per connection)."""
    have = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions() WHERE function_name LIKE 'kk_%'"
                                      ).fetchall()}
    fns: dict[str, Any] = {"kk_wareki7": _wareki7, "kk_wareki": _wareki_text, "kk_full": _full_fast,
                           "kk_half": _half_fast}
    fns.update({name: _date_parser(fmt, "") for fmt, name in sel.formats.items()})
    for name in sorted(sel.udfs - have):
        con.create_function(name, fns[name], ["VARCHAR"], "VARCHAR", side_effects=False)


def write_key_table(con: Any, tmp: Path, table: str, kmap: dict[str, str]) -> str:
    """The key table as a DuckDB table ``{table}_keys(o, n)``; return its name."""
    path = tmp / f"{table}_keys.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["o", "n"])
        w.writerows(kmap.items())
    name = f"{table}_keys"
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, header=true, auto_detect=false, "
                "columns={'o': 'VARCHAR', 'n': 'VARCHAR'}, delim=',', quote='\"', escape='\"', "
                "allow_quoted_nulls=false)", [str(path)])
    path.unlink()
    return name
