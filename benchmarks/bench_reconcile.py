"""Benchmark of kikan-std reconcile: accuracy on generated data, time and peak memory of the command.

Usage::

    python benchmarks/bench_reconcile.py [N] [--accuracy-n 100000] [--jobs 2] [--runs 3]
                                         [--data DIR] [--accuracy-data DIR] [--workdir DIR] [--api]

1. Accuracy: generates ``--accuracy-n`` households (default 100,000; or uses ``--accuracy-data``)
   with injected variants, runs ``kikan-std reconcile`` on them and prints precision and recall of
   the predicted application → beneficiary links (matched pairs and duplicate applications) against
   the ground truth, plus the number of false matches. The generated set includes namesakes (same
   name and birth date at another 丁目/番/号), half of them without the true household on the list;
   "paid to the namesake" must be 0.
2. Scale: generates N households (default 1,000,000; ≈ N applications incl. duplicates and
   non-residents vs N beneficiaries; or uses ``--data``, generated earlier with the same N) and runs
   the command ``kikan-std reconcile APPS LIST -o OUT.json --jobs J`` ``--runs`` times, printing for
   each run and their median: wall time, CPU time (the command and its worker processes), the peak
   resident memory of the largest process (``ru_maxrss``) and the peak of the whole process tree
   (the sum over the command and its workers, sampled from ``/proc`` every 0.2 s: RSS, which counts
   pages shared by the processes once per process, and PSS, which shares them out). Precision and
   recall of the scale run are printed too.

``--api`` measures ``reconcile()`` (the whole result in memory, no output written) instead of the
command. Pass ``--accuracy-n 0`` to skip step 1, ``0`` as N to skip step 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def _links_from_json(path: Path) -> dict[int, int]:
    """application → beneficiary of the matched pairs and the duplicate applications of a JSON report.

    Reads the file line by line (it is written with ``indent=1``), so a report of a million
    applications is not loaded as a whole.
    """
    pred: dict[int, int] = {}
    section = ""
    app: int | None = None
    dup_ben: int | None = None
    in_apps = False
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith(' "'):
                section = line.split('"')[1]
                continue
            s = line.strip().rstrip(",")
            if section == "matched":
                if line.startswith('   "application": '):
                    app = int(s.split(": ")[1])
                elif line.startswith('   "beneficiary": ') and app is not None:
                    pred[app] = int(s.split(": ")[1])
                    app = None
            elif section == "duplicates":
                if line.startswith('   "beneficiary": '):
                    dup_ben = int(s.split(": ")[1])
                elif line.startswith('   "applications": ['):
                    in_apps = True
                elif in_apps and s.startswith("]"):
                    in_apps = False
                elif in_apps and dup_ben is not None and s.isdigit():
                    pred[int(s)] = dup_ben
    return pred


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children", encoding="ascii") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return out


def _rss_pss_kib(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_measured(cmd: list[str]) -> dict[str, float]:
    """Run ``cmd``; wall and CPU time (with its children), its ``ru_maxrss`` and the sampled tree peaks."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = {"rss": 0, "pss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            rss = pss = 0
            for p in _tree(proc.pid):
                r, s = _rss_pss_kib(p)
                rss, pss = rss + r, pss + s
            peak["rss"], peak["pss"] = max(peak["rss"], rss), max(peak["pss"], pss)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _pid, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed ({status}): {' '.join(cmd)}\n{err}")
    return {
        "wall_s": round(wall, 1),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 1),
        "maxrss_mib": round(ru.ru_maxrss / 1024),
        "tree_rss_mib": round(peak["rss"] / 1024),
        "tree_pss_mib": round(peak["pss"] / 1024),
        "stdout": out,  # type: ignore[dict-item]
    }


def api_child(directory: Path, jobs: int) -> None:
    """Child process of ``--api``: ``reconcile()`` in memory; prints the links' file and the summary."""
    from kikan_std.reconcile import reconcile

    result = reconcile(directory / "applications.csv", directory / "beneficiaries.csv", jobs=jobs)
    pred = {m.application: m.beneficiary for m in result.matched}
    for d in result.duplicates:
        for a in d.applications:
            pred[a] = d.beneficiary
    (directory / "pred.json").write_text(json.dumps(pred), encoding="utf-8")
    print(json.dumps(result.summary.model_dump(), ensure_ascii=False))


def measure(directory: Path, jobs: int, api: bool, out_dir: Path) -> dict[str, object]:
    """One run on the files in ``directory``: measurements, summary counts, accuracy."""
    from kikan_std.reconcile.generate import read_truth

    if api:
        stats: dict[str, object] = dict(run_measured(
            [sys.executable, __file__, "--child", str(directory), "--jobs", str(jobs)]))
        summary = json.loads(str(stats.pop("stdout")).strip().splitlines()[-1])
        pred = {int(k): v for k, v in json.loads((directory / "pred.json").read_text(encoding="utf-8")).items()}
    else:
        report = out_dir / "report.json"
        stats = dict(run_measured([sys.executable, "-m", "kikan_std", "reconcile", str(directory / "applications.csv"),
                                   str(directory / "beneficiaries.csv"), "-o", str(report), "--jobs", str(jobs)]))
        stats.pop("stdout")
        pred = _links_from_json(report)
        summary = _summary_from_json(report)
        report.unlink()
    stats["applications"], stats["beneficiaries"] = summary["applications"], summary["beneficiaries"]
    stats.update(accuracy(pred, read_truth(directory / "truth.csv")))
    return stats


