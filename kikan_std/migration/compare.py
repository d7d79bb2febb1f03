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

The counting is additive: :func:`compare_partial` gives a :class:`Partial` of any set of records
whose keys are complete on both sides, and :func:`merge_partials` adds partials up into the report.
One process makes one partial of everything; :func:`kikan_std.dask.compare` one per partition of
keys (:mod:`kikan_std.migration.partition`), so both give the same report.
"""

from __future__ import annotations

import datetime as _dt
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kikan_std.errors import InputError, UsageError
from kikan_std.jp.chars import describe
from kikan_std.migration._db import Column, Loaded, connect, load, pick_group, source_columns
from kikan_std.migration.mapping import ExtraItem, KeyMap, Mapping, MappingHead, check_mapping, load_mapping
from kikan_std.migration.model import CompareReport, Difference, Example, Side
from kikan_std.migration.profile import HOUSEHOLD_ITEM, UNKNOWN_DATE_SQL
from kikan_std.model.spec import Group, Spec
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
Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``, called between the steps of a comparison or a profile: stages
``load_before``, ``load_after``, ``compare`` (done / total column batches), ``kinds`` (done / total changed
columns) and, for a profile, ``load`` and ``profile``. An exception it raises stops the run (the web app's
cancel and time limit) and propagates; the DuckDB files are removed as on any error."""
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


Key = tuple[str | None, ...]
"""The key values of one record (None: a blank key item)."""
Ex = tuple[Key, str | None, str | None]
"""One example: key values, and the values before / after (only with ``show_values``)."""


@dataclass
class HouseholdCounts:
    """Households split (one before, several after) and merged over the matched records, and how many there were."""

    split: int = 0
    merged: int = 0
    before: int = 0
    after: int = 0


@dataclass
class Partial:
    """What the records of one key partition contribute to a comparison; every field adds up over partitions.

    One process computes one partial over all the records; the Dask path one per partition of the
    record keys (a key's records of both sides always fall in the same partition), and
    :func:`merge_partials` turns any number of them into the same report. Examples are each
    partition's smallest keys per difference, so the smallest of the merged are the one process's.
    Households span partitions: their counts come separately (:class:`HouseholdCounts`).
    """

    dup_b: int = 0
    dup_a: int = 0
    missing: int = 0
    missing_ex: list[Key] = field(default_factory=list)
    added: int = 0
    added_ex: list[Key] = field(default_factory=list)
    matched: int = 0
    changed: list[int] = field(default_factory=list)
    """Per common column (the before side's columns the after side has too): matched records whose value differs."""
    kinds: dict[int, dict[str, int]] = field(default_factory=dict)
    kind_ex: dict[int, dict[str, list[Ex]]] = field(default_factory=dict)
    sums: dict[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)
    """Amount columns: the sums before and after over the matched records."""
    sum_ex: dict[int, list[Ex]] = field(default_factory=dict)
    filled_b: list[int] = field(default_factory=list)
    unknown_b: list[int] = field(default_factory=list)
    filled_a: list[int] = field(default_factory=list)
    unknown_a: list[int] = field(default_factory=list)
    codes_b: dict[int, dict[str, int]] = field(default_factory=dict)
    codes_a: dict[int, dict[str, int]] = field(default_factory=dict)
    households: HouseholdCounts | None = None
    """Set only when computed over all the records (one process)."""


