"""Hypothesis strategies derived from a spec: valid records, and records that break exactly one rule.

Needs the ``testing`` extra (``pip install 'kikan-std[testing]'``, i.e. hypothesis)::

    from hypothesis import given
    from kikan_std.testing import strategies

    @given(strategies.records("jutogai_atena"))
    def test_my_importer_accepts_valid_records(record): ...

    @given(strategies.broken_records("jutogai_atena"))
    def test_my_validator_rejects(case):
        record, code, item = case        # e.g. ("FLD002", "宛名番号"): the finding kikan-std gives

Values are lexical strings, as a vendor writes them. Valid records respect the item types,
lengths, code lists, content formats and the spec's decidable conditional-required items.

Partial: the one-record rules across items are satisfied only where the spec's edition gives a
``fixup`` (住登外者宛名, 国民健康保険) or has none that bind (全銀 総合振込). For 住民記録, 個人住民税,
固定資産税, 軽自動車税, 児童手当 and 介護保険 many drawn records break such a rule (JUM…, TAX…, WEL…;
share passing, 150 draws each on 2026-12-06: 0 %, 1 %, 61 %, 22 %, 0 %, 0 %). Filter
with ``kikan_std.check_records``, or use the 住民記録 generator (:mod:`kikan_std.testing.generate`) or the
files of the deliverable generator when a record must pass every rule.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "kikan_std.testing.strategies needs hypothesis: pip install 'kikan-std[testing]' / "
        "hypothesis が必要です"
    ) from e

from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import DataType, Format, Group, Item, Spec
from kikan_std.specs import edition_for, load_spec
from kikan_std.specs.edition import Record
from kikan_std.testing.mutate import break_value, triggers

# Characters every Ｎ check accepts without context: common kanji, kana, full-width digits/letters.
_N_ALPHABET = "佐藤鈴木高橋田中伊渡辺山本一郎花子太東京都千代田区霞関丁目番号地ハイツアイウエオカキクケコサシスセソ０１２３４５６７８９ＡＢＣＸＹＺ"
_X_ALPHABET = "".join(chr(c) for c in range(0x21, 0x7F))


def _digits(n_min: int, n_max: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n_min, max_size=n_max)


def _format_values(fmt: Format, n: int) -> st.SearchStrategy[str]:
    # The format's own recipe (kikan_std.model.formats): a free part, then its check digit if any.
    valid = FORMATS[fmt].valid
    lo, hi = valid.lengths(n)
    return st.text(valid.alphabet, min_size=lo, max_size=hi).map(valid.finish)


def values(item: Item, spec: Spec) -> st.SearchStrategy[str]:
    """Valid non-empty lexical values of ``item``."""
    n = item.max_length
    if item.code_list is not None:
        cl = spec.code_list(item.code_list)
        if not cl.open and cl.values:
            return st.sampled_from([v.value for v in cl.values])
    if item.format is not None:
        return _format_values(item.format, n)
    t = item.type
    if t is DataType.X:
        return st.text(_X_ALPHABET, min_size=1, max_size=min(n, 20))
    if t is DataType.N:
        return st.text(_N_ALPHABET, min_size=1, max_size=min(n, 20))
    if t is DataType.NUM:
        return _digits(1, n)
    if t is DataType.SIGNED:
        return st.tuples(st.sampled_from(["", "-"]), _digits(1, n)).map("".join)
    if t is DataType.DECIMAL:
        m = item.fraction_digits
        frac = _digits(1, m).map(lambda f: "." + f) if m else st.just("")
        return st.tuples(_digits(1, n), st.one_of(st.just(""), frac)).map("".join)
    if t is DataType.DATE:
        return st.dates(_dt.date(1900, 1, 1), _dt.date(2099, 12, 31)).map(_dt.date.isoformat)
    if t is DataType.YEAR:
        return st.integers(1900, 2099).map(str)
    if t is DataType.TIME:
        return st.times().map(lambda x: x.strftime("%H:%M:%S"))
    return st.just("")  # BLOB: not representable in CSV


def _spec_group(spec: str | Spec, group: str | None) -> tuple[Spec, Group]:
    sp = load_spec(spec) if isinstance(spec, str) else spec
    return sp, (sp.groups[0] if group is None else sp.group(group))


def records(spec: str | Spec, group: str | None = None) -> st.SearchStrategy[Record]:
    """Field-valid records of ``group`` (default: the spec's first group), keyed by official item name
    (valid under every rule only for the specs the module docstring names)."""
    sp, g = _spec_group(spec, group)
    fields: dict[str, st.SearchStrategy[str]] = {}
    for it in g.items:
        v = values(it, sp)
        fields[it.name] = v if it.required else st.one_of(st.just(""), v)
    found = edition_for(sp)
    fixup = found.fixup if found is not None and found.fixup is not None else _identity
    return st.fixed_dictionaries(fields).map(lambda r: fixup(dict(r)))


def _identity(r: Record) -> Record:
    return r


def broken_records(spec: str | Spec, group: str | None = None) -> st.SearchStrategy[tuple[Record, str, str]]:
    """(record, expected code, item): a valid record with one item changed to break one rule."""
    sp, g = _spec_group(spec, group)
    leave = triggers(sp)
    candidates = [it for it in g.items if it.name not in leave and it.type is not DataType.BLOB]

    def mutate(args: tuple[Record, Item]) -> tuple[Record, str, str] | None:
        record, it = args
        broken = break_value(it, sp, record[it.name])
        if broken is None:
            return None
        out: dict[str, Any] = dict(record)
        out[it.name] = broken[0]
        return out, broken[1], it.name

    return (
        st.tuples(records(sp, g.name), st.sampled_from(candidates))
        .map(mutate)
        .filter(lambda x: x is not None)  # type: ignore[return-value]
    )
