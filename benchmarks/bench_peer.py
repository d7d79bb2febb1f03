"""Compare kikan-std with frictionless (the peer tool) and with bare csv.reader on the same file.

The frictionless Table Schema is derived from the same spec (lengths as maxLength, code lists as
enum, content formats and date/time shapes as pattern, 必須 as required, the primary key), so both
tools check the same file against equivalent constraints — kikan-std checks more on top
(character set, calendar validity, check digits, cross-field conditions).

Both tools run as whole processes (start-up included) on the same file, and are also timed inside
their check call alone (imports excluded); single-process runs are pinned to one CPU. kikan-std runs ``--repeat`` times (best and median printed); frictionless, which
takes ~10x longer and varies less, once.

Needs the ``bench`` extra (frictionless). Usage:
    python benchmarks/bench_peer.py [--rows 200000] [--peer-rows N (default: --rows)] [--jobs 1,2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import child_env

import kikan_std
from kikan_std.generate import iter_jutogai_atena, write_csv
from kikan_std.model import DataType, Format

_PATTERNS = {
    Format.INDIVIDUAL_NUMBER: r"[0-9]{12}",
    Format.CORPORATE_NUMBER: r"[0-9]{13}",
    Format.LOCAL_GOVERNMENT_CODE: r"[0-9]{6}",
    Format.POSTAL_CODE: r"[0-9]{7}",
    Format.TOWN_CODE: r"[0-9]{7}",
    Format.DIGITS: r"[0-9]+",
}
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
            c["pattern"] = _PATTERNS[it.format]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--peer-rows", type=int, default=0, help="rows for the frictionless comparison (default: --rows)")
    ap.add_argument("--jobs", default="1")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    peer_rows = args.peer_rows or args.rows
    with tempfile.TemporaryDirectory() as d:
        big = write_csv(Path(d) / "big.csv", iter_jutogai_atena(args.rows, 1))
        bare = min(time_csv_reader(big) for _ in range(args.repeat))
        print(f"csv.reader only (parse, no checks, in-process, best of {args.repeat}): {args.rows / bare:>10,.0f} rows/s")
        for jobs in [int(j) for j in args.jobs.split(",")]:
            runs = sorted(time_kikan(big, jobs) for _ in range(args.repeat))
            (best, rss), (median, _) = runs[0], runs[len(runs) // 2]
            print(f"kikan-std --jobs {jobs}: best {args.rows / best:>9,.0f} rows/s ({best:.2f} s), median "
                  f"{args.rows / median:>9,.0f} rows/s ({median:.2f} s), end to end, peak RSS {rss / 1024:.0f} MiB = "
                  f"{bare / best:.0%} (median {bare / median:.0%}) of the bare csv.reader rate")
        peer = big if peer_rows == args.rows else write_csv(Path(d) / "peer.csv", iter_jutogai_atena(peer_rows, 1))
        k_runs = sorted(time_kikan(peer, 1)[0] for _ in range(args.repeat))
        k_best, k_median = k_runs[0], k_runs[len(k_runs) // 2]
        k_inner = sorted(time_kikan_inner(peer) for _ in range(args.repeat))
        f_total, f_inner, f_valid = time_frictionless(peer)
        print(f"same {peer_rows:,} rows, each tool as a whole process on one core: kikan-std {peer_rows / k_best:,.0f} "
              f"rows/s (median {peer_rows / k_median:,.0f}), frictionless {peer_rows / f_total:,.0f} rows/s "
              f"(valid={f_valid}); ratio {f_total / k_best:.1f}x (median {f_total / k_median:.1f}x)")
        ki_best, ki_median = k_inner[0], k_inner[len(k_inner) // 2]
        print(f"inside the check call only (imports excluded, first call in a fresh process): kikan_std.check() "
              f"{peer_rows / ki_best:,.0f} rows/s (median {peer_rows / ki_median:,.0f}), frictionless validate() "
              f"{peer_rows / f_inner:,.0f} rows/s; ratio {f_inner / ki_best:.1f}x (median {f_inner / ki_median:.1f}x)")


if __name__ == "__main__":
    main()
