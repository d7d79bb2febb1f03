"""Lexical field checks: the string the vendor wrote against the item's type, length and code list.

Two paths give the same answer:

* :meth:`FieldChecker.check_value` checks one value exactly and returns ``(code, params)`` pairs;
* :meth:`FieldChecker.column_clean` looks at a whole column of a chunk at C speed (``str.join``,
  ``str.isascii``, one regex search, ``max(map(len, …))``) and returns True only when no value can
  have a problem. When it returns False the engine falls back to the exact path.

Nothing is coerced: ``"１２"`` in a ``9`` item is a violation even though ``int("１２") == 12``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import itertools
import re
from collections.abc import Callable, Collection, Sequence

from kikan_std import catalogue
from kikan_std.jp import chars
from kikan_std.jp.encodings import cp932_only_chars as chars_cp932_only
from kikan_std.model.formats import FORMATS, FULLWIDTH_TO_HALF, ColumnCheck, Problem
from kikan_std.model.spec import CodeList, DataType, Format, Item

# Lone surrogates are how undecodable input bytes arrive (decoded with surrogateescape).
_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")

_DATE_SHAPE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_TIME_RE = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_YEAR_RE = re.compile(r"\d{4}", re.ASCII)
_DIGITS_RE = re.compile(r"\d+", re.ASCII)
_SIGNED_RE = re.compile(r"-?(\d+)", re.ASCII)
_DECIMAL_RE = re.compile(r"(\d+)(?:\.(\d+))?", re.ASCII)

# Whole-column patterns: one C-level fullmatch over the values joined by "\n" proves every value
# valid (blank allowed; required blanks are caught before). Calendar validity, leap years included,
# is encoded in the pattern; year 0000 only as the open start 0000-01-01.
_DATE_RE_TEXT = (
    r"(?:0000-01-01|(?!0000)\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
    r"|02-(?:0[1-9]|1\d|2[0-8]))|(?:\d\d(?:0[48]|[2468][048]|[13579][26])|(?!0000)(?:[02468][048]|[13579][26])00)-02-29)"
)
_UNKNOWN_DATE_RE_TEXT = r"\d{4}-(?:0\d|1[0-2])-(?:[0-2]\d|3[01])"
_TIME_RE_TEXT = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"


# Shapes a spreadsheet program (Excel) gives a value it took for a number, a date or a time: the
# value of a finding with such a shape gets a hint (kikan_std/data/catalogue/hints.toml).
_EXPONENT_RE = re.compile(r"-?\d(?:\.\d+)?E[+-]?\d{1,3}", re.ASCII | re.IGNORECASE)
_LOOSE_DATE_RE = re.compile(r"(\d{4})([/-])(\d{1,2})\2(\d{1,2})(?: \d{1,2}:\d{2}(?::\d{2})?)?", re.ASCII)
_LOOSE_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", re.ASCII)
_NUMERIC_TYPES = frozenset({DataType.X, DataType.NUM, DataType.DECIMAL, DataType.SIGNED})
"""Types whose values a spreadsheet may have taken for a number (Ｎ holds text, DATE/TIME their own shapes)."""

# Formats whose every value has one width; the width, given the item's 桁数.
_WIDTH_OF_FORMAT: dict[Format, Callable[[int], int]] = {
    Format.CODE_DIGITS: lambda n: n,
    Format.CODE_WIDTH: lambda n: n,
    Format.PADDED_NUMBER: lambda n: n,
    Format.ZENGIN_NUMERIC: lambda n: n,
}

_PREDICATE_TYPES = frozenset({DataType.X, DataType.N, DataType.NUM})
"""Types whose column check uses C-level string predicates instead of a whole-column pattern."""

_LONGEST_SHAPE = {DataType.DATE: 10, DataType.TIME: 8, DataType.YEAR: 4}
"""The longest value the whole-column pattern of these types accepts."""


@functools.cache
def _whole_pattern(t: DataType, length: str, unknown_date: bool) -> re.Pattern[str]:
    n = int(length.split(",")[0])
    frac = int(length.split(",")[-1]) if "," in length else 0
    value_re = {
        DataType.SIGNED: rf"-?\d{{1,{n}}}",
        # "n,0" allows no fraction at all (and \d{1,0} would not even compile).
        DataType.DECIMAL: rf"\d{{1,{n}}}" + (rf"(?:\.\d{{1,{frac}}})?" if frac else ""),
        DataType.DATE: _UNKNOWN_DATE_RE_TEXT if unknown_date else _DATE_RE_TEXT,
        DataType.TIME: _TIME_RE_TEXT,
        DataType.YEAR: r"\d{4}",
        DataType.BLOB: r"(?!)",
    }[t]
    return re.compile(rf"(?:(?:{value_re})?\n)*(?:{value_re})?", re.ASCII)


def _whole_column_re(item: Item) -> re.Pattern[str] | None:
    """One pattern matching the column's values joined by "\\n" iff each is valid (None for X, Ｎ, 9)."""
    if item.type in _PREDICATE_TYPES:
        return None
    return _whole_pattern(item.type, item.length, item.allows_unknown_date)


