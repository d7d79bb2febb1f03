"""One run, one report: a whole deliverable goes through the same options builder and report builder as files.

What a user sees: per-file verdicts that agree in every output format, the organisation's masking key,
baselines and ``--fail-on new`` on a folder, the same options validated the same way everywhere.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

import kikan_std
from kikan_std.errors import RuleOptionError, UsageError
from tests.conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``kikan-std generate --spec deliverable --rows 200 --seed 7 --defects -o DIR``."""
    d = tmp_path_factory.mktemp("planted") / "deliverable"
    code, _, err = run_cli("generate", "--spec", "deliverable", "--rows", "200", "--seed", "7", "--defects",
                           "-o", str(d))
    assert code == 0, err
    return d


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _failing_html(text: str) -> set[str]:
    rows = re.findall(r'<tr class="file-row"><td class="mono">(.*?)</td>.*?data-valid="(true|false)"', text, re.S)
    assert rows
    return {file for file, valid in rows if valid == "false"}


def _failing_text(text: str) -> set[str]:
    rows = re.findall(r"^ {4}([✔✘]) (\S+)", text, re.M)
    assert rows
    return {file for mark, file in rows if mark == "✘"}


def _failing_csv(text: str) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")))) if text else []
    assert rows
    return {r["file"] for r in rows if r["file_valid"] == "false"}


def _failing_junit(text: str) -> set[str]:
    root = ET.fromstring(text)
    out = set()
    for suite in root.iter("testsuite"):
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        if props.get("file_valid") == "false":
            out.add(str(suite.get("name")))
    return out


def test_per_file_verdicts_agree_in_every_format(planted: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "report"
    code, _, err = run_cli("check", str(planted), "--output-format", "json,html,text,csv,junit,sarif", "--lang", "en",
                           "-o", str(prefix))
    assert code == 1, err
    doc = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
    assert doc["report_version"] == "1.4"
    failing = {f["file"] for f in doc["files"] if not f["valid"]}
    # the planted defects: an orphan 宛名番号, a birth date one day off, a corrupt file
    assert failing == {"kojin_juminzei__kazeidaicho.csv", "jido_teate__taishojido.csv",
                       "kei_jidoshazei__nozeigimusha.csv"}
    assert len(doc["files"]) == 12 and len(failing) < len(doc["files"])
    suffix = {"html": ".html", "text": ".txt", "csv": ".csv", "junit": ".junit.xml"}
    read = {k: Path(f"{prefix}{v}").read_text(encoding="utf-8") for k, v in suffix.items()}
    assert _failing_html(read["html"]) == failing
    assert _failing_text(read["text"]) == failing
    assert _failing_csv(read["csv"]) == failing
    assert _failing_junit(read["junit"]) == failing
    sarif = json.loads(Path(f"{prefix}.sarif").read_text(encoding="utf-8"))
    artifacts = sarif["runs"][0]["artifacts"]
    assert {a["location"]["uri"] for a in artifacts if not a["properties"]["valid"]} == failing
    for f in doc["files"]:
        assert f["errors"] == sum(n for c, n in doc["stats"]["findings_by_file"][f["file"]].items()
                                  if c in {x["code"] for x in doc["findings"] if x["severity"] == "error"})


def test_a_deliverable_report_has_the_single_file_pipeline(planted: Path) -> None:
    report = kikan_std.check_deliverable(planted, max_findings=None)
    assert report.gate is not None and report.gate.failed and report.gate.failing_findings == 3
    assert report.stats.findings_by_file["kojin_juminzei__kazeidaicho.csv"] == {"DLV001": 1}
    assert report.stats.findings_by_status == {"unclassified": 3}
    assert report.stats.max_findings_per_code is None and report.stats.capped_codes == []
    # findings in input order (the listing order of the deliverable), not by file name or code
    order = [i.file for i in report.inputs]
    positions = [order.index(f.file) for f in report.findings]
    assert positions == sorted(positions)
    capped = kikan_std.check_deliverable(planted, max_findings_total=1)
    assert capped.stats.capped and len(capped.findings) == 1 and capped.stats.max_findings_total == 1
    assert capped.stats.total_findings == 3 and len(capped.stats.capped_codes) == 2


def test_the_organisations_mask_key_changes_masked_values(planted: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def masked(doc: dict[str, object]) -> list[str]:
        return [f["value"] for f in doc["findings"] if f["value_masked"]]  # type: ignore[index, attr-defined]

    monkeypatch.delenv("KIKAN_STD_MASK_KEY", raising=False)
    code, out, _ = run_cli("check", str(planted), "--output-format", "json")
    default = json.loads(out)
    assert code == 1
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "org-secret-1")
    code, out, _ = run_cli("check", str(planted), "--output-format", "json")
    custom = json.loads(out)
    assert code == 1
    assert default["mask_key"] == "default" and custom["mask_key"] == "custom"
    assert masked(default) and len(masked(default)) == len(masked(custom))
    assert masked(default) != masked(custom)  # the birth date of DLV002 is hashed with the organisation's key
    assert [f["fingerprint"] for f in default["findings"]] != [f["fingerprint"] for f in custom["findings"]]
    # the library reads the same variable, and says so
    assert kikan_std.check_deliverable(planted).mask_key == "custom"
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "")
    with pytest.raises(UsageError):
        kikan_std.check_deliverable(planted)
    assert run_cli("check", str(planted))[0] == 2


