"""Field checks: each code on a minimal example, and the fast path agreeing with the exact one."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kikan_std.jp import checkdigits as cd
from kikan_std.model.fields import (
    FieldChecker,
    char_length,
    is_calendar_date,
    is_unknown_date,
    non_calendar_values,
    unknown_date_rows,
)
from kikan_std.model.spec import CodeList, CodeValue, DataType, Format, Item, Obligation


def item(type_: str, length: str, *, required: bool = False, fmt: Format | None = None,
         code_list: str | None = None, unknown: bool = False) -> Item:
    return Item(name="項目", romaji="komoku", type=DataType(type_), length=length, code_list=code_list,
                obligation=Obligation.REQUIRED if required else Obligation.OPTIONAL, format=fmt,
                allows_unknown_date=unknown, provenance="modeled")


SEX = CodeList(id="1", name="性別", values=(CodeValue(value="0", meaning="不明"), CodeValue(value="1", meaning="男"),
                                            CodeValue(value="2", meaning="女")), provenance="official")


def codes(it: Item, value: str, cl: CodeList | None = None) -> list[str]:
    return [c for c, _ in FieldChecker(it, cl).check_value(value)]


@pytest.mark.parametrize("it,value,expected", [
    (item("X", "5", required=True), "", ["FLD001"]),
    (item("X", "5"), "", []),
    (item("X", "5"), "abcdef", ["FLD002"]),
    (item("X", "5"), "ab１", ["CHR016"]),
    (item("X", "5"), "ｱｲ", ["CHR015"]),
    (item("X", "5"), "a\tb", ["CHR001"]),
    (item("X", "5"), "a\x00b", ["CHR001"]),
    (item("X", "5"), "a\x7f", ["CHR001"]),
    (item("Ｎ", "5"), "佐藤A", ["CHR003"]),
    (item("Ｎ", "5"), "佐藤 一", ["CHR003"]),
    (item("Ｎ", "5"), "ｻﾄｳ", ["CHR004"]),
    (item("Ｎ", "5"), "佐藤　一郎", []),
    (item("Ｎ", "3"), "佐藤　一郎", ["FLD002"]),
    (item("Ｎ", "2"), "\u3404\U000e0101城", []),  # a registered IVS sequence counts as one character
    (item("9", "3"), "12", []),
    (item("9", "3"), "１２", ["FLD008"]),
    (item("9", "3"), "-1", ["FLD008"]),
    (item("9", "3"), "1234", ["FLD002"]),
    (item("9V", "3,2"), "123.45", []),
    (item("9V", "3,2"), "1234.5", ["FLD009"]),
    (item("9V", "3,2"), "1.234", ["FLD009"]),
    (item("9V", "3,2"), "-1.2", ["FLD009"]),
    (item("S9", "3"), "-123", []),
    (item("S9", "3"), "▲12", ["FLD010"]),
    (item("DATE", "10"), "2024-02-29", []),
    (item("DATE", "10"), "2023-02-29", ["FLD012"]),
    (item("DATE", "10"), "0000-01-01", []),
    (item("DATE", "10"), "9999-12-31", []),
    (item("DATE", "10"), "1975/01/01", ["FLD011"]),
    (item("DATE", "10"), "昭和50年1月1日", ["FLD011"]),
    (item("DATE", "10"), "昭和50年10月10日", ["FLD002", "FLD011"]),
    (item("DATE", "10", unknown=True), "1950-00-00", []),
    (item("DATE", "10", unknown=True), "2023-02-30", []),
    (item("DATE", "10", unknown=True), "2023-13-01", ["FLD012"]),
    (item("YEAR", "4"), "2024", []),
    (item("YEAR", "4"), "R6", ["FLD013"]),
    (item("TIME", "8"), "09:00:00", []),
    (item("TIME", "8"), "09:00", []),
    (item("TIME", "8"), "24:00:00", ["FLD014"]),
    (item("TIME", "8"), "9:00:00", ["FLD014"]),
    (item("X", "12", fmt=Format.INDIVIDUAL_NUMBER), "123456789018", []),
    (item("X", "12", fmt=Format.INDIVIDUAL_NUMBER), "123456789010", ["FLD016"]),
    (item("X", "13", fmt=Format.CORPORATE_NUMBER), "8000020131016", []),
    (item("X", "13", fmt=Format.CORPORATE_NUMBER), "1000020131016", ["FLD017"]),
    (item("X", "6", fmt=Format.LOCAL_GOVERNMENT_CODE), "131017", ["FLD018"]),
    (item("X", "7", fmt=Format.POSTAL_CODE), "1000014", []),
    (item("X", "7", fmt=Format.POSTAL_CODE), "100-0014", ["FLD019"]),
    (item("X", "7", fmt=Format.TOWN_CODE), "12345", ["FLD020"]),
    (item("X", "3", fmt=Format.DIGITS), "A01", ["FLD021"]),
    (item("X", "3"), "a\udc8d", ["CSV001"]),
])
def test_value_codes(it: Item, value: str, expected: list[str]) -> None:
    assert sorted(codes(it, value)) == sorted(expected)


def test_code_list() -> None:
    it = item("X", "1", code_list="1")
    assert codes(it, "1", SEX) == []
    assert codes(it, "3", SEX) == ["FLD015"]


def test_problem_params_locate_the_character() -> None:
    (code, params), = FieldChecker(item("Ｎ", "10"), None).check_value("佐藤1郎")
    assert code == "CHR003"
    assert params["position"] == 3
    assert params["codepoints"] == "U+0031"
    assert params["suggestion"] == "１"


def test_char_length_counts_ivs_as_one() -> None:
    assert char_length("葛\U000e0100") == 1
    assert char_length("abc") == 3


def test_calendar_and_unknown_dates() -> None:
    assert is_calendar_date("2000-02-29")
    assert not is_calendar_date("1900-02-29")
    assert is_unknown_date("1900-02-29")
    assert is_unknown_date("1950-00-00")
    assert not is_unknown_date("1950/00/00")
    assert not is_unknown_date("2000-01-01")


TYPES = [
    item("X", "6"), item("X", "6", required=True), item("Ｎ", "4"), item("9", "3"), item("9V", "3,1"),
    item("S9", "3"), item("DATE", "10"), item("DATE", "10", unknown=True), item("YEAR", "4"), item("TIME", "8"),
    item("X", "12", fmt=Format.INDIVIDUAL_NUMBER), item("X", "7", fmt=Format.POSTAL_CODE),
    item("X", "1", code_list="1"),
    # Declared shorter than their pattern (custom specs): the column check must still see FLD002.
    item("DATE", "8"), item("TIME", "5"), item("YEAR", "2"),
]
ALPHABET = st.sampled_from([*"0123456789-:.a Aｱ佐藤　１\t\x00", "\U000e0100", "\udc8d"])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TYPES), st.lists(st.text(ALPHABET, max_size=11), min_size=1, max_size=8))
def test_fast_path_never_hides_a_problem(it: Item, values: list[str]) -> None:
    checker = FieldChecker(it, SEX if it.code_list else None)
    if checker.column_clean(values):
        assert all(not FieldChecker(it, SEX if it.code_list else None).check_value(v) for v in values)


def _my_number(n: int) -> str:
    return f"{n:011d}{cd.my_number_check_digit(f'{n:011d}')}"


def _corporate_number(n: int) -> str:
    return f"{cd.corporate_number_check_digit(f'{n:012d}')}{n:012d}"


def _lg_code(n: int) -> str:
    return f"{n:05d}{cd.local_government_code_check_digit(f'{n:05d}')}"


# Values near the edges of every type and format: shaped and misshaped dates, times, numbers,
# valid check digits, full-width and half-width kana, IVS, undecodable bytes, line breaks.
ANY_VALUES = st.one_of(
    st.text(st.sampled_from([*"0123456789-:.,a Aｱ佐藤　１\t\x00\x7f+", "\U000e0100", "\udc8d", "\n", "\r", "ｰ", "ア", "髙"]),
            max_size=14),
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(r"[0-9]{4}-[0-1][0-9]-[0-3][0-9]", fullmatch=True),
    st.from_regex(r"[0-2][0-9]:[0-6][0-9](:[0-6][0-9])?", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,14}(\.[0-9]{1,4})?", fullmatch=True),
    st.integers(0, 10**11 - 1).map(_my_number),
    st.integers(0, 10**12 - 1).map(_corporate_number),
    st.integers(0, 10**5 - 1).map(_lg_code),
    st.sampled_from(["", "0", "1", "2", "1000014", "100-0014", "１０００００１", "0000000", "R6", "2024", "ｱｲｳ", "佐藤　一郎"]),
)


@st.composite
def any_item(draw: st.DrawFn) -> Item:
    t = draw(st.sampled_from(list(DataType)))
    n = draw(st.integers(1, 14))
    length = f"{n},{draw(st.integers(0, 4))}" if t is DataType.DECIMAL else str(n)
    return item(t.value, length, required=draw(st.booleans()), fmt=draw(st.none() | st.sampled_from(list(Format))),
                code_list=draw(st.sampled_from([None, "1"])), unknown=t is DataType.DATE and draw(st.booleans()))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_item(), st.lists(ANY_VALUES, min_size=1, max_size=12), st.booleans())
def test_fast_path_never_hides_a_problem_for_any_item(it: Item, values: list[str], sjis_strict: bool) -> None:
    # Any type, length (shorter than a DATE, "n,0" decimals…), format and code list a custom spec may
    # combine: a column the fast path passes has no value with a problem (20,000 examples once, clean).
    cl = SEX if it.code_list else None
    if FieldChecker(it, cl, sjis_strict=sjis_strict).column_clean(values):
        exact = FieldChecker(it, cl, sjis_strict=sjis_strict)
        assert {v: exact.check_value(v) for v in values if exact.check_value(v)} == {}


DATE_VALUES = (
    st.dates().map(lambda d: d.isoformat())
    | st.from_regex(r"[0-9]{4}-[0-1][0-9]-[0-3][0-9]", fullmatch=True)
    | st.sampled_from(["", "0000-01-01", "0000-00-00", "1900-02-29", "2000-02-29", "1950-00-00\n1950-00-00", "1950-00-00\r"])
    | st.text("0123456789-\n", max_size=12)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(DATE_VALUES, max_size=30))
def test_unknown_dates_of_many_values_agree_with_one_by_one(values: list[str]) -> None:
    assert unknown_date_rows(values) == [i for i, v in enumerate(values) if is_unknown_date(v)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.from_regex(r"(0000|19[0-9]{2}|2[0-9]00)-(0[0-9]|1[0-3])-([0-2][0-9]|3[0-2])", fullmatch=True)
                | st.just(""), max_size=40))
def test_unknown_dates_of_ten_character_values_agree_with_one_by_one(values: list[str]) -> None:
    # All ten characters long: the candidates are picked by position.
    assert unknown_date_rows(values) == [i for i, v in enumerate(values) if is_unknown_date(v)]
    assert non_calendar_values(set(values)) == {v for v in values if v and not is_calendar_date(v)}
    assert non_calendar_values(values) == {v for v in values if v and not is_calendar_date(v)}


TIME_VALUES = (
    st.from_regex(r"[0-2][0-9]:[0-6][0-9](:[0-6][0-9])?", fullmatch=True)
    | st.text("0123456789:２", min_size=5, max_size=5)
    | st.text("0123456789:", min_size=8, max_size=8)
    | st.sampled_from(["", "23:59:59", "24:00:00", "19:60", "20:00", "1:00:00", "12:00\n"])
)


@settings(max_examples=400, deadline=None)
@given(st.lists(TIME_VALUES, min_size=1, max_size=40))
def test_time_column_check_is_exact(values: list[str]) -> None:
    # The strided time check is exact: clean iff no value has a problem (not merely never lenient).
    it = item("TIME", "8")
    expected = all(not FieldChecker(it, None).check_value(v) for v in values)
    assert FieldChecker(it, None).column_clean(values) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(DATE_VALUES | st.from_regex(r"(0000|19[0-9][0-9]|2[0-9]00)-(0[0-2]|1[0-3])-(0[0-1]|2[89]|3[0-2])", fullmatch=True),
                min_size=1, max_size=40), st.booleans())
def test_date_column_check_is_exact(values: list[str], unknown: bool) -> None:
    # The position-by-position date check is exact: clean iff no value has a problem.
    it = item("DATE", "10", unknown=unknown)
    expected = all(not FieldChecker(it, None).check_value(v) for v in values)
    assert FieldChecker(it, None).column_clean(values) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates().map(lambda d: d.isoformat()), st.sampled_from(TYPES[6:8]))
def test_valid_dates_take_the_fast_path(value: str, it: Item) -> None:
    assert FieldChecker(it, None).column_clean([value, ""])


@pytest.mark.parametrize("type_,length,value", [("DATE", "8", "2024-01-01"), ("TIME", "5", "12:00:00"),
                                               ("YEAR", "2", "2024")])
def test_column_check_keeps_a_declared_length_shorter_than_the_pattern(type_: str, length: str, value: str) -> None:
    it = item(type_, length)
    assert codes(it, value) == ["FLD002"]
    assert not FieldChecker(it, None).column_clean([value, ""])


def test_misaligned_numbers_are_not_clean() -> None:
    # 11 + 13 digits read back to back are two 12-digit numbers, here both with a valid check digit:
    # on a 個人番号 item of 桁数 13 (a custom spec) the column check must still look closer.
    it = item("X", "13", fmt=Format.INDIVIDUAL_NUMBER)
    assert not FieldChecker(it, None).column_clean(["54766744227", "2036847410471"])
    assert [c for c, _ in FieldChecker(it, None).check_value("54766744227")] == ["FLD016"]


def test_cache_of_clean_values_stays_small_when_values_never_come_back() -> None:
    # Household numbers: each repeats inside its chunk, never in a later one. The per-column
    # cache of values proven clean must not grow towards its hard cap for them...
    checker = FieldChecker(item("X", "15"), None)
    for chunk in range(200):
        col = [f"{chunk * 1000 + i // 3:015d}" for i in range(3000)]
        assert checker.column_clean(col)
    assert checker.known_values <= 21_000
    # ...while values that do come back (codes, prefectures) stay known across chunks.
    checker = FieldChecker(item("X", "15"), None)
    for _ in range(50):
        assert checker.column_clean([f"{i:05d}" for i in range(30_000)] * 2)
    assert checker.known_values == 30_000
