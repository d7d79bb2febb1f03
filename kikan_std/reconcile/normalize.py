"""Normalisation for matching: each step is a named pure function ``str -> str``.

A pipeline (:func:`normalize_name`, :func:`normalize_address`, :func:`normalize_kana`,
:func:`normalize_date`) applies its steps in order and returns a :class:`Normalized`: the
normalised text and the names of the steps that changed something. Step names are stable
identifiers used in match reasons; :data:`STEP_LABELS` gives their Japanese labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from kikan_std.jp import wareki
from kikan_std.reconcile.variants import fold_variants

__all__ = [
    "ADDRESS_STEPS",
    "KANA_STEPS",
    "NAME_STEPS",
    "STEP_LABELS",
    "Normalized",
    "address_aza",
    "address_hyphen",
    "address_ke_no",
    "address_notation",
    "address_numerals",
    "changed_steps",
    "fold_width",
    "hiragana_to_katakana",
    "kana_long_vowel",
    "kana_small",
    "kanji_number",
    "kanji_variant",
    "name_stages",
    "normalize_address",
    "normalize_date",
    "normalize_kana",
    "normalize_name",
    "remove_spaces",
    "run_steps",
    "stages",
    "strip_ivs",
]

STEP_LABELS: dict[str, str] = {
    "width": "全角・半角",
    "ivs": "異体字セレクタ",
    "spaces": "空白",
    "kanji_variant": "異体字",
    "wareki": "和暦→西暦",
    "date_format": "日付表記",
    "address_hyphen": "ハイフン表記",
    "address_numerals": "漢数字",
    "address_aza": "大字・字",
    "address_notation": "丁目・番・号表記",
    "address_ke_no": "ケ・ヶ・が・ノ表記",
    "address_prefix": "都道府県・市区町村名の省略",
    "address_building": "方書（建物名等）の有無",
    "hiragana": "ひらがな→カタカナ",
    "kana_small": "小書き仮名",
    "kana_long_vowel": "長音記号",
    "typo": "誤記の可能性",
    "member_missing": "世帯員の申請なし",
    "member_added": "名簿にない世帯員",
}
"""Japanese label of every step and comparison reason."""


class Normalized(NamedTuple):
    """A normalised value and the names of the steps that changed it."""

    text: str
    steps: tuple[str, ...]


Step = Callable[[str], str]

# --- common steps -------------------------------------------------------------------------------


def fold_width(s: str) -> str:
    """Width folding (NFKC): full-width ASCII → half-width, half-width kana → full-width, ｶﾞ → ガ."""
    return unicodedata.normalize("NFKC", s)


_IVS_RE = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def strip_ivs(s: str) -> str:
    """Remove variation selectors (IVS/SVS), e.g. 邉 + U+E0100 → 邉."""
    return _IVS_RE.sub("", s)


_SPACE_RE = re.compile(r"[\s\u3000\u200b]+")


def remove_spaces(s: str) -> str:
    """Remove all white space, including U+3000 and zero-width space."""
    return _SPACE_RE.sub("", s)


def kanji_variant(s: str) -> str:
    """Fold kanji variants to their canonical form (渡邊 → 渡辺, 髙 → 高); see :mod:`.variants`."""
    return fold_variants(s)


# --- address steps ------------------------------------------------------------------------------

_DIGITS = "0-9〇一二三四五六七八九十百千"
_HYPHEN_RE = re.compile(rf"(?<=[{_DIGITS}])[‐‑‒–—―−ーｰ─━-](?=[{_DIGITS}])")


def address_hyphen(s: str) -> str:
    """Unify dash look-alikes between numbers (1ー2−3 → 1-2-3)."""
    return _HYPHEN_RE.sub("-", s)


_KNUM = {ch: i for i, ch in enumerate("〇一二三四五六七八九")}
_KANJI_NUM_RE = re.compile(r"[〇一二三四五六七八九十百千]+(?=丁目|丁|番地|番|号|の|-|条|線|地割|$)")
_AFTER_HYPHEN_RE = re.compile(r"(?<=-)[〇一二三四五六七八九十百千]+")


def kanji_number(s: str) -> int:
    """Value of a kanji numeral: 二十三 → 23, 百五 → 105, 二〇三 → 203 (positional), 十 → 10.

    Raises:
        ValueError: not a kanji numeral.
    """
    if not s or any(ch not in _KNUM and ch not in "十百千" for ch in s):
        raise ValueError(f"not a kanji numeral: {s!r}")
    if not any(ch in "十百千" for ch in s):
        n = 0
        for ch in s:
            n = n * 10 + _KNUM[ch]
        return n
    total, digit = 0, None
    for ch in s:
        if ch in _KNUM:
            if digit is not None:
                raise ValueError(f"not a kanji numeral: {s!r}")
            digit = _KNUM[ch]
        else:
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
    return total + (digit or 0)


def _knum_sub(m: re.Match[str]) -> str:
    try:
        return str(kanji_number(m.group()))
    except ValueError:
        return m.group()


_KNUM_CHARS_RE = re.compile("[〇一二三四五六七八九十百千]")


def address_numerals(s: str) -> str:
    """Kanji numerals before 丁目/番/号/番地/の/-/条/地割 or after a hyphen → digits (一丁目 → 1丁目).

    Numerals inside place names (四谷, 八王子, 一宮) are left alone.
    """
    if not _KNUM_CHARS_RE.search(s):
        return s
    return _AFTER_HYPHEN_RE.sub(_knum_sub, _KANJI_NUM_RE.sub(_knum_sub, s))


_AZA_RE = re.compile(r"大字|(?<!\d)字(?=\D)")


def address_aza(s: str) -> str:
    """Drop 大字 and 字 (茨城県つくば市大字小野崎 → 茨城県つくば市小野崎)."""
    if "字" not in s:  # the common case, without running the pattern
        return s
    return _AZA_RE.sub("", s)


_NOTATION_RE = re.compile(r"(?<=\d)(?:丁目|丁(?=\d)|番地の?(?=\d)|番地|番(?=\d)|番(?!町|丁)|号|の(?=\d))")
_HYPHEN_RUN_RE = re.compile(r"-{2,}")
_TRAILING_HYPHEN_RE = re.compile(r"(?<=\d)-(?=\D|$)")


def _notation_sub(m: re.Match[str]) -> str:
    t = m.group()
    end = m.end()
    s = m.string
    # Separator when a number follows (1丁目2 → 1-2), nothing at the end of the number sequence.
    if t in ("丁", "の", "番地の") or (end < len(s) and s[end].isdigit()):
        return "-"
    return ""


def address_notation(s: str) -> str:
    """丁目/番/番地/号/の between numbers → hyphens (1丁目2番3号 → 1-2-3, 123番地4 → 123-4)."""
    if not _NOTATION_RE.search(s) and "-" not in s:
        return s
    s = _NOTATION_RE.sub(_notation_sub, s)
    s = _HYPHEN_RUN_RE.sub("-", s)
    return _TRAILING_HYPHEN_RE.sub("", s)


_KE_RE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶヵケが](?=[\u4e00-\u9fff])")
_NO_RE = re.compile(r"(?<=[\u4e00-\u9fff])[ノ之](?=[\u4e00-\u9fff])")


_KE_NO_CHARS_RE = re.compile("[ヶヵケがノ之]")


def address_ke_no(s: str) -> str:
    """ケ/ヶ/ヵ/が and ノ/之 between kanji → ケ and の (霞が関 → 霞ケ関, 三ノ輪 → 三の輪)."""
    if not _KE_NO_CHARS_RE.search(s):  # the common case: one scan instead of two substitutions
        return s
    return _NO_RE.sub("の", _KE_RE.sub("ケ", s))


# --- kana steps ---------------------------------------------------------------------------------

_HIRA_TO_KATA = {i: i + 0x60 for i in range(0x3041, 0x3097)}


def hiragana_to_katakana(s: str) -> str:
    """Hiragana → katakana (わたなべ → ワタナベ)."""
    return s.translate(_HIRA_TO_KATA)


_SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")


def kana_small(s: str) -> str:
    """Small kana → full-size kana (キョウコ → キヨウコ), as banks register them."""
    return s.translate(_SMALL)


_LONG_RE = re.compile(r"[ー‐‑‒–—―−ｰ─━-]")


def kana_long_vowel(s: str) -> str:
    """Long-vowel mark look-alikes (ー, -, ―, ｰ, −) → ー."""
    return _LONG_RE.sub("ー", s)


_KANA_SEP_RE = re.compile(r"[\s\u3000・･.,、，。]+")


def _kana_spaces(s: str) -> str:
    return _KANA_SEP_RE.sub("", s)


# --- pipelines ----------------------------------------------------------------------------------

NAME_STEPS: tuple[tuple[str, Step], ...] = (
    ("width", fold_width),
    ("ivs", strip_ivs),
    ("spaces", remove_spaces),
    ("kanji_variant", kanji_variant),
)
ADDRESS_STEPS: tuple[tuple[str, Step], ...] = (
    ("width", fold_width),
    ("ivs", strip_ivs),
    ("spaces", remove_spaces),
    ("kanji_variant", kanji_variant),
    ("address_hyphen", address_hyphen),
    ("address_numerals", address_numerals),
    ("address_aza", address_aza),
    ("address_ke_no", address_ke_no),
    ("address_notation", address_notation),
)
KANA_STEPS: tuple[tuple[str, Step], ...] = (
    ("width", fold_width),
    ("hiragana", hiragana_to_katakana),
    ("kana_small", kana_small),
    ("kana_long_vowel", kana_long_vowel),
    ("spaces", _kana_spaces),
)


def run_steps(text: str, steps: tuple[tuple[str, Step], ...]) -> Normalized:
    """Apply ``steps`` in order; report the names of those that changed the text."""
    changed: list[str] = []
    for name, fn in steps:
        new = fn(text)
        if new != text:
            changed.append(name)
            text = new
    return Normalized(text, tuple(changed))


def stages(text: str, steps: tuple[tuple[str, Step], ...]) -> tuple[str, ...]:
    """The text after each of ``steps`` in turn (the last one is the normalised text).

    The explanation of a difference walks the two values through the steps side by side; keeping
    the stages of a value avoids running the pipeline on it a second time.
    """
    out: list[str] = []
    for _name, fn in steps:
        text = fn(text)
        out.append(text)
    return tuple(out)


def changed_steps(text: str, st: tuple[str, ...], steps: tuple[tuple[str, Step], ...]) -> tuple[str, ...]:
    """The names of the steps that changed ``text``, given its :func:`stages` ``st``."""
    out: list[str] = []
    prev = text
    for (name, _fn), cur in zip(steps, st, strict=True):
        if cur != prev:
            out.append(name)
            prev = cur
    return tuple(out)


@lru_cache(maxsize=1 << 14)
def name_stages(text: str) -> tuple[str, ...]:
    """:func:`stages` of a name through :data:`NAME_STEPS` (names repeat, so they are cached)."""
    return stages(text, NAME_STEPS)


@lru_cache(maxsize=1 << 14)
def normalize_name(text: str) -> Normalized:
    """Normalise a person's name: width, IVS, spaces, kanji variants."""
    return run_steps(text, NAME_STEPS)


