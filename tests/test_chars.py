"""Tests of the 文字要件 character checks, the chars tool, the encoding helpers and the CHR/ENC catalogue.

Assertions compare codes, positions and suggestions, never message wording.
"""

from __future__ import annotations

import io
import json
import re
import string
import tomllib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kikan_std.cli.chars import chars_main, format_describe
from kikan_std.jp import chars
from kikan_std.jp.chars import (
    CharProblem,
    control_problems,
    count_chars,
    describe,
    fullwidth_column_clean,
    fullwidth_problems,
    halfwidth_column_clean,
    halfwidth_problems,
    parse_gj_table,
    split_chars,
)
from kikan_std.jp.encodings import cp932_only_chars, detect_encoding

VS17 = "\U000e0100"
VS18 = "\U000e0101"
CATALOGUE = Path(chars.__file__).parent.parent / "data" / "catalogue" / "chars.toml"


def codes(problems: list[CharProblem]) -> list[tuple[str, int]]:
    return [(p.code, p.position) for p in problems]


# --- valid values -------------------------------------------------------------------------------

VALID_N = [
    "佐藤　一郎",
    "渡邊",
    "髙橋",
    "霞が関二丁目",
    "１番６号",
    "１００８番地",
    "ＺＨＡＮＧ　ＹＵＬＩ",
    "張　玉蓮",
    "サトウ　イチロウ",
    "トラノモンハイツ１０１ゴウ",
    "令和○年頃",
    "﨑",
    "𠮟",
    "ヴァイオリン・ゔ",
    "か゚",  # JIS X 0213 1-04-87: か + combining semi-voiced mark
    "辺" + VS18,  # MJ025758 (8FBA_E0101 in mj_moji_ivs.csv)
    "邊\U000e0108",  # MJ026200
    "藤",  # bare base of MJ023079… (only IVS forms in the table): standard
    "〜−‖¢£¬",
]


@pytest.mark.parametrize("value", VALID_N)
def test_valid_fullwidth_values(value: str) -> None:
    assert fullwidth_problems(value) == []
    has_context = any(unicodedata.category(c) == "Mn" for c in value)
    assert fullwidth_column_clean(value) != has_context  # selectors / marks always take the slow path


@pytest.mark.parametrize("value", ["1000014", "123456789012345", "09:00:00", "a b-c_d.e/f"])
def test_valid_halfwidth_values(value: str) -> None:
    assert halfwidth_problems(value) == []
    assert halfwidth_column_clean(value)


# --- Ｎ items ------------------------------------------------------------------------------------


def test_bmp_private_use_is_vendor_gaiji() -> None:
    assert codes(fullwidth_problems("渡\ue03a")) == [("CHR005", 2)]


def test_emoji() -> None:
    probs = fullwidth_problems("虎ノ門ハイツ😀１０１")
    assert codes(probs) == [("CHR012", 7)]
    assert probs[0].suggestion is None


def test_emoji_with_presentation_selector_is_one_problem() -> None:
    assert codes(fullwidth_problems("❤\ufe0f")) == [("CHR012", 1)]


def test_simplified_chinese_in_foreign_name() -> None:
    probs = fullwidth_problems("张伟")
    assert codes(probs) == [("CHR012", 1), ("CHR012", 2)]
    assert [p.suggestion for p in probs] == [None, None]  # the MJ table has no fallback for them


def test_simplified_character_that_is_mj_is_standard() -> None:
    # 边 (U+8FB9) is MJ025757 itself, with 縮退 candidates 辺邊邉
    assert fullwidth_problems("边") == []
    info = describe("边")[0]
    assert info.mj == ("MJ025757",)
    assert info.shrink[:1] == ("辺",)


def test_compatibility_ideograph_outside_standard_suggests_unified() -> None:
    # U+F902 is a CJK compatibility ideograph not in MJ/JIS X 0213; NFC gives 車 (U+8ECA)
    probs = fullwidth_problems("\uf902")
    assert codes(probs) == [("CHR012", 1)]
    assert probs[0].suggestion == "車"


