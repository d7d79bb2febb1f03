"""Synthetic beneficiary lists and applications with injected variants and ground truth.

Every household is generated from its own seeded RNG (``seed``, household index), so the files can
be written as streams in any order without holding them in memory. The beneficiary list is in
household order (record M = household M). Applications are written in shuffled order; ``truth.csv``
gives, for each application record N, the beneficiary record M it belongs to (empty for applicants
not on the list) and the variants injected.

Injected variants (tags in ``truth.csv``):

``kanji_variant`` head's surname in a variant form on one side (渡邊/渡辺, 髙橋/高橋, 山﨑/山崎…);
``address_notation`` 1丁目2番3号 / 1-2-3 / 1丁目2-3; ``address_numerals`` 一丁目二番三号;
``address_prefix`` 都道府県 (and sometimes 市区町村) omitted; ``address_aza`` 大字 omitted;
``wareki`` birth date in 和暦 (昭和50年1月1日, S50.1.1, 昭和５０年１月１日);
``width`` full-width digits / letters; ``member_missing`` one member not applied for;
``member_added`` a member not on the list; ``typo`` one character of the head's given name wrong;
``duplicate`` a second application for the household; ``wrong_account_kana`` the account holder is
another person (the spouse); ``account_hiragana`` the holder written in hiragana / full-width;
``bad_account_number`` six digits; ``bad_account_type`` 貯蓄; ``nonresident`` an applicant not on
the list; ``spaces`` spaces inside the address; ``date_format`` a Gregorian date written 1975/1/1,
1975年1月1日 or 1975.01.01; ``address_building`` the 方書 (apartment and room) of the registered
address omitted or written differently; ``bank_name`` the bank and branch given by name only (a
realistic variant: 三菱ＵＦＪ, ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ, MUFG …), ``bank_unresolvable`` by a name the code
table cannot resolve (三菱銀行, ちゅうごく).

Namesakes (``namesake_rate``): a second household on the list with the same head's name and birth
date at another 丁目, 番 or 号 of the same town. For ``namesake_absent_rate`` of them the true
household is left off the list, so its application has no right answer on the list (truth empty,
tag ``true_absent``) while a namesake is there: matching it automatically would pay the wrong
household. The list then has namesakes appended after the households, so list record numbers are
given by ``truth.csv`` (and :func:`beneficiary_records`), not by the household index.
"""

from __future__ import annotations

import csv
import random
import unicodedata
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from kikan_std.jp import wareki
from kikan_std.jp.zengin import to_zengin_kana
from kikan_std.reconcile.variants import fold_variants

__all__ = ["GenConfig", "Household", "generate_files", "household", "iter_applications"]

