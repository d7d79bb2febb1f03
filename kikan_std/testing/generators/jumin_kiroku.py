"""Synthetic 住民記録 exports (spec ``jumin_kiroku``): valid, consistent, never real people.

One seed is one invented municipality. It is filled household by household: a 世帯主 with spouse,
children, sometimes a parent, a grandchild (子の子) or a 同居人; about 5 % foreign households with 在留
data (中長期在留者 or 特別永住者). Every person has a full-snapshot history (1.2.1): a first row for
転入 or 出生, sometimes 転居 rows, and for some households a final 転出 row (住民状態 2), for some
elderly parents a 死亡 row (住民状態 3). A few birth dates are 不詳 (``YYYY-00-00`` with the flag set).
宛名番号 and 世帯番号 carry the M11 W2–7 check digit; 個人番号 its statutory check digit.

The 異動事由 / 消除の事由 values are invented ("A01" …): the official code table is not at hand.
"""

from __future__ import annotations

import datetime as _dt
import random
from collections.abc import Iterator

from kikan_std.jp.checkdigits import modulus11_w2_7_check_digit
from kikan_std.jp.lgcodes import local_government_codes
from kikan_std.jp.wareki import era_of
from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import Format
from kikan_std.specs import load_spec

_SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田", "芽室", "十勝")
_SURNAME_KANA = ("サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ",
                 "カトウ", "ヨシダ", "ヤマダ", "メムロ", "トカチ")
_MALE = (("一郎", "イチロウ"), ("太郎", "タロウ"), ("健太", "ケンタ"), ("翔", "ショウ"), ("大輔", "ダイスケ"), ("蓮", "レン"))
_FEMALE = (("花子", "ハナコ"), ("美咲", "ミサキ"), ("陽菜", "ヒナ"), ("結衣", "ユイ"), ("さくら", "サクラ"), ("葵", "アオイ"))
_FOREIGN_SURNAMES = ("ＫＩＭ", "ＬＥＥ", "ＺＨＡＮＧ", "ＷＡＮＧ", "ＮＧＵＹＥＮ", "ＳＭＩＴＨ", "ＳＩＬＶＡ")
_FOREIGN_GIVEN = ("ＭＩＮＪＵ", "ＹＵＬＩ", "ＷＥＩ", "ＡＮＨ", "ＪＯＨＮ", "ＭＡＲＩＡ", "ＳＯＯ")
_NATIONALITY = (("410", "韓国"), ("156", "中国"), ("704", "ベトナム"), ("840", "米国"), ("076", "ブラジル"))
_TOWNS = ("本町", "東一条", "西二条", "南町", "北町", "中央", "新町", "緑町")
_FW = str.maketrans("0123456789", "０１２３４５６７８９")
_TODAY = _dt.date(2026, 6, 30)

_CAUSE_IN, _CAUSE_BIRTH, _CAUSE_MOVE, _CAUSE_OUT, _CAUSE_DEATH = "A01", "A03", "C01", "B01", "B03"


def _numbered(seq: int, width: int) -> str:
    """``seq`` zero-padded to ``width - 1`` digits plus its M11 W2–7 check digit (remainder 1 → 0)."""
    body = f"{seq:0{width - 1}d}"
    return body + str(modulus11_w2_7_check_digit(body))


