"""--jobs N gives findings identical to one process, including duplicates across parts."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std import cli
from kikan_std.engine import parallel
from kikan_std.options import Options, resolve_jobs
from kikan_std.report.collect import Sink
from kikan_std.specs import rules_for
from kikan_std.testing.generate import csv_text, iter_jutogai_atena
from tests.conftest import run_cli
from tests.test_fields import ANY_VALUES


def defective(tmp_path: Path, rows: int = 6000, quoted_newlines: bool = False) -> Path:
    it = iter_jutogai_atena(rows, 5)
    header = next(it)
    data = [list(r) for r in it]
    h = {n: i for i, n in enumerate(header)}
    for i in range(0, rows, 97):
        data[i][h["性別"]] = "9"
    for i in range(13, rows, 211):
        data[i][h["操作年月日"]] = "2023-02-30"
    for i in range(50, rows, 401):
        data[i][h["宛名番号"]] = data[i - 40][h["宛名番号"]]  # duplicate keys, some across parts
    data[rows - 5][h["宛名番号"]] = data[3][h["宛名番号"]]
    # 名寄せ (ATN003 looks the targets up in the file's key index): existing targets before and after the
    # record, in other parts too, and targets that no record holds.
    for n, i in enumerate(range(30, rows, 257)):
        data[i][h["代表宛名フラグ"]] = "1"
        data[i][h["名寄せ先宛名番号"]] = (f"99999999999{n:04d}" if n % 3 == 0
                                         else data[(i + 1500 * (n % 2 or -1)) % rows][h["宛名番号"]])
    if quoted_newlines:
        for i in range(7, rows, 333):
            data[i][h["住所_方書"]] = "ハイツ\n１０１"
    p = tmp_path / "big.csv"
    p.write_text(csv_text(iter([header, *data])), encoding="utf-8")
    return p


def comparable(report: kikan_std.Report) -> dict[str, object]:
    d = report.model_dump()
    d.pop("generated_at")
    return d


@pytest.mark.parametrize("quoted_newlines", [False, True])
def test_jobs_give_identical_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quoted_newlines: bool) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    p = defective(tmp_path, quoted_newlines=quoted_newlines)
    assert parallel.plan_parts(p, "utf-8", 3) is not None
    spec = kikan_std.load_spec("jutogai_atena")
    sink = Sink(cap=5)
    used = parallel.check_in_parts(spec, p, str(p), Options(jobs=3), sink, rules_for(spec).record_rules,
                                     rules_for(spec).dataset_rules, [])
    assert used is not None and used.records == 6000  # the parallel path really runs
    one = kikan_std.check(p, spec="jutogai_atena", max_findings=5)
    many = kikan_std.check(p, spec="jutogai_atena", max_findings=5, jobs=3)
    assert one.stats.findings_by_code["KEY001"] > 5
    assert comparable(one) == comparable(many)
    full_one = kikan_std.check(p, spec="jutogai_atena", max_findings=None)
    full_two = kikan_std.check(p, spec="jutogai_atena", max_findings=None, jobs=2)
    assert comparable(full_one) == comparable(full_two)


def test_cuts_never_fall_inside_quotes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 16 * 1024)
    p = defective(tmp_path, quoted_newlines=True)
    plan = parallel.plan_parts(p, "utf-8", 8)
    assert plan is not None
    data = p.read_bytes()
    for cut in plan[1]:
        assert data[:cut].count(b'"') % 2 == 0
        assert cut == len(data) or data[cut - 1 : cut] == b"\n"


def test_cli_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    p = defective(tmp_path)
    c1, o1, _ = run_cli("check", str(p), "--spec", "jutogai_atena", "--output-format", "json")
    c2, o2, _ = run_cli("check", str(p), "--spec", "jutogai_atena", "--output-format", "json", "--jobs", "2")
    r1, r2 = json.loads(o1), json.loads(o2)
    r1.pop("generated_at"), r2.pop("generated_at")
    assert c1 == c2 == 1 and r1 == r2
    assert run_cli("check", str(p), "--spec", "jutogai_atena", "--jobs", "0")[0] == 2
    # auto: as many processes as this process may use CPUs; the report is the same again.
    c3, o3, _ = run_cli("check", str(p), "--spec", "jutogai_atena", "--output-format", "json", "--jobs", "auto")
    r3 = json.loads(o3)
    r3.pop("generated_at")
    assert c3 == 1 and r3 == r1


@pytest.mark.parametrize("value,expected", [("auto", len(os.sched_getaffinity(0))), ("AUTO", len(os.sched_getaffinity(0))),
                                            ("3", 3), (2, 2)])
def test_jobs_values(value: str | int, expected: int) -> None:
    assert resolve_jobs(value) == expected
    if isinstance(value, str):
        assert cli.jobs_arg(value) == expected


@pytest.mark.parametrize("value", [0, -2, "two", "", True])
def test_bad_jobs_in_the_library_is_a_value_error(tmp_path: Path, value: object) -> None:
    p = defective(tmp_path, rows=50)
    with pytest.raises(ValueError, match="jobs"):
        kikan_std.check(p, spec="jutogai_atena", jobs=value)  # type: ignore[arg-type]


def test_jobs_auto_in_the_library(tmp_path: Path) -> None:
    p = defective(tmp_path, rows=50)
    assert comparable(kikan_std.check(p, spec="jutogai_atena", jobs="auto")) == comparable(
        kikan_std.check(p, spec="jutogai_atena"))


@pytest.mark.parametrize("value", ["0", "-1", "two", ""])
def test_bad_jobs_is_a_usage_error(tmp_path: Path, value: str) -> None:
    p = defective(tmp_path)
    code, _, err = run_cli("check", str(p), "--spec", "jutogai_atena", "--jobs", value)
    assert code == 2 and "--jobs" in err and "Traceback" not in err


def test_bom_contract_is_checked_once_with_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    p = defective(tmp_path)
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    one = kikan_std.check(p, spec="jutogai_atena", bom="forbid")
    two = kikan_std.check(p, spec="jutogai_atena", bom="forbid", jobs=2)
    assert one.stats.findings_by_code["ENC002"] == 1
    assert comparable(one) == comparable(two)


def test_spilled_key_index_gives_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past KIKAN_STD_SPILL_AT keys repeats are found at the end, from the partition files: the
    report must not change, with one job or several."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    p = defective(tmp_path)
    in_memory = kikan_std.check(p, spec="jutogai_atena", max_findings=None)
    assert in_memory.stats.findings_by_code["KEY001"] > 5
    planted_missing = len(range(0, len(range(30, 6000, 257)), 3))  # the targets no record holds
    assert in_memory.stats.findings_by_code["ATN003"] == planted_missing
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "100")
    for jobs in (1, 2):
        spilled = kikan_std.check(p, spec="jutogai_atena", max_findings=None, jobs=jobs)
        assert comparable(spilled) == comparable(in_memory), jobs


def jumin_defective(tmp_path: Path) -> Path:
    """A 住民記録 export breaking dataset rules (households JUM009, histories JUM011) and a field check."""
    from kikan_std.testing.generate import iter_jumin_kiroku

    it = iter_jumin_kiroku(4000, 3)
    header = next(it)
    rows = [dict(zip(header, r, strict=True)) for r in it]
    heads = [i for i, r in enumerate(rows) if r["続柄表記"] != "世帯主" and r["最新フラグ"] == "1"]
    for i in heads[::40]:
        rows[i]["世帯主氏名"] = "別人\u3000太郎"  # household rule (dataset)
    for i in range(5, len(rows), 500):
        rows[i]["最新フラグ"] = "0"  # history rule (dataset)
    for i in range(7, len(rows), 300):
        rows[i]["性別"] = "9"  # field check (parts)
    p = tmp_path / "jumin.csv"
    p.write_text(csv_text(iter([header, *([r[h] for h in header] for r in rows)])), encoding="utf-8")
    return p


def test_jobs_with_dataset_rules_give_identical_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """住民記録 has dataset rules (histories, households): with --jobs they run in one more process
    over the whole file while the parts do the field checks; the report must equal --jobs 1."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    p = jumin_defective(tmp_path)
    spec = kikan_std.load_spec("jumin_kiroku")
    rules = rules_for(spec)
    used = parallel.check_in_parts(spec, p, str(p), Options(jobs=2), Sink(cap=5), rules.record_rules,
                                   rules.dataset_rules, [])
    assert used is not None and used.records == 4000  # the parallel path really runs
    one = kikan_std.check(p, spec="jumin_kiroku", max_findings=None)
    two = kikan_std.check(p, spec="jumin_kiroku", max_findings=None, jobs=2)
    assert {"JUM009", "JUM011", "FLD015"} <= set(one.stats.findings_by_code)  # dataset rules and field checks
    assert comparable(one) == comparable(two)
    capped = kikan_std.check(p, spec="jumin_kiroku", max_findings=3, jobs=2)
    assert comparable(capped) == comparable(kikan_std.check(p, spec="jumin_kiroku", max_findings=3))


