"""The pytest plugin, used the way a vendor would (the fixture comes from the installed entry point)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kikan_std.testing.generate import iter_jutogai_atena, write_csv
from kikan_std.testing.pytest_plugin import ConformanceError, Kikan
from tests.conftest import ROOT


def test_generated_export_conforms(kikan: Kikan, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "atena.csv", iter_jutogai_atena(500, seed=9))
    report = kikan.assert_conforms(path, spec="jutogai_atena")
    assert report.stats.records[str(path)] == 500


def test_failure_lists_findings(kikan: Kikan) -> None:
    with pytest.raises(ConformanceError) as e:
        kikan.assert_conforms(ROOT / "conformance" / "jutogai_atena" / "violations.csv", spec="jutogai_atena")
    text = str(e.value)
    assert "FLD016" in text and "record 3" in text
    assert "123456789010" not in text  # personal values stay masked in the failure message


def test_allow_accepts_tracked_codes(kikan: Kikan, tmp_path: Path) -> None:
    it = iter_jutogai_atena(20, seed=4)
    header = next(it)
    rows = [list(r) for r in it]
    rows[3][header.index("性別")] = "9"
    path = write_csv(tmp_path / "a.csv", iter([header, *rows]))
    with pytest.raises(ConformanceError):
        kikan.assert_conforms(path, spec="jutogai_atena")
    kikan.assert_conforms(path, spec="jutogai_atena", allow=["FLD015"])
