"""The content-format table (kikan_std.model.formats): every Format has one complete entry, and the
entry's parts agree with each other and with the checker a user runs.

Adding a content format touches the enum, one entry of the table and the catalogue; these tests fail
until the entry is complete and consistent.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kikan_std.catalogue import entry
from kikan_std.model.annotate import infer_format
from kikan_std.model.fields import FieldChecker
from kikan_std.model.formats import FORMATS, FormatRule
from kikan_std.model.schemas import json_schema, xsd
from kikan_std.model.spec import DataType, Format, Group, Item, Obligation, Spec
from kikan_std.testing.mutate import break_value

WIDTHS = (1, 3, 7, 12, 14)


def _item(fmt: Format, width: int) -> Item:
    return Item(name="項目", romaji="komoku", type=DataType.X, length=str(width), obligation=Obligation.OPTIONAL,
                format=fmt, provenance="modeled")


def _spec(it: Item) -> Spec:
    return Spec(id="t", business_code="000", title="t", edition="1", published="2025-01-01", provenance="modeled",
                groups=(Group(name="g", romaji="g", items=(it,)),))


def _width_for(rule: FormatRule, width: int) -> int:
    """An item width the format can have (a format of fixed width is declared at least that wide)."""
    return max(width, rule.width or 0, (rule.valid.length or 0) + (rule.valid.check_digit is not None))


def test_every_format_has_a_complete_entry() -> None:
    assert set(FORMATS) == set(Format), "a Format without a table entry (or an entry without a Format)"
    for fmt, rule in FORMATS.items():
        assert isinstance(rule, FormatRule), fmt
        for part in (rule.check, rule.column, rule.pattern, rule.breaks, rule.valid.finish, rule.valid.sample):
            assert callable(part), (fmt, part)
        assert rule.codes and rule.valid.alphabet, fmt
        # A format's findings are documented codes (catalogue entry, docs/rules page).
        for code in rule.codes:
            assert entry(code).code == code, fmt


@pytest.mark.parametrize("fmt", list(Format))
def test_valid_values_pass_both_paths_and_the_schema_pattern(fmt: Format) -> None:
    rule = FORMATS[fmt]
    rng = random.Random(7)
    for width in WIDTHS:
        w = _width_for(rule, width)
        it = _item(fmt, w)
        values = [rule.valid.sample(rng, w) for _ in range(40)]
        pattern = re.compile(rule.pattern(w))
        for v in values:
            assert FieldChecker(it, None).check_value(v) == [], (fmt, w, v)
            assert pattern.fullmatch(v), (fmt, w, v)
        assert FieldChecker(it, None).column_clean(values), (fmt, w)


@pytest.mark.parametrize("fmt", list(Format))
def test_the_mutation_breaks_the_format_with_the_code_it_names(fmt: Format) -> None:
    rule = FORMATS[fmt]
    rng = random.Random(11)
    for width in WIDTHS:
        w = _width_for(rule, width)
        it = _item(fmt, w)
        for v in ("", *(rule.valid.sample(rng, w) for _ in range(10))):
            bad, code = rule.breaks(v, w)
            assert code in rule.codes, fmt
            assert break_value(it, _spec(it), v) == (bad, code)
            assert [c for c, _ in FieldChecker(it, None).check_value(bad)] == [code], (fmt, w, v, bad)
            assert not FieldChecker(it, None).column_clean([bad]), (fmt, w, bad)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(list(Format)), st.sampled_from(WIDTHS), st.data())
def test_valid_values_as_hypothesis_draws_them_are_clean(fmt: Format, width: int, data: st.DataObject) -> None:
    rule = FORMATS[fmt]
    w = _width_for(rule, width)
    lo, hi = rule.valid.lengths(w)
    values = data.draw(st.lists(st.text(rule.valid.alphabet, min_size=lo, max_size=hi).map(rule.valid.finish),
                                min_size=1, max_size=6))
    assert FieldChecker(_item(fmt, w), None).column_clean(values)


def test_schemas_take_the_pattern_from_the_table() -> None:
    for fmt, rule in FORMATS.items():
        it = _item(fmt, _width_for(rule, 7))
        sp = _spec(it)
        prop = json_schema(sp, sp.groups[0])["properties"]["komoku"]
        assert rule.pattern(it.max_length) in prop["pattern"], fmt
        assert rule.pattern(it.max_length) in xsd(sp, sp.groups[0]), fmt


@pytest.mark.parametrize("name,text,code_list,expected", [
    ("個人番号", "", None, "individual_number"),
    ("代表者_法人番号", "", None, "corporate_number"),
    ("市区町村コード", "全国地方公共団体コードを設定", None, "local_government_code"),
    ("住所_町字コード", "アドレス・ベース・レジストリの町字IDを設定", None, "town_code"),
    ("住所_郵便番号", "", None, "postal_code"),
    ("業務コード", "別表にしたがって3桁のコード値を設定", None, "code_digits"),
    ("業務コード", "別表にしたがって3桁のコード値を設定", "999", None),
    ("氏名", "", None, None),
])
def test_the_table_names_the_format_the_official_text_pins_down(
    name: str, text: str, code_list: str | None, expected: str | None
) -> None:
    assert infer_format(name, "X", text, code_list) == expected
    assert infer_format(name, "Ｎ", text, code_list) is None  # only half-width items carry a format
