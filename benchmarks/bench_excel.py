"""Benchmark the cost of the Excel hints: a 住登外者宛名 file as Excel saves it, checked with and without them.

The file is generated valid data with every cell rewritten as Excel's General format writes it back
(leading zeros lost, 12 digits or more in exponent notation, 2024/4/1 dates, 9:05:00 times): nearly
every record has several findings, the worst case for the hints (computed only for values with a
finding, once per distinct value). "without" replaces the hint diagnosis by a no-op in the same
process. Prints the best and median of the repeats for both, the findings per second, and the time
spent inside the hint diagnosis itself (timed call by call in one extra run). The runs alternate
(with, without, with, …) so that load from other jobs on the machine hits both alike.

Usage: python benchmarks/bench_excel.py [--rows 50000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import kikan_std
from kikan_std.model.fields import FieldChecker
from kikan_std.testing.excel import excel_cell
from kikan_std.testing.generate import csv_text, iter_jutogai_atena


def timed(path: Path, repeat: int) -> tuple[list[float], int, int]:
    """(seconds per run, findings, stored findings with a hint) of in-process checks (library default
    caps: every finding is found and counted, 1000 per code are stored and rendered)."""
    times = []
    report = None
    for _ in range(repeat):
        t = time.perf_counter()
        report = kikan_std.check(path, spec="jutogai_atena")
        times.append(time.perf_counter() - t)
    assert report is not None
    return times, report.stats.total_findings, sum(1 for f in report.findings if f.hint)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"Excel hints benchmark — python {sys.version.split()[0]}, {args.rows:,} rows, {args.repeat} repeats")
    with tempfile.TemporaryDirectory() as d:
        it = iter_jutogai_atena(args.rows, 1)
        header = next(it)
        path = Path(d) / "excel.csv"
        path.write_text(csv_text(iter([header, *([excel_cell(c) for c in r] for r in it)])), encoding="utf-8")
        kikan_std.check(path, spec="jutogai_atena")  # warm: tables load once per process
        original = FieldChecker.excel_hint
        with_hints: list[float] = []
        without: list[float] = []
        for _ in range(args.repeat):
            ts, n, hinted = timed(path, 1)
            with_hints += ts
            FieldChecker.excel_hint = lambda self, value: None  # type: ignore[method-assign]
            try:
                ts, n2, hinted2 = timed(path, 1)
                without += ts
            finally:
                FieldChecker.excel_hint = original  # type: ignore[method-assign]
        # The time inside the hint diagnosis itself, timed call by call in one more run: a steadier figure
        # than the difference of two noisy totals on a shared machine.
        spent = [0.0]

        def timed_hint(self: FieldChecker, value: str) -> str | None:
            t = time.perf_counter()
            try:
                return original(self, value)
            finally:
                spent[0] += time.perf_counter() - t

        FieldChecker.excel_hint = timed_hint  # type: ignore[method-assign]
        try:
            total = timed(path, 1)[0][0]
        finally:
            FieldChecker.excel_hint = original  # type: ignore[method-assign]
    assert n == n2 and hinted2 == 0
    for label, ts in (("with hints", with_hints), ("without", without)):
        med = statistics.median(ts)
        print(f"{label:<11} best={min(ts):6.3f} s  median={med:6.3f} s  ({n / med:,.0f} findings/s)")
    print(f"findings={n:,}  stored with a hint={hinted:,}  "
          f"difference of the medians={statistics.median(with_hints) - statistics.median(without):+.3f} s")
    print(f"time inside the hint diagnosis: {spent[0]:.3f} s of a {total:.3f} s run ({spent[0] / total:.1%})")


if __name__ == "__main__":
    main()