@dataclass
class CompareSetup:
    """A comparison's arguments resolved once, by one process and the Dask path alike (:func:`setup_compare`)."""

    spec: Spec
    group: Group
    key: list[str]
    mapping: Mapping | None
    before_encoding: str
    after_encoding: str
    expected: ExpectedDifferences | None
    tolerance: dict[str, float]
    mapping_name: str | None
    expected_name: str | None

    @property
    def extras(self) -> dict[str, ExtraItem]:
        """Columns beyond the spec both sides hold (the mapping's ``[extra_items]``)."""
        return self.mapping.extra_items if self.mapping is not None else {}

    def columns(self, before: str | Path, after: str | Path) -> tuple[list[Column], list[Column]]:
        """The columns of both sides, from their headers alone (before any data is read).

        Raises:
            InputError: a file is missing or unreadable, holds no column of the group, or lacks a key item.
        """
        _, cb, _ = source_columns(before, self.group, self.before_encoding, self.mapping)
        _, ca, _ = source_columns(after, self.group, self.after_encoding, extras=self.extras)
        for side, cols in (("BEFORE", cb), ("AFTER", ca)):
            names = {c.name for c in cols}
            missing = [k for k in self.key if k not in names]
            if missing:
                raise InputError(f"{side} にキー項目がありません / key items missing from {side}: {', '.join(missing)}")
        return cb, ca

    def report(self, b: Loaded, a: Loaded, parts: list[Partial], households: HouseholdCounts | None,
               show_values: bool, mask_key: bytes, today: _dt.date | None) -> CompareReport:
        """The report of the partials, with the verdict."""
        report = merge_partials(self.spec.id, self.group.name, self.key, b, a, parts, households, self.tolerance,
                                show_values, mask_key)
        report.before.mapping = self.mapping_name
        report.expected_file = self.expected_name
        _apply_verdict(report, self.expected, self.tolerance, today or _dt.date.today())
        return report