def test_nfd_kana() -> None:
    probs = fullwidth_problems("カ\u3099ク")
    assert codes(probs) == [("CHR008", 1)]
    assert probs[0].suggestion == "ガ"
    assert probs[0].codepoints == "U+30AB U+3099"


def test_nfd_latin() -> None:
    assert [(p.code, p.suggestion) for p in fullwidth_problems("Ｃafe\u0301")][-1] == ("CHR008", "é")


def test_combining_mark_without_composed_form() -> None:
    assert codes(fullwidth_problems("ア\u3099")) == [("CHR009", 1)]
    lone = fullwidth_problems("\u3099あ")
    assert codes(lone) == [("CHR009", 1)]
    assert lone[0].suggestion == "゛"


def test_lone_variation_selector() -> None:
    assert codes(fullwidth_problems(VS17 + "辺")) == [("CHR010", 1)]
    assert codes(fullwidth_problems("辺" + VS18 + VS18)) == [("CHR010", 2)]


def test_selector_on_base_without_that_ivs() -> None:
    probs = fullwidth_problems("佐藤葛" + VS17)  # 葛 has E0102… in the MJ table, not E0100
    assert codes(probs) == [("CHR011", 3)]
    assert probs[0].suggestion == "葛"
    assert codes(fullwidth_problems("あ\ufe00")) == [("CHR011", 1)]


def test_ivs_counts_as_one_character() -> None:
    value = "渡辺" + VS18 + "　太郎"
    assert count_chars(value) == 5
    assert split_chars(value)[1] == "辺" + VS18
    assert codes(fullwidth_problems(value + "😀")) == [("CHR012", 6)]


def test_ascii_in_fullwidth() -> None:
    probs = fullwidth_problems("佐藤 一郎")
    assert codes(probs) == [("CHR003", 3)]
    assert probs[0].suggestion == "\u3000"
    assert [p.suggestion for p in fullwidth_problems("1-6")] == ["１", "−", "６"]
    assert [p.suggestion for p in fullwidth_problems("~")] == ["〜"]


def test_halfwidth_kana_in_fullwidth_composes_voiced_marks() -> None:
    probs = fullwidth_problems("ｶﾞｸ ﾊﾟﾝ")  # positions count ﾞ and ﾟ as characters of the value
    assert codes(probs) == [("CHR004", 1), ("CHR004", 3), ("CHR003", 4), ("CHR004", 5), ("CHR004", 7)]
    assert [p.suggestion for p in probs] == ["ガ", "ク", "\u3000", "パ", "ン"]
    assert probs[0].char == "ｶﾞ"


def test_halfwidth_lone_sound_mark() -> None:
    probs = fullwidth_problems("ｱﾞ")  # ア has no voiced form: two problems
    assert [(p.code, p.position, p.suggestion) for p in probs] == [("CHR004", 1, "ア"), ("CHR004", 2, "゛")]


@pytest.mark.parametrize(
    ("char", "code", "suggestion"),
    [
        ("\uffe0", "CHR013", "\u00a2"),
        ("\uffe1", "CHR013", "\u00a3"),
        ("\uffe2", "CHR013", "\u00ac"),
        ("\uff5e", "CHR014", "\u301c"),
        ("\uff0d", "CHR014", "\u2212"),
        ("\u2225", "CHR014", "\u2016"),
    ],
)
def test_cp932_artefacts_suggest_the_jis_form(char: str, code: str, suggestion: str) -> None:
    probs = fullwidth_problems("１" + char)
    assert [(p.code, p.position, p.suggestion) for p in probs] == [(code, 2, suggestion)]
    assert fullwidth_problems(suggestion) == []


def test_cp932_variant_is_info_but_sign_is_error() -> None:
    cat = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert cat["CHR013"]["severity"] == "error"
    assert cat["CHR014"]["severity"] == "info"


