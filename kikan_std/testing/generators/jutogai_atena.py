"""Synthetic 住登外者宛名基本情報 records (spec ``jutogai_atena``). Never real personal data.

Names, addresses and numbers are drawn from small invented lists with a seeded RNG, so the same
seed always gives the same file. Individual numbers get a correct check digit but are random.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import Format
from kikan_std.specs import load_spec

_SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田")
_SURNAME_KANA = ("サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ",
                 "カトウ", "ヨシダ", "ヤマダ")
_GIVEN = ("一郎", "花子", "太郎", "美咲", "健太", "陽菜", "翔", "結衣", "大輔", "さくら")
_GIVEN_KANA = ("イチロウ", "ハナコ", "タロウ", "ミサキ", "ケンタ", "ヒナ", "ショウ", "ユイ", "ダイスケ", "サクラ")
_FOREIGN = (("ＺＨＡＮＧ　ＹＵＬＩ", "張　玉蓮"), ("ＫＩＭ　ＭＩＮＪＵ", "金　敏珠"), ("ＳＭＩＴＨ　ＪＯＨＮ", ""))
_PLACES = (
    ("131016", "東京都", "千代田区", "霞が関二丁目", "0011002", "1000013"),
    ("011002", "北海道", "札幌市", "北一条西二丁目", "0000000", "0600001"),
    ("271004", "大阪府", "大阪市", "中之島一丁目", "0001001", "5300005"),
    ("401005", "福岡県", "北九州市", "小倉北区城内", "0000000", "8038501"),
)
_KANJI_DIGITS = "０１２３４５６７８９"


def _fw(n: int) -> str:
    return "".join(_KANJI_DIGITS[int(c)] for c in str(n))


def _my_number(rng: random.Random) -> str:
    return FORMATS[Format.INDIVIDUAL_NUMBER].valid.sample(rng)


def iter_jutogai_atena(rows: int, seed: int = 0) -> Iterator[list[str]]:
    """Valid 住登外者宛名基本情報 records in item order (first the header)."""
    spec = load_spec("jutogai_atena")
    yield [it.name for it in spec.groups[0].items]
    rng = random.Random(seed)
    for n in range(1, rows + 1):
        foreign = rng.random() < 0.05
        code, pref, city, town, town_code, postal = _PLACES[rng.randrange(len(_PLACES))]
        si = rng.randrange(len(_SURNAMES))
        gi = rng.randrange(len(_GIVEN))
        if foreign:
            alpha, kanji = _FOREIGN[rng.randrange(len(_FOREIGN))]
            name, uji, na = (kanji or alpha), "", ""
            yomi, uji_yomi, na_yomi = "", "", ""
        else:
            alpha = kanji = ""
            uji, na = _SURNAMES[si], _GIVEN[gi]
            name = f"{uji}\u3000{na}"
            uji_yomi, na_yomi = _SURNAME_KANA[si], _GIVEN_KANA[gi]
            yomi = f"{uji_yomi}\u3000{na_yomi}"
        unknown_birth = rng.random() < 0.01
        if unknown_birth:
            birth, birth_note = f"{rng.randrange(1930, 1960)}-00-00", "昭和○年頃"
        else:
            birth, birth_note = f"{rng.randrange(1930, 2020)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", ""
        katagaki = f"ハイツ{_fw(rng.randrange(1, 30))}０{_fw(rng.randrange(1, 10))}号" if rng.random() < 0.4 else ""
        merged = rng.random() < 0.02 and n > 1  # 名寄せ先 is an earlier record, never the record itself
        yield [
            f"{n:015d}",
            _my_number(rng) if rng.random() < 0.9 else "",
            name,
            uji,
            na,
            alpha,
            kanji,
            yomi,
            uji_yomi,
            na_yomi,
            str(rng.randrange(0, 3)),
            birth,
            birth_note,
            code,
            town_code,
            pref,
            city,
            town if town_code != "0000000" or rng.random() < 0.5 else "",
            f"{_fw(rng.randrange(1, 30))}番{_fw(rng.randrange(1, 20))}号",
            katagaki,
            "ハイツ" if katagaki else "",
            postal,
            "001",
            "000",
            "1" if merged else "0",
            f"{min(rng.randrange(1, n + 1), n - 1):015d}" if merged else "",
            f"OP{rng.randrange(1000):04d}",
            f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            f"{rng.randrange(8, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
        ]


__all__ = ["iter_jutogai_atena"]
