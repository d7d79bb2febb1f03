"""The CLI contract: exit codes, output formats, messages, and never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

VIOLATIONS = ROOT / "conformance" / "jutogai_atena" / "violations.csv"
VALID = ROOT / "conformance" / "jutogai_atena" / "valid_utf8_crlf.csv"


def test_exit_codes() -> None:
    assert run_cli("check", str(VALID), "--spec", "jutogai_atena")[0] == 0
    assert run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena")[0] == 1
    assert run_cli("check", str(VALID), "--spec", "unknown")[0] == 2


def test_text_output_is_japanese_by_default_and_english_on_request() -> None:
    _, out, _ = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena")
    assert "判定: ✘ 不適合" in out and "FLD016" in out
    _, out, _ = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena", "--lang", "en")
    assert "NOT CONFORMANT" in out


def test_json_to_file_and_never_over_an_input(tmp_path: Path) -> None:
    out_file = tmp_path / "r.json"
    code, out, err = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena", "--output-format", "json",
                             "-o", str(out_file))
    assert code == 1 and out == "" and err.startswith("kikan-std: 不適合") and err.count("\n") == 1
    report = json.loads(out_file.read_text(encoding="utf-8"))
    assert report["valid"] is False
    assert report["stats"]["records"][str(VIOLATIONS)] == 40
    copy = tmp_path / "in.csv"
    copy.write_bytes(VIOLATIONS.read_bytes())
    code, _, err = run_cli("check", str(copy), "--spec", "jutogai_atena", "-o", str(copy))
    assert code == 2 and "上書きしません" in err
    assert copy.read_bytes() == VIOLATIONS.read_bytes()


def test_personal_values_are_masked_unless_shown() -> None:
    _, out, _ = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena", "--output-format", "json")
    assert "123456789010" not in out
    report = json.loads(out)
    assert report["values_shown"] is False
    _, out, _ = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena", "--output-format", "json", "--show-values")
    assert "123456789010" in out
    assert json.loads(out)["values_shown"] is True


def test_stats_stay_complete_when_findings_are_capped() -> None:
    _, out, _ = run_cli("check", str(VIOLATIONS), "--spec", "jutogai_atena", "--output-format", "json",
                        "--max-findings", "1")
    report = json.loads(out)
    assert report["stats"]["capped"] is True
    assert report["stats"]["findings_by_code"]["FLD002"] == 3
    assert sum(1 for f in report["findings"] if f["code"] == "FLD002") == 1
    cases = json.loads((VIOLATIONS.parent / "cases.json").read_text(encoding="utf-8"))["cases"]
    planted = next(c["expected"] for c in cases if c["file"] == VIOLATIONS.name)
    assert report["stats"]["total_findings"] == len(planted) == 25


def test_specs_explain_generate(tmp_path: Path) -> None:
    code, out, _ = run_cli("specs")
    assert code == 0 and out.startswith("jutogai_atena\t")
    code, out, _ = run_cli("specs", "--json")
    assert json.loads(out)[0]["provenance"] == "official"
    code, out, _ = run_cli("explain", "fld016")
    assert code == 0 and "FLD016" in out and "直し方" in out
    assert run_cli("explain", "NOPE1")[0] == 2
    target = tmp_path / "g.csv"
    assert run_cli("generate", "--spec", "jutogai_atena", "--rows", "50", "-o", str(target))[0] == 0
    assert run_cli("check", str(target), "--spec", "jutogai_atena")[0] == 0
    assert run_cli("generate", "--spec", "jutogai_atena", "--rows", "5", "-o", str(target))[0] == 2


def test_help_and_module_entry_point() -> None:
    code, out, _ = run_cli("--help")
    assert code == 0 and "終了コード" in out
    proc = subprocess.run([sys.executable, "-m", "kikan_std", "check", str(VALID), "--spec", "jutogai_atena"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "kikan_std", "check", "nope.csv", "--spec", "jutogai_atena"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_internal_error_is_not_exit_0(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.api
    import kikan_std.engine.run

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(kikan_std.engine.run, "run_check", boom)
    monkeypatch.setattr(kikan_std.api, "run_check", boom)
    code, _, err = run_cli("check", str(VALID), "--spec", "jutogai_atena")
    assert code == 3 and "内部エラー" in err and "Traceback" not in err


def test_chars_subcommand() -> None:
    code, out, _ = run_cli("chars", "渡邊")
    assert code == 0 and "U+908A" in out
    assert run_cli("chars", "ｱ")[0] == 1


def test_generate_with_defect_rate_lists_the_exact_findings(tmp_path: Path) -> None:
    target = tmp_path / "d.csv"
    assert run_cli("generate", "--spec", "jutogai_atena", "--rows", "800", "--defect-rate", "0.1", "--seed", "3",
                   "-o", str(target))[0] == 0
    exp = json.loads((tmp_path / "d.csv.expected.json").read_text(encoding="utf-8"))
    assert exp["match"] == "exact" and len(exp["expected"]) > 40
    code, out, _ = run_cli("check", str(target), "--spec", "jutogai_atena", "--output-format", "json",
                           "--max-findings", "0")
    found = sorted([f["code"], f["record"], f["item"]] for f in json.loads(out)["findings"])
    assert code == 1 and found == sorted(exp["expected"])
    assert run_cli("generate", "--spec", "jutogai_atena", "--defect-rate", "2", "-o", str(tmp_path / "x.csv"))[0] == 2


@pytest.mark.parametrize("spec", ["jutogai_atena", "jumin_kiroku"])  # key index; dataset-rule state
def test_bad_spill_threshold_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, spec: str) -> None:
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "2M")
    path = ROOT / "conformance" / spec / ("valid_utf8_lf.csv" if spec == "jutogai_atena" else "valid.csv")
    code, out, err = run_cli("check", str(path), "--spec", spec)
    assert code == 2 and out == ""
    assert "KIKAN_STD_SPILL_AT" in err and "Traceback" not in err
