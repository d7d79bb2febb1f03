"""Peak memory of `kikan-std check` on the same data with LF, CR-only and CRLF line ends.

Memory must be bounded by the reader's block size whatever the line ends: before the fix a CR-only
file was held whole (550 MB of memory for 56 MB of data). Prints each file's size and the checking
process's peak RSS, and the CR-only / LF ratio (the release check wants it within 1.2).

Usage: python benchmarks/bench_line_ends.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import child_env

from kikan_std.testing.generate import csv_text, iter_jutogai_atena

_CHILD = """
import resource, sys
from kikan_std.cli import main
code = main(["check", sys.argv[1], "--spec", "jutogai_atena", "--no-progress", "--output-format", "json"])
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
"""


def peak_rss_kib(path: Path) -> tuple[int, int]:
    """(exit code, peak RSS KiB) of one checking process."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(path)], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False, env=child_env())
    last = proc.stderr.decode().strip().splitlines()[-1].split()
    return int(last[0]), int(last[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    args = ap.parse_args()
    text = csv_text(iter_jutogai_atena(args.rows, 7))  # CRLF, as the generator writes
    lf_text = text.replace("\r\n", "\n")
    with tempfile.TemporaryDirectory() as d:
        peaks: dict[str, int] = {}
        for name, eol in (("CR", "\r"), ("LF", "\n"), ("CRLF", "\r\n")):
            p = Path(d) / f"{name}.csv"
            p.write_text(lf_text.replace("\n", eol), encoding="utf-8", newline="")
            code, kib = peak_rss_kib(p)
            peaks[name] = kib
            print(f"{name:>4}: {p.stat().st_size / 1e6:8.1f} MB  exit {code}  peak RSS {kib / 1024:8.1f} MiB")
        print(f"CR-only / LF peak RSS: {peaks['CR'] / peaks['LF']:.2f}")


if __name__ == "__main__":
    main()