# (surname, kana, variant forms)
SURNAMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("佐藤", "サトウ", ()),
    ("鈴木", "スズキ", ()),
    ("高橋", "タカハシ", ("髙橋",)),
    ("田中", "タナカ", ()),
    ("伊藤", "イトウ", ()),
    ("渡辺", "ワタナベ", ("渡邊", "渡邉")),
    ("山本", "ヤマモト", ()),
    ("中村", "ナカムラ", ()),
    ("小林", "コバヤシ", ()),
    ("加藤", "カトウ", ()),
    ("吉田", "ヨシダ", ("𠮷田",)),
    ("山田", "ヤマダ", ()),
    ("佐々木", "ササキ", ()),
    ("山口", "ヤマグチ", ()),
    ("斎藤", "サイトウ", ("齋藤", "齊藤")),
    ("松本", "マツモト", ()),
    ("井上", "イノウエ", ()),
    ("木村", "キムラ", ()),
    ("林", "ハヤシ", ()),
    ("清水", "シミズ", ()),
    ("山崎", "ヤマザキ", ("山﨑",)),
    ("森", "モリ", ()),
    ("池田", "イケダ", ()),
    ("橋本", "ハシモト", ()),
    ("阿部", "アベ", ()),
    ("石川", "イシカワ", ()),
    ("浜田", "ハマダ", ("濱田", "濵田")),
    ("沢田", "サワダ", ("澤田",)),
    ("桜井", "サクライ", ("櫻井",)),
    ("広瀬", "ヒロセ", ("廣瀬",)),
    ("島田", "シマダ", ("嶋田",)),
    ("徳永", "トクナガ", ("德永",)),
    ("小野", "オノ", ()),
    ("長谷川", "ハセガワ", ()),
    ("近藤", "コンドウ", ()),
    ("岡田", "オカダ", ()),
    ("後藤", "ゴトウ", ()),
    ("村上", "ムラカミ", ()),
    ("前田", "マエダ", ()),
    ("藤田", "フジタ", ()),
    ("遠藤", "エンドウ", ()),
    ("青木", "アオキ", ()),
    ("坂本", "サカモト", ()),
    ("福田", "フクダ", ()),
    ("太田", "オオタ", ()),
    ("西村", "ニシムラ", ()),
    ("藤井", "フジイ", ()),
    ("金子", "カネコ", ()),
    ("中島", "ナカジマ", ("中嶋",)),
    ("原田", "ハラダ", ()),
    ("松田", "マツダ", ()),
    ("竹内", "タケウチ", ()),
    ("上野", "ウエノ", ()),
    ("野村", "ノムラ", ()),
    ("高木", "タカギ", ("髙木",)),
    ("宮崎", "ミヤザキ", ("宮﨑",)),
    ("富田", "トミタ", ("冨田",)),
    ("菊地", "キクチ", ()),
    ("大野", "オオノ", ()),
    ("渡部", "ワタナベ", ()),
)
MALE: tuple[tuple[str, str], ...] = (
    ("太郎", "タロウ"),
    ("次郎", "ジロウ"),
    ("一郎", "イチロウ"),
    ("健", "ケン"),
    ("誠", "マコト"),
    ("翔太", "ショウタ"),
    ("大輔", "ダイスケ"),
    ("拓也", "タクヤ"),
    ("浩", "ヒロシ"),
    ("隆", "タカシ"),
    ("清", "キヨシ"),
    ("茂", "シゲル"),
    ("勇気", "ユウキ"),
    ("蓮", "レン"),
    ("陽翔", "ハルト"),
    ("悠真", "ユウマ"),
    ("修", "オサム"),
    ("和也", "カズヤ"),
    ("直樹", "ナオキ"),
    ("恭平", "キョウヘイ"),
    ("祐介", "ユウスケ"),
    ("俊介", "シュンスケ"),
    ("亮", "リョウ"),
    ("雄一", "ユウイチ"),
    ("正男", "マサオ"),
    ("秀樹", "ヒデキ"),
    ("達也", "タツヤ"),
    ("健太", "ケンタ"),
    ("翼", "ツバサ"),
    ("湊", "ミナト"),
)
FEMALE: tuple[tuple[str, str], ...] = (
    ("花子", "ハナコ"),
    ("陽子", "ヨウコ"),
    ("恵子", "ケイコ"),
    ("京子", "キョウコ"),
    ("幸子", "サチコ"),
    ("裕子", "ユウコ"),
    ("美咲", "ミサキ"),
    ("由美", "ユミ"),
    ("真由美", "マユミ"),
    ("直美", "ナオミ"),
    ("智子", "トモコ"),
    ("久美子", "クミコ"),
    ("結衣", "ユイ"),
    ("陽菜", "ヒナ"),
    ("葵", "アオイ"),
    ("さくら", "サクラ"),
    ("愛", "アイ"),
    ("彩", "アヤ"),
    ("舞", "マイ"),
    ("翔子", "ショウコ"),
    ("千尋", "チヒロ"),
    ("明美", "アケミ"),
    ("純子", "ジュンコ"),
    ("節子", "セツコ"),
    ("和子", "カズコ"),
    ("涼子", "リョウコ"),
    ("七海", "ナナミ"),
    ("美穂", "ミホ"),
    ("香織", "カオリ"),
    ("優子", "ユウコ"),
)
TYPO_CHARS = "大朗介助美実一二三明光正和安"
# (prefecture, municipality, rural: uses 大字 and 番地)
MUNICIPALITIES: tuple[tuple[str, str, bool], ...] = (
    ("東京都", "港区", False),
    ("東京都", "新宿区", False),
    ("東京都", "世田谷区", False),
    ("東京都", "八王子市", False),
    ("大阪府", "大阪市北区", False),
    ("大阪府", "堺市堺区", False),
    ("北海道", "札幌市中央区", False),
    ("神奈川県", "横浜市西区", False),
    ("愛知県", "名古屋市中区", False),
    ("福岡県", "福岡市博多区", False),
    ("宮城県", "仙台市青葉区", False),
    ("京都府", "京都市中京区", False),
    ("埼玉県", "さいたま市大宮区", False),
    ("千葉県", "千葉市中央区", False),
    ("広島県", "広島市中区", False),
    ("茨城県", "つくば市", True),
    ("長野県", "上田市", True),
    ("岡山県", "倉敷市", True),
    ("新潟県", "長岡市", True),
    ("熊本県", "阿蘇市", True),
    ("秋田県", "横手市", True),
)
TOWN_HEADS = "東西南北中上下新本元大小若桜松竹梅青緑白赤金銀"
TOWN_TAILS = ("町", "台", "原", "田", "山", "川", "沢", "野", "岡", "浜", "坂", "丘", "崎", "島", "谷")
TOWN_MIDS = ("見", "里", "宮", "森", "泉", "川", "木", "石", "井", "尾", "ケ", "が")
KANJI_DIGITS = "〇一二三四五六七八九"
DEFAULT_SEED = 20200427
# (bank code, branch code, bank name variants, branch name variants) — names as residents write them;
# every variant resolves uniquely in the zengin-code table.
BANKS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("0005", "001", ("三菱UFJ銀行", "三菱ＵＦＪ", "ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ", "MUFG", "三菱ＵＦＪ銀行"), ("本店", "本店営業部", "ﾎﾝﾃﾝ")),
    ("0005", "002", ("三菱UFJ銀行", "三菱UFJ"), ("丸の内支店", "丸の内", "ﾏﾙﾉｳﾁ")),
    ("0001", "001", ("みずほ銀行", "ﾐｽﾞﾎ", "みずほ"), ("東京営業部", "東京", "ﾄｳｷｮｳ")),
    ("0009", "001", ("三井住友銀行", "SMBC", "ﾐﾂｲｽﾐﾄﾓ", "三井住友"), ("神保町支店", "神保町", "ｼﾞﾝﾎﾞｳﾁｮｳ")),
    ("0010", "005", ("りそな銀行", "ﾘｿﾅ", "りそな"), ("天理支店", "天理", "ﾃﾝﾘ")),
    ("9900", "018", ("ゆうちょ銀行", "ﾕｳﾁｮ", "ゆうちょ"), ("〇一八", "〇一八店", "ゼロイチハチ")),
)
UNRESOLVABLE_BANKS: tuple[tuple[str, str], ...] = (("三菱銀行", "本店"), ("ちゅうごく", "本店"))
APARTMENTS = ("コーポ", "ハイツ", "メゾン", "レジデンス")