def normalize_address(text: str) -> Normalized:
    """Normalise an address: width, IVS, spaces, variants, hyphens, numerals, 大字/字, ケ/ノ, 丁目/番/号."""
    return run_steps(text, ADDRESS_STEPS)


@lru_cache(maxsize=1 << 14)
def normalize_kana(text: str) -> Normalized:
    """Normalise a kana name: width, hiragana, small kana, long-vowel marks, spaces and separators."""
    return run_steps(text, KANA_STEPS)


@lru_cache(maxsize=1 << 17)
def normalize_date(text: str) -> Normalized:
    """Normalise a date to ``YYYY-MM-DD``; ``text`` is "" when it cannot be parsed.

    Steps: ``width`` (full-width digits), ``wareki`` (an era date such as 昭和50年1月1日 or S50.1.1),
    ``date_format`` (a Gregorian date not already written ``YYYY-MM-DD``).
    """
    steps: list[str] = []
    s = text.strip()
    folded = fold_width(s)
    if folded != s:
        steps.append("width")
    try:
        d = wareki.parse_wareki(folded)
    except ValueError:
        return Normalized("", tuple(steps))
    iso = d.isoformat()
    if folded != iso:
        head = folded.lstrip()[:1]
        steps.append("date_format" if head.isdigit() and not _ERA_CODE7.match(folded) else "wareki")
    return Normalized(iso, tuple(steps))


_ERA_CODE7 = re.compile(r"^[1-5]\d{6}$")
