"""Rules of 介護保険 被保険者 (spec kaigo_hoken, modeled; 要介護状態区分 / 異動事由 codes derived, 3rd party).

被保険者番号 is 10 digits; 第1号被保険者 are 65 or older (介護保険法第9条第1号) and acquire on the day
before their 65th birthday at the earliest (年齢計算ニ関スル法律: the age is reached on that day);
a 資格取得事由 is an acquisition code (0xx) and a 資格喪失事由 a loss code (2xx) of the
中間標準レイアウト list (SPEC_FACTS §7 — the 0xx/2xx classes are read from the values, not documented).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, RecordRule, required_when
from kikan_std.specs._taxwel import birthday, exact_length_rule, order_rule, to_date
from kikan_std.specs.edition import Edition

_CERTIFIED = frozenset({"12", "13", "21", "22", "23", "24", "25"})


def _jiyu_class(view: ChunkView) -> Iterator[Finding]:
    for item, prefix, kind in (("資格取得事由", "0", "取得"), ("資格喪失事由", "2", "喪失")):
        col = view.col(item)
        if col is None:
            continue
        for i, v in enumerate(col):
            if len(v) == 3 and v.isdigit() and not v.startswith(prefix):
                yield view.finding("WEL006", i, item=item, value=v, kind=kind)


def _first_insured_age(view: ChunkView) -> Iterator[Finding]:
    kubun, birth, acquired = view.need("被保険者区分", "生年月日", "資格取得年月日")
    for i, (k, b, a) in enumerate(zip(kubun, birth, acquired, strict=True)):
        if k not in ("1", "2"):
            continue
        bd, ad = to_date(b), to_date(a)
        if bd is None or ad is None:
            continue
        age = 65 if k == "1" else 40
        if ad + _dt.timedelta(days=1) < birthday(bd, age):
            yield view.finding("WEL007", i, item="資格取得年月日", value=a, age=age, kubun=k)


RECORD_RULES: tuple[RecordRule, ...] = (
    exact_length_rule("insured_number_10_digits", "WEL005", "被保険者番号", 10,
                      "介護保険法施行規則（被保険者証の被保険者番号 10桁）"),
    order_rule("acquired_before_lost", "WEL004", "資格取得年月日", "資格喪失年月日",
               "介護保険法第10条・第11条（資格の取得・喪失）", to_date),
    order_rule("certification_period_ordered", "WEL004", "認定有効期間_開始年月日", "認定有効期間_終了年月日",
               "介護保険法第28条（認定の有効期間）", to_date),
    RecordRule("idojiyu_class", ("WEL006",), "中間標準レイアウト 介護 異動事由（0xx 取得・2xx 喪失、第三者資料）",
               _jiyu_class),
    RecordRule("insured_category_age", ("WEL007",), "介護保険法第9条（第1号 65歳以上・第2号 40歳以上65歳未満）",
               _first_insured_age),
    required_when("loss_reason_present", target="資格喪失事由", triggers=("資格喪失年月日",),
                  when=lambda d: d != "", clause="介護保険法第11条 / 資格喪失事由 ※※（モデル）",
                  condition="資格喪失年月日がある場合"),
    required_when("certification_start_present", target="認定有効期間_開始年月日", triggers=("要介護状態区分",),
                  when=lambda c: c in _CERTIFIED, clause="介護保険法第27条・第28条 / 認定有効期間 ※※（モデル）",
                  condition="要介護状態区分が要支援・要介護（12〜25）の場合"),
    required_when("certification_end_present", target="認定有効期間_終了年月日", triggers=("要介護状態区分",),
                  when=lambda c: c in _CERTIFIED, clause="介護保険法第27条・第28条 / 認定有効期間 ※※（モデル）",
                  condition="要介護状態区分が要支援・要介護（12〜25）の場合"),
)

DATASET_RULES: tuple[DatasetRule, ...] = ()

EDITION = Edition(
    "kaigo_hoken",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
)
