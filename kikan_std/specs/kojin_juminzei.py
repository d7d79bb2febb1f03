"""Rules of 個人住民税 課税台帳 (spec kojin_juminzei, modeled) beyond the field checks.

Amounts are non-negative integers by their type (9); the arithmetic and rounding here come from
地方税法 (第20条の4の2: 課税標準 1,000円未満・確定金額 100円未満の端数切捨て).
"""

from __future__ import annotations

from collections.abc import Iterator

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, RecordRule, required_when
from kikan_std.specs._taxwel import to_int
from kikan_std.specs.edition import Edition

_AMOUNTS_100 = ("所得割額", "均等割額", "年税額")


def _tax_sum(view: ChunkView) -> Iterator[Finding]:
    shotoku, kinto, total = view.need("所得割額", "均等割額", "年税額")
    for i, (s, k, t) in enumerate(zip(shotoku, kinto, total, strict=True)):
        si, ki, ti = to_int(s), to_int(k), to_int(t)
        if si is not None and ki is not None and ti is not None and si + ki != ti:
            yield view.finding("TAX001", i, item="年税額", value=t, expected=si + ki)


def _rounding(view: ChunkView) -> Iterator[Finding]:
    for item, unit in (*((a, 100) for a in _AMOUNTS_100), ("課税標準額", 1000)):
        col = view.col(item)
        if col is None:
            continue
        for i, v in enumerate(col):
            n = to_int(v)
            if n is not None and n % unit:
                yield view.finding("TAX002", i, item=item, value=v, unit=unit)


def _income_le_revenue(view: ChunkView) -> Iterator[Finding]:
    rev, inc = view.need("給与収入額", "給与所得額")
    for i, (r, s) in enumerate(zip(rev, inc, strict=True)):
        ri, si = to_int(r), to_int(s)
        if ri is not None and si is not None and si > ri:
            yield view.finding("TAX003", i, item="給与所得額", value=s, revenue_item="給与収入額")


# 課税区分 → (所得割額 may be > 0, 均等割額 may be > 0, at least one must be > 0)
_KUBUN = {"1": (True, True, True), "2": (False, False, False), "3": (False, True, True), "4": (True, False, True)}


def _kubun_amounts(view: ChunkView) -> Iterator[Finding]:
    kubun, shotoku, kinto = view.need("課税区分", "所得割額", "均等割額")
    for i, (k, s, e) in enumerate(zip(kubun, shotoku, kinto, strict=True)):
        allowed = _KUBUN.get(k)
        si, ei = to_int(s), to_int(e)
        if allowed is None or si is None or ei is None:
            continue
        s_ok, e_ok, some = allowed
        if (si > 0 and not s_ok) or (ei > 0 and not e_ok) or (some and si + ei == 0) or (s_ok and e_ok and ei == 0):
            yield view.finding("TAX004", i, item="課税区分", value=k, shotoku=s, kinto=e)


RECORD_RULES: tuple[RecordRule, ...] = (
    RecordRule("annual_tax_is_sum", ("TAX001",), "年税額 = 所得割額 + 均等割額（地方税法第310条・第312条・第314条の3）",
               _tax_sum),
    RecordRule("amounts_rounded", ("TAX002",), "地方税法第20条の4の2 第1項（課税標準 1,000円未満切捨て）・第3項（確定金額 100円未満切捨て）",
               _rounding),
    RecordRule("salary_income_not_above_revenue", ("TAX003",), "所得税法第28条（給与所得 = 給与収入 − 給与所得控除）・地方税法第32条",
               _income_le_revenue),
    RecordRule("kazei_kubun_matches_amounts", ("TAX004",), "課税区分（モデル）と所得割・均等割の有無（地方税法第295条 非課税）",
               _kubun_amounts),
    required_when(
        "special_collector_present",
        target="特別徴収義務者指定番号",
        triggers=("徴収区分",),
        when=lambda c: c == "1",
        clause="地方税法第321条の3（給与所得者の特別徴収）/ 特別徴収義務者指定番号 ※※徴収区分が 1 の場合は出力必須（モデル）",
        condition="徴収区分が 1（特別徴収・給与）の場合",
    ),
)

DATASET_RULES: tuple[DatasetRule, ...] = ()

EDITION = Edition(
    "kojin_juminzei",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
)
