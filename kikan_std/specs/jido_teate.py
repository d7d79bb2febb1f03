"""Rules of 児童手当 (spec jido_teate, modeled): 受給者 and 対象児童.

The law as amended from 2024-10 (令和6年10月): children qualify until the first 31 March after their
18th birthday (児童手当法第3条第1項), no income limit, monthly amounts 15,000 (under 3) / 10,000
(3 and over) / 30,000 (third child on) (第6条).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, RecordRule
from kikan_std.specs._taxwel import birthday, order_rule, to_date, to_int, to_month, year_month_rule
from kikan_std.specs.edition import Edition, PersonColumns

_AMOUNT = {"1": 15_000, "2": 10_000, "3": 30_000}


def age_limit_month(birth: _dt.date) -> tuple[int, int]:
    """The last month of payment: the March of the first 31 March on or after the day the child
    reaches 18 (年齢計算ニ関スル法律: the day before the 18th birthday, so 4月1日生まれ end a year earlier)."""
    reached = birthday(birth, 18) - _dt.timedelta(days=1)
    return (reached.year if reached <= _dt.date(reached.year, 3, 31) else reached.year + 1, 3)


def _age_limit(view: ChunkView) -> Iterator[Finding]:
    births, starts = view.need("児童生年月日", "支給開始年月")
    for i, (b, s) in enumerate(zip(births, starts, strict=True)):
        bd, ym = to_date(b), to_month(s)
        if bd is None or ym is None:
            continue
        if ym > age_limit_month(bd) or ym < (bd.year, bd.month):
            yield view.finding("WEL001", i, item="児童生年月日", value=b, start=s)


def _amount(view: ChunkView) -> Iterator[Finding]:
    kubun, amount = view.need("支給区分", "手当月額")
    for i, (k, a) in enumerate(zip(kubun, amount, strict=True)):
        expected, ai = _AMOUNT.get(k), to_int(a)
        if expected is not None and ai is not None and ai != expected:
            yield view.finding("WEL003", i, item="手当月額", value=a, expected=expected, kubun=k)


RECORD_RULES: tuple[RecordRule, ...] = (
    year_month_rule("payment_months_are_year_months", "WEL002", ("支給開始年月", "支給終了年月"),
                    "児童手当法第8条（月単位の支給）: 年月は YYYY-MM（モデル）"),
    order_rule("payment_start_not_after_end", "WEL004", "支給開始年月", "支給終了年月",
               "児童手当法第8条第2項（支給開始・終了の月）", to_month, groups=("受給者",)),
    RecordRule("child_within_age_limit", ("WEL001",), "児童手当法第3条第1項（18歳に達する日以後の最初の3月31日まで）",
               _age_limit, groups=("対象児童",)),
    RecordRule("monthly_amount_matches_kubun", ("WEL003",), "児童手当法第6条（令和6年10月以降の額）", _amount,
               groups=("対象児童",)),
)

DATASET_RULES: tuple[DatasetRule, ...] = ()

EDITION = Edition(
    "jido_teate",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    # A child record names two people: the child, and the 受給者 paid for it.
    person_refs={"対象児童": (PersonColumns("児童宛名番号", "児童生年月日", "児童性別"), PersonColumns("受給者宛名番号"))},
)
