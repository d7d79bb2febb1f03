"""The data-only conformance suite, run through the public API and through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import kikan_std
from kikan_std.deliverable import check_deliverable
from kikan_std.jp.chars import parse_gj_table
from tests.conftest import ROOT, run_cli

SUITE = ROOT / "conformance"


def _cases() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for cases_file in sorted(SUITE.glob("*/cases.json")):
        doc = json.loads(cases_file.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            out.append((cases_file.parent, case))
    return out


CASES = _cases()


def _ids() -> list[str]:
    return [f"{folder.name}/{case['file']}" for folder, case in CASES]


def _found(findings: list[tuple[Any, ...]]) -> list[list[Any]]:
    return sorted(([c, r, i] for c, r, i in findings), key=lambda t: (str(t[0]), t[1] or 0, str(t[2])))


def _expect(case: dict[str, Any], found: list[list[Any]]) -> None:
    expected = _found([tuple(e) for e in case["expected"]])
    if case.get("match") == "includes":
        for e in expected:
            assert e in found, f"{case['description']}: missing {e}"
    else:
        assert found == expected, case["description"]


def test_suite_is_not_empty_and_matches_its_schema() -> None:
    schema = json.loads((SUITE / "cases.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert len(CASES) >= 10
    for cases_file in SUITE.glob("*/cases.json"):
        jsonschema.validate(json.loads(cases_file.read_text(encoding="utf-8")), schema)


@pytest.mark.parametrize("folder,case", CASES, ids=_ids())
def test_case_through_api(folder: Path, case: dict[str, Any]) -> None:
    layout = folder / case["layout"] if "layout" in case else None
    gj = parse_gj_table((folder / case["gj_table"]).read_text(encoding="utf-8")) if "gj_table" in case else None
    if case["spec"] == "deliverable":  # "file" is a deliverable folder or zip, checked as a whole
        report = check_deliverable(folder / case["file"], encoding=case["encoding"], max_findings=None)
    else:
        report = kikan_std.check(folder / case["file"], spec=case["spec"], encoding=case["encoding"],
                                 max_findings=None, input_format=case.get("input_format"), layout=layout,
                                 bom=case.get("bom", "allow"), gj_table=gj)
    assert report.valid is case["valid"], [f.code for f in report.findings]
    _expect(case, _found(report.flatten(("code", "record", "item"))))


@pytest.mark.parametrize("folder,case", CASES, ids=_ids())
def test_case_through_cli(folder: Path, case: dict[str, Any]) -> None:
    extra = ["--input-format", case["input_format"]] if "input_format" in case else []
    extra += ["--layout", str(folder / case["layout"])] if "layout" in case else []
    extra += ["--bom", case["bom"]] if "bom" in case else []
    extra += ["--gj-table", str(folder / case["gj_table"])] if "gj_table" in case else []
    spec = [] if case["spec"] == "deliverable" else ["--spec", case["spec"]]
    code, out, err = run_cli("check", str(folder / case["file"]), *spec, "--encoding",
                             case["encoding"], "--output-format", "json", "--max-findings", "0", *extra)
    assert err == ""
    assert code == (0 if case["valid"] else 1)
    report = json.loads(out)
    assert report["valid"] is case["valid"]
    _expect(case, _found([(f["code"], f["record"], f["item"]) for f in report["findings"]]))
