"""Output formats: every format from one run, their validity, privacy, caps and the schema."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

import kikan_std
from kikan_std.cli import main
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.model import report_json_schema
from kikan_std.report.render import mask_value
from kikan_std.writers import FORMATS, SUFFIXES, render
from tests.conftest import ROOT, validate_report_json
from tests.defects import DefectFile, both_widths, build

SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def defects(tmp_path: Path) -> DefectFile:
    return build(tmp_path)


@pytest.fixture
def all_formats(tmp_path: Path, defects: DefectFile) -> dict[str, Path]:
    """Every format written by ONE run of the CLI."""
    prefix = tmp_path / "out" / "report"
    rc, _, err = run_cli(
        "check", str(defects.path), "--spec", "jutogai_atena", "--no-progress",
        "--output-format", ",".join(FORMATS), "-o", str(prefix),
    )
    assert rc == 1, err
    paths = {f: Path(str(prefix) + SUFFIXES[f]) for f in FORMATS}
    assert all(p.is_file() for p in paths.values())
    return paths


def _sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def test_every_format_from_one_run_has_the_same_findings(all_formats: dict[str, Path]) -> None:
    report = validate_report_json(all_formats["json"].read_text(encoding="utf-8"))
    expected = sorted((f["code"], f["line"]) for f in report["findings"])
    assert len(expected) >= 15 and len({c for c, _ in expected}) >= 12  # many kinds of defects

    sarif = json.loads(all_formats["sarif"].read_text(encoding="utf-8"))
    got_sarif = sorted(
        (r["ruleId"], r["locations"][0]["physicalLocation"].get("region", {}).get("startLine"))
        for r in sarif["runs"][0]["results"]
    )
    assert got_sarif == expected

    rows = list(csv.DictReader(io.StringIO(all_formats["csv"].read_bytes().decode("utf-8-sig"))))
    got_csv = sorted((r["コード code"], int(r["行 line"]) if r["行 line"] else None) for r in rows)
    assert got_csv == expected

    junit = ET.parse(all_formats["junit"]).getroot()
    failed = {c.get("name", "").split()[0] for c in junit.iter("testcase") if c.find("failure") is not None}
    assert failed == {code for code, _ in expected}  # all findings here are errors

    html = all_formats["html"].read_text(encoding="utf-8")
    for code, _ in expected:
        assert f'id="rule-{code}"' in html
    text = all_formats["text"].read_text(encoding="utf-8")
    for code, _ in expected:
        assert f"■ {code}" in text


def test_sarif_is_valid_against_the_official_schema(all_formats: dict[str, Path]) -> None:
    log = json.loads(all_formats["sarif"].read_text(encoding="utf-8"))
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("atena.csv")
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 2  # data lines, after header
        assert res["partialFingerprints"]["kikanStdFinding/v1"]
    assert "FLD016" in ids and all(r["shortDescription"]["text"] and r["help"]["text"] for r in rules)
    assert run["artifacts"][0]["hashes"]["sha-256"]


def test_sarif_schema_check_can_fail() -> None:
    """The bundled schema really constrains the output (guards against a vacuous validation)."""
    bad = {"version": "2.1.0", "runs": [{"tool": {"driver": {}}, "results": [{"level": "fatal"}]}]}
    assert list(_sarif_validator().iter_errors(bad))


def test_junit_structure(all_formats: dict[str, Path]) -> None:
    root = ET.parse(all_formats["junit"]).getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 1
    cases = suites[0].findall("testcase")
    names = [c.get("name", "").split()[0] for c in cases]
    assert len(names) == len(set(names))  # one test case per (file, rule)
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suites[0].get("failures", "-1")) == len(failures) == int(root.get("failures", "-1"))
    f16 = next(c for c in failures if c.get("name", "").startswith("FLD016"))
    text = f16.findtext("failure") or ""
    assert len(re.findall(r"atena\.csv:\d+ record \d+", text)) == 2  # every location listed


def test_csv_has_bom_and_crlf(all_formats: dict[str, Path]) -> None:
    raw = all_formats["csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    header = raw.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.split(",")[0] == "状態 status"


def test_html_is_self_contained(all_formats: dict[str, Path]) -> None:
    html = all_formats["html"].read_text(encoding="utf-8")
    assert html.count("<html") == 1
    # No external resource: no src/href to another document, no @import, no url() in CSS.
    assert not re.search(r"""(?:src|href)\s*=\s*["'](?!#|data:)""", html)
    assert "@import" not in html and "url(" not in html
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "不適合" in html and "@page { size: A4" in html
    for sha in re.findall(r'"sha256": "([0-9a-f]{64})"', all_formats["json"].read_text(encoding="utf-8")):
        assert sha in html  # provenance lists the input's SHA-256


def test_html_escapes_data(tmp_path: Path) -> None:
    header = next(iter(__import__("kikan_std.testing.generate", fromlist=["x"]).iter_jutogai_atena(0)))
    path = tmp_path / "x.csv"
    path.write_text(",".join(header) + ',<script>alert(1)</script>\r\n', encoding="utf-8")
    html = render(kikan_std.check(path), "html")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# -- privacy ------------------------------------------------------------------------------------


def _all_outputs(paths: dict[str, Path]) -> dict[str, str]:
    return {f: p.read_bytes().decode("utf-8-sig") for f, p in paths.items()}


