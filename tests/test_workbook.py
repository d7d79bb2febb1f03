"""Importing an official 基本データリスト workbook (kikan_std.model.workbook)."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import kikan_std
from kikan_std.cli import main
from kikan_std.errors import WorkbookError
from kikan_std.model.workbook import load_workbook
from kikan_std.specs import load_spec, rules_for

ROOT = Path(__file__).resolve().parent.parent
# shared/reference sits next to the checkout (CI) or next to the worktrees' parent.
REF = next((p / "shared" / "reference" / "data" for p in ROOT.parents if (p / "shared" / "reference").exists()),
           ROOT.parent / "shared" / "reference" / "data")
OFFICIAL = REF / "digital-agency_jutogai-atena_item-definition.xlsx"


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.fixture
def official() -> Path:
    if not OFFICIAL.exists():
        pytest.skip("shared/reference/data is not present")
    return OFFICIAL


HEADINGS = {1: "データ項目ID", 3: "データ項目", 4: "データ項目（ローマ字）", 5: "グループ", 11: "データ型", 12: "桁数",
            13: "コード", 14: "繰り返し", 15: "データ出力条件", 16: "項目定義", 17: "項目説明", 20: "サンプル値"}
SUB = {5: "名称", 6: "主キー", 7: "外部キー"}


def make_workbook(path: Path, *, drop: str | None = None, rows: list[dict[int, Any]] | None = None,
                  codes: list[list[Any]] | None = None) -> Path:
    """A small workbook in the official layout (items of business 999), optionally broken."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "項目定義書（テスト業務）テストグループ"
    ws.cell(1, 2, "■地方公共団体情報システム-（テスト業務）基本データリスト【第9.9版】")
    for col, text in HEADINGS.items():
        if text != drop:
            ws.cell(5, col + 1, text)
    for col, text in SUB.items():
        ws.cell(6, col + 1, text)
    default_rows = [
        {1: "999", 2: 1, 3: "番号", 4: "bango", 5: "テストグループ", 6: "○", 11: "X", 12: 5, 15: "必須"},
        {1: "999", 2: 2, 3: "区分", 4: "kubun", 5: "テストグループ", 11: 9, 12: 1, 13: "001", 15: "任意"},
        {1: "999", 2: 3, 3: "生年月日", 4: "seinengappi", 5: "テストグループ", 11: "DATE", 12: 10, 15: "任意",
         17: "・不詳日を許容する"},
    ]
    for r, row in enumerate(rows if rows is not None else default_rows, start=7):
        for col, v in row.items():
            ws.cell(r, col + 1, v)
    cs = wb.create_sheet("コード一覧（個別）_テスト業務")
    for r, row in enumerate([["コードID", "コード名", "コード値", "コード値の内容", "備考"], [],
                             *(codes if codes is not None else [[1, "区分", "0", "なし"], [None, None, "1", "あり"]])],
                            start=4):
        for c, v in enumerate(row, start=1):
            cs.cell(r, c, v)
    wb.create_sheet("凡例）データ型").cell(4, 2, "データ型")
    wb.save(path)
    return path


# -- the official workbook ----------------------------------------------------------------------


def test_official_workbook_imports_to_the_builtin_items(official: Path) -> None:
    imported = load_workbook(official)
    builtin = load_spec("jutogai_atena")
    assert imported.id == "wb_031_住登外者宛名番号管理"
    assert imported.business_code == "031"
    assert [g.name for g in imported.groups] == [g.name for g in builtin.groups]
    assert imported.groups[0].primary_key == builtin.groups[0].primary_key
    # Every item, including the inferred annotations (personal, format, 不詳日, aliases), matches.
    assert [i.model_dump() for i in imported.groups[0].items] == [i.model_dump() for i in builtin.groups[0].items]
    assert imported.code_lists == builtin.code_lists
    assert [r.name for r in rules_for(imported).record_rules] == [r.name for r in rules_for(builtin).record_rules]


@pytest.mark.parametrize("name", ["violations.csv", "valid_utf8_crlf.csv", "missing_column.csv", "ragged.csv"])
def test_imported_and_builtin_give_identical_findings(official: Path, name: str) -> None:
    path = ROOT / "conformance" / "jutogai_atena" / name
    a = kikan_std.check(path, spec=load_workbook(official), max_findings=None)
    b = kikan_std.check(path, spec="jutogai_atena", max_findings=None)
    dump = [f.model_dump() for f in a.findings]
    assert dump == [f.model_dump() for f in b.findings]
    assert a.valid == b.valid
    assert a.stats.findings_by_code == b.stats.findings_by_code
    if name == "violations.csv":
        codes = {f.code for f in a.findings}
        assert {"FLD016", "FLD018", "REC001", "KEY001"} <= codes  # formats, rules and keys all ran


