"""Build ``kikan_std/data/kanji_variants.tsv`` from the MJ 文字情報一覧表 縮退 column.

Usage::

    python tools/build_variants.py [MJ_MOJI_CSV] [OUT_TSV]

Defaults: ``../shared/reference/data/mj_moji.csv`` (beside the checkout) and ``kikan_std/data/kanji_variants.tsv``.

Input: ``mj_moji.csv`` (columns ``mj,kanji,lines,yomi,shrink,jis``; code4fukui/mojikiban
``data/moji.csv``), derived from the MJ文字情報一覧表 of IPA / 文字情報技術促進協議会, licensed
CC BY-SA 2.1 JP. The output is a derived work under the same licence; its header says so.

Derivation (documented in docs/reconcile.md):

1. Variation selectors (IVS) are stripped from ``kanji``; rows that are not one character are skipped.
2. Characters are ranked: JIS X 0208 第1水準 first, then 第2水準, then the rest; then fewer strokes;
   then the lower code point.
3. A character maps to its best-ranked 縮退 candidate (``shrink``) when that candidate ranks better than
   the character itself (邊 → 邊辺 gives 邊 → 辺), or when the character is not among its own
   candidates (髙 → 高). The first row of a character that gives a mapping wins.
4. Chains are followed to the end (䟍 → 邊 → 辺). Mappings never merge two characters into a family
   by transitivity, so unrelated candidates of a rare character (e.g. 奏 and 秦) stay distinct.

Output lines: ``canonical<TAB>variants`` (all variants that fold to ``canonical``), sorted.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

_SELECTORS = re.compile("[\U000e0100-\U000e01ef\ufe00-\ufe0f]")
_HEADER = """\
# kikan-std kanji variant map (異体字 → 代表字), derived from the 縮退 (shrink) column of the
# MJ文字情報一覧表, (c) 独立行政法人情報処理推進機構 (IPA) / 一般社団法人文字情報技術促進協議会,
# licensed CC BY-SA 2.1 JP (https://creativecommons.org/licenses/by-sa/2.1/jp/).
# Source file: code4fukui/mojikiban data/moji.csv. This derived file is distributed under the same
# licence (CC BY-SA 2.1 JP). Built by tools/build_variants.py; do not edit by hand.
# Format: canonical<TAB>variant characters that fold to it.
"""


def _rank(ch: str, jis: dict[str, str], strokes: dict[str, int]) -> tuple[int, int, int]:
    code = jis.get(ch, "")
    m = re.fullmatch(r"1-(\d+)-\d+", code)
    level = 3
    if m:
        row = int(m.group(1))
        level = 0 if 16 <= row <= 47 else 1 if 48 <= row <= 84 else 2
    return (level, strokes.get(ch, 99), ord(ch))


def build(src: Path) -> dict[str, str]:
    """Return the variant → canonical map derived from ``src``."""
    jis: dict[str, str] = {}
    strokes: dict[str, int] = {}
    rows: list[tuple[str, list[str]]] = []
    with src.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            base = _SELECTORS.sub("", row["kanji"])
            if len(base) != 1:
                continue
            jis.setdefault(base, row["jis"])
            if row["lines"].isdigit():
                strokes.setdefault(base, int(row["lines"]))
            cands = [c for c in _SELECTORS.sub("", row["shrink"]) if c.strip()]
            if cands:
                rows.append((base, cands))
    direct: dict[str, str] = {}
    for base, cands in rows:
        if base in direct:
            continue
        target = min(cands, key=lambda c: _rank(c, jis, strokes))
        if base in cands and _rank(base, jis, strokes) <= _rank(target, jis, strokes):
            continue
        if target != base:
            direct[base] = target
    out: dict[str, str] = {}
    for base in direct:
        seen = {base}
        t = direct[base]
        while t in direct and direct[t] not in seen:
            seen.add(t)
            t = direct[t]
        if t != base:
            out[base] = t
    return out


def main(argv: list[str]) -> int:
    """Command-line entry point."""
    src = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "shared" / "reference" / "data" / "mj_moji.csv"
    dst = Path(
        argv[1] if len(argv) > 1 else Path(__file__).parent.parent / "kikan_std/data/kanji_variants.tsv"
    )
    mapping = build(src)
    by_target: dict[str, list[str]] = {}
    for c, t in mapping.items():
        by_target.setdefault(t, []).append(c)
    lines = [f"{t}\t{''.join(sorted(v))}" for t, v in sorted(by_target.items())]
    dst.write_text(_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{dst}: {len(mapping)} variants → {len(by_target)} canonical characters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