def test_no_full_individual_number_in_any_format(all_formats: dict[str, Path], defects: DefectFile) -> None:
    outputs = _all_outputs(all_formats)
    assert len(defects.numbers) >= 20
    for number in defects.numbers:
        for form in both_widths(number):
            for fmt, text in outputs.items():
                assert form not in text, f"{fmt} reveals a 個人番号"
    # The masked form is there instead (last two digits and a keyed hash), so findings stay locatable.
    fld016 = [f for f in json.loads(outputs["json"])["findings"] if f["code"] == "FLD016"]
    masked = re.compile(r"\*{10}\d\d #[0-9a-f]{8}")
    assert fld016 and all(f["value_masked"] and masked.fullmatch(f["value"]) for f in fld016)
    findings = json.loads(outputs["json"])["findings"]
    # Full-width digits: the character finding shows the one offending character, its code point and its
    # half-width form (what the auditor must fix), never more of the number (checked above for every form).
    fullwidth = [f for f in findings if f["item"] == "個人番号" and "suggestion" in f["params"]]
    assert fullwidth and all(len(f["params"]["char"]) == 1 and "０" <= f["params"]["char"] <= "９"
                             and f["params"]["codepoints"] == f"U+{ord(f['params']['char']):04X}"
                             and len(f["params"]["suggestion"]) == 1 for f in fullwidth)


def test_show_values_reveals_and_is_recorded(tmp_path: Path, defects: DefectFile) -> None:
    prefix = tmp_path / "shown"
    rc, _, _ = run_cli(
        "check", str(defects.path), "--spec", "jutogai_atena", "--show-values",
        "--output-format", "json,html,csv", "-o", str(prefix),
    )
    assert rc == 1
    data = json.loads(Path(str(prefix) + ".json").read_text(encoding="utf-8"))
    assert data["values_shown"] is True
    bad = next(f for f in data["findings"] if f["code"] == "FLD016")
    assert bad["value"] in defects.numbers and not bad["value_masked"]
    assert bad["value"] in Path(str(prefix) + ".html").read_text(encoding="utf-8")
    assert "--show-values" in Path(str(prefix) + ".html").read_text(encoding="utf-8")


def test_headerless_file_masks_header_cells(tmp_path: Path, defects: DefectFile) -> None:
    """A file exported without its header row has a record where the header should be."""
    path = tmp_path / "noheader.csv"
    lines = defects.path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[1:]))
    first_number = defects.rows[0][defects.header.index("個人番号")]
    assert first_number
    report = kikan_std.check(path)
    assert "CSV003" in report.stats.findings_by_code
    for fmt in FORMATS:
        assert first_number not in render(report, fmt), fmt
        assert defects.rows[0][defects.header.index("氏名")] not in render(report, fmt), fmt


def test_mask_key_changes_hashes_and_is_recorded(tmp_path: Path, defects: DefectFile,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    base = ("check", str(defects.path), "--spec", "jutogai_atena", "--output-format", "json")
    _, default_out, _ = run_cli(*base)
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "org-secret")
    _, env_out, _ = run_cli(*base)
    _, flag_out, _ = run_cli(*base, "--mask-key", "org-secret")
    d0, d1, d2 = (json.loads(x) for x in (default_out, env_out, flag_out))
    assert d0["mask_key"] == "default" and d1["mask_key"] == d2["mask_key"] == "custom"
    v0 = [f["value"] for f in d0["findings"] if f["code"] == "FLD016"]
    v1 = [f["value"] for f in d1["findings"] if f["code"] == "FLD016"]
    v2 = [f["value"] for f in d2["findings"] if f["code"] == "FLD016"]
    assert v1 == v2 and v0 != v1  # same key → same hashes across runs; other key → other hashes
    assert "org-secret" not in env_out


def test_mask_value_shapes() -> None:
    assert mask_value("123456789018", DEFAULT_MASK_KEY).startswith("**********18 #")
    assert mask_value("山田　太郎").startswith("***** #")


# -- caps ---------------------------------------------------------------------------------------


def test_max_findings_caps_per_rule_and_overall_stats_complete(tmp_path: Path, defects: DefectFile) -> None:
    full = kikan_std.check(defects.path, max_findings=None)
    _, out, _ = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--output-format", "json",
                        "--max-findings", "1", "--max-findings-total", "5")
    data = validate_report_json(out)
    assert data["stats"]["capped"] is True
    assert data["stats"]["stored_findings"] == len(data["findings"]) == 5
    assert data["stats"]["findings_by_code"] == full.stats.findings_by_code  # counts stay complete
    assert data["stats"]["total_findings"] == full.stats.total_findings
    codes = [f["code"] for f in data["findings"]]
    assert len(codes) == len(set(codes))  # at most 1 per rule
    assert "CHR016" in data["stats"]["capped_codes"]  # 3 full-width 個人番号 findings, 1 stored
    assert "打ち切" in render(kikan_std.Report.model_validate(data), "html")


# -- schema ---------------------------------------------------------------------------------------


def test_report_schema_is_generated_from_the_model() -> None:
    committed = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    assert committed == report_json_schema(), "run: python tools/gen_schemas.py"


def test_report_schema_rejects_a_broken_report(defects: DefectFile) -> None:
    data = json.loads(kikan_std.check(defects.path).model_dump_json())
    del data["findings"][0]["code"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(data)
    data = json.loads(kikan_std.check(defects.path).model_dump_json())
    data["findings"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(data)


def test_every_json_report_is_validated(defects: DefectFile) -> None:
    """The autouse fixture really validates: a report broken after construction fails to serialise."""
    report = kikan_std.check(defects.path)
    report.findings[0].severity = "fatal"  # type: ignore[assignment]
    with pytest.raises(jsonschema.ValidationError):
        report.model_dump_json()


def test_unknown_output_format_is_a_usage_error(defects: DefectFile) -> None:
    rc, _, err = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--output-format", "pdf")
    assert rc == 2 and err.count("\n") == 1
    rc, _, err = run_cli("check", str(defects.path), "--spec", "jutogai_atena",
                         "--output-format", "json,html")
    assert rc == 2 and "-o" in err
