"""Time and peak memory of `kikan-std check` on a large fixed-width (固定長) file.

Generates a 全銀協 総合振込 file (spec ``zengin_sogo_furikomi``, CP932, 120-byte records) with N data
records (default 1,000,000; synthetic payees), records separated by CR LF and, with
``--back-to-back``, without any line break (``auto`` reads it record by record), and runs
``kikan-std check FILE --spec zengin_sogo_furikomi`` under ``/usr/bin/time -v`` ``--runs`` times.
Prints for each run and their median: wall time, records/s (data records / wall time) and the peak
resident memory of the process (``Maximum resident set size``).

The reader streams the file in blocks (``kikan_std.readers.fixed_reader.BLOCK_SIZE``), so the peak
should not grow with N; run with two sizes to see it. ``--src DIR`` imports kikan_std from another
checkout (e.g. an older commit) to compare before and after on the same file.

Usage: python benchmarks/bench_fixed.py [N] [--runs 3] [--back-to-back] [--src DIR] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from _common import child_env

from kikan_std.jp.zengin import TransferRecord, iter_transfer_file
from kikan_std.testing.zengin import SAMPLE_CONFIG

_CONFIG = SAMPLE_CONFIG
_BATCH = 500_000
_NAMES = ("ワタナベ タロウ", "ｻｲﾄｳ ｷｮｳｺ", "スズキ ハナコ", "タカハシ イチロウ")


def write_file(path: Path, n: int, newline: bool) -> None:
    """A valid transfer file of ``n`` synthetic payees, written record by record.

    合計件数 has 6 digits, so the payees come in batches of at most 500,000, each its own header …
    trailer (1 2… 8), and one end record (9) closes the file.
    """
    def payees(lo: int, hi: int) -> Iterator[TransferRecord]:
        for i in range(lo, hi):
            yield TransferRecord(f"{i % 9000 + 1:04d}", f"{i % 900 + 100:03d}", "1", f"{i % 10_000_000:07d}",
                                 _NAMES[i % len(_NAMES)], 1_000 + i % 50_000, customer_code1=str(i % 10))

    bounds = [*range(0, n, _BATCH), n] if n else [0, 0]
    part = path.with_suffix(".part")  # renamed when complete: an interrupted run leaves no half file to reuse
    with part.open("wb") as out:
        for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            records = list(iter_transfer_file(payees(lo, hi), _CONFIG, newline=newline))
            out.writelines(records if k == len(bounds) - 2 else records[:-1])  # the end record once, last
    part.replace(path)


def run_once(path: Path, src: Path | None) -> tuple[int, float, int]:
    """(exit code, wall seconds, peak RSS KiB) of one ``kikan-std check`` process."""
    # ``python -m`` from the checkout's directory imports its kikan_std first (before an installed one).
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "kikan_std", "check", str(path.resolve()),
           "--spec", "zengin_sogo_furikomi", "--no-progress", "--output-format", "json"]
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=child_env(),
                          text=True, cwd=src)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", proc.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if wall is None or rss is None:
        raise SystemExit(proc.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    return proc.returncode, seconds, int(rss.group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", nargs="?", type=int, default=1_000_000, help="data records (default 1,000,000)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--back-to-back", action="store_true", help="no line breaks between records")
    ap.add_argument("--src", type=Path, help="import kikan_std from this checkout instead")
    ap.add_argument("--workdir", type=Path, help="keep the generated file here (reused when present)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = args.workdir or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"transfer_{args.n}{'_b2b' if args.back_to_back else ''}.txt"
        if not path.exists():
            write_file(path, args.n, newline=not args.back_to_back)
        print(f"file: {args.n:,} data records, {path.stat().st_size / 2**20:,.1f} MiB, "
              f"{'back to back' if args.back_to_back else 'CR LF'}")
        where = subprocess.run([sys.executable, "-c", "import kikan_std; print(kikan_std.__file__)"], cwd=args.src,
                               capture_output=True, text=True, check=True, env=child_env()).stdout.strip()
        print(f"kikan_std: {where}")
        walls, peaks = [], []
        for run in range(1, args.runs + 1):
            code, wall, kib = run_once(path, args.src)
            walls.append(wall)
            peaks.append(kib)
            print(f"run {run}: exit {code}  {wall:7.2f} s  {args.n / wall:10,.0f} records/s  peak RSS {kib / 1024:8.1f} MiB")
        wall, kib = statistics.median(walls), statistics.median(peaks)
        print(f"median: {wall:7.2f} s  {args.n / wall:10,.0f} records/s  peak RSS {kib / 1024:8.1f} MiB")


if __name__ == "__main__":
    main()
