"""Check digits of the numbers the standard uses (SPEC_FACTS §5).

Each ``*_valid`` function takes the lexical string and returns True only for a well-formed number
with a correct check digit. The formulas are the statutory ones; python-stdnum is the test oracle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable

# 個人番号: weights for the 11 base digits, from the left (総務省令第85号 第5条: Q_n = n+1 for n ≤ 6,
# n-5 for n ≥ 7, counting n from the rightmost base digit).
_MY_NUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)

# Lookup tables turn the weighted sum into three dict hits instead of eleven multiplications:
# this check runs once per value of a high-cardinality column, so it sits on the hot path.
_MY_NUMBER_TABLES: tuple[dict[str, int], ...] | None = None


def _my_number_tables() -> tuple[dict[str, int], ...]:
    global _MY_NUMBER_TABLES
    if _MY_NUMBER_TABLES is None:
        tables = []
        for start, width in ((0, 4), (4, 4), (8, 3)):
            w = _MY_NUMBER_WEIGHTS[start : start + width]
            table = {}
            for n in range(10**width):
                s = f"{n:0{width}d}"
                table[s] = sum(int(c) * k for c, k in zip(s, w, strict=True))
            tables.append(table)
        _MY_NUMBER_TABLES = tuple(tables)
    return _MY_NUMBER_TABLES


def my_number_check_digit(base11: str) -> int:
    """The check digit for an 11-digit 個人番号 base."""
    r = sum(int(c) * w for c, w in zip(base11, _MY_NUMBER_WEIGHTS, strict=True)) % 11
    return 0 if r <= 1 else 11 - r


def my_number_valid(value: str) -> bool:
    """True if ``value`` is 12 half-width digits with a correct 個人番号 check digit."""
    if len(value) != 12 or not (value.isascii() and value.isdigit()):
        return False
    t0, t1, t2 = _my_number_tables()
    r = (t0[value[0:4]] + t1[value[4:8]] + t2[value[8:11]]) % 11
    return int(value[11]) == (0 if r <= 1 else 11 - r)


def corporate_number_check_digit(base12: str) -> int:
    """The leading check digit for a 12-digit 法人番号 base (国税庁 checkdigit)."""
    total = 0
    for n, c in enumerate(reversed(base12), start=1):
        total += int(c) * (2 if n % 2 == 0 else 1)
    return 9 - total % 9


def corporate_number_valid(value: str) -> bool:
    """True if ``value`` is 13 half-width digits whose first digit is the correct check digit."""
    if len(value) != 13 or not (value.isascii() and value.isdigit()):
        return False
    return int(value[0]) == corporate_number_check_digit(value[1:])


def local_government_code_check_digit(base5: str) -> int:
    """The check digit of a 5-digit 全国地方公共団体コード base."""
    s = sum(int(c) * w for c, w in zip(base5, (6, 5, 4, 3, 2), strict=True))
    return (11 - s % 11) % 10


@functools.lru_cache(maxsize=1 << 16)
def local_government_code_valid(value: str) -> bool:
    """True if ``value`` is 6 half-width digits with a correct 全国地方公共団体コード check digit.

    Cached: a column of municipality codes holds at most a few thousand distinct values, checked
    chunk after chunk.
    """
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        return False
    return int(value[5]) == local_government_code_check_digit(value[:5])


def insurer_number_check_digit(body: str) -> int:
    """Check digit of a 保険者番号 (the digits before the last).

    Source: a third-party page (one worked example verified: ``33120015``), not an official text —
    use it for warnings only. The body digits are multiplied by 2, 1, 2, 1 … from the rightmost; the
    digits of each product are added; the check digit is 10 − (sum mod 10), and 0 when that is 10.
    国民健康保険 numbers have 6 digits, the others 8 (後期高齢者医療: 法別番号 39).
    """
    total = 0
    for n, ch in enumerate(reversed(body)):
        product = int(ch) * (2 if n % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def insurer_number_valid(value: str) -> bool:
    """True if ``value`` is 6 or 8 half-width digits whose last digit is the check digit (third-party rule)."""
    if len(value) not in (6, 8) or not (value.isascii() and value.isdigit()):
        return False
    return int(value[-1]) == insurer_number_check_digit(value[:-1])


def modulus11_w2_7_check_digit(body: str, *, remainder_one: int = 0) -> int | None:
    """宛名番号・世帯番号 check digit, モジュラス11 ウェイト2～7 (住民記録 標準仕様書 1.1.13).

    Weights 2..7 repeat from the rightmost body digit; CD = 11 - r, and r = 0 gives 0. The
    standard does not say what r = 1 (CD 10) gives: ``remainder_one`` chooses (0, or -1 meaning
    "such a number must not be issued", returned as None).
    """
    total = 0
    for i, c in enumerate(reversed(body)):
        total += int(c) * (2 + i % 6)
    r = total % 11
    if r == 0:
        return 0
    if r == 1:
        return None if remainder_one < 0 else remainder_one
    return 11 - r


# -- batch checks ---------------------------------------------------------------------------------
# A column of a chunk holds thousands of numbers. Checking them one by one in Python costs about
# a microsecond each; instead the digits at each position are laid into 16-bit lanes of one big
# integer, the weighted sum of all numbers is computed with a handful of big-int operations, and a
# lookup table turns each lane's sum into the expected check digit. No lane can overflow into the
# next: the largest sum is 57 (ASCII '9') times the sum of the weights, far below 65536.


@functools.cache
def _lane_tables(weights: tuple[int, ...], expected_of: Callable[[int], int], modulus: int) -> tuple[bytes, bytes, bytes]:
    """Translate tables that turn a lane's sum, given as its low and high byte, into the expected digit.

    ``expected_of`` depends only on the digit sum modulo ``modulus``, and a lane's sum is
    ``low + 256 * high``: so ``low mod m`` and ``256 * high mod m`` (each below m) are added lane by lane
    with one big-int addition, and a last table maps each lane's ``(sum - offset) mod m`` to the ASCII
    check digit.
    """
    offset = 48 * sum(weights)  # every digit arrives as its ASCII code
    low = bytes(b % modulus for b in range(256))
    high = bytes(256 * b % modulus for b in range(256))
    final = bytes(48 + expected_of((v - offset) % modulus) if v < 2 * modulus else 0 for v in range(256))
    return low, high, final


def _batch_invalid(
    data: bytes,
    width: int,
    weights: tuple[int, ...],
    check_pos: int,
    expected_of: Callable[[int], int],
    modulus: int,
) -> list[int]:
    """Positions of the numbers in ``data`` (numbers of exactly ``width`` ASCII digits, back to back)
    whose check digit is wrong."""
    k = len(data) // width
    if k == 0:
        return []
    wide = bytearray(2 * k)
    total = 0
    for p, w in enumerate(weights):
        if w:
            wide[0::2] = data[p::width]
            total += w * int.from_bytes(wide, "little")
    lanes = total.to_bytes(2 * k, "little")
    low, high, final = _lane_tables(weights, expected_of, modulus)
    # Each lane's (low mod m) + (256 * high mod m) is below 2m < 256: no carry between lanes.
    residues = int.from_bytes(lanes[0::2].translate(low), "little") + int.from_bytes(lanes[1::2].translate(high), "little")
    expected = residues.to_bytes(k, "little").translate(final)
    actual = data[check_pos::width]
    if expected == actual:
        return []
    return [i for i in range(k) if expected[i] != actual[i]]


def _my_number_expected(digit_sum: int) -> int:
    r = digit_sum % 11
    return 0 if r <= 1 else 11 - r


def _corporate_expected(digit_sum: int) -> int:
    return 9 - digit_sum % 9


_MY_NUMBER_LANES = (*_MY_NUMBER_WEIGHTS, 0)
# 法人番号: position 0 is the check digit; base digit at position p (1..12) is n = 13 - p from the right.
_CORPORATE_LANES = (0, *(2 if (13 - p) % 2 == 0 else 1 for p in range(1, 13)))


def _m11_expected(digit_sum: int) -> int:
    r = digit_sum % 11
    return 0 if r <= 1 else 11 - r


def _m11_expected_reject_one(digit_sum: int) -> int:
    r = digit_sum % 11
    return -48 if r == 1 else 0 if r == 0 else 11 - r  # -48: byte 0, which no digit matches


# 宛名番号・世帯番号: 14 body digits weighted 2–7 from the right, then the check digit.
_M11_15_LANES = (*(2 + (13 - p) % 6 for p in range(14)), 0)


def m11_w2_7_suspects(values: Collection[str], remainder_one: int = 0) -> list[str]:
    """The values that may fail the モジュラス11 ウェイト2～7 check digit, for a close look.

    15-digit numbers (宛名番号・世帯番号) are checked in one batch and only those that fail are
    returned; values of any other shape are all returned (:func:`modulus11_w2_7_check_digit`
    says what is wrong with them). ``remainder_one`` as in that function.
    """
    vals = list(values)
    if not vals or remainder_one > 0:
        return vals  # a non-zero digit for remainder 1 has no lane table: every value is looked at
    if set(map(len, vals)) == {15} and (joined := "".join(vals)).isascii() and joined.isdigit():
        fifteen, others = vals, []
    else:
        shaped = [len(v) == 15 and v.isascii() and v.isdigit() for v in vals]
        fifteen = [v for v, ok in zip(vals, shaped, strict=True) if ok]
        others = [v for v, ok in zip(vals, shaped, strict=True) if not ok]
        joined = "".join(fifteen)
    expected = _m11_expected_reject_one if remainder_one < 0 else _m11_expected
    bad = _batch_invalid(joined.encode("ascii"), 15, _M11_15_LANES, 14, expected, 11)
    return [fifteen[i] for i in bad] + others


def all_valid(values: Iterable[str], kind: str) -> bool:
    """True if every value is a well-formed number of ``kind`` with a correct check digit.

    ``kind`` is ``individual_number`` or ``corporate_number``. Any malformed value gives False
    (the caller then checks values one by one to say which and why).
    """
    vals = values if isinstance(values, list) else list(values)
    if not vals:
        return True
    width = 12 if kind == "individual_number" else 13
    # Every value exactly ``width`` long (a total of width × n is not enough: 11 + 13 digits would be
    # read as two misaligned numbers), then all ASCII digits.
    if set(map(len, vals)) != {width}:
        return False
    joined = "".join(vals)
    if not (joined.isascii() and joined.isdigit()):
        return False
    data = joined.encode("ascii")
    if kind == "individual_number":
        bad = _batch_invalid(data, 12, _MY_NUMBER_LANES, 11, _my_number_expected, 11)
    else:
        bad = _batch_invalid(data, 13, _CORPORATE_LANES, 0, _corporate_expected, 9)
    return not bad