def char_length(value: str) -> int:
    """Length in characters as the 基本データリスト counts them.

    A character is a code point with the variation selector and combining marks that follow it,
    so an IVS sequence counts as one (the same unit :mod:`kikan_std.jp.chars` uses for positions).
    """
    if value.isascii():
        return len(value)
    return chars.count_chars(value)


def codepoints(s: str) -> str:
    """``"U+XXXX U+YYYY"`` for the characters of ``s``."""
    return " ".join(f"U+{ord(c):04X}" for c in s)


def is_calendar_date(value: str) -> bool:
    """True if ``value`` is ``YYYY-MM-DD`` and a real Gregorian date (``0000-01-01`` = open start)."""
    m = _DATE_SHAPE_RE.fullmatch(value)
    if not m:
        return False
    if value == "0000-01-01":
        return True
    try:
        _dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return True


_UNKNOWN_SHAPE_RE = re.compile(r"\d{4}-(?:0\d|1[0-2])-(?:[0-2]\d|3[01])", re.ASCII)
_UNKNOWN_LINE_RE = re.compile(rf"^(?!(?:{_DATE_RE_TEXT})$){_UNKNOWN_SHAPE_RE.pattern}$", re.ASCII | re.MULTILINE)


def unknown_date_rows(values: Sequence[str]) -> list[int]:
    """Positions of the 不詳日 in ``values``, ascending (same meaning as :func:`is_unknown_date`).

    A 10-character value can only be a 不詳日 with month or day 00, day 29–31 or year 0000; those
    candidates are picked by position (see :func:`_dates_clean`) and only they go through the
    pattern. Columns of other lengths go through the pattern whole.
    """
    if len(values) == 1:  # one record (a record model): no column to be fast over
        return [0] if is_unknown_date(values[0]) else []
    positions = list(itertools.compress(itertools.count(), values))  # the non-blank values
    fixed = _fixed_width(values, (10,))
    if fixed is None:
        found = {m[0] for m in _UNKNOWN_LINE_RE.finditer("\n".join(values))} & set(values)
        return list(itertools.compress(itertools.count(), map(found.__contains__, values)))
    vals, b, _ = fixed
    if not vals:
        return []
    cand = _zero_month_or_day(b) | _undecided_by_position(b)
    if not cand:
        return []
    picked = list(itertools.compress(positions, cand.to_bytes(len(vals), "big")))
    found = {m[0] for m in _UNKNOWN_LINE_RE.finditer("\n".join(values[i] for i in picked))}
    return [i for i in picked if values[i] in found]


_NON_CALENDAR_LINE_RE = re.compile(rf"^(?!(?:{_DATE_RE_TEXT})$).+$", re.ASCII | re.MULTILINE)


