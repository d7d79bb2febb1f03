"""Rules of 国民健康保険 (spec kokumin_kenko_hoken, modeled): 世帯 and 被保険者.

Persons of 75 and over are 後期高齢者医療 insured and excluded from 国保 (国民健康保険法第6条第8号,
高齢者の医療の確保に関する法律第50条), so nobody acquires 国保 on or after their 75th birthday.
"""

from __future__ import annotations

from collections.abc import Iterator

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, RecordRule, required_when
from kikan_std.specs._taxwel import birthday, exact_length_rule, order_rule, to_date
from kikan_std.specs.edition import Edition, PersonColumns, Record


def _not_75(view: ChunkView) -> Iterator[Finding]:
    birth, acquired = view.need("生年月日", "資格取得年月日")
    for i, (b, a) in enumerate(zip(birth, acquired, strict=True)):
        bd, ad = to_date(b), to_date(a)
        if bd is not None and ad is not None and ad >= birthday(bd, 75):
            yield view.finding("WEL008", i, item="資格取得年月日", value=a)


RECORD_RULES: tuple[RecordRule, ...] = (
    order_rule("household_acquired_before_lost", "WEL004", "世帯資格取得年月日", "世帯資格喪失年月日",
               "国民健康保険法第7条・第8条（資格の取得・喪失）", to_date, groups=("世帯",)),
    order_rule("acquired_before_lost", "WEL004", "資格取得年月日", "資格喪失年月日",
               "国民健康保険法第7条・第8条（資格の取得・喪失）", to_date, groups=("被保険者",)),
    exact_length_rule("branch_number_2_digits", "WEL005", "被保険者番号_枝番", 2,
                      "国民健康保険法施行規則（令和3年改正 被保険者番号の枝番 2桁）", groups=("被保険者",)),
    RecordRule("not_acquired_at_75", ("WEL008",), "国民健康保険法第6条第8号（後期高齢者医療の被保険者は適用除外）",
               _not_75, groups=("被保険者",)),
    required_when("loss_reason_present", target="資格喪失事由", triggers=("資格喪失年月日",),
                  when=lambda d: d != "", clause="国民健康保険法第8条 / 資格喪失事由 ※※（モデル）",
                  condition="資格喪失年月日がある場合"),
)
RECORD_RULES = tuple(
    RecordRule(r.name, r.codes, r.clause, r.check, ("被保険者",)) if r.groups is None else r for r in RECORD_RULES
)

DATASET_RULES: tuple[DatasetRule, ...] = ()

_PERIODS = (("世帯資格取得年月日", "世帯資格喪失年月日"), ("資格取得年月日", "資格喪失年月日"))


def _satisfy_rules(r: Record) -> Record:
    """A field-valid record made to satisfy WEL004 (for generated test data): a reversed period is swapped
    (ISO dates compare as text)."""
    for start, end in _PERIODS:
        a, b = r.get(start, ""), r.get(end, "")
        if a and b and b < a:
            r[start], r[end] = b, a
    return r


EDITION = Edition(
    "kokumin_kenko_hoken",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    person_refs={"世帯": (PersonColumns("世帯主宛名番号"),)},
    fixup=_satisfy_rules,
)
