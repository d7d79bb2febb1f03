"""The 地方税 and 福祉 specs: every rule fires on a minimal bad example, never on generated valid data."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

import kikan_std
from kikan_std.specs import load_spec, rules_for
from kikan_std.specs.jido_teate import age_limit_month
from kikan_std.testing.generators.deliverable import write_deliverable

SPECS = ("kojin_juminzei", "kotei_shisanzei", "kei_jidoshazei", "jido_teate", "kaigo_hoken", "kokumin_kenko_hoken")


@pytest.fixture(scope="module")
def valid_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("valid") / "deliverable"
    write_deliverable(d, 500, 11)
    return d


def _file(spec: str, group: str) -> str:
    g = load_spec(spec).group(group)
    return f"{spec}__{g.romaji}.csv"


def _rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        return header, [dict(zip(header, row, strict=True)) for row in r]


def test_specs_are_registered_with_provenance_and_rules() -> None:
    for sid in SPECS:
        spec = load_spec(sid)
        assert spec.provenance == "modeled"
        assert all(it.provenance == "modeled" for g in spec.groups for it in g.items)
        assert rules_for(spec).record_rules, sid
    kaigo = load_spec("kaigo_hoken")
    assert kaigo.code_list("yokaigo_kubun").provenance == "derived"
    assert kaigo.code_list("kaigo_idojiyu").provenance == "derived"
    assert load_spec("kojin_juminzei").group("課税台帳").item("特別徴収義務者_法人番号").format == "corporate_number"


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_valid_data_has_no_findings(tmp_path: Path, seed: int) -> None:
    counts = write_deliverable(tmp_path / "d", 400, seed)
    for name, n in counts.items():
        spec, group = name[:-4].split("__")
        report = kikan_std.check(tmp_path / "d" / name, spec=spec, group=group)
        assert report.valid, (name, report.stats.findings_by_code)
        assert report.stats.total_findings == 0, (name, report.stats.findings_by_code)
        assert report.inputs[0].records == n


Mutation = dict[str, str] | Callable[[dict[str, str]], dict[str, str]]

BAD: list[tuple[str, str, Mutation, str, str]] = [
    ("kojin_juminzei", "課税台帳", lambda r: {"年税額": str(int(r["年税額"]) + 100)}, "TAX001", "年税額"),
    ("kojin_juminzei", "課税台帳", {"課税区分": "1", "所得割額": "12345", "均等割額": "5000", "年税額": "17345"},
     "TAX002", "所得割額"),
    ("kojin_juminzei", "課税台帳", {"課税標準額": "1234500"}, "TAX002", "課税標準額"),
    ("kojin_juminzei", "課税台帳", {"給与収入額": "3000000", "給与所得額": "3500000"}, "TAX003", "給与所得額"),
    ("kojin_juminzei", "課税台帳", {"課税区分": "2", "所得割額": "0", "均等割額": "5000", "年税額": "5000"},
     "TAX004", "課税区分"),
    ("kojin_juminzei", "課税台帳", {"徴収区分": "1", "特別徴収義務者指定番号": ""}, "REC001", "特別徴収義務者指定番号"),
    ("kotei_shisanzei", "土地", {"住宅用地区分": "0", "評価額": "1000000", "課税標準額": "2000000"},
     "TAX005", "課税標準額"),
    ("kotei_shisanzei", "家屋", {"評価額": "1000000", "課税標準額": "2000000"}, "TAX005", "課税標準額"),
    ("kotei_shisanzei", "土地", {"住宅用地区分": "1", "評価額": "6000000", "課税標準額": "3000000"},
     "TAX006", "課税標準額"),
    ("kotei_shisanzei", "家屋", {"建築年": "2030"}, "TAX007", "建築年"),
    ("kotei_shisanzei", "納税義務者", {"持分_分子": "3", "持分_分母": "2"}, "TAX008", "持分_分子"),
    ("kotei_shisanzei", "納税義務者", {"持分_分母": "7"}, "TAX009", "持分_分子"),
    ("kei_jidoshazei", "車両", {"初度検査年月": "2015/04"}, "TAX010", "初度検査年月"),
    ("kei_jidoshazei", "車両", {"車種区分": "21", "初度検査年月": ""}, "REC001", "初度検査年月"),
    ("kei_jidoshazei", "車両", {"取得年月日": "2024-05-01", "廃車年月日": "2023-03-31"}, "TAX011", "廃車年月日"),
    ("jido_teate", "受給者", {"支給開始年月": "2024-13"}, "WEL002", "支給開始年月"),
    ("jido_teate", "受給者", {"支給開始年月": "2025-04", "支給終了年月": "2025-03"}, "WEL004", "支給終了年月"),
    ("jido_teate", "対象児童", {"児童生年月日": "2005-06-01", "支給開始年月": "2024-10"}, "WEL001", "児童生年月日"),
    ("jido_teate", "対象児童", {"支給区分": "1", "手当月額": "10000"}, "WEL003", "手当月額"),
    ("kaigo_hoken", "被保険者", {"被保険者番号": "123456789"}, "WEL005", "被保険者番号"),
    ("kaigo_hoken", "被保険者", {"資格喪失年月日": "1999-01-01", "資格喪失事由": "202"}, "WEL004", "資格喪失年月日"),
    ("kaigo_hoken", "被保険者", {"要介護状態区分": "21", "認定有効期間_開始年月日": "2025-04-01",
                              "認定有効期間_終了年月日": "2025-03-31"}, "WEL004", "認定有効期間_終了年月日"),
    ("kaigo_hoken", "被保険者", {"資格喪失年月日": "2026-05-01", "資格喪失事由": "001"}, "WEL006", "資格喪失事由"),
    ("kaigo_hoken", "被保険者", {"資格取得事由": "209"}, "WEL006", "資格取得事由"),
    ("kaigo_hoken", "被保険者", {"被保険者区分": "1", "生年月日": "1970-05-01", "資格取得年月日": "2024-04-01"},
     "WEL007", "資格取得年月日"),
    ("kaigo_hoken", "被保険者", {"資格喪失年月日": "2026-05-01", "資格喪失事由": ""}, "REC001", "資格喪失事由"),
    ("kaigo_hoken", "被保険者", {"要介護状態区分": "21", "認定有効期間_開始年月日": ""}, "REC001",
     "認定有効期間_開始年月日"),
    ("kokumin_kenko_hoken", "被保険者", {"被保険者番号_枝番": "1"}, "WEL005", "被保険者番号_枝番"),
    ("kokumin_kenko_hoken", "被保険者", {"生年月日": "1945-01-10", "資格取得年月日": "2024-04-01"}, "WEL008",
     "資格取得年月日"),
    ("kokumin_kenko_hoken", "被保険者", {"資格喪失年月日": "2019-01-01", "資格喪失事由": "01"}, "WEL004",
     "資格喪失年月日"),
    ("kokumin_kenko_hoken", "被保険者", {"資格喪失年月日": "2026-01-01", "資格喪失事由": ""}, "REC001", "資格喪失事由"),
    ("kokumin_kenko_hoken", "世帯", {"世帯資格喪失年月日": "2019-01-01"}, "WEL004", "世帯資格喪失年月日"),
]


@pytest.mark.parametrize("spec,group,mutation,code,item", BAD, ids=[f"{b[3]}-{b[0]}-{b[4]}" for b in BAD])
def test_rule_fires_on_minimal_bad_example(valid_dir: Path, tmp_path: Path, spec: str, group: str,
                                           mutation: Mutation, code: str, item: str) -> None:
    header, rows = _rows(valid_dir / _file(spec, group))
    change = mutation(rows[0]) if callable(mutation) else mutation
    rows[0] = {**rows[0], **change}
    path = tmp_path / _file(spec, group)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows([r[h] for h in header] for r in rows)
    report = kikan_std.check(path, spec=spec, group=group, max_findings=None)
    found = {(f.code, f.record, f.item) for f in report.findings}
    assert (code, 1, item) in found, found
    assert not report.valid
    assert all(f.record == 1 for f in report.findings), found  # the untouched records stay clean


def test_shares_rule_names_all_owners_and_spills(valid_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    header, rows = _rows(valid_dir / _file("kotei_shisanzei", "納税義務者"))
    co = [r for r in rows if r["持分_分母"] == "2"][:2]
    assert len(co) == 2 and co[0]["物件番号"] == co[1]["物件番号"]
    co[1] = {**co[1], "持分_分母": "3"}  # 1/2 + 1/3
    path = tmp_path / "kotei_shisanzei__nozeigimusha.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(header)
        w.writerows([r[h] for h in header] for r in co)
    mem = kikan_std.check(path, spec="kotei_shisanzei")
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "0")
    spilled = kikan_std.check(path, spec="kotei_shisanzei")
    for report in (mem, spilled):
        (f,) = [f for f in report.findings if f.code == "TAX009"]
        assert (f.record, f.related, f.params["sum"]) == (1, [{"record": 2, "line": 3}], "5/6")
        assert f.keys["物件番号"] == co[0]["物件番号"]


def test_age_limit_is_the_march_after_the_18th_birthday() -> None:
    import datetime as dt

    assert age_limit_month(dt.date(2008, 4, 2)) == (2027, 3)
    assert age_limit_month(dt.date(2008, 4, 1)) == (2026, 3)  # reaches 18 on 31 March 2026 (前日到達)
    assert age_limit_month(dt.date(2008, 3, 31)) == (2026, 3)