def non_calendar_values(values: Collection[str]) -> set[str]:
    """The non-blank values that are not calendar dates: ``{v for v in values if v and not is_calendar_date(v)}``.

    Found in one C-level pass over the values joined by LF (values holding a line break are taken
    one by one, as a line would then be only a piece of a value).
    """
    joined = "\n".join(values)
    if joined.count("\n") != len(values) - 1:
        return {v for v in values if v and not is_calendar_date(v)}
    if _whole_pattern(DataType.DATE, "10", False).fullmatch(joined) is not None:
        return set()  # the common case, proven by one plain match
    return {m[0] for m in _NON_CALENDAR_LINE_RE.finditer(joined)}


def is_unknown_date(value: str) -> bool:
    """True for a 不詳日: ``YYYY-MM-DD`` shaped (month 00–12, day 00–31) but not a calendar date."""
    m = _DATE_SHAPE_RE.fullmatch(value)
    return m is not None and int(m[2]) <= 12 and int(m[3]) <= 31 and not is_calendar_date(value)


def _date_problems(item: Item, value: str) -> list[Problem]:
    m = _DATE_SHAPE_RE.fullmatch(value)
    if not m:
        return [("FLD011", {"expected": "YYYY-MM-DD"})]
    if is_calendar_date(value):
        return []
    if item.allows_unknown_date:
        # 不詳日: the standard allows non-calendar dates for this item (e.g. 2/29 of a common year,
        # 00 for an unknown month or day). The shape must still hold: month 00–12, day 00–31.
        if int(m[2]) <= 12 and int(m[3]) <= 31:
            return []
        return [("FLD012", {"reason": "月は00〜12、日は00〜31（不詳日）"})]
    return [("FLD012", {"reason": "暦に存在しない日付"})]


def _time_problems(value: str) -> list[Problem]:
    m = _TIME_RE.fullmatch(value)
    if not m:
        return [("FLD014", {"expected": "HH:MM:SS"})]
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if h > 23 or mi > 59 or s > 59:
        return [("FLD014", {"expected": "00:00:00〜23:59:59"})]
    return []


def _char_problems(problems: list[chars.CharProblem]) -> list[Problem]:
    """Character problems as (code, params), the first occurrence of each code only."""
    out: list[Problem] = []
    seen: set[str] = set()
    for p in problems:
        if p.code in seen:
            continue
        seen.add(p.code)
        out.append(
            (p.code, {"char": p.char, "codepoints": p.codepoints, "position": p.position,
                      "suggestion": p.suggestion if p.suggestion is not None else "-", **p.params})
        )
    return out


def _blocking(problems: list[Problem]) -> bool:
    """True if any problem is worse than info (info, e.g. a CP932 variant, lets checks go on)."""
    return any(catalogue.entry(code).severity != "info" for code, _ in problems)