def _kanji_num(n: int) -> str:
    if n < 10:
        return KANJI_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else KANJI_DIGITS[tens]) + "十" + ("" if ones == 0 else KANJI_DIGITS[ones])


@dataclass(frozen=True, slots=True)
class GenConfig:
    """Rates of the injected variants (per application unless noted)."""

    seed: int = DEFAULT_SEED
    apply_rate: float = 0.97  # households that apply at all
    duplicate_rate: float = 0.01
    nonresident_rate: float = 0.01  # extra applications from people not on the list
    kanji_variant: float = 0.5  # of households whose surname has variants
    address_notation: float = 0.5
    address_numerals: float = 0.15
    address_prefix: float = 0.2
    wareki: float = 0.5
    width: float = 0.2
    member_missing: float = 0.05
    member_added: float = 0.03
    typo: float = 0.03
    wrong_account_kana: float = 0.02
    account_hiragana: float = 0.05
    bad_account_number: float = 0.01
    bad_account_type: float = 0.01
    namesake_rate: float = 0.03  # households with a namesake (same name and birth date) nearby
    namesake_absent_rate: float = 0.5  # of those, the true household is not on the list
    spaces: float = 0.1
    date_format: float = 0.1
    bank_name_only: float = 0.7  # applications giving bank/branch names without codes
    bank_unresolvable: float = 0.01