def test_plane16_private_use_is_warning_without_gj_table() -> None:
    assert codes(fullwidth_problems("佐\U0010de92")) == [("CHR006", 2)]
    cat = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    assert cat["CHR006"]["severity"] == "warning"


def test_plane16_private_use_passes_with_gj_table() -> None:
    gj = parse_gj_table("# GJ table\nU+100000  GJ000001\nU+10DE92\n\n")
    assert gj == frozenset({"\U00100000", "\U0010de92"})
    assert fullwidth_problems("佐\U0010de92", gj_table=gj) == []
    assert codes(fullwidth_problems("佐\U0010fffd\U000f0001", gj_table=gj)) == [("CHR007", 2), ("CHR007", 3)]


def test_gj_table_format_errors() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_gj_table("U+100000\n10DE92\n")


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\t", "TAB"),
        ("\x00", "NUL"),
        ("\x0b", "VT"),
        ("\r", "CR"),
        ("\n", "LF"),
        ("\x7f", "DEL"),
        ("\x85", "NEL"),
        ("\x9f", "C1"),
    ],
)
def test_control_characters_in_fullwidth(char: str, name: str) -> None:
    probs = fullwidth_problems("佐藤" + char + "一郎")
    assert [(p.code, p.position, p.params.get("name")) for p in probs] == [("CHR001", 3, name)]


def test_invisible_characters() -> None:
    assert codes(fullwidth_problems("霞が関\u200b二丁目")) == [("CHR002", 4)]
    assert codes(control_problems("\ufeff123")) == [("CHR002", 1)]


def test_control_problems_any_type() -> None:
    assert control_problems("2021-11-01") == []
    assert codes(control_problems("2021-11-01\r")) == [("CHR001", 11)]
    assert codes(control_problems("1\x002")) == [("CHR001", 2)]


# --- X items -------------------------------------------------------------------------------------


def test_tab_in_halfwidth() -> None:
    probs = halfwidth_problems("123\t456")
    assert [(p.code, p.position, p.params["name"]) for p in probs] == [("CHR001", 4, "TAB")]


def test_halfwidth_kana_in_halfwidth_has_no_suggestion() -> None:
    probs = halfwidth_problems("ｻﾄｳ01ｶﾞｷ")
    assert codes(probs) == [("CHR015", 1), ("CHR015", 2), ("CHR015", 3), ("CHR015", 6), ("CHR015", 8)]
    assert all(p.suggestion is None for p in probs)


def test_fullwidth_digits_in_halfwidth() -> None:
    probs = halfwidth_problems("１０００　０１４")
    assert [p.code for p in probs] == ["CHR016"] * 8
    assert "".join(p.suggestion or "" for p in probs) == "1000 014"


def test_other_non_ascii_in_halfwidth() -> None:
    assert codes(halfwidth_problems("A佐1")) == [("CHR017", 2)]
    assert codes(halfwidth_problems("é")) == [("CHR017", 1)]


# --- fast paths agree with the slow path ------------------------------------------------------

_INTERESTING = [
    *"佐藤一郎渡邊髙橋霞が関二丁目１番６号ＺＨＡＮＧサトウイチロウ　ー・々〆",
    *["辺" + VS18, "辺" + VS17, VS17, "\ufe00", "\u3099", "\u309a", "\u0301", "か\u3099"],
    *"ｶﾞｻﾄｳﾟ～－∥￠￡￢〜−‖¢£¬张门😀\ue000\U0010de92\u200b\ufeff\u00a0¥",
    *"\t\n\r\x00\x0b\x7f\x85 -~aZ09",
]
_pieces = st.one_of(st.sampled_from(_INTERESTING), st.characters())
_text = st.lists(_pieces, max_size=8).map("".join)
_values = st.lists(_text, max_size=6)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_fullwidth_fast_path_implies_no_problems(values: list[str]) -> None:
    if fullwidth_column_clean("".join(values)):
        assert all(fullwidth_problems(v) == [] for v in values)