def accuracy(pred: dict[int, int], truth: dict[int, tuple[int | None, tuple[str, ...]]]) -> dict[str, float | int]:
    """Accuracy of predicted application → beneficiary links against the generated truth.

    Args:
        pred: application record → beneficiary record (matched pairs and duplicate applications).
        truth: :func:`kikan_std.reconcile.generate.read_truth` of the generated ``truth.csv``.

    Returns:
        ``precision``, ``recall``, ``false_matches``, ``true_links``, ``namesake_true_absent`` (applications
        whose household is left off the list while a namesake is on it) and ``namesake_paid`` (how many of
        those have a link at all: any link pays the wrong household).
    """
    tp = sum(1 for a, b in pred.items() if truth[a][0] == b)
    positives = sum(1 for b, _ in truth.values() if b is not None)
    absent = [a for a, (_b, tags) in truth.items() if "true_absent" in tags]
    return {
        "precision": round(tp / len(pred), 6) if pred else 1.0,
        "recall": round(tp / positives, 6) if positives else 1.0,
        "false_matches": len(pred) - tp,
        "true_links": positives,
        "namesake_true_absent": len(absent),
        "namesake_paid": sum(a in pred for a in absent),
    }


def _summary_from_json(path: Path) -> dict[str, int]:
    """The ``summary`` object of a JSON report (read from the lines after its key)."""
    lines: list[str] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if lines or line.startswith(' "summary": '):
                lines.append(line)
                if line.startswith(" }"):
                    break
    text = "".join(lines).split(": ", 1)[1].rstrip().rstrip(",")
    out: dict[str, int] = json.loads(text)
    return out


def _generate(n: int, directory: Path) -> float:
    from kikan_std.reconcile.generate import generate_files

    t0 = time.perf_counter()
    generate_files(n, directory)
    return round(time.perf_counter() - t0, 1)


def _line(s: dict[str, object]) -> str:
    return (f"wall={s['wall_s']}s cpu={s['cpu_s']}s largest_process_peak_rss={s['maxrss_mib']} MiB"
            f" tree_peak_rss={s['tree_rss_mib']} MiB tree_peak_pss={s['tree_pss_mib']} MiB")


def main() -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=1_000_000)
    p.add_argument("--accuracy-n", type=int, default=100_000)
    p.add_argument("--workdir", help="folder for generated data and reports (default: a temporary one)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--jobs", type=int, default=1, help="--jobs of the command (reconcile(jobs=...) with --api)")
    p.add_argument("--runs", type=int, default=1, help="runs of the scale step (the median is printed too)")
    p.add_argument("--data", help="directory with files generated earlier for N (skips generation)")
    p.add_argument("--accuracy-data", help="directory with files generated earlier for --accuracy-n")
    p.add_argument("--api", action="store_true", help="measure reconcile() in memory instead of the command")
    args = p.parse_args()
    if args.child:
        api_child(Path(args.child), args.jobs)
        return 0
    what = "reconcile() in memory" if args.api else "kikan-std reconcile -o report.json"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start ({what}, jobs={args.jobs})")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        if args.accuracy_n:
            d = Path(args.accuracy_data) if args.accuracy_data else work / f"n{args.accuracy_n}"
            if not args.accuracy_data:
                _generate(args.accuracy_n, d)
            s = measure(d, args.jobs, args.api, work)
            print(
                f"accuracy  N={args.accuracy_n:,} households: precision={s['precision']} recall={s['recall']}"
                f" false_matches={s['false_matches']} true_links={s['true_links']:,}"
            )
            print(f"          namesake cases without the true household: {s['namesake_true_absent']:,},"
                  f" paid to the namesake: {s['namesake_paid']}")
            print(f"          {s['applications']:,} applications vs {s['beneficiaries']:,} beneficiaries: {_line(s)}")
        if args.n and not (args.n == args.accuracy_n and not args.data):
            d = Path(args.data) if args.data else work / f"n{args.n}"
            gen = 0.0 if args.data else _generate(args.n, d)
            runs = []
            for i in range(args.runs):
                s = measure(d, args.jobs, args.api, work)
                runs.append(s)
                print(f"scale     N={args.n:,} run {i + 1}: {_line(s)} (load average {os.getloadavg()[0]:.1f})",
                      flush=True)
            s = runs[-1]
            print(f"scale     N={args.n:,} households: {s['applications']:,} applications vs"
                  f" {s['beneficiaries']:,} beneficiaries" + (f" (generated in {gen}s)" if gen else ""))
            med = {k: statistics.median(float(r[k]) for r in runs)  # type: ignore[arg-type]
                   for k in ("wall_s", "cpu_s", "maxrss_mib", "tree_rss_mib", "tree_pss_mib")}
            print(f"          median of {len(runs)}: {_line(med)}")
            print(f"          precision={s['precision']} recall={s['recall']} false_matches={s['false_matches']}"
                  f" namesake_paid={s['namesake_paid']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