def setup_compare(
    spec: str | Spec,
    *,
    group: str | None = None,
    mapping: str | Path | Mapping | None = None,
    before_encoding: str = "utf-8",
    after_encoding: str = "utf-8",
    key_map: str | Path | None = None,
    expected: str | Path | ExpectedDifferences | None = None,
    tolerance: dict[str, float] | None = None,
) -> CompareSetup:
    """Resolve :func:`compare`'s arguments (spec, group, key, mapping with its key table, expected, tolerance).

    Raises:
        kikan_std.InputError: the mapping or expected-differences file cannot be read.
        kikan_std.errors.UsageError: an unknown spec or group, a group without a primary key, a bad mapping.
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
    return CompareSetup(
        spec=sp, group=g, key=key, mapping=mp, before_encoding=before_encoding, after_encoding=after_encoding,
        expected=exp, tolerance=tol,
        mapping_name=Path(str(mapping)).name if isinstance(mapping, str | Path) else None,
        expected_name=Path(str(expected)).name if isinstance(expected, str | Path) else None,
    )


def register_functions(con: Any) -> None:
    """The Python functions the kind-of-change SQL calls (width folding, 縮退)."""
    con.create_function("kk_fold", _fold, ["VARCHAR"], "VARCHAR", side_effects=False)
    con.create_function("kk_shrunk", _shrunk, ["VARCHAR", "VARCHAR"], "BOOLEAN", side_effects=False)


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
    progress: Progress | None = None,
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
        progress: called between steps (see :data:`Progress`); what it raises stops the comparison.

    Raises:
        kikan_std.InputError: a file cannot be read, or the key items are missing.
        kikan_std.errors.UsageError: DuckDB is not installed, or a bad option.
    """
    s = setup_compare(spec, group=group, mapping=mapping, before_encoding=before_encoding,
                      after_encoding=after_encoding, key_map=key_map, expected=expected, tolerance=tolerance)
    s.columns(before, after)  # a missing key item is said before any data is read
    step = progress or _no_progress
    with connect() as (con, tmp):
        register_functions(con)
        step("load_before", 0, 2)
        b = load(con, tmp, "b", before, group=s.group, encoding=s.before_encoding, mapping=s.mapping)
        step("load_after", 1, 2)
        a = load(con, tmp, "a", after, group=s.group, encoding=s.after_encoding, extras=s.extras)
        part = compare_partial(con, b, a, s.key, show_values, households=True, progress=step)
    return s.report(b, a, [part], part.households, show_values, mask_key, today)


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def compare_partial(con: Any, b: Loaded, a: Loaded, key: list[str], show_values: bool,
                    households: bool, progress: Progress = _no_progress) -> Partial:
    """The additive aggregates of tables ``b`` and ``a`` (one key partition, or everything in one process).

    With ``households`` (all the records are here) the household split / merge counts are computed too.
    ``progress`` is called between the passes (see :data:`Progress`).
    """
    bi, ai = b.index(), a.index()
    kb = [f"c{bi[k]}" for k in key]
    ka = [f"c{ai[k]}" for k in key]
    part = Partial(dup_b=_dedupe(con, "b", kb, len(b.columns)), dup_a=_dedupe(con, "a", ka, len(a.columns)))

    def ex(r: tuple[Any, ...], before: Any = None, after: Any = None) -> Ex:
        return (tuple(r), before if show_values else None, after if show_values else None)

    on = " AND ".join(f"b.{x} = a.{y}" for x, y in zip(kb, ka, strict=True))
    for kind, left, right, lk in (("records_missing", "bd", "ad", kb), ("records_added", "ad", "bd", ka)):
        cond = on if left == "bd" else " AND ".join(f"a.{y} = b.{x}" for x, y in zip(kb, ka, strict=True))
        alias_l, alias_r = ("b", "a") if left == "bd" else ("a", "b")
        sel = ", ".join(f"{alias_l}.{c}" for c in lk)
        base = f"FROM {left} {alias_l} WHERE NOT EXISTS (SELECT 1 FROM {right} {alias_r} WHERE {cond})"
        n = int(con.execute(f"SELECT count(*) {base}").fetchone()[0])
        rows = [tuple(r) for r in con.execute(f"SELECT {sel} {base} ORDER BY {sel} LIMIT {EXAMPLES}").fetchall()] if n else []
        if kind == "records_missing":
            part.missing, part.missing_ex = n, rows
        else:
            part.added, part.added_ex = n, rows
    common = [c for c in b.columns if c.name in ai]
    amounts = [k for k, c in enumerate(common) if c.amount]
    # Streaming passes over the join count the changed records per column, a batch of columns at a time
    # (a join carrying all 125 columns outgrows the memory limit and spills); the first pass also counts
    # the matched records and sums the amount items. Only the columns that changed are then
    # materialised with the keys, so the wide join is never stored.
    head = ["count(*)"] + [f"sum(try_cast({s}.c{idx[common[k].name]} AS DECIMAL(38, 3)))"
                           for k in amounts for s, idx in (("b", bi), ("a", ai))]
    changed: list[int] = []
    batches = range(0, max(len(common), 1), JOIN_BATCH)
    for done, start in enumerate(batches):
        progress("compare", done, len(batches))
        batch = common[start:start + JOIN_BATCH]
        row = con.execute(
            "SELECT " + ", ".join((head if start == 0 else []) + [
                f"count(*) FILTER (WHERE b.c{bi[c.name]} IS DISTINCT FROM a.c{ai[c.name]})" for c in batch
            ]) + f" FROM bd b JOIN ad a ON {on}"
        ).fetchone()
        if start == 0:
            part.matched = int(row[0])
            part.sums = {k: (row[1 + 2 * i], row[2 + 2 * i]) for i, k in enumerate(amounts)}
            row = row[len(head):]
        changed += [int(x) for x in row]
    part.changed = changed
    joined = [*(f"b.{x} AS k{i}" for i, x in enumerate(kb))]
    for k, c in enumerate(common):
        if changed[k]:
            joined += [f"b.c{bi[c.name]} AS b{k}", f"a.c{ai[c.name]} AS a{k}"]
    keys_sql = ", ".join(f"k{i}" for i in range(len(key)))
    if any(changed):
        con.execute(f"CREATE TABLE j AS SELECT {', '.join(joined)} FROM bd b JOIN ad a ON {on}")
        n_changed, done = sum(1 for n in changed if n), 0
        for k, c in enumerate(common):
            if not changed[k]:
                continue
            progress("kinds", done, n_changed)
            done += 1
            kind_sql = _kind_sql(f"b{k}", f"a{k}", c)
            part.kinds[k] = {kind: int(n) for kind, n in con.execute(
                f"SELECT kind, count(*) FROM (SELECT {kind_sql} AS kind FROM j WHERE b{k} IS DISTINCT FROM a{k}) "
                "GROUP BY 1"
            ).fetchall()}
            examples: dict[str, list[Ex]] = {}
            for r in con.execute(
                f"SELECT kind, {keys_sql}, b{k}, a{k} FROM (SELECT {kind_sql} AS kind, * FROM j "
                f"WHERE b{k} IS DISTINCT FROM a{k}) QUALIFY row_number() OVER (PARTITION BY kind ORDER BY {keys_sql}) "
                f"<= {EXAMPLES} ORDER BY {keys_sql}"
            ).fetchall():
                examples.setdefault(r[0], []).append(ex(r[1:1 + len(key)], r[-2], r[-1]))
            part.kind_ex[k] = examples
            if common[k].amount:
                part.sum_ex[k] = [ex(r[:len(key)], r[-2], r[-1]) for r in con.execute(
                    f"SELECT {keys_sql}, b{k}, a{k} FROM j WHERE b{k} IS DISTINCT FROM a{k} "
                    f"ORDER BY {keys_sql} LIMIT {EXAMPLES}").fetchall()]
        if households:
            part.households = _households(con, common, changed)
    _stats(con, part, b, a, common)
    return part


