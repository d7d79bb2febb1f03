"""Matching: injected variants with their reasons, result categories, inputs, accuracy."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

import kikan_std
from kikan_std.cli.reconcile import generate_main, reconcile_main
from kikan_std.reconcile import ReconcileInputError, ReconcileResult, reconcile
from kikan_std.reconcile.generate import GenConfig, generate_files, read_truth
from kikan_std.reconcile.report import render_html, write_csv

BEN = {
    "No": "B001",
    "世帯主氏名": "渡邊 太郎",
    "世帯主氏名（カナ）": "ワタナベ タロウ",
    "住所": "東京都港区赤坂一丁目2番3号",
    "生年月日": "1975-01-01",
    "世帯員": "渡邊 花子、渡邊 次郎",
}
APP = {
    "世帯主氏名": "渡邊 太郎",
    "住所": "東京都港区赤坂一丁目2番3号",
    "生年月日": "1975-01-01",
    "世帯員": "渡邊 花子、渡邊 次郎",
    "銀行名": "みずほ銀行",
    "支店名": "本店",
    "口座区分": "普通",
    "口座番号": "1234567",
    "口座名義（カナ）": "ﾜﾀﾅﾍﾞ ﾀﾛｳ",
    "銀行コード": "0001",
    "支店コード": "001",
}
OTHER = {  # a second household so blocks are not trivially single
    "No": "B002",
    "世帯主氏名": "高橋 花子",
    "世帯主氏名（カナ）": "タカハシ ハナコ",
    "住所": "東京都港区赤坂一丁目5番1号",
    "生年月日": "1975-01-01",
    "世帯員": "",
}


def _one(**changes: str) -> ReconcileResult:
    return reconcile([{**APP, **changes}], [BEN, OTHER])


def _steps(result: ReconcileResult) -> set[tuple[str, str]]:
    assert len(result.matched) == 1, result.model_dump()
    m = result.matched[0]
    assert (m.application, m.beneficiary) == (1, 1)
    return {(r.field, r.step) for r in m.reasons}


def test_identical() -> None:
    r = _one()
    assert _steps(r) == set()
    m = r.matched[0]
    assert m.confidence == 1.0
    assert (m.persons, m.amount) == (3, 300_000)
    assert m.beneficiary_no == "B001"
    assert r.unmatched_beneficiaries == [2]


def test_kanji_variant() -> None:
    r = _one(世帯主氏名="渡辺 太郎")
    assert ("世帯主氏名", "kanji_variant") in _steps(r)
    assert "世帯主氏名: 異体字 邊→辺" in r.matched[0].differences


def test_address_notation() -> None:
    r = _one(住所="東京都港区赤坂1-2-3")
    assert {("住所", "address_numerals"), ("住所", "address_notation")} <= _steps(r)


def test_address_prefix_omitted() -> None:
    assert ("住所", "address_prefix") in _steps(_one(住所="港区赤坂一丁目2番3号"))


def test_wareki() -> None:
    for text in ("昭和50年1月1日", "S50.1.1"):
        assert ("生年月日", "wareki") in _steps(_one(生年月日=text))
    steps = _steps(_one(生年月日="昭和５０年１月１日"))
    assert {("生年月日", "width"), ("生年月日", "wareki")} <= steps


def test_width() -> None:
    assert ("住所", "width") in _steps(_one(住所="東京都港区赤坂一丁目２番３号"))


def test_missing_member() -> None:
    r = _one(世帯員="渡邊 花子")
    assert ("世帯員", "member_missing") in _steps(r)
    m = r.matched[0]
    assert m.members_missing == ["渡邊 次郎"]
    assert (m.persons, m.amount) == (2, 200_000)
    assert r.member_differences[0].missing == ["渡邊 次郎"]


def test_added_member() -> None:
    r = _one(世帯員="渡邊 花子、渡邊 次郎、渡邊 三郎")
    assert ("世帯員", "member_added") in _steps(r)
    assert r.matched[0].members_added == ["渡邊 三郎"]
    assert r.matched[0].persons == 3


def test_members_in_columns() -> None:
    app = {k: v for k, v in APP.items() if k != "世帯員"} | {"世帯員1": "渡辺 花子", "世帯員2": "渡辺 次郎"}
    r = reconcile([app], [BEN])
    assert r.matched[0].persons == 3


def test_typo() -> None:
    r = _one(世帯主氏名="渡邊 太朗")
    assert ("世帯主氏名", "typo") in _steps(r)
    assert r.matched[0].confidence < 1.0


def test_typo_in_birth_date_goes_to_review() -> None:
    r = _one(生年月日="1975-01-11")
    assert r.matched == []
    assert r.review[0].reasons == ["dob_differs"] and r.review[0].candidates[0].beneficiary == 1


def test_duplicate_application() -> None:
    r = reconcile([APP, {**APP, "世帯主氏名": "渡辺太郎"}], [BEN, OTHER])
    assert [m.application for m in r.matched] == [1]
    assert r.duplicates[0].model_dump() == {"beneficiary": 1, "applications": [1, 2], "kept": 1}
    assert r.unmatched_applications == []


def test_wrong_account_kana() -> None:
    r = _one(**{"口座名義（カナ）": "ﾜﾀﾅﾍﾞ ﾊﾅｺ"})
    assert [f.code for f in r.findings] == ["RCN005"]
    assert r.findings[0].record == 1


def test_account_kana_small_and_hiragana_is_fine() -> None:
    ben = {**BEN, "世帯主氏名（カナ）": "ワタナベ キョウコ"}
    r = reconcile([{**APP, "口座名義（カナ）": "わたなべ きょうこ"}], [ben])
    assert [f.code for f in r.findings] == ["RCN004"]
    assert r.transfer_records()[0].name == "ﾜﾀﾅﾍﾞ ｷﾖｳｺ"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"口座番号": "123456"}, "RCN001"),
        ({"口座区分": "貯蓄"}, "RCN002"),
        ({"口座名義（カナ）": "渡辺タロウ"}, "RCN003"),
        ({"銀行コード": "", "銀行名": ""}, "RCN007"),
        ({"銀行コード": "", "銀行名": "存在しない銀行"}, "RCN011"),
        ({"口座番号": "", "口座名義（カナ）": ""}, "RCN008"),
    ],
)
def test_account_findings(changes: dict[str, str], code: str) -> None:
    r = _one(**changes)
    assert code in {f.code for f in r.findings}
    assert r.transfer_records() == []
    assert len(r.matched) == 1  # matching is unaffected


def test_unmatched_application() -> None:
    r = _one(世帯主氏名="鈴木 一郎", 住所="大阪府大阪市北区梅田1-1-1", 生年月日="1990-05-05")
    assert r.matched == [] and [a.application for a in r.unmatched_applications] == [1]
    assert r.unmatched_beneficiaries == [1, 2]


def test_ambiguous() -> None:
    twin = {**BEN, "No": "B003"}
    r = reconcile([APP], [BEN, twin])
    assert r.matched == []
    assert [c.beneficiary for c in r.ambiguous[0].candidates] == [1, 2]


def test_json_contract() -> None:
    d = _one(世帯主氏名="渡辺 太郎").model_dump()
    for key in ("matched", "ambiguous", "unmatched_applications", "unmatched_beneficiaries", "duplicates"):
        assert key in d
    m = d["matched"][0]
    assert {"application", "beneficiary", "confidence", "differences"} <= m.keys()
    assert isinstance(m["differences"][0], str)
    assert "summary" in d and "findings" in d
    json.dumps(d, ensure_ascii=False)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    for name, rows in (("a.csv", [APP]), ("b.csv", [BEN, OTHER])):
        with (tmp_path / name).open("w", encoding=encoding, newline="") as f:
            w = csv.DictWriter(f, list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    r = reconcile(tmp_path / "a.csv", tmp_path / "b.csv")
    assert [(m.application, m.beneficiary) for m in r.matched] == [(1, 1)]


def test_mapping() -> None:
    app = {("申請者名" if k == "世帯主氏名" else k): v for k, v in APP.items()}
    with pytest.raises(ReconcileInputError):
        reconcile([app], [BEN])
    r = reconcile([app], [BEN], mapping={"applications": {"世帯主氏名": "申請者名"}})
    assert len(r.matched) == 1


def test_amount_per_person() -> None:
    assert reconcile([APP], [BEN], amount_per_person=50_000).matched[0].amount == 150_000


def test_generated_set_precision_recall(tmp_path: Path) -> None:
    generate_files(2000, tmp_path)
    truth = read_truth(tmp_path / "truth.csv")
    r = reconcile(tmp_path / "applications.csv", tmp_path / "beneficiaries.csv")
    pred = {m.application: m.beneficiary for m in r.matched}
    for d in r.duplicates:
        pred.update(dict.fromkeys(d.applications, d.beneficiary))
    tp = sum(truth[a][0] == b for a, b in pred.items())
    positives = sum(b is not None for b, _ in truth.values())
    assert tp / len(pred) == 1.0  # no false match
    assert tp / positives >= 0.99
    # every injected variant comes with its reason
    expected = {
        "kanji_variant": ("世帯主氏名", "kanji_variant"),
        "address_notation": ("住所", "address_notation"),
        "address_prefix": ("住所", "address_prefix"),
        "wareki": ("生年月日", "wareki"),
        "member_missing": ("世帯員", "member_missing"),
        "member_added": ("世帯員", "member_added"),
        "typo": ("世帯主氏名", "typo"),
    }
    by_app = {m.application: {(x.field, x.step) for x in m.reasons} for m in r.matched}
    checked = dict.fromkeys(expected, 0)
    for a, (_b, tags) in truth.items():
        if a not in by_app:
            continue
        for t in tags:
            if t in expected:
                assert expected[t] in by_app[a], (a, t, by_app[a])
                checked[t] += 1
    assert all(checked.values()), checked
    dups = {a for d in r.duplicates for a in d.applications}
    assert all(a in dups for a, (_b, tags) in truth.items() if "duplicate" in tags)
    rcn005 = {f.record for f in r.findings if f.code == "RCN005"}
    kept = {m.application for m in r.matched}
    assert all(a in rcn005 for a, (_b, tags) in truth.items() if "wrong_account_kana" in tags and a in kept)


def test_generator_is_deterministic(tmp_path: Path) -> None:
    generate_files(50, tmp_path / "a", GenConfig(seed=1))
    generate_files(50, tmp_path / "b", GenConfig(seed=1))
    for name in ("applications.csv", "beneficiaries.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_reports(tmp_path: Path) -> None:
    r = reconcile([APP, {**APP, "世帯主氏名": "渡辺太郎"}], [BEN, OTHER])
    buf = io.StringIO()
    write_csv(r, buf)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[0][0] == "判定"
    assert [row[0] for row in rows[1:] if row[0] != "監査情報"] == ["一致", "重複申請", "未申請"]
    html = render_html(r)
    assert html.startswith("<!DOCTYPE html>") and 'lang="ja"' in html
    assert "http://" not in html and "https://" not in html and "<script" not in html
    assert "<渡" not in html  # escaped values


def test_cli(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert generate_main(["30", str(tmp_path)], out, err) == 0
    a, b = str(tmp_path / "applications.csv"), str(tmp_path / "beneficiaries.csv")
    cfg = tmp_path / "cfg.json"
    cfg.write_text(
        json.dumps(
            {
                "requester_code": "1310300001",
                "requester_name": "ミナトク",
                "transfer_date": "2020-06-01",
                "bank_code": "0001",
                "branch_code": "001",
                "account_number": "1234567",
            }
        ),
        encoding="utf-8",
    )
    for fmt in ("json", "csv", "html"):
        dest = tmp_path / f"out.{fmt}"
        rc = reconcile_main(
            [
                a,
                b,
                "-o",
                str(dest),
                "--output-format",
                fmt,
                "--transfer-file",
                str(tmp_path / "t.txt"),
                "--transfer-config",
                str(cfg),
            ],
            out,
            err,
        )
        assert rc == 0 and dest.stat().st_size > 0
    assert json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["summary"]["applications"] > 0
    assert len((tmp_path / "t.txt").read_bytes()) % 122 == 0
    # The written file was checked through the zengin_sogo_furikomi spec (said on stderr), and
    # `kikan-std check` agrees.
    assert err.getvalue() == "" and out.getvalue().count("\n") == 3  # only generate-reconcile's three paths
    audit = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))["audit"]
    assert audit["transfer_file"]["validated_spec"] == "zengin_sogo_furikomi" and audit["transfer_file"]["valid"]
    report = kikan_std.check(tmp_path / "t.txt", spec="zengin_sogo_furikomi", input_format="fixed")
    assert report.valid and report.findings == []
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".t.txt")) == []


def test_cli_transfer_file_failing_the_spec_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kikan_std.jp import zengin

    out, err = io.StringIO(), io.StringIO()
    assert generate_main(["30", str(tmp_path)], out, err) == 0
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"requester_code": "1", "requester_name": "ﾐﾅﾄｸ", "transfer_date": "2020-06-01",
                               "bank_code": "0001", "branch_code": "001", "account_number": "1234567"}),
                   encoding="utf-8")
    real = zengin.transfer_data_record

    def broken(*args: Any, **kwargs: Any) -> bytes:
        data = bytearray(real(*args, **kwargs))
        data[80] = ord("X")  # 振込金額 of every data record
        return bytes(data)

    monkeypatch.setattr(zengin, "transfer_data_record", broken)
    err = io.StringIO()
    rc = reconcile_main([str(tmp_path / "applications.csv"), str(tmp_path / "beneficiaries.csv"), "-o",
                         str(tmp_path / "r.json"), "--transfer-file", str(tmp_path / "t.txt"),
                         "--transfer-config", str(cfg)], io.StringIO(), err)
    assert rc == 2
    assert "ZGN003" in err.getvalue() and "レコード2" in err.getvalue()
    assert not (tmp_path / "t.txt").exists()
    assert not any(p.name.startswith(".t.txt") for p in tmp_path.iterdir())
    # The report is not written either (it would record a transfer file that does not exist).
    assert not (tmp_path / "r.json").exists() and not any(p.name.startswith(".r.json") for p in tmp_path.iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["/nonexistent.csv", "/nonexistent2.csv"],
        ["x.csv", "y.csv", "--output-format", "xml"],
        ["x.csv", "y.csv", "--transfer-file", "t.txt"],
    ],
)
def test_cli_errors(argv: list[str]) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert reconcile_main(argv, out, err) == 2
    assert err.getvalue().count("\n") == 1 and "Traceback" not in err.getvalue()


def test_cli_bad_columns(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("氏名だけ\nx\n", encoding="utf-8")
    err = io.StringIO()
    assert reconcile_main([str(tmp_path / "a.csv"), str(tmp_path / "a.csv")], io.StringIO(), err) == 2
    assert "必須の列" in err.getvalue()


def test_same_name_and_birth_date_elsewhere_is_not_matched() -> None:
    """同姓同名同生年月日 at an unrelated address with no shared member: not a match."""
    r = _one(住所="北海道札幌市中央区緑ケ川2丁目11-13", 世帯員="渡邊 京子")
    assert r.matched == []
    assert r.review[0].application == 1 and r.review[0].reasons == ["number_differs"]
