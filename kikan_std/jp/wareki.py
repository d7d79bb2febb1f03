"""和暦 (Japanese era calendar) ↔ 西暦 (Gregorian), strict and dependency-free.

The five modern eras carry the numeric 年号コード used by 既存住基 systems:

====  ====  =======  ============  =====================================
code  name  initial  first day     note
====  ====  =======  ============  =====================================
1     明治  M        1868-01-25    慶応4年1月1日 (see below)
2     大正  T        1912-07-30
3     昭和  S        1926-12-25
4     平成  H        1989-01-08
5     令和  R        2019-05-01
====  ====  =======  ============  =====================================

Each era ends the day before the next one starts; 令和 is open-ended.

明治 convention:
    The 改元の詔 of 1868-10-23 made 明治 start retroactively on 慶応4年1月1日, which is
    1868-01-25 in the Gregorian calendar; that is the first day used here. Japan kept the
    天保暦 lunisolar calendar until 明治5年12月2日 (1872-12-31) and switched to the Gregorian
    calendar on 明治6年1月1日 (1873-01-01). Before 1873 a 明治 year/month/day is a *lunisolar*
    date whose months do not line up with Gregorian months, and converting it needs the 天保暦
    tables, which this module deliberately does not implement. So :func:`era_of` says 明治 for
    any day from 1868-01-25, but :func:`to_wareki`, :func:`from_wareki` and :func:`parse_wareki`
    only handle dates from 明治6年1月1日 (1873-01-01) on, and raise :class:`ValueError` for
    明治元年〜明治5年 rather than silently returning a date that is off by about a month.

From 1873 on, 和暦 years coincide with Gregorian years: year *N* of an era is
``era.start.year + N - 1`` and the first year is written 元年.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "ERAS",
    "GREGORIAN_FROM",
    "Era",
    "era_by_code",
    "era_of",
    "format_wareki",
    "from_wareki",
    "is_valid_era_for_date",
    "parse_wareki",
    "to_wareki",
]


@dataclass(frozen=True, slots=True)
class Era:
    """One era (元号).

    Attributes:
        code: 既存住基 年号コード, 1 (明治) … 5 (令和).
        name: Japanese name, e.g. ``"昭和"``.
        initial: Latin initial used in abbreviations, e.g. ``"S"``.
        romaji: Romanised name, e.g. ``"Showa"``.
        start: First day (Gregorian).
        end: Last day (Gregorian), or None for the current era.
    """

    code: int
    name: str
    initial: str
    romaji: str
    start: date
    end: date | None

    def contains(self, d: date) -> bool:
        """True if ``d`` falls within this era."""
        return self.start <= d and (self.end is None or d <= self.end)

    @property
    def last_year(self) -> int | None:
        """The last era year (e.g. 64 for 昭和), or None for the current era."""
        return None if self.end is None else self.end.year - self.start.year + 1


def _eras() -> tuple[Era, ...]:
    raw = (
        (1, "明治", "M", "Meiji", date(1868, 1, 25)),
        (2, "大正", "T", "Taisho", date(1912, 7, 30)),
        (3, "昭和", "S", "Showa", date(1926, 12, 25)),
        (4, "平成", "H", "Heisei", date(1989, 1, 8)),
        (5, "令和", "R", "Reiwa", date(2019, 5, 1)),
    )
    out: list[Era] = []
    for i, (code, name, initial, romaji, start) in enumerate(raw):
        end = raw[i + 1][4] - timedelta(days=1) if i + 1 < len(raw) else None
        out.append(Era(code, name, initial, romaji, start, end))
    return tuple(out)


ERAS: tuple[Era, ...] = _eras()
"""The supported eras in chronological order."""

GREGORIAN_FROM = date(1873, 1, 1)
"""明治6年1月1日: first day from which 和暦 dates are Gregorian dates (see the module docstring)."""

_BY_KEY: dict[str, Era] = {}
for _e in ERAS:
    for _k in (str(_e.code), _e.name, _e.name[0], _e.initial, _e.initial.lower(), _e.romaji.lower()):
        _BY_KEY[_k] = _e


def era_by_code(code: str | int) -> Era:
    """The era for a 年号コード (``"3"`` or ``3``), a name (``"昭和"``, ``"昭"``) or an initial (``"S"``).

    Raises:
        ValueError: unknown era.
    """
    key = unicodedata.normalize("NFKC", str(code)).strip()
    era = _BY_KEY.get(key) or _BY_KEY.get(key.lower())
    if era is None:
        raise ValueError(f"unknown era / 年号コード: {code!r}")
    return era


def era_of(d: date) -> Era:
    """The era that ``d`` (Gregorian) falls in.

    Raises:
        ValueError: ``d`` is before 明治 (1868-01-25).
    """
    for era in reversed(ERAS):
        if d >= era.start:
            return era
    raise ValueError(f"{d.isoformat()} is before 明治 (1868-01-25)")


def to_wareki(d: date) -> tuple[Era, int]:
    """The era and era year of ``d``, e.g. ``(昭和, 50)`` for 1975-01-01.

    Raises:
        ValueError: ``d`` is before 1873-01-01 (lunisolar 明治, see the module docstring).
    """
    if d < GREGORIAN_FROM:
        raise ValueError(
            f"{d.isoformat()}: 明治5年以前は太陰太陽暦のため変換しません"
            " (dates before 1873-01-01 are lunisolar)"
        )
    era = era_of(d)
    return era, d.year - era.start.year + 1


def from_wareki(era: Era | str | int, year: int, month: int, day: int) -> date:
    """The Gregorian date of era year/month/day, checked against the era's boundaries.

    Args:
        era: An :class:`Era`, or anything :func:`era_by_code` accepts.
        year: Era year, 1 for 元年.
        month: Month 1–12.
        day: Day of month.

    Raises:
        ValueError: no such day, the day is outside the era (e.g. 平成31年5月1日, 昭和64年1月8日),
            or it is a lunisolar 明治 date (明治5年以前).
    """
    e = era if isinstance(era, Era) else era_by_code(era)
    if year < 1:
        raise ValueError(f"{e.name}{year}年: era year must be ≥ 1")
    greg_year = e.start.year + year - 1
    if greg_year > 9999:
        raise ValueError(f"{e.name}{year}年: year out of range")
    try:
        d = date(greg_year, month, day)
    except ValueError:
        raise ValueError(f"{e.name}{_year_text(year)}{month}月{day}日: no such day") from None
    if d < GREGORIAN_FROM:
        raise ValueError(
            f"{e.name}{_year_text(year)}{month}月{day}日: 明治5年以前は太陰太陽暦のため変換しません"
        )
    if not e.contains(d):
        span = f"{e.start.isoformat()}〜{e.end.isoformat() if e.end else ''}"
        raise ValueError(f"{e.name}{_year_text(year)}{month}月{day}日 is outside {e.name} ({span})")
    return d


def _year_text(year: int) -> str:
    return "元年" if year == 1 else f"{year}年"


def format_wareki(d: date, style: str = "kanji") -> str:
    """Format ``d`` as 和暦.

    Args:
        d: The date.
        style: ``"kanji"`` → ``昭和50年1月1日`` (元年 for year 1); ``"short"`` → ``S50.01.01``;
            ``"code"`` → ``3500101`` (年号コード + YYMMDD, the 既存住基 7-digit form).

    Raises:
        ValueError: unknown style, or a date :func:`to_wareki` rejects.
    """
    era, year = to_wareki(d)
    if style == "kanji":
        return f"{era.name}{_year_text(year)}{d.month}月{d.day}日"
    if style == "short":
        return f"{era.initial}{year:02d}.{d.month:02d}.{d.day:02d}"
    if style == "code":
        if year > 99:
            raise ValueError(f"{d.isoformat()}: era year {year} does not fit the 7-digit form")
        return f"{era.code}{year:02d}{d.month:02d}{d.day:02d}"
    raise ValueError(f"unknown style {style!r}")


_KANJI_DIGITS = {ch: i for i, ch in enumerate("〇一二三四五六七八九")} | {"零": 0}
_KANJI_NUM_RE = re.compile(r"[〇零一二三四五六七八九十]+")


def _kanji_number(s: str) -> int:
    """A kanji numeral below 100: 五十, 十二, 二〇, 三十一, 十."""
    if "十" in s:
        tens, _, ones = s.partition("十")
        if "十" in ones or len(tens) > 1 or len(ones) > 1:
            raise ValueError(f"bad kanji numeral {s!r}")
        t = _KANJI_DIGITS[tens] if tens else 1
        o = _KANJI_DIGITS[ones] if ones else 0
        return t * 10 + o
    n = 0
    for ch in s:
        n = n * 10 + _KANJI_DIGITS[ch]
    return n


_ERA_ALT = "|".join(
    sorted(
        {re.escape(k) for e in ERAS for k in (e.name, e.name[0], e.initial, e.initial.lower())},
        key=len,
        reverse=True,
    )
)
_SP = r"\s*"
_RE_ERA_KANJI = re.compile(
    rf"^(?P<era>{_ERA_ALT}){_SP}(?P<y>元|[0-9]{{1,3}}){_SP}年{_SP}(?P<m>[0-9]{{1,2}}){_SP}月{_SP}(?P<d>[0-9]{{1,2}}){_SP}日$"
)
_RE_ERA_SEP = re.compile(
    rf"^(?P<era>{_ERA_ALT}){_SP}(?P<y>元|[0-9]{{1,3}})(?P<s>[./\-])(?P<m>[0-9]{{1,2}})(?P=s)(?P<d>[0-9]{{1,2}})$"
)
_RE_ERA_CODE7 = re.compile(r"^(?P<era>[1-5])(?P<y>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$")
_RE_ISO = re.compile(r"^(?P<y>[0-9]{4})(?P<s>[./\-])(?P<m>[0-9]{1,2})(?P=s)(?P<d>[0-9]{1,2})$")
_RE_YMD8 = re.compile(r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$")
_RE_GREG_KANJI = re.compile(
    rf"^(?P<y>[0-9]{{4}}){_SP}年{_SP}(?P<m>[0-9]{{1,2}}){_SP}月{_SP}(?P<d>[0-9]{{1,2}}){_SP}日$"
)


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).strip()
    # NFKC folds full-width digits/letters/punctuation; fold the remaining dash look-alikes.
    s = re.sub(r"[‐‑‒–—―−ー－]", "-", s)
    # Kanji numerals (昭和五十年一月一日) → digits.
    return _KANJI_NUM_RE.sub(lambda m: str(_kanji_number(m.group())), s)


def parse_wareki(text: str) -> date:
    """Parse a date written in 和暦 or 西暦.

    Accepted (full-width or half-width, surrounding spaces ignored)::

        昭和50年1月1日  昭和５０年１月１日  昭和五十年一月一日  令和元年5月1日
        S50.1.1  S50/01/01  s50-1-1  昭50.1.1  H31.4.30  R1.5.1  R元.5.1
        3500101            (年号コード + YYMMDD, 既存住基 7-digit form)
        1975-01-01  1975/1/1  1975.1.1  1975年1月1日  19750101

    Raises:
        ValueError: the text is not a date in one of these forms, names a day that does not exist
            (2月30日), or a day outside its era (平成31年5月1日, 昭和64年1月8日, 平成99年…), or a
            lunisolar 明治 date (明治5年以前).
    """
    if not isinstance(text, str):
        raise ValueError(f"not a string: {text!r}")
    try:
        s = _prepare(text)
    except (KeyError, ValueError):
        raise ValueError(f"not a date: {text!r}") from None
    for rx in (_RE_ERA_KANJI, _RE_ERA_SEP, _RE_ERA_CODE7):
        m = rx.match(s)
        if m:
            y = 1 if m["y"] == "元" else int(m["y"])
            return from_wareki(era_by_code(m["era"]), y, int(m["m"]), int(m["d"]))
    for rx in (_RE_ISO, _RE_GREG_KANJI, _RE_YMD8):
        m = rx.match(s)
        if m:
            try:
                d = date(int(m["y"]), int(m["m"]), int(m["d"]))
            except ValueError:
                raise ValueError(f"no such day: {text!r}") from None
            return d
    raise ValueError(f"not a date: {text!r}")


def is_valid_era_for_date(era_code: str, d: date) -> bool:
    """True if the 年号コード (or era name/initial) ``era_code`` is the era of ``d``.

    An unknown code or a date before 明治 gives False (it is not a valid combination).
    Example: ``is_valid_era_for_date("4", date(2019, 4, 30))`` is True,
    ``is_valid_era_for_date("4", date(2019, 5, 1))`` is False.
    """
    try:
        return era_by_code(era_code) is era_of(d)
    except ValueError:
        return False
