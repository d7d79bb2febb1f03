"""Benchmark of 移行検証 (profile / compare) on generated 住民記録 migration pairs.

Generates a pair (``kikan-std generate --spec migration --defects``), then runs each step in its own
child process and prints seconds, CPU seconds, records/s and the child's peak RSS (``resource.getrusage`` of the
children)::

    python benchmarks/bench_migration.py [--rows 1000000] [--dir DIR] [--only legacy] [--baseline-rows 100000]
                                         [--dask-workers 2] [--repeat 3]

Steps: profile of the standard export; compare v1 → standard export (two UTF-8 standard files, read
by DuckDB itself); compare legacy → standard through the mapping (CP932 legacy extract transcoded to
UTF-8 as bytes, then read and mapped by DuckDB in SQL). ``--baseline-rows`` also measures a plain-Python dictionary compare (what
one would write by hand) on a smaller pair, the measurement behind choosing DuckDB.

``--dask-workers N`` also runs each compare with :func:`kikan_std.dask.compare` on a local cluster of N
worker processes (one thread each), in its own child: seconds of the compare alone (the cluster is started
before the clock), CPU seconds of the client and the workers, the largest worker's peak RSS, and whether
the report is the one-process report (the JSON of the one-process step). On one machine Dask only adds
work (byte ranges, Parquet pieces, task traffic); it is there to spread a national-scale comparison
over several machines, not to be faster here. ``--repeat`` runs every step several times and prints
each run and the median.

Figures are for comparison on one machine, not promises. The target of the issue: 1,000,000 vs
1,000,000 records in ≤ 2 minutes and ≤ 1 GiB peak on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import child_env

_MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
dt = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, dt, ru.ru_maxrss, ru.ru_utime + ru.ru_stime)
"""

_BASELINE = """
import csv, sys
def load(p):
    with open(p, encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        h = next(r)
        k1, k2 = h.index("宛名番号"), h.index("個人履歴番号")
        return h, {(row[k1], row[k2]): row for row in r}
hb, b = load(sys.argv[1])
ha, a = load(sys.argv[2])
pos = [ha.index(n) for n in hb]
changed = [0] * len(hb)
for k, rb in b.items():
    ra = a.get(k)
    if ra is None:
        continue
    for i, j in enumerate(pos):
        if rb[i] != ra[j]:
            changed[i] += 1
print(sum(changed), len(set(b) - set(a)))
"""


_DASK = """
import resource, sys, time
from dask.distributed import Client, LocalCluster
import kikan_std.dask as kd

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss

if __name__ == "__main__":
    workers, before, after, mapping, out = sys.argv[1:6]
    with LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as client:
        start = sum(c for c, _ in client.run(cpu).values()) + time.process_time()
        t = time.perf_counter()
        r = kd.compare(before, after, "jumin_kiroku", client=client, mapping=mapping or None)
        secs = time.perf_counter() - t
        used = client.run(cpu).values()
        cpu_s = sum(c for c, _ in used) + time.process_time() - start
        rss = max(m for _, m in used)
    with open(out, "w", encoding="utf-8") as f:
        f.write(r.model_dump_json(indent=1) + "\\n")
    print(secs, cpu_s, rss / 1024)
"""


def measure_dask(workers: int, before: Path, after: Path, mapping: Path | None, out: Path,
                 script: Path) -> tuple[float, float, float]:
    """(seconds of the compare, CPU seconds of client and workers, largest worker's peak RSS MiB) on a local cluster."""
    script.write_text(_DASK, encoding="utf-8")
    res = subprocess.run([sys.executable, str(script), str(workers), str(before), str(after), str(mapping or ""),
                          str(out)], capture_output=True, text=True, check=True, env=child_env()).stdout.split()
    return float(res[0]), float(res[1]), float(res[2])


