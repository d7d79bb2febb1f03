"""Compare kikan-std with frictionless (the peer tool) and with bare csv.reader on the same file.

The frictionless Table Schema is derived from the same spec (lengths as maxLength, code lists as
enum, content formats and date/time shapes as pattern, 必須 as required, the primary key), so both
tools check the same file against equivalent constraints — kikan-std checks more on top
(character set, calendar validity, check digits, cross-field conditions).

Both tools run as whole processes (start-up included) on the same file, and are also timed inside
their check call alone (imports excluded); single-process runs are pinned to one CPU. The comparison runs
``--peer-repeat`` interleaved rounds (kikan-std whole, kikan-std inner, frictionless) so both tools see the same host
load; it prints best against best, the median of the per-round ratios, each tool's fixed start-up, and the file size
from which the whole-process ratio reaches 10x by those medians. Each size is its own generated file.

Needs the ``bench`` extra (frictionless). Usage:
    python benchmarks/bench_peer.py [--rows 200000[,1000000]] [--jobs 1,2] [--repeat 3] [--peer-repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import child_env

import kikan_std
from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import DataType
from kikan_std.testing.generate import iter_jutogai_atena, write_csv

_TYPE_PATTERNS = {
    DataType.DATE: r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    DataType.TIME: r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?",
    DataType.NUM: r"[0-9]+",
    DataType.X: r"[ -~]*",
}



def table_schema() -> dict[str, Any]:
    spec = kikan_std.load_spec("jutogai_atena")
    fields = []
    for it in spec.groups[0].items:
        c: dict[str, Any] = {"maxLength": it.max_length}
        if it.required:
            c["required"] = True
        if it.code_list and not spec.code_list(it.code_list).open:
            c["enum"] = [v.value for v in spec.code_list(it.code_list).values]
        elif it.format is not None:
            c["pattern"] = FORMATS[it.format].pattern(int(it.length.split(",")[0]))  # the one format table
        elif it.type in _TYPE_PATTERNS:
            c["pattern"] = _TYPE_PATTERNS[it.type]
        # Every field is a string: the lexical form is what is checked.
        fields.append({"name": it.name, "type": "string", "constraints": c})
    return {"fields": fields, "primaryKey": spec.groups[0].primary_key[0]}


def _one_cpu() -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def time_frictionless(path: Path) -> tuple[float, float, bool]:
    """(seconds end to end in its own process, seconds inside validate(), valid) for frictionless.

    Like kikan-std, frictionless is timed as a whole process (start-up and imports included); the
    time inside ``validate()`` alone is printed too.
    """
    schema = json.dumps(table_schema(), ensure_ascii=False)
    code = (
        "import json, sys, time\n"
        "from frictionless import Resource, Schema\n"
        f"r = Resource(path={path.name!r}, basepath={str(path.parent)!r}, "
        f"schema=Schema.from_descriptor(json.loads({schema!r})))\n"
        "t = time.perf_counter(); rep = r.validate(limit_errors=1000); inner = time.perf_counter() - t\n"
        "print(json.dumps([inner, bool(rep.valid)]))\n"
    )
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_env(),
                          preexec_fn=_one_cpu)
    total = time.perf_counter() - t
    inner, valid = json.loads(proc.stdout.strip().splitlines()[-1])
    return total, float(inner), bool(valid)


def time_kikan(path: Path, jobs: int) -> tuple[float, int]:
    argv = [sys.executable, "-m", "kikan_std", "check", str(path), "--spec", "jutogai_atena", "--no-progress"]
    if jobs != 1:
        argv += ["--jobs", str(jobs)]
    t = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=child_env(),
                          preexec_fn=_one_cpu if jobs == 1 else None)
    elapsed = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"kikan-std exit {proc.returncode}: {proc.stderr.decode()[:300]}")
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def time_kikan_inner(path: Path) -> float:
    """Seconds inside ``kikan_std.check()`` in a fresh process pinned to one core (imports excluded,
    first call: the counterpart of frictionless's time inside ``validate()``)."""
    code = (
        "import sys, time, kikan_std\n"
        "t = time.perf_counter(); r = kikan_std.check(sys.argv[1], spec='jutogai_atena')\n"
        "print(time.perf_counter() - t, r.valid)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                          env=child_env(), preexec_fn=_one_cpu)
    secs, valid = proc.stdout.split()
    if valid != "True":
        raise SystemExit("kikan-std found the benchmark file invalid")
    return float(secs)


def time_csv_reader(path: Path) -> float:
    t = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as f:
        for _ in csv.reader(f):
            pass
    return time.perf_counter() - t


def _best_median(xs: list[float]) -> tuple[float, float]:
    ys = sorted(xs)
    return ys[0], ys[len(ys) // 2]


def compare(path: Path, rows: int, repeat: int) -> None:
    """Both tools on the same file, ``repeat`` rounds, each round running every measurement once.

    Interleaving the rounds makes both tools see the same host load (which moves a run by 20–40% here);
    ratios are printed best against best and as the median of the per-round ratios.
    """
    k_whole: list[float] = []
    k_inner: list[float] = []
    f_whole: list[float] = []
    f_inner: list[float] = []
    for _ in range(repeat):
        k_whole.append(time_kikan(path, 1)[0])
        k_inner.append(time_kikan_inner(path))
        total, inner, valid = time_frictionless(path)
        if not valid:
            raise SystemExit("frictionless found the benchmark file invalid: the schemas are not equivalent")
        f_whole.append(total)
        f_inner.append(inner)
    pair_whole = statistics.median(f / k for f, k in zip(f_whole, k_whole, strict=True))
    pair_inner = statistics.median(f / k for f, k in zip(f_inner, k_inner, strict=True))
    kw, kw_med = _best_median(k_whole)
    fw, fw_med = _best_median(f_whole)
    ki, ki_med = _best_median(k_inner)
    fi, fi_med = _best_median(f_inner)
    print(f"  whole process (start-up included), one core, {repeat} interleaved rounds: kikan-std "
          f"{rows / kw:,.0f} rows/s (median {rows / kw_med:,.0f}), frictionless {rows / fw:,.0f} rows/s "
          f"(median {rows / fw_med:,.0f}); ratio best/best {fw / kw:.1f}x, median of rounds {pair_whole:.1f}x")
    print(f"  inside the check call only (imports excluded): kikan_std.check() {rows / ki:,.0f} rows/s "
          f"(median {rows / ki_med:,.0f}), frictionless validate() {rows / fi:,.0f} rows/s (median "
          f"{rows / fi_med:,.0f}); ratio best/best {fi / ki:.1f}x, median of rounds {pair_inner:.1f}x")
    # Fixed start-up against per-row cost, from the medians: where the whole-process ratio reaches 10x.
    k_start, f_start = _fixed_cost(k_whole, k_inner), _fixed_cost(f_whole, f_inner)
    k_row, f_row = ki_med / rows, fi_med / rows
    line = (f"  start-up and other fixed cost (median whole minus inner): kikan-std {k_start:.2f} s, "
            f"frictionless {f_start:.2f} s")
    if f_row > 10 * k_row:
        n10 = max(0.0, (10 * k_start - f_start) / (f_row - 10 * k_row))
        line += f"; by these medians the whole-process ratio reaches 10x from about {n10:,.0f} rows"
    print(line)


def _fixed_cost(whole: list[float], inner: list[float]) -> float:
    return statistics.median(w - i for w, i in zip(whole, inner, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", default="200000", help="rows, or a comma-separated list of sizes")
    ap.add_argument("--jobs", default="1")
    ap.add_argument("--repeat", type=int, default=3, help="runs of kikan-std alone per --jobs value")
    ap.add_argument("--peer-repeat", type=int, default=3, help="interleaved rounds of both tools")
    args = ap.parse_args()
    for rows in [int(r) for r in args.rows.split(",")]:
        with tempfile.TemporaryDirectory() as d:
            big = write_csv(Path(d) / "big.csv", iter_jutogai_atena(rows, 1))
            print(f"{rows:,} rows (jutogai_atena, 29 items, {big.stat().st_size / 2**20:.1f} MiB)")
            bare = min(time_csv_reader(big) for _ in range(args.repeat))
            print(f"  csv.reader only (parse, no checks, in-process, best of {args.repeat}): {rows / bare:>10,.0f} rows/s")
            for jobs in [int(j) for j in args.jobs.split(",")]:
                runs = sorted(time_kikan(big, jobs) for _ in range(args.repeat))
                (best, rss), (median, _) = runs[0], runs[len(runs) // 2]
                print(f"  kikan-std --jobs {jobs}: best {rows / best:>9,.0f} rows/s ({best:.2f} s), median "
                      f"{rows / median:>9,.0f} rows/s ({median:.2f} s), end to end, peak RSS {rss / 1024:.0f} MiB = "
                      f"{bare / best:.0%} (median {bare / median:.0%}) of the bare csv.reader rate")
            compare(big, rows, args.peer_repeat)


if __name__ == "__main__":
    main()