def _dedupe(con: Any, t: str, keys: list[str], ncols: int) -> int:
    """A view ``{t}d`` with one row per key; return the rows dropped as duplicates.

    Of a key's rows the one kept is the smallest by its values (column by column): a choice that does
    not depend on the order rows are read in, so one process and the partitions of the Dask path keep
    the same one.
    """
    ks = ", ".join(keys)
    extra = con.execute(f"SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM {t} GROUP BY {ks} HAVING n > 1)"
                        ).fetchone()[0]
    if not extra:  # the usual case: no copy of the table
        con.execute(f"CREATE VIEW {t}d AS SELECT * FROM {t}")
        return 0
    order = ", ".join(f"c{i}" for i in range(ncols))
    con.execute(f"CREATE TABLE {t}d AS SELECT * FROM {t} "
                f"QUALIFY row_number() OVER (PARTITION BY {ks} ORDER BY {order}) = 1")
    return int(extra)


def _households(con: Any, common: list[Column], changed: list[int]) -> HouseholdCounts | None:
    k = next((i for i, c in enumerate(common) if c.name == HOUSEHOLD_ITEM), None)
    if k is None or not changed[k]:  # nobody's 世帯番号 changed: no split, no merge
        return None
    split = con.execute(
        f"SELECT count(*) FROM (SELECT b{k} FROM j WHERE b{k} IS NOT NULL GROUP BY 1 HAVING count(DISTINCT a{k}) > 1)"
    ).fetchone()[0]
    merged = con.execute(
        f"SELECT count(*) FROM (SELECT a{k} FROM j WHERE a{k} IS NOT NULL GROUP BY 1 HAVING count(DISTINCT b{k}) > 1)"
    ).fetchone()[0]
    if not split and not merged:
        return HouseholdCounts()
    hb, ha = con.execute(f"SELECT count(DISTINCT b{k}), count(DISTINCT a{k}) FROM j").fetchone()
    return HouseholdCounts(int(split), int(merged), int(hb), int(ha))


