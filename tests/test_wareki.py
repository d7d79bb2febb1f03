"""Tests of kikan_std.jp.wareki."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kikan_std.jp.wareki import (
    ERAS,
    era_by_code,
    era_of,
    format_wareki,
    from_wareki,
    is_valid_era_for_date,
    parse_wareki,
    to_wareki,
)

dates_1873_2100 = st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31))


def test_era_table() -> None:
    assert [(e.code, e.name, e.initial) for e in ERAS] == [
        (1, "明治", "M"),
        (2, "大正", "T"),
        (3, "昭和", "S"),
        (4, "平成", "H"),
        (5, "令和", "R"),
    ]
    assert [e.start for e in ERAS] == [
        date(1868, 1, 25),
        date(1912, 7, 30),
        date(1926, 12, 25),
        date(1989, 1, 8),
        date(2019, 5, 1),
    ]
    for a, b in itertools.pairwise(ERAS):
        assert a.end == b.start - timedelta(days=1)
    assert ERAS[-1].end is None
    assert era_by_code("3").last_year == 64
    assert era_by_code(4).last_year == 31


@pytest.mark.parametrize(
    ("d", "name", "year"),
    [
        (date(1912, 7, 29), "明治", 45),
        (date(1912, 7, 30), "大正", 1),
        (date(1926, 12, 24), "大正", 15),
        (date(1926, 12, 25), "昭和", 1),
        (date(1989, 1, 7), "昭和", 64),
        (date(1989, 1, 8), "平成", 1),
        (date(2019, 4, 30), "平成", 31),
        (date(2019, 5, 1), "令和", 1),
        (date(1975, 1, 1), "昭和", 50),
    ],
)
def test_boundaries(d: date, name: str, year: int) -> None:
    era, y = to_wareki(d)
    assert (era.name, y) == (name, year)
    assert era_of(d).name == name


@pytest.mark.parametrize(
    "text",
    [
        "昭和50年1月1日",
        "昭和５０年１月１日",
        "昭和五十年一月一日",
        " 昭和 50 年 1 月 1 日 ",
        "S50.1.1",
        "S50/01/01",
        "s50-1-1",
        "Ｓ５０．１．１",
        "昭50.1.1",
        "3500101",
        "1975-01-01",
        "1975/1/1",
        "1975.1.1",
        "１９７５－０１－０１",
        "1975年1月1日",
        "19750101",
    ],
)
def test_parse_forms(text: str) -> None:
    assert parse_wareki(text) == date(1975, 1, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("H31.4.30", date(2019, 4, 30)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("R1.5.1", date(2019, 5, 1)),
        ("R元.5.1", date(2019, 5, 1)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("明治6年1月1日", date(1873, 1, 1)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("令和6年2月29日", date(2024, 2, 29)),
    ],
)
def test_parse_edges(text: str, expected: date) -> None:
    assert parse_wareki(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",  # 令和 already
        "昭和64年1月8日",  # 平成 already
        "平成99年1月1日",
        "令和元年4月30日",  # still 平成
        "大正元年7月29日",  # still 明治
        "昭和元年12月24日",
        "昭和50年2月30日",
        "1975-02-30",
        "令和5年2月29日",  # not a leap year
        "昭和0年1月1日",
        "明治5年1月1日",  # lunisolar, not converted
        "明治元年1月25日",
        "X50.1.1",
        "S50.1/1",
        "昭和50年13月1日",
        "",
        "昭和",
        "1975-1-1-1",
        "٣٥٠٠١٠١",  # Arabic-Indic digits are not accepted
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_wareki(text)


def test_from_wareki_rejects() -> None:
    with pytest.raises(ValueError):
        from_wareki("4", 31, 5, 1)
    with pytest.raises(ValueError):
        from_wareki("S", 64, 1, 8)
    with pytest.raises(ValueError):
        from_wareki("Q", 1, 1, 1)
    assert from_wareki("平成", 31, 4, 30) == date(2019, 4, 30)


def test_before_meiji() -> None:
    with pytest.raises(ValueError):
        era_of(date(1868, 1, 24))
    assert era_of(date(1868, 1, 25)).name == "明治"
    with pytest.raises(ValueError):
        to_wareki(date(1872, 12, 31))


def test_format() -> None:
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(1975, 1, 1), "short") == "S50.01.01"
    assert format_wareki(date(1975, 1, 1), "code") == "3500101"
    with pytest.raises(ValueError):
        format_wareki(date(1975, 1, 1), "nope")


def test_is_valid_era_for_date() -> None:
    assert is_valid_era_for_date("4", date(2019, 4, 30))
    assert not is_valid_era_for_date("4", date(2019, 5, 1))
    assert is_valid_era_for_date("5", date(2019, 5, 1))
    assert is_valid_era_for_date("3", date(1989, 1, 7))
    assert not is_valid_era_for_date("3", date(1989, 1, 8))
    assert is_valid_era_for_date("昭和", date(1975, 1, 1))
    assert is_valid_era_for_date("S", date(1975, 1, 1))
    assert not is_valid_era_for_date("9", date(1975, 1, 1))
    assert not is_valid_era_for_date("1", date(1800, 1, 1))


@given(dates_1873_2100)
def test_round_trip(d: date) -> None:
    era, year = to_wareki(d)
    assert from_wareki(era, year, d.month, d.day) == d
    assert is_valid_era_for_date(str(era.code), d)
    for style in ("kanji", "short", "code"):
        assert parse_wareki(format_wareki(d, style)) == d


@given(dates_1873_2100)
def test_round_trip_full_width(d: date) -> None:
    text = format_wareki(d).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_wareki(text) == d


@given(dates_1873_2100)
def test_era_is_unique(d: date) -> None:
    assert sum(e.contains(d) for e in ERAS) == 1


@given(st.sampled_from(ERAS[1:]))
def test_first_day_is_new_era(era: object) -> None:
    from kikan_std.jp.wareki import Era

    assert isinstance(era, Era)
    prev = ERAS[era.code - 2]
    assert to_wareki(era.start) == (era, 1)
    assert to_wareki(era.start - timedelta(days=1))[0] is prev


@given(dates_1873_2100)
def test_differential_japanera(d: date) -> None:
    """japanera (if installed) as an oracle for era and era year from 1873 on.

    japanera starts 明治 on 1868-01-23; we use 1868-01-25 (see the module docstring). They agree
    from 1873, which is the range tested.
    """
    japanera = pytest.importorskip("japanera")
    jd = japanera.EraDate.from_date(d)
    era, year = to_wareki(d)
    assert jd.era.kanji == era.name
    assert int(jd.strftime("%-y")) == year