@dataclass(slots=True)
class Household:
    """One synthetic household (the truth)."""

    index: int
    surname: int
    head_given: tuple[str, str]
    head_dob: date
    spouse: tuple[str, str] | None
    children: list[tuple[str, str]]
    pref: str
    city: str
    rural: bool
    town: str
    numbers: tuple[int, int, int]
    bank: tuple[str, str]
    account: str
    ben_variant: str | None = None
    apartment: tuple[str, int] | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def head(self) -> str:
        """The head's name as registered (possibly a variant form)."""
        return f"{self.ben_variant or SURNAMES[self.surname][0]} {self.head_given[0]}"

    @property
    def head_kana(self) -> str:
        """The head's kana name."""
        return f"{SURNAMES[self.surname][1]} {self.head_given[1]}"

    def members(self) -> list[str]:
        """Members other than the head, as registered."""
        sn = self.ben_variant or SURNAMES[self.surname][0]
        out = [f"{sn} {g}" for g, _ in ([self.spouse] if self.spouse else []) + self.children]
        return out


def _rng(seed: int, *parts: int) -> random.Random:
    x = seed
    for p in parts:
        x = (x * 1_000_003 + p) & 0xFFFFFFFFFFFF
    return random.Random(x)


def household(seed: int, index: int) -> Household:
    """The household number ``index`` (0-based) of the set ``seed``."""
    r = _rng(seed, index)
    s = r.randrange(len(SURNAMES))
    male = r.random() < 0.7
    given = r.choice(MALE if male else FEMALE)
    dob = date(1930, 1, 1) + timedelta(days=r.randrange(365 * 72))
    spouse = r.choice(FEMALE if male else MALE) if r.random() < 0.6 else None
    kids: list[tuple[str, str]] = []
    for _ in range(r.choice((0, 0, 1, 1, 2, 2, 3))):
        k = r.choice(MALE + FEMALE)
        if k != given and k != spouse and k not in kids:
            kids.append(k)
    pref, city, rural = MUNICIPALITIES[r.randrange(len(MUNICIPALITIES))]
    town = r.choice(TOWN_HEADS) + r.choice(TOWN_MIDS) + r.choice(TOWN_TAILS)
    nums = (r.randint(1, 9), r.randint(1, 40), r.randint(1, 30))
    if rural:
        nums = (r.randint(1, 3999), r.randint(1, 20), 0)
    variants = SURNAMES[s][2]
    ben_variant = r.choice(variants) if variants and r.random() < 0.3 else None
    bank_i = r.randrange(len(BANKS))
    bank = (BANKS[bank_i][0], BANKS[bank_i][1])
    apartment = None
    if not rural and r.random() < 0.2:
        apartment = (r.choice(APARTMENTS) + r.choice(TOWN_HEADS), r.randint(1, 9) * 100 + r.randint(1, 12))
    return Household(
        index,
        s,
        given,
        dob,
        spouse,
        kids,
        pref,
        city,
        rural,
        town,
        nums,
        bank,
        f"{r.randrange(10**7):07d}",
        ben_variant,
        apartment,
    )


def _full_width(s: str) -> str:
    return s.translate(
        str.maketrans(
            "0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "０１２３４５６７８９－ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ",
        )
    )


def registered_address(h: Household) -> str:
    """The address as the 住民基本台帳 writes it."""
    a, b, c = h.numbers
    base = f"{h.pref}{h.city}"
    if h.rural:
        return f"{base}大字{h.town}{a}番地{b}" if b else f"{base}大字{h.town}{a}番地"
    apt = f"　{h.apartment[0]}{h.apartment[1]}号室" if h.apartment else ""
    return f"{base}{h.town}{_kanji_num(a)}丁目{b}番{c}号{apt}"


def beneficiary_row(h: Household) -> dict[str, str]:
    """One beneficiary-list row."""
    return {
        "No": f"{h.index + 1:08d}",
        "世帯主氏名": h.head,
        "世帯主氏名（カナ）": h.head_kana,
        "住所": registered_address(h),
        "生年月日": h.head_dob.isoformat(),
        "世帯員": "、".join(h.members()),
    }


