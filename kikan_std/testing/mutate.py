"""One-step mutations that break exactly one rule — shared by the Hypothesis strategies and by
``kikan-std generate --defect-rate`` (no Hypothesis needed here)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from kikan_std.model.spec import DataType, Format, Item, Spec

# Items whose value triggers a cross-field rule: broken_records leaves them alone so that a
# mutation breaks exactly one rule.
TRIGGERS: dict[str, frozenset[str]] = {"jutogai_atena": frozenset({"生年月日", "住所_町字コード", "代表宛名フラグ"})}


def break_value(item: Item, spec: Spec, value: str) -> tuple[str, str] | None:
    """A value for ``item`` that breaks exactly one rule, and that rule's code (None: no such value)."""
    n = item.max_length
    if item.required and value:
        return "", "FLD001"
    if item.code_list is not None and not spec.code_list(item.code_list).open:
        return ("Z" if item.type is not DataType.NUM else "8"), "FLD015"
    fmt = item.format
    if fmt in _BAD_NUMBERS and not value:
        return _BAD_NUMBERS[fmt]
    if fmt in (Format.INDIVIDUAL_NUMBER, Format.CORPORATE_NUMBER, Format.LOCAL_GOVERNMENT_CODE) and value:
        pos = 0 if fmt is Format.CORPORATE_NUMBER else -1
        digits = list(value)
        digits[pos] = str((int(digits[pos]) + 1) % 10)
        code = {Format.INDIVIDUAL_NUMBER: "FLD016", Format.CORPORATE_NUMBER: "FLD017",
                Format.LOCAL_GOVERNMENT_CODE: "FLD018"}[fmt]
        return "".join(digits), code
    if fmt is Format.POSTAL_CODE:
        return "100-0014", "FLD019"
    if fmt is Format.TOWN_CODE:
        return "12345", "FLD020"
    if fmt is Format.DIGITS:
        return "A" * min(n, 3), "FLD021"
    t = item.type
    if t is DataType.X:
        return "a" * (n + 1), "FLD002"
    if t is DataType.N:
        return "ア" * (n + 1), "FLD002"
    if t is DataType.NUM:
        return "１", "FLD008"
    if t is DataType.DATE:
        return ("2023/02/01", "FLD011") if item.allows_unknown_date else ("2023-02-30", "FLD012")
    if t is DataType.TIME:
        return "24:00:00", "FLD014"
    if t is DataType.YEAR:
        return "R6", "FLD013"
    return None


# Well-shaped numbers with a wrong check digit (SPEC_FACTS §5 examples).
_BAD_NUMBERS = {
    Format.INDIVIDUAL_NUMBER: ("123456789010", "FLD016"),
    Format.CORPORATE_NUMBER: ("1000020131016", "FLD017"),
    Format.LOCAL_GOVERNMENT_CODE: ("131017", "FLD018"),
}


def with_defects(
    rows: Iterator[list[str]], spec: Spec, rate: float, seed: int = 0, group: str | None = None
) -> tuple[Iterator[list[str]], list[tuple[str, int, str]]]:
    """Rows (header first) where each record gets, with probability ``rate``, one defect.

    Returns the rows and a list that fills, as the rows are consumed, with the expected findings
    ``(code, record, item)`` — the exact finding kikan-std reports for each planted defect.
    """
    g = spec.groups[0] if group is None else spec.group(group)
    rng = random.Random(seed)
    expected: list[tuple[str, int, str]] = []
    triggers = TRIGGERS.get(spec.id, frozenset())

    def gen() -> Iterator[list[str]]:
        it = iter(rows)
        header = next(it)
        yield header
        pos = {name: i for i, name in enumerate(header)}
        candidates = [i for i in g.items if i.name in pos and i.name not in triggers and i.type is not DataType.BLOB]
        for record, row in enumerate(it, start=1):
            if candidates and rng.random() < rate:
                item = candidates[rng.randrange(len(candidates))]
                broken = break_value(item, spec, row[pos[item.name]])
                if broken is not None:
                    row = list(row)
                    row[pos[item.name]] = broken[0]
                    expected.append((broken[1], record, item.name))
            yield row

    return gen(), expected