@settings(max_examples=300, deadline=None)
@given(_values)
def test_halfwidth_fast_path_implies_no_problems(values: list[str]) -> None:
    if halfwidth_column_clean("".join(values)):
        assert all(halfwidth_problems(v) == [] for v in values)
    assert halfwidth_column_clean("".join(values)) == all(halfwidth_problems(v) == [] for v in values)


@settings(max_examples=200, deadline=None)
@given(_text)
def test_suggestions_are_themselves_clean(value: str) -> None:
    units = split_chars(value)
    for p in fullwidth_problems(value):
        assert 1 <= p.position <= count_chars(value)
        assert p.char in (units[p.position - 1], "".join(units[p.position - 1 : p.position + 1]))
        if p.suggestion is not None:
            assert fullwidth_problems(p.suggestion) == [], (p, value)
    for p in halfwidth_problems(value):
        if p.suggestion is not None:
            assert halfwidth_problems(p.suggestion) == []


def test_selector_and_combining_mark_defeat_fast_path() -> None:
    assert not fullwidth_column_clean("辺" + VS18)
    assert not fullwidth_column_clean("か゚")
    assert not fullwidth_column_clean("\u3099")
    assert not fullwidth_column_clean("－")
    assert fullwidth_column_clean("".join(VALID_N[:9]))


# --- describe and the chars tool -------------------------------------------------------------


def test_describe_ivs_and_jis() -> None:
    infos = describe("辺" + VS18 + "あ张")
    assert [i.position for i in infos] == [1, 2, 3]
    assert infos[0].mj == ("MJ025758",)
    assert infos[0].jis == "1-42-53"
    assert infos[0].codepoints == "U+8FBA U+E0101"
    assert infos[1].jis == "1-04-02" and infos[1].is_standard and not infos[1].mj
    assert not infos[2].is_standard and infos[2].code == "CHR012"
    table = format_describe(infos, "en")
    assert "MJ025758" in table and "U+5F20" in table


def test_describe_positions_match_problem_positions() -> None:
    text = "ｶﾞｸ張😀"
    infos = describe(text)
    assert [(i.position, i.code) for i in infos] == [(1, "CHR004"), (3, "CHR004"), (4, None), (5, "CHR012")]


def test_describe_bare_base_lists_every_mj() -> None:
    info = describe("藤")[0]
    assert info.is_standard and len(info.mj) >= 5 and info.jis == "1-38-03"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    rc = chars_main(argv, out, err)
    return rc, out.getvalue(), err.getvalue()


def test_chars_main_text() -> None:
    rc, out, err = run(["渡邊"])
    assert rc == 0 and err == "" and "MJ" in out
    rc, out, _ = run(["张伟", "--lang", "en"])
    assert rc == 1 and "CHR012" in out


def test_chars_main_json() -> None:
    rc, out, _ = run(["佐藤\t一郎", "--json"])
    assert rc == 1
    doc = json.loads(out)
    assert doc["all_standard"] is False
    assert [(c["position"], c["code"]) for c in doc["lines"][0]["chars"] if c["code"]] == [(3, "CHR001")]


def test_chars_main_file_and_gj_table(tmp_path: Path) -> None:
    names = tmp_path / "names.txt"
    names.write_text("佐藤　一郎\n\U0010de92子\n", encoding="utf-8")
    rc, out, _ = run([str(names), "--json"])
    assert rc == 1
    assert [c["code"] for c in json.loads(out)["lines"][1]["chars"]] == ["CHR006", None]
    gj = tmp_path / "gj.txt"
    gj.write_text("U+10DE92\n", encoding="utf-8")
    rc, _, _ = run([str(names), "--gj-table", str(gj)])
    assert rc == 0


