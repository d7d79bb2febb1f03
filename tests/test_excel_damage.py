"""Excel damage: a file opened in Excel and saved again as CSV (issue #17, item 4).

Excel takes a column of digits for numbers (leading zeros lost, 12 digits or more written in exponent
notation such as ``9.87655E+11``), ``YYYY-MM-DD`` for a date (saved as ``2024/4/1``) and ``09:00:00``
for a time (``9:00:00``). The files here are synthetic: valid generated records passed through
:func:`kikan_std.testing.excel.excel_resave`, which rewrites each cell the way Excel's General format shows it
on saving.

Each damaged value gives ONE finding, of the item's usual code, with a hint (``hint`` in JSON, a
sentence after the message in every format); personal values stay masked and the hint names the
shape, never the value.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.catalogue import hint, hints
from kikan_std.engine import parallel
from kikan_std.model.fields import FieldChecker
from kikan_std.model.spec import DataType, Item, Spec
from kikan_std.testing.excel import excel_cell, excel_resave
from kikan_std.testing.generate import csv_text, iter_jutogai_atena
from kikan_std.writers import render
from tests.conftest import run_cli

_ALL_ITEMS: list[tuple[Spec, Item]] = [
    (spec, it) for spec in kikan_std.list_specs() for g in spec.groups for it in g.items if it.type is not DataType.N
]
def _atena(n: int, seed: int = 3) -> tuple[list[str], list[list[str]]]:
    it = iter_jutogai_atena(n, seed)
    return next(it), [list(r) for r in it]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text(csv_text(iter([header, *rows])), encoding="utf-8")
    return path


def test_excel_cell_is_what_excel_writes() -> None:
    assert excel_cell("000000000000019") == "19"
    assert excel_cell("987655425186") == "9.87655E+11"
    assert excel_cell("123456789123456") == "1.23457E+14"
    assert excel_cell("100000000000000") == "1E+14"
    assert excel_cell("1964-07-01") == "1964/7/1"
    assert excel_cell("1964-00-00") == "1964-00-00"
    assert excel_cell("09:05:00") == "9:05:00"
    assert excel_cell("OP0406") == "OP0406"


def test_damaged_cells_get_the_hint_and_nothing_else_does(tmp_path: Path) -> None:
    header, rows = _atena(14)
    h = {n: i for i, n in enumerate(header)}
    planted = {
        # record: (item, damaged value, code, hint)
        1: ("宛名番号", "1", "FLD023", "excel-leading-zeros"),
        2: ("個人番号", "9.87655E+11", "FLD016", "excel-exponent"),
        3: ("生年月日", "1964/7/1", "FLD011", "excel-date"),
        4: ("業務ID", "1", "FLD022", "excel-leading-zeros"),
        5: ("住所_市区町村コード", "11002", "FLD018", "excel-leading-zeros"),
        6: ("住所_郵便番号", "600001", "FLD019", "excel-leading-zeros"),
        7: ("操作年月日", "2025-4-1", "FLD011", "excel-date"),
        8: ("操作時刻", "9:05:00", "FLD014", "excel-time"),
        9: ("名寄せ先宛名番号", "1", "FLD023", "excel-leading-zeros"),  # names record 1 (as damaged)
        10: ("宛名番号", "1.23457E+14", "FLD023", "excel-exponent"),
        # Damage without an Excel shape: the finding, and no hint.
        11: ("操作年月日", "2025-02-30", "FLD012", None),
        12: ("個人番号", "12345678901", "FLD016", None),  # 11 digits, but 012345678901 is no My Number
    }
    for rec, (item, value, _, _) in planted.items():
        rows[rec - 1][h[item]] = value
    rows[8][h["代表宛名フラグ"]] = "1"  # 名寄せ元: its 名寄せ先 is set (REC rule)
    report = kikan_std.check(_write(tmp_path / "d.csv", header, rows), spec="jutogai_atena")
    got = {(f.record, f.item, f.code, f.hint) for f in report.findings}
    assert got == {(rec, item, code, hnt) for rec, (item, _, code, hnt) in planted.items()}


def test_a_file_saved_by_excel_gives_one_hinted_finding_per_damaged_cell(tmp_path: Path) -> None:
    header, rows = _atena(60)
    saved = excel_resave(rows)
    damaged = {(r + 1, header[c]) for r, row in enumerate(rows) for c, v in enumerate(row) if saved[r][c] != v}
    assert {item for _, item in damaged} >= {"宛名番号", "個人番号", "生年月日", "業務ID", "操作年月日"}
    report = kikan_std.check(_write(tmp_path / "excel.csv", header, saved), spec="jutogai_atena", max_findings=None)
    located = [(f.record, f.item) for f in report.findings]
    assert len(located) == len(set(located)), "one finding per damaged cell"
    assert set(located) == damaged
    assert all(f.hint is not None and f.hint.startswith("excel-") for f in report.findings)
    # 1 → 000000000000001: a warning (the width comes from the official sample), the rest are errors.
    assert {f.severity for f in report.findings if f.item == "宛名番号"} == {"warning"}


def test_a_clean_file_has_no_hint(tmp_path: Path) -> None:
    header, rows = _atena(200, seed=9)
    report = kikan_std.check(_write(tmp_path / "clean.csv", header, rows), spec="jutogai_atena")
    assert report.findings == [] and report.valid


def test_cli_json_text_csv_and_html_show_the_hint_without_revealing_values(tmp_path: Path) -> None:
    header, rows = _atena(20)
    saved = excel_resave(rows)
    path = _write(tmp_path / "excel.csv", header, saved)
    code, out, _ = run_cli("check", str(path), "--spec", "jutogai_atena", "--output-format", "json")
    assert code == 1
    doc = json.loads(out)
    by_hint: dict[str, set[str]] = {}
    for f in doc["findings"]:
        by_hint.setdefault(f["hint"], set()).add(f["item"])
        assert "hint" not in f["params"]
        assert f["message"].endswith(hint(f["hint"]).text["ja"])
    assert by_hint["excel-exponent"] >= {"個人番号"}
    assert by_hint["excel-leading-zeros"] >= {"宛名番号", "業務ID"}
    assert by_hint["excel-date"] >= {"生年月日", "操作年月日"}
    # Personal values (個人番号, 生年月日) are masked; the hint names the shape only.
    personal = {saved[r][header.index(i)] for r in range(len(saved)) for i in ("個人番号", "生年月日")} - {""}
    mynumber = next(f for f in doc["findings"] if f["item"] == "個人番号")
    assert mynumber["value_masked"] and mynumber["value"].startswith("*")
    code, text, _ = run_cli("check", str(path), "--spec", "jutogai_atena", "--max-findings", "0")
    assert code == 1 and "Excel で数値として扱われた可能性" in text and "Excel で日付として扱われ" in text
    report = kikan_std.check(path, spec="jutogai_atena")
    outputs = {"json": out, "text": text, "csv": render(report, "csv"), "html": render(report, "html"),
               "en": render(kikan_std.check(path, spec="jutogai_atena", lang="en"), "text")}
    assert "Possibly taken for a number by Excel" in outputs["en"]
    for fmt, body in outputs.items():
        if fmt != "en":
            assert "Excel で数値として扱われた可能性" in body, fmt
        leaked = [v for v in personal if v in body]
        assert leaked == [], (fmt, leaked)


def test_jobs_2_gives_the_same_hints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    header, rows = _atena(3000, seed=5)
    path = _write(tmp_path / "big.csv", header, excel_resave(rows))
    assert parallel.plan_parts(path, "utf-8", 2) is not None
    one = kikan_std.check(path, spec="jutogai_atena", max_findings=None).model_dump()
    two = kikan_std.check(path, spec="jutogai_atena", max_findings=None, jobs=2).model_dump()
    one.pop("generated_at"), two.pop("generated_at")
    assert one == two
    assert sum(1 for f in one["findings"] if f["hint"]) == len(one["findings"]) > 3000


def _checker(spec_id: str, item_name: str) -> FieldChecker:
    spec = kikan_std.load_spec(spec_id)
    for g in spec.groups:
        for it in g.items:
            if it.name == item_name:
                return FieldChecker(it, spec.code_list(it.code_list) if it.code_list else None)
    raise KeyError(item_name)


def test_a_code_that_lost_its_zero_is_named() -> None:
    zokugara = _checker("jumin_kiroku", "続柄コード1")
    assert zokugara.check_value("02") == []
    [(code, params)] = zokugara.check_value("2")
    assert (code, params["hint"]) == ("FLD015", "excel-leading-zeros")
    # A value that padding does not make valid gets no hint: never "would be right" when it would not.
    assert all("hint" not in p for _, p in zokugara.check_value("99"))
    assert all("hint" not in p for _, p in _checker("jutogai_atena", "性別").check_value("01"))


def test_the_width_of_a_padded_number() -> None:
    atena = _checker("jutogai_atena", "宛名番号")
    assert atena.check_value("000000000000019") == []
    assert [(c, p["reason"]) for c, p in atena.check_value("19")] == [("FLD023", "short")]
    assert [(c, p["reason"]) for c, p in atena.check_value("A00000000000019")] == [("FLD023", "shape")]
    assert [c for c, _ in atena.check_value("0000000000000190")] == ["FLD002"]  # too long stays an error
    assert not atena.column_clean(["000000000000019", "19"])
    assert atena.column_clean(["000000000000019", "000000000000027"])
    # The jumin_kiroku 宛名番号 takes its type, width and this format from the 031 item (derived).
    jumin = kikan_std.load_spec("jumin_kiroku").groups[0].item("宛名番号")
    assert jumin.format is not None and jumin.format.value == "padded_number"
    assert "123456789123456" in jumin.description


def test_every_hint_the_checker_gives_is_in_the_catalogue() -> None:
    source = Path(kikan_std.model.fields.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r'return "(excel-[a-z-]+)"', source))
    assert named == set(hints())
    for h in hints().values():
        assert not re.search(r"\{[a-z_]+\}", h.text["ja"] + h.text["en"]), "a hint has no parameters"


def test_no_excel_hint_where_no_spreadsheet_wrote_the_value(tmp_path: Path) -> None:
    """JSON bodies and record models are written by programs: the finding, without the Excel sentence."""
    header, rows = _atena(2)
    record = dict(zip(header, rows[0], strict=True))
    record.update({"宛名番号": "1", "生年月日": "1964/7/1"})
    body = tmp_path / "request.json"
    body.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    report = kikan_std.check(body, spec="jutogai_atena")
    assert {(f.code, f.item, f.hint) for f in report.findings} == {
        ("FLD023", "宛名番号", None), ("FLD011", "生年月日", None)}
    model = kikan_std.load_spec("jutogai_atena").record_model()
    with pytest.raises(ValueError) as e:
        model.model_validate(record)
    assert "Excel" not in str(e.value)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_the_cheap_validity_check_agrees_with_the_exact_path(data: st.DataObject) -> None:
    """excel_hint decides "valid once repaired" with FieldChecker.passes: the same answer as the exact path."""
    spec, item = data.draw(st.sampled_from(_ALL_ITEMS))
    checker = FieldChecker(item, spec.code_list(item.code_list) if item.code_list else None)
    value = data.draw(st.one_of(st.text("0123456789-:", min_size=1, max_size=16),
                                st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}:[0-9]{2}(:[0-9]{2})?|[0-9]{1,15}", fullmatch=True)))
    assert checker.passes(value) == (checker.check_value(value) == []), (spec.id, item.name, value)


def test_a_town_code_of_zeros_that_lost_its_width_still_means_no_town(tmp_path: Path) -> None:
    """0000000 (町字なし) saved by Excel is "0": one finding (FLD020 with the hint), not also REC001 for 住所_町字."""
    header, rows = _atena(3)
    h = {n: i for i, n in enumerate(header)}
    rows[0][h["住所_町字コード"]], rows[0][h["住所_町字"]] = "0", ""
    rows[1][h["住所_町字コード"]], rows[1][h["住所_町字"]] = "12345", ""  # 0012345 shortened: a 町字, so required
    report = kikan_std.check(_write(tmp_path / "t.csv", header, rows), spec="jutogai_atena")
    assert {(f.record, f.item, f.code, f.hint) for f in report.findings} == {
        (1, "住所_町字コード", "FLD020", "excel-leading-zeros"),
        (2, "住所_町字コード", "FLD020", "excel-leading-zeros"), (2, "住所_町字", "REC001", None)}
