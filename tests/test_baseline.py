"""Baselines (new / existing / fixed, --fail-on new) and waivers."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest

import kikan_std
from kikan_std.cli import main
from kikan_std.engine.run import run_check
from kikan_std.options import Options
from kikan_std.report.baseline import Baseline
from kikan_std.report.waivers import Waivers
from kikan_std.specs import load_spec, rules_for
from kikan_std.testing.generate import csv_text, iter_jutogai_atena
from tests.conftest import validate_report_json
from tests.defects import DefectFile, build


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = main(list(args), out, err)
    return rc, out.getvalue(), err.getvalue()


def check_json(*args: str) -> tuple[int, dict[str, object]]:
    rc, out, err = run_cli("check", *args, "--spec", "jutogai_atena", "--output-format", "json")
    assert rc in (0, 1), err
    return rc, validate_report_json(out)


def _fresh_rows(n: int) -> list[list[str]]:
    """Valid rows with 宛名番号 that do not collide with the defect file's."""
    it = iter_jutogai_atena(n, seed=99)
    next(it)
    rows = []
    for i, r in enumerate(it):
        r = list(r)
        r[0] = f"9{i:014d}"
        r[25] = ""  # 名寄せ先宛名番号 would point into the other numbering
        r[24] = "0"
        rows.append(r)
    return rows


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text(csv_text(iter([header, *rows])), encoding="utf-8", newline="")


@pytest.fixture
def defects(tmp_path: Path) -> DefectFile:
    d = build(tmp_path)
    # A record with too many fields: a finding without business keys (matched by code/file/value).
    text = d.path.read_bytes().split(b"\r\n")
    text.insert(30, text[30] + b",extra")
    d.path.write_bytes(b"\r\n".join(text))
    return d


@pytest.fixture
def baseline(tmp_path: Path, defects: DefectFile) -> Path:
    rc, out, _ = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--output-format", "json",
                         "--max-findings", "0", "--max-findings-total", "0")
    assert rc == 1
    path = tmp_path / "baseline.json"
    path.write_text(out, encoding="utf-8")
    return path


def _insert_rows_at_top(d: DefectFile, n: int) -> list[list[str]]:
    fresh = _fresh_rows(n)
    raw = d.path.read_bytes().split(b"\r\n", 1)
    d.path.write_bytes(raw[0] + b"\r\n" + csv_text(iter(fresh)).encode("utf-8") + raw[1])
    return fresh


def test_inserted_rows_keep_old_findings_existing(defects: DefectFile, baseline: Path) -> None:
    before = json.loads(baseline.read_text(encoding="utf-8"))
    _insert_rows_at_top(defects, 5)
    rc, data = check_json(str(defects.path), "--baseline", str(baseline), "--fail-on", "new")
    findings = data["findings"]
    assert isinstance(findings, list) and findings
    assert {f["status"] for f in findings} == {"existing"}
    b = data["baseline"]
    assert isinstance(b, dict)
    assert (b["new"], b["fixed"], b["existing"]) == (0, 0, len(findings))
    assert "CSV002" in {f["code"] for f in findings}  # keyless finding matched too
    # Row numbers really moved: every finding is 5 records further down than in the baseline.
    old = sorted((f["code"], f["record"]) for f in before["findings"])
    new = sorted((f["code"], f["record"] - 5) for f in findings)
    assert old == new
    assert rc == 0  # no new finding: --fail-on new passes
    rc_default, _ = check_json(str(defects.path), "--baseline", str(baseline))
    assert rc_default == 1  # the default gate still fails on the existing errors


