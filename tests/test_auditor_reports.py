"""Reports an auditor can sign: provenance of the verdict, exact counts, complete exports, baselines
that do not depend on the working directory, stale waivers, the CP932 hint."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from kikan_std import check
from kikan_std.writers import render
from tests.conftest import atena_rows, run_cli


def _write(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def test_baseline_taken_in_one_directory_matches_from_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    header, rows = atena_rows(30)
    for r in rows[:5]:
        r[header.index("宛名番号")] = "12"  # FLD findings keyed by business keys
    data = tmp_path / "data"
    data.mkdir()
    _write(data / "atena.csv", header, rows)
    other = tmp_path / "elsewhere" / "deeper"
    other.mkdir(parents=True)
    monkeypatch.chdir(data)
    code, _, err = run_cli("check", "atena.csv", "--spec", "jutogai_atena", "--output-format", "json",
                           "-o", str(tmp_path / "base.json"))
    assert code == 1, err
    base = json.loads((tmp_path / "base.json").read_text(encoding="utf-8"))
    assert base["findings"]
    monkeypatch.chdir(other)
    typed = os.path.relpath(data / "atena.csv")  # ../../data/atena.csv
    code, out, err = run_cli("check", typed, "--spec", "jutogai_atena", "--output-format", "json",
                             "--baseline", str(tmp_path / "base.json"), "--fail-on", "new")
    report = json.loads(out)
    assert code == 0, err
    assert report["baseline"]["new"] == 0 and report["baseline"]["fixed"] == 0
    assert report["baseline"]["existing"] == len(base["findings"])
    assert {f["fingerprint"] for f in report["findings"]} == {f["fingerprint"] for f in base["findings"]}
    assert report["findings"][0]["file"] == typed  # the file is still named as typed


def test_stale_waiver_and_toml_dates(tmp_path: Path) -> None:
    header, rows = atena_rows(5)
    f = _write(tmp_path / "a.csv", header, rows)
    w = tmp_path / "w.toml"
    w.write_text('[[waiver]]\ncode = "FLD001"\nreason = "r"\nowner = "住民課"\nexpires = 2099-12-31\n', encoding="utf-8")
    report = check(f, "jutogai_atena", waivers=w)
    assert report.waivers is not None and report.waivers.waivers[0].stale
    assert "使われなかった承認: FLD001" in render(report, "text")
    w.write_text('[[waiver]]\ncode = "FLD001"\nreason = "r"\nowner = "o"\nexpires = "2099-12-31"\n', encoding="utf-8")
    code, _, err = run_cli("check", str(f), "--spec", "jutogai_atena", "--waivers", str(w))
    assert code == 2 and "TOML date" in err


def test_modeled_and_official_verdicts_say_what_they_were_checked_against(tmp_path: Path) -> None:
    header, rows = atena_rows(3)
    f = _write(tmp_path / "a.csv", header, rows)
    official = check(f, "jutogai_atena")
    assert official.checked_against == "国の標準仕様（公式）"
    from kikan_std.testing.generate import write_sample

    s = write_sample(tmp_path / "jumin.csv", "jumin_kiroku", 3, 1, defect_rate=1.0)  # findings: CSV rows
    modeled = check(s.path, "jumin_kiroku")
    assert modeled.checked_against == "当プロジェクトのモデル（公式の基本データリスト未入手）"
    for fmt in ("text", "html", "junit", "sarif", "csv", "json"):
        assert "当プロジェクトのモデル" in render(modeled, fmt), fmt
    en = check(s.path, "jumin_kiroku", lang="en")
    assert "this project's model" in render(en, "text") and "this project's model" in render(en, "csv")


@pytest.mark.parametrize("jobs", [1, 2])
def test_cp932_file_checked_as_utf8_gives_one_clear_finding(tmp_path: Path, jobs: int) -> None:
    header, rows = atena_rows(200)
    f = _write(tmp_path / "sjis.csv", header, rows, encoding="cp932")
    report = check(f, "jutogai_atena", jobs=jobs)
    assert not report.valid
    assert report.stats.total_findings <= 3, report.stats.findings_by_code
    hint = [x for x in report.findings if x.code == "ENC005"]
    assert len(hint) == 1 and hint[0].params["likely"] == "cp932"
    assert "--encoding cp932" in hint[0].message
    assert "*" not in hint[0].message  # nothing masked: header names are not personal
    # With the encoding it names, the same file is clean.
    assert check(f, "jutogai_atena", encoding="cp932").valid


def test_utf8_file_checked_as_cp932_is_named_too(tmp_path: Path) -> None:
    header, rows = atena_rows(5)
    f = _write(tmp_path / "u.csv", header, rows)
    report = check(f, "jutogai_atena", encoding="cp932")
    assert not report.valid and report.stats.findings_by_code == {"ENC005": 1}
    assert report.findings[0].params["likely"] == "utf-8"


def test_output_file_prints_a_one_line_summary_and_dash_means_stdout(tmp_path: Path) -> None:
    header, rows = atena_rows(5)
    rows[0][header.index("宛名番号")] = ""
    f = _write(tmp_path / "a.csv", header, rows)
    code, out, err = run_cli("check", str(f), "--spec", "jutogai_atena", "--output-format", "json",
                             "-o", str(tmp_path / "r.json"))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("kikan-std: 不適合 — エラー ")
    assert "国の標準仕様（公式）" in err and "r.json" in err
    code, out, err = run_cli("check", str(f), "--spec", "jutogai_atena", "--output-format", "json", "-o", "-")
    assert code == 1 and json.loads(out)["valid"] is False and err == ""
    code, _, err = run_cli("check", str(f), "--spec", "jutogai_atena", "--output-format", "json,csv", "-o", "-")
    assert code == 2


def test_explain_for_a_terminal_and_the_list_of_codes() -> None:
    code, out, _ = run_cli("explain", "CHR004")
    assert code == 0 and out.startswith("CHR004 halfwidth-kana-in-fullwidth — ")
    assert "**" not in out and "## " not in out and "\n直し方:\n  " in out
    code, out, _ = run_cli("explain")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("CSV001\terror\t") and any(x.startswith("ENC005\terror") for x in lines)
    code, out, _ = run_cli("explain", "CHR004", "--markdown")
    assert out.startswith("# CHR004")


def test_findings_csv_of_a_10000_finding_run_is_complete_or_says_it_is_capped(tmp_path: Path) -> None:
    header, rows = atena_rows(10_000, seed=5)
    for r in rows:
        r[header.index("生年月日")] = "2001/1/1"  # Excel's date: one finding per record, 10,000 of one code
    f = _write(tmp_path / "big.csv", header, rows)
    # Every finding kept: 10,000 data rows under the header, nothing said about a cap.
    code, _, err = run_cli("check", str(f), "--spec", "jutogai_atena", "--output-format", "csv",
                           "--max-findings", "0", "--max-findings-total", "0", "-o", str(tmp_path / "all.csv"))
    assert code == 1, err
    lines = (tmp_path / "all.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("状態 status,") and len(lines) == 1 + 10_000
    assert {(x[1], x[2]) for x in csv.reader(lines[1:])} == {("エラー", "FLD011")}  # severities in Japanese
    # With the CLI's default caps the first line says so, with exact numbers.
    code, _, _ = run_cli("check", str(f), "--spec", "jutogai_atena", "--output-format", "csv", "--lang", "en",
                         "-o", str(tmp_path / "capped.csv"))
    lines = (tmp_path / "capped.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("# Note: this CSV lists 1000 of 10000 findings (9000 left out")
    assert lines[1].startswith("status,") and len(lines) == 2 + 1_000
    # The text report's "… N more" is exact: 10 listed of 10,000 counted.
    code, out, _ = run_cli("check", str(f), "--spec", "jutogai_atena", "--max-findings", "5")
    assert "  … 他 9,995 件" in out


def test_junit_lists_only_rules_that_apply_to_the_file(tmp_path: Path) -> None:
    header, rows = atena_rows(5)
    f = _write(tmp_path / "a.csv", header, rows)
    xml = render(check(f, "jutogai_atena"), "junit")
    names = set(re.findall(r'<testcase classname="[^"]*" name="([A-Z]+\d+) ', xml))
    assert names and not {n for n in names if n.startswith(("JUM", "RCN", "ZGN", "TAX", "WEL", "DLV", "JSN", "XML"))}
    assert {"FLD001", "CSV003", "KEY001"} <= names
    s = tmp_path / "jumin.csv"
    from kikan_std.testing.generate import write_sample

    write_sample(s, "jumin_kiroku", 5, 2)
    jumin = set(re.findall(r'name="([A-Z]+\d+) ', render(check(s, "jumin_kiroku"), "junit")))
    assert any(n.startswith("JUM") for n in jumin)


def test_workbook_is_official_only_when_byte_identical_to_a_known_edition(tmp_path: Path) -> None:
    import zipfile

    from kikan_std.model.workbook import load_workbook
    from tests.test_workbook import OFFICIAL

    if not OFFICIAL.exists():
        pytest.skip("shared/reference/data is not present")
    assert load_workbook(OFFICIAL).provenance == "official"
    # The same sheets re-zipped (as any save does): other bytes, so user-supplied.
    copy = tmp_path / "項目定義書.xlsx"
    with zipfile.ZipFile(OFFICIAL) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    spec = load_workbook(copy)
    assert spec.provenance == "user-supplied"
    assert {it.provenance for g in spec.groups for it in g.items} == {"user-supplied"}
    header, rows = atena_rows(3)
    f = _write(tmp_path / "a.csv", header, rows)
    code, out, _ = run_cli("check", str(f), "--spec-file", str(copy))
    assert code == 0 and "判定の基準: 利用者が指定したワークブック（既知の公式版と一致しない）" in out


def test_a_header_naming_no_item_in_another_encoding_is_not_called_a_wrong_encoding(tmp_path: Path) -> None:
    f = tmp_path / "odd.csv"
    f.write_bytes(b"a,b,\x82\xa0\r\n1,2,3\r\n")  # one cell is CP932 あ, but no cell names an item either way
    report = check(f, "jutogai_atena")
    assert "ENC005" not in report.stats.findings_by_code
    assert {"CSV003", "CSV004"} <= set(report.stats.findings_by_code) and not report.valid
