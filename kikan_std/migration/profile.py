"""``kikan-std profile``: per item fill, blank and 不詳 rates, distinct counts, ranges, lengths, code
distributions, sums of amounts, and households — the auditor's first look at an extract."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kikan_std.migration._db import Loaded, connect, load, pick_group
from kikan_std.migration.mapping import Mapping, check_mapping, load_mapping
from kikan_std.migration.model import CodeCount, Households, ItemProfile, ProfileReport
from kikan_std.model.spec import Spec
from kikan_std.specs import load_spec

__all__ = ["UNKNOWN_DATE_SQL", "profile", "profile_loaded"]

UNKNOWN_DATE_SQL = r"regexp_matches({c}, '^[0-9]{{4}}-(00-[0-9]{{2}}|[0-9]{{2}}-00)$')"
"""SQL test for a 不詳日 value (``YYYY-00-00``, ``YYYY-MM-00``, ``0000-00-00``)."""

HOUSEHOLD_ITEM, PERSON_ITEM, LATEST_ITEM = "世帯番号", "宛名番号", "最新フラグ"


def _spec(spec: str | Spec) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec)


def profile(
    path: str | Path,
    spec: str | Spec,
    *,
    group: str | None = None,
    encoding: str = "utf-8",
    mapping: str | Path | Mapping | None = None,
    show_values: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> ProfileReport:
    """Profile one extract (a standard export, or a legacy extract through ``mapping``).

    Args:
        path: the CSV file.
        spec: spec id or :class:`~kikan_std.Spec`.
        group: the spec's group (default: the mapping's, else the first).
        encoding: the file's encoding (the mapping's ``encoding`` wins for a legacy extract).
        mapping: a legacy mapping (file or loaded) to read a legacy extract as standard items.
        show_values: accepted for symmetry with compare; personal items never get values in a profile.
        progress: called as ``progress("load", 0, 2)`` and ``progress("profile", 1, 2)`` (see
            :data:`kikan_std.migration.compare.Progress`); what it raises stops the profile.

    Raises:
        kikan_std.InputError: the file or mapping cannot be read.
        kikan_std.errors.UsageError: DuckDB is not installed, or the group is unknown.
    """
    sp = _spec(spec)
    mp = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    g = pick_group(sp, group or (mp.mapping.group if mp else None))
    if mp is not None:
        check_mapping(mp, sp, g)
        encoding = mp.mapping.encoding
    with connect() as (con, tmp):
        if progress is not None:
            progress("load", 0, 2)
        src = load(con, tmp, "src", path, group=g, encoding=encoding, mapping=mp)
        if progress is not None:
            progress("profile", 1, 2)
        report = profile_loaded(con, src, sp)
    report.group = g.name
    report.missing_items = [it.name for it in g.items if it.name not in {c.name for c in src.columns}]
    report.mapping = Path(str(mapping)).name if isinstance(mapping, str | Path) else None
    report.show_values = show_values
    return report


def _rate(n: int, d: int) -> float:
    return round(n / d, 6) if d else 0.0


def _num(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def profile_loaded(con: Any, src: Loaded, spec: Spec) -> ProfileReport:
    """Profile a table already loaded (shared by profile and compare)."""
    t, n = src.table, src.records
    aggs: list[str] = []
    for i, col in enumerate(src.columns):
        c = f"c{i}"
        aggs.append(f"count({c})")
        aggs.append("NULL")
        aggs.append(f"count(*) FILTER (WHERE {UNKNOWN_DATE_SQL.format(c=c)})" if col.is_date else "NULL")
        if col.personal or not (col.is_date or col.is_number):
            aggs += ["NULL", "NULL"]
        elif col.is_date:
            known = f"FILTER (WHERE NOT {UNKNOWN_DATE_SQL.format(c=c)})"
            aggs += [f"min({c}) {known}", f"max({c}) {known}"]
        else:
            aggs += [f"min(try_cast({c} AS DOUBLE))", f"max(try_cast({c} AS DOUBLE))"]
        ml = col.max_length
        aggs.append(f"count(*) FILTER (WHERE length({c}) = {ml})" if ml else "NULL")
        aggs.append(f"CAST(sum(try_cast({c} AS DECIMAL(38, 3))) AS VARCHAR)" if col.amount else "NULL")
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {t}").fetchone() if src.columns else ()
    lengths: dict[int, list[tuple[int, int]]] = {}
    distincts: dict[int, int] = {}
    if n:
        # One spillable aggregate: (column, value) → records; distinct counts and lengths come from it.
        con.execute(
            f"CREATE TEMP TABLE {t}_vc AS SELECT CAST(substr(name, 2) AS INTEGER) AS col, value, count(*) AS n "
            f"FROM (UNPIVOT {t} ON COLUMNS(*) INTO NAME name VALUE value) GROUP BY ALL"
        )
        for idx, ln, cnt in con.execute(
            f"SELECT col, length(value), sum(n) FROM {t}_vc GROUP BY ALL ORDER BY 1, 2"
        ).fetchall():
            lengths.setdefault(int(idx), []).append((int(ln), int(cnt)))
        distincts = {int(a): int(b) for a, b in con.execute(f"SELECT col, count(*) FROM {t}_vc GROUP BY 1").fetchall()}
    code_lists = {cl.id: {v.value: v.meaning for v in cl.values} for cl in spec.code_lists}
    items: list[ItemProfile] = []
    categories: list[str] = []
    for i, col in enumerate(src.columns):
        filled, _, unknown, lo, hi, at_max, total = row[i * 7: i * 7 + 7]
        it = col.item
        values = None
        if col.is_code and not col.personal and it is not None and it.code_list is not None:
            meanings = code_lists.get(it.code_list, {})
            values = [
                CodeCount(value=v, meaning=meanings.get(v), count=int(k), rate=_rate(int(k), n))
                for v, k in con.execute(
                    f"SELECT value, n FROM {t}_vc WHERE col = {i} ORDER BY 2 DESC, 1 LIMIT 60"
                ).fetchall()
            ]
            if set(meanings) - {"0", "1"}:
                categories.append(col.name)
        items.append(ItemProfile(
            name=col.name, in_spec=it is not None, personal=col.personal,
            type=it.type.value if it else None, length=it.length if it else None,
            filled=int(filled), blank=n - int(filled), unknown_date=None if unknown is None else int(unknown),
            filled_rate=_rate(int(filled), n), blank_rate=_rate(n - int(filled), n),
            unknown_rate=None if unknown is None else _rate(int(unknown), n),
            distinct=distincts.get(i, 0),
            min=_num(lo), max=_num(hi), max_length=col.max_length,
            at_max_length=None if at_max is None else int(at_max),
            lengths=lengths.get(i, []), values=values, sum=total,
        ))
    return ProfileReport(
        spec=spec.id, group="", file=Path(src.path).name, **src.provenance(), records=n, excluded=src.excluded,
        unknown_columns=src.unknown_columns, items=items, categories=categories,
        households=_households(con, src),
    )


def _households(con: Any, src: Loaded) -> Households | None:
    idx = src.index()
    if HOUSEHOLD_ITEM not in idx:
        return None
    s = f"c{idx[HOUSEHOLD_ITEM]}"
    person = f"c{idx[PERSON_ITEM]}" if PERSON_ITEM in idx else None
    where = f"WHERE {s} IS NOT NULL" + (f" AND c{idx[LATEST_ITEM]} = '1'" if LATEST_ITEM in idx else "")
    count_persons = f"count(DISTINCT {person})" if person else "count(*)"
    households, persons = con.execute(
        f"SELECT count(DISTINCT {s}), {count_persons} FROM {src.table} {where}"
    ).fetchone()
    sizes = con.execute(
        f"SELECT least(n, 10), count(*) FROM (SELECT {s}, {count_persons} AS n FROM {src.table} {where} GROUP BY 1) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return Households(item=HOUSEHOLD_ITEM, households=int(households), persons=int(persons),
                      sizes=[(int(a), int(b)) for a, b in sizes])

