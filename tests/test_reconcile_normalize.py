"""Each normalisation step, and the pipelines' step reporting."""

from __future__ import annotations

import pytest

from kikan_std.reconcile import normalize as n
from kikan_std.reconcile.variants import fold_variants, variant_map, variant_pairs


def test_fold_width() -> None:
    assert n.fold_width("ＡＢＣ１２３") == "ABC123"
    assert n.fold_width("ﾜﾀﾅﾍﾞ") == "ワタナベ"
    assert n.fold_width("渡辺\u3000太郎") == "渡辺 太郎"


def test_strip_ivs() -> None:
    assert n.strip_ivs("邉\U000e0100") == "邉"
    assert n.strip_ivs("葛\ufe00") == "葛"


def test_remove_spaces() -> None:
    assert n.remove_spaces(" 渡辺\u3000 太郎 ") == "渡辺太郎"


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("渡邊", "渡辺"),
        ("渡邉", "渡辺"),
        ("髙橋", "高橋"),
        ("山﨑", "山崎"),
        ("齋藤", "斎藤"),
        ("齊藤", "斎藤"),
        ("濱田", "浜田"),
        ("澤田", "沢田"),
        ("櫻井", "桜井"),
        ("廣瀬", "広瀬"),
        ("嶋田", "島田"),
        ("𠮷田", "吉田"),
    ],
)
def test_kanji_variant(variant: str, canonical: str) -> None:
    assert n.kanji_variant(variant) == canonical
    assert fold_variants(canonical) == canonical


def test_variant_map_from_mj() -> None:
    m = variant_map()
    assert len(m) > 20_000
    assert m["䟍"] == "辺"  # MJ: 䟍 → 邊, then hand map 邊 → 辺
    assert "秦" not in m and "奏" not in m  # unrelated candidates are not merged
    assert all(v not in m for v in m.values())  # chains resolved


def test_variant_pairs() -> None:
    assert variant_pairs("渡邊太郎", "渡辺太郎") == [("邊", "辺")]
    assert variant_pairs("髙橋", "高橋") == [("髙", "高")]
    assert variant_pairs("渡辺", "渡部") == []


@pytest.mark.parametrize(
    ("text", "expected"), [("二十三", 23), ("十", 10), ("百五", 105), ("千二百三十四", 1234), ("二〇三", 203)]
)
def test_kanji_number(text: str, expected: int) -> None:
    assert n.kanji_number(text) == expected


def test_kanji_number_rejects() -> None:
    with pytest.raises(ValueError):
        n.kanji_number("赤坂")


def test_address_hyphen() -> None:
    assert n.address_hyphen("赤坂1ー2−3") == "赤坂1-2-3"
    assert n.address_hyphen("コーポ") == "コーポ"


def test_address_numerals() -> None:
    assert n.address_numerals("赤坂一丁目二番三号") == "赤坂1丁目2番3号"
    assert n.address_numerals("元本郷町一丁目二十三番十一号") == "元本郷町1丁目23番11号"
    assert n.address_numerals("四谷三丁目") == "四谷3丁目"  # 四谷 is a name, kept
    assert n.address_numerals("八王子市") == "八王子市"


def test_address_aza() -> None:
    assert n.address_aza("つくば市大字小野崎123番地") == "つくば市小野崎123番地"
    assert n.address_aza("阿蘇市字内牧5") == "阿蘇市内牧5"


@pytest.mark.parametrize(
    "text",
    ["赤坂1丁目2番3号", "赤坂1-2-3", "赤坂1丁目2-3", "赤坂1丁目2番地3", "赤坂1丁目2の3", "赤坂1丁目2番3"],
)
def test_address_notation(text: str) -> None:
    assert n.address_notation(text) == "赤坂1-2-3"


def test_address_notation_banchi() -> None:
    assert n.address_notation("小野崎123番地4") == "小野崎123-4"
    assert n.address_notation("小野崎123番地") == "小野崎123"


def test_address_ke_no() -> None:
    assert n.address_ke_no("霞が関") == n.address_ke_no("霞ヶ関") == n.address_ke_no("霞ケ関") == "霞ケ関"
    assert n.address_ke_no("三ノ輪") == "三の輪"


def test_kana_steps() -> None:
    assert n.hiragana_to_katakana("わたなべ") == "ワタナベ"
    assert n.kana_small("キョウコ") == "キヨウコ"
    assert n.kana_long_vowel("ヨ-コ") == n.kana_long_vowel("ヨーコ") == "ヨーコ"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("港区赤坂1-1-1", "港区赤坂1丁目1番1号"),
        ("港区赤坂一丁目一番一号", "港区赤坂１－１－１"),
        ("つくば市大字小野崎123番地4", "つくば市小野崎123-4"),
        ("千代田区霞が関1丁目2番", "千代田区霞ケ関一丁目二番地"),
    ],
)
def test_address_pipeline_equal(a: str, b: str) -> None:
    assert n.normalize_address(a).text == n.normalize_address(b).text


def test_pipelines_report_steps() -> None:
    assert n.normalize_name("渡邊　太郎") == n.Normalized("渡辺太郎", ("width", "spaces", "kanji_variant"))
    assert n.normalize_address("港区赤坂一丁目1番1号").steps == ("address_numerals", "address_notation")
    assert n.normalize_kana("きょうこ") == n.Normalized("キヨウコ", ("hiragana", "kana_small"))
    assert n.normalize_kana("ｷｮｳｺ").text == "キヨウコ"


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("昭和50年1月1日", ("wareki",)),
        ("S50.1.1", ("wareki",)),
        ("昭和５０年１月１日", ("width", "wareki")),
        ("1975/1/1", ("date_format",)),
        ("1975-01-01", ()),
    ],
)
def test_normalize_date(text: str, steps: tuple[str, ...]) -> None:
    assert n.normalize_date(text) == n.Normalized("1975-01-01", steps)


def test_normalize_date_invalid() -> None:
    assert n.normalize_date("平成31年5月1日").text == ""


def test_every_step_has_a_label() -> None:
    for steps in (n.NAME_STEPS, n.ADDRESS_STEPS, n.KANA_STEPS):
        for name, _ in steps:
            assert name in n.STEP_LABELS