class _Municipality:
    """The invented town: its code, names and counters, and the random source."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        lg = local_government_codes()
        cities = sorted(c for c, n in lg.codes.items() if c[2:5] != "000" and len(n) <= 14)
        self.code = cities[self.rng.randrange(len(cities))]
        self.others = cities
        name = lg.codes[self.code]
        cut = 4 if name.startswith(("神奈川県", "和歌山県", "鹿児島県")) else 3
        self.pref, self.city = name[:cut], name[cut:]
        self.names = lg.codes
        self.next_atena = 1 + self.rng.randrange(1000)
        self.next_setai = 1 + self.rng.randrange(1000)

    def atena(self) -> str:
        self.next_atena += 1
        return _numbered(self.next_atena, 15)

    def setai(self) -> str:
        self.next_setai += 1
        return _numbered(self.next_setai, 15)

    def date_between(self, lo: _dt.date, hi: _dt.date) -> _dt.date:
        span = (hi - lo).days
        return lo + _dt.timedelta(days=self.rng.randrange(span + 1)) if span > 0 else lo

    def other_place(self) -> tuple[str, str, str]:
        code = self.others[self.rng.randrange(len(self.others))]
        name = self.names[code]
        cut = 4 if name.startswith(("神奈川県", "和歌山県", "鹿児島県")) else 3
        return code, name[:cut], name[cut:]


class _Writer:
    """Builds rows in header order from item names."""

    def __init__(self) -> None:
        self.header = [it.name for it in load_spec("jumin_kiroku").groups[0].items]
        self.index = {n: i for i, n in enumerate(self.header)}
        self.blank = [""] * len(self.header)

    def row(self, values: dict[str, str]) -> list[str]:
        r = list(self.blank)
        index = self.index
        for k, v in values.items():
            r[index[k]] = v
        return r


def _iso(d: _dt.date) -> str:
    return d.isoformat()


def _person(
    town: _Municipality,
    base: dict[str, str],
    *,
    relation: tuple[str, str],
    sex: str,
    birth: _dt.date,
    surname: int,
    foreign: bool,
    born_here_after: _dt.date | None,
    arrived: _dt.date,
) -> dict[str, str]:
    """The facts of one person (first history row) on top of the household's ``base``."""
    rng = town.rng
    p = dict(base)
    p["宛名番号"] = town.atena()
    p["続柄コード1"], p["続柄表記"] = relation
    p["性別"] = sex
    p["性別表記"] = "男" if sex == "1" else "女"
    unknown = born_here_after is None and birth.year < 1960 and rng.random() < 0.02
    if unknown:
        # 不詳日: the year is known, month and day are not (e.g. 「昭和10年頃」).
        p["生年月日"], p["生年月日_不詳フラグ"] = f"{birth.year:04d}-00-00", "1"
        birth = _dt.date(birth.year, 12, 31)  # the latest day it can be, for the order of events
    else:
        p["生年月日"], p["生年月日_不詳フラグ"] = _iso(birth), "0"
    if not foreign:
        p["生年月日_元号"] = str(era_of(birth).code)
        given, kana = (_MALE if sex == "1" else _FEMALE)[rng.randrange(6)]
        p["氏_日本人"], p["名_日本人"] = _SURNAMES[surname], given
        p["氏名"] = f"{_SURNAMES[surname]}\u3000{given}"
        p["氏_日本人_フリガナ"], p["名_日本人_フリガナ"] = _SURNAME_KANA[surname], kana
        p["氏名_フリガナ"] = f"{_SURNAME_KANA[surname]}\u3000{kana}"
        p["氏名_フリガナ確認状況"] = "1"
    else:
        name = f"{_FOREIGN_SURNAMES[surname % len(_FOREIGN_SURNAMES)]}\u3000{_FOREIGN_GIVEN[rng.randrange(7)]}"
        p["氏名"] = p["氏名_外国人ローマ字"] = name
    p["住民票コード"] = f"{rng.randrange(10**11):011d}"
    p["個人番号"] = FORMATS[Format.INDIVIDUAL_NUMBER].valid.sample(rng)
    if born_here_after is not None and birth >= born_here_after:
        became, cause = birth, _CAUSE_BIRTH
    else:
        became, cause = max(arrived, birth), _CAUSE_IN
        code, pref, city = town.other_place()
        p["転入前住所_市区町村コード"], p["転入前住所_都道府県"], p["転入前住所_市区郡町村名"] = code, pref, city
        p["転入前住所_町字"] = "本町一丁目"
        p["転入前住所_郵便番号"] = FORMATS[Format.POSTAL_CODE].valid.sample(rng)
    for k in ("住民となった年月日", "住所を定めた年月日", "異動年月日", "記載の異動年月日"):
        p[k] = _iso(became)
    for k in ("住民となった年月日_不詳フラグ", "住所を定めた年月日_不詳フラグ", "異動年月日_不詳フラグ",
              "記載の異動年月日_不詳フラグ"):
        p[k] = "0"
    p["異動事由"] = p["記載の事由"] = cause
    p["異動届出年月日"] = _iso(became)
    processed = min(became + _dt.timedelta(days=rng.randrange(0, 14)), _TODAY)
    p["処理年月日"] = p["操作年月日"] = _iso(processed)
    p["操作時刻"] = f"{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"
    if foreign:
        p["外国人住民となった年月日"], p["外国人住民となった年月日_不詳フラグ"] = _iso(became), "0"
        p["国籍等_国名コード"], p["国籍名等"] = _NATIONALITY[surname % len(_NATIONALITY)]
        special = p["国籍等_国名コード"] == "410" and rng.random() < 0.5
        p["第30条45規定区分"] = "2" if special else "1"
        p["在留カード等番号区分"] = "2" if special else "1"
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        p["在留カード等番号"] = (
            f"{letters[rng.randrange(23)]}{letters[rng.randrange(23)]}{rng.randrange(10**8):08d}"
            f"{letters[rng.randrange(23)]}{letters[rng.randrange(23)]}"
        )
        if not special:
            p["在留資格等コード"] = f"{rng.randrange(1, 40):02d}"
            p["在留期間等コード_年"] = str(rng.choice((1, 3, 5)))
            p["在留期間の満了の日"] = _iso(_TODAY + _dt.timedelta(days=rng.randrange(30, 1500)))
        p["住居地の届出の有無"] = "1"
    else:
        p["本籍"] = p["住所_都道府県"] + p["住所_市区郡町村名"]
        p["本籍_町字"] = p["住所_町字"]
        p["本籍_地番号または、街区符号"] = f"{rng.randrange(1, 999)}番地".translate(_FW)
        p["本籍_市区町村コード"] = p["住所_市区町村コード"]
        p["本籍_町字コード"] = p["住所_町字コード"]
    p["_processed"] = _iso(processed)
    return p