def application_row(
    h: Household, cfg: GenConfig, copy: int, nonresident: bool = False
) -> tuple[dict[str, str], list[str]]:
    """One application of household ``h`` with variants injected, and the variant tags."""
    r = _rng(cfg.seed, h.index, 7919 + copy)
    tags: list[str] = []
    sn, sn_kana, variants = SURNAMES[h.surname]
    surname = sn
    if variants and r.random() < cfg.kanji_variant:
        # Registered in variant form → applicant types the common form, or the other way round.
        surname = sn if h.ben_variant else r.choice(variants)
        tags.append("kanji_variant")
    elif h.ben_variant:
        surname = h.ben_variant
    given = h.head_given[0]
    if r.random() < cfg.typo and len(given) >= 1:
        i = r.randrange(len(given))
        new = r.choice([c for c in TYPO_CHARS if c != given[i]])
        given = given[:i] + new + given[i + 1 :]
        tags.append("typo")
    head = f"{surname}{r.choice((' ', '　', ''))}{given}"
    # Address
    a, b, c = h.numbers
    prefix = f"{h.pref}{h.city}"
    if r.random() < cfg.address_prefix:
        prefix = h.city
        tags.append("address_prefix")
    town = h.town
    if h.rural:
        if r.random() < cfg.address_notation:
            rest = f"{a}-{b}" if b else f"{a}"
            tags.append("address_notation")
        else:
            rest = f"{a}番地{b}" if b else f"{a}番地"
        if r.random() < 0.5:
            town = "大字" + town
        else:
            tags.append("address_aza")
    else:
        roll = r.random()
        if roll < cfg.address_numerals:
            rest = f"{_kanji_num(a)}丁目{_kanji_num(b)}番{_kanji_num(c)}号"
            tags.append("address_numerals")
        elif roll < cfg.address_numerals + cfg.address_notation:
            rest = r.choice((f"{a}-{b}-{c}", f"{a}丁目{b}-{c}", f"{a}ー{b}ー{c}"))
            tags.append("address_notation")
        else:
            rest = f"{a}丁目{b}番{c}号"
            tags.append("address_numerals")  # registered form uses 一丁目
    if h.apartment:
        roll = r.random()
        if roll < 0.4:
            tags.append("address_building")  # 方書 omitted
        elif roll < 0.7:
            rest += f" {h.apartment[0]}{h.apartment[1]}"
        else:
            rest += f"-{h.apartment[1]}" if roll < 0.85 else f"{h.apartment[0]}{h.apartment[1]}号室"
    sep = ""
    if r.random() < cfg.spaces:
        sep = r.choice((" ", "　"))
        tags.append("spaces")
    address = f"{prefix}{sep}{town}{sep}{rest}"
    # Birth date
    dob = h.head_dob.isoformat()
    if r.random() < cfg.wareki:
        era, y = wareki.to_wareki(h.head_dob)
        style = r.randrange(3)
        ytxt = "元" if y == 1 else str(y)
        if style == 0:
            dob = f"{era.name}{ytxt}年{h.head_dob.month}月{h.head_dob.day}日"
        elif style == 1:
            dob = f"{era.initial}{y}.{h.head_dob.month}.{h.head_dob.day}"
        else:
            dob = _full_width(f"{era.name}{ytxt}年{h.head_dob.month}月{h.head_dob.day}日").replace("－", "-")
        tags.append("wareki")
    elif r.random() < cfg.date_format:
        d = h.head_dob
        dob = r.choice((f"{d.year}/{d.month}/{d.day}", f"{d.year}年{d.month}月{d.day}日", f"{d.year}.{d.month:02d}.{d.day:02d}"))
        tags.append("date_format")
    if r.random() < cfg.width:
        address = _full_width(address)
        dob = _full_width(dob) if not dob[:1].isdigit() or "wareki" in tags else _full_width(dob.replace("-", "/"))
        tags.append("width")
    # Members
    members = [m.replace(h.ben_variant or sn, surname) for m in h.members()]
    if members and r.random() < cfg.member_missing:
        members.pop(r.randrange(len(members)))
        tags.append("member_missing")
    if r.random() < cfg.member_added:
        extra = r.choice(MALE + FEMALE)[0]
        name = f"{surname} {extra}"
        if all(extra not in m for m in members) and extra != h.head_given[0]:
            members.append(name)
            tags.append("member_added")
    # Account
    kana = h.head_kana
    acct = _to_half(kana) if r.random() < 0.5 else to_zengin_kana(kana)[0]
    if r.random() < cfg.wrong_account_kana and h.spouse:
        acct = _to_half(f"{sn_kana} {h.spouse[1]}")
        tags.append("wrong_account_kana")
    elif r.random() < cfg.account_hiragana:
        acct = kana.translate({i + 0x60: i for i in range(0x3041, 0x3097)})
        tags.append("account_hiragana")
    number = h.account
    if r.random() < cfg.bad_account_number:
        number = number[:6]
        tags.append("bad_account_number")
    atype = "普通"
    if r.random() < cfg.bad_account_type:
        atype = "貯蓄"
        tags.append("bad_account_type")
    elif r.random() < 0.05:
        atype = "当座"
    if nonresident:
        tags = ["nonresident"]
    bank_code, branch_code = h.bank
    bank = next(b for b in BANKS if (b[0], b[1]) == h.bank)
    bank_name, branch_name = r.choice(bank[2]), r.choice(bank[3])
    if r.random() < cfg.bank_unresolvable:
        bank_name, branch_name = r.choice(UNRESOLVABLE_BANKS)
        bank_code = branch_code = ""
        tags.append("bank_unresolvable")
    elif r.random() < cfg.bank_name_only:
        bank_code = branch_code = ""
        tags.append("bank_name")
    row = {
        "世帯主氏名": head,
        "住所": address,
        "生年月日": dob,
        "世帯員": "、".join(members),
        "銀行名": bank_name,
        "支店名": branch_name,
        "口座区分": atype,
        "口座番号": number,
        "口座名義（カナ）": acct,
        "銀行コード": bank_code,
        "支店コード": branch_code,
    }
    return row, tags


