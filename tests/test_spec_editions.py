"""Spec editions: ``spec diff``, checks against several editions, the 共通機能 第2.1版 and municipal rules."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import kikan_std
from kikan_std.specs import load_spec
from kikan_std.specs.jutogai_atena import chome_mismatch, kanji_number
from kikan_std.testing.generate import write_sample
from tests.conftest import error_kind, run_cli

ROOT = Path(__file__).resolve().parent.parent
WORKBOOK = ROOT.parent / "shared" / "reference" / "data" / "digital-agency_jutogai-atena_item-definition.xlsx"
needs_workbook = pytest.mark.skipif(not WORKBOOK.is_file(), reason="the official workbook is in the shared reference data")


def _column(ws: openpyxl.worksheet.worksheet.Worksheet, heading: str) -> int:
    for row in ws.iter_rows(min_row=1, max_row=10):
        for cell in row:
            if cell.value == heading:
                return cell.column
    raise AssertionError(heading)


def _row_of(ws: openpyxl.worksheet.worksheet.Worksheet, name_col: int, name: str) -> int:
    for row in ws.iter_rows(min_row=1):
        if row[name_col - 1].value == name:
            return row[0].row
    raise AssertionError(name)


def _planted_copy(tmp_path: Path) -> Path:
    """The official workbook with five planted changes."""
    wb = openpyxl.load_workbook(WORKBOOK)
    items = next(ws for ws in wb.worksheets if ws.title.startswith("項目定義書"))
    name, length, obligation = (_column(items, h) for h in ("データ項目", "桁数", "データ出力条件"))
    items.cell(_row_of(items, name, "氏名_読み仮名"), name).value = "氏名_フリガナ"  # 1 renamed
    items.cell(_row_of(items, name, "住所_郵便番号"), length).value = 8  # 2 length
    items.cell(_row_of(items, name, "個人番号"), obligation).value = "必須"  # 3 obligation
    items.delete_rows(_row_of(items, name, "住所_方書_フリガナ"))  # 4 removed
    codes = next(ws for ws in wb.worksheets if ws.title.startswith("コード一覧"))
    value_col, meaning_col = _column(codes, "コード値"), _column(codes, "コード値の内容")
    after = next(r[0].row for r in codes.iter_rows() if r[value_col - 1].value == "2" and r[meaning_col - 1].value == "女")
    codes.insert_rows(after + 1)
    codes.cell(after + 1, value_col).value = "9"  # 5 code value added (性別)
    codes.cell(after + 1, meaning_col).value = "適用不能"
    out = tmp_path / "項目定義書_改.xlsx"
    wb.save(out)
    return out


@needs_workbook
def test_diff_of_the_official_workbook_lists_exactly_the_five_planted_changes(tmp_path: Path) -> None:
    changed = _planted_copy(tmp_path)
    diff = kikan_std.diff_specs(kikan_std.load_workbook(WORKBOOK), kikan_std.load_workbook(changed))
    got = sorted((c.kind, c.item or c.code_list, c.field, c.old, c.new) for c in diff.changes)
    assert got == sorted([
        ("item_renamed", "氏名_フリガナ", "name", "氏名_読み仮名", "氏名_フリガナ"),
        ("item_changed", "住所_郵便番号", "length", "7", "8"),
        ("item_changed", "個人番号", "obligation", "任意", "必須"),
        ("item_removed", "住所_方書_フリガナ", "", "Ｎ(300) 任意", ""),
        ("code_value_added", "1", "9", "", "適用不能"),
    ])
    # The same through the CLI, in each format: exit 1 (different).
    code, out, _ = run_cli("spec", "diff", str(WORKBOOK), str(changed), "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["identical"] is False and len(doc["changes"]) == 5
    assert doc["counts"] == {"item_renamed": 1, "item_changed": 2, "item_removed": 1, "code_value_added": 1}
    code, md, _ = run_cli("spec", "diff", str(WORKBOOK), str(changed), "--format", "markdown")
    assert code == 1 and "| 項目名変更 | 住登外者宛名基本情報 / 氏名_フリガナ [03100008] | 氏名_読み仮名 → 氏名_フリガナ |" in md
    code, text, _ = run_cli("spec", "diff", str(WORKBOOK), str(changed))
    assert code == 1 and "5 件の差分" in text and "データ出力条件: 任意 → 必須" in text
    code, page, _ = run_cli("spec", "diff", str(WORKBOOK), str(changed), "--format", "html")
    assert code == 1 and page.startswith("<!DOCTYPE html>") and "適用不能" in page and "<script" not in page


@needs_workbook
def test_diff_of_a_spec_with_itself_is_empty_in_any_mix_of_sources(tmp_path: Path) -> None:
    as_json = tmp_path / "jutogai.json"
    as_json.write_text(load_spec("jutogai_atena").model_dump_json(), encoding="utf-8")
    for old, new in (("jutogai_atena", "jutogai_atena"), ("jutogai_atena", str(WORKBOOK)), (str(as_json), str(WORKBOOK))):
        code, out, _ = run_cli("spec", "diff", old, new)
        assert (code, out.splitlines()[-1]) == (0, "差分なし / no differences"), (old, new)
    code, out, _ = run_cli("spec", "diff", "jutogai_atena", "jutogai_atena", "--format", "json")
    assert code == 0 and json.loads(out)["changes"] == []


def test_diff_between_different_specs_and_bad_arguments(tmp_path: Path) -> None:
    code, out, _ = run_cli("spec", "diff", "jutogai_atena", "jumin_kiroku")
    assert code == 1 and "グループ追加" in out and "グループ削除" in out
    code, _, err = run_cli("spec", "diff", "jutogai_atena", "no_such_spec")
    assert code == 2 and error_kind(err) == "unknown_spec"
    code, _, err = run_cli("spec", "diff", "jutogai_atena", str(tmp_path / "missing.json"))
    assert code == 2 and error_kind(err) is not None


def test_a_spec_carries_its_application_date_as_data() -> None:
    for spec in kikan_std.list_specs():
        assert spec.published and "applies_from" in spec.model_dump()
    spec = load_spec("jutogai_atena").model_copy(update={"applies_from": "2026-04-01", "edition": "第2.1版"})
    diff = kikan_std.diff_specs(load_spec("jutogai_atena"), spec)
    assert diff.identical and diff.new.applies_from == "2026-04-01"
    assert "施行日 / applies from: （不明） → 2026-04-01" in kikan_std.model.diff.render_diff(diff)


def _second_edition(tmp_path: Path) -> tuple[Path, Path]:
    """Edition A (the built-in) and edition B (個人番号 made 必須) as spec JSON files."""
    old = load_spec("jutogai_atena")
    group = old.groups[0]
    items = tuple(it.model_copy(update={"obligation": kikan_std.Obligation.REQUIRED}) if it.name == "個人番号" else it
                  for it in group.items)
    new = old.model_copy(update={"edition": "第9.9版（試験）", "groups": (group.model_copy(update={"items": items}),)})
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(old.model_dump_json(), encoding="utf-8")
    b.write_text(new.model_dump_json(), encoding="utf-8")
    return a, b


def test_a_file_valid_under_one_edition_only_names_the_edition_it_conforms_to(tmp_path: Path) -> None:
    a, b = _second_edition(tmp_path)
    data = tmp_path / "atena.csv"
    write_sample(data, "jutogai_atena", 60, 1)
    blank_number = sum(1 for line in data.read_text(encoding="utf-8").splitlines()[1:] if line.split(",")[1] == "")
    assert blank_number > 0  # some records have no 個人番号: fine under A, an error under B

    result = kikan_std.check_editions(data, [kikan_std.load_spec_file(a), kikan_std.load_spec_file(b)])
    assert result.editions == ("jutogai_atena 2023-09-29", "jutogai_atena 第9.9版（試験）")
    (verdict,) = result.files
    assert verdict.conforms_to == ("jutogai_atena 2023-09-29",) and verdict.fails == ("jutogai_atena 第9.9版（試験）",)
    assert {(d.code, d.item, d.in_editions) for d in result.differing} == {
        ("FLD001", "個人番号", ("jutogai_atena 第9.9版（試験）",))}
    assert len(result.differing) == blank_number and result.valid

    code, out, _ = run_cli("check", str(data), "--spec-file", str(a), "--spec-file", str(b))
    assert code == 0
    assert f"{data}: 適合する版 / conforms to: jutogai_atena 2023-09-29" in out
    assert "適合しない版 / does not conform to: jutogai_atena 第9.9版（試験）" in out
    code, out, _ = run_cli("check", str(data), "--spec-file", str(b), "--spec-file", str(b), "--output-format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["valid"] is False and doc["files"][0]["conforms_to"] == []
    assert set(doc["reports"]) == {"jutogai_atena 第9.9版（試験）", "jutogai_atena 第9.9版（試験） (2)"}


def test_several_editions_refuse_what_they_cannot_do(tmp_path: Path) -> None:
    data = ROOT / "conformance" / "jutogai_atena" / "valid_utf8_lf.csv"
    code, _, err = run_cli("check", str(data), "--spec", "jutogai_atena", "--spec", "jutogai_atena",
                           "--output-format", "sarif")
    assert code == 2 and error_kind(err) == "usage"
    with pytest.raises(kikan_std.errors.UsageError):
        kikan_std.check_editions(data, ["jutogai_atena"])


@pytest.mark.parametrize(("text", "number"), [("二", 2), ("十", 10), ("十二", 12), ("二十三", 23), ("１２", 12), ("3", 3),
                                              ("二百", None)])
def test_kanji_number(text: str, number: int | None) -> None:
    assert kanji_number(text) == number


@pytest.mark.parametrize(("code", "town", "expected"), [
    ("0011002", "霞が関二丁目", None),
    ("0011003", "霞が関二丁目", (2, 3)),
    ("0011000", "霞が関二丁目", (2, 0)),  # 000: the code says no 丁目
    ("0011101", "霞が関二丁目", None),  # a 小字 code: not judged
    ("0000000", "霞が関二丁目", None),  # 町字なし
    ("9999999", "霞が関二丁目", None),  # ABR に規定がない町字
    ("0011003", "霞が関", None),  # no 丁目 in the text: not judged
])
def test_chome_mismatch(code: str, town: str, expected: tuple[int, int] | None) -> None:
    assert chome_mismatch(code, town) == expected


NEW_CODES = ("FLD022", "ATN002", "ATN003", "ATN004", "JUM016", "JUM017", "DLV011", "DLV012")


@pytest.mark.parametrize("code", NEW_CODES)
def test_each_new_rule_has_a_catalogue_entry_a_docs_page_and_a_conformance_case(code: str) -> None:
    assert kikan_std.explain(code, "ja")
    clause = kikan_std.catalogue.entry(code).clause
    assert clause.startswith(("[official]", "[derived]", "[municipal]", "[modeled]"))  # provenance label
    assert (ROOT / "docs" / "rules" / f"{code}.md").is_file()
    expected = [e[0] for p in (ROOT / "conformance").glob("*/cases.json")
                for case in json.loads(p.read_text(encoding="utf-8"))["cases"] for e in case["expected"]]
    assert code in expected


def test_insurer_number_check_digit_third_party_rule() -> None:
    from kikan_std.jp.checkdigits import insurer_number_check_digit, insurer_number_valid

    assert insurer_number_valid("33120015")  # the worked example of the third-party source
    assert not insurer_number_valid("33120016")
    assert insurer_number_check_digit("3312001") == 5
    assert not insurer_number_valid("3312001")  # 7 digits: neither 国保 (6) nor the others (8)
    assert not insurer_number_valid("３３１２００１５")  # full-width
