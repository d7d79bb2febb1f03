"""Kanji variant folding (異体字 → 代表字) for matching names and addresses.

Two sources, loaded lazily on first use:

* ``kikan_std/data/kanji_variants.tsv``: derived from the 縮退 column of the MJ文字情報一覧表
  (IPA / 文字情報技術促進協議会, CC BY-SA 2.1 JP) by ``tools/build_variants.py``;
* :data:`HAND_MAP`: hand-written entries for the variants seen most in residents' names, which
  take precedence (e.g. 齊 → 斎 rather than MJ's 齊 → 斉, because 斉藤/斎藤/齋藤/齊藤 are
  routinely confused in applications).

Folding is character-to-character, so folded strings keep their length and the characters that
were folded can be reported pair by pair (邊→辺).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

__all__ = ["HAND_MAP", "fold_variants", "variant_map", "variant_pairs"]

HAND_MAP: dict[str, str] = {
    "邊": "辺",
    "邉": "辺",
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "齋": "斎",
    "齊": "斎",
    "斉": "斎",
    "濱": "浜",
    "濵": "浜",
    "澤": "沢",
    "櫻": "桜",
    "廣": "広",
    "國": "国",
    "嶋": "島",
    "嶌": "島",
    "德": "徳",
    "惠": "恵",
    "冨": "富",
    "峯": "峰",
    "眞": "真",
    "實": "実",
    "曾": "曽",
    "栁": "柳",
    "舘": "館",
    "槇": "槙",
    "藪": "薮",
    "𠮷": "吉",
    "籠": "篭",
    "靜": "静",
    "來": "来",
    "會": "会",
    "關": "関",
    "瀨": "瀬",
    "邨": "村",
    "淵": "渕",
    "亞": "亜",
    "壽": "寿",
    "彌": "弥",
    "禮": "礼",
    "驛": "駅",
    "縣": "県",
    "增": "増",
}
"""Hand-written variant → canonical entries; they override the MJ-derived map."""


@cache
def variant_map() -> dict[str, str]:
    """The full variant → canonical map (MJ-derived, then :data:`HAND_MAP`), resolved to fixed points."""
    text = (Path(__file__).resolve().parent.parent / "data" / "kanji_variants.tsv").read_text(
        encoding="utf-8"
    )
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        target, _, sources = line.partition("\t")
        for ch in sources:
            out[ch] = target
    out.update({k: v for k, v in HAND_MAP.items() if k != v})
    # Follow chains (MJ 𠮷 → 吉 is fine; 齊 → 斉 then 斉 → 斎 must end at 斎), guarding against cycles.
    resolved: dict[str, str] = {}
    for ch, t in out.items():
        seen = {ch}
        while t in out and t not in seen:
            seen.add(t)
            t = out[t]
        if t != ch:
            resolved[ch] = t
    return resolved


@cache
def _table() -> dict[int, str]:
    return {ord(k): v for k, v in variant_map().items()}


@cache
def _fast_table() -> list[int | str]:
    """:func:`_table` as a list indexed by code point (``str.translate`` looks a list up 2–3 times
    faster than a dict; about 7 MB). Code points past its end are left unchanged, as unmapped ones."""
    table = _table()
    out: list[int | str] = list(range(max(table, default=-1) + 1))
    for k, v in table.items():
        out[k] = v
    return out


def fold_variants(text: str) -> str:
    """Replace each kanji variant in ``text`` by its canonical form (渡邊 → 渡辺)."""
    out = text.translate(_fast_table())
    return text if out == text else out  # the same object when unchanged (shared, stored once)


def variant_pairs(a: str, b: str) -> list[tuple[str, str]]:
    """The (from, to) variant pairs that make ``a`` and ``b`` equal after folding, in order.

    ``a`` and ``b`` are aligned character by character (folding keeps lengths); where they differ and
    fold to the same character, the pair is the non-canonical character and the canonical one, e.g.
    ``variant_pairs("渡邊太郎", "渡辺太郎") == [("邊", "辺")]``. Returns [] if they differ in length.
    """
    if len(a) != len(b):
        return []
    table = _table()
    out: list[tuple[str, str]] = []
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        fx, fy = x.translate(table), y.translate(table)
        if fx != fy:
            continue
        for ch in (x, y):
            if ch != fx and (ch, fx) not in out:
                out.append((ch, fx))
    return out