def test_baseline_and_fail_on_new_on_a_folder(planted: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _copy(planted, tmp_path / "v1")
    old = tmp_path / "old.json"
    code, _, err = run_cli("check", str(d), "--output-format", "json", "-o", str(old), "--max-findings", "0",
                           "--max-findings-total", "0")
    assert code == 1, err
    assert run_cli("check", str(d), "--baseline", str(old), "--fail-on", "new")[0] == 0
    # the same baseline from another working directory, the deliverable named by a relative path
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, _ = run_cli("check", "../v1", "--baseline", "../old.json", "--fail-on", "new", "--output-format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["baseline"]["existing"] == 3 and doc["baseline"]["new"] == 0
    assert doc["gate"] == {"fail_on": "new", "failed": False, "failing_findings": 0, "rules_not_run": 0}
    assert {f["status"] for f in doc["findings"]} == {"existing"}
    # the same deliverable as a zip (members at its top level) has the same member paths
    flat = tmp_path / "v1.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        for p in sorted(d.iterdir()):
            zf.write(p, p.name)
    assert run_cli("check", str(flat), "--baseline", str(old), "--fail-on", "new")[0] == 0
    # one new defect: a 生年月日 of a tax file that disagrees with 住民記録
    target = d / "kaigo_hoken__hihokensha.csv"
    lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    col = header.index("生年月日")
    cells = lines[1].rstrip("\r\n").split(",")
    cells[col] = "1900-01-01" if cells[col] != "1900-01-01" else "1900-01-02"
    lines[1] = ",".join(cells) + "\r\n"
    target.write_text("".join(lines), encoding="utf-8", newline="")
    code, out, _ = run_cli("check", str(d), "--baseline", str(old), "--fail-on", "new", "--output-format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["baseline"]["new"] == 1 and doc["baseline"]["existing"] == 3
    assert [f["file"] for f in doc["findings"] if f["status"] == "new"] == ["kaigo_hoken__hihokensha.csv"]
    # the library does the same in one call
    report = kikan_std.check_deliverable(d, baseline=old, fail_on="new")
    assert report.failed and report.baseline is not None and report.baseline.new == 1


def test_waivers_on_a_deliverable(planted: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\ncode = "DLV001"\nfile = "kojin_juminzei__*.csv"\nreason = "移行後に付番"\n'
                       'owner = "税務課"\nexpires = 2099-12-31\n', encoding="utf-8")
    code, out, _ = run_cli("check", str(planted), "--waivers", str(waivers), "--output-format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["waivers"]["waived"] == 1 and doc["waivers"]["waivers"][0]["matched"] == 1
    assert [f["status"] for f in doc["findings"] if f["code"] == "DLV001"] == ["waived"]
    assert doc["gate"]["failing_findings"] == 2


def test_waiver_counts_do_not_depend_on_jobs(planted: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\ncode = "DLV002"\nreason = "確認中"\nowner = "子育て支援課"\nexpires = 2099-12-31\n',
                       encoding="utf-8")
    one = kikan_std.check_deliverable(planted, waivers=waivers)
    two = kikan_std.check_deliverable(planted, waivers=waivers, jobs=2)
    assert one.waivers is not None and two.waivers is not None
    assert one.waivers.waived == two.waivers.waived == 1
    assert [w.matched for w in one.waivers.waivers] == [w.matched for w in two.waivers.waivers] == [1]


def test_deliverable_rule_options_are_validated_in_the_library(planted: Path) -> None:
    report = kikan_std.check_deliverable(planted, rule_options={"jumin_kiroku:atena_check_digit": "off"})
    assert report.gate is not None
    with pytest.raises(RuleOptionError):
        kikan_std.check_deliverable(planted, rule_options={"no_such_option": "on"})
    with pytest.raises(RuleOptionError):
        kikan_std.check_deliverable(planted, rule_options={"nope:atena_check_digit": "off"})
    with pytest.raises(RuleOptionError):
        kikan_std.check_deliverable(planted, rule_options={"jumin_kiroku:atena_check_digit": "sometimes"})
    assert run_cli("check", str(planted), "--rule-option", "no_such_option=on")[0] == 2


def test_options_mean_the_same_in_check_and_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    valid = ROOT / "conformance" / "jutogai_atena" / "valid_utf8_lf.csv"
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "org")
    assert kikan_std.check(valid).mask_key == "custom"
    assert kikan_std.check(valid, mask_key=b"other").mask_key == "custom"
    monkeypatch.delenv("KIKAN_STD_MASK_KEY")
    assert kikan_std.check(valid).mask_key == "default"
    with pytest.raises(UsageError):
        kikan_std.check(valid, mask_key="")
    with pytest.raises(UsageError):
        kikan_std.check(valid, fail_on="new")
    with pytest.raises(UsageError):
        kikan_std.check(valid, max_findings=-1)
    assert run_cli("check", str(valid), "--spec", "jutogai_atena", "--fail-on", "new")[0] == 2
    assert run_cli("check", str(valid), "--spec", "jutogai_atena", "--mask-key", "")[0] == 2
    gj = tmp_path / "gj.txt"
    gj.write_text("not a table\n", encoding="utf-8")
    code, _, err = run_cli("check", str(valid), "--spec", "jutogai_atena", "--gj-table", str(gj))
    assert code == 2 and "GJ" in err
    assert run_cli("check", str(valid), "--spec", "jutogai_atena", "--gj-table", str(tmp_path / "none.txt"))[0] == 2


def test_a_single_file_report_has_per_file_verdicts() -> None:
    bad = ROOT / "conformance" / "zengin_sogo_furikomi" / "corrupted.txt"
    report = kikan_std.check(bad, spec="zengin_sogo_furikomi")
    assert [(f.file, f.valid, f.errors) for f in report.files] == [
        (str(bad), False, report.stats.findings_by_severity["error"])]
    assert report.files[0].spec is None  # the report's own spec; a deliverable names each file's


def test_dask_runs_the_whole_file_rules_of_the_zengin_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is installed by `make test`")
    import kikan_std.dask as kd

    bad = ROOT / "conformance" / "zengin_sogo_furikomi" / "corrupted.txt"
    one = kikan_std.check(bad, spec="zengin_sogo_furikomi")
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "org")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0") as client:
        on_dask = kd.check(bad, spec="zengin_sogo_furikomi", client=client)
        with pytest.raises(RuleOptionError):
            kd.check(bad, spec="jumin_kiroku", client=client, rule_options={"nope": "on"})
        with pytest.raises(TypeError):
            kd.check(bad, spec="zengin_sogo_furikomi", client=client, baseline="old.json")
    assert one.stats.total_findings == 10 and not one.valid
    assert on_dask.flatten(("code", "record", "item")) == one.flatten(("code", "record", "item"))
    assert on_dask.stats.findings_by_code == one.stats.findings_by_code and not on_dask.valid
    assert on_dask.mask_key == "custom"  # the Dask path reads $KIKAN_STD_MASK_KEY through the same builder
