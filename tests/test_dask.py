"""The Dask path on a local cluster started by the test: findings identical to one process."""

from __future__ import annotations

from pathlib import Path

import pytest

import kikan_std
from kikan_std.engine import parallel
from tests.test_parallel import comparable, defective, jumin_defective

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is installed by `make test`")


def test_dask_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.dask as kd

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    monkeypatch.setattr(kd, "cluster_threads", lambda client: 3)  # three parts for the big file
    calls: list[int] = []
    real = kd.duplicates_with_dask
    monkeypatch.setattr(kd, "duplicates_with_dask", lambda *a: (calls.append(len(a[2])), real(*a))[1])
    big = defective(tmp_path, quoted_newlines=True)
    small = tmp_path / "small.csv"
    small.write_bytes(b"".join(big.read_bytes().splitlines(keepends=True)[:50]))
    one = kikan_std.check([big, small], spec="jutogai_atena", max_findings=7)
    on_dask = kd.check([big, small], spec="jutogai_atena", client=client, max_findings=7)
    assert one.stats.findings_by_code["KEY001"] > 7
    assert comparable(one) == comparable(on_dask)
    assert calls == [3]  # the big file went through 3 parts and Dask's groupby/merge


def test_dask_with_dataset_rules_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.dask as kd

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    calls: list[str] = []
    real_submit = client.submit
    monkeypatch.setattr(client, "submit", lambda fn, *a, **k: (calls.append(fn.__name__), real_submit(fn, *a, **k))[1])
    p = jumin_defective(tmp_path)
    one = kikan_std.check(p, spec="jumin_kiroku", max_findings=5)
    on_dask = kd.check([p], spec="jumin_kiroku", client=client, max_findings=5)
    assert {"JUM009", "JUM011", "FLD015"} <= set(one.stats.findings_by_code)
    assert comparable(one) == comparable(on_dask)
    assert calls == ["dataset_pass"]  # split into parts, with the dataset rules in one more task


def test_dask_deliverable_matches_the_local_run(tmp_path: Path, client) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.dask as kd
    from kikan_std.deliverable import check_deliverable
    from kikan_std.testing.generators.deliverable import write_deliverable

    out = tmp_path / "d"
    write_deliverable(out, 400, 6, defects=True)
    local = check_deliverable(out, max_findings=None).model_dump()
    on_dask = kd.check_deliverable(out, client=client, max_findings=None).model_dump()
    local.pop("generated_at"), on_dask.pop("generated_at")
    assert {"DLV001", "DLV002"} <= set(local["stats"]["findings_by_code"])
    assert local == on_dask


def test_dask_cross_file_equals_sqlite_on_random_references(tmp_path: Path) -> None:
    import random

    from kikan_std.dask import cross_file_with_dask
    from kikan_std.deliverable.people import People

    rng = random.Random(8)
    rows = []
    for i in range(600):
        registry = 1 if rng.random() < 0.4 else 0
        file = (rng.choice(["jumin.csv", "atena.csv", "atena2.csv"]) if registry
                else rng.choice(["tax.csv", "child.csv", "kaigo.csv"]))
        spec = {"jumin.csv": "jumin_kiroku", "atena.csv": "jutogai_atena", "atena2.csv": "jutogai_atena"}.get(file, "x")
        rows.append((f"{rng.randrange(80):015d}", rng.choice(["", "1980-01-01", "1980-01-02", "1990-05-05"]),
                     rng.choice(["", "0", "1", "2"]), registry, spec, file, i + 1, i + 2, "宛名番号", "生年月日", "性別"))
    people = People(tmp_path / "p.sqlite")
    people.db.executemany("INSERT INTO refs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    registry_files = ["jumin.csv", "atena.csv", "atena2.csv"]

    def key(f):  # type: ignore[no-untyped-def]
        return (f.code, f.file, f.record, f.item, f.value, tuple(f.related), tuple(sorted(f.params.items())))

    sqlite_found = sorted(map(key, people.cross_file(registry_files)))
    people.close()
    dask_found = sorted(map(key, cross_file_with_dask([rows], registry_files, npartitions=3)))
    assert {k[0] for k in sqlite_found} == {"DLV001", "DLV002", "DLV003", "DLV011", "DLV012"}
    assert sqlite_found == dask_found


def test_dask_on_hostile_files_matches_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, client) -> None:  # type: ignore[no-untyped-def]
    """A bare quote throws the quote count off (the parts disagree: the file is checked whole), and a
    U+FEFF at a part's start is data: either way the report is one process's."""
    import kikan_std.dask as kd

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64)
    header = "宛名番号,氏名,性別,住所_方書\n"
    bare = tmp_path / "bare.csv"
    bare.write_text(header + "".join(f'{i:05d},a"b,1,x\n{i + 100:05d},,1,"ハイツ\n101"\n' for i in range(30)),
                    encoding="utf-8")
    bom = tmp_path / "bom.csv"
    bom.write_text(header + "".join(f"\ufeff{i:05d},,1,\n" for i in range(40)), encoding="utf-8")
    for p in (bare, bom):
        one = kikan_std.check(p, spec="jutogai_atena", max_findings=None)
        on_dask = kd.check([p], spec="jutogai_atena", client=client, max_findings=None)
        assert comparable(one) == comparable(on_dask)
