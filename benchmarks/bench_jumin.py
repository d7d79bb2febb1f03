"""Benchmark: check a generated 住民記録 export with every rule on, as a subprocess.

Prints rows/s and the peak RSS of the checking process (getrusage RUSAGE_CHILDREN, one child per
run), for a large and a small file, and for the large file again with the key indexes and the rule
state forced to spill to disk (KIKAN_STD_SPILL_AT), to show memory does not grow with rows; with
``--jobs N`` the large file once more on N cores (dataset rules in one more process).

Usage: python benchmarks/bench_jumin.py [--rows 1000000] [--small 100000] [--spill-at 100000] [--dir /tmp] [--jobs 2]
Generated files are kept in --dir and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def _generate(rows: int, path: Path) -> None:
    if path.exists():
        return
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "kikan_std", "generate", "--spec", "jumin_kiroku", "--rows", str(rows),
                    "--seed", "1", "-o", str(path)], check=True, stdout=subprocess.DEVNULL)
    print(f"generated {rows:,} rows in {time.perf_counter() - t:.1f} s → {path} ({path.stat().st_size / 1e6:.0f} MB)")


def _run(path: Path, rows: int, label: str, env: dict[str, str], jobs: int = 1) -> None:
    """One check in a fresh child; the child's peak RSS is isolated by a wrapper process."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "rep = json.loads(p.stdout)\n"
        "print(json.dumps({'rc': p.returncode, 'seconds': dt, 'rss_kb': rss, 'valid': rep['valid'],"
        " 'findings': rep['stats']['total_findings'], 'not_run': len(rep['rules_not_run'])}))\n"
    )
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "kikan_std", "check", str(path), "--spec",
           "jumin_kiroku", "--no-progress", "--output-format", "json", "--jobs", str(jobs)]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, env={**os.environ, **env}).stdout
    r = json.loads(out)
    print(f"{label:<34} {rows:>10,} rows  {r['seconds']:7.1f} s  {rows / r['seconds']:>9,.0f} rows/s  "
          f"peak RSS {r['rss_kb'] / 1024:7.0f} MB  valid={r['valid']} findings={r['findings']} "
          f"rules_not_run={r['not_run']} exit={r['rc']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--spill-at", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--jobs", type=int, default=1, help="also time the large file with --jobs N (N > 1)")
    a = ap.parse_args()
    big = Path(a.dir) / f"kikan_jumin_{a.rows}.csv"
    small = Path(a.dir) / f"kikan_jumin_{a.small}.csv"
    _generate(a.rows, big)
    _generate(a.small, small)
    print(f"python {sys.version.split()[0]}, every jumin_kiroku rule on (JUM001–JUM015, KEY001)")
    _run(small, a.small, "small, in memory", {})
    _run(big, a.rows, "large, in memory", {})
    _run(small, a.small, f"small, spill at {a.spill_at:,}", {"KIKAN_STD_SPILL_AT": str(a.spill_at)})
    _run(big, a.rows, f"large, spill at {a.spill_at:,}", {"KIKAN_STD_SPILL_AT": str(a.spill_at)})
    if a.jobs > 1:
        # RSS here is the largest single process (RUSAGE_CHILDREN keeps the maximum of one child).
        _run(big, a.rows, f"large, in memory, --jobs {a.jobs}", {}, jobs=a.jobs)


if __name__ == "__main__":
    main()
