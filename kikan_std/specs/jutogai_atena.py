"""Rules of 共通機能 住登外者宛名番号管理 (business code 031) beyond the field checks.

Each 条件付き必須 item whose ※※ condition can be decided from the record itself has a rule here.
The others depend on facts outside the record and are not checked (listed in the spec's docs):
氏名 / 氏_日本人 / 名_日本人 (氏名未定 is not recorded), 氏名_外国人* (whether the person has such
a name), 住所_番地号表記 / 住所_方書 (whether the address has one), 業務ID / 独自施策システム等ID
(which system registers the record).

Rules from the 共通機能標準仕様書 第2.1版 (provenance in brackets): 業務ID・独自施策システム等ID are
3-character codes (the content formats code_digits / code_width, FLD022, official); a 名寄せ先宛名番号 never names its own record
(ATN002, derived) and names an existing 宛名番号 (ATN003, derived; a warning, because the target may be
in another file of the deliverable); the 丁目 number of the ABR 町字ID agrees with 「N丁目」 in 住所_町字
(ATN004, derived from the ABR specification; a warning).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from kikan_std.errors import RuleNotRun
from kikan_std.findings import Finding
from kikan_std.model.fields import is_unknown_date, unknown_date_rows
from kikan_std.model.rules import ChunkView, DatasetRule, DatasetState, KeyLookup, RecordRule, required_when
from kikan_std.model.spec import Group
from kikan_std.model.spill import SpillTable
from kikan_std.specs.edition import Edition, Record

_COMMON = "共通機能標準仕様書 第2.1版"

# -- ATN002 名寄せ先宛名番号は自分自身を指さない ------------------------------------------------------


def _check_merge_self(view: ChunkView) -> Iterator[Finding]:
    atena, target = view.col("宛名番号"), view.col("名寄せ先宛名番号")
    if atena is None or target is None:
        return  # vacuous: nothing to compare
    # Only the few records that name a 名寄せ先 are looked at (picked at C level, not by a loop per row).
    for i in itertools.compress(itertools.count(), target):
        if target[i] == atena[i]:
            yield view.finding("ATN002", i, item="名寄せ先宛名番号", value=target[i])


# -- ATN004 町字ID の丁目と住所_町字の「N丁目」 -------------------------------------------------------

_KANJI_NUM = {c: n for n, c in enumerate("〇一二三四五六七八九")}
_CHOME = re.compile(r"([0-9０-９]+|[一二三四五六七八九十〇]+)丁目$")


def kanji_number(text: str) -> int | None:
    """``二十三`` → 23, ``１２`` → 12, ``十`` → 10 (the forms 丁目 numbers take); None if not a number."""
    if text.isdigit():
        return int(text)  # int() reads full-width digits too
    if "十" not in text:
        if not all(c in _KANJI_NUM for c in text):
            return None
        return int("".join(str(_KANJI_NUM[c]) for c in text))
    tens, _, ones = text.partition("十")
    if not all(c in _KANJI_NUM for c in tens + ones) or len(tens) > 1 or len(ones) > 1:
        return None
    return (_KANJI_NUM[tens] if tens else 1) * 10 + (_KANJI_NUM[ones] if ones else 0)


def chome_mismatch(town_code: str, town: str) -> tuple[int, int] | None:
    """(丁目 in the text, 丁目 the code says) when the two disagree, else None.

    ABR 町字ID: 4-digit 大字・町 + 3 digits, ``000`` none, ``001``–``100`` the 丁目 number, ``101``–``999`` 小字.
    Only a text ending in 「N丁目」 and a code whose last three digits are ``000``–``100`` are judged.
    """
    if len(town_code) != 7 or not town_code.isdigit() or town_code in ("0000000", "9999999"):
        return None
    m = _CHOME.search(town)
    if m is None:
        return None
    tail = int(town_code[4:])
    if tail > 100:
        return None  # a 小字 code: the text's 丁目 may be part of the 大字 name
    n = kanji_number(m.group(1))
    if n is None or n == tail:
        return None
    return n, tail


def _check_chome(view: ChunkView) -> Iterator[Finding]:
    codes, towns = view.col("住所_町字コード"), view.col("住所_町字")
    if codes is None or towns is None:
        return  # vacuous: nothing to compare
    # Each distinct (町字コード, 町字) pair of the chunk is judged once; rows are walked only when one is wrong.
    bad = {pair: m for pair in set(zip(codes, towns, strict=True))
           if pair[0] and pair[1] and (m := chome_mismatch(*pair)) is not None}
    if not bad:
        return
    for i, pair in enumerate(zip(codes, towns, strict=True)):
        m = bad.get(pair)
        if m is not None:
            yield view.finding("ATN004", i, item="住所_町字コード", value=pair[0], town=pair[1], text_chome=m[0],
                               code_chome=m[1])


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
        # 0000000 = 町字なし; 9999999 = ABR に規定がない町字 (API spec), which still has a name. Zeros
        # only, shorter ("0"), are 0000000 that a spreadsheet shortened (FLD020 says so, with its hint):
        # still 町字なし, so one defect gives one finding.
        when=lambda c: c != "" and c.strip("0") != "",
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

RECORD_RULES += (
    RecordRule("merge_target_not_self", ("ATN002",), f"{_COMMON} 名寄せ（名寄せ先は別の宛名基本情報）", _check_merge_self),
    RecordRule("town_code_chome_matches_text", ("ATN004",),
               "ABR 日本町字マスター 町字ID（下3桁 001〜100 は丁目）/ 項目定義書 03100015・03100018", _check_chome),
)


# -- ATN003 名寄せ先宛名番号はファイル内の宛名番号 ----------------------------------------------------


class _MergeTargetState:
    """Every 名寄せ先宛名番号 names a 宛名番号 of the same file (a warning: it may be in another file).

    The 宛名番号 are the file's primary keys: they are looked up in the engine's key index at the end
    (``uses_primary_keys``) instead of being copied into a table of their own; only the records that
    name a 名寄せ先 are kept here.
    """

    _BATCH = 1_000_000
    """名寄せ先 looked up at a time (a spilled key index reads each partition once per lookup batch)."""

    def __init__(self, group: Group) -> None:
        self.file = ""
        self.keys: KeyLookup | None = None
        self.store = SpillTable("CREATE TABLE t (target TEXT, rec INTEGER, line INTEGER);")

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        self.file = view.file
        target = view.col("名寄せ先宛名番号")
        if view.col("宛名番号") is None or target is None:
            return ()  # vacuous: the missing column is CSV004
        if view.primary_keys is None or view.group.primary_key != ("宛名番号",):
            raise RuleNotRun("no index of the file's 宛名番号")
        self.keys = view.primary_keys
        named = list(itertools.compress(itertools.count(), target))  # the few records naming a 名寄せ先
        records, lines = view.records, view.lines
        self.store.insert("INSERT INTO t VALUES (?, ?, ?)", [(target[i], records[i], lines[i]) for i in named])
        return ()

    def finish(self) -> Iterator[Finding]:
        try:
            if self.keys is None:
                return
            rows = self.store.db.execute("SELECT target, rec, line FROM t ORDER BY rec")
            while batch := rows.fetchmany(self._BATCH):
                known = self.keys.contains_many([t for t, _, _ in batch])
                for (target, rec, line), ok in zip(batch, known, strict=True):
                    if not ok:
                        yield Finding("ATN003", file=self.file, record=rec, line=line, item="名寄せ先宛名番号",
                                      value=target, keys={"名寄せ先宛名番号": target})
        finally:
            self.store.close()


def _merge_targets(group: Group) -> DatasetState:
    return _MergeTargetState(group)


DATASET_RULES: tuple[DatasetRule, ...] = (
    DatasetRule("merge_target_exists", ("ATN003",), f"{_COMMON} 名寄せ（名寄せ先は既存の宛名番号）", _merge_targets,
                uses_primary_keys=True),
)


# 業務ID・独自施策システム等ID are 3-character codes (checked by their content formats, FLD022): the fix-up pads
# short half-width values so that a generated record breaks only the rule a test plants.
_HALF_WIDTH = re.compile(r"[\x21-\x7e]+", re.ASCII)
_THREE_CHAR_ITEMS = ("独自施策システム等ID", "業務ID")


def _satisfy_rules(r: Record) -> Record:
    """A field-valid record made to satisfy the decidable 条件付き必須 above (for generated test data)."""
    # A 名寄せ先 must name another record of the file (ATN002/ATN003), which one record alone cannot:
    # the record is made a representative one (代表宛名フラグ 0, no 名寄せ先).
    if r.get("代表宛名フラグ") == "1" or r.get("名寄せ先宛名番号"):
        if "代表宛名フラグ" in r:
            r["代表宛名フラグ"] = "0"
        r["名寄せ先宛名番号"] = ""
    for item in _THREE_CHAR_ITEMS:
        v = r.get(item, "")
        if v and len(v) < 3 and _HALF_WIDTH.fullmatch(v):
            r[item] = v.rjust(3, "0")
    if r.get("住所_町字コード") not in ("", "0000000", None) and not r.get("住所_町字"):
        r["住所_町字"] = "霞が関二丁目"
    if chome_mismatch(r.get("住所_町字コード", ""), r.get("住所_町字", "")) is not None:
        r["住所_町字"] = "霞が関"  # no 丁目 in the text: ATN004 does not judge it
    return r


EDITION = Edition(
    "jutogai_atena",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    mutation_triggers=frozenset({"生年月日", "住所_町字コード", "代表宛名フラグ", "宛名番号", "名寄せ先宛名番号"}),
    fixup=_satisfy_rules,
    generator="kikan_std.testing.generators.jutogai_atena:iter_jutogai_atena",
)