class FieldChecker:
    """All lexical checks of one item, compiled once per run."""

    __slots__ = (
        "_cache",
        "_code_values",
        "_code_values_or_blank",
        "_dedupe",
        "_dedupe_skips",
        "_format_column",
        "_format_fixes_shape",
        "_format_value",
        "_gj_table",
        "_halfwidth_fix",
        "_hints",
        "_known",
        "_own_charset",
        "_padded_widths",
        "_pattern_needs_length",
        "_sjis_strict",
        "_value_checks",
        "_whole",
        "item",
        "max_length",
        "required",
    )

    def __init__(
        self,
        item: Item,
        code_list: CodeList | None,
        *,
        gj_table: frozenset[str] | None = None,
        sjis_strict: bool = False,
        hints: bool = True,
    ) -> None:
        self.item = item
        self._hints = hints
        self._gj_table = gj_table
        self._sjis_strict = sjis_strict
        self.required = item.required
        self.max_length = item.max_length
        self._code_values: frozenset[str] | None = (
            code_list.allowed if code_list is not None and not code_list.open else None
        )
        self._code_values_or_blank = (self._code_values or frozenset()) | {""}
        rule = FORMATS[item.format] if item.format is not None else None
        self._format_value = rule.check(self.max_length) if rule is not None else None
        self._format_column: ColumnCheck | None = rule.column(self.max_length) if rule is not None else None
        self._own_charset = rule is not None and rule.own_charset and item.type is DataType.X
        # 郵便番号 in full-width digits: the fix to offer is the whole half-width value.
        self._halfwidth_fix = rule is not None and rule.halfwidth_fix
        self._value_checks = self._build_value_checks()
        self._cache: dict[str, list[Problem]] = {}
        self._whole = _whole_column_re(item)
        # A spec may declare such an item shorter than its pattern (a DATE of length 8, say): the
        # pattern alone would then pass values that the exact path reports as too long (FLD002).
        self._pattern_needs_length = _LONGEST_SHAPE.get(item.type, 0) > self.max_length
        # An X item whose content format fixes every value to digits of one width (個人番号, 郵便番号…)
        # within its 桁数: the format's column check (exact on width and digits) says all the type
        # check would, so the character and length passes are skipped.
        width = rule.width if rule is not None else None
        self._format_fixes_shape = item.type is DataType.X and width is not None and 1 <= width <= self.max_length
        self._dedupe = True
        self._dedupe_skips = 0
        self._known: set[str] = set()
        self._padded_widths = self._widths_to_pad()

    # -- exact path ---------------------------------------------------------------------------

    def _build_value_checks(self) -> list[Callable[[str], list[Problem]]]:
        item = self.item
        checks: list[Callable[[str], list[Problem]]] = []
        t = item.type
        if t is DataType.NUM:
            checks.append(_shape_check(_DIGITS_RE, "FLD008", item.max_length))
        elif t is DataType.SIGNED:
            # 桁数 of an S9 item counts digits, the sign excluded (凡例 データ型).
            checks.append(_shape_check(_SIGNED_RE, "FLD010", item.max_length, digits_in_group=True))
        elif t is DataType.DECIMAL:
            checks.append(self._decimal_problems)
        elif t is DataType.DATE:
            checks.append(lambda v: _date_problems(item, v))
        elif t is DataType.YEAR:
            checks.append(lambda v: [] if _YEAR_RE.fullmatch(v) else [("FLD013", {"expected": "YYYY"})])
        elif t is DataType.TIME:
            checks.append(_time_problems)
        if self._format_value is not None:
            checks.append(self._format_value)
        if self._code_values is not None:
            allowed = self._code_values
            checks.append(
                lambda v: []
                if v in allowed
                else [("FLD015", {"allowed": " / ".join(sorted(allowed, key=lambda s: (len(s), s)))})]
            )
        return checks

    def _decimal_problems(self, value: str) -> list[Problem]:
        m = _DECIMAL_RE.fullmatch(value)
        n, frac = self.item.max_length, self.item.fraction_digits
        if not m:
            return [("FLD009", {"expected": f"整数部{n}桁以内.小数部{frac}桁以内"})]
        if len(m[1]) > n or len(m[2] or "") > frac:
            return [("FLD009", {"expected": f"整数部{n}桁以内.小数部{frac}桁以内"})]
        return []

    def _widths_to_pad(self) -> tuple[int, ...]:
        """The widths a digits-only value of this item is expected to fill (leading zeros included):
        a format's fixed width, and the widths of the code values of a closed code list."""
        widths: set[int] = set()
        fmt = self.item.format
        if fmt is not None:
            rule = FORMATS[fmt]
            if rule.width is not None:
                widths.add(rule.width)
            elif fmt in _WIDTH_OF_FORMAT:
                widths.add(_WIDTH_OF_FORMAT[fmt](self.max_length))
        if self._code_values is not None:
            widths |= {len(v) for v in self._code_values if v.isascii() and v.isdigit()}
        return tuple(sorted(w for w in widths if w >= 2))

    def excel_hint(self, value: str) -> str | None:
        """The name of the hint the shape of a value with problems suggests (hints.toml), or None.

        * ``excel-exponent``: a number in exponent notation (``7.46498E+11``) in a half-width or
          numeric item — its lower digits are gone;
        * ``excel-leading-zeros``: digits only, shorter than a width the item fixes (a format's width
          or the width of its code values), and valid once zeros are added in front (``1`` →
          ``000000000000001``, ``2`` → ``02``);
        * ``excel-date`` / ``excel-time``: ``2024/4/1`` (or ``2024-4-1``, ``2024/04/01``, with ``0:00``)
          in a DATE item, ``9:00:00`` in a TIME item, valid once written the standard way.

        "Valid once …" is decided by this checker's own exact path, so a hint never says a value
        would be right when it would not. The hint depends on the value alone: the same in every
        part of a parallel run.
        """
        t = self.item.type
        if t is DataType.DATE:
            m = _LOOSE_DATE_RE.fullmatch(value)
            if m is not None:
                fixed = f"{m[1]}-{int(m[3]):02d}-{int(m[4]):02d}"
                if fixed != value and self.passes(fixed):
                    return "excel-date"
            return None
        if t is DataType.TIME:
            m = _LOOSE_TIME_RE.fullmatch(value)
            if m is not None and len(m[1]) == 1:
                fixed = f"{int(m[1]):02d}:{m[2]}" + (f":{m[3]}" if m[3] is not None else "")
                if self.passes(fixed):
                    return "excel-time"
            return None
        if t not in _NUMERIC_TYPES or not value.isascii():
            return None
        if ("E" in value or "e" in value) and _EXPONENT_RE.fullmatch(value) is not None:
            return "excel-exponent"
        if value.isdigit():
            for w in self._padded_widths:
                if len(value) < w and self.passes(value.zfill(w)):
                    return "excel-leading-zeros"
        return None

    def passes(self, value: str) -> bool:
        """Whether a value of ASCII digits, ``-`` and ``:`` (what :meth:`excel_hint` builds) has no problem.

        The same answer as ``not check_value(value)`` for such values, cheaper: no character rule
        can object to them, so only the type, format and code checks and the length remain (a
        property test holds the two together).
        """
        if any(check(value) for check in self._value_checks):
            return False
        return self.item.type in (DataType.DECIMAL, DataType.SIGNED) or len(value) <= self.max_length

    def check_value(self, value: str) -> list[Problem]:
        """All problems of one non-empty or empty value (exact path, cached per distinct value).

        When the value's shape suggests a spreadsheet damaged it (:meth:`excel_hint`), the first
        problem that is not info carries the hint's name as ``params["hint"]``: one finding per
        defect, with the hint added to its message. A checker made with ``hints=False`` (values that
        never went through a spreadsheet: JSON, XML, fixed-width, records in memory) adds none.
        """
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        out = self._check_uncached(value)
        if out and value and self._hints:
            name = self.excel_hint(value)
            if name is not None:
                for k, (code, params) in enumerate(out):
                    if catalogue.entry(code).severity != "info":
                        out = [*out[:k], (code, {**params, "hint": name}), *out[k + 1 :]]
                        break
        if len(self._cache) > 100_000:
            self._cache.clear()  # bounded: high-cardinality columns would otherwise grow it forever
        self._cache[value] = out
        return out

    def _check_uncached(self, value: str) -> list[Problem]:
        if value == "":
            return [("FLD001", {})] if self.required else []
        m = _SURROGATE_RE.search(value)
        if m is not None:
            return [("CSV001", {"bytes": _first_undecodable(value, m.start()), "position": char_length(value[: m.start()]) + 1})]
        t = self.item.type
        if self._own_charset:
            out = []  # the format's character set is the whole character rule (checked below)
        elif t is DataType.X:
            out = _char_problems(chars.halfwidth_problems(value))
        elif t is DataType.N:
            out = _char_problems(chars.fullwidth_problems(value, gj_table=self._gj_table))
        else:
            out = _char_problems(chars.control_problems(value))
        if self._sjis_strict:
            out += [("ENC001", {"char": ch, "codepoints": codepoints(ch), "position": pos})
                    for pos, ch in chars_cp932_only(value)[:1]]
        fmt_check = self._format_value
        if self._halfwidth_fix and fmt_check is not None and out and all(c == "CHR016" for c, _ in out):
            # The format's fix is the whole half-width value, not the first character (see formats.py).
            half = value.translate(FULLWIDTH_TO_HALF)
            if not fmt_check(half):
                out = [(c, {**params, "suggestion": half}) for c, params in out]
        if _blocking(out):
            return out  # a character problem says it all; type checks would only cascade
        for check in self._value_checks:
            problems = check(value)
            if problems:
                out.extend(problems)
                break  # one content problem per value: later checks would only cascade
        n = char_length(value)
        length_limited = self.item.type not in (DataType.DECIMAL, DataType.SIGNED)
        # A content format (postal code, numbers…) fixes the length itself; its finding says it all.
        if length_limited and n > self.max_length and not (out and self.item.format is not None):
            out.insert(0, ("FLD002", {"length": n, "max": self.max_length}))
        return out

    # -- fast path ----------------------------------------------------------------------------

    def column_clean(self, col: Sequence[str]) -> bool:
        """True only if no value of ``col`` has any problem (conservative: False means 'look closer')."""
        if not col:
            return True
        # Repetitive columns (codes, dates, prefectures) are checked once per distinct value;
        # near-unique ones (numbers, names) skip the set, which would cost more than it saves.
        values: Collection[str] = col
        distinct: set[str] | None = None
        if self._dedupe:
            distinct = set(col)
            if self.required and "" in distinct:
                return False
            self._dedupe = len(distinct) * 2 < len(col)
            # Values already proven clean in earlier chunks need no second look.
            values = distinct - self._known
            if not values:
                return True
        else:
            if self.required and "" in col:
                return False
            self._dedupe_skips += 1
            if self._dedupe_skips % 16 == 0:
                self._dedupe = True  # look again now and then: data changes along a file
        if not self._clean(values):
            return False
        if distinct is not None:
            # Bounded: a high-cardinality column would grow it forever. Past 20,000 values it is
            # kept only while it pays: values that repeat within a chunk but rarely across chunks
            # (household numbers, say) would otherwise fill it to the hard cap for nothing.
            hits = len(distinct) - len(values)
            if len(self._known) > 200_000 or (len(self._known) > 20_000 and hits * 4 < len(distinct)):
                self._known.clear()
            self._known |= values  # type: ignore[arg-type]
        return True

    @property
    def known_values(self) -> int:
        """How many values :meth:`column_clean` currently remembers as proven clean (a bounded cache)."""
        return len(self._known)

    def _clean(self, values: Collection[str]) -> bool:
        if not values:
            return True
        fixed = self._format_fixes_shape
        joined = "".join(values) if (self._whole is None and not fixed) or self._sjis_strict else ""
        if not fixed and not self._shape_clean(values, joined):
            return False
        if self._sjis_strict and not _shift_jis_encodable(joined):
            return False
        if self._code_values is not None and not set(values) <= self._code_values_or_blank:
            return False
        if self._format_column is not None:
            return self._format_column(values)
        return True

    def _shape_clean(self, values: Collection[str], joined: str) -> bool:
        """Character class, type shape and length of every value (blank values pass)."""
        t = self.item.type
        # C-level string predicates on the joined values where they say exactly what the type
        # allows: one pass per column, and no separator that a value could itself contain.
        if t is DataType.X:
            chars_ok = self._own_charset or chars.halfwidth_column_clean(joined)
        elif t is DataType.N:
            chars_ok = chars.fullwidth_column_clean(joined)  # clean Ｎ has no selector or mark: len() counts
        elif t is DataType.NUM:
            chars_ok = not joined or (joined.isascii() and joined.isdigit())
        else:
            # Times and dates of one length: position by position. Otherwise (and for signed or
            # decimal numbers) one pattern over the values joined by LF; a value holding an LF
            # itself would split in two, so such a column is looked at closely.
            if t is DataType.TIME:
                ok = _times_clean(values)
            elif t is DataType.DATE:
                ok = _dates_clean(values, self.item.allows_unknown_date)
            else:
                ok = None
            if ok is None:
                assert self._whole is not None
                lines = "\n".join(values)
                ok = lines.count("\n") == len(values) - 1 and self._whole.fullmatch(lines) is not None
            return ok and (not self._pattern_needs_length or max(map(len, values), default=0) <= self.max_length)
        return chars_ok and max(map(len, values), default=0) <= self.max_length