def _stats(con: Any, part: Partial, b: Loaded, a: Loaded, common: list[Column]) -> None:
    """Per common column over whole tables (not only matched records): filled, 不詳 and code value counts."""
    bi, ai = b.index(), a.index()
    for t, idx, filled, unknown, codes in (("b", bi, part.filled_b, part.unknown_b, part.codes_b),
                                           ("a", ai, part.filled_a, part.unknown_a, part.codes_a)):
        aggs: list[str] = []
        for c in common:
            x = f"c{idx[c.name]}"
            aggs.append(f"count({x})")
            aggs.append(f"count(*) FILTER (WHERE {UNKNOWN_DATE_SQL.format(c=x)})" if c.is_date else "0")
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {t}").fetchone() if common else ()
        filled += [int(v) for v in row[0::2]]
        unknown += [int(v) for v in row[1::2]]
        for k, c in enumerate(common):
            if c.is_code and not c.personal:
                x = f"c{idx[c.name]}"
                codes[k] = {str(v): int(n) for v, n in con.execute(
                    f"SELECT {x}, count(*) FROM {t} WHERE {x} IS NOT NULL GROUP BY 1").fetchall()}


def _smallest(lists: Iterable[list[Ex]]) -> list[Ex]:
    """The examples with the smallest keys (DuckDB's order of text: by code point, blanks last)."""
    return sorted((e for lst in lists for e in lst),
                  key=lambda e: tuple((v is None, v or "") for v in e[0]))[:EXAMPLES]


def _dsum(values: Iterable[Decimal | None]) -> Decimal | None:
    """SQL ``sum`` of partial sums: None when every part was None."""
    xs = [v for v in values if v is not None]
    if not xs:
        return None
    with localcontext() as ctx:
        ctx.prec = 80  # exact for DECIMAL(38, 3) partial sums
        return sum(xs[1:], xs[0])


def merge_partials(spec_id: str, group: str, key: list[str], b: Loaded, a: Loaded, parts: list[Partial],
                   households: HouseholdCounts | None, tol: dict[str, float], show_values: bool,
                   mask_key: bytes) -> CompareReport:
    """The comparison's report (before the verdict) from the partials of every partition.

    ``b`` and ``a`` give the columns and the record counts of whole sides; ``households`` the counts over
    all matched records (computed when the household item changed somewhere).
    """
    bi, ai = b.index(), a.index()
    key_personal = [b.columns[bi[k]].personal for k in key]

    def key_of(values: Key) -> dict[str, str]:
        return {k: (mask_value(str(v), mask_key) if p and not show_values else str(v))
                for k, v, p in zip(key, values, key_personal, strict=True)}

    def examples(lists: Iterable[list[Ex]]) -> list[Example]:
        return [Example(key=key_of(k), before=vb, after=va) for k, vb, va in _smallest(lists)]

    def keys_only(keys: list[Key]) -> list[Ex]:
        return [(k, None, None) for k in keys]

    dup_b, dup_a = sum(p.dup_b for p in parts), sum(p.dup_a for p in parts)
    diffs: list[Difference] = []
    for kind, n, lists, total in (
        ("records_missing", sum(p.missing for p in parts), [keys_only(p.missing_ex) for p in parts],
         b.records - dup_b),
        ("records_added", sum(p.added for p in parts), [keys_only(p.added_ex) for p in parts],
         a.records - dup_a),
    ):
        if n:
            diffs.append(Difference(kind=kind, item=None, count=n, rate=_rate(n, total),  # type: ignore[arg-type]
                                    examples=examples(lists)))
    common = [c for c in b.columns if c.name in ai]
    for c in b.columns:
        if c.name not in ai:
            diffs.append(Difference(kind="column_missing", item=c.name, count=b.records, rate=1.0))
    for c in a.columns:
        if c.name not in bi:
            diffs.append(Difference(kind="column_added", item=c.name, count=a.records, rate=1.0))
    matched = sum(p.matched for p in parts)
    changed = [sum(p.changed[k] for p in parts) for k in range(len(common))]
    for k, c in enumerate(common):
        if not changed[k]:
            continue
        counts: dict[str, int] = {}
        for p in parts:
            for kind, n in p.kinds.get(k, {}).items():
                counts[kind] = counts.get(kind, 0) + n
        for kind, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            diffs.append(Difference(kind=kind, item=c.name, count=n, rate=_rate(n, matched),  # type: ignore[arg-type]
                                    examples=examples(p.kind_ex.get(k, {}).get(kind, []) for p in parts)))
    for k, c in enumerate(common):
        if not c.amount or not changed[k]:  # no record changed: the sums over matched records agree
            continue
        sb, sa = _dsum(p.sums[k][0] for p in parts), _dsum(p.sums[k][1] for p in parts)
        if sb != sa:
            delta = (sa or 0) - (sb or 0)
            diffs.append(Difference(
                kind="sum_changed", item=c.name, count=changed[k], rate=_rate(changed[k], matched),
                detail={"sum_before": str(sb), "sum_after": str(sa), "delta": str(delta)},
                examples=examples(p.sum_ex.get(k, []) for p in parts),
            ))
    hk = next((i for i, c in enumerate(common) if c.name == HOUSEHOLD_ITEM), None)
    if hk is not None and changed[hk] and households is not None and (households.split or households.merged):
        h = households
        diffs.append(Difference(kind="households_changed", item=HOUSEHOLD_ITEM, count=h.split + h.merged,
                                rate=_rate(h.split + h.merged, h.before),
                                detail={"split": h.split, "merged": h.merged, "households_before": h.before,
                                        "households_after": h.after}))
    diffs += _shifts(b.records, a.records, common, parts, tol)
    return CompareReport(
        spec=spec_id, group=group, key=key,
        before=Side(file=Path(b.path).name, **b.provenance(), records=b.records, excluded=b.excluded,
                    duplicate_keys=dup_b),
        after=Side(file=Path(a.path).name, **a.provenance(), records=a.records, duplicate_keys=dup_a),
        matched=matched, items_compared=len(common), verdict="no_difference", valid=True, tolerance=tol,
        differences=diffs, show_values=show_values,
    )