@cache
def _to_half(kana: str) -> str:
    """Half-width kana as typed by residents: small kana kept (ｷｮｳｺ), ー → ｰ."""
    out: list[str] = []
    for ch in kana:
        if ch in _FULL_TO_HALF:
            out.append(_FULL_TO_HALF[ch])
            continue
        dec = unicodedata.normalize("NFD", ch)
        if len(dec) == 2 and dec[1] in "\u3099\u309a" and dec[0] in _FULL_TO_HALF:
            out.append(_FULL_TO_HALF[dec[0]] + ("ﾞ" if dec[1] == "\u3099" else "ﾟ"))
        else:
            out.append(ch)
    return "".join(out)


_FULL_TO_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF61, 0xFFA0)}


def iter_applications(n: int, cfg: GenConfig) -> Iterator[tuple[int, int]]:
    """(household index, copy) of each application, in application order (shuffled)."""
    r = _rng(cfg.seed, 0xA991)
    specs: list[int] = []
    for i in range(n):
        hr = _rng(cfg.seed, i, 13)
        if hr.random() < cfg.apply_rate:
            specs.append(i * 2)
            if hr.random() < cfg.duplicate_rate:
                specs.append(i * 2 + 1)
    extra = int(n * cfg.nonresident_rate)
    specs.extend((n + j) * 2 for j in range(extra))
    r.shuffle(specs)
    for s in specs:
        yield divmod(s, 2)


APPLICATION_HEADER = (
    "世帯主氏名",
    "住所",
    "生年月日",
    "世帯員",
    "銀行名",
    "支店名",
    "口座区分",
    "口座番号",
    "口座名義（カナ）",
    "銀行コード",
    "支店コード",
)
BENEFICIARY_HEADER = ("No", "世帯主氏名", "世帯主氏名（カナ）", "住所", "生年月日", "世帯員")


def true_absent(cfg: GenConfig, index: int) -> bool:
    """Whether household ``index`` (which has a namesake) is left off the list."""
    return _rng(cfg.seed, index, 19).random() < cfg.namesake_absent_rate


def _namesake(cfg: GenConfig, h: Household) -> Household | None:
    r = _rng(cfg.seed, h.index, 17)
    if r.random() >= cfg.namesake_rate:
        return None
    return _make_namesake(r, h)


def _make_namesake(r: random.Random, h: Household) -> Household:
    nums = list(h.numbers)
    which = r.randrange(2 if h.rural else 3)
    old = nums[which]
    while nums[which] == old:
        nums[which] = r.randint(1, 9 if which == 0 and not h.rural else 30)
    spouse = r.choice(FEMALE + MALE)
    return Household(
        h.index, h.surname, h.head_given, h.head_dob, spouse, [], h.pref, h.city, h.rural, h.town,
        (nums[0], nums[1], nums[2]), h.bank, h.account, h.ben_variant, None,
    )


