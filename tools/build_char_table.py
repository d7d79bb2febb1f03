"""Build ``kikan_std/data/mj_chars.tsv``, the compact MJ character table used by :mod:`kikan_std.jp.chars`.

Input: the MJ文字情報一覧表 derived CSVs from code4fukui/mojikiban (``mj_moji.csv`` and
``mj_moji_ivs.csv``; columns documented in ``../shared/reference/README.md`` beside the checkout). Output: a UTF-8
text file (about 1 MB, kept as plain text so it stays greppable and diffable), one MJ character per
line, with the attribution and licence in its header (the MJ data is CC BY-SA 2.1 JP, so the
derived table is shared under the same licence).

Usage::

    python tools/build_char_table.py [--source DIR] [--out FILE]

The output is deterministic, so rebuilding from the same input gives the same bytes.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "data"  # shared/ beside the checkout
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "kikan_std" / "data" / "mj_chars.tsv"

HEADER = """\
# kikan-std MJ character table (derived data)
# Source: MJ文字情報一覧表 (文字情報基盤, IPA / 一般社団法人 文字情報技術促進協議会),
#   via code4fukui/mojikiban data/moji.csv and data/moji_ivs.csv (commit 34df5dec).
# Licence: Creative Commons Attribution-ShareAlike 2.1 Japan (CC BY-SA 2.1 JP),
#   https://creativecommons.org/licenses/by-sa/2.1/jp/ . This derived table is distributed under
#   the same licence; see NOTICE at the repository root. Changes: columns selected and reformatted.
# Format: UTF-8, one MJ character per line, 4 tab-separated columns:
#   mj      MJ number without the "MJ" prefix and zero padding (e.g. 23079 = MJ023079)
#   char    the character: base code point, followed by its IVS selector (U+E0100-U+E01EF) if any
#   jis     JIS X 0213 plane-row-cell (面-区-点, e.g. 1-38-03), empty if none
#   shrink  縮退 candidates (MJ縮退マップ) as a string of characters; "=" means the character itself;
#           empty means no candidate
# A character with two IVS forms (e.g. MJ059399) has one line per form.
"""

_JIS_RE = re.compile(r"^[12]-\d\d-\d\d$")


def _seq(ucs: str) -> str:
    """'535A_E010A' -> the string of those code points."""
    return "".join(chr(int(part, 16)) for part in ucs.split("_"))


def build(source: Path) -> list[tuple[int, str, str, str]]:
    """Read the CSVs and return the table rows (mj, char, jis, shrink), sorted by MJ number."""
    rows: list[tuple[int, str, str, str]] = []
    with (source / "mj_moji.csv").open(encoding="utf-8-sig", newline="") as f:
        for rec in csv.DictReader(f):
            mj = int(rec["mj"])
            char = rec["kanji"]
            jis = rec["jis"].strip()
            if jis and not _JIS_RE.match(jis):
                raise ValueError(f"MJ{mj:06d}: bad JIS position {jis!r}")
            if not 1 <= len(char) <= 2:
                raise ValueError(f"MJ{mj:06d}: unexpected character {char!r}")
            if len(char) == 2 and not 0xE0100 <= ord(char[1]) <= 0xE01EF:
                raise ValueError(f"MJ{mj:06d}: second code point is not an IVS selector")
            shrink = rec["shrink"]
            rows.append((mj, char, jis, "=" if shrink == char else shrink))
    by_mj = {r[0]: r for r in rows}
    # The IVS list holds a second sequence for a few characters ("535A_E010A;2B9E4_E0100").
    with (source / "mj_moji_ivs.csv").open(encoding="utf-8-sig", newline="") as f:
        for rec in csv.DictReader(f):
            mj = int(rec["mj"])
            seqs = [_seq(u) for u in rec["ucs"].split(";")]
            main = by_mj.get(mj)
            if main is None or main[1] != seqs[0]:
                raise ValueError(f"MJ{mj:06d}: IVS list disagrees with the main list")
            for alt in seqs[1:]:
                rows.append((mj, alt, main[2], main[3]))
    rows.sort(key=lambda r: (r[0], r[1]))
    return rows


def render(rows: list[tuple[int, str, str, str]]) -> bytes:
    """The table file as UTF-8 bytes (LF line ends)."""
    text = io.StringIO()
    text.write(HEADER)
    for mj, char, jis, shrink in rows:
        text.write(f"{mj}\t{char}\t{jis}\t{shrink}\n")
    return text.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder with mj_moji*.csv")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .tsv file")
    args = ap.parse_args(argv)
    rows = build(args.source)
    data = render(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{args.out}: {len(rows)} rows, {len(data)} bytes", file=sys.stderr)
    # The Ｎ fast-path class derived from the table (and JIS X 0213), stored so runs skip deriving it.
    from kikan_std.jp import chars

    chars.CLEAN_N_FILE.write_text(chars.clean_n_class() + "\n", encoding="utf-8")
    print(f"{chars.CLEAN_N_FILE}: fast-path class", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
