"""Rules of 共通機能 住登外者宛名番号管理 (business code 031) beyond the field checks.

Each 条件付き必須 item whose ※※ condition can be decided from the record itself has a rule here.
The others depend on facts outside the record and are not checked (listed in the spec's docs):
氏名 / 氏_日本人 / 名_日本人 (氏名未定 is not recorded), 氏名_外国人* (whether the person has such
a name), 住所_番地号表記 / 住所_方書 (whether the address has one), 業務ID / 独自施策システム等ID
(which system registers the record).
"""

from __future__ import annotations

from kikan_std.model.fields import is_unknown_date, unknown_date_rows
from kikan_std.model.rules import DatasetRule, RecordRule, required_when
from kikan_std.specs.edition import Edition, Record

RECORD_RULES: tuple[RecordRule, ...] = (
    required_when(
        "unknown_birth_date_has_notation",
        target="生年月日_不詳表記",
        triggers=("生年月日",),
        when=is_unknown_date,
        rows_where=unknown_date_rows,
        clause="03100013 生年月日_不詳表記 ※※生年月日が不詳の場合は出力必須",
        condition="生年月日が不詳（暦にない日付）の場合",
    ),
    required_when(
        "town_name_present_when_town_code_says_so",
        target="住所_町字",
        triggers=("住所_町字コード",),
        # 0000000 = 町字なし; 9999999 = ABR に規定がない町字 (API spec), which still has a name.
        when=lambda c: c != "" and c != "0000000",
        clause="03100018 住所_町字 ※※住所に町字が存在する場合は出力必須 / 03100015 町字なし=0000000",
        condition="住所_町字コードが町字の存在を示す（0000000 以外）場合",
    ),
    required_when(
        "merge_target_present_for_non_representative",
        target="名寄せ先宛名番号",
        triggers=("代表宛名フラグ",),
        when=lambda flag: flag == "1",
        clause="03100026 名寄せ先宛名番号 ※※名寄せ元となった宛名基本情報の場合は出力必須 / コード2 1=非代表宛名",
        condition="代表宛名フラグが 1（非代表宛名＝名寄せ元）の場合",
    ),
)

DATASET_RULES: tuple[DatasetRule, ...] = ()


def _satisfy_rules(r: Record) -> Record:
    """A field-valid record made to satisfy the decidable 条件付き必須 above (for generated test data)."""
    if r.get("代表宛名フラグ") == "1" and not r.get("名寄せ先宛名番号"):
        r["名寄せ先宛名番号"] = "000000000000001"
    if r.get("住所_町字コード") not in ("", "0000000", None) and not r.get("住所_町字"):
        r["住所_町字"] = "霞が関二丁目"
    return r


EDITION = Edition(
    "jutogai_atena",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    mutation_triggers=frozenset({"生年月日", "住所_町字コード", "代表宛名フラグ"}),
    fixup=_satisfy_rules,
    generator="kikan_std.testing.generators.jutogai_atena:iter_jutogai_atena",
)
