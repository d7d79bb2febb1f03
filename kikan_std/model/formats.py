"""The content formats (:class:`~kikan_std.model.spec.Format`): one table, one entry per format.

An item's ``format`` pins down its content beyond its type (個人番号, 郵便番号, 全銀 fields …). Everything
the package knows about a format lives in its :class:`FormatRule` in :data:`FORMATS`:

* ``check`` — the exact check of one value (``(code, params)`` problems), used by
  :class:`~kikan_std.model.fields.FieldChecker`;
* ``column`` — the whole-column fast path: True only when no value can have a problem (never a
  value ``check`` rejects; a property test holds the two together);
* ``width`` — the digit width every value has, when the format fixes one (the type checks of such an
  X item are then implied by the column check and skipped);
* ``own_charset`` / ``halfwidth_fix`` — the format-specific character rules;
* ``pattern`` — the JSON Schema / XSD pattern (:mod:`kikan_std.model.schemas`);
* ``recognise`` — how the official 基本データリスト text names the format
  (:mod:`kikan_std.model.annotate`, for the built-in specs and imported workbooks);
* ``valid`` — how to make valid values (:mod:`kikan_std.testing.strategies`, the synthetic generators);
* ``breaks`` — how to break a valid value, and the code the checker then reports
  (:mod:`kikan_std.testing.mutate`).

Adding a format: a value of the enum, one entry here, its finding code in the catalogue. A test walks
every :class:`Format` and fails on an incomplete entry (``tests/test_formats_table.py``).

The checks take the item's 桁数 (``width``) because some formats depend on it (全銀 numeric fields fill
the whole field); most ignore it.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, Literal

from kikan_std.jp import checkdigits
from kikan_std.jp.chars import ZENGIN_CHARS
from kikan_std.model.spec import Format

Problem = tuple[str, dict[str, Any]]
"""A (catalogue code, template parameters) pair."""

ValueCheck = Callable[[str], list[Problem]]
"""The exact check of one non-blank value."""

ColumnCheck = Callable[[Collection[str]], bool]
"""The fast path over a column's values (blanks included): True only if no value has a problem."""

DIGITS = "0123456789"