def test_check_with_spec_file_workbook_cli(official: Path, tmp_path: Path) -> None:
    data = ROOT / "conformance" / "jutogai_atena" / "violations.csv"
    code_a, out_a, _ = _cli("check", str(data), "--spec-file", str(official), "--output-format", "json")
    code_b, out_b, _ = _cli("check", str(data), "--spec", "jutogai_atena", "--output-format", "json")
    assert code_a == code_b == 1
    strip = re.compile(r'"(generated_at|id|title|edition|provenance)": "[^"]*"')
    assert strip.sub("", out_a) == strip.sub("", out_b)


def test_spec_import_cli_round_trips(official: Path, tmp_path: Path) -> None:
    out = tmp_path / "spec.json"
    code, _, err = _cli("spec", "import", str(official), "-o", str(out))
    assert code == 0, err
    again = kikan_std.load_spec_file(out)
    assert again == load_workbook(official)


# -- synthetic workbooks: layout variations and errors ------------------------------------------


def test_synthetic_workbook(tmp_path: Path) -> None:
    spec = load_workbook(make_workbook(tmp_path / "wb.xlsx"))
    assert spec.id == "wb_999_テスト業務"
    assert spec.edition == "第9.9版"
    g = spec.groups[0]
    assert [i.id for i in g.items] == ["99900001", "99900002", "99900003"]
    assert g.primary_key == ("番号",)
    assert g.item("区分").code_list == "1"  # 「001」 refers to コードID 1
    assert g.item("生年月日").allows_unknown_date and g.item("生年月日").personal
    assert rules_for(spec).record_rules == ()  # unknown business code: no built-in rules


@pytest.mark.parametrize("column", ["桁数", "データ出力条件", "データ項目（ローマ字）"])
def test_missing_column_names_sheet_and_column(tmp_path: Path, column: str) -> None:
    path = make_workbook(tmp_path / "wb.xlsx", drop=column)
    with pytest.raises(WorkbookError) as e:
        load_workbook(path)
    assert "項目定義書（テスト業務）テストグループ" in str(e.value)
    assert column in str(e.value)
    code, out, err = _cli("check", str(path), "--spec-file", str(path))
    assert code == 2 and out == ""
    assert column in err and "Traceback" not in err and err.count("\n") == 1


def test_bad_cells_are_located(tmp_path: Path) -> None:
    rows = [{1: "999", 2: 1, 3: "番号", 4: "bango", 5: "G", 11: "Q", 12: 5, 15: "必須"}]
    with pytest.raises(WorkbookError, match=r"7行目.*データ型"):
        load_workbook(make_workbook(tmp_path / "a.xlsx", rows=rows))
    rows = [{1: "999", 2: 1, 3: "番号", 4: "bango", 5: "G", 11: "X", 12: 5, 13: "7", 15: "必須"}]
    with pytest.raises(WorkbookError, match=r"コード一覧（個別）"):
        load_workbook(make_workbook(tmp_path / "b.xlsx", rows=rows))
    rows = [{1: "abc", 2: None, 3: "番号", 4: "bango", 5: "G", 11: "X", 12: 5, 15: "必須"}]
    with pytest.raises(WorkbookError, match=r"データ項目ID"):
        load_workbook(make_workbook(tmp_path / "c.xlsx", rows=rows))


def test_not_a_workbook(tmp_path: Path) -> None:
    p = tmp_path / "fake.xlsx"
    p.write_text("not a zip", encoding="utf-8")
    with pytest.raises(WorkbookError, match="xlsx"):
        load_workbook(p)
    code, _, err = _cli("spec", "import", str(p))
    assert code == 2 and "Traceback" not in err


def test_furigana_runs_are_not_part_of_the_text(tmp_path: Path) -> None:
    """Official workbooks carry phonetic runs (<rPh>) inside shared strings; they must not leak."""
    src = make_workbook(tmp_path / "wb.xlsx")
    dst = tmp_path / "ruby.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/sharedStrings.xml":
                text = data.decode("utf-8")
                assert "<t>番号</t>" in text
                text = text.replace(
                    "<t>番号</t></si>", '<t>番号</t><rPh sb="0" eb="2"><t>バンゴウ</t></rPh><phoneticPr fontId="1"/></si>'
                )
                data = text.encode("utf-8")
            zout.writestr(info, data)
    spec = load_workbook(dst)
    assert spec.groups[0].items[0].name == "番号"


def test_file_that_is_not_a_workbook_is_a_usage_error(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    p = tmp_path / "passwd"
    p.write_text("root:x:0:0\n", encoding="utf-8")
    code, _, err = run_cli("spec", "import", str(p))
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
