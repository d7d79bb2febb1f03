"""A synthetic 住登外者宛名 file with many kinds of defects, shared by the report tests.

All values are synthetic (kikan_std.testing.generate); the 個人番号 values are random numbers with valid
check digits. ``build`` returns the path plus the full 個人番号 values present in the file, so
tests can search every output for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kikan_std.testing.generate import csv_text, iter_jutogai_atena

_FW_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class DefectFile:
    path: Path
    numbers: list[str]  # every non-empty 個人番号 of the file, as written (half- or full-width)
    rows: list[list[str]]
    header: list[str]


def _rows(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    it = iter_jutogai_atena(n, seed)
    header = next(it)
    return header, [list(r) for r in it]


def mutate(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """Apply one defect of each kind to the given rows (in place); return them."""
    col = {name: i for i, name in enumerate(header)}

    def put(r: int, item: str, value: str) -> None:
        rows[r][col[item]] = value

    # 個人番号 written in full-width digits: a character finding (CHR016).
    for r in (1, 7, 13):
        if not rows[r][col["個人番号"]]:
            rows[r][col["個人番号"]] = "123456789018"
        put(r, "個人番号", rows[r][col["個人番号"]].translate(_FW_DIGITS))
    # 個人番号 with a wrong check digit: FLD016.
    for r in (2, 9):
        v = rows[r][col["個人番号"]] or "123456789018"
        put(r, "個人番号", v[:-1] + str((int(v[-1]) + 1) % 10))
    put(3, "氏名", "ﾔﾏﾀﾞ\u3000ﾀﾛｳ")  # half-width kana in a full-width item: CHR004
    put(4, "生年月日", "1980/04/01")  # FLD011
    put(5, "生年月日", "1981-02-30")  # FLD012
    put(6, "住所_郵便番号", "100-0013")  # FLD019
    put(8, "性別", "9")  # FLD015
    put(10, "操作者ID", "OP\t01")  # CHR001 (control character)
    put(11, "住所_方書", "あ" * 301)  # FLD002
    put(12, "操作年月日", "")  # FLD001
    put(14, "代表宛名フラグ", "1")  # REC001 (名寄せ先宛名番号 blank)
    put(14, "名寄せ先宛名番号", "")
    put(15, "宛名番号", rows[0][col["宛名番号"]])  # KEY001 duplicate primary key
    put(16, "氏名", "鈴木 一郎")  # half-width space in a full-width item: CHR003
    put(17, "住所_町字コード", "12345")  # FLD020
    return rows


def build(tmp: Path, n: int = 40, seed: int = 7, name: str = "atena.csv") -> DefectFile:
    header, rows = _rows(n, seed)
    mutate(header, rows)
    path = tmp / name
    path.write_text(csv_text(iter([header, *rows])), encoding="utf-8", newline="")
    numbers = [r[header.index("個人番号")] for r in rows if r[header.index("個人番号")]]
    return DefectFile(path, numbers, rows, header)


def both_widths(number: str) -> set[str]:
    """A 個人番号 in half-width and full-width digits (either would reveal it)."""
    half = number.translate({ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９"})
    return {half, half.translate(_FW_DIGITS)}
