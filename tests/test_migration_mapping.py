"""Legacy mappings: transforms (和暦, width, trim, zero padding, dates), code maps, the shipped sample, and
``kikan-std mapping draft``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kikan_std.errors import InputError
from kikan_std.jp.wareki import era_of
from kikan_std.migration import load_mapping
from kikan_std.migration.mapping import Mapping
from kikan_std.testing.generators.migration import _wareki7, mapping_toml
from tests.conftest import ROOT, run_cli
from tests.migration_pairs import pair

SAMPLE = ROOT / "examples" / "mapping_jumin_legacy.toml"


def _mapping(text: str, tmp_path: Path) -> Mapping:
    p = tmp_path / "m.toml"
    p.write_text('[mapping]\nspec = "jumin_kiroku"\n' + text, encoding="utf-8")
    return load_mapping(p)


def test_transforms(tmp_path: Path) -> None:
    m = _mapping(
        '[columns]\nA = "宛名番号"\nB = "生年月日"\nC = "氏名_フリガナ"\nD = "住所_方書"\nE = "異動年月日"\nF = "通知日"\n'
        'G = "処理年月日"\nH = "住所_番地号表記"\n'
        '[transforms."宛名番号"]\nzero_pad = 15\n[transforms."生年月日"]\ndate = "wareki7"\n'
        '[transforms."氏名_フリガナ"]\nwidth = "full"\n[transforms."住所_方書"]\ntrim = true\n'
        '[transforms."異動年月日"]\ndate = "wareki"\n[transforms."通知日"]\ndate = "%Y/%m/%d"\n'
        '[transforms."処理年月日"]\ndate = "yyyymmdd"\n[transforms."住所_番地号表記"]\nwidth = "half"\n',
        tmp_path,
    )
    items = ["宛名番号", "生年月日", "氏名_フリガナ", "住所_方書", "異動年月日", "通知日", "処理年月日", "住所_番地号表記"]
    fn = m.row_function(list("ABCDEFGH"), items)
    assert fn(["1234", "3450102", "ｻﾄｳ ﾀﾛｳ", "  ハイツ１０１ 　", "昭和45年1月2日", "2024/4/1", "20240401", "１番２号"]) == [
        "000000000001234", "1970-01-02", "サトウ\u3000タロウ", "ハイツ１０１", "1970-01-02", "2024-04-01",
        "2024-04-01", "1番2号"]
    assert fn(["", "3450000", "ｶﾞｯｺｳ", "", "", "", "", ""])[1:3] == ["1970-00-00", "ガッコウ"]
    assert fn(["X12", "9999999", "", "", "not a date", "", "", ""])[:2] == ["X12", "9999999"]  # never guessed


def test_code_map_and_exclusion_and_key_map(tmp_path: Path) -> None:
    (tmp_path / "keys.csv").write_text("old1,000000000000011\n", encoding="utf-8")
    m = _mapping('[columns]\nS = "住民状態"\nA = "宛名番号"\n[codes."住民状態"]\nmap = { "3" = "2", "4" = "3" }\n'
                 'exclude = ["2"]\n[keys]\nitem = "宛名番号"\nfile = "keys.csv"\n', tmp_path)
    fn = m.row_function(["S", "A"], ["住民状態", "宛名番号"])
    assert fn(["3", "old1"]) == ["2", "000000000000011"]
    assert fn(["4", "x"]) == ["3", "x"]
    assert fn(["2", "x"]) is None  # 住登外: not a 住民記録 record
    assert fn(["7", "x"]) == ["7", "x"]  # an unmapped code passes unchanged


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=__import__("datetime").date(1873, 1, 1), max_value=__import__("datetime").date(2030, 12, 31)))
def test_wareki7_round_trip(d) -> None:  # type: ignore[no-untyped-def]
    from kikan_std.migration.mapping import _wareki7 as parse

    text = _wareki7(d.isoformat())
    assert text[0] == str(era_of(d).code)
    assert parse(text) == d.isoformat()


def test_the_shipped_sample_is_the_generators_mapping_and_says_where_codes_come_from() -> None:
    assert SAMPLE.read_text(encoding="utf-8") == mapping_toml(), "regenerate examples/mapping_jumin_legacy.toml"
    m = load_mapping(SAMPLE)
    jotai = m.codes["住民状態"]
    assert jotai.map == {"1": "1", "3": "2", "4": "3", "9": "9"} and jotai.exclude == ["2"]
    assert "ベンダー" in jotai.provenance and "公式" in jotai.provenance
    assert jotai.meanings["2"] == "住登外"


def test_mapping_errors_are_input_errors(tmp_path: Path) -> None:
    p = tmp_path / "bad.toml"
    p.write_text("[mapping\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad TOML"):
        load_mapping(p)
    p.write_text('[mapping]\nspec = "jumin_kiroku"\nunknown = 1\n', encoding="utf-8")
    with pytest.raises(InputError, match="unknown"):
        load_mapping(p)


def test_mapping_draft_proposes_a_loadable_mapping(tmp_path: Path) -> None:
    d = pair(False)
    out = tmp_path / "draft.toml"
    code, _, err = run_cli("mapping", "draft", str(d / "legacy.csv"), "--spec", "jumin_kiroku", "-o", str(out))
    assert (code, err) == (0, "")
    text = out.read_text(encoding="utf-8")
    m = load_mapping(out)
    assert m.mapping.encoding == "cp932"
    assert m.columns["JUMIN_JOTAI"] == "住民状態" and m.columns["SHIKUCHOSONKODO"] == "市区町村コード"
    assert m.transforms["住民となった年月日"].date == "wareki7"
    assert m.transforms["氏_日本人_フリガナ"].width == "full"
    assert "4" in m.codes["住民状態"].map  # legacy 死亡者 has no standard meaning: asked, not guessed
    assert "# ATENA_NO" in text  # unmatched legacy names are listed for a person to map
    assert "要確認" in text


def test_mapping_usage_errors() -> None:
    code, _, err = run_cli("mapping", "guess", "x.csv")
    assert code == 2 and "mapping draft" in err
    code, _, err = run_cli("mapping", "draft", "none.csv", "--spec", "jumin_kiroku")
    assert code == 2 and "file not found" in err
