"""Build kikan_std/specs/jutogai_atena.json from the official item definition.

Source: デジタル庁 共通機能標準仕様書 別紙「項目定義書（住登外者宛名番号管理）」(business code 031),
extracted to ``shared/reference/data/jutogai_atena_item_definition.tsv`` and
``jutogai_atena_codes.tsv``. Everything read from those files is ``official``. The annotations
(which items hold personal data, which content format an item's 項目説明 pins down, where 不詳日
is allowed, other header spellings) come from :func:`kikan_std.model.annotate.annotate_item`, shared with
the workbook importer; they are documented in docs/formats.md.

Usage: python tools/build_jutogai_atena.py [REFERENCE_DATA_DIR]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from kikan_std.model.annotate import annotate_item, condition_of, resolve_code_id

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REF = ROOT.parent / "shared" / "reference" / "data"

# Annotations beyond the official row (personal, format, 不詳日, other spellings) are inferred by
# kikan_std.model.annotate, the same rules the workbook importer applies, so the two cannot drift.


def build(ref: Path) -> dict[str, object]:
    with (ref / "jutogai_atena_item_definition.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with (ref / "jutogai_atena_codes.tsv").open(encoding="utf-8") as f:
        code_rows = list(csv.DictReader(f, delimiter="\t"))

    lists: dict[str, dict[str, object]] = {}
    for r in code_rows:
        cid = r["コードID"].strip()
        cl = lists.setdefault(
            cid, {"id": cid, "name": r["コード名"].strip(), "values": [], "provenance": "official"}
        )
        if r["コード値"].strip() == "任意":
            cl["open"] = True
            cl["note"] = r["備考"].strip()
        else:
            cl["values"].append({"value": r["コード値"].strip(), "meaning": r["コード値の内容"].strip()})  # type: ignore[attr-defined]

    items = []
    pk = []
    for r in rows:
        name = r["データ項目"].strip()
        code = r["コード"].strip() or None
        if code is not None:
            code = resolve_code_id(code, lists)
        definition = r["項目定義"].replace("\\n", "\n").strip()
        desc = r["項目説明"].replace("\\n", "\n").strip()
        condition = condition_of(desc)
        item: dict[str, object] = {
            "id": r["データ項目ID(8桁)"].strip(),
            "name": name,
            "romaji": r["データ項目_ローマ字"].strip(),
            "type": r["データ型"].strip(),
            "length": r["桁数"].strip(),
            "code_list": code,
            "repetition": int(r["繰り返し"]) if r["繰り返し"].strip() else None,
            "obligation": r["データ出力条件"].strip(),
            "condition": condition,
            "primary_key": r["主キー"].strip() == "○",
            "foreign_key": r["外部キー"].strip() == "○",
            "description": (definition + ("\n" + desc if desc else "")).strip(),
            "sample": r["サンプル値"].replace("\\n", "\n").strip(),
            "provenance": "official",
        }
        annotate_item(item, definition, desc)
        if item["primary_key"]:
            pk.append(name)
        items.append(item)

    group_names = {r["グループ名称"].strip() for r in rows}
    assert len(group_names) == 1, group_names
    return {
        "id": "jutogai_atena",
        "business_code": "031",
        "title": "共通機能 住登外者宛名番号管理 項目定義書",
        "edition": "2023-09-29",
        "published": "2023-09-29",
        # 施行日: the workbook and its publication page state none (see docs/spec-diff.md).
        "applies_from": None,
        "source": (
            "デジタル庁 地方公共団体情報システム共通機能標準仕様書 別紙 項目定義書（住登外者宛名番号管理）"
            " 20230929_policies_local_governments_common-feature-specification_outline_56.xlsx"
        ),
        "provenance": "official",
        "groups": [
            {
                "name": group_names.pop(),
                "romaji": "jutogaisha_atena_kihon_joho",
                "items": items,
                "primary_key": pk,
            }
        ],
        "code_lists": sorted(lists.values(), key=lambda c: int(str(c["id"]))),
        "notes": [
            "コードID 2（代表宛名フラグ）は項目行では「002」、コード一覧では「2」と表記されている。同一のコード一覧として扱う。",
            "住所_町字 の桁数は項目定義書では18、API仕様では120。項目定義書の18を採用。",
            "業務ID・独自施策システム等ID の繰り返し（最大999）はCSVでは1セル1値として扱う。",
        ],
    }


def main() -> None:
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REF
    spec = build(ref)
    out = ROOT / "kikan_std" / "specs" / "jutogai_atena.json"
    out.write_text(json.dumps(spec, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