FULLWIDTH_TO_HALF = {o: o - 0xFEE0 for o in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
"""``str.translate`` table from full-width ASCII (and the ideographic space) to half-width."""

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", DIGITS)


@dataclass(frozen=True, slots=True)
class Recognise:
    """How the official text names a format: ``pattern`` searched in the item ``where`` says.

    ``where`` is ``"name"`` (the item name) or ``"text"`` (項目定義 + 項目説明). With
    ``unless_code_list`` an item that has a code list is not given the format (the list says more).
    With ``sample_fills_width`` the official サンプル値 must also be half-width digits exactly as many
    as the 桁数 (the sample is then the evidence of the width; without such a sample, no format).
    """

    where: Literal["name", "text"]
    pattern: re.Pattern[str]
    unless_code_list: bool = False
    sample_fills_width: bool = False

    def matches(self, name: str, text: str, code_list: str | None, length: str = "", sample: str = "") -> bool:
        """Whether an item with this name, official text, code list, 桁数 and sample has the format."""
        if self.unless_code_list and code_list is not None:
            return False  # e.g. a code list (999 自治体固有コード) says more than "digits"
        if self.sample_fills_width and not (
            length.isdigit() and sample.isascii() and sample.isdigit() and len(sample) == int(length)
        ):
            return False
        return self.pattern.search(name if self.where == "name" else text) is not None


@dataclass(frozen=True, slots=True)
class ValidValues:
    """How to make valid values: a free part drawn from ``alphabet``, then the check digit if any.

    The free part has ``length`` characters; without one, from 1 up to the item's 桁数 — or exactly
    the 桁数 with ``whole_width``. Hypothesis strategies draw the free part with ``st.text``; the
    synthetic generators with :meth:`sample`.
    """

    alphabet: str = DIGITS
    length: int | None = None
    whole_width: bool = False
    check_digit: Callable[[str], int] | None = None
    leading: bool = False  # the check digit comes first (法人番号)

    def lengths(self, width: int) -> tuple[int, int]:
        """(shortest, longest) free part for an item of 桁数 ``width``."""
        if self.length is not None:
            return self.length, self.length
        return (width, width) if self.whole_width else (1, width)

    def finish(self, free: str) -> str:
        """The value made of the free part ``free`` (the check digit added where the format has one)."""
        if self.check_digit is None:
            return free
        cd = str(self.check_digit(free))
        return cd + free if self.leading else free + cd

    def sample(self, rng: random.Random, width: int = 0) -> str:
        """One valid value drawn with ``rng`` (a free part of digits takes one ``randrange`` call)."""
        lo, hi = self.lengths(width)
        k = lo if lo == hi else rng.randint(lo, hi)
        if self.alphabet == DIGITS:
            free = f"{rng.randrange(10**k):0{k}d}"
        else:
            free = "".join(rng.choice(self.alphabet) for _ in range(k))
        return self.finish(free)


Breaker = Callable[[str, int], tuple[str, str]]
"""(valid value or blank, 桁数) → (a value breaking the format and nothing else, the code reported)."""


@dataclass(frozen=True, slots=True)
class FormatRule:
    """Everything about one content format (see the module docstring for each field's consumer)."""

    codes: tuple[str, ...]
    check: Callable[[int], ValueCheck]
    column: Callable[[int], ColumnCheck]
    pattern: Callable[[int], str]
    valid: ValidValues
    breaks: Breaker
    width: int | None = None
    own_charset: bool = False
    halfwidth_fix: bool = False
    recognise: Recognise | None = None


# -- value checks ------------------------------------------------------------------------------


def _codepoints(s: str) -> str:
    return " ".join(f"U+{ord(c):04X}" for c in s)


def _ascii_digits(value: str, width: int) -> bool:
    return len(value) == width and value.isascii() and value.isdigit()


def _number_check(valid: Callable[[str], bool], code: str, digits: int, kind: str) -> ValueCheck:
    def check(value: str) -> list[Problem]:
        if valid(value):
            return []
        reason = "check_digit" if _ascii_digits(value, digits) else "shape"
        return [(code, {"digits": digits, "reason": reason, "kind": kind})]

    return check


def _postal_code(value: str) -> list[Problem]:
    if _ascii_digits(value, 7):
        return []
    half = value.translate(_FULLWIDTH_DIGITS).replace("-", "").replace("－", "")
    fix = half if _ascii_digits(half, 7) else "-"
    kind = "fullwidth" if fix != "-" and half != value.replace("-", "") else "shape"
    return [("FLD019", {"suggestion": fix, "kind": kind})]


def _town_code(value: str) -> list[Problem]:
    return [] if _ascii_digits(value, 7) else [("FLD020", {})]


def _digits_only(value: str) -> list[Problem]:
    return [] if value.isascii() and value.isdigit() else [("FLD021", {})]


def _code_digits(width: int) -> ValueCheck:
    def check(value: str) -> list[Problem]:
        return [] if _ascii_digits(value, width) else [("FLD022", {"expected": f"半角数字{width}桁"})]

    return check


def _padded_number(width: int) -> ValueCheck:
    def check(value: str) -> list[Problem]:
        # Longer than the 桁数 is FLD002 (an error), which the type check reports: not this warning.
        if _ascii_digits(value, width) or len(value) > width:
            return []
        reason = "short" if value.isascii() and value.isdigit() else "shape"
        return [("FLD023", {"expected": f"半角数字{width}桁", "width": width, "length": len(value), "reason": reason})]

    return check


def _code_width(width: int) -> ValueCheck:
    def check(value: str) -> list[Problem]:
        return [] if len(value) == width else [("FLD022", {"expected": f"{width}文字"})]

    return check


def _zengin_chars(value: str) -> list[Problem]:
    for i, ch in enumerate(value):
        if ch not in ZENGIN_CHARS:
            try:
                byte = "0x" + ch.encode("cp932", "surrogateescape").hex().upper()
            except UnicodeEncodeError:  # a value read from a Unicode input (CSV/JSON) need not be cp932
                byte = _codepoints(ch)
            return [("ZGN004", {"byte": byte, "char": ch, "codepoints": _codepoints(ch), "position": i + 1})]
    return []


def _zengin_numeric(width: int) -> ValueCheck:
    def check(value: str) -> list[Problem]:
        return [] if _ascii_digits(value, width) else [("ZGN003", {"expected": f"半角数字{width}桁"})]

    return check


def _any_width(check: ValueCheck) -> Callable[[int], ValueCheck]:
    return lambda _width: check


# -- column checks -----------------------------------------------------------------------------


def _fixed_digits_column(width: int) -> ColumnCheck:
    def clean(col: Collection[str]) -> bool:
        joined = "".join(col)
        return (not joined or (joined.isascii() and joined.isdigit())) and set(map(len, col)) <= {0, width}

    return clean


def _batch_check_digit_column(kind: str) -> ColumnCheck:
    def clean(col: Collection[str]) -> bool:
        return checkdigits.all_valid(list(filter(None, col)), kind)

    return clean


def _lg_code_column(col: Collection[str]) -> bool:
    # Municipality codes repeat: check each distinct one.
    values = set(col)
    values.discard("")
    return all(map(checkdigits.local_government_code_valid, values))


def _digits_column(col: Collection[str]) -> bool:
    joined = "".join(col)
    return not joined or (joined.isascii() and joined.isdigit())


def _code_width_column(width: int) -> ColumnCheck:
    def clean(col: Collection[str]) -> bool:
        return set(map(len, col)) <= {0, width}

    return clean


def _zengin_chars_column(col: Collection[str]) -> bool:
    return set("".join(col)) <= ZENGIN_CHARS


def _any_width_column(check: ColumnCheck) -> Callable[[int], ColumnCheck]:
    return lambda _width: check


# -- schema patterns ---------------------------------------------------------------------------


def _fixed_pattern(pattern: str) -> Callable[[int], str]:
    return lambda _width: pattern


@functools.cache
def _zengin_chars_class() -> str:
    """The 全銀 character set as one regex class (escaped for XSD and ECMA-262 alike)."""
    return "[" + "".join("\\" + c if c in "\\-[]^" else c for c in sorted(ZENGIN_CHARS)) + "]"


# -- mutations ---------------------------------------------------------------------------------


def _replace_with(bad: str, code: str) -> Breaker:
    return lambda _value, _width: (bad, code)


def _bump_check_digit(position: int, code: str, blank_case: str) -> Breaker:
    """Change the check digit of a valid number; a blank becomes a well-shaped number with a wrong one."""

    def breaks(value: str, _width: int) -> tuple[str, str]:
        if not value:
            return blank_case, code
        digits = list(value)
        digits[position] = str((int(digits[position]) + 1) % 10)
        return "".join(digits), code

    return breaks


# -- the table ---------------------------------------------------------------------------------
# Written in the order annotate tries the ``recognise`` patterns (the first match wins).

FORMATS: dict[Format, FormatRule] = {
    Format.INDIVIDUAL_NUMBER: FormatRule(
        codes=("FLD016",),
        check=_any_width(_number_check(checkdigits.my_number_valid, "FLD016", 12, "個人番号")),
        column=_any_width_column(_batch_check_digit_column("individual_number")),
        width=12,
        pattern=_fixed_pattern("[0-9]{12}"),
        recognise=Recognise("name", re.compile(r"(?:^|_)個人番号$")),
        valid=ValidValues(length=11, check_digit=checkdigits.my_number_check_digit),
        # Wrong check digits: SPEC_FACTS §5 examples.
        breaks=_bump_check_digit(-1, "FLD016", "123456789010"),
    ),
    Format.CORPORATE_NUMBER: FormatRule(
        codes=("FLD017",),
        check=_any_width(_number_check(checkdigits.corporate_number_valid, "FLD017", 13, "法人番号")),
        column=_any_width_column(_batch_check_digit_column("corporate_number")),
        width=13,
        pattern=_fixed_pattern("[0-9]{13}"),
        recognise=Recognise("name", re.compile(r"(?:^|_)法人番号$")),
        valid=ValidValues(length=12, check_digit=checkdigits.corporate_number_check_digit, leading=True),
        breaks=_bump_check_digit(0, "FLD017", "1000020131016"),
    ),
    Format.LOCAL_GOVERNMENT_CODE: FormatRule(
        codes=("FLD018",),
        check=_any_width(
            _number_check(checkdigits.local_government_code_valid, "FLD018", 6, "全国地方公共団体コード")
        ),
        column=_any_width_column(_lg_code_column),
        width=6,
        pattern=_fixed_pattern("[0-9]{6}"),
        recognise=Recognise("text", re.compile(r"全国地方公共団体コード")),
        valid=ValidValues(length=5, check_digit=checkdigits.local_government_code_check_digit),
        breaks=_bump_check_digit(-1, "FLD018", "131017"),
    ),
    Format.TOWN_CODE: FormatRule(
        codes=("FLD020",),
        check=_any_width(_town_code),
        column=_any_width_column(_fixed_digits_column(7)),
        width=7,
        pattern=_fixed_pattern("[0-9]{7}"),
        recognise=Recognise("text", re.compile(r"町字ID")),
        valid=ValidValues(length=7),
        breaks=_replace_with("12345", "FLD020"),
    ),
    Format.POSTAL_CODE: FormatRule(
        codes=("FLD019",),
        check=_any_width(_postal_code),
        column=_any_width_column(_fixed_digits_column(7)),
        width=7,
        # Real exports write 郵便番号 in full-width digits (SPEC_FACTS §3.2): the fix to offer is the
        # whole half-width value, not the first character.
        halfwidth_fix=True,
        pattern=_fixed_pattern("[0-9]{7}"),
        recognise=Recognise("name", re.compile(r"郵便番号$")),
        valid=ValidValues(length=7),
        breaks=_replace_with("100-0014", "FLD019"),
    ),
    Format.DIGITS: FormatRule(
        codes=("FLD021",),
        check=_any_width(_digits_only),
        column=_any_width_column(_digits_column),
        pattern=_fixed_pattern("[0-9]+"),
        valid=ValidValues(),
        breaks=lambda _value, width: ("A" * min(width, 3), "FLD021"),
    ),
    Format.CODE_DIGITS: FormatRule(
        codes=("FLD022",),
        check=_code_digits,
        column=_fixed_digits_column,
        pattern=lambda width: f"[0-9]{{{width}}}",
        # "…にしたがって3桁のコード値を設定" on an X item without a code list: that many digits, no fewer.
        recognise=Recognise("text", re.compile(r"\d+桁のコード値"), unless_code_list=True),
        valid=ValidValues(whole_width=True),
        breaks=lambda _value, width: ("1" * (width - 1) if width > 1 else "A", "FLD022"),
    ),
    Format.CODE_WIDTH: FormatRule(
        codes=("FLD022",),
        check=_code_width,
        column=_code_width_column,
        pattern=lambda width: f"[ -~]{{{width}}}",
        # 独自施策システム等ID: "3桁の半角文字列" (共通機能標準仕様書); the item's text names no width.
        recognise=Recognise("name", re.compile(r"独自施策システム等ID")),
        valid=ValidValues(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", whole_width=True),
        breaks=lambda _value, width: ("A" * (width + 1), "FLD022"),
    ),
    Format.PADDED_NUMBER: FormatRule(
        codes=("FLD023",),
        check=_padded_number,
        column=_fixed_digits_column,  # longer values are not clean either: the exact path says FLD002
        pattern=lambda width: f"[0-9]{{{width}}}",
        # 宛名番号 / 世帯番号 (numbered by one rule, 住民記録システム標準仕様書 1.1.13) whose official
        # サンプル値 fills the 桁数 with digits (項目定義書（住登外者宛名番号管理）: 123456789123456).
        recognise=Recognise("name", re.compile(r"(?:宛名|世帯)番号$"), unless_code_list=True, sample_fills_width=True),
        valid=ValidValues(whole_width=True),
        breaks=lambda _value, width: ("1" * (width - 1) if width > 1 else "A", "FLD023"),
    ),
    # 全銀協 fixed-width transfer files (spec zengin_sogo_furikomi): set by tools/build_zengin_spec.py,
    # not recognised in 基本データリスト text. The field's own character set is the whole character rule.
    Format.ZENGIN_CHARS: FormatRule(
        codes=("ZGN004",),
        check=_any_width(_zengin_chars),
        column=_any_width_column(_zengin_chars_column),
        own_charset=True,
        pattern=lambda _width: _zengin_chars_class() + "*",
        valid=ValidValues(alphabet="ABCXYZ0123456789ｱｲｳｴｵｶﾞﾊﾟ ().-/"),
        breaks=_replace_with("a", "ZGN004"),  # lower-case Latin is outside the set
    ),
    Format.ZENGIN_NUMERIC: FormatRule(
        codes=("ZGN003",),
        check=_zengin_numeric,
        column=_fixed_digits_column,
        own_charset=True,
        pattern=lambda width: f"[0-9]{{{width}}}",
        valid=ValidValues(whole_width=True),
        breaks=_replace_with("A", "ZGN003"),
    ),
}
"""Every content format's rule, by format."""


def format_rule(fmt: Format) -> FormatRule:
    """The rule of ``fmt`` (every :class:`Format` has one)."""
    return FORMATS[fmt]


__all__ = [
    "DIGITS",
    "FORMATS",
    "FULLWIDTH_TO_HALF",
    "Breaker",
    "ColumnCheck",
    "FormatRule",
    "Problem",
    "Recognise",
    "ValidValues",
    "ValueCheck",
    "format_rule",
]
