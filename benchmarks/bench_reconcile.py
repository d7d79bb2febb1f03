"""Benchmark of kikan-std reconcile: accuracy on generated data, time and peak memory.

Usage::

    python benchmarks/bench_reconcile.py [N] [--accuracy-n 100000] [--jobs 2] [--data DIR] [--workdir DIR]

1. Accuracy: generates ``--accuracy-n`` households (default 100,000) with injected variants and
   prints precision and recall of the predicted application → beneficiary links (matched pairs and
   duplicate applications) against the ground truth, plus the number of false matches.
   The generated set includes namesakes (same name and birth date at another 丁目/番/号), half of them
   without the true household on the list; "paid to the namesake" must be 0.
2. Scale: generates N households (default 1,000,000; ≈ N applications incl. duplicates and
   non-residents vs N beneficiaries), runs ``reconcile`` on the CSV files, and prints wall time,
   CPU time and peak memory (``ru_maxrss`` of the process, measured in a fresh child process so the
   generator's memory is not counted).

Pass ``--accuracy-n 0`` to skip step 1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _links(result_json: dict[str, object]) -> dict[int, int]:
    pred: dict[int, int] = {}
    for m in result_json["matched"]:  # type: ignore[attr-defined]
        pred[m["application"]] = m["beneficiary"]
    for d in result_json["duplicates"]:  # type: ignore[attr-defined]
        for a in d["applications"]:
            pred[a] = d["beneficiary"]
    return pred


def run_once(directory: Path, jobs: int = 1) -> None:
    """Child process: reconcile the files in ``directory`` and print a JSON line of measurements.

    CPU time counts this process and its workers (``--jobs``); ``peak_rss_mib`` is this process's
    peak, ``worker_peak_rss_mib`` the largest worker's (pages shared copy-on-write with this process
    are counted in both, so their sum is an upper bound of the run's memory).
    """
    from kikan_std.reconcile import reconcile

    def cpu() -> float:
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    result = reconcile(directory / "applications.csv", directory / "beneficiaries.csv", jobs=jobs)
    t1, c1 = time.perf_counter(), cpu()
    pred = {m.application: m.beneficiary for m in result.matched}
    for d in result.duplicates:
        for a in d.applications:
            pred[a] = d.beneficiary
    (directory / "pred.json").write_text(json.dumps(pred), encoding="utf-8")
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "wall_s": round(t1 - t0, 1),
                "cpu_s": round(c1 - c0, 1),
                "peak_rss_mib": round(peak_kib / 1024),
                "worker_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
                "jobs": jobs,
                "applications": result.summary.applications,
                "beneficiaries": result.summary.beneficiaries,
                "summary": result.summary.model_dump(),
            },
            ensure_ascii=False,
        )
    )


def measure(n: int, workdir: Path, jobs: int = 1, data: Path | None = None) -> dict[str, object]:
    """Generate n households under workdir (or use ``data``, generated earlier) and reconcile them in a child process."""
    from kikan_std.reconcile.generate import generate_files, read_truth

    d = data or workdir / f"n{n}"
    t0 = time.perf_counter()
    if data is None:
        generate_files(n, d)
    gen_s = time.perf_counter() - t0
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(d), "--jobs", str(jobs)], check=True, capture_output=True, text=True
    ).stdout
    stats: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    stats["generate_s"] = round(gen_s, 1)
    truth = read_truth(d / "truth.csv")
    pred = {int(k): v for k, v in json.loads((d / "pred.json").read_text(encoding="utf-8")).items()}
    tp = sum(1 for a, b in pred.items() if truth[a][0] == b)
    positives = sum(1 for b, _ in truth.values() if b is not None)
    stats["precision"] = round(tp / len(pred), 6) if pred else 1.0
    stats["recall"] = round(tp / positives, 6) if positives else 1.0
    stats["false_matches"] = len(pred) - tp
    stats["true_links"] = positives
    absent = [a for a, (_b, tags) in truth.items() if "true_absent" in tags]
    stats["namesake_true_absent"] = len(absent)
    stats["namesake_paid"] = sum(a in pred for a in absent)
    return stats


def _rate(s: dict[str, object]) -> str:
    """(applications + beneficiaries) per wall-clock second."""
    rows = int(s["applications"]) + int(s["beneficiaries"])  # type: ignore[call-overload]
    wall = float(s["wall_s"]) or 1.0  # type: ignore[arg-type]
    return f"{rows / wall:,.0f}"


def main() -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=1_000_000)
    p.add_argument("--accuracy-n", type=int, default=100_000)
    p.add_argument("--workdir")
    p.add_argument("--child")
    p.add_argument("--jobs", type=int, default=1, help="reconcile(jobs=...) of the scale run")
    p.add_argument("--data", help="directory with files generated earlier for N (skips generation)")
    args = p.parse_args()
    if args.child:
        run_once(Path(args.child), args.jobs)
        return 0
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        if args.accuracy_n:
            s = measure(args.accuracy_n, Path(tmp))
            print(
                f"accuracy  N={args.accuracy_n:,} households: precision={s['precision']} recall={s['recall']}"
                f" false_matches={s['false_matches']} true_links={s['true_links']:,}"
            )
            print(f"          namesake cases without the true household: {s['namesake_true_absent']:,},"
                  f" paid to the namesake: {s['namesake_paid']}")
            print(f"          time={s['wall_s']}s cpu={s['cpu_s']}s peak_rss={s['peak_rss_mib']} MiB rows/s={_rate(s)}")
        if args.n and args.n != args.accuracy_n:
            s = measure(args.n, Path(tmp), args.jobs, Path(args.data) if args.data else None)
            print(
                f"scale     N={args.n:,} households: {s['applications']:,} applications vs"
                f" {s['beneficiaries']:,} beneficiaries"
            )
            print(
                f"          reconcile jobs={s['jobs']} wall={s['wall_s']}s cpu={s['cpu_s']}s peak_rss={s['peak_rss_mib']} MiB"
                f" largest_worker_peak_rss={s['worker_peak_rss_mib']} MiB"
                f" rows/s={_rate(s)} (generate {s['generate_s']}s)"
            )
            print(
                f"          precision={s['precision']} recall={s['recall']}"
                f" false_matches={s['false_matches']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
