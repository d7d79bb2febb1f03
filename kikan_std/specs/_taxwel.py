"""Rule shapes shared by the 地方税 and 福祉 specs (kojin_juminzei, kotei_shisanzei, kei_jidoshazei,
jido_teate, kaigo_hoken, kokumin_kenko_hoken).

Values that do not parse (a non-integer amount, an impossible date) are the field checks' findings;
these rules skip them rather than report the same value twice.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator, Sequence

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, RecordRule

_YM = re.compile(r"^(\d{4})-(\d{2})$")


def to_int(v: str) -> int | None:
    """A half-width non-negative integer, or None (blank or not a number: the field check's job)."""
    return int(v) if v and v.isascii() and v.isdigit() else None


def to_date(v: str) -> _dt.date | None:
    """An ISO date, or None."""
    if len(v) != 10:
        return None
    try:
        return _dt.date.fromisoformat(v)
    except ValueError:
        return None


def to_month(v: str) -> tuple[int, int] | None:
    """(year, month) of a valid ``YYYY-MM``, or None."""
    m = _YM.match(v)
    if m is None:
        return None
    y, mo = int(m.group(1)), int(m.group(2))
    return (y, mo) if 1 <= mo <= 12 and y >= 1868 else None


def birthday(birth: _dt.date, years: int) -> _dt.date:
    """The day ``birth`` turns ``years`` (29 February → 1 March in common years)."""
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:
        return _dt.date(birth.year + years, 3, 1)


def year_month_rule(name: str, code: str, items: tuple[str, ...], clause: str,
                    groups: tuple[str, ...] | None = None) -> RecordRule:
    """Items written ``YYYY-MM`` (no 基本データリスト type for a year-month exists; X(7) is used)."""

    def check(view: ChunkView) -> Iterator[Finding]:
        for item in items:
            col = view.col(item)
            if col is None:
                continue
            for i, v in enumerate(col):
                if v and to_month(v) is None:
                    yield view.finding(code, i, item=item, value=v)

    return RecordRule(name=name, codes=(code,), clause=clause, check=check, groups=groups)


def order_rule(name: str, code: str, start: str, end: str, clause: str, parse: Callable[[str], object],
               groups: tuple[str, ...] | None = None) -> RecordRule:
    """``start`` ≤ ``end`` where both are present and parse (dates, year-months or years)."""

    def check(view: ChunkView) -> Iterator[Finding]:
        s, e = view.need(start, end)
        for i, (a, b) in enumerate(zip(s, e, strict=True)):
            if not a or not b:
                continue
            pa, pb = parse(a), parse(b)
            if pa is not None and pb is not None and pb < pa:  # type: ignore[operator]
                yield view.finding(code, i, item=end, value=b, start_item=start, start=a)

    return RecordRule(name=name, codes=(code,), clause=clause, check=check, groups=groups)


def exact_length_rule(name: str, code: str, item: str, length: int, clause: str,
                      groups: tuple[str, ...] | None = None) -> RecordRule:
    """``item`` has exactly ``length`` characters when present (longer values are FLD002 already)."""

    def check(view: ChunkView) -> Iterator[Finding]:
        col = view.col(item)
        if col is None:
            return
        for i, v in enumerate(col):
            if v and len(v) < length:
                yield view.finding(code, i, item=item, value=v, length=length)

    return RecordRule(name=name, codes=(code,), clause=clause, check=check, groups=groups)


def columns(view: ChunkView, names: Sequence[str]) -> list[Sequence[str]]:
    """The columns ``names`` (RuleNotRun naming the missing ones)."""
    return view.need(*names)
