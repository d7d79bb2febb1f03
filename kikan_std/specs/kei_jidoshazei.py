"""Rules of 軽自動車税（種別割）(spec kei_jidoshazei, modeled) beyond the field checks."""

from __future__ import annotations

from kikan_std.model.rules import DatasetRule, RecordRule, required_when
from kikan_std.specs._taxwel import order_rule, to_date, year_month_rule
from kikan_std.specs.edition import Edition

_WITH_INSPECTION = frozenset({"21", "22", "23", "24", "31"})

RECORD_RULES: tuple[RecordRule, ...] = (
    year_month_rule("first_inspection_is_year_month", "TAX010", ("初度検査年月",),
                    "初度検査年月（道路運送車両法第58条 自動車検査証の記載事項）: YYYY-MM（モデル）", groups=("車両",)),
    required_when(
        "first_inspection_present_for_inspected_vehicles",
        target="初度検査年月",
        triggers=("車種区分",),
        when=lambda c: c in _WITH_INSPECTION,
        clause="道路運送車両法第58条（三輪以上の軽自動車は検査対象）/ 初度検査年月 ※※（モデル）",
        condition="車種区分が三輪以上の軽自動車（21〜31）の場合",
    ),
    order_rule("acquired_before_scrapped", "TAX011", "取得年月日", "廃車年月日",
               "取得年月日 ≤ 廃車年月日（モデル）", to_date, groups=("車両",)),
)
# required_when applies to every group by default; restrict it to 車両 where the columns live.
RECORD_RULES = tuple(
    RecordRule(r.name, r.codes, r.clause, r.check, ("車両",)) if r.groups is None else r for r in RECORD_RULES
)

DATASET_RULES: tuple[DatasetRule, ...] = ()

EDITION = Edition(
    "kei_jidoshazei",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
)
