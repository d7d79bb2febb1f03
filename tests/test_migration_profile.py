"""kikan-std profile: what an auditor reads — rates, ranges, lengths, code distributions, sums, households —
and never a personal value."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema

import kikan_std
from tests.conftest import ROOT, run_cli
from tests.migration_pairs import pair


def _rows(path: Path, encoding: str = "utf-8") -> tuple[list[str], list[list[str]]]:
    with path.open(encoding=encoding, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, list(r)


def test_profile_counts_agree_with_the_file() -> None:
    d = pair(False)
    header, rows = _rows(d / "standard.csv")
    r = kikan_std.profile(d / "standard.csv", "jumin_kiroku")
    assert r.records == len(rows) and r.group == "住民"
    by = {it.name: it for it in r.items}
    for name in ("住所_方書", "異動届出年月日", "通称", "住民税_年税額", "氏名"):
        col = header.index(name)
        filled = sum(1 for row in rows if row[col])
        assert by[name].filled == filled and by[name].blank == len(rows) - filled
        assert by[name].distinct == len({row[col] for row in rows if row[col]})
    state = {v.value: v.count for v in by["住民状態"].values or []}
    col = header.index("住民状態")
    assert state == {v: sum(1 for row in rows if row[col] == v) for v in state}
    assert {v.meaning for v in by["住民状態"].values or []} <= {"住民", "転出者", "死亡者", "その他消除者"}
    assert "住民状態" in r.categories and "住民種別" in r.categories and "最新フラグ" not in r.categories
    dates = [row[header.index("異動年月日")] for row in rows]
    assert (by["異動年月日"].min, by["異動年月日"].max) == (min(dates), max(dates))
    assert by["宛名番号"].at_max_length == len(rows)  # 15 of 15 characters
    assert r.households is not None and r.households.households > 0


def test_unknown_dates_are_counted() -> None:
    d = pair(True)
    r = kikan_std.profile(d / "standard.csv", "jumin_kiroku")
    todoke = next(it for it in r.items if it.name == "異動届出年月日")
    assert todoke.unknown_date and 0.25 < (todoke.unknown_rate or 0) < 0.35
    assert todoke.min is not None and not todoke.min.startswith("0000")  # 不詳 values are not the range


def test_personal_items_get_counts_and_rates_only() -> None:
    d = pair(False)
    r = kikan_std.profile(d / "standard.csv", "jumin_kiroku")
    for it in r.items:
        if it.personal:
            assert it.min is None and it.max is None and it.values is None and it.sum is None, it.name
    birth = next(it for it in r.items if it.name == "生年月日")
    assert birth.personal and birth.filled > 0
    tsusho = next(it for it in r.items if it.name == "通称")
    assert tsusho.personal and not tsusho.in_spec  # an undeclared column beyond the spec counts as personal


def test_amount_sum_of_a_declared_extra_item(tmp_path: Path) -> None:
    d = pair(False)
    header, rows = _rows(d / "legacy.csv", "cp932")
    r = kikan_std.profile(d / "legacy.csv", "jumin_kiroku", mapping=d / "mapping.toml")
    tax = next(it for it in r.items if it.name == "住民税_年税額")
    assert not tax.personal
    col = header.index("ZEIGAKU")
    jotai = header.index("JUMIN_JOTAI")
    total = sum(int(row[col]) for row in rows if row[col] and row[jotai] != "2")
    assert tax.sum is not None and int(float(tax.sum)) == total
    assert r.excluded == sum(1 for row in rows if row[jotai] == "2")
    assert r.mapping == "mapping.toml"


def test_profile_cli_formats_and_schema(tmp_path: Path) -> None:
    d = pair(False)
    code, out, err = run_cli("profile", str(d / "standard.csv"), "--spec", "jumin_kiroku", "--output-format", "json")
    assert (code, err) == (0, "")
    schema = json.loads((ROOT / "schemas" / "profile.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(out), schema)
    html = tmp_path / "p.html"
    code, _, err = run_cli("profile", str(d / "standard.csv"), "--spec", "jumin_kiroku", "--output-format", "html",
                           "-o", str(html))
    page = html.read_text(encoding="utf-8")
    assert code == 0 and "<svg" in page and "充足率" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    code, out, _ = run_cli("profile", str(d / "standard.csv"), "--spec", "jumin_kiroku")
    assert code == 0 and "住民状態" in out and "レコード" in out


def test_profile_html_escapes_column_names(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("宛名番号,<script>alert(1)</script>\n000000000000011,a\n", encoding="utf-8")
    code, out, _err = run_cli("profile", str(p), "--spec", "jumin_kiroku", "--output-format", "html")
    assert code == 0
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_profile_bad_input_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run_cli("profile", str(tmp_path / "none.csv"), "--spec", "jumin_kiroku")
    assert code == 2 and "file not found" in err
    p = tmp_path / "other.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    code, _, err = run_cli("profile", str(p), "--spec", "jumin_kiroku")
    assert code == 2 and "no column" in err
    p.write_bytes("宛名番号\n".encode() + "氏名\n".encode("cp932"))
    code, _, err = run_cli("profile", str(p), "--spec", "jumin_kiroku")
    assert code == 2 and "Traceback" not in err


def test_missing_duckdb_is_a_clear_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    d = pair(False)
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError
    code, _, err = run_cli("profile", str(d / "standard.csv"), "--spec", "jumin_kiroku")
    assert code == 2 and "pip install 'kikan-std[migration]'" in err