# Fixed-width columns (times, dates) checked position by position: each position of the values is
# one strided slice of their bytes joined by LF, tested with C-level bytes methods; a condition on
# two positions is the AND of two bit masks (one byte per value, 1 where the position holds one of
# the given characters). Several times faster than the whole-column pattern, and exact.


@functools.cache
def _ones(chars: bytes) -> bytes:
    """A translate table giving 1 for the bytes in ``chars`` and 0 for all others."""
    return bytes(int(b in chars) for b in range(256))


def _mask(column: bytes, chars: bytes) -> int:
    return int.from_bytes(column.translate(_ones(chars)), "big")


def _fixed_width(values: Collection[str], widths: tuple[int, ...]) -> tuple[list[str], bytes, int] | None:
    """(non-blank values, their ASCII bytes joined by LF, width + 1) when all have one of ``widths``."""
    vals = list(filter(None, values))
    k = len(vals)
    if k == 0:
        return vals, b"", 0
    step = len(vals[0]) + 1
    if step - 1 not in widths:
        return None
    joined = "\n".join(vals)
    # One length for all: the k - 1 line feeds sit exactly at every step-th place and nowhere else.
    if (
        not joined.isascii()
        or len(joined) != k * step - 1
        or joined.count("\n") != k - 1
        or joined[step - 1 :: step] != "\n" * (k - 1)
    ):
        return None
    return vals, joined.encode("ascii"), step


