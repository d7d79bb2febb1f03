"""The scale paths of 突合 give exactly the in-memory, one-process result (differential tests)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from kikan_std.cli.reconcile import reconcile_main
from kikan_std.reconcile import ReconcileResult, reconcile
from kikan_std.reconcile.generate import GenConfig, generate_files

# More namesakes and variants than the default rates, so every outcome occurs in a small set.
CFG = GenConfig(seed=2026, namesake_rate=0.1, duplicate_rate=0.03, typo=0.05, nonresident_rate=0.03)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("scale")
    bens, apps, _truth = generate_files(3000, d, CFG)
    return apps, bens


def _dump(r: ReconcileResult) -> dict[str, Any]:
    out = r.model_dump()
    assert out["audit"]["created"]
    out["audit"].pop("created")  # the run's time is the only field allowed to differ
    return out


@pytest.fixture(scope="module")
def serial(files: tuple[Path, Path]) -> ReconcileResult:
    return reconcile(*files)


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_result_equals_serial(files: tuple[Path, Path], serial: ReconcileResult, jobs: int) -> None:
    """Matches, review, ambiguous, unmatched, duplicates, banks, findings, summary, audit: all identical."""
    s = serial.summary
    # The generated set exercises every outcome the merge must put back in order.
    assert s.matched and s.review and s.duplicates and s.unmatched_applications and serial.unresolved_banks
    assert s.findings
    par = reconcile(*files, jobs=jobs)
    assert _dump(par) == _dump(serial)
    assert par.transfer_records() == serial.transfer_records()
    assert par.raw_findings() == serial.raw_findings()


def test_in_memory_rows_ignore_jobs(files: tuple[Path, Path], serial: ReconcileResult) -> None:
    """Rows given as mappings (no file to share) are scored in one process, with the same result."""
    import csv

    apps, bens = (list(csv.DictReader(p.open(encoding="utf-8", newline=""))) for p in files)
    r = reconcile(apps, bens, jobs=2)
    assert r.summary == serial.summary
    assert [m.model_dump() for m in r.matched] == [m.model_dump() for m in serial.matched]


def test_cli_jobs_option(files: tuple[Path, Path], tmp_path: Path) -> None:
    """``--jobs 2`` writes the same (masked) JSON report as the default."""
    outs = []
    for extra in ([], ["--jobs", "2"]):
        dest = tmp_path / f"r{len(extra)}.json"
        assert reconcile_main([str(files[0]), str(files[1]), "-o", str(dest), *extra], io.StringIO(),
                              io.StringIO()) == 0
        data = json.loads(dest.read_text(encoding="utf-8"))
        data["audit"].pop("created")
        outs.append(data)
    assert outs[0] == outs[1]
    assert outs[0]["summary"]["matched"] > 0


def test_cli_rejects_bad_jobs(files: tuple[Path, Path]) -> None:
    err = io.StringIO()
    assert reconcile_main([str(files[0]), str(files[1]), "--jobs", "0"], io.StringIO(), err) == 2
    assert "--jobs" in err.getvalue()


def test_worker_input_error_is_reported(files: tuple[Path, Path], tmp_path: Path) -> None:
    """An unreadable applications file is reported by the workers as by one process: exit 2, same message."""
    bad = tmp_path / "apps.csv"
    bad.write_text("氏名,x\n山田 太郎,1\n", encoding="utf-8")
    msgs = []
    for extra in ([], ["--jobs", "2"]):
        err = io.StringIO()
        assert reconcile_main([str(bad), str(files[1]), *extra], io.StringIO(), err) == 2
        msgs.append(err.getvalue())
    assert msgs[0] == msgs[1] and "住所, 生年月日" in msgs[0]
