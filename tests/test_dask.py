"""The Dask path on a local cluster started by the test: findings identical to one process."""

from __future__ import annotations

from pathlib import Path

import pytest

import kikan_std
from kikan_std import parallel
from tests.test_parallel import _comparable, _defective

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is installed by `make test`")


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def test_dask_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.dask as kd

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    monkeypatch.setattr(kd, "plan_parts", lambda p, enc, jobs: parallel.plan_parts(p, enc, 3))
    calls: list[int] = []
    real = kd._duplicates_with_dask
    monkeypatch.setattr(kd, "_duplicates_with_dask", lambda *a: (calls.append(len(a[2])), real(*a))[1])
    big = _defective(tmp_path, quoted_newlines=True)
    small = tmp_path / "small.csv"
    small.write_bytes(b"".join(big.read_bytes().splitlines(keepends=True)[:50]))
    one = kikan_std.check([big, small], spec="jutogai_atena", max_findings=7)
    on_dask = kd.check([big, small], spec="jutogai_atena", client=client, max_findings=7)
    assert one.stats.findings_by_code["KEY001"] > 7
    assert _comparable(one) == _comparable(on_dask)
    assert calls == [3]  # the big file went through 3 parts and Dask's groupby/merge