def test_one_new_defect_fails_fail_on_new(defects: DefectFile, baseline: Path) -> None:
    fresh = _insert_rows_at_top(defects, 5)
    header = defects.header
    raw = defects.path.read_bytes().split(b"\r\n", 1)
    fresh[2][header.index("生年月日")] = "2001/01/01"  # one new defect (FLD011) in an inserted row
    rest = raw[1].split(b"\r\n", 5)[5]
    defects.path.write_bytes(raw[0] + b"\r\n" + csv_text(iter(fresh)).encode("utf-8") + rest)
    rc, data = check_json(str(defects.path), "--baseline", str(baseline), "--fail-on", "new")
    new = [f for f in data["findings"] if f["status"] == "new"]  # type: ignore[union-attr,index]
    assert [(f["code"], f["record"], f["keys"]["宛名番号"]) for f in new] == [("FLD011", 3, fresh[2][0])]
    assert data["gate"] == {"fail_on": "new", "failed": True, "failing_findings": 1, "rules_not_run": 0}
    assert rc == 1


def test_new_defect_beyond_the_cap_still_fails(defects: DefectFile, baseline: Path) -> None:
    """Classification covers every finding, not only the stored ones."""
    fresh = _insert_rows_at_top(defects, 3)
    raw = defects.path.read_bytes().split(b"\r\n", 1)
    rest = raw[1].split(b"\r\n", 3)[3]
    fresh[1][defects.header.index("性別")] = "9"  # a second FLD015, stored cap 1 per code
    defects.path.write_bytes(raw[0] + b"\r\n" + csv_text(iter(fresh)).encode("utf-8") + rest)
    rc, data = check_json(str(defects.path), "--baseline", str(baseline), "--fail-on", "new",
                          "--max-findings", "1")
    assert rc == 1
    assert data["baseline"]["new"] == 1  # type: ignore[index]
    assert data["stats"]["findings_by_status"]["new"] == 1  # type: ignore[index]


def test_fixed_findings_are_reported(defects: DefectFile, baseline: Path) -> None:
    col = defects.header.index("性別")
    defects.rows[8][col] = "1"  # fix the FLD015 defect
    text = defects.path.read_bytes().split(b"\r\n")
    text[9] = csv_text(iter([defects.rows[8]])).rstrip("\r\n").encode("utf-8")
    defects.path.write_bytes(b"\r\n".join(text))
    rc, data = check_json(str(defects.path), "--baseline", str(baseline), "--fail-on", "new")
    b = data["baseline"]
    assert b["fixed"] == 1 and b["new"] == 0  # type: ignore[index]
    assert [(f["code"], f["keys"]["宛名番号"]) for f in b["fixed_findings"]] == [  # type: ignore[index]
        ("FLD015", defects.rows[8][0])
    ]
    assert rc == 0


def test_baseline_of_version_1_0_without_fingerprints(
    defects: DefectFile, baseline: Path, tmp_path: Path
) -> None:
    old = json.loads(baseline.read_text(encoding="utf-8"))
    old["report_version"] = "1.0"
    for f in old["findings"]:
        for k in ("fingerprint", "status", "waiver"):
            f.pop(k)
    legacy = tmp_path / "legacy.json"
    legacy.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    _insert_rows_at_top(defects, 2)
    rc, data = check_json(str(defects.path), "--baseline", str(legacy), "--fail-on", "new")
    assert data["baseline"]["new"] == 0 and rc == 0  # type: ignore[index]


def test_duplicates_are_matched_by_count(tmp_path: Path) -> None:
    header = next(iter_jutogai_atena(0))
    rows = _fresh_rows(3)
    rows[1][0] = rows[2][0] = rows[0][0]  # the same 宛名番号 three times: two KEY001
    path = tmp_path / "dup.csv"
    _write(path, header, rows[:2])
    rc, out, _ = run_cli("check", str(path), "--spec", "jutogai_atena", "--output-format", "json")
    base = tmp_path / "b.json"
    base.write_text(out, encoding="utf-8")
    _write(path, header, rows)
    rc, data = check_json(str(path), "--baseline", str(base), "--fail-on", "new")
    statuses = sorted(f["status"] for f in data["findings"] if f["code"] == "KEY001")  # type: ignore[union-attr,index]
    assert statuses == ["existing", "new"] and rc == 1


