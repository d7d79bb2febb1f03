"""Benchmark `kikan-std check` end to end on generated valid 住登外者宛名 data.

Prints, for each size: rows/s measured around the whole process (start-up included; the child is
pinned to one CPU), best and median of the repeats, the child's peak RSS, and the share of the
time spent in the 文字要件 character checks (measured in-process by timing the character functions).
``--block-sizes`` compares reader block sizes in-process instead.

Usage: python benchmarks/bench_check.py [--rows 200000] [--sizes 50000,200000] [--repeat 3]
       python benchmarks/bench_check.py --block-sizes 262144,393216,2097152 [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import child_env

from kikan_std.testing.generate import iter_jutogai_atena, write_csv


def run_cli(path: Path) -> tuple[float, int, int]:
    """(seconds, peak RSS KiB, exit code) of one `kikan-std check` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    cpu = min(os.sched_getaffinity(0))
    proc = subprocess.run(
        [sys.executable, "-m", "kikan_std", "check", str(path), "--spec", "jutogai_atena", "--no-progress"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=child_env(),
        preexec_fn=lambda: os.sched_setaffinity(0, {cpu}),  # one core, as the target says
    )
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise SystemExit(f"unexpected exit {proc.returncode}: {proc.stderr.decode()[:500]}")
    return elapsed, max(peak, before), proc.returncode


def char_share(path: Path, repeat: int) -> tuple[float, float]:
    """(total seconds, seconds inside the 文字要件 character checks) for an in-process check.

    Every character-check function of kikan_std.jp.chars is wrapped with a timer for this measure.
    """
    import kikan_std
    from kikan_std.jp import chars

    kikan_std.check(path, spec="jutogai_atena")  # warm: the tables load once per process
    spent = [0.0]
    names = ("fullwidth_column_clean", "halfwidth_column_clean", "fullwidth_problems",
             "halfwidth_problems", "control_problems")
    saved = {n: getattr(chars, n) for n in names}

    def timed(fn):  # type: ignore[no-untyped-def]
        def wrapper(*a, **k):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t
        return wrapper

    for n in names:
        setattr(chars, n, timed(saved[n]))
    try:
        best = (float("inf"), 0.0)
        for _ in range(repeat):
            spent[0] = 0.0
            t = time.perf_counter()
            kikan_std.check(path, spec="jutogai_atena")
            total = time.perf_counter() - t
            best = min(best, (total, spent[0]))
    finally:
        for n in names:
            setattr(chars, n, saved[n])
    return best


def block_sizes(path: Path, sizes: list[int], repeat: int) -> None:
    """In-process check time of ``path`` per reader block size (best and median of ``repeat``)."""
    import statistics

    import kikan_std
    from kikan_std.readers import csv_reader

    kikan_std.check(path, spec="jutogai_atena")  # warm: tables load once per process
    times: dict[int, list[float]] = {bs: [] for bs in sizes}
    for _ in range(repeat):
        for bs in sizes:  # interleaved, so drift on a shared machine hits every size alike
            csv_reader.BLOCK_SIZE = bs
            t = time.perf_counter()
            kikan_std.check(path, spec="jutogai_atena")
            times[bs].append(time.perf_counter() - t)
    for bs, ts in times.items():
        print(f"block={bs // 1024:>6,} KiB  best={min(ts):6.3f} s  median={statistics.median(ts):6.3f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--sizes", default="", help="comma-separated sizes for the memory-flatness run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--block-sizes", default="", help="comma-separated reader block sizes in bytes to compare")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] or [args.rows // 4, args.rows]
    if args.block_sizes:
        sizes = sizes[-1:]
    print(f"kikan-std check benchmark — python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), one process")
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            path = Path(d) / f"atena_{n}.csv"
            write_csv(path, iter_jutogai_atena(n, seed=1))
            mb = path.stat().st_size / 1e6
            if args.block_sizes:
                block_sizes(path, [int(b) for b in args.block_sizes.split(",")], args.repeat)
                return
            runs = [run_cli(path) for _ in range(args.repeat)]
            secs = sorted(r[0] for r in runs)
            best, median = secs[0], secs[len(secs) // 2]
            peak = max(r[1] for r in runs)
            print(f"rows={n:>9,}  file={mb:7.1f} MB  end-to-end best={best:5.2f} s ({n / best:>8,.0f} rows/s)  "
                  f"median={median:5.2f} s ({n / median:>8,.0f} rows/s)  peak RSS={peak / 1024:6.1f} MiB")
        path = Path(d) / f"atena_{sizes[-1]}.csv"
        total, in_chars = char_share(path, args.repeat)
        print(f"in-process: {sizes[-1] / total:,.0f} rows/s; time inside the character checks "
              f"{in_chars:.3f} s of {total:.3f} s = {in_chars / total:.0%}")


if __name__ == "__main__":
    main()
