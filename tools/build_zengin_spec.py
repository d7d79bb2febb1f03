"""Build kikan_std/specs/zengin_sogo_furikomi.json from the transfer-file layout in code.

Single source of truth: :data:`kikan_std.jp.zengin.LAYOUT` (the layout the writer writes
and :func:`~kikan_std.jp.zengin.validate_transfer_file` checks). Each record type
(データ区分) becomes a group whose fixed-width layout selects its records by the データ区分 byte.

Mapping of a :class:`~kikan_std.jp.zengin.FieldSpec` to an item:

* kind ``N`` → type X, format ``zengin_numeric`` (half-width digits filling the field, ZGN003);
  必須 unless ``blank_ok`` (a blank 必須 field is FLD001);
* kind ``C`` → type X, format ``zengin_chars`` (the 全銀 character set, ZGN004); 任意 (space-filled
  is allowed);
* ``fixed`` / ``allowed`` → a code list (a value outside it is FLD015); a blank (all spaces)
  allowed value is the blank value of a 任意 item, not a code.

Usage: ``python tools/build_zengin_spec.py [--check]`` (``--check`` fails if the committed file differs).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kikan_std.jp.zengin import LAYOUT, RECORD_LENGTH, RECORD_NAMES, FieldSpec

OUT = Path(__file__).resolve().parent.parent / "kikan_std" / "specs" / "zengin_sogo_furikomi.json"

_SOURCE = (
    "全銀協規定形式（全国銀行協会 総合振込 依頼データ、種別コード21、1レコード120バイト）。"
    "公開の業界標準として広く知られるレイアウトを kikan_std.jp.zengin.LAYOUT に写したもの"
    "（全銀協の原文書そのものではない）。"
)

ROMAJI: dict[str, str] = {
    "データ区分": "data_kubun",
    "種別コード": "shubetsu_code",
    "コード区分": "code_kubun",
    "振込依頼人コード": "furikomi_irainin_code",
    "振込依頼人名": "furikomi_irainin_mei",
    "取組日": "torikumi_bi",
    "仕向銀行番号": "shimuke_ginko_bango",
    "仕向銀行名": "shimuke_ginko_mei",
    "仕向支店番号": "shimuke_shiten_bango",
    "仕向支店名": "shimuke_shiten_mei",
    "預金種目（依頼人）": "yokin_shumoku_irainin",
    "口座番号（依頼人）": "koza_bango_irainin",
    "ダミー": "dummy",
    "被仕向銀行番号": "hishimuke_ginko_bango",
    "被仕向銀行名": "hishimuke_ginko_mei",
    "被仕向支店番号": "hishimuke_shiten_bango",
    "被仕向支店名": "hishimuke_shiten_mei",
    "手形交換所番号": "tegata_kokanjo_bango",
    "預金種目": "yokin_shumoku",
    "口座番号": "koza_bango",
    "受取人名": "uketorinin_mei",
    "振込金額": "furikomi_kingaku",
    "新規コード": "shinki_code",
    "顧客コード1": "kokyaku_code1",
    "顧客コード2": "kokyaku_code2",
    "振込指定区分": "furikomi_shitei_kubun",
    "識別表示": "shikibetsu_hyoji",
    "合計件数": "gokei_kensu",
    "合計金額": "gokei_kingaku",
}

# Meanings of the code values (derived: the published 全銀協 format), except where marked modeled.
MEANINGS: dict[str, dict[str, str]] = {
    "データ区分": dict(RECORD_NAMES),
    "種別コード": {"21": "総合振込", "11": "給与振込", "12": "賞与振込"},
    "コード区分": {"0": "JIS（SJIS）", "1": "EBCDIC"},
    "預金種目": {"1": "普通預金", "2": "当座預金", "4": "貯蓄預金", "9": "その他"},
    "新規コード": {"0": "その他", "1": "第1回振込分", "2": "変更分"},
    "振込指定区分": {"7": "テレ振込", "8": "文書振込"},
    "識別表示": {"Y": "識別表示あり"},
}
MODELED_LISTS = {"識別表示"}  # the meaning of Y is our reading, not checked against a source

PERSONAL = {"受取人名", "口座番号", "振込金額", "顧客コード1", "顧客コード2"}


def _meanings(name: str) -> dict[str, str]:
    return MEANINGS.get(name.replace("（依頼人）", ""), {})


def _item(kind: str, f: FieldSpec, code_lists: list[dict[str, Any]]) -> dict[str, Any]:
    values = [f.fixed] if f.fixed is not None else [v for v in f.allowed if v.strip()]
    code_list = None
    if values:
        code_list = f"zengin_{kind}_{ROMAJI[f.name]}"
        meanings = _meanings(f.name)
        code_lists.append({
            "id": code_list,
            "name": f"{f.name}（{RECORD_NAMES[kind]}）",
            "values": [{"value": v, "meaning": meanings.get(v, v)} for v in values],
            "note": "空白（スペース）は任意項目の空欄として扱う" if len(values) < len(f.allowed) else "",
            "provenance": "modeled" if f.name in MODELED_LISTS else "derived",
        })
    numeric = f.kind == "N"
    blank_ok = (not numeric) or f.blank_ok
    where = f"{f.start}〜{f.start + f.length - 1}バイト目（{f.length}バイト）"
    description = (
        f"{where}。" + ("半角数字、右詰め・前ゼロ埋めで桁いっぱい" if numeric else "全銀の文字（半角カナ・英大文字・数字・一部記号）、左詰め・後ろ空白埋め")
        + ("。全桁空白も可" if numeric and f.blank_ok else "")
        + "。必須／任意はモデル"
    )
    return {
        "name": f.name,
        "romaji": ROMAJI[f.name],
        "type": "X",
        "length": str(f.length),
        "code_list": code_list,
        "obligation": "任意" if blank_ok else "必須",
        "format": "zengin_numeric" if numeric else "zengin_chars",
        "personal": f.name in PERSONAL,
        "description": description,
        "provenance": "derived",
    }


def build() -> dict[str, Any]:
    code_lists: list[dict[str, Any]] = []
    groups = []
    for kind, fields in LAYOUT.items():
        items = [_item(kind, f, code_lists) for f in fields]
        groups.append({
            "name": RECORD_NAMES[kind],
            "romaji": {"1": "header", "2": "data", "8": "trailer", "9": "end"}[kind],
            "items": items,
            "fixed_width": {
                "encoding": "cp932",
                "record_length": RECORD_LENGTH,
                "line_terminator": "auto",
                "fields": [{"item": f.name, "start": f.start, "length": f.length} for f in fields],
                "group": RECORD_NAMES[kind],
                "record_type": {"start": 1, "length": 1, "value": kind},
            },
        })
    return {
        "id": "zengin_sogo_furikomi",
        "business_code": "ZGN",
        "title": "全銀協 総合振込 依頼データ（固定長120バイト）",
        "edition": "全銀協規定形式",
        "published": "2026-11",
        "applies_from": None,  # 全銀協規定形式: not a dated edition
        "source": _SOURCE,
        "provenance": "derived",
        "groups": groups,
        "code_lists": code_lists,
        "notes": [
            "基幹業務の標準仕様ではなく、kikan-std reconcile --transfer-file が書く振込ファイルを同じ検査器で検証するための仕様。"
            "レイアウトは kikan_std.jp.zengin.LAYOUT から tools/build_zengin_spec.py で生成（手で編集しない）。 / "
            "Not a national standard: the layout of the transfer file kikan-std reconcile writes, generated from "
            "kikan_std.jp.zengin.LAYOUT by tools/build_zengin_spec.py.",
            "4つのグループは1つのファイルのデータ区分（1 ヘッダー / 2 データ / 8 トレーラ / 9 エンド）。各グループの固定長レイアウトは"
            "先頭1バイトのデータ区分で自分のレコードを選ぶ。レコード順序・未知のデータ区分・トレーラの合計件数／合計金額は"
            "ファイル単位の規則（ZGN002・ZGN005・ZGN006・ZGN007）。 / The four groups are the record types of one file; "
            "order, unknown record types and trailer totals are file-level rules.",
            "検査コードの対応: 数字項目 ZGN003、文字 ZGN004、レコード長 FIX001（validate_transfer_file では ZGN001）、"
            "規定値 FLD015（同 ZGN008）、必須の数字項目が全桁空白 FLD001（同 ZGN003）、cp932 として読めないバイト CSV001"
            "（同 ZGN004）。 / Code mapping versus validate_transfer_file: ZGN001→FIX001, ZGN008→FLD015, "
            "blank required numeric → FLD001, undecodable byte → CSV001.",
            "必須／任意はモデル（modeled）: 数字項目は全桁空白可（blank_ok）以外を必須、文字項目は任意とした。 / "
            "Obligations are modeled: numeric fields required unless blank is allowed, character fields optional.",
            "区切りのない（改行なしで120バイトずつ連続する）ファイルは組み込みレイアウト（改行区切り）では読めない（FIX001）。 / "
            "Files without record separators are not read by the built-in layout (FIX001).",
        ],
    }


def render() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