def _times_clean(values: Collection[str]) -> bool | None:
    """Whether every non-blank value is a valid ``HH:MM:SS`` (or every one ``HH:MM``).

    None when the values are not all of one of those two lengths: the caller then uses the pattern.
    """
    fixed = _fixed_width(values, (5, 8))
    if fixed is None:
        return None
    vals, b, step = fixed
    if not vals:
        return True
    colons = b":" * len(vals)
    if b[2::step] != colons or (step == 9 and b[5::step] != colons):
        return False
    if not all(b[p::step].isdigit() for p in ((0, 1, 3, 4, 6, 7) if step == 9 else (0, 1, 3, 4))):
        return False
    tens = b[0::step]
    if tens.translate(None, b"012") or b[3::step].translate(None, b"012345"):
        return False
    if step == 9 and b[6::step].translate(None, b"012345"):
        return False
    # Hours 20-23 only: a tens digit 2 with a units digit over 3 (24-29) sets a bit in both masks.
    return b"2" not in tens or not _mask(tens, b"2") & _mask(b[1::step], b"456789")


def _dates_clean(values: Collection[str], unknown_allowed: bool) -> bool | None:
    """Whether every non-blank value is a calendar ``YYYY-MM-DD`` (or a 不詳日 where allowed).

    The shape, month 01–12 (00–12 for 不詳日) and day 01–31 (00–31) are checked by position; the
    few values a position cannot settle (day 29–31, year 0000) go through the calendar pattern.
    None when the values are not all ten characters long: the caller then uses the pattern.
    """
    fixed = _fixed_width(values, (10,))
    if fixed is None:
        return None
    vals, b, _ = fixed
    k = len(vals)
    if not k:
        return True
    dashes = b"-" * k
    if b[4::11] != dashes or b[7::11] != dashes:
        return False
    if not all(b[p::11].isdigit() for p in (0, 1, 2, 3, 5, 6, 8, 9)):
        return False
    m10, m1, d10, d1 = b[5::11], b[6::11], b[8::11], b[9::11]
    if m10.translate(None, b"01") or d10.translate(None, b"0123"):
        return False
    if _mask(m10, b"1") & _mask(m1, b"3456789") or _mask(d10, b"3") & _mask(d1, b"23456789"):
        return False  # months 13-19, days 32-39
    if unknown_allowed:
        return True  # 不詳日: any month 00-12 and day 00-31
    if _zero_month_or_day(b):
        return False
    suspects = _undecided_by_position(b)
    if not suspects:
        return True
    picked = list(itertools.compress(vals, suspects.to_bytes(k, "big")))
    return _whole_pattern(DataType.DATE, "10", False).fullmatch("\n".join(picked)) is not None


