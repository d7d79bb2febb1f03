"""kikan-std compare: clean pairs give exit 0 and no difference; each planted migration defect is found on
its item with its count; expected differences, tolerance and bad input behave as documented."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from pathlib import Path

import pytest

import kikan_std
import kikan_std.migration.html
from tests.conftest import run_cli
from tests.migration_pairs import pair, planted


def _compare_json(*argv: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    code, out, err = run_cli("compare", *argv, "--output-format", "json")
    assert err == "" or code == 2, err
    return code, json.loads(out) if out else {}


def test_clean_legacy_pair_through_the_mapping_has_no_difference() -> None:
    d = pair(False)
    code, out, err = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                             "--mapping", str(d / "mapping.toml"))
    assert (code, err) == (0, "")
    assert "差異なし / no difference" in out
    r = kikan_std.compare(d / "legacy.csv", d / "standard.csv", "jumin_kiroku", mapping=d / "mapping.toml")
    assert r.verdict == "no_difference" and r.valid and r.differences == []
    assert r.matched == r.after.records > 0
    assert r.before.excluded > 0  # the legacy 住登外 rows the mapping excludes
    assert r.items_compared == 125  # 123 items of 住民記録 + the two declared extra columns


def test_clean_v1_v2_without_mapping_has_no_difference() -> None:
    d = pair(False)
    code, report = _compare_json(str(d / "v1.csv"), str(d / "v2.csv"), "--spec", "jumin_kiroku")
    assert code == 0
    assert report["verdict"] == "no_difference" and report["differences"] == []
    assert report["matched"] == report["before"]["records"] == report["after"]["records"]


def test_reports_name_the_exact_files_read() -> None:
    """An auditor's sign-off names the files: size and SHA-256 of each side (and of a profiled extract), in the JSON
    and on the page; a changed byte changes the digest."""
    d = pair(False)
    before, after = d / "legacy.csv", d / "standard.csv"
    code, report = _compare_json(str(before), str(after), "--spec", "jumin_kiroku", "--mapping", str(d / "mapping.toml"))
    assert code == 0
    for side, path in (("before", before), ("after", after)):
        data = path.read_bytes()
        assert report[side]["bytes"] == len(data)
        assert report[side]["sha256"] == hashlib.sha256(data).hexdigest()
    code, page, _ = run_cli("compare", str(before), str(after), "--spec", "jumin_kiroku", "--mapping",
                            str(d / "mapping.toml"), "--output-format", "html")
    assert code == 0 and report["before"]["sha256"] in page and report["after"]["sha256"] in page
    p = kikan_std.profile(after, "jumin_kiroku")
    assert (p.bytes, p.sha256) == (len(after.read_bytes()), report["after"]["sha256"])
    assert p.sha256 in kikan_std.migration.html.profile_html(p)
    changed = d.parent / f"{d.name}-one-byte" / "v2.csv"
    changed.parent.mkdir(exist_ok=True)
    data = bytearray((d / "v2.csv").read_bytes())
    i = next(k for k in range(len(data) // 2, len(data)) if chr(data[k]).isdigit())  # a digit of a record
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    changed.write_bytes(bytes(data))
    r = kikan_std.compare(d / "v2.csv", changed, "jumin_kiroku")
    assert r.before.sha256 != r.after.sha256 and r.before.bytes == r.after.bytes


@pytest.fixture(scope="module")
def defect_report() -> dict:  # type: ignore[type-arg]
    d = pair(True)
    code, report = _compare_json(str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                                 "--mapping", str(d / "mapping.toml"), "--expected", str(d / "expected-differences.toml"))
    assert code == 1
    return report


@pytest.mark.parametrize("index", range(10))
def test_each_planted_defect_is_found_on_its_item_with_its_count(defect_report: dict, index: int) -> None:  # type: ignore[type-arg]
    p = planted()[index]
    found = [d for d in defect_report["differences"] if d["item"] == p["item"] and d["kind"] == p["kind"]]
    assert len(found) == 1, (p, [(d["item"], d["kind"]) for d in defect_report["differences"]])
    assert found[0]["count"] == p["count"]
    assert found[0]["status"] == ("expected" if p["expected"] else "unexplained")
    assert found[0]["rate"] > 0
    if p["kind"] != "households_changed":
        assert found[0]["examples"]  # record keys of affected records


def test_all_nine_defects_and_the_by_design_blank_are_planted() -> None:
    kinds = {(p["item"], p["kind"]) for p in planted()}
    assert kinds == {
        ("異動届出年月日", "became_unknown"), (None, "records_missing"), ("住民状態", "code_remapped"),
        ("続柄コード1", "leading_zeros_lost"), ("住所_方書", "truncated"), ("通称", "filled_to_blank"),
        ("世帯番号", "households_changed"), ("住民税_年税額", "sum_changed"), ("転入前住所_郵便番号", "filled_to_blank"),
        ("氏名", "degraded_shrink"),  # 邊 → 辺 (MJ 縮退)
    }
    assert all(int(p["count"]) > 0 for p in planted())  # type: ignore[call-overload]


def test_distribution_shifts_accompany_the_defects(defect_report: dict) -> None:  # type: ignore[type-arg]
    by = {(d["item"], d["kind"]): d for d in defect_report["differences"]}
    assert ("異動届出年月日", "unknown_rate_rose") in by
    assert ("住民状態", "code_share_changed") in by
    assert by[("住民税_年税額", "sum_changed")]["detail"]["delta"].startswith("-")
    assert by[("世帯番号", "households_changed")]["detail"]["split"] == 1
    # the 縮退 defect touches 氏名 only: 氏_日本人 of the same people kept 邊
    assert by[("氏名", "degraded_shrink")]["status"] == "unexplained"
    assert not any(item == "氏_日本人" for item, _ in by)
    # the documented by-design blank is explained, with its reason; the rest is not
    assert by[("転入前住所_郵便番号", "fill_rate_dropped")]["status"] == "expected"
    assert "移行しない" in by[("転入前住所_郵便番号", "filled_to_blank")]["reason"]
    assert defect_report["verdict"] == "differences" and defect_report["valid"] is False


def test_expired_expectation_no_longer_explains(tmp_path: Path) -> None:
    d = pair(True)
    exp = tmp_path / "exp.toml"
    exp.write_text('[[expected]]\nitem = "転入前住所_郵便番号"\nreason = "期限切れの例"\nexpires = 2020-01-01\n',
                   encoding="utf-8")
    r = kikan_std.compare(d / "legacy.csv", d / "standard.csv", "jumin_kiroku", mapping=d / "mapping.toml",
                          expected=exp, today=_dt.date(2026, 6, 1))
    post = [x for x in r.differences if x.item == "転入前住所_郵便番号"]
    assert post and all(x.status == "unexplained" for x in post)
    assert r.expired_expectations == ["転入前住所_郵便番号 * (期限 2020-01-01)"]


def test_expected_differences_can_explain_everything(tmp_path: Path) -> None:
    d = pair(True)
    exp = tmp_path / "all.toml"
    exp.write_text('[[expected]]\nitem = "*"\nreason = "全部承知"\nexpires = 2099-01-01\n'
                   + "".join(f'[[expected]]\nitem = "{i}"\nreason = "承知"\nexpires = 2099-01-01\n'
                             for i in {str(p["item"]) for p in planted() if p["item"]} | {"世帯番号"}),
                   encoding="utf-8")
    code, report = _compare_json(str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                                 "--mapping", str(d / "mapping.toml"), "--expected", str(exp))
    assert code == 0
    assert report["verdict"] == "explained" and report["valid"] is True


def test_tolerance_turns_small_record_differences_into_within_tolerance() -> None:
    d = pair(True)
    r = kikan_std.compare(d / "v1.csv", d / "standard.csv", "jumin_kiroku", tolerance={"records_missing": 0.05})
    missing = next(x for x in r.differences if x.kind == "records_missing")
    assert missing.status == "within_tolerance"
    code, _, err = run_cli("compare", str(d / "v1.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                           "--tolerance", "bogus_kind=0.1")
    assert code == 2 and "unknown difference kind" in err


def test_key_map_renumbers_before_matching(tmp_path: Path) -> None:
    d = pair(False)
    lines = (d / "v1.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("宛名番号")
    first = lines[1].split(",")[col]
    renumbered = [lines[0]] + [",".join("N" + v if i == col else v for i, v in enumerate(line.split(",")))
                               if line.split(",")[col] == first else line for line in lines[1:]]
    v1 = tmp_path / "v1_old_numbers.csv"
    v1.write_text("\r\n".join(renumbered) + "\r\n", encoding="utf-8")
    keymap = tmp_path / "keys.csv"
    keymap.write_text(f"N{first},{first}\n", encoding="utf-8")
    r = kikan_std.compare(v1, d / "v2.csv", "jumin_kiroku")
    assert {x.kind for x in r.differences} >= {"records_missing", "records_added"}
    r = kikan_std.compare(v1, d / "v2.csv", "jumin_kiroku", key_map=keymap)
    assert r.verdict == "no_difference"


@pytest.mark.parametrize("argv, message", [
    (["missing.csv", "also-missing.csv", "--spec", "jumin_kiroku"], "file not found"),
    (["{v1}", "{v2}", "--spec", "no_such_spec"], "no_such_spec"),
    (["{v1}", "{v2}", "--spec", "jumin_kiroku", "--mapping", "nope.toml"], "mapping file not found"),
    (["{v1}", "{v2}", "--spec", "jumin_kiroku", "--expected", "nope.toml"], "expected-differences file not found"),
    (["{v1}"], "required"),
])
def test_bad_input_is_exit_2_with_a_message(argv: list[str], message: str) -> None:
    d = pair(False)
    args = [a.format(v1=d / "v1.csv", v2=d / "v2.csv") for a in argv]
    code, _out, err = run_cli("compare", *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_bad_mapping_says_where(tmp_path: Path) -> None:
    d = pair(False)
    m = tmp_path / "m.toml"
    m.write_text('[mapping]\nspec = "jumin_kiroku"\n[columns]\nATENA_NO = "宛名番号X"\n', encoding="utf-8")
    code, _, err = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                           "--mapping", str(m))
    assert code == 2 and "宛名番号X" in err
    m.write_text('[mapping]\nspec = "jumin_kiroku"\n[transforms."生年月日"]\ndate = "julian"\n', encoding="utf-8")
    code, _, err = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                           "--mapping", str(m))
    assert code == 2 and "julian" in err


def test_compare_html_is_self_contained_and_shows_the_verdict() -> None:
    d = pair(True)
    code, out, _ = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                           "--mapping", str(d / "mapping.toml"), "--output-format", "html")
    assert code == 1
    assert "説明のない差異" in out and "先頭ゼロ落ち" in out and "<svg" in out
    assert "http://" not in out and "https://" not in out and "<script" not in out


def test_compare_json_matches_the_committed_schema() -> None:
    import jsonschema

    from tests.conftest import ROOT

    d = pair(True)
    _, report = _compare_json(str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                              "--mapping", str(d / "mapping.toml"))
    schema = json.loads((ROOT / "schemas" / "compare.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report, schema)
