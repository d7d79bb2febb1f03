"""Tests of the 住民記録 spec (jumin_kiroku): spec data, every JUM rule on a minimal bad example, the
generator's data passing every rule, cross-record findings' keys and related records, spilling."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.cli import main
from kikan_std.errors import RuleOptionError
from kikan_std.findings import Finding
from kikan_std.jp.lgcodes import local_government_codes
from kikan_std.model.rules import ChunkView
from kikan_std.report.model import Report
from kikan_std.specs import load_spec, rules_for
from kikan_std.specs.jumin_kiroku import era_fits, parse_zokugara, zokugara_problem
from kikan_std.testing.generate import csv_text, iter_jumin_kiroku

SPEC = "jumin_kiroku"
Rows = list[dict[str, str]]


def _rows(n: int = 400, seed: int = 11) -> tuple[list[str], Rows]:
    it = iter_jumin_kiroku(n, seed)
    header = next(it)
    return header, [dict(zip(header, r, strict=True)) for r in it]


def _check(tmp_path: Path, header: list[str], rows: Rows, **kw: object) -> Report:
    p = tmp_path / "jumin.csv"
    p.write_text(csv_text(iter([header, *([r.get(h, "") for h in header] for r in rows)])), encoding="utf-8")
    return kikan_std.check(p, SPEC, max_findings=None, **kw)  # type: ignore[arg-type]


def _codes(report: Report) -> set[str]:
    return set(report.stats.findings_by_code)


def _first(rows: Rows, pred: Callable[[dict[str, str]], bool]) -> int:
    return next(i for i, r in enumerate(rows) if pred(r))


def _current(r: dict[str, str]) -> bool:
    return r["最新フラグ"] == "1" and r["住民状態"] == "1"


# -- spec data ---------------------------------------------------------------------------------


def test_spec_has_the_export_columns_and_individual_number() -> None:
    g = load_spec(SPEC).groups[0]
    names = [i.name for i in g.items]
    assert len(names) == 123
    assert names[:3] == ["市区町村コード", "宛名番号", "個人履歴番号"]
    assert names[-1] == "在留期間の満了の日"
    assert names.index("個人番号") == names.index("住民票コード") + 1
    assert {i.provenance for i in g.items if i.name != "個人番号"} == {"municipal"}
    assert g.item("個人番号").provenance == "derived" and g.item("個人番号").personal
    unknown_ok = {i.name for i in g.items if i.allows_unknown_date}
    assert {"生年月日", "住民となった年月日", "住所を定めた年月日", "外国人住民となった年月日"} <= unknown_ok
    assert "処理年月日" not in unknown_ok and "改製記載年月日" not in unknown_ok
    assert all(g.item(n).code_list == "fusho" for n in names if n.endswith("_不詳フラグ"))
    assert load_spec(SPEC).business_code == "001"


def test_bundled_code_list_states_its_snapshot() -> None:
    lg = local_government_codes()
    assert lg.snapshot == "2026-07-09" and "浜松" in lg.note
    assert "131016" in lg and "011002" in lg and "999999" not in lg
    assert len(lg.codes) == 1963


# -- generated data is valid -------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=10**6), n=st.integers(min_value=1, max_value=700))
def test_generated_municipalities_have_no_findings(tmp_path: Path, seed: int, n: int) -> None:
    header, rows = _rows(n, seed)
    assert len(rows) == n
    report = _check(tmp_path, header, rows)
    assert report.stats.total_findings == 0, report.stats.findings_by_code
    assert report.valid and not report.rules_not_run


def test_generated_data_exercises_households_histories_foreigners_and_unknown_dates() -> None:
    _, rows = _rows(3000, 5)
    assert {r["住民状態"] for r in rows} >= {"1", "2"}
    assert any(r["住民種別"] == "2" and r["第30条45規定区分"] == "1" for r in rows)
    assert any(r["生年月日_不詳フラグ"] == "1" for r in rows)
    assert any(r["個人履歴番号"] == "3" for r in rows)
    assert any(r["続柄表記"] == "子の子" for r in rows) or any(r["続柄表記"] == "妻" for r in rows)
    assert len({r["世帯番号"] for r in rows}) > 100


def test_cli_generate_then_check(tmp_path: Path) -> None:
    out = tmp_path / "g.csv"
    assert main(["generate", "--spec", SPEC, "--rows", "300", "--seed", "4", "-o", str(out)], io.StringIO(),
                io.StringIO()) == 0
    assert main(["check", str(out), "--spec", SPEC, "--no-progress"], io.StringIO(), io.StringIO()) == 0


# -- every rule fires on a minimal bad example -------------------------------------------------


@pytest.fixture(scope="module")
def base() -> tuple[list[str], Rows]:
    return _rows(600, 21)


def _one(report: Report, code: str) -> list[kikan_std.FindingOut]:
    return [f for f in report.findings if f.code == code]


def test_jum001_blank_depends_on_kind_and_removal(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    jp = _first(rows, lambda r: r["住民種別"] == "1" and r["住民状態"] == "1")
    rows[jp]["本籍"] = ""
    removed = _first(rows, lambda r: r["住民状態"] == "2")
    rows[removed]["住民票コード"] = ""  # allowed for a 除票
    report = _check(tmp_path, header, rows)
    found = _one(report, "JUM001")
    assert [(f.record, f.item) for f in found] == [(jp + 1, "本籍")]
    assert found[0].keys["世帯番号"] == rows[jp]["世帯番号"]


def test_jum001_residence_card_for_mid_long_term_unless_removed(tmp_path: Path) -> None:
    header, rows = _rows(3000, 5)
    i = _first(rows, lambda r: r["第30条45規定区分"] == "1" and r["住民状態"] == "1")
    rows[i]["在留カード等番号"] = ""
    report = _check(tmp_path, header, rows)
    assert [(f.record, f.item) for f in _one(report, "JUM001")] == [(i + 1, "在留カード等番号")]
    rows[i]["住民状態"], rows[i]["除票フラグ"] = "9", "1"
    rows[i]["消除の事由"], rows[i]["消除の異動年月日"] = "B09", rows[i]["処理年月日"]
    report = _check(tmp_path, header, rows)
    assert "JUM001" not in _codes(report)


def test_jum002_juminhyo_code(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    rows[3]["住民票コード"] = "1234567890"
    report = _check(tmp_path, header, rows)
    assert [(f.record, f.item) for f in _one(report, "JUM002")] == [(4, "住民票コード")]


def test_jum003_unknown_date_needs_flag(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    rows[5]["生年月日"], rows[5]["生年月日_不詳フラグ"] = "1950-02-30", "0"
    rows[6]["生年月日"], rows[6]["生年月日_不詳フラグ"] = "1950-02-30", "1"  # flagged: allowed
    rows[6]["生年月日_元号"] = "3"
    rows[7]["処理年月日"] = "2023-02-29"  # no 不詳日 allowed here: FLD012
    report = _check(tmp_path, header, rows)
    assert [(f.record, f.item) for f in _one(report, "JUM003")] == [(6, "生年月日")]
    assert [(f.record, f.item) for f in _one(report, "FLD012")] == [(8, "処理年月日")]


@pytest.mark.parametrize(
    ("era", "birth", "ok"),
    [
        ("4", "2019-04-30", True), ("4", "2019-05-01", False), ("5", "2019-05-01", True), ("5", "2019-04-30", False),
        ("3", "1989-01-07", True), ("3", "1989-01-08", False), ("4", "1989-01-08", True),
        ("3", "1926-12-25", True), ("2", "1926-12-24", True), ("2", "1926-12-25", False),
        ("3", "1989-00-00", True), ("4", "1989-00-00", True), ("5", "1989-00-00", False), ("4", "2019-05-00", False),
        ("4", "2019-04-00", True), ("5", "2019-04-00", False), ("5", "2019-00-00", True), ("3", "2019-00-00", False),
    ],
)
def test_era_fits_boundaries(era: str, birth: str, ok: bool) -> None:
    assert era_fits(era, birth) is ok


def test_jum004_era_mismatch(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    i = _first(rows, lambda r: r["生年月日_元号"] == "4" and r["生年月日_不詳フラグ"] == "0")
    rows[i]["生年月日_元号"] = "5"
    report = _check(tmp_path, header, rows)
    found = _one(report, "JUM004")
    assert [(f.record, f.item) for f in found] == [(i + 1, "生年月日_元号")]
    assert found[0].params["expected"] == "平成"


def test_jum005_check_digit_warning_and_switch(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    atena = rows[0]["宛名番号"]
    wrong = atena[:-1] + str((int(atena[-1]) + 1) % 10)
    for r in rows:
        if r["宛名番号"] == atena:
            r["宛名番号"] = wrong
    report = _check(tmp_path, header, rows)
    found = _one(report, "JUM005")
    assert found and {f.item for f in found} == {"宛名番号"} and found[0].record == 1
    assert found[0].severity == "warning" and report.valid
    off = _check(tmp_path, header, rows, rule_options={"atena_check_digit": "off"})
    assert "JUM005" not in _codes(off)
    with pytest.raises(RuleOptionError):
        _check(tmp_path, header, rows, rule_options={"atena_check_digit": "maybe"})
    with pytest.raises(RuleOptionError):
        _check(tmp_path, header, rows, rule_options={"no_such_option": "1"})


def test_jum005_remainder_one_option(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    # Body 00000000000001 + weights 2.. : find a body whose remainder is 1 and give it CD 0.
    from kikan_std.jp.checkdigits import modulus11_w2_7_check_digit

    body = next(f"{n:014d}" for n in range(1, 10_000) if modulus11_w2_7_check_digit(f"{n:014d}", remainder_one=-1)
                is None)
    rows[0]["宛名番号"] = body + "0"
    assert "JUM005" not in _codes(_check(tmp_path, header, rows[:1]))
    strict = _check(tmp_path, header, rows[:1], rule_options={"atena_check_digit_r1": "reject"})
    assert [f.params["reason"] for f in _one(strict, "JUM005")] == ["remainder_one"]


def test_cli_rule_option(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    atena = rows[0]["宛名番号"]
    for r in rows:
        if r["宛名番号"] == atena:
            r["宛名番号"] = "000000000000018"  # the check digit of body …01 is 9
    p = tmp_path / "x.csv"
    p.write_text(csv_text(iter([header, *([r[h] for h in header] for r in rows)])), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["check", str(p), "--spec", SPEC, "--no-progress", "--output-format", "json"], out, err) == 0
    assert "JUM005" in out.getvalue()
    out = io.StringIO()
    assert main(["check", str(p), "--spec", SPEC, "--no-progress", "--output-format", "json",
                 "--rule-option", "atena_check_digit=off"], out, err) == 0
    assert "JUM005" not in out.getvalue()
    err = io.StringIO()
    assert main(["check", str(p), "--spec", SPEC, "--rule-option", "atena_check_digit"], io.StringIO(), err) == 2
    assert main(["check", str(p), "--spec", SPEC, "--rule-option", "x=1"], io.StringIO(), err) == 2
    assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("世帯主", True), ("妻", True), ("夫（未届）", True), ("子の妻", True), ("子の子の子の子", True),
        ("子（子の妻）", True), ("縁故者", True), ("同居人", True), ("父の母", True),
        ("子の子の子の子の子", False), ("孫", False), ("祖父", False), ("おじ", False), ("甥", False),
        ("家事使用人", False), ("準世帯主", False), ("世帯主の子", False), ("いとこ", False), ("子の", False),
    ],
)
def test_zokugara_grammar(text: str, ok: bool) -> None:
    assert (zokugara_problem(text) is None) is ok


def test_parse_zokugara_elements() -> None:
    assert parse_zokugara("子（子の夫）の子") == ["子（子の夫）", "子"]
    assert parse_zokugara("妻（未届）") == ["妻（未届）"]


def test_jum006_and_jum007_zokugara(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    child = _first(rows, lambda r: r["続柄表記"] == "子")
    rows[child]["続柄表記"] = "孫"
    wife = _first(rows, lambda r: r["続柄表記"] == "妻")
    rows[wife]["続柄コード1"] = "20"
    report = _check(tmp_path, header, rows)
    assert [(f.record, f.item, f.params["suggestion"]) for f in _one(report, "JUM006")] == [
        (child + 1, "続柄表記", "子の子")]
    assert [(f.record, f.item) for f in _one(report, "JUM007")] == [(wife + 1, "続柄コード1")]


def test_jum008_two_heads_names_every_head_with_keys(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    wife = _first(rows, lambda r: r["続柄表記"] == "妻" and _current(r))
    head = _first(rows, lambda r: r["世帯番号"] == rows[wife]["世帯番号"] and r["続柄表記"] == "世帯主" and _current(r))
    rows[wife]["続柄コード1"], rows[wife]["続柄表記"] = "02", "世帯主"
    report = _check(tmp_path, header, rows)
    (f,) = _one(report, "JUM008")
    records = {f.record, *(r["record"] for r in f.related)}
    assert records == {wife + 1, head + 1}
    assert f.keys["世帯番号"] == rows[wife]["世帯番号"] and f.keys["宛名番号"] in {rows[wife]["宛名番号"],
                                                                                  rows[head]["宛名番号"]}
    assert rows[head]["宛名番号"] in f.params["heads"] and rows[wife]["宛名番号"] in f.params["heads"]


def test_jum009_member_names_other_head(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    m = _first(rows, lambda r: r["続柄表記"] != "世帯主" and _current(r))
    head = _first(rows, lambda r: r["世帯番号"] == rows[m]["世帯番号"] and r["続柄表記"] == "世帯主" and _current(r))
    rows[m]["世帯主氏名"] = "別人\u3000太郎"
    report = _check(tmp_path, header, rows)
    (f,) = _one(report, "JUM009")
    assert (f.record, f.item) == (m + 1, "世帯主氏名")
    assert f.keys == {"宛名番号": rows[m]["宛名番号"], "世帯番号": rows[m]["世帯番号"]}
    assert [r["record"] for r in f.related] == [head + 1]
    assert f.value_masked  # a personal value


def test_history_rules_name_all_records(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    atena = next(a for a in (r["宛名番号"] for r in rows) if sum(r["宛名番号"] == a for r in rows) >= 2)
    idx = [i for i, r in enumerate(rows) if r["宛名番号"] == atena]
    rows[idx[-1]]["個人履歴番号"] = str(len(idx) + 1)  # a gap, and the flag stays on the highest
    # A second person: two latest flags.
    other = next(a for a in (r["宛名番号"] for r in rows) if a != atena and sum(r["宛名番号"] == a for r in rows) >= 2)
    oidx = [i for i, r in enumerate(rows) if r["宛名番号"] == other]
    for i in oidx:
        rows[i]["最新フラグ"] = "1"
    # A third: the flag on a lower number.
    third = next(a for a in (r["宛名番号"] for r in rows)
                 if a not in (atena, other) and sum(r["宛名番号"] == a for r in rows) >= 2)
    tidx = [i for i, r in enumerate(rows) if r["宛名番号"] == third]
    rows[tidx[0]]["最新フラグ"], rows[tidx[-1]]["最新フラグ"] = "1", "0"
    report = _check(tmp_path, header, rows)
    (gap,) = _one(report, "JUM010")
    assert gap.keys["宛名番号"] == atena and gap.keys["世帯番号"] == rows[idx[0]]["世帯番号"]
    assert {gap.record, *(r["record"] for r in gap.related)} == {i + 1 for i in idx}
    (two,) = _one(report, "JUM011")
    assert two.keys["宛名番号"] == other and {two.record, *(r["record"] for r in two.related)} == {i + 1 for i in oidx}
    assert two.params["count"] == len(oidx)
    (low,) = _one(report, "JUM012")
    assert low.keys["宛名番号"] == third and low.record == tidx[0] + 1
    assert [r["record"] for r in low.related] == [tidx[-1] + 1]


def test_duplicate_history_key_is_key001(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    rows.append(dict(rows[0], 最新フラグ="0"))
    report = _check(tmp_path, header, rows)
    (f,) = _one(report, "KEY001")
    assert f.record == len(rows) and f.related[0]["record"] == 1
    assert f.keys["宛名番号"] == rows[0]["宛名番号"]


def test_jum013_event_order(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    i = _first(rows, lambda r: r["生年月日_不詳フラグ"] == "0")
    rows[i]["住民となった年月日"] = "1800-01-01"
    j = _first(rows, lambda r: r["個人履歴番号"] == "1" and r is not rows[i])
    rows[j]["処理年月日"] = "1900-01-01"
    report = _check(tmp_path, header, rows)
    got = {(f.record, f.item) for f in _one(report, "JUM013")}
    assert (i + 1, "住民となった年月日") in got and (j + 1, "処理年月日") in got


def test_jum014_removal_items(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    live = _first(rows, lambda r: r["住民状態"] == "1")
    rows[live]["消除の事由"] = "B01"
    gone = _first(rows, lambda r: r["住民状態"] == "2")
    rows[gone]["消除の異動年月日"] = ""
    report = _check(tmp_path, header, rows)
    assert {(f.record, f.item) for f in _one(report, "JUM014")} == {(live + 1, "消除の事由"),
                                                                    (gone + 1, "消除の異動年月日")}


def test_jum015_and_fld018_local_government_codes(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    rows[1]["住所_市区町村コード"] = "999997"  # valid check digit, no such body
    rows[2]["本籍_市区町村コード"] = "131017"  # wrong check digit
    i = _first(rows, lambda r: r["転入前住所_市区町村コード"] != "")
    rows[i]["転入前住所_市区町村コード"] = "999997"
    report = _check(tmp_path, header, rows)
    found = _one(report, "JUM015")
    assert {(f.record, f.item) for f in found} == {(2, "住所_市区町村コード"), (i + 1, "転入前住所_市区町村コード")}
    assert found[0].params["snapshot"] == "2026-07-09" and found[0].severity == "warning"
    assert [(f.record, f.item) for f in _one(report, "FLD018")] == [(3, "本籍_市区町村コード")]


def test_fullwidth_postal_code_reported_with_halfwidth_fix(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    rows[0]["住所_郵便番号"] = "９９９０００１"
    rows[1]["住所_郵便番号"] = "999-0001"
    report = _check(tmp_path, header, rows)
    (fw,) = [f for f in report.findings if f.record == 1 and f.item == "住所_郵便番号"]
    assert fw.code == "CHR016" and fw.params["suggestion"] == "9990001"
    (hy,) = [f for f in report.findings if f.record == 2 and f.item == "住所_郵便番号"]
    assert hy.code == "FLD019" and hy.params["suggestion"] == "9990001"


# -- missing columns ---------------------------------------------------------------------------


def test_missing_optional_column_is_a_warning(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base
    report = _check(tmp_path, [h for h in header if h not in ("個人番号", "続柄表記")], rows)
    assert report.valid
    assert {(f.code, f.item) for f in report.findings} == {("CSV005", "個人番号"), ("CSV005", "続柄表記")}


def test_missing_decisive_column_means_rule_not_run(tmp_path: Path, base: tuple[list[str], Rows]) -> None:
    header, rows = base
    report = _check(tmp_path, [h for h in header if h not in ("世帯主氏名",)], rows)
    assert not report.valid
    assert [n.rule for n in report.rules_not_run] == ["household_head"]  # household_order needs no 世帯主氏名
    report = _check(tmp_path, [h for h in header if h != "住民状態"], rows)
    assert {n.rule for n in report.rules_not_run} == {"blank_not_allowed", "removal_items_iff_removed",
                                                        "household_head", "household_order"}
    assert "CSV004" in _codes(report)


def test_every_rule_code_is_in_the_catalogue_and_listed() -> None:
    from kikan_std.catalogue import catalogue

    rs = rules_for(load_spec(SPEC))
    codes = {c for r in (*rs.record_rules, *rs.dataset_rules) for c in r.codes}
    assert codes == {f"JUM{n:03d}" for n in range(1, 18)}
    assert codes <= set(catalogue())


# -- bounded memory: the SQLite state spills and gives the same answer --------------------------


def test_spilled_state_gives_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               base: tuple[list[str], Rows]) -> None:
    header, rows = base[0], [dict(r) for r in base[1]]
    m = _first(rows, lambda r: r["続柄表記"] != "世帯主" and _current(r))
    rows[m]["世帯主氏名"] = "別人\u3000太郎"
    atena = rows[0]["宛名番号"]
    for r in rows:
        if r["宛名番号"] == atena:
            r["最新フラグ"] = "0"
    in_memory = _check(tmp_path, header, rows)
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "50")
    spilled = _check(tmp_path, header, rows)

    def strip(r: Report) -> list[tuple[object, ...]]:
        return [(f.code, f.record, f.item, tuple(sorted(f.keys.items())), tuple(d["record"] for d in f.related))
                for f in r.findings]

    assert strip(in_memory) == strip(spilled)
    assert {"JUM009", "JUM011"} <= _codes(spilled)


def test_store_spills_to_a_file_and_removes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kikan_std.model.spill import SpillTable

    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "10")
    s = SpillTable("CREATE TABLE t (a INTEGER);")
    s.insert("INSERT INTO t VALUES (?)", [(i,) for i in range(5)])
    assert not s.spilled
    s.insert("INSERT INTO t VALUES (?)", [(i,) for i in range(20)])
    assert s.spilled and s.path is not None and os.path.exists(s.path)
    assert s.db.execute("SELECT count(*) FROM t").fetchone()[0] == 25
    path = s.path
    s.close()
    assert not os.path.exists(path)


def _rule_findings(rule: str, columns: dict[str, list[str]], **options: str) -> list[Finding]:
    """What the built-in record rule ``rule`` finds in one chunk holding ``columns``."""
    spec = load_spec(SPEC)
    check = next(r for r in rules_for(spec).record_rules if r.name == rule).check
    n = len(next(iter(columns.values())))
    view = ChunkView(file="f.csv", group=spec.groups[0], columns=columns, records=range(1, n + 1),
                     lines=range(2, n + 2), options=options)
    return list(check(view))


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet="0123456789", min_size=14, max_size=14), r1=st.sampled_from([0, -1]))
def test_fast_m11_agrees_with_checkdigits(body: str, r1: int) -> None:
    # The rule's batch path and its one-by-one path against the reference check digit.
    from kikan_std.jp.checkdigits import modulus11_w2_7_check_digit

    cd = modulus11_w2_7_check_digit(body, remainder_one=r1)
    values = [body + last for last in "0123456789"]
    found = _rule_findings("atena_check_digit", {"宛名番号": values},
                           atena_check_digit_r1="reject" if r1 == -1 else "0")
    flagged = {f.value for f in found}
    for v in values:
        assert (v not in flagged) == (cd is not None and int(v[-1]) == cd)


@settings(max_examples=300, deadline=None)
@given(d=st.dates(min_value=__import__("datetime").date(1868, 1, 25)), era=st.sampled_from("12345"))
def test_fast_era_path_agrees_with_wareki(d: object, era: str) -> None:
    # The rule's string comparison of ISO dates against the era table of kikan_std.jp.wareki.
    from kikan_std.jp.wareki import is_valid_era_for_date

    iso = d.isoformat()  # type: ignore[attr-defined]
    found = _rule_findings("birth_era_matches_date", {"生年月日_元号": [era], "生年月日": [iso]})
    assert [f.code for f in found] in ([], ["JUM004"])
    assert (not found) is is_valid_era_for_date(era, d)  # type: ignore[arg-type]


def test_every_jum_code_has_a_conformance_case() -> None:
    import json

    from kikan_std.catalogue import catalogue

    cases = json.loads((Path(__file__).resolve().parent.parent / "conformance" / "jumin_kiroku" / "cases.json")
                       .read_text(encoding="utf-8"))["cases"]
    covered = {e[0] for c in cases for e in c["expected"]}
    assert {code for code in catalogue() if code.startswith("JUM")} <= covered