def _zero_month_or_day(b: bytes) -> int:
    """Bit mask of the ``YYYY-MM-DD`` values (ASCII, joined by LF) with month or day 00."""
    m10, m1, d10, d1 = b[5::11], b[6::11], b[8::11], b[9::11]
    return _mask(m10, b"0") & _mask(m1, b"0") | _mask(d10, b"0") & _mask(d1, b"0")


def _undecided_by_position(b: bytes) -> int:
    """Bit mask of the ``YYYY-MM-DD`` values whose calendar validity a position cannot settle:
    days 29-31 depend on the month (and the year), year 0000 is valid as 0000-01-01 only."""
    d10 = b[8::11]
    mask = _mask(d10, b"3") | _mask(d10, b"2") & _mask(b[9::11], b"9")
    if b"0" in b[0::11]:
        mask |= _mask(b[0::11], b"0") & _mask(b[1::11], b"0") & _mask(b[2::11], b"0") & _mask(b[3::11], b"0")
    return mask


def _shift_jis_encodable(text: str) -> bool:
    try:
        text.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


_UNDECODABLE_SHOWN = 2
"""Undecodable bytes a CSV001 finding shows: enough to tell an encoding mix-up (a CP932 lead byte
read as UTF-8, say), too few to spell a name out of the hex."""


