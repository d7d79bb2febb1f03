"""JSON, XML and fixed-width interface files: located findings, hardening, conformance cases."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.cli import main
from kikan_std.model.spec import FixedWidthLayout
from kikan_std.specs import load_spec

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "conformance" / "formats"
CASES: list[dict[str, Any]] = json.loads((CASES_DIR / "cases.json").read_text(encoding="utf-8"))["cases"]


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def _by(report: kikan_std.Report, code: str) -> list[kikan_std.FindingOut]:
    return [f for f in report.findings if f.code == code]


# -- conformance cases, through the API and the CLI ---------------------------------------------


def _check_case(case: dict[str, Any], got: list[tuple[Any, ...]], valid: bool) -> None:
    expected = [tuple(e) for e in case["expected"]]
    assert valid == case["valid"], case["description"]
    if case.get("match") == "includes":
        assert not Counter(expected) - Counter(got), (case["description"], got)
    else:
        assert sorted(got, key=repr) == sorted(expected, key=repr), case["description"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_conformance_case_api(case: dict[str, Any]) -> None:
    layout = CASES_DIR / case["layout"] if "layout" in case else None
    r = kikan_std.check(CASES_DIR / case["file"], spec=case["spec"], encoding=case["encoding"],
                        input_format=case["input_format"], layout=layout, max_findings=None)
    _check_case(case, r.flatten(), r.valid)


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_conformance_case_cli(case: dict[str, Any]) -> None:
    args = ["check", str(CASES_DIR / case["file"]), "--spec", case["spec"], "--encoding", case["encoding"],
            "--input-format", case["input_format"], "--output-format", "json", "--max-findings", "0"]
    if "layout" in case:
        args += ["--layout", str(CASES_DIR / case["layout"])]
    code, out, err = _cli(*args)
    assert code == (0 if case["valid"] else 1), err
    rep = json.loads(out)
    _check_case(case, [(f["code"], f["record"], f["item"]) for f in rep["findings"]], rep["valid"])


def test_every_formats_code_has_a_case() -> None:
    from kikan_std.catalogue import catalogue

    codes = {c for c, e in catalogue().items() if e.family == "formats"}
    covered = {e[0] for c in CASES for e in c["expected"]}
    assert codes <= covered, codes - covered


# -- JSON ---------------------------------------------------------------------------------------


def test_json_request_findings_carry_pointer_line_and_api_code() -> None:
    r = kikan_std.check(CASES_DIR / "bad_request.json")
    got = {(f.code, f.pointer, f.line, f.api_error) for f in r.findings}
    assert ("FLD015", "/seibetsu", 1, "E0002") in got
    assert ("FLD001", "/sosashaid", 1, "E0001") in got
    assert ("REC001", "/nayosesakiatenabango", 1, "E0004") in got  # absent key: blank, located


def test_json_response_records_are_located(tmp_path: Path) -> None:
    p = tmp_path / "resp.json"
    rec = {"atenabango": "000000000000019", "daihyoatenafuragu": "0", "sosashaid": "OP1",
           "sosanengappi": "2023-01-01", "sosajikoku": "09:00"}
    text = json.dumps({"metadata": {}, "result": [rec, rec | {"sosanengappi": "2023-02-30"}]}, indent=2)
    p.write_text(text, encoding="utf-8")
    second = [n for n, ln in enumerate(text.split("\n"), start=1) if ln.strip() == "{"][2]
    r = kikan_std.check(p)
    fld = _by(r, "FLD012")[0]
    assert (fld.record, fld.pointer, fld.item) == (2, "/result/1/sosanengappi", "操作年月日")
    assert fld.line == second  # the line the second record object starts on
    key = _by(r, "KEY001")[0]
    assert key.pointer == "/result/1/atenabango"
    assert r.inputs[0].format == "json"


def test_json_syntax_error_has_line(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text('{\n "atenabango": "1",\n "x": \n}\n', encoding="utf-8")
    r = kikan_std.check(p)
    assert [(f.code, f.line) for f in r.findings] == [("JSN001", 4)]


def test_input_format_option_overrides_extension(tmp_path: Path) -> None:
    p = tmp_path / "payload.txt"
    p.write_bytes((CASES_DIR / "valid_request.json").read_bytes())
    code, _, _ = _cli("check", str(p), "--spec", "jutogai_atena", "--input-format", "json")
    assert code == 0
    code, _, err = _cli("check", str(p), "--spec", "jutogai_atena", "--input-format", "yaml")
    assert code == 2 and "Traceback" not in err


# -- XML ----------------------------------------------------------------------------------------


def test_xml_findings_carry_xpath_and_source_line() -> None:
    r = kikan_std.check(CASES_DIR / "bad.xml")
    fld = _by(r, "FLD015")[0]
    assert fld.pointer == "/jutogaisha_atena_kihon_joho_list/jutogaisha_atena_kihon_joho[2]/seibetsu"
    assert fld.line == 12  # <jutogaisha_atena_kihon_joho> of the second record
    xml = _by(r, "XML003")[0]
    assert xml.pointer == "/jutogaisha_atena_kihon_joho_list/jutogaisha_atena_kihon_joho[2]"
    assert xml.line == 20  # the unexpected <atena_bango> element's own line
    assert r.inputs[0].format == "xml" and r.inputs[0].records == 2


def _run_cli_subprocess(path: Path) -> tuple[int, str, str, float]:
    t = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-m", "kikan_std", "check", str(path), "--spec", "jutogai_atena", "--output-format", "json",
         "--show-values"],
        capture_output=True, text=True, timeout=60, check=False,  # the timeout is a hang guard
    )
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t


def _assert_refused_unexpanded(code: int, out: str, err: str) -> dict[str, Any]:
    """What a user must see for hostile XML, whichever layer stopped it: refused, nothing expanded or read."""
    assert code == 1 and "Traceback" not in err and err == ""
    rep = json.loads(out)
    assert rep["valid"] is False
    assert "root:" not in out and "/bin/" not in out  # nothing from /etc/passwd
    assert "haha" not in out  # no entity expanded
    return rep


_LOL = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
_HOSTILE_DOCTYPE = (f'<!DOCTYPE jutogaisha_atena_kihon_joho_list [<!ENTITY l0 "ha">{_LOL}'
                    '<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
_HOSTILE_BODY = ("<jutogaisha_atena_kihon_joho_list><jutogaisha_atena_kihon_joho><shimei>&l9;&xxe;</shimei>"
                 "</jutogaisha_atena_kihon_joho></jutogaisha_atena_kihon_joho_list>\n")


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_hostile_xml_is_refused_without_expansion(name: str) -> None:
    rep = _assert_refused_unexpanded(*_run_cli_subprocess(CASES_DIR / name)[:3])
    assert [f["code"] for f in rep["findings"]] == ["XML002"]


@pytest.mark.parametrize(("prolog", "encoding"), [
    ("<!--" + "x" * 1_100_000 + "-->\n", "utf-8"),  # a megabyte of comment before the DOCTYPE
    ("<?pi " + "y" * 200_000 + "?>\n<!-- a -->\n", "utf-8"),
    ("<!--" + "x" * 70_000 + "-->\n", "utf-16"),
    ("<!--" + "漢" * 40_000 + "-->\n", "cp932"),
])
def test_doctype_anywhere_in_the_prolog_is_refused(tmp_path: Path, prolog: str, encoding: str) -> None:
    decl = '<?xml version="1.0"?>\n' if encoding != "cp932" else '<?xml version="1.0" encoding="Shift_JIS"?>\n'
    p = tmp_path / "late_doctype.xml"
    p.write_bytes((decl + prolog + _HOSTILE_DOCTYPE + _HOSTILE_BODY).encode(encoding))
    rep = _assert_refused_unexpanded(*_run_cli_subprocess(p)[:3])
    # Our own streaming prolog scan refuses it, so the code does not depend on libxml2's limits.
    assert [(f["code"], f["line"]) for f in rep["findings"]] == [("XML002", decl.count("\n") + prolog.count("\n") + 1)]


def _xml_chars(exclude: str) -> st.SearchStrategy[str]:
    """Characters XML 1.0 allows in a comment or PI (no C0 controls but tab and line ends, no surrogates)."""
    return st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn"), exclude_characters=exclude)
                   | st.sampled_from("\t\n\r"), max_size=40)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.one_of(
    st.builds(lambda t: f"<!--{t}-->", _xml_chars("-")),
    st.builds(lambda n, t: f"<?p{n} {t}?>", st.integers(0, 9), _xml_chars("?")),
    st.sampled_from([" ", "\n", "\r\n", "\t"]),
    st.integers(0, 70_000).map(lambda n: "<!--" + "z" * n + "-->"),
), max_size=6), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be", "utf-16"]))
def test_property_a_doctype_after_any_prolog_is_refused(tmp_path: Path, parts: list[str], encoding: str) -> None:
    bom = "\ufeff" if encoding in ("utf-16-le", "utf-16-be") else ""
    p = tmp_path / "prolog.xml"
    p.write_bytes((bom + "".join(parts) + _HOSTILE_DOCTYPE + _HOSTILE_BODY).encode(encoding))
    r = kikan_std.check(p, spec="jutogai_atena", show_values=True)
    assert not r.valid and [f.code for f in r.findings] == ["XML002"]
    assert all("ha" * 10 not in (f.value or "") for f in r.findings)


@pytest.mark.parametrize("declared", ["UTF-7", "ISO-2022-JP", "x-unknown"])
def test_xml_in_an_encoding_that_could_hide_markup_is_refused(tmp_path: Path, declared: str) -> None:
    p = tmp_path / "enc.xml"
    p.write_text(f'<?xml version="1.0" encoding="{declared}"?>\n' + _HOSTILE_DOCTYPE.replace("<!DOCTYPE", "+ADw-!DOCTYPE")
                 + _HOSTILE_BODY, encoding="ascii")
    _assert_refused_unexpanded(*_run_cli_subprocess(p)[:3])


def test_deep_nesting_and_undeclared_entities_are_findings(tmp_path: Path) -> None:
    deep = tmp_path / "deep.xml"
    deep.write_text("<jutogaisha_atena_kihon_joho_list>" + "<a>" * 5000 + "</a>" * 5000
                    + "</jutogaisha_atena_kihon_joho_list>", encoding="utf-8")
    r = kikan_std.check(deep)
    assert "XML001" in r.stats.findings_by_code and not r.valid
    ent = tmp_path / "ent.xml"
    ent.write_text("<jutogaisha_atena_kihon_joho_list><jutogaisha_atena_kihon_joho><shimei>&xxe;</shimei>"
                   "</jutogaisha_atena_kihon_joho></jutogaisha_atena_kihon_joho_list>", encoding="utf-8")
    r = kikan_std.check(ent)
    assert [f.code for f in r.findings] == ["XML001"]


def test_xml_from_generated_rows_is_valid(tmp_path: Path) -> None:
    from kikan_std.testing.generate import iter_jutogai_atena

    g = load_spec("jutogai_atena").groups[0]
    it = iter_jutogai_atena(50, seed=2)
    header = next(it)
    romaji = {i.name: i.romaji for i in g.items}
    parts = ["<jutogaisha_atena_kihon_joho_list>"]
    for row in it:
        parts.append("<jutogaisha_atena_kihon_joho>")
        parts += [f"<{romaji[h]}>{v}</{romaji[h]}>" for h, v in zip(header, row, strict=True) if v]
        parts.append("</jutogaisha_atena_kihon_joho>")
    parts.append("</jutogaisha_atena_kihon_joho_list>")
    p = tmp_path / "ok.xml"
    p.write_text("\n".join(parts), encoding="utf-8")
    csv = tmp_path / "ok.csv"
    from kikan_std.testing.generate import write_csv

    write_csv(csv, iter_jutogai_atena(50, seed=2))
    a, b = kikan_std.check(p), kikan_std.check(csv)
    # The same data gives the same findings (the generator plants a duplicate key or two).
    assert [(f.code, f.record, f.item) for f in a.findings] == [(f.code, f.record, f.item) for f in b.findings]


# -- fixed-width --------------------------------------------------------------------------------


def test_fixed_split_character_and_short_record_reported_once() -> None:
    r = kikan_std.check(CASES_DIR / "split_short.dat", layout=CASES_DIR / "layout.json", max_findings=None)
    by = r.stats.findings_by_code
    assert by.get("FIX002") == 1 and by.get("FIX001") == 1
    assert "CSV001" not in by  # the split character is not reported again as undecodable bytes
    errors = [(f.code, f.record, f.item) for f in r.findings if f.severity == "error"]
    assert errors == [("FIX002", 2, "氏名"), ("FIX001", 3, None)]  # nothing cascades from record 3
    assert r.inputs[0].encoding == "cp932" and r.inputs[0].records == 3


def test_fixed_utf8_split_is_detected(tmp_path: Path) -> None:
    layout = FixedWidthLayout(encoding="utf-8", record_length=8, line_terminator="lf", fields=(
        {"item": "操作者ID", "start": 1, "length": 4}, {"item": "氏名", "start": 5, "length": 4}))  # type: ignore[arg-type]
    p = tmp_path / "u.dat"
    p.write_bytes(b"AB  " + "あ".encode() + b" \n" + b"ABC" + "あ".encode() + b"  \n")  # record 2: 'あ' on bytes 4–6
    r = kikan_std.check(p, layout=layout)
    assert [(f.code, f.record) for f in r.findings if f.code.startswith(("FIX", "CSV001"))] == [("FIX002", 2)]


def test_layout_problems_are_usage_errors(tmp_path: Path) -> None:
    data = CASES_DIR / "valid_cp932.dat"
    code, _, err = _cli("check", str(data), "--spec", "jutogai_atena")
    assert code == 2 and "レイアウト" in err and "Traceback" not in err
    bad = tmp_path / "overlap.json"
    lay = json.loads((CASES_DIR / "layout.json").read_text(encoding="utf-8"))
    lay["fields"][1]["start"] = 10
    bad.write_text(json.dumps(lay), encoding="utf-8")
    code, _, err = _cli("check", str(data), "--spec", "jutogai_atena", "--layout", str(bad))
    assert code == 2 and "overlap" in err
    lay["fields"][1] = {"item": "存在しない項目", "start": 16, "length": 20}
    bad.write_text(json.dumps(lay), encoding="utf-8")
    code, _, err = _cli("check", str(data), "--spec", "jutogai_atena", "--layout", str(bad))
    assert code == 2 and "存在しない項目" in err


def test_spec_can_carry_a_fixed_width_layout() -> None:
    spec = load_spec("jutogai_atena")
    layout = FixedWidthLayout.model_validate_json((CASES_DIR / "layout.json").read_text(encoding="utf-8"))
    g = spec.groups[0].model_copy(update={"fixed_width": layout})
    spec2 = spec.model_copy(update={"groups": (g,)})
    r = kikan_std.check(CASES_DIR / "split_short.dat", spec=spec2)
    assert {"FIX001", "FIX002"} <= set(r.stats.findings_by_code)