def test_chars_main_errors(tmp_path: Path) -> None:
    bad = tmp_path / "sjis.txt"
    bad.write_bytes("佐藤".encode("cp932"))
    for argv in (
        [str(bad)],
        [str(tmp_path / "missing.txt")],
        [str(tmp_path)],
        ["佐藤", "--lang", "fr"],
        [],
        ["佐藤", "--gj-table", str(bad)],
    ):
        rc, _, err = run(argv)
        assert rc == 2, argv
        assert err.count("\n") == 1 and "Traceback" not in err
        assert re.search(r"[ぁ-んァ-ン一-龥]", err)
    assert run(["missing.txt", "--text"])[0] == 1  # forced literal: half-width letters


# --- encodings -----------------------------------------------------------------------------------

_CSV = "宛名番号,氏名,住所\n000000000000001,佐藤　一郎,東京都千代田区霞が関二丁目１番６号\n" * 20


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("cp932", "cp932"),
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("euc_jp", "euc_jp"),
        ("iso2022_jp", "iso2022_jp"),
    ],
)
def test_detect_encoding(encoding: str, expected: str) -> None:
    det = detect_encoding(_CSV.encode(encoding)[:1001])  # cut mid-line on purpose
    assert det.encoding == expected
    assert not det.weak
    assert det.bom == (expected == "utf-8-sig")


def test_detect_encoding_weak() -> None:
    assert detect_encoding(b"id,name\n1,abc\n").reason == "ascii-only"
    assert detect_encoding(b"").weak
    tiny = detect_encoding("氏名\n佐藤\n".encode("cp932"))
    assert tiny.encoding == "cp932" and tiny.weak and tiny.reason_text("ja")
    gaiji = detect_encoding(("佐藤　一郎" + "\ue000" + "\n").encode("cp932") * 10)
    assert gaiji.encoding == "cp932" and gaiji.reason == "user-defined-area"


def test_cp932_only_chars() -> None:
    text = "コーポ①号室（㈱ⅰ）髙橋～￢∵"
    assert cp932_only_chars(text) == [(4, "①"), (8, "㈱"), (9, "ⅰ"), (11, "髙")]
    assert cp932_only_chars("佐藤　一郎") == []


# --- catalogue --------------------------------------------------------------------------------


def test_catalogue_file_parses_and_covers_emitted_codes() -> None:
    from kikan_std.catalogue import catalogue

    data = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))
    entries = {code: catalogue()[code] for code in data}
    assert all(e.family == "chars" for e in entries.values())
    assert set(chars.CODES) <= set(entries)
    assert {"ENC001", "ENC002", "ENC003", "ENC004"} <= set(entries)
    allowed = {"item", "char", "codepoints", "position", "suggestion", "name", "encoding", "reason"}
    for e in entries.values():
        for lang in ("ja", "en"):
            fields = {f for _, f, _, _ in string.Formatter().parse(e.message[lang]) if f}
            assert fields <= allowed, (e.code, fields)


def test_catalogue_includes_chars_codes() -> None:
    from kikan_std import catalogue as cat

    base = Path(cat.__file__).parent / "data" / "catalogue"
    missing = [f for f in cat.CATALOGUE_FILES if not (base / f).exists()]
    if missing or not (Path(cat.__file__).parent / "__init__.py").exists():
        pytest.skip(f"other catalogue files not in this branch yet: {missing}")
    entries = cat.catalogue()
    assert {*chars.CODES, "ENC001", "ENC004"} <= set(entries)
    assert entries["CHR006"].severity == "warning"


def test_import_loads_no_table() -> None:
    import subprocess
    import sys

    code = (
        "import sys, kikan_std.jp.chars as c, kikan_std.jp.encodings;"
        "print(c.mj_table.cache_info().currsize, c.jis_table.cache_info().currsize,"
        " 'charset_normalizer' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "0", "False"]


def test_stored_fast_path_class_matches_the_table() -> None:
    from kikan_std.jp import chars

    assert chars.CLEAN_N_FILE.read_text(encoding="utf-8").strip() == chars.clean_n_class()