def _history(town: _Municipality, w: _Writer, person: dict[str, str], rows: int, outcome: str) -> list[list[str]]:
    """``rows`` full-snapshot rows of one person: first row, 転居 rows, and an ``outcome`` row."""
    rng = town.rng
    out: list[dict[str, str]] = []
    cur = dict(person)
    last = _dt.date.fromisoformat(cur.pop("_processed"))
    for n in range(1, rows + 1):
        if n > 1:
            cur = dict(cur)
            day = town.date_between(last, min(last + _dt.timedelta(days=900), _TODAY))
            cur["異動年月日"] = cur["異動届出年月日"] = cur["処理年月日"] = cur["操作年月日"] = _iso(day)
            cur["異動年月日_不詳フラグ"] = "0"
            last = day
            if n == rows and outcome == "out":
                code, pref, city = town.other_place()
                cur["住民状態"], cur["除票フラグ"], cur["異動事由"] = "2", "1", _CAUSE_OUT
                cur["消除の事由"], cur["消除の異動年月日"], cur["消除の届出年月日"] = _CAUSE_OUT, _iso(day), _iso(day)
                cur["消除の異動年月日_不詳フラグ"] = "0"
                cur["転出届出年月日"] = cur["転出予定年月日"] = cur["転出年月日（確定）"] = _iso(day)
                cur["転出先住所（確定）_市区町村コード"] = code
                cur["転出先住所（確定）_都道府県"], cur["転出先住所（確定）_市区郡町村名"] = pref, city
                cur["転出先住所（確定）_町字"] = "中央一丁目"
                cur["転出先住所（確定）_郵便番号"] = FORMATS[Format.POSTAL_CODE].valid.sample(rng)
            elif n == rows and outcome == "death":
                cur["住民状態"], cur["除票フラグ"], cur["異動事由"] = "3", "1", _CAUSE_DEATH
                cur["消除の事由"], cur["消除の異動年月日"] = _CAUSE_DEATH, _iso(day)
                cur["消除の届出年月日"], cur["消除の異動年月日_不詳フラグ"] = _iso(day), "0"
            else:  # 転居 within the town
                cur["異動事由"] = _CAUSE_MOVE
                cur["住所を定めた年月日"] = _iso(day)
                cur["住所_番地号表記"] = f"{rng.randrange(1, 30)}番{rng.randrange(1, 20)}号".translate(_FW)
        cur["個人履歴番号"] = str(n)
        cur["個人履歴番号_枝番号"] = "0"
        cur["最新フラグ"] = "1" if n == rows else "0"
        out.append(cur)
    return [w.row(r) for r in out]


