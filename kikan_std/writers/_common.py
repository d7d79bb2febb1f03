"""Small helpers shared by the writers."""

from __future__ import annotations

import re
from collections import defaultdict

from kikan_std.report.model import FindingOut, Report

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def location(f: FindingOut, record_label: str = "record") -> str:
    """``file:line record N item [key=value]`` — where a person finds the problem."""
    parts = [f.file + (f":{f.line}" if f.line is not None else "")]
    if f.record is not None:
        parts.append(f"{record_label} {f.record}")
    if f.item:
        parts.append(f.item)
    if f.keys:
        parts.append("[" + ", ".join(f"{k}={v}" for k, v in f.keys.items()) + "]")
    return " ".join(parts)


def keys_text(f: FindingOut) -> str:
    """Business keys as ``k=v; k=v``."""
    return "; ".join(f"{k}={v}" for k, v in f.keys.items())


def by_file_and_code(report: Report) -> dict[tuple[str, str], list[FindingOut]]:
    """Stored findings grouped by (file, code)."""
    groups: dict[tuple[str, str], list[FindingOut]] = defaultdict(list)
    for f in report.findings:
        groups[f.file, f.code].append(f)
    return groups


def fails_gate(f: FindingOut, report: Report) -> bool:
    """Whether this finding is one that makes the run fail (see ``--fail-on``)."""
    if f.severity != "error" or f.status == "waived":
        return False
    if report.gate is not None and report.gate.fail_on == "new":
        return f.status == "new"
    return True


# -- escaping at the output points -------------------------------------------------------------
# Values come from the data a vendor wrote; an output must never let them act as markup, formulas
# or terminal commands. Each format has one function, applied where the writer emits its text.

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 (§2.2 Char) does not allow, even as character references."""

_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls but tab and line feed (ESC, CSI, BEL, CR that overwrites a line …) and the
bidirectional overrides that reorder what a terminal shows."""

_FORMULA_START = tuple("=+-@\t\r＝＋－＠")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)


def _escaped(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02X}" if c < 0x100 else f"\\u{c:04X}"


def xml_safe(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids written as visible ``\\xNN`` / ``\\uNNNN``.

    Applied to a whole XML or HTML document: markup never holds such characters, so only text
    from the data changes (a NUL in a value would otherwise make the document not well-formed).
    """
    return _XML_FORBIDDEN.sub(_escaped, text)


def terminal_safe(text: str) -> str:
    """``text`` with C0/C1 control characters (but tab and line feed) and bidi overrides written as
    visible ``\\xNN`` / ``\\uNNNN``, so data cannot move the cursor, recolour or retitle a terminal."""
    return _TERMINAL_UNSAFE.sub(_escaped, text)


def csv_cell(value: object) -> object:
    """A cell for the findings CSV that a spreadsheet will not run as a formula (OWASP CSV injection).

    Text starting with ``= + - @``, a tab or a carriage return (or their full-width forms) gets a
    leading apostrophe; plain numbers such as ``-5`` are left alone. Non-text cells pass through.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value
