"""文字要件: character checks for ``Ｎ`` (全角) and ``X`` (半角) items, and the ``kikan-std chars`` tool.

The standard character set of ``Ｎ`` items (行政事務標準文字) is modelled as:

* every MJ character (文字情報基盤, the table ``kikan_std/data/mj_chars.tsv``): its base code point
  alone, and each IVS sequence (base + U+E0100–U+E01EF) registered in the table;
* the JIS X 0213 repertoire (derived from Python's ``euc_jis_2004`` codec): full-width kana incl.
  small kana, ゛゜ and ー, full-width digits and Latin letters, symbols, Greek, Cyrillic and the
  ideographic space U+3000, plus the few JIS X 0213 characters that are a base + combining mark
  (か゚ …), minus ASCII, NO-BREAK SPACE and SOFT HYPHEN (invisible or half-width in practice);
* 追加文字 (GJ) in supplementary private use planes 15/16: only verifiable with a GJ table.

Positions are 1-based and count *characters*, where a character is one code point together with the
variation selector and combining marks that follow it (an IVS sequence counts as one character).
:func:`count_chars` counts the same way.

Everything here is a pure function of its arguments. The MJ table is read from package data on the
first call that needs it (never on ``import kikan_std``), and cached.

Which function for which item: ``Ｎ`` → :func:`fullwidth_problems`, ``X`` → :func:`halfwidth_problems`
(both include the control-character check), every other type → :func:`control_problems`. Call
:func:`fullwidth_column_clean` / :func:`halfwidth_column_clean` on ``"".join(values)`` of a column
first and skip the per-value calls when they return True.

The engine turns a :class:`CharProblem` into a :class:`kikan_std.findings.Finding` with
``params = {"char": p.char, "codepoints": p.codepoints, "position": p.position,
"suggestion": p.suggestion, **p.params}``; the catalogue (``data/catalogue/chars.toml``) holds the
messages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = [
    "ZENGIN_CHARS",
    "CharInfo",
    "CharProblem",
    "control_problems",
    "count_chars",
    "describe",
    "fullwidth_column_clean",
    "fullwidth_problems",
    "halfwidth_column_clean",
    "halfwidth_problems",
    "parse_gj_table",
    "split_chars",
]

ZENGIN_CHARS: frozenset[str] = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "".join(chr(c) for c in range(0xFF71, 0xFF9E)) + "ｦﾞﾟ" + " ().-/\\,｢｣"
)
"""Characters banks accept in 全銀 transfer data: digits, upper-case Latin, half-width kana ｱ…ﾝ (no small
kana, no ｰ), ｦ ﾞ ﾟ, space and ( ) . - / ¥ , ｢ ｣ (¥ is byte 0x5C, written ``\\`` in Python). Here, not in
:mod:`kikan_std.jp.zengin`, so that the content formats need not import the transfer-file models."""


# ---------------------------------------------------------------------------------------------
# Codes (see data/catalogue/chars.toml)

CONTROL = "CHR001"  # control character (C0, DEL, C1)
INVISIBLE = "CHR002"  # invisible format character (ZWSP, BOM inside a value, bidi marks …)
HALFWIDTH_IN_N = "CHR003"  # ASCII / half-width character in an Ｎ item
HALFWIDTH_KANA_IN_N = "CHR004"  # half-width katakana in an Ｎ item
VENDOR_GAIJI = "CHR005"  # BMP private use (U+E000–U+F8FF): vendor 外字
GJ_UNVERIFIED = "CHR006"  # plane 15/16 private use without a GJ table: maybe 追加文字
PUA_NOT_GJ = "CHR007"  # plane 15/16 private use not in the supplied GJ table
DECOMPOSED = "CHR008"  # decomposed (NFD) sequence whose composed form is standard
COMBINING_MARK = "CHR009"  # combining mark that forms no standard character
LONE_SELECTOR = "CHR010"  # variation selector without a base character
UNREGISTERED_IVS = "CHR011"  # selector on a base that has no such IVS in the MJ table
NOT_STANDARD = "CHR012"  # character outside the standard set (emoji, simplified Chinese …)
CP932_SIGN = "CHR013"  # ￠￡￢ (CP932 mapping) where JIS X 0213 has ¢£¬
CP932_VARIANT = "CHR014"  # ～－∥ (CP932 mapping) where JIS X 0208 position is 〜−‖ (info)
HALFWIDTH_KANA_IN_X = "CHR015"  # half-width katakana in an X item
FULLWIDTH_IN_X = "CHR016"  # full-width ASCII form / U+3000 in an X item
NON_ASCII_IN_X = "CHR017"  # other non-ASCII character in an X item

CODES: tuple[str, ...] = tuple(f"CHR{i:03d}" for i in range(1, 18))
"""All codes this module emits."""

# ---------------------------------------------------------------------------------------------
# Value types


@dataclass(frozen=True, slots=True)
class CharProblem:
    """One character problem in one value.

    Attributes:
        code: Stable catalogue code (``CHR…``).
        position: 1-based character position in the value (an IVS sequence counts as one character).
        char: The offending character (with its selector / combining marks, if any).
        codepoints: Its code points, e.g. ``"U+9089 U+E0100"``.
        suggestion: A replacement that is itself standard, or None when there is none.
        params: Extra message parameters (e.g. ``name`` of a control character).
    """

    code: str
    position: int
    char: str
    codepoints: str
    suggestion: str | None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CharInfo:
    """What :func:`describe` says about one character.

    Attributes:
        position: 1-based character position.
        char: The character (an IVS sequence is one character).
        codepoints: Its code points, e.g. ``"U+8FBA U+E0101"``.
        is_standard: True when the character is in the standard set of ``Ｎ`` items.
        code: The problem code (``CHR…``) if any; an ``info`` code may go with ``is_standard``.
        reason_ja: Why, in Japanese.
        reason_en: Why, in English.
        mj: MJ numbers (``"MJ023079"``) the character corresponds to; a bare base code point
            corresponds to every MJ character with that base.
        jis: JIS X 0213 面-区-点 position, or None.
        suggestion: Suggested standard replacement, or None.
        shrink: 縮退 candidates from the MJ table (for MJ characters).
    """

    position: int
    char: str
    codepoints: str
    is_standard: bool
    code: str | None
    reason_ja: str
    reason_en: str
    mj: tuple[str, ...] = ()
    jis: str | None = None
    suggestion: str | None = None
    shrink: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Character classes

_CP932_SIGNS = {"\uffe0": "\u00a2", "\uffe1": "\u00a3", "\uffe2": "\u00ac"}  # ￠￡￢ → ¢£¬
_CP932_VARIANTS = {"\uff5e": "\u301c", "\uff0d": "\u2212", "\u2225": "\u2016"}  # ～－∥ → 〜−‖
# Half-width characters whose full-width form is not their NFKC form.
_HALF_TO_FULL_SPECIAL = {
    " ": "\u3000",
    "\u00a0": "\u3000",  # NO-BREAK SPACE
    "\u00a5": "\uffe5",  # ¥ → ￥
    "\u203e": "\uffe3",  # ‾ → ￣
    "\uff9e": "\u309b",  # ﾞ → ゛
    "\uff9f": "\u309c",  # ﾟ → ゜
}
_SPACING_SOUND_MARKS = {"\u3099": "\u309b", "\u309a": "\u309c"}  # combining → spacing ゛゜
INVISIBLE_CHARS = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064"
    "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\ufff9\ufffa\ufffb"
)
_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x09: "TAB",
    0x0A: "LF",
    0x0B: "VT",
    0x0C: "FF",
    0x0D: "CR",
    0x1A: "SUB",
    0x1B: "ESC",
    0x7F: "DEL",
    0x85: "NEL",
}


def is_selector(cp: int) -> bool:
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc", "Me") and not is_selector(ord(ch))


def is_control(cp: int) -> bool:
    return cp < 0x20 or 0x7F <= cp <= 0x9F


def control_name(cp: int) -> str:
    name = _CONTROL_NAMES.get(cp)
    if name is None:
        name = "C1" if cp >= 0x80 else "C0"
    return name


def codepoint_text(s: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in s)


def split_chars(value: str) -> list[str]:
    """Split ``value`` into characters as positions count them.

    A character is one code point plus the combining marks and at most one variation selector that
    follow it. A selector or mark at the start, after a control character or after a selector
    stands alone (and is then reported as a lone selector / mark).
    """
    if value.isascii():
        return list(value)
    category = unicodedata.category
    units: list[str] = []
    for ch in value:
        # selectors are category Mn too; marks below U+0300 do not exist
        if ch >= "\u0300" and units and category(ch)[0] == "M":
            last = units[-1]
            if not is_control(ord(last[0])) and (
                len(last) == 1 or not any(is_selector(ord(c)) for c in last)
            ):
                units[-1] = last + ch
                continue
        units.append(ch)
    return units


def count_chars(value: str) -> int:
    """Number of characters of ``value`` counted as :func:`split_chars` does (IVS sequence = 1)."""
    if value.isascii():
        return len(value)
    return len(split_chars(value))


# ---------------------------------------------------------------------------------------------
# Lazily loaded tables

_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class _MJ:
    bases: frozenset[str]
    ivs: frozenset[str]
    rows: dict[str, tuple[tuple[int, str, str, str], ...]]  # base -> (mj, char, jis, shrink) rows


@cache
def mj_table() -> _MJ:
    """The MJ character table (``mj_chars.tsv``), read on first use and kept (importing reads no table)."""
    text = (_DATA / "mj_chars.tsv").read_text(encoding="utf-8")
    rows: dict[str, list[tuple[int, str, str, str]]] = {}
    ivs: set[str] = set()
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        mj, char, jis, shrink = line.split("\t")
        if shrink == "=":
            shrink = char
        rows.setdefault(char[0], []).append((int(mj), char, jis, shrink))
        if len(char) > 1:
            ivs.add(char)
    return _MJ(
        bases=frozenset(rows),
        ivs=frozenset(ivs),
        rows={k: tuple(v) for k, v in rows.items()},
    )


@dataclass(frozen=True, slots=True)
class _JIS:
    single: dict[str, str]  # character -> 面-区-点
    multi: dict[str, str]  # base + combining mark(s) -> 面-区-点


@cache
def jis_table() -> _JIS:
    """The JIS X 0213 table (from the codec), built on first use and kept (importing builds no table)."""
    single: dict[str, str] = {}
    multi: dict[str, str] = {}
    for plane, prefix in ((1, b""), (2, b"\x8f")):
        for row in range(1, 95):
            for cell in range(1, 95):
                try:
                    s = (prefix + bytes((row + 0xA0, cell + 0xA0))).decode("euc_jis_2004")
                except UnicodeDecodeError:
                    continue
                pos = f"{plane}-{row:02d}-{cell:02d}"
                if len(s) == 1:
                    single.setdefault(s, pos)
                else:
                    multi.setdefault(s, pos)
    return _JIS(single=single, multi=multi)


@cache
def _standard() -> frozenset[str]:
    """Single code points that are standard in Ｎ items (CP932 variants included)."""
    excluded = {"\u00a0", "\u00ad"}
    jis = {c for c in jis_table().single if ord(c) >= 0x80 and c not in excluded}
    return frozenset(jis | mj_table().bases)


def _clean_n_chars() -> list[int]:
    """Code points that are standard in Ｎ items without any context (no selector, mark, variant)."""
    return sorted(
        ord(c)
        for c in _standard()
        if c not in _CP932_VARIANTS and not is_mark(c) and not is_selector(ord(c)) and c not in INVISIBLE_CHARS
    )


def clean_n_class() -> str:
    """The regex class source of BMP characters that are not clean in Ｎ items (see below)."""
    allowed = [cp for cp in _clean_n_chars() if cp <= 0xFFFF]
    ranges: list[str] = []
    start = prev = allowed[0]
    for cp in [*allowed[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(_re_char(start) if start == prev else f"{_re_char(start)}-{_re_char(prev)}")
        start = prev = cp
    return "[^" + "".join(ranges) + "\\U00010000-\\U0010ffff]"


CLEAN_N_FILE = _DATA / "clean_n_class.txt"


@cache
def _clean_n_re() -> re.Pattern[str]:
    """Finds the first BMP character that is not clean.

    Supplementary-plane characters are all let through here and checked by :func:`_clean_n_supp`:
    a regex class with thousands of supplementary ranges is scanned linearly by ``re`` for every
    character that misses its BMP bitmap, which made a miss ~100 µs.

    The class is derived from the MJ table and JIS X 0213 (:func:`clean_n_class`), which takes
    ~0.3 s per process; ``tools/build_char_table.py`` stores it in ``data/clean_n_class.txt`` so a
    run only compiles it (~15 ms). A test checks the stored class equals the derived one.
    """
    try:
        source = CLEAN_N_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        source = clean_n_class()
    return re.compile(source)


@cache
def _clean_n_supp() -> frozenset[str]:
    return frozenset(chr(cp) for cp in _clean_n_chars() if cp > 0xFFFF)


@cache
def _clean_n_set() -> frozenset[str]:
    return frozenset(chr(cp) for cp in _clean_n_chars())


_SUPPLEMENTARY_RE = re.compile("[\\U00010000-\\U0010ffff]")


def _re_char(cp: int) -> str:
    # Non-ASCII BMP characters are written as themselves: ``re`` parses a literal in a class about
    # twice as fast as a ``\\uXXXX`` escape, which halves compiling the Ｎ class at start-up.
    if 0x80 <= cp <= 0xFFFF and not 0xD800 <= cp <= 0xDFFF:
        return chr(cp)
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


_CLEAN_X_RE = re.compile(r"[^\x20-\x7e]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


# ---------------------------------------------------------------------------------------------
# Fast paths


def fullwidth_column_clean(joined: str) -> bool:
    """True when no ``Ｎ`` value whose concatenation is ``joined`` can have a character problem.

    Join the values with ``""``. True means every character is a standard character that needs no
    context (no selector, combining mark, control, half-width or CP932-variant character), so the
    engine may skip :func:`fullwidth_problems` for all these values. False only means "check the
    values one by one". Plane 15/16 private-use characters always give False.
    """
    if _clean_n_re().search(joined) is not None:
        return False
    if _SUPPLEMENTARY_RE.search(joined) is None:
        return True
    supp = _clean_n_supp()
    return all(c in supp for c in _SUPPLEMENTARY_RE.findall(joined))


def halfwidth_column_clean(joined: str) -> bool:
    """True when no ``X`` value whose concatenation is ``joined`` can have a character problem.

    Join the values with ``""``. True means the text is printable ASCII (U+0020–U+007E) only.
    """
    # bytes.translate deletes with a table lookup per byte: about twice as fast as a regex search
    # or str.isprintable (a Unicode database lookup per character).
    return joined.isascii() and not joined.encode("ascii").translate(None, _PRINTABLE_ASCII)


# ---------------------------------------------------------------------------------------------
# Per-value checks


def _problem(code: str, pos: int, char: str, suggestion: str | None, **params: str) -> CharProblem:
    codepoints = f"U+{ord(char):04X}" if len(char) == 1 else codepoint_text(char)
    return CharProblem(code, pos, char, codepoints, suggestion, params)


def _control(pos: int, unit: str) -> CharProblem | None:
    cp = ord(unit[0])
    if is_control(cp):
        return _problem(CONTROL, pos, unit, None, name=control_name(cp))
    if unit[0] in INVISIBLE_CHARS:
        return _problem(INVISIBLE, pos, unit, None, name=unicodedata.name(unit[0], f"U+{cp:04X}"))
    return None


def control_problems(value: str) -> list[CharProblem]:
    """Control and invisible format characters in ``value`` (a check for items of every type).

    Finds C0 controls (TAB, LF, CR, NUL, VT, …), DEL and C1 controls (``CHR001``), and invisible
    format characters such as ZERO WIDTH SPACE, a BOM inside a value or bidi marks (``CHR002``).
    """
    if value.isascii() and value.isprintable():
        return []
    out: list[CharProblem] = []
    for pos, unit in enumerate(split_chars(value), 1):
        p = _control(pos, unit)
        if p is not None:
            out.append(p)
    return out


def _halfwidth_kana_pair(units: list[str], i: int) -> str:
    """The half-width katakana at ``units[i]``, with a following ﾞ/ﾟ if they compose."""
    if i + 1 < len(units) and units[i + 1] in ("\uff9e", "\uff9f") and units[i] not in ("\uff9e", "\uff9f"):
        pair = units[i] + units[i + 1]
        if len(unicodedata.normalize("NFKC", pair)) == 1:
            return pair
    return units[i]


def _to_fullwidth(s: str) -> str | None:
    """The standard full-width form of a half-width character (or composed kana pair), if any."""
    full = _HALF_TO_FULL_SPECIAL.get(s)
    if full is None:
        full = unicodedata.normalize("NFKC", s)
        if 0x21 <= ord(s[0]) <= 0x7E:
            full = chr(ord(s[0]) + 0xFEE0)
    full = _CP932_VARIANTS.get(full, full)
    return full if len(full) == 1 and full in _standard() else None


def _classify_n(unit: str, gj_table: frozenset[str] | None) -> tuple[str, str | None] | None:
    """(code, suggestion) for one Ｎ character that is not half-width kana, or None if standard."""
    base = unit[0]
    cp = ord(base)
    if is_selector(cp):
        return LONE_SELECTOR, None
    if is_mark(base):
        return COMBINING_MARK, _SPACING_SOUND_MARKS.get(base)
    rest = unit[1:]
    selector = "".join(c for c in rest if is_selector(ord(c)))
    marks = "".join(c for c in rest if not is_selector(ord(c)))
    if marks:
        seq = base + marks
        jis = jis_table()
        if seq in jis.multi:
            return (UNREGISTERED_IVS, seq) if selector else None
        composed = unicodedata.normalize("NFC", seq)
        if len(composed) == 1 and composed in _standard():
            return DECOMPOSED, _CP932_VARIANTS.get(composed, composed)
        if base in _standard() and all(m in jis.single for m in marks) and not selector:
            return None  # e.g. IPA letter + JIS X 0213 combining diacritic
        return COMBINING_MARK, None
    if 0x20 <= cp <= 0x7E or cp in (0xA0, 0xA5, 0x203E) or unicodedata.east_asian_width(base) == "H":
        return HALFWIDTH_IN_N, _to_fullwidth(base)
    if 0xE000 <= cp <= 0xF8FF:
        return VENDOR_GAIJI, None
    if 0xF0000 <= cp <= 0x10FFFD:
        if gj_table is None:
            return GJ_UNVERIFIED, None
        if base not in gj_table:
            return PUA_NOT_GJ, None
        return (UNREGISTERED_IVS, base) if selector else None
    if base in _CP932_SIGNS:
        return CP932_SIGN, _CP932_SIGNS[base]
    if base in _CP932_VARIANTS:
        return CP932_VARIANT, _CP932_VARIANTS[base]
    if base in _standard():
        if selector and unit not in mj_table().ivs:
            return UNREGISTERED_IVS, base
        return None
    return NOT_STANDARD, _not_standard_suggestion(base)


def _not_standard_suggestion(base: str) -> str | None:
    """A standard replacement for a non-standard character, only where the data gives one."""
    composed = unicodedata.normalize("NFC", base)  # CJK compatibility ideograph -> unified
    if composed != base and len(composed) == 1 and composed in _standard():
        return composed
    rows = mj_table().rows.get(base)
    if rows:
        for _, _, _, shrink in rows:
            for c in shrink:
                if c != base and c in _standard():
                    return c
    return None


def fullwidth_problems(value: str, *, gj_table: frozenset[str] | None = None) -> list[CharProblem]:
    """Character problems of a ``Ｎ`` (全角文字列) value.

    Args:
        value: The value as written (never normalised).
        gj_table: The 追加文字 (GJ) characters, as single-character strings (see
            :func:`parse_gj_table`). Without it a plane 15/16 private-use character is a warning
            (``CHR006``) because it cannot be verified.

    Returns:
        One :class:`CharProblem` per offending character, in order.
    """
    if fullwidth_column_clean(value):
        return []
    out: list[CharProblem] = []
    clean = _clean_n_set()
    units = split_chars(value)
    i = 0
    pos = 0
    while i < len(units):
        unit = units[i]
        pos += 1
        i += 1
        if unit in clean:
            continue
        p = _control(pos, unit)
        if p is not None:
            out.append(p)
            continue
        if 0xFF61 <= ord(unit[0]) <= 0xFF9F and len(unit) == 1:
            kana = _halfwidth_kana_pair(units, i - 1)
            out.append(_problem(HALFWIDTH_KANA_IN_N, pos, kana, _to_fullwidth(kana)))
            if len(kana) == 2:  # the sound mark (next position) is part of this problem
                i += 1
                pos += 1
            continue
        found = _classify_n(unit, gj_table)
        if found is not None:
            out.append(_problem(found[0], pos, unit, found[1]))
    return out


def halfwidth_problems(value: str) -> list[CharProblem]:
    """Character problems of an ``X`` (半角文字列) value: printable ASCII U+0020–U+007E only.

    Half-width katakana is ``CHR015`` (no suggestion: full-width is not allowed in ``X`` either);
    full-width ASCII forms and U+3000 are ``CHR016`` with the half-width form as suggestion; any
    other non-ASCII character is ``CHR017``; control characters are ``CHR001``.
    """
    if _CLEAN_X_RE.search(value) is None:
        return []
    out: list[CharProblem] = []
    units = split_chars(value)
    i = 0
    pos = 0
    while i < len(units):
        unit = units[i]
        pos += 1
        i += 1
        cp = ord(unit[0])
        if 0x20 <= cp <= 0x7E and len(unit) == 1:
            continue
        p = _control(pos, unit)
        if p is not None:
            out.append(p)
        elif 0xFF61 <= cp <= 0xFF9F and len(unit) == 1:
            kana = _halfwidth_kana_pair(units, i - 1)
            out.append(_problem(HALFWIDTH_KANA_IN_X, pos, kana, None))
            if len(kana) == 2:
                i += 1
                pos += 1
        elif (0xFF01 <= cp <= 0xFF5E or cp == 0x3000) and len(unit) == 1:
            out.append(_problem(FULLWIDTH_IN_X, pos, unit, " " if cp == 0x3000 else chr(cp - 0xFEE0)))
        else:
            out.append(_problem(NON_ASCII_IN_X, pos, unit, None))
    return out


# ---------------------------------------------------------------------------------------------
# GJ table


def parse_gj_table(text: str) -> frozenset[str]:
    """Parse a GJ (追加文字) table: one code point per line written ``U+10xxxx``.

    Blank lines and ``#`` comments are ignored; anything after the code point on a line (e.g. the
    ``GJ000001`` id) is ignored too.

    Raises:
        ValueError: a line does not start with ``U+`` and a hexadecimal code point, naming the line.
    """
    out: set[str] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"[Uu]\+([0-9A-Fa-f]{4,6})\b", line)
        if m is None or int(m.group(1), 16) > 0x10FFFF:
            raise ValueError(f"line {n}: expected a code point like U+100000, got {raw.strip()!r}")
        out.add(chr(int(m.group(1), 16)))
    return frozenset(out)


# ---------------------------------------------------------------------------------------------
# describe / the `kikan-std chars` tool


@cache
def _titles() -> dict[str, dict[str, str]]:
    import tomllib  # only when a title is shown: importing the module stays light

    data = tomllib.loads((_DATA / "catalogue" / "chars.toml").read_text(encoding="utf-8"))
    return {code: dict(entry["title"]) for code, entry in data.items()}


def _mj_facts(unit: str) -> tuple[tuple[str, ...], str | None, tuple[str, ...]]:
    """(MJ numbers, JIS position, 縮退 candidates) for a character, from the MJ table."""
    rows = mj_table().rows.get(unit[0], ())
    if len(unit) > 1:
        rows = tuple(r for r in rows if r[1] == unit)
    mj = tuple(f"MJ{r[0]:06d}" for r in rows)
    jis = next((r[2] for r in rows if r[2]), None)
    shrink: list[str] = []
    for r in rows:
        for c in r[3]:
            if c not in shrink:
                shrink.append(c)
    return mj, jis, tuple(shrink)


def describe(text: str, *, gj_table: frozenset[str] | None = None) -> list[CharInfo]:
    """Describe every character of ``text`` as an ``Ｎ`` value (an IVS sequence is one character)."""
    problems = {p.position: p for p in fullwidth_problems(text, gj_table=gj_table)}
    infos: list[CharInfo] = []
    units = split_chars(text)
    i = 0
    pos = 0
    jis_tab = jis_table()
    while i < len(units):
        unit = units[i]
        pos += 1
        i += 1
        p = problems.get(pos)
        start = pos
        if p is not None and len(p.char) > len(unit) and p.code == HALFWIDTH_KANA_IN_N:
            unit = p.char
            i += 1
            pos += 1
        mj, jis, shrink = _mj_facts(unit)
        if jis is None:
            jis = jis_tab.single.get(unit) or jis_tab.multi.get(unit)
        if p is None:
            if mj and len(unit) > 1:
                ja, en = "MJ文字 (IVS付き)", "MJ character (IVS sequence)"
            elif mj and all(len(r[1]) > 1 for r in mj_table().rows.get(unit, ())):
                ja = "MJ文字の基底字（字形は IVS で区別）"
                en = "base of MJ characters (glyphs told apart by IVS)"
            elif mj:
                ja, en = "MJ文字", "MJ character"
            elif gj_table is not None and unit[0] in gj_table:
                ja, en = "追加文字 (GJ表に登録あり)", "additional character (listed in the GJ table)"
            else:
                ja, en = "JIS X 0213 の文字", "JIS X 0213 character"
            infos.append(CharInfo(start, unit, codepoint_text(unit), True, None, ja, en, mj, jis, None, shrink))
            continue
        titles = _titles().get(p.code, {"ja": p.code, "en": p.code})
        info_only = p.code == CP932_VARIANT
        infos.append(
            CharInfo(
                start,
                p.char,
                p.codepoints,
                info_only,
                p.code,
                titles["ja"],
                titles["en"],
                mj,
                jis,
                p.suggestion,
                shrink,
            )
        )
    return infos
