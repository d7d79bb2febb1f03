"""What the reconcile outputs show: masking (canary), audit trail, bank codes, quiet success, pipes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

import kikan_std
from kikan_std.cli.reconcile import reconcile_main
from kikan_std.reconcile import reconcile
from kikan_std.reconcile.generate import GenConfig, generate_files, read_bank_truth, read_truth
from kikan_std.reconcile.normalize import normalize_address, normalize_name

# Planted personal values: none may appear in any output unless --show-values.
NAME, NAME2 = "鰐淵 銀之丞", "鰐淵 銀之承"
MEMBER, MEMBER2 = "鰐淵 金太郎", "鰐淵 桃子"
ADDRESS = "東京都港区赤坂九丁目9番9号"
ADDRESS_APP = "港区赤坂9-9-9"
DOB, DOB_APP = "1958-03-03", "昭和33年3月3日"
HOLDER, HOLDER_KANA = "ﾜﾆﾌﾞﾁ ｷﾝﾀﾛｳ", "ワニブチ ギンノジョウ"
ACCOUNT = "7654321"
VALUES = [NAME, NAME2, MEMBER, MEMBER2, ADDRESS, ADDRESS_APP, DOB, DOB_APP, HOLDER, HOLDER_KANA, ACCOUNT,
          "東京都港区赤坂九丁目9番8号", "渡邉 三四郎", "1960-06-06"]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _canary_inputs(tmp_path: Path) -> tuple[Path, Path]:
    app = {"世帯主氏名": NAME, "住所": ADDRESS_APP, "生年月日": DOB_APP, "世帯員": f"{MEMBER}、{MEMBER2}",
           "銀行名": "みずほ銀行", "支店名": "東京営業部", "口座区分": "普通", "口座番号": ACCOUNT,
           "口座名義（カナ）": HOLDER}
    ben = {"No": "1", "世帯主氏名": NAME, "世帯主氏名（カナ）": HOLDER_KANA, "住所": ADDRESS, "生年月日": DOB,
           "世帯員": MEMBER}
    apps = [
        app,  # matched: notation differences, a member added, RCN005 account holder
        {**app, "世帯主氏名": NAME2, "住所": "東京都港区赤坂九丁目9番8号", "口座番号": "12345"},  # review
        {**app, "世帯主氏名": "渡邉 三四郎", "生年月日": "1960-06-06", "口座名義（カナ）": "鰐淵"},  # unmatched
    ]
    return _write(tmp_path / "a.csv", apps), _write(tmp_path / "b.csv", [ben])


def _forms(value: str) -> list[str]:
    out = {value, unicodedata.normalize("NFKC", value), normalize_name(value).text,
           normalize_address(value).text, value.replace(" ", ""), value.replace(" ", "　")}
    for v in list(out):
        for enc in ("utf-8", "cp932"):
            try:
                b = v.encode(enc)
            except UnicodeEncodeError:
                continue
            out |= {b.hex(), b.hex().upper()}
    return [v for v in out if len(v) >= 4]


def test_canary_no_personal_value_in_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIKAN_STD_MASK_KEY", raising=False)
    a, b = _canary_inputs(tmp_path)
    for fmt in ("json", "csv", "html"):
        dest = tmp_path / f"r.{fmt}"
        out, err = io.StringIO(), io.StringIO()
        for jobs in ("2", "1"):  # with workers (they render the text) and in one process
            assert reconcile_main([str(a), str(b), "-o", str(dest), "--output-format", fmt, "--jobs", jobs],
                                  out, err) == 0
            text = dest.read_text(encoding="utf-8-sig")
            for value in VALUES:
                for form in _forms(value):
                    assert form not in text, (fmt, jobs, value, form)
        assert out.getvalue() == err.getvalue() == ""
        # the run really produced a match, a review item and an unmatched application
        shown = tmp_path / f"s.{fmt}"
        assert reconcile_main([str(a), str(b), "-o", str(shown), "--output-format", fmt, "--show-values"],
                              out, err) == 0
        clear = shown.read_text(encoding="utf-8-sig")
        assert NAME2 in clear and "渡邉 三四郎" in clear and MEMBER2 in clear
        assert "--show-values" in clear  # the warning is in the output itself
    d = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert (d["summary"]["matched"], d["summary"]["review"], d["summary"]["unmatched_applications"]) == (1, 1, 1)
    assert {f["code"] for f in d["findings"]} >= {"RCN001", "RCN003", "RCN005"}
    assert d["audit"]["values_shown"] is False


def test_masking_uses_checks_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kikan_std.report.render import mask_value

    a, b = _canary_inputs(tmp_path)
    monkeypatch.setenv("KIKAN_STD_MASK_KEY", "secret")
    assert reconcile_main([str(a), str(b), "-o", str(tmp_path / "r.json")], io.StringIO(), io.StringIO()) == 0
    d = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert d["unmatched_applications"][0]["name"] == mask_value("渡邉 三四郎", b"secret")
    assert d["audit"]["mask_key"] == "custom"


def test_audit_trail_makes_the_run_reproducible(tmp_path: Path) -> None:
    generate_files(300, tmp_path, GenConfig(seed=3))
    a, b = tmp_path / "applications.csv", tmp_path / "beneficiaries.csv"
    out = tmp_path / "r.json"
    assert reconcile_main([str(a), str(b), "-o", str(out), "--amount", "50000", "--threshold", "0.8"],
                          io.StringIO(), io.StringIO()) == 0
    first = json.loads(out.read_text(encoding="utf-8"))
    audit = first["audit"]
    import hashlib

    for rec, path in zip(audit["inputs"], (a, b), strict=True):
        assert rec["file"] == path.name and rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [r["rows"] for r in audit["inputs"]] == [first["summary"]["applications"],
                                                    first["summary"]["beneficiaries"]]
    assert audit["options"]["amount_per_person"] == 50000 and audit["options"]["threshold"] == 0.8
    assert audit["version"] == kikan_std.__version__ and audit["created"].endswith("+00:00")
    assert audit["bank_table"]["package"] == "zengin-code"
    # Re-run from the record alone: same result (apart from the time of the run).
    again = reconcile(a, b, **audit["options"])
    buf = io.StringIO()
    from kikan_std.reconcile.report import write_json

    write_json(again, buf)
    second = json.loads(buf.getvalue())
    for d in (first, second):
        d["audit"].pop("created")
    assert second == first


def test_bank_names_resolved_and_transfer_file_passes_spec(tmp_path: Path) -> None:
    generate_files(600, tmp_path, GenConfig(seed=11, bank_unresolvable=0.05))
    truth, banks = read_truth(tmp_path / "truth.csv"), read_bank_truth(tmp_path / "truth.csv")
    r = reconcile(tmp_path / "applications.csv", tmp_path / "beneficiaries.csv")
    by_app = {int(t.customer_code1): (t.bank_code, t.branch_code) for t in r.transfer_records()}
    named = [a for a, (_b, tags) in truth.items() if "bank_name" in tags and a in by_app]
    assert len(named) > 100
    assert all(by_app[a] == banks[a] for a in by_app)  # resolved codes are the true ones
    unresolvable = {a for a, (_b, tags) in truth.items() if "bank_unresolvable" in tags}
    assert unresolvable and not unresolvable & set(by_app)  # never guessed
    listed = {a for u in r.unresolved_banks for a in u.applications}
    assert unresolvable <= listed
    assert {u.bank_name for u in r.unresolved_banks} <= {"三菱銀行", "ちゅうごく"}
    codes = {f.record: f.code for f in r.findings if f.code in {"RCN011", "RCN012"}}
    assert {codes[a] for a in unresolvable} == {"RCN011", "RCN012"}
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"requester_code": "1310300001", "requester_name": "ﾐﾅﾄｸ",
                               "transfer_date": "2020-06-01", "bank_code": "0001", "branch_code": "001",
                               "account_number": "1234567"}), encoding="utf-8")
    err = io.StringIO()
    assert reconcile_main([str(tmp_path / "applications.csv"), str(tmp_path / "beneficiaries.csv"), "-o",
                           str(tmp_path / "r.html"), "--output-format", "html", "--transfer-file",
                           str(tmp_path / "t.txt"), "--transfer-config", str(cfg)], io.StringIO(), err) == 0
    assert err.getvalue() == ""
    report = kikan_std.check(tmp_path / "t.txt", spec="zengin_sogo_furikomi", input_format="fixed")
    assert report.valid and report.findings == []
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "金融機関を特定できない申請" in html and "三菱銀行" in html


@pytest.mark.parametrize(
    ("name", "code"),
    [("三菱UFJ", "0005"), ("ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ", "0005"), ("三菱ＵＦＪ銀行", "0005"), ("ﾐｽﾞﾎ", "0001"),
     ("網走信用金庫", "1031"), ("SMBC", "0009")],
)
def test_bank_name_variants(name: str, code: str) -> None:
    from kikan_std.reconcile.banks import resolve_bank

    assert resolve_bank(name).code == code


def test_html_numbers_and_japanese_labels(tmp_path: Path) -> None:
    generate_files(1200, tmp_path, GenConfig(seed=5))
    r = reconcile(tmp_path / "applications.csv", tmp_path / "beneficiaries.csv")
    from kikan_std.reconcile.report import render_html

    html = render_html(r)
    assert f"{r.summary.amount:,}" in html and f"{r.summary.applications:,}" in html
    assert "," in f"{r.summary.applications:,}"
    assert "address_notation" not in html and "丁目・番・号表記" in html  # step names in Japanese


def test_piped_into_head_has_no_traceback(tmp_path: Path) -> None:
    generate_files(800, tmp_path, GenConfig(seed=2))
    cmd = (f"{sys.executable} -m kikan_std reconcile {tmp_path / 'applications.csv'} "
           f"{tmp_path / 'beneficiaries.csv'} | head -1")
    p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, env={**os.environ}, check=False)
    assert p.stdout.strip() == "{"
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr
