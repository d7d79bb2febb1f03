"""What Excel does to a CSV it opens and saves again: synthetic "Excel damage" for tests and benchmarks.

Excel (General format, Japanese locale) reads a column of digits as numbers and writes them back without
leading zeros, 12 digits or more in exponent notation (``987655425186`` → ``9.87655E+11``); it reads
``YYYY-MM-DD`` as a date and writes ``2024/4/1``, and ``09:00:00`` as a time written ``9:00:00``.
kikan-std names these shapes in a finding's hint (``excel-leading-zeros``, ``excel-exponent``,
``excel-date``, ``excel-time``; see docs/checks.md). Pass valid generated rows through
:func:`excel_resave` to get the file a user would send after saving it from Excel::

    from kikan_std.testing.excel import excel_resave
    from kikan_std.testing.generate import csv_text, iter_jutogai_atena

    header, *rows = iter_jutogai_atena(100, seed=1)
    text = csv_text(iter([header, *excel_resave(rows)]))
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_TIME = re.compile(r"(\d{2}):(\d{2}):(\d{2})")


def excel_cell(cell: str) -> str:
    """What Excel (General format, Japanese locale) writes back for ``cell`` when it saves a CSV.

    Args:
        cell: One field as it was in the file Excel opened.

    Returns:
        The field as Excel saves it: digits as a number (leading zeros lost; 12 digits or more as
        ``1.23457E+14``, 6 significant digits), a real date ``YYYY-MM-DD`` as ``YYYY/M/D``, a time
        ``HH:MM:SS`` as ``H:MM:SS``; anything else (including a date that does not exist, such as an
        unknown day ``1964-00-00``, which Excel keeps as text) unchanged.
    """
    if cell.isascii() and cell.isdigit():
        n = int(cell)
        if len(str(n)) <= 11:
            return str(n)
        mantissa, exponent = f"{n:.5E}".split("E")  # General shows 6 significant digits past 11 digits
        return f"{mantissa.rstrip('0').rstrip('.')}E+{int(exponent):02d}"
    m = _DATE.fullmatch(cell)
    if m is not None:
        try:
            _dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return cell  # not a date to Excel (a 不詳日): kept as text
        return f"{int(m[1])}/{int(m[2])}/{int(m[3])}"
    m = _TIME.fullmatch(cell)
    if m is not None:
        return f"{int(m[1])}:{m[2]}:{m[3]}"
    return cell


def excel_resave(rows: Iterable[Sequence[str]]) -> list[list[str]]:
    """The data rows as Excel would save them, every cell through :func:`excel_cell`.

    Pass the data rows only: a header row is text to Excel and stays as it is.
    """
    return [[excel_cell(c) for c in r] for r in rows]


__all__ = ["excel_cell", "excel_resave"]