def test_fail_on_new_needs_a_baseline(defects: DefectFile) -> None:
    rc, _, err = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--fail-on", "new")
    assert rc == 2 and err.count("\n") == 1


@pytest.mark.parametrize(
    "content", ["not json", '{"tool": {"name": "other"}}', '{"tool": {"name": "kikan-std"}}']
)
def test_bad_baseline_is_a_usage_error(tmp_path: Path, defects: DefectFile, content: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    rc, _, err = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--baseline", str(bad))
    assert rc == 2 and err.count("\n") == 1


# -- waivers --------------------------------------------------------------------------------------


def _waiver_file(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "waivers.toml"
    p.write_text(body, encoding="utf-8")
    return p


def test_waivers_apply_expire_and_are_reported(tmp_path: Path, defects: DefectFile) -> None:
    bad_number_key = defects.rows[2][0]  # record 3 has an FLD016
    waivers = _waiver_file(tmp_path, f'''
[[waiver]]
code = "FLD016"
file = "atena*.csv"
key = "{bad_number_key}"
reason = "番号は移行後に住基ネットで再確認"
owner = "住民課 佐藤"
expires = 2099-12-31

[[waiver]]
code = "FLD011"
reason = "旧システムの日付形式（期限切れ）"
owner = "情報政策課 鈴木"
expires = 2001-01-01

[[waiver]]
code = "FLD019"
file = "other*.csv"
reason = "別ファイル用"
owner = "x"
expires = 2099-12-31
''')
    rc, data = check_json(str(defects.path), "--waivers", str(waivers))
    findings = data["findings"]
    waived = [f for f in findings if f["status"] == "waived"]  # type: ignore[union-attr,index]
    assert [(f["code"], f["keys"]["宛名番号"]) for f in waived] == [("FLD016", bad_number_key)]
    assert waived[0]["waiver"] == {"index": 0, "reason": "番号は移行後に住基ネットで再確認",
                                   "owner": "住民課 佐藤", "expires": "2099-12-31"}
    fld011 = [f for f in findings if f["code"] == "FLD011"]  # type: ignore[union-attr,index]
    assert fld011 and all(f["status"] is None for f in fld011)  # expired: no longer applies
    summary = data["waivers"]
    assert summary["waived"] == 1  # type: ignore[index]
    assert [(w["code"], w["expired"], w["matched"]) for w in summary["waivers"]] == [  # type: ignore[index]
        ("FLD016", False, 1), ("FLD011", True, 1), ("FLD019", False, 0)
    ]
    assert data["valid"] is False and rc == 1
    text = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--waivers", str(waivers))[1]
    assert "期限切れ" in text and "承認済" in text
    html = run_cli("check", str(defects.path), "--spec", "jutogai_atena", "--waivers", str(waivers),
                   "--output-format", "html")[1]
    assert "期限切れ" in html and "住民課 佐藤" in html


def test_all_errors_waived_passes_the_gate_but_is_not_valid(tmp_path: Path) -> None:
    header = next(iter_jutogai_atena(0))
    rows = _fresh_rows(4)
    rows[1][header.index("性別")] = "9"
    path = tmp_path / "one.csv"
    _write(path, header, rows)
    waivers = _waiver_file(tmp_path, '''
[[waiver]]
code = "FLD015"
item = "性別"
reason = "コード9は移行用の暫定値"
owner = "住民課"
expires = 2099-01-01
''')
    rc, data = check_json(str(path), "--waivers", str(waivers))
    assert rc == 0
    assert data["valid"] is False  # never a false "valid": the finding is accepted, not absent
    assert data["gate"]["failed"] is False  # type: ignore[index]


def test_expiry_is_judged_against_today(tmp_path: Path, defects: DefectFile) -> None:
    waivers = _waiver_file(tmp_path, '''
[[waiver]]
code = "FLD015"
reason = "r"
owner = "o"
expires = 2030-06-30
''')
    spec = load_spec("jutogai_atena")
    rules = rules_for(spec)

    def status_on(day: dt.date) -> object:
        w = Waivers.load(waivers, today=day)
        report = run_check([defects.path], spec, rules.record_rules, rules.dataset_rules, Options(waivers=w))
        return next(f.status for f in report.findings if f.code == "FLD015")

    assert status_on(dt.date(2030, 6, 30)) == "waived"  # the expiry day itself still applies
    assert status_on(dt.date(2030, 7, 1)) is None


@pytest.mark.parametrize(
    "body",
    [
        "[[waiver]]\ncode = 'FLD999'\nreason = 'r'\nowner = 'o'\nexpires = 2030-01-01\n",  # unknown code
        "[[waiver]]\ncode = 'FLD001'\nowner = 'o'\nexpires = 2030-01-01\n",  # no reason
        "[[waiver]]\ncode = 'FLD001'\nreason = 'r'\nowner = 'o'\nexpires = 'soon'\n",  # not a date
        "[[waiver]\n",  # not TOML
        "[[waiver]]\ncode = 'FLD001'\nfingerprint = '../x'\nreason = 'r'\nowner = 'o'\nexpires = 2030-01-01\n",
    ],
)
def test_bad_waiver_file_is_a_usage_error(tmp_path: Path, defects: DefectFile, body: str) -> None:
    rc, _, err = run_cli("check", str(defects.path), "--spec", "jutogai_atena",
                         "--waivers", str(_waiver_file(tmp_path, body)))
    assert rc == 2 and err.count("\n") == 1


def _fingerprint_waiver(tmp_path: Path, code: str, fp: str) -> Path:
    return _waiver_file(tmp_path, f"""
[[waiver]]
code = "{code}"
fingerprint = "{fp}"
reason = "受け入れ"
owner = "住民課"
expires = 2099-12-31
""")


def test_a_fingerprint_waiver_accepts_exactly_that_finding_from_any_folder(
        tmp_path: Path, defects: DefectFile, monkeypatch: pytest.MonkeyPatch) -> None:
    # Fingerprints name the file by its path below the checked root (for one file: its name), so the same finding
    # has the same fingerprint whether the file was given as a full path or checked in its folder (as the web app
    # does); a waiver of that fingerprint matches from any folder.
    full = kikan_std.check(defects.path, spec="jutogai_atena").errors()[0]
    monkeypatch.chdir(defects.path.parent)
    named = next(f for f in kikan_std.check(defects.path.name, spec="jutogai_atena").errors()
                 if (f.code, f.record, f.item) == (full.code, full.record, full.item))
    assert named.fingerprint == full.fingerprint
    monkeypatch.chdir(tmp_path)
    for fp in (full.fingerprint, named.fingerprint):
        data = check_json(str(defects.path), "--waivers", str(_fingerprint_waiver(tmp_path, full.code, fp)))[1]
        waived = [f for f in data["findings"] if f["status"] == "waived"]  # type: ignore[union-attr,index]
        assert waived and {(f["code"], f["fingerprint"]) for f in waived} == {(full.code, full.fingerprint)}
    data = check_json(str(defects.path), "--waivers", str(_fingerprint_waiver(tmp_path, full.code, "0" * 16)))[1]
    assert data["waivers"]["waived"] == 0  # type: ignore[index]


def test_api_accepts_baseline_and_waivers(defects: DefectFile, baseline: Path) -> None:
    report = kikan_std.check(defects.path, baseline=baseline, fail_on="new")
    assert report.baseline is not None and report.baseline.new == 0 and not report.failed
    b = Baseline.load(baseline)
    assert sum(b.counts.values()) == len(json.loads(baseline.read_text(encoding="utf-8"))["findings"])
