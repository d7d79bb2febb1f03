"""required_when (条件付き必須, REC001) against a plain record-by-record reading of the same rule."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.model.fields import is_unknown_date, unknown_date_rows
from kikan_std.model.rules import ChunkView, required_when

GROUP = kikan_std.load_spec("jutogai_atena").groups[0]


def _view(trigger: list[str], target: list[str]) -> ChunkView:
    n = len(trigger)
    return ChunkView(file="f.csv", group=GROUP, columns={"t": trigger, "x": target},
                     records=range(1, n + 1), lines=range(2, n + 2))


TRIGGERS = st.sampled_from(["", "1", "2", "1950-00-00", "2000-02-29", "1900-02-29"])


@pytest.mark.parametrize("targets", [["", "", "値"], ["", *["値"] * 9]], ids=["many-blank", "few-blank"])
@settings(max_examples=200, deadline=None)
@given(data=st.data(), chunks=st.integers(1, 3))
def test_required_when_finds_exactly_the_blank_targets_where_the_condition_holds(
    targets: list[str], data: st.DataObject, chunks: int
) -> None:
    rows = data.draw(st.lists(st.tuples(TRIGGERS, st.sampled_from(targets)), max_size=60))
    # Few or many blank targets, conditions decided once and remembered across chunks, or decided for
    # a whole column at once (rows_where): always the records a plain reading gives, in order.
    trigger = [t for t, _ in rows]
    target = [x for _, x in rows]
    by_value = required_when("r", "x", ("t",), lambda v: v in ("1", "1950-00-00", "1900-02-29"), "c", "cond")
    by_column = required_when("r", "x", ("t",), is_unknown_date, "c", "cond", rows_where=unknown_date_rows)
    step = max(1, len(rows) // chunks)
    for rule, holds in ((by_value, lambda v: v in ("1", "1950-00-00", "1900-02-29")), (by_column, is_unknown_date)):
        got: list[int] = []
        for start in range(0, len(rows), step):
            view = _view(trigger[start:start + step], target[start:start + step])
            got += [start + f.record - 1 for f in rule.check(view) if f.record is not None]
        assert got == [i for i, (t, x) in enumerate(rows) if x == "" and holds(t)]
