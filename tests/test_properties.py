"""Property tests derived from the spec: valid records give no finding; one item mutated one
step gives exactly the finding for that item."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.model.spec import DataType
from kikan_std.specs import edition
from kikan_std.testing.generate import csv_text, iter_jutogai_atena

SPEC = kikan_std.load_spec("jutogai_atena")
ITEMS = SPEC.groups[0].items


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), rows=st.integers(1, 300))
def test_generated_valid_data_has_no_finding(tmp_path: Path, seed: int, rows: int) -> None:
    p = tmp_path / f"v{seed}.csv"
    p.write_text(csv_text(iter_jutogai_atena(rows, seed)), encoding="utf-8")
    report = kikan_std.check(p, spec="jutogai_atena")
    assert report.findings == [], report.flatten()
    assert report.valid


_RULE_TRIGGERS = edition("jutogai_atena").mutation_triggers


def _one_step(item_index: int, value: str) -> tuple[str, str] | None:
    """A one-step mutation of ``value`` and the code it must produce, or None if not applicable."""
    it = ITEMS[item_index]
    if it.name in _RULE_TRIGGERS:
        return None  # changing a trigger legitimately fires its cross-field rule as well
    t = it.type
    if t is DataType.X:
        if it.format is not None and it.format.value in ("individual_number", "local_government_code") and value:
            last = value[-1]
            return value[:-1] + str((int(last) + 1) % 10), {"individual_number": "FLD016",
                                                           "local_government_code": "FLD018"}[it.format.value]
        if it.code_list is None and it.format is None:
            return value + "x" * (it.max_length - len(value) + 1), "FLD002"
        return value[:-1] + "ｱ" if value else "ｱ", "CHR015"
    if t is DataType.N:
        return ("Ａ" * (it.max_length + 1), "FLD002") if not value else (value + "A", "CHR003")
    if t is DataType.NUM:
        return "９", "FLD008"
    if t is DataType.DATE and not it.allows_unknown_date:
        return value[:5] + "02-30", "FLD012"
    if t is DataType.TIME:
        return "24" + value[2:], "FLD014"
    return None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), item_index=st.integers(0, len(ITEMS) - 1), record=st.integers(1, 30))
def test_one_step_mutation_gives_exactly_that_finding(tmp_path: Path, seed: int, item_index: int, record: int) -> None:
    it = iter_jutogai_atena(30, seed)
    header = next(it)
    rows = [list(r) for r in it]
    mutation = _one_step(item_index, rows[record - 1][item_index])
    if mutation is None:
        return
    value, code = mutation
    if ITEMS[item_index].type is DataType.N and len(value) > ITEMS[item_index].max_length and code != "FLD002":
        code = "FLD002"  # appending pushed a full value over its length: that is the one-step finding
    rows[record - 1][item_index] = value
    p = tmp_path / f"m{seed}.csv"
    p.write_text(csv_text(iter([header, *rows])), encoding="utf-8")
    report = kikan_std.check(p, spec="jutogai_atena")
    found = report.flatten(("code", "record", "item"))
    if code == "FLD002" and ITEMS[item_index].type is DataType.N and "A" in value[-1:]:
        assert (code, record, ITEMS[item_index].name) in found
    else:
        assert found == [(code, record, ITEMS[item_index].name)], (value, found)
    assert not report.valid
