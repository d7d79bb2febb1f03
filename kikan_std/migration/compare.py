"""``kikan-std compare``: what changed between two extracts of the same data.

BEFORE is a legacy extract read through a mapping, or delivery v1 of a spec; AFTER is the standard
export, or delivery v2. Records are matched by the group's primary key (after the mapping's key
table). Reported, each with ``kind``, ``item``, ``count``, ``rate`` and examples (record keys):

* records missing / added;
* per item, records whose value changed, by kind where it can be told (:data:`RECORD_KINDS`);
* distribution shifts over whole files or over the matched records (:data:`DISTRIBUTION_KINDS`).

Verdict: a difference is ``expected`` when an active entry of the expected-differences file covers
it, ``within_tolerance`` when its rate is at most the tolerance for its kind, else ``unexplained``;
the comparison is valid (exit 0) when nothing is unexplained.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kikan_std.errors import InputError, UsageError
from kikan_std.jp.chars import describe
from kikan_std.migration._db import Column, Loaded, connect, load, pick_group
from kikan_std.migration.mapping import KeyMap, Mapping, MappingHead, check_mapping, load_mapping
from kikan_std.migration.model import CompareReport, Difference, Example, Side
from kikan_std.migration.profile import HOUSEHOLD_ITEM, UNKNOWN_DATE_SQL
from kikan_std.model.spec import Spec
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.render import mask_value
from kikan_std.specs import load_spec

__all__ = [
    "DEFAULT_TOLERANCE",
    "DISTRIBUTION_KINDS",
    "RECORD_KINDS",
    "ExpectedDifference",
    "ExpectedDifferences",
    "compare",
    "parse_tolerance",
]

RECORD_KINDS = (
    "records_missing", "records_added", "column_missing", "column_added",
    "filled_to_blank", "blank_to_filled", "became_unknown", "truncated", "leading_zeros_lost", "width_changed",
    "degraded_geta", "degraded_shrink", "date_shifted_day", "date_shifted_year", "code_remapped", "changed",
    "sum_changed", "households_changed",
)
"""Kinds counted in records: reported whenever the count is not 0 (default tolerance 0)."""

DISTRIBUTION_KINDS = ("fill_rate_dropped", "unknown_rate_rose", "code_share_changed")
"""Kinds measured as shifts of rates over whole files: reported only beyond their tolerance."""

DEFAULT_TOLERANCE: dict[str, float] = {"*": 0.0, **{k: 0.005 for k in DISTRIBUTION_KINDS}}
"""Record kinds: 0 (any affected record counts). Distribution shifts: 0.5 percentage points, so that
the few records a legitimate difference touches do not also show up as a shift of every rate."""

EXAMPLES = 5
JOIN_BATCH = 16
"""Columns compared per pass over the join (bounded memory: keys + 2 × 16 columns per matched record)."""


class ExpectedDifference(BaseModel):
    """One entry of the expected-differences file (differences by design)."""

    model_config = ConfigDict(extra="forbid")
    item: str = Field(description="item name, or * for record-level kinds")
    kind: str = "*"
    reason: str = Field(min_length=1)
    owner: str = ""
    expires: _dt.date

    def covers(self, d: Difference) -> bool:
        return (self.item == "*" or self.item == d.item) and (self.kind == "*" or self.kind == d.kind)


class ExpectedDifferences(BaseModel):
    """The expected-differences file::

        [[expected]]
        item = "転入前住所_郵便番号"
        kind = "filled_to_blank"      # optional, default any kind
        reason = "旧システムに転入前住所の郵便番号がない（移行方針 3.2）"
        owner = "住民課"               # optional
        expires = 2027-03-31           # the entry applies up to this day
    """

    model_config = ConfigDict(extra="forbid")
    expected: list[ExpectedDifference] = Field(default_factory=list)

    @classmethod
    def load(cls, path: str | Path) -> ExpectedDifferences:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
            return cls.model_validate(data)
        except FileNotFoundError:
            raise InputError(f"想定差異ファイルがありません / expected-differences file not found: {p}") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise InputError(f"想定差異ファイルを読めません / cannot read {p}: {e}") from None
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise InputError(f"想定差異ファイルの内容が正しくありません / invalid {p}: {where}: {first['msg']}") from None


def parse_tolerance(values: list[str] | None) -> dict[str, float]:
    """``["0.01", "fill_rate_dropped=0.02"]`` → tolerance per kind (``*`` = every record kind).

    Raises:
        UsageError: an unknown kind or a rate outside 0–1.
    """
    out = dict(DEFAULT_TOLERANCE)
    for v in values or []:
        kind, _, rate = v.rpartition("=")
        kind = kind or "*"
        if kind != "*" and kind not in RECORD_KINDS + DISTRIBUTION_KINDS:
            raise UsageError(f"--tolerance: 差異の種類が不明です / unknown difference kind: {kind}")
        try:
            r = float(rate)
        except ValueError:
            raise UsageError(f"--tolerance: 0〜1 の数で指定してください / must be a rate 0–1: {v}") from None
        if not 0.0 <= r <= 1.0:
            raise UsageError(f"--tolerance: 0〜1 の数で指定してください / must be a rate 0–1: {v}")
        out[kind] = r
    return out


def _fold(v: str | None) -> str | None:
    """Width-folded form (NFKC, full-width space as space): equal when only the width differs."""
    return None if v is None else unicodedata.normalize("NFKC", v)


def _shrunk(b: str | None, a: str | None) -> bool:
    """``a`` is ``b`` with characters replaced by their 縮退 (MJ shrink) forms."""
    if b is None or a is None or len(b) != len(a) or b == a:
        return False
    for x, y in zip(b, a, strict=True):
        if x != y:
            info = describe(x)
            if not info or y not in info[0].shrink:
                return False
    return True


def _kind_sql(b: str, a: str, col: Column) -> str:
    unknown_a, unknown_b = UNKNOWN_DATE_SQL.format(c=a), UNKNOWN_DATE_SQL.format(c=b)
    parts = [
        f"WHEN {b} IS NULL THEN 'blank_to_filled'",
        f"WHEN {a} IS NULL THEN 'filled_to_blank'",
    ]
    if col.is_date:
        parts.append(f"WHEN {unknown_a} AND NOT {unknown_b} THEN 'became_unknown'")
    parts += [
        f"WHEN starts_with({b}, {a}) THEN 'truncated'",
        f"WHEN {b} LIKE '0%' AND ltrim({b}, '0') = {a} THEN 'leading_zeros_lost'",
        f"WHEN kk_fold({b}) = kk_fold({a}) THEN 'width_changed'",
        f"WHEN {a} LIKE '%〓%' AND {b} NOT LIKE '%〓%' THEN 'degraded_geta'",
    ]
    if col.item is not None and col.item.type.value in ("Ｎ", "N"):
        parts.append(f"WHEN kk_shrunk({b}, {a}) THEN 'degraded_shrink'")
    if col.is_date:
        db, da = f"try_cast({b} AS DATE)", f"try_cast({a} AS DATE)"
        parts += [
            f"WHEN {db} IS NOT NULL AND {da} IS NOT NULL AND abs(date_diff('day', {db}, {da})) = 1 "
            "THEN 'date_shifted_day'",
            f"WHEN {db} IS NOT NULL AND {da} IS NOT NULL AND abs(year({db}) - year({da})) = 1 "
            f"AND strftime({db}, '%m-%d') = strftime({da}, '%m-%d') THEN 'date_shifted_year'",
        ]
    if col.is_code:
        parts.append("WHEN true THEN 'code_remapped'")
    return "CASE " + " ".join(parts) + " ELSE 'changed' END"


def _spec(spec: str | Spec) -> Spec:
    return spec if isinstance(spec, Spec) else load_spec(spec)


def compare(
    before: str | Path,
    after: str | Path,
    spec: str | Spec,
    *,
    group: str | None = None,
    mapping: str | Path | Mapping | None = None,
    before_encoding: str = "utf-8",
    after_encoding: str = "utf-8",
    key_map: str | Path | None = None,
    expected: str | Path | ExpectedDifferences | None = None,
    tolerance: dict[str, float] | None = None,
    show_values: bool = False,
    mask_key: bytes = DEFAULT_MASK_KEY,
    today: _dt.date | None = None,
) -> CompareReport:
    """Compare two extracts of the same data.

    Args:
        before: the legacy extract (with ``mapping``) or delivery v1.
        after: the standard export or delivery v2.
        spec: spec id or :class:`~kikan_std.Spec`.
        group: the spec's group (default: the mapping's, else the first).
        mapping: legacy mapping applied to ``before`` (its encoding wins over ``before_encoding``).
        before_encoding: encoding of ``before`` without a mapping.
        after_encoding: encoding of ``after``.
        key_map: a CSV (legacy key, standard key) for the first key item, when there is no mapping.
        expected: expected differences (TOML file or loaded).
        tolerance: rate per difference kind (see :func:`parse_tolerance`); defaults :data:`DEFAULT_TOLERANCE`.
        show_values: put before/after values in the examples (personal ones too).
        mask_key: key of the masking hashes for personal key values.
        today: the day expiry is judged against (tests).

    Raises:
        kikan_std.InputError: a file cannot be read, or the key items are missing.
        kikan_std.errors.UsageError: DuckDB is not installed, or a bad option.
    """
    sp = _spec(spec)
    mp = load_mapping(mapping) if isinstance(mapping, str | Path) else mapping
    g = pick_group(sp, group or (mp.mapping.group if mp else None))
    key = list(g.primary_key)
    if not key:
        raise UsageError(f"{g.name} に主キーがなく、レコードを対応づけられません / the group has no primary key")
    if mp is not None:
        check_mapping(mp, sp, g)
        before_encoding = mp.mapping.encoding
    if key_map is not None:
        km = KeyMap(item=key[0], file=str(Path(key_map).resolve()))
        if mp is None:
            mp = Mapping(mapping=MappingHead(spec=sp.id, encoding=before_encoding), keys=km)
        else:
            mp = mp.model_copy(update={"keys": km})
    exp = ExpectedDifferences.load(expected) if isinstance(expected, str | Path) else expected
    tol = dict(DEFAULT_TOLERANCE) if tolerance is None else {**DEFAULT_TOLERANCE, **tolerance}
    extras = mp.extra_items if mp is not None else {}
    with connect() as (con, tmp):
        con.create_function("kk_fold", _fold, ["VARCHAR"], "VARCHAR", side_effects=False)
        con.create_function("kk_shrunk", _shrunk, ["VARCHAR", "VARCHAR"], "BOOLEAN", side_effects=False)
        b = load(con, tmp, "b", before, group=g, encoding=before_encoding, mapping=mp)
        a = load(con, tmp, "a", after, group=g, encoding=after_encoding, extras=extras)
        report = _compare_loaded(con, b, a, sp, g.name, key, tol, show_values, mask_key)
    report.before.mapping = Path(str(mapping)).name if isinstance(mapping, str | Path) else None
    report.expected_file = Path(str(expected)).name if isinstance(expected, str | Path) else None
    _apply_verdict(report, exp, tol, today or _dt.date.today())
    return report


def _compare_loaded(con: Any, b: Loaded, a: Loaded, spec: Spec, group: str, key: list[str],
                    tol: dict[str, float], show_values: bool, mask_key: bytes) -> CompareReport:
    bi, ai = b.index(), a.index()
    for side, idx in (("BEFORE", bi), ("AFTER", ai)):
        missing = [k for k in key if k not in idx]
        if missing:
            raise InputError(f"{side} にキー項目がありません / key items missing from {side}: {', '.join(missing)}")
    kb = [f"c{bi[k]}" for k in key]
    ka = [f"c{ai[k]}" for k in key]
    dup_b = _dedupe(con, "b", kb)
    dup_a = _dedupe(con, "a", ka)
    key_personal = [b.columns[bi[k]].personal for k in key]
    diffs: list[Difference] = []

    def key_of(values: tuple[Any, ...]) -> dict[str, str]:
        return {k: (mask_value(str(v), mask_key) if p and not show_values else str(v))
                for k, v, p in zip(key, values, key_personal, strict=True)}

    on = " AND ".join(f"b.{x} = a.{y}" for x, y in zip(kb, ka, strict=True))
    for kind, left, right, lk in (("records_missing", "bd", "ad", kb), ("records_added", "ad", "bd", ka)):
        cond = on if left == "bd" else " AND ".join(f"a.{y} = b.{x}" for x, y in zip(kb, ka, strict=True))
        alias_l, alias_r = ("b", "a") if left == "bd" else ("a", "b")
        sel = ", ".join(f"{alias_l}.{c}" for c in lk)
        base = f"FROM {left} {alias_l} WHERE NOT EXISTS (SELECT 1 FROM {right} {alias_r} WHERE {cond})"
        n = con.execute(f"SELECT count(*) {base}").fetchone()[0]
        if n:
            ex = con.execute(f"SELECT {sel} {base} ORDER BY {sel} LIMIT {EXAMPLES}").fetchall()
            total = b.records - dup_b if kind == "records_missing" else a.records - dup_a
            diffs.append(Difference(kind=kind, item=None, count=int(n), rate=_rate(int(n), total),  # type: ignore[arg-type]
                                    examples=[Example(key=key_of(r)) for r in ex]))
    common = [c for c in b.columns if c.name in ai]
    for c in b.columns:
        if c.name not in ai:
            diffs.append(Difference(kind="column_missing", item=c.name, count=b.records, rate=1.0))
    for c in a.columns:
        if c.name not in bi:
            diffs.append(Difference(kind="column_added", item=c.name, count=a.records, rate=1.0))
    # Streaming passes over the join count the changed records per column, a batch of columns at a time
    # (a join carrying all 125 columns outgrows the memory limit and spills); only the columns that
    # changed are then materialised with the keys, so the wide join is never stored.
    matched = int(con.execute(f"SELECT count(*) FROM bd b JOIN ad a ON {on}").fetchone()[0])
    changed: list[int] = []
    for start in range(0, len(common), JOIN_BATCH):
        batch = common[start:start + JOIN_BATCH]
        changed += [int(x) for x in con.execute(
            "SELECT " + ", ".join(f"count(*) FILTER (WHERE b.c{bi[c.name]} IS DISTINCT FROM a.c{ai[c.name]})"
                                  for c in batch) + f" FROM bd b JOIN ad a ON {on}"
        ).fetchone()]
    joined = [*(f"b.{x} AS k{i}" for i, x in enumerate(kb))]
    for k, c in enumerate(common):
        if changed[k]:
            joined += [f"b.c{bi[c.name]} AS b{k}", f"a.c{ai[c.name]} AS a{k}"]
    keys_sql = ", ".join(f"k{i}" for i in range(len(key)))
    if any(changed):
        con.execute(f"CREATE TABLE j AS SELECT {', '.join(joined)} FROM bd b JOIN ad a ON {on}")
        for k, c in enumerate(common):
            if not changed[k]:
                continue
            kind_sql = _kind_sql(f"b{k}", f"a{k}", c)
            rows = con.execute(
                f"SELECT kind, count(*) FROM (SELECT {kind_sql} AS kind FROM j WHERE b{k} IS DISTINCT FROM a{k}) "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
            ex_rows = con.execute(
                f"SELECT kind, {keys_sql}, b{k}, a{k} FROM (SELECT {kind_sql} AS kind, * FROM j "
                f"WHERE b{k} IS DISTINCT FROM a{k}) QUALIFY row_number() OVER (PARTITION BY kind ORDER BY {keys_sql}) "
                f"<= {EXAMPLES} ORDER BY {keys_sql}"
            ).fetchall()
            for kind, n in rows:
                ex = [Example(key=key_of(r[1:1 + len(key)]),
                              before=r[-2] if show_values else None, after=r[-1] if show_values else None)
                      for r in ex_rows if r[0] == kind]
                diffs.append(Difference(kind=kind, item=c.name, count=int(n), rate=_rate(int(n), matched), examples=ex))
        for d in _sums(con, common, matched, changed):
            k = next(i for i, c in enumerate(common) if c.name == d.item)
            d.examples = [Example(key=key_of(r[:len(key)]), before=r[-2] if show_values else None,
                                  after=r[-1] if show_values else None)
                          for r in con.execute(f"SELECT {keys_sql}, b{k}, a{k} FROM j WHERE b{k} IS DISTINCT FROM a{k} "
                                               f"ORDER BY {keys_sql} LIMIT {EXAMPLES}").fetchall()]
            diffs.append(d)
        diffs += _households(con, common, matched, changed)
    diffs += _shifts(con, b, a, common, tol)
    return CompareReport(
        spec=spec.id, group=group, key=key,
        before=Side(file=Path(b.path).name, records=b.records, excluded=b.excluded, duplicate_keys=dup_b),
        after=Side(file=Path(a.path).name, records=a.records, duplicate_keys=dup_a),
        matched=matched, items_compared=len(common), verdict="no_difference", valid=True, tolerance=tol,
        differences=diffs, show_values=show_values,
    )


def _rate(n: int, d: int) -> float:
    return round(n / d, 6) if d else 0.0


def _dedupe(con: Any, t: str, keys: list[str]) -> int:
    """A view ``{t}d`` with one row per key (the first); return the rows dropped as duplicates."""
    ks = ", ".join(keys)
    extra = con.execute(f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {t} GROUP BY {ks} HAVING n > 1)"
                        ).fetchone()[0]
    if not extra:  # the usual case: no copy of the table
        con.execute(f"CREATE VIEW {t}d AS SELECT * FROM {t}")
        return 0
    con.execute(f"CREATE TABLE {t}d AS SELECT * FROM {t} QUALIFY row_number() OVER (PARTITION BY {ks}) = 1")
    return int(extra)


def _sums(con: Any, common: list[Column], matched: int, changed: list[int]) -> list[Difference]:
    out: list[Difference] = []
    for k, c in enumerate(common):
        if not c.amount or not changed[k]:  # no record changed: the sums over matched records agree
            continue
        sb, sa, n = con.execute(
            f"SELECT sum(try_cast(b{k} AS DECIMAL(38, 3))), sum(try_cast(a{k} AS DECIMAL(38, 3))), "
            f"count(*) FILTER (WHERE b{k} IS DISTINCT FROM a{k}) FROM j"
        ).fetchone()
        if sb != sa:
            delta = (sa or 0) - (sb or 0)
            out.append(Difference(
                kind="sum_changed", item=c.name, count=int(n), rate=_rate(int(n), matched),
                detail={"sum_before": str(sb), "sum_after": str(sa), "delta": str(delta)},
            ))
    return out


def _households(con: Any, common: list[Column], matched: int, changed: list[int]) -> list[Difference]:
    k = next((i for i, c in enumerate(common) if c.name == HOUSEHOLD_ITEM), None)
    if k is None or not changed[k]:  # nobody's 世帯番号 changed: no split, no merge
        return []
    split = con.execute(
        f"SELECT count(*) FROM (SELECT b{k} FROM j WHERE b{k} IS NOT NULL GROUP BY 1 HAVING count(DISTINCT a{k}) > 1)"
    ).fetchone()[0]
    merged = con.execute(
        f"SELECT count(*) FROM (SELECT a{k} FROM j WHERE a{k} IS NOT NULL GROUP BY 1 HAVING count(DISTINCT b{k}) > 1)"
    ).fetchone()[0]
    if not split and not merged:
        return []
    hb, ha = con.execute(f"SELECT count(DISTINCT b{k}), count(DISTINCT a{k}) FROM j").fetchone()
    return [Difference(kind="households_changed", item=HOUSEHOLD_ITEM, count=int(split + merged),
                       rate=_rate(int(split + merged), int(hb)),
                       detail={"split": int(split), "merged": int(merged), "households_before": int(hb),
                               "households_after": int(ha)})]


def _shifts(con: Any, b: Loaded, a: Loaded, common: list[Column], tol: dict[str, float]) -> list[Difference]:
    """Distribution shifts over whole files: fill rate, 不詳 rate, code shares."""
    if not common or not b.records or not a.records:
        return []
    bi, ai = b.index(), a.index()
    out: list[Difference] = []

    def stats(t: str, idx: dict[str, int]) -> tuple[Any, ...]:
        aggs: list[str] = []
        for c in common:
            x = f"c{idx[c.name]}"
            aggs.append(f"count({x})")
            aggs.append(f"count(*) FILTER (WHERE {UNKNOWN_DATE_SQL.format(c=x)})" if c.is_date else "0")
        return tuple(con.execute(f"SELECT {', '.join(aggs)} FROM {t}").fetchone())

    sb, sa = stats("b", bi), stats("a", ai)
    nb, na = b.records, a.records
    for k, c in enumerate(common):
        fb, fa = sb[2 * k] / nb, sa[2 * k] / na
        if fb - fa > tol.get("fill_rate_dropped", tol["*"]):
            out.append(Difference(kind="fill_rate_dropped", item=c.name, count=max(0, sb[2 * k] - sa[2 * k]),
                                  rate=round(fb - fa, 6), detail={"before": round(fb, 6), "after": round(fa, 6)}))
        ub, ua = sb[2 * k + 1] / nb, sa[2 * k + 1] / na
        if c.is_date and ua - ub > tol.get("unknown_rate_rose", tol["*"]):
            out.append(Difference(kind="unknown_rate_rose", item=c.name, count=max(0, sa[2 * k + 1] - sb[2 * k + 1]),
                                  rate=round(ua - ub, 6), detail={"before": round(ub, 6), "after": round(ua, 6)}))
        if c.is_code and not c.personal:
            xb, xa = f"c{bi[c.name]}", f"c{ai[c.name]}"
            vb = dict(con.execute(f"SELECT {xb}, count(*) FROM b WHERE {xb} IS NOT NULL GROUP BY 1").fetchall())
            va = dict(con.execute(f"SELECT {xa}, count(*) FROM a WHERE {xa} IS NOT NULL GROUP BY 1").fetchall())
            shifts = {v: va.get(v, 0) / na - vb.get(v, 0) / nb for v in set(vb) | set(va)}
            worst = max(shifts.values(), key=abs, default=0.0)
            if abs(worst) > tol.get("code_share_changed", tol["*"]):
                moved = sum(max(0, va.get(v, 0) - vb.get(v, 0)) for v in shifts)
                detail: dict[str, str | int | float | None] = {
                    f"{v}": f"{vb.get(v, 0)}→{va.get(v, 0)}" for v in sorted(shifts) if abs(shifts[v]) > 0.0005
                }
                out.append(Difference(kind="code_share_changed", item=c.name, count=int(moved),
                                      rate=round(abs(worst), 6), detail=detail))
    return out


def _apply_verdict(report: CompareReport, exp: ExpectedDifferences | None, tol: dict[str, float],
                   today: _dt.date) -> None:
    active = [e for e in (exp.expected if exp else []) if e.expires >= today]
    report.expired_expectations = [f"{e.item} {e.kind} (期限 {e.expires})" for e in (exp.expected if exp else [])
                                   if e.expires < today]
    for d in report.differences:
        hit = next((e for e in active if e.covers(d)), None)
        if hit is not None:
            d.status, d.reason = "expected", hit.reason
        elif d.kind not in DISTRIBUTION_KINDS and d.rate <= tol.get(d.kind, tol["*"]) and tol.get(d.kind, tol["*"]) > 0:
            d.status = "within_tolerance"
    unexplained = any(d.status == "unexplained" for d in report.differences)
    report.valid = not unexplained
    report.verdict = "differences" if unexplained else ("explained" if report.differences else "no_difference")