def test_part_keys_go_through_files_that_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Local workers write their keys to temporary files (flat memory); none is left behind."""
    import tempfile

    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64 * 1024)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    seen: list[str] = []
    real = parallel.iter_part_keys

    def spy(result, offset):  # type: ignore[no-untyped-def]
        seen.append(result.keys_file)
        return real(result, offset)

    monkeypatch.setattr(parallel, "iter_part_keys", spy)
    p = defective(tmp_path)
    two = kikan_std.check(p, spec="jutogai_atena", max_findings=None, jobs=2)
    assert len(seen) == 2 and all(f and f.startswith(str(tmp)) for f in seen)
    assert comparable(two) == comparable(kikan_std.check(p, spec="jutogai_atena", max_findings=None))
    assert list(tmp.iterdir()) == []


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), crlf=st.booleans(), jobs=st.sampled_from([2, 3]),
       edits=st.lists(st.tuples(st.integers(0, 2999), st.integers(0, 28), ANY_VALUES), max_size=60))
def test_jobs_give_identical_reports_on_any_edits(tmp_path: Path, seed: int, crlf: bool, jobs: int,
                                                  edits: list[tuple[int, int, str]]) -> None:
    # Values of every shape (quotes, line breaks, undecodable bytes, bad dates…) anywhere in the file:
    # split in parts or not, the report is the same (300 examples once, clean).
    it = iter_jutogai_atena(3000, seed)
    header = next(it)
    data = [list(r) for r in it]
    for r, c, v in edits:
        data[r][c] = v
    text = csv_text(iter([header, *data]))
    p = tmp_path / f"edited-{seed}-{jobs}.csv"
    p.write_bytes((text if crlf else text.replace("\r\n", "\n")).encode("utf-8", "surrogateescape"))
    saved = parallel.MIN_PART_BYTES
    parallel.MIN_PART_BYTES = 16 * 1024
    try:
        assert parallel.plan_parts(p, "utf-8", jobs) is not None  # the parallel path really runs
        one = kikan_std.check(p, spec="jutogai_atena", max_findings=7)
        many = kikan_std.check(p, spec="jutogai_atena", max_findings=7, jobs=jobs)
    finally:
        parallel.MIN_PART_BYTES = saved
    assert comparable(one) == comparable(many)