def generate_files(
    n: int, out_dir: str | Path, cfg: GenConfig | None = None, *, encoding: str = "utf-8"
) -> tuple[Path, Path, Path]:
    """Write ``beneficiaries.csv``, ``applications.csv`` and ``truth.csv`` for ``n`` households.

    ``truth.csv`` has, per application: the list record it belongs to (empty when the household is
    not on the list), the injected variant tags, and the expected bank and branch codes (empty when
    the names cannot be resolved).

    Returns:
        The three paths.
    """
    cfg = cfg or GenConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    bpath, apath, tpath = out / "beneficiaries.csv", out / "applications.csv", out / "truth.csv"
    fit = _fitter(encoding)
    rec_of = array("l", [0]) * n  # household index → list record (0: not on the list)
    absent: set[int] = set()
    with bpath.open("w", encoding=encoding, newline="") as f:
        w = csv.DictWriter(f, BENEFICIARY_HEADER, lineterminator="\r\n")
        w.writeheader()
        record = 0
        namesakes: list[Household] = []
        for i in range(n):
            h = household(cfg.seed, i)
            ns = _namesake(cfg, h)
            if ns is not None:
                namesakes.append(ns)
                if true_absent(cfg, i):
                    absent.add(i)
                    continue
            record += 1
            rec_of[i] = record
            w.writerow(fit(beneficiary_row(h)))
        for ns in namesakes:
            row = beneficiary_row(ns)
            row["No"] = f"N{ns.index + 1:07d}"
            w.writerow(fit(row))
    with (
        apath.open("w", encoding=encoding, newline="") as fa,
        tpath.open("w", encoding="utf-8", newline="") as ft,
    ):
        wa = csv.DictWriter(fa, APPLICATION_HEADER, lineterminator="\r\n")
        wt = csv.writer(ft, lineterminator="\n")
        wa.writeheader()
        wt.writerow(("application", "beneficiary", "variants", "bank_code", "branch_code"))
        for no, (i, copy) in enumerate(iter_applications(n, cfg), start=1):
            h = household(cfg.seed, i)
            nonresident = i >= n
            row, tags = application_row(h, cfg, copy, nonresident)
            if copy:
                tags.append("duplicate")
            if i in absent:
                tags.append("true_absent")
            wa.writerow(fit(row))
            codes = ("", "") if "bank_unresolvable" in tags else h.bank
            wt.writerow((no, "" if nonresident or i in absent else rec_of[i], ";".join(tags), *codes))
    return bpath, apath, tpath


def _fitter(encoding: str) -> Callable[[dict[str, str]], dict[str, str]]:
    """For non-Unicode encodings (cp932), fold characters the encoding lacks (𠮷 → 吉)."""
    if "utf" in encoding.lower().replace("_", "-"):
        return lambda row: row

    def fit(row: dict[str, str]) -> dict[str, str]:
        out = {}
        for k, v in row.items():
            try:
                v.encode(encoding)
            except UnicodeEncodeError:
                v = "".join(_fold_char(ch, encoding) for ch in v)
            out[k] = v
        return out

    return fit


def _fold_char(ch: str, encoding: str) -> str:
    try:
        ch.encode(encoding)
        return ch
    except UnicodeEncodeError:
        return fold_variants(ch)


def read_bank_truth(path: str | Path) -> dict[int, tuple[str, str]]:
    """``truth.csv`` as {application: (expected bank code, branch code)} ("" when unresolvable)."""
    with Path(path).open(encoding="utf-8", newline="") as f:
        return {int(row["application"]): (row["bank_code"], row["branch_code"]) for row in csv.DictReader(f)}


def read_truth(path: str | Path) -> dict[int, tuple[int | None, tuple[str, ...]]]:
    """``truth.csv`` as {application: (beneficiary or None, variant tags)}."""
    out: dict[int, tuple[int | None, tuple[str, ...]]] = {}
    with Path(path).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            b = row["beneficiary"]
            out[int(row["application"])] = (
                int(b) if b else None,
                tuple(t for t in row["variants"].split(";") if t),
            )
    return out
