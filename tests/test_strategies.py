"""kikan_std.testing.strategies: generated valid records conform; broken ones give exactly the named finding."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.testing import strategies
from kikan_std.testing.generate import write_csv

SPEC = kikan_std.load_spec("jutogai_atena")
HEADER = [it.name for it in SPEC.groups[0].items]


def _write(tmp_path: Path, recs: list[dict[str, str]]) -> Path:
    return write_csv(tmp_path / "s.csv", iter([HEADER, *[[r[h] for h in HEADER] for r in recs]]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(strategies.records("jutogai_atena"), min_size=1, max_size=20, unique_by=lambda r: r["宛名番号"]))
def test_valid_records_conform(tmp_path: Path, recs: list[dict[str, str]]) -> None:
    report = kikan_std.check(_write(tmp_path, recs), spec="jutogai_atena")
    assert report.findings == [], report.flatten()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(strategies.broken_records("jutogai_atena"))
def test_broken_records_give_exactly_their_finding(tmp_path: Path, case: tuple[dict[str, str], str, str]) -> None:
    record, code, item = case
    report = kikan_std.check(_write(tmp_path, [record]), spec="jutogai_atena")
    assert report.flatten() == [(code, 1, item)]