def _household(town: _Municipality, w: _Writer, max_rows: int) -> list[list[str]]:
    """One household's rows, or a one-person household of exactly ``max_rows`` rows if it would not fit."""
    rng = town.rng
    foreign = rng.random() < 0.05
    surname = rng.randrange(len(_SURNAMES))
    town_i = rng.randrange(len(_TOWNS))
    chome = rng.randrange(1, 6)
    base = {
        "市区町村コード": town.code,
        "世帯番号": town.setai(),
        "住民種別": "2" if foreign else "1",
        "住民状態": "1",
        "住所_市区町村コード": town.code,
        "住所_町字コード": f"{town_i + 1:04d}{chome:03d}",
        "住所_都道府県": town.pref,
        "住所_市区郡町村名": town.city,
        "住所_町字": f"{_TOWNS[town_i]}{'一二三四五'[chome - 1]}丁目",
        "住所_番地号表記": f"{rng.randrange(1, 30)}番{rng.randrange(1, 20)}号".translate(_FW),
        "住所_郵便番号": FORMATS[Format.POSTAL_CODE].valid.sample(rng),
        "除票フラグ": "0",
        "削除フラグ": "0",
        "履歴選択不可フラグ": "0",
        "統合宛名フラグ": "0",
        "他業務参照不可フラグ": "0",
        "選挙人名簿登録有無": "0" if foreign else "1",
        "業務ID": "001",
        "操作者ID": f"OP{rng.randrange(1000):04d}",
    }
    if rng.random() < 0.3:
        base["住所_方書"] = f"ハイツ{rng.randrange(1, 30)}０{rng.randrange(1, 10)}号".translate(_FW)
    arrived = town.date_between(_dt.date(1990, 1, 1), _dt.date(2024, 12, 31))
    head_sex = "1" if rng.random() < 0.8 else "2"
    head_birth = town.date_between(_dt.date(1935, 1, 1), min(arrived - _dt.timedelta(days=365 * 18), _TODAY))
    outcome = "out" if rng.random() < 0.08 else "stay"

    members: list[tuple[dict[str, str], str]] = []

    def add(relation: tuple[str, str], sex: str, birth: _dt.date, born_here: bool, fate: str = "") -> None:
        p = _person(town, base, relation=relation, sex=sex, birth=birth, surname=surname, foreign=foreign,
                    born_here_after=arrived if born_here else None, arrived=arrived)
        members.append((p, fate or outcome))

    add(("02", "世帯主"), head_sex, head_birth, False)
    if max_rows < 6:
        # Not enough room left for a household: one person with exactly max_rows rows.
        p, _ = members[0]
        p["世帯主氏名"] = p["氏名"]
        if not foreign:
            p["戸籍_筆頭者"] = p["氏名"]
        return _history(town, w, p, max_rows, "stay")
    if rng.random() < 0.6:
        spouse_sex = "2" if head_sex == "1" else "1"
        spouse_birth = town.date_between(head_birth - _dt.timedelta(days=1500), head_birth + _dt.timedelta(days=1500))
        add(("12", "妻") if spouse_sex == "2" else ("11", "夫"), spouse_sex, min(spouse_birth, arrived), False)
        for _ in range(rng.choice((0, 0, 1, 2, 2, 3))):
            lo = head_birth + _dt.timedelta(days=365 * 20)
            if lo >= _TODAY:
                break
            child_birth = town.date_between(lo, min(lo + _dt.timedelta(days=365 * 20), _TODAY))
            add(("20", "子"), "1" if rng.random() < 0.5 else "2", child_birth, True)
    if rng.random() < 0.1:
        parent_birth = town.date_between(head_birth - _dt.timedelta(days=365 * 40), head_birth - _dt.timedelta(days=365 * 20))
        sex = "1" if rng.random() < 0.5 else "2"
        fate = "death" if outcome == "stay" and rng.random() < 0.3 else ""
        add(("51", "父") if sex == "1" else ("52", "母"), sex, parent_birth, False, fate)
    if rng.random() < 0.03:
        lo = head_birth + _dt.timedelta(days=365 * 42)
        if lo < _TODAY:
            add(("20", "子の子"), "1", town.date_between(lo, _TODAY), True)
    if rng.random() < 0.02:
        add(("99", "同居人"), "1", town.date_between(_dt.date(1950, 1, 1), arrived - _dt.timedelta(days=365 * 18)), False)
    head_name = members[0][0]["氏名"]
    rows: list[list[str]] = []
    for p, fate in members:
        p["世帯主氏名"] = head_name
        if not foreign:
            p["戸籍_筆頭者"] = head_name
        n = 1 + (rng.random() < 0.3) + (rng.random() < 0.1) + (fate in ("out", "death"))
        rows.extend(_history(town, w, p, n, fate))
    if len(rows) > max_rows:
        return _household(town, w, max_rows)  # too big for what is left: draw another
    return rows


def iter_jumin_kiroku(rows: int, seed: int = 0) -> Iterator[list[str]]:
    """A valid synthetic 住民記録 export of exactly ``rows`` records (first the header)."""
    w = _Writer()
    yield list(w.header)
    town = _Municipality(seed)
    left = rows
    while left > 0:
        batch = _household(town, w, left)
        left -= len(batch)
        yield from batch
