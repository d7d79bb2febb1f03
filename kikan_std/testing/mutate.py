"""One-step mutations that break exactly one rule — shared by the Hypothesis strategies and by
``kikan-std generate --defect-rate`` (no Hypothesis needed here)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import DataType, Item, Spec
from kikan_std.specs import edition_for, editions

TRIGGERS: dict[str, frozenset[str]] = {e.spec_id: e.mutation_triggers for e in editions() if e.mutation_triggers}
"""By spec id, the items whose value triggers a cross-field rule (``Edition.mutation_triggers``)."""


def triggers(spec: Spec) -> frozenset[str]:
    """Items a mutation leaves alone so that it breaks exactly one rule (its edition's triggers)."""
    found = edition_for(spec)
    return found.mutation_triggers if found is not None else frozenset()


def break_value(item: Item, spec: Spec, value: str) -> tuple[str, str] | None:
    """A value for ``item`` that breaks exactly one rule, and that rule's code (None: no such value)."""
    n = item.max_length
    if item.required and value:
        return "", "FLD001"
    if item.code_list is not None and not spec.code_list(item.code_list).open:
        return ("Z" if item.type is not DataType.NUM else "8"), "FLD015"
    if item.format is not None:
        return FORMATS[item.format].breaks(value, n)
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
    leave = triggers(spec)

    def gen() -> Iterator[list[str]]:
        it = iter(rows)
        header = next(it)
        yield header
        pos = {name: i for i, name in enumerate(header)}
        candidates = [i for i in g.items if i.name in pos and i.name not in leave and i.type is not DataType.BLOB]
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


__all__ = ["TRIGGERS", "break_value", "triggers", "with_defects"]