def _first_undecodable(value: str, start: int) -> str:
    """The first undecodable bytes of ``value`` (lone surrogates from ``start``) as hex, ``…`` if more."""
    run: list[int] = []
    for c in value[start:]:
        o = ord(c)
        if not 0xDC80 <= o <= 0xDCFF:
            break
        run.append(o - 0xDC00)
    if not run:  # a lone surrogate that is not an escaped byte (from a JSON "\ud800", say)
        return f"U+{ord(value[start]):04X}"
    more = len(run) > _UNDECODABLE_SHOWN or len(_SURROGATE_RE.findall(value)) > len(run)
    return bytes(run[:_UNDECODABLE_SHOWN]).hex(" ").upper() + (" …" if more else "")


def _shape_check(
    regex: re.Pattern[str], code: str, n: int, *, digits_in_group: bool = False
) -> Callable[[str], list[Problem]]:
    """The shape of a number; with ``digits_in_group`` the digits (group 1) are also at most ``n``."""

    def check(value: str) -> list[Problem]:
        m = regex.fullmatch(value)
        if m is None:
            half = value.translate(FULLWIDTH_TO_HALF)
            fixed = regex.fullmatch(half) if half != value else None
            hint = half if fixed is not None and not (digits_in_group and len(fixed[1]) > n) else "-"
            return [(code, {"expected": f"半角数字{n}桁以内", "suggestion": hint})]
        if digits_in_group and len(m[1]) > n:
            return [(code, {"expected": f"半角数字{n}桁以内", "suggestion": "-"})]
        return []

    return check