def measure(cmd: list[str]) -> tuple[int, float, float, float]:
    """(exit code, seconds, peak RSS MiB, CPU seconds) of ``cmd`` run in a fresh child.

    CPU seconds (user + system of the child) move less than wall time on a shared, loaded machine.
    """
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True, check=True,
                         env=child_env()).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]) / 1024, float(out[3])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    ap.add_argument("--only", action="append", help="run only the steps whose name contains this (repeatable)")
    ap.add_argument("--baseline-rows", type=int, default=0, help="also time a plain-Python compare of this size")
    ap.add_argument("--dask-workers", type=int, default=0, help="also run each compare on a local Dask cluster")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every step (the median is printed too)")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # each step's line as it finishes
    kikan = str(Path(sys.executable).with_name("kikan-std"))
    with tempfile.TemporaryDirectory(prefix="bench-migration-") as tmp:
        base = Path(args.dir) if args.dir else Path(tmp)
        d = base / f"pair-{args.rows}"
        if not (d / "standard.csv").exists():
            t = time.perf_counter()
            subprocess.run([kikan, "generate", "--spec", "migration", "--defects", "--rows", str(args.rows),
                            "-o", str(d)], check=True, stdout=subprocess.DEVNULL, env=child_env())
            print(f"generate  {args.rows:>9,} records: {time.perf_counter() - t:7.1f} s")
        size = (d / "standard.csv").stat().st_size / 2**20
        print(f"standard.csv {size:,.0f} MiB, legacy.csv {(d / 'legacy.csv').stat().st_size / 2**20:,.0f} MiB, "
              f"123 items + 2 extra columns")
        steps = [
            ("profile standard.csv", [kikan, "profile", str(d / "standard.csv"), "--spec", "jumin_kiroku",
                                      "--output-format", "json", "-o", str(base / "profile.json")], 1),
            ("compare v1 → standard", [kikan, "compare", str(d / "v1.csv"), str(d / "standard.csv"), "--spec",
                                       "jumin_kiroku", "--output-format", "json", "-o", str(base / "c1.json")], 2),
            ("compare legacy → standard (mapping)",
             [kikan, "compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
              "--mapping", str(d / "mapping.toml"), "--output-format", "json", "-o", str(base / "c2.json")], 2),
        ]
        for name, cmd, files in steps:
            if args.only and not any(o in name for o in args.only):
                continue
            times = []
            for _ in range(args.repeat):
                rc, secs, rss, cpu = measure(cmd)
                times.append(secs)
                print(f"{name:<38} exit {rc}  {secs:7.1f} s  CPU {cpu:7.1f} s  {files * args.rows / secs:>10,.0f} "
                      f"records/s  peak RSS {rss:7.0f} MiB")
            if args.repeat > 1:
                print(f"{name:<38} median {statistics.median(times):7.1f} s")
            if args.dask_workers and files == 2:
                before, after = Path(cmd[2]), Path(cmd[3])
                mapping = Path(cmd[cmd.index("--mapping") + 1]) if "--mapping" in cmd else None
                one = json.loads(Path(cmd[cmd.index("-o") + 1]).read_text(encoding="utf-8"))
                times = []
                for _ in range(args.repeat):
                    out = base / "dask.json"
                    secs, cpu, rss = measure_dask(args.dask_workers, before, after, mapping, out, base / "dask_run.py")
                    times.append(secs)
                    same = json.loads(out.read_text(encoding="utf-8")) == one
                    print(f"  on Dask, {args.dask_workers} local workers    {secs:7.1f} s  CPU {cpu:7.1f} s  "
                          f"largest worker RSS {rss:7.0f} MiB  same report as one process: {'yes' if same else 'NO'}")
                if args.repeat > 1:
                    print(f"  on Dask, {args.dask_workers} local workers    median {statistics.median(times):7.1f} s")
        if args.baseline_rows:
            b = base / f"pair-{args.baseline_rows}"
            if not (b / "standard.csv").exists():
                subprocess.run([kikan, "generate", "--spec", "migration", "--defects", "--rows",
                                str(args.baseline_rows), "-o", str(b)], check=True, stdout=subprocess.DEVNULL)
            for name, cmd in (
                ("plain Python dict compare", [sys.executable, "-c", _BASELINE, str(b / "v1.csv"), str(b / "standard.csv")]),
                ("kikan-std compare (DuckDB)", [kikan, "compare", str(b / "v1.csv"), str(b / "standard.csv"), "--spec",
                                                "jumin_kiroku", "--output-format", "json", "-o", str(base / "c3.json")]),
            ):
                rc, secs, rss, cpu = measure(cmd)
                print(f"{name:<38} {args.baseline_rows:,} vs {args.baseline_rows:,}: {secs:7.1f} s  "
                      f"CPU {cpu:7.1f} s  peak RSS {rss:7.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
