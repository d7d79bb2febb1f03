"""Annotations inferred from a 基本データリスト row: the one place where our reading of the text lives.

An official workbook says an item's type, length, code list and output condition, but not which
items hold personal data, which content format its 項目説明 pins down, where 不詳日 is allowed or
which other spellings vendors use for its name. Both the built-in specs
(``tools/build_jutogai_atena.py``) and the workbook importer (:mod:`kikan_std.model.workbook`) call
:func:`annotate_item` here, so a built-in spec and the same workbook imported at run time cannot
drift apart (the text patterns naming a content format sit in each format's entry of
:data:`kikan_std.model.formats.FORMATS`, used from here). Every rule is a pattern over the official
text that can be applied to ANY workbook; nothing here is keyed on a particular business.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kikan_std.model.formats import FORMATS

# -- personal data -----------------------------------------------------------------------------
# Item names that hold personal data (masked in reports). Patterns, not a list of items:
# names and their readings, dates of birth, the street part of an address (町字 and below), the
# location of land, houses and vehicles (所在, 地番, 家屋番号, 定置場) and a vehicle's plate,
# identity and card numbers, contact details. Codes (市区町村コード, 町字コード), prefecture and
# municipality names, the internal 宛名番号 and 性別 codes stay visible so auditors can find records.
_PERSONAL_RE = re.compile(
    r"個人番号|氏名|^氏_|_氏_|_氏$|^名_|_名_|_名$|^旧氏|通称|生年月日"
    r"|町字$|番地|方書|本籍|筆頭者|電話番号|メールアドレス|在留カード|特別永住者証明書|基礎年金番号|住民票コード"
    # Where a person lives or what they own is located: a parcel, a house, a vehicle's garage, its plate.
    r"|所在|地番|家屋番号|定置場|標識番号|居所|送付先"
)


def is_personal(name: str) -> bool:
    """True when the item name says the item holds personal data."""
    return _PERSONAL_RE.search(name) is not None


# -- content formats ---------------------------------------------------------------------------
# Each format's ``recognise`` pattern lives with the rest of the format in kikan_std.model.formats;
# the table's order is the order they are tried (the first match wins).


def infer_format(
    name: str, item_type: str, text: str, code_list: str | None, *, length: str = "", sample: str = ""
) -> str | None:
    """The content format the official text (or, for a fixed width, its サンプル値) pins down for a
    half-width (X) item, or None."""
    if item_type != "X":
        return None
    for fmt, rule in FORMATS.items():
        found = rule.recognise
        if found is not None and found.matches(name, text, code_list, length, sample):
            return fmt.value
    return None


def allows_unknown_date(item_type: str, text: str) -> bool:
    """凡例）データ型 DATE: 不詳日 is allowed only where the 項目説明 says so."""
    return item_type == "DATE" and "不詳日" in text and "不詳日を許容しない" not in text


# -- other spellings ---------------------------------------------------------------------------
# The official sheets themselves spell some names two ways (SPEC_FACTS §1.6): 読み仮名/yomigana
# vs フリガナ/furigana, 外国人アルファベット/arufuabetto vs 外国人ローマ字/romaji. Accept both.
_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("読み仮名", "フリガナ"),
    ("yomigana", "furigana"),
    ("外国人アルファベット", "外国人ローマ字"),
    ("gaikokujinarufuabetto", "gaikokujinromaji"),
)


def aliases(name: str, romaji: str) -> list[str]:
    """Other header spellings of an item (Japanese first, then romaji)."""
    out: list[str] = []
    for text in (name, romaji):
        alt = text
        for a, b in _SPELLINGS:
            alt = alt.replace(a, b)
        if alt != text:
            out.append(alt)
    return out


# -- conditions and code ids -------------------------------------------------------------------


def condition_of(description: str) -> str:
    """The 条件付き必須 condition: the text after ``※※`` in 項目説明, to the end of that line."""
    if "※※" not in description:
        return ""
    return description.split("※※", 1)[1].split("\n")[0].strip()


def resolve_code_id(code: str, known: Iterable[str]) -> str:
    """The code-list id an item's コード cell refers to.

    The sheets write the same id with and without zero padding (「002」 in the item row, 「2」 in
    コード一覧（個別）): match numerically when the exact spelling is not a list id.
    """
    ids = set(known)
    if code in ids or not code.isdigit():
        return code
    for k in ids:
        if k.isdigit() and int(k) == int(code):
            return k
    return code


def annotate_item(item: dict[str, Any], definition: str, explanation: str) -> dict[str, Any]:
    """Add our inferred annotations to an item dict (in the :class:`~kikan_std.model.spec.Item` shape).

    Args:
        item: The item as read from the official row (id, name, romaji, type, code_list…).
        definition: The 項目定義 text.
        explanation: The 項目説明 text.

    Returns:
        The same dict, with ``personal``, ``format``, ``allows_unknown_date`` and ``aliases`` set
        where a rule applies (absent keys keep the model defaults).
    """
    name, romaji, item_type = item["name"], item["romaji"], item["type"]
    text = definition + "\n" + explanation
    als = aliases(name, romaji)
    if als:
        item["aliases"] = als
    if is_personal(name):
        item["personal"] = True
    fmt = infer_format(name, item_type, text, item.get("code_list"),
                       length=str(item.get("length", "")), sample=str(item.get("sample", "")))
    if fmt is not None:
        item["format"] = fmt
    if allows_unknown_date(item_type, explanation):
        item["allows_unknown_date"] = True
    return item
