"""The jumin_kiroku conformance cases (conformance/jumin_kiroku/cases.json) through the API and the CLI."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import kikan_std
from kikan_std.catalogue import catalogue
from kikan_std.cli import main

DIR = Path(__file__).resolve().parent.parent / "conformance" / "jumin_kiroku"
CASES: list[dict[str, Any]] = json.loads((DIR / "cases.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case_api(case: dict[str, Any]) -> None:
    report = kikan_std.check(DIR / case["file"], case["spec"], encoding=case["encoding"], max_findings=None)
    got = sorted([f.code, f.record, f.item] for f in report.findings)
    want = sorted(case["expected"], key=lambda e: (str(e[0]), e[1] or 0, e[2] or ""))
    got = sorted(got, key=lambda e: (str(e[0]), e[1] or 0, e[2] or ""))
    if case.get("match") == "includes":
        for e in want:
            assert any(g[0] == e[0] and (e[1] is None or g[1] == e[1]) and (e[2] is None or g[2] == e[2])
                       for g in got), e
    else:
        assert got == want
    assert report.valid is case["valid"]


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_case_cli_exit_code(case: dict[str, Any]) -> None:
    rc = main(["check", str(DIR / case["file"]), "--spec", case["spec"], "--no-progress"], io.StringIO(),
              io.StringIO())
    assert rc == (0 if case["valid"] else 1)


def test_every_jum_code_has_a_case() -> None:
    covered = {e[0] for c in CASES for e in c["expected"]}
    jum = {code for code in catalogue() if code.startswith("JUM")}
    assert jum <= covered
