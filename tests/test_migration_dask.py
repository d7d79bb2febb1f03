"""kikan_std.dask.compare on a local cluster (two worker processes): the one-process report, field for field.

Differential tests on generated migration pairs (clean legacy → standard through the mapping, v1 → v2,
the planted defects) and on hand-made hostile pairs (duplicate and blank keys, a key table, households
merged, a bare quote that throws the quote count off so that cuts fall inside quoted fields, bytes that
do not decode). The files are cut into several byte ranges and the keys into several partitions.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import pytest

import kikan_std
from kikan_std.engine import parallel
from kikan_std.errors import InputError
from kikan_std.migration import partition
from tests.conftest import run_cli
from tests.migration_pairs import pair, planted

pytest.importorskip("dask.distributed", reason="the dask extra is installed by `make test`")
pytest.importorskip("duckdb", reason="the migration extra is installed by `make test`")

import kikan_std.dask as kd  # after the skips: needs the dask extra

TODAY = _dt.date(2026, 6, 1)


@pytest.fixture
def ranges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Files of a few hundred kB are cut like big ones; returns the number of ranges of each file read."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 16 * 1024)
    seen: list[int] = []
    real = partition.plan_chunks

    def spy(*a: Any, **k: Any) -> list[partition.Range]:
        out = real(*a, **k)
        seen.append(len(out))
        return out

    monkeypatch.setattr(partition, "plan_chunks", spy)
    return seen


CASES = {
    "clean legacy → standard (mapping)": (False, "legacy.csv", "standard.csv", {"mapping": "mapping.toml"}),
    "clean v1 → v2": (False, "v1.csv", "v2.csv", {}),
    "defects legacy → standard (mapping, expected)": (True, "legacy.csv", "standard.csv",
                                                      {"mapping": "mapping.toml", "expected": "expected-differences.toml"}),
    "defects v1 → standard": (True, "v1.csv", "standard.csv", {}),
}


@pytest.mark.parametrize("case", CASES)
def test_dask_compare_is_the_one_process_report(case: str, client: Any, ranges: list[int]) -> None:
    defects, before, after, files = CASES[case]
    d = pair(defects)
    kw = {k: d / v for k, v in files.items()}
    one = kikan_std.compare(d / before, d / after, "jumin_kiroku", today=TODAY, **kw)
    on_dask = kd.compare(d / before, d / after, "jumin_kiroku", client=client, partitions=3, today=TODAY, **kw)
    assert on_dask.model_dump() == one.model_dump()
    assert ranges == [2, 2]  # both files were read in two ranges, on the workers
    if not defects:
        assert (one.verdict, one.valid, one.differences) == ("no_difference", True, [])
        assert one.matched == one.after.records > 0
        return
    assert (one.verdict, one.valid) == ("differences", False)
    found = {(x.item, x.kind): x.count for x in one.differences}
    if before == "legacy.csv":  # every planted defect, with its count
        assert all(found.get((p["item"], p["kind"])) == p["count"] for p in planted())
    assert ("世帯番号", "households_changed") in found  # counted in partitions of households


def test_dask_compare_with_values_mask_key_and_tolerance(client: Any, ranges: list[int]) -> None:
    d = pair(True)
    kw: dict[str, Any] = {"mapping": d / "mapping.toml", "show_values": True, "mask_key": b"another key",
                          "tolerance": {"*": 0.02, "fill_rate_dropped": 0.2}, "today": TODAY}
    one = kikan_std.compare(d / "legacy.csv", d / "standard.csv", "jumin_kiroku", **kw)
    on_dask = kd.compare(d / "legacy.csv", d / "standard.csv", "jumin_kiroku", client=client, partitions=4, **kw)
    assert on_dask.model_dump() == one.model_dump()
    assert {x.status for x in one.differences} == {"unexplained", "within_tolerance"}
    assert any(e.before is not None for x in one.differences for e in x.examples)


def _rows(path: Path) -> tuple[str, list[str]]:
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    return lines[0], [ln for ln in lines[1:401] if ln]


def test_dask_compare_on_hostile_pairs(tmp_path: Path, client: Any, ranges: list[int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicate keys (kept: the same record on both paths), blank keys, a key table, households merged,
    and a bare quote before quoted line breaks: cuts fall inside quoted fields, a range fails to read
    and that file is read whole — the report is still one process's."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1024)
    header, rows = _rows(pair(False) / "v1.csv")
    cols = header.split(",")
    atena, setai = cols.index("宛名番号"), cols.index("世帯番号")

    def edit(row: str, **values: str) -> str:
        cells = row.split(",")
        for name, v in values.items():
            cells[cols.index(name)] = v
        return ",".join(cells)

    before = list(rows)
    before += [edit(rows[5], 住所_方書="重複の別の値"), edit(rows[9], 住所_方書="重複その2"), rows[12]]
    before += [edit(rows[20], 宛名番号=""), edit(rows[21], 宛名番号="")]  # blank keys
    before[30] = edit(before[30], 宛名番号="OLD" + before[30].split(",")[atena])  # renumbered by the key table
    after = [edit(r, 住所_方書='"ハイツ\r\n本町, 101"') if i % 7 == 3 else r for i, r in enumerate(rows)]
    after[1] = edit(after[1], 住所_方書='x"y')  # a bare quote: the quote count is off from here on
    after += [rows[9], edit(rows[20], 宛名番号="")]
    merged_into = after[40].split(",")[setai]
    others = [i for i, r in enumerate(after) if i > 40 and r.split(",")[setai] != merged_into][:2]
    for i in others:  # two people of other households move into the household of record 40
        after[i] = edit(after[i], 世帯番号=merged_into)
    b, a = tmp_path / "before.csv", tmp_path / "after.csv"
    b.write_text("\r\n".join([header, *before]) + "\r\n", encoding="utf-8")
    a.write_text("\r\n".join([header, *after]) + "\r\n", encoding="utf-8")
    keys = tmp_path / "keys.csv"
    old = before[30].split(",")[atena]
    keys.write_text(f"{old},{old[3:]}\n", encoding="utf-8")

    submitted: list[tuple[str, bool]] = []
    real_submit = client.submit
    monkeypatch.setattr(client, "submit", lambda fn, *x, **k: (
        submitted.append((getattr(fn, "__name__", ""), len(x) > 1 and x[1] is None)), real_submit(fn, *x, **k))[1])
    one = kikan_std.compare(b, a, "jumin_kiroku", key_map=keys, today=TODAY)
    on_dask = kd.compare(b, a, "jumin_kiroku", key_map=keys, client=client, partitions=3, today=TODAY)
    assert on_dask.model_dump() == one.model_dump()
    found = {(x.item, x.kind) for x in one.differences}
    assert one.before.duplicate_keys >= 3 and one.after.duplicate_keys == 1
    assert ("世帯番号", "households_changed") in found and ("住所_方書", "changed") in found
    without_keys = kikan_std.compare(b, a, "jumin_kiroku", today=TODAY)

    def missing(r: Any) -> int:
        return sum(x.count for x in r.differences if x.kind == "records_missing")

    assert missing(one) == missing(without_keys) - 1 > 0  # the key table matched the renumbered record
    loads = [whole for name, whole in submitted if name == "load_chunk"]
    assert loads.count(False) > 2 and loads.count(True) == 1  # AFTER's ranges failed: read whole once


def test_undecodable_legacy_bytes_give_the_one_process_error(tmp_path: Path, client: Any, ranges: list[int]) -> None:
    d = pair(False)
    data = bytearray((d / "legacy.csv").read_bytes())
    at = data.index(b"\r\n", len(data) // 2) + 2
    data[at:at] = b"\x81\x7f"  # not CP932
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes(bytes(data))
    with pytest.raises(InputError) as one:
        kikan_std.compare(legacy, d / "standard.csv", "jumin_kiroku", mapping=d / "mapping.toml")
    with pytest.raises(InputError) as on_dask:
        kd.compare(legacy, d / "standard.csv", "jumin_kiroku", mapping=d / "mapping.toml", client=client)
    assert str(on_dask.value) == str(one.value)
    assert f"byte {at}" in str(one.value)  # where in the whole file, not in a range


def test_missing_key_item_gives_the_one_process_error(tmp_path: Path, client: Any) -> None:
    header, rows = _rows(pair(False) / "v1.csv")
    i = header.split(",").index("個人履歴番号")
    no_key = tmp_path / "no_key.csv"
    no_key.write_text("\r\n".join(",".join(c for j, c in enumerate(r.split(",")) if j != i)
                                  for r in [header, *rows]) + "\r\n", encoding="utf-8")
    with pytest.raises(InputError) as one:
        kikan_std.compare(pair(False) / "v1.csv", no_key, "jumin_kiroku")
    with pytest.raises(InputError) as on_dask:
        kd.compare(pair(False) / "v1.csv", no_key, "jumin_kiroku", client=client)
    assert str(on_dask.value) == str(one.value) and "個人履歴番号" in str(one.value)


def test_lenient_files_with_quotes_are_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 1024)
    d = pair(False)
    assert len(partition.plan_chunks(d / "legacy.csv", "cp932", True, 2)) == 2  # no quote byte: cut
    quoted = tmp_path / "legacy.csv"
    quoted.write_bytes((d / "legacy.csv").read_bytes().replace(b"\r\n", b'\r\n"', 1).replace(b',', b'",', 1))
    assert partition.plan_chunks(quoted, "cp932", True, 2) == [None]
    assert len(partition.plan_chunks(d / "v1.csv", "utf-8", False, 3)) == 3  # strict reading: cut at quote parity


def test_cli_dask_scheduler_gives_the_same_json_and_exit_code(client: Any, ranges: list[int]) -> None:
    d = pair(True)
    argv = [str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku", "--mapping",
            str(d / "mapping.toml"), "--expected", str(d / "expected-differences.toml"), "--output-format", "json"]
    code, out, err = run_cli("compare", *argv)
    code_dask, out_dask, err_dask = run_cli("compare", *argv, "--dask-scheduler", client.scheduler.address)
    assert (code, err) == (1, "") and (code_dask, err_dask) == (1, "")
    assert json.loads(out_dask) == json.loads(out)


def test_cli_dask_scheduler_unreachable_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    from kikan_std.cli import migration

    monkeypatch.setattr(migration, "DASK_CONNECT_TIMEOUT", "1s")
    d = pair(False)
    code, _, err = run_cli("compare", str(d / "v1.csv"), str(d / "v2.csv"), "--spec", "jumin_kiroku",
                           "--dask-scheduler", "tcp://127.0.0.1:9")
    assert code == 2 and "Traceback" not in err and "Dask" in err