def _rate(n: int, d: int) -> float:
    return round(n / d, 6) if d else 0.0


def _shifts(nb: int, na: int, common: list[Column], parts: list[Partial], tol: dict[str, float]) -> list[Difference]:
    """Distribution shifts over whole files: fill rate, 不詳 rate, code shares."""
    if not common or not nb or not na:
        return []
    out: list[Difference] = []
    for k, c in enumerate(common):
        filled_b, filled_a = sum(p.filled_b[k] for p in parts), sum(p.filled_a[k] for p in parts)
        fb, fa = filled_b / nb, filled_a / na
        if fb - fa > tol.get("fill_rate_dropped", tol["*"]):
            out.append(Difference(kind="fill_rate_dropped", item=c.name, count=max(0, filled_b - filled_a),
                                  rate=round(fb - fa, 6), detail={"before": round(fb, 6), "after": round(fa, 6)}))
        unknown_b, unknown_a = sum(p.unknown_b[k] for p in parts), sum(p.unknown_a[k] for p in parts)
        ub, ua = unknown_b / nb, unknown_a / na
        if c.is_date and ua - ub > tol.get("unknown_rate_rose", tol["*"]):
            out.append(Difference(kind="unknown_rate_rose", item=c.name, count=max(0, unknown_a - unknown_b),
                                  rate=round(ua - ub, 6), detail={"before": round(ub, 6), "after": round(ua, 6)}))
        if c.is_code and not c.personal:
            vb: dict[str, int] = {}
            va: dict[str, int] = {}
            for p in parts:
                for mine, theirs in ((vb, p.codes_b.get(k, {})), (va, p.codes_a.get(k, {}))):
                    for v, n in theirs.items():
                        mine[v] = mine.get(v, 0) + n
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
