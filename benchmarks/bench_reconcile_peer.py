"""kikan-std reconcile against the Python Record Linkage Toolkit (``recordlinkage``) on the same data.

Usage (``make bench-reconcile-peer`` installs the peer and runs this)::

    python benchmarks/bench_reconcile_peer.py [N] [--runs 3] [--data DIR] [--peer-python PY]
                                              [--threshold 0.85] [--peer-timeout 1800]

Generates N households (default 100,000; or uses ``--data``, made by ``kikan-std generate-reconcile N DIR``):
``applications.csv``, ``beneficiaries.csv`` and the ground truth ``truth.csv``. Then, ``--runs`` interleaved
rounds of:

* ``kikan-std reconcile APPS LIST -o report.json`` with ``--jobs 1`` and ``--jobs 2`` (the whole command);
* the peer pipeline below, in its own process (the interpreter ``--peer-python``: recordlinkage 0.16 needs
  pandas < 3, so it lives in its own virtual environment), with ``Compare(n_jobs=1)`` and ``n_jobs=2``.

Both are timed as whole processes (imports included) with the measurement of ``bench_reconcile.py``
(wall, CPU with the workers, peak RSS of the largest process and of the process tree); the peer also reports
the seconds inside its linkage (indexing, comparison, classification, one-to-one choice; reading and
normalising the CSV files excluded). Accuracy is computed by ``bench_reconcile.accuracy`` against the truth:
precision and recall of the application → beneficiary links, false matches, and "paid to a namesake"
(applications whose household is not on the list while a household with the same name and birth date at
another 丁目/番/号 is — any link made for them pays the wrong household).

The peer pipeline, as a competent user of the toolkit would write it for this task without training data:

1. ``pandas.read_csv`` both files (all columns as strings).
2. Normalisation: Unicode NFKC (full-width → half-width) and ``recordlinkage.preprocessing.clean`` with
   whitespace removal only (its default pattern deletes every non-ASCII character, i.e. all Japanese text,
   and lower-cases); birth dates parsed by ``pandas.to_datetime(format="mixed")`` (Western notations; a
   date it cannot parse, such as 和暦, is kept as its NFKC text).
3. Blocking: the same three keys as kikan-std (``kikan_std/reconcile/match.py``) — birth date + address
   block, birth date + name, name + address block, where the address block is the last two characters of
   the address before its first digit — computed on the peer's normalised values (``Index.block`` thrice,
   the candidate pairs united). Unlike kikan-std, no block is left out for being large.
4. Comparison: Jaro-Winkler on name and address, exact on birth date (``Compare.string``/``exact``).
5. Classification: a fixed-weight score (name 0.4, birth date 0.3, address 0.3) and a threshold
   (``--threshold``, default 0.85, chosen before looking at the results); there is no training data, so the
   toolkit's trainable classifiers are not used. Each application is linked to its best-scoring candidate
   at or above the threshold (one beneficiary per application; several applications may link to one
   household, as duplicate applications do).

The accuracy the peer would reach with the threshold chosen on the truth itself (an oracle no real user has)
is printed too, from the same run, and (unless ``--no-normalised``) one more peer run on copies of the files
whose name, address and birth date kikan-std has normalised beforehand (not timed): it separates what the
normalisation contributes from what the decision rule does (e.g. paying a namesake at the next 番地).

``Compare(n_jobs=2)`` runs the comparison in joblib worker processes, each with a copy of the data, so its
memory is the sum over those processes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_reconcile import accuracy, measure, run_measured

W_NAME, W_DOB, W_ADDR = 0.4, 0.3, 0.3
DEFAULT_THRESHOLD = 0.85


def peer_child(directory: Path, out: Path, n_jobs: int) -> None:
    """The recordlinkage pipeline (see the module docstring); prints its timings as JSON.

    Writes ``out``: for each application, its best candidate and score (JSON ``{app: [ben, score]}``).
    """
    t_start = time.perf_counter()
    import pandas as pd
    import recordlinkage as rl
    from recordlinkage.preprocessing import clean

    t_read = time.perf_counter()
    cols = ["世帯主氏名", "住所", "生年月日"]
    frames = []
    for name in ("applications.csv", "beneficiaries.csv"):
        df = pd.read_csv(directory / name, dtype=str, keep_default_na=False, usecols=cols, encoding="utf-8")
        df.index = pd.RangeIndex(1, len(df) + 1)  # 1-based data record numbers, as in the truth
        frames.append(df)

    def prepare(df: Any) -> Any:
        out_df = pd.DataFrame(index=df.index)
        for src, dst in (("世帯主氏名", "name"), ("住所", "address")):
            out_df[dst] = clean(df[src].str.normalize("NFKC"), lowercase=False, replace_by_none=r"\s+",
                                replace_by_whitespace=None, remove_brackets=False)
        dob = df["生年月日"].str.normalize("NFKC").str.strip()
        parsed = pd.to_datetime(dob, format="mixed", errors="coerce")
        out_df["dob"] = parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), dob)
        # kikan-std's address block: the last two characters before the first digit.
        out_df["block"] = out_df["address"].str.extract(r"^([^0-9]*)", expand=False).str[-2:]
        return out_df

    t_norm = time.perf_counter()
    apps, bens = (prepare(df) for df in frames)
    t_link = time.perf_counter()
    indexer = rl.Index()
    indexer.block(left_on=["dob", "block"], right_on=["dob", "block"])
    indexer.block(left_on=["dob", "name"], right_on=["dob", "name"])
    indexer.block(left_on=["name", "block"], right_on=["name", "block"])
    pairs = indexer.index(apps, bens)
    t_cmp = time.perf_counter()
    comp = rl.Compare(n_jobs=n_jobs)
    comp.string("name", "name", method="jarowinkler", label="name")
    comp.string("address", "address", method="jarowinkler", label="address")
    comp.exact("dob", "dob", label="dob")
    features = comp.compute(pairs, apps, bens)
    t_cls = time.perf_counter()
    score = W_NAME * features["name"] + W_DOB * features["dob"] + W_ADDR * features["address"]
    best = score.groupby(level=0).idxmax()  # (application, beneficiary) of each application's best score
    best_score = score.loc[best.to_list()]
    t_end = time.perf_counter()
    out.write_text(json.dumps({int(a): [int(b), round(float(s), 6)] for (a, b), s in best_score.items()}),
                   encoding="utf-8")
    print(json.dumps({
        "import_s": round(t_read - t_start, 2), "read_s": round(t_norm - t_read, 2),
        "normalise_s": round(t_link - t_norm, 2), "index_s": round(t_cmp - t_link, 2),
        "compare_s": round(t_cls - t_cmp, 2), "classify_s": round(t_end - t_cls, 2),
        "linkage_s": round(t_end - t_link, 2), "pairs": len(pairs),
        "applications": len(apps), "beneficiaries": len(bens),
    }))


def links_at(best: dict[int, tuple[int, float]], threshold: float) -> dict[int, int]:
    """The peer's links: each application's best candidate when its score reaches ``threshold``."""
    return {a: b for a, (b, s) in best.items() if s >= threshold - 1e-9}


def measure_peer(directory: Path, work: Path, python: str, n_jobs: int, timeout: float) -> dict[str, Any]:
    """One run of the peer in its own process: measurements, its own timings, best candidates."""
    out = work / "peer-best.json"
    cmd = [python, __file__, "--peer-child", str(directory), "--peer-out", str(out), "--peer-jobs", str(n_jobs)]
    if timeout:
        cmd = ["timeout", str(int(timeout)), *cmd]
    stats: dict[str, Any] = dict(run_measured(cmd))
    inner = json.loads(str(stats.pop("stdout")).strip().splitlines()[-1])
    stats.update(inner)
    stats["best"] = {int(a): (int(b), float(s)) for a, (b, s) in json.loads(out.read_text(encoding="utf-8")).items()}
    out.unlink()
    return stats


def write_normalised(directory: Path, out: Path) -> float:
    """Copies of the two input files with name, address and birth date as kikan-std normalises them.

    For the second peer configuration: recordlinkage's linkage on kikan-std's normalisation, which
    separates what the normalisation contributes from what the decision rule does. Returns the seconds taken.
    """
    from kikan_std.reconcile.match import make_household

    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    cols = ("世帯主氏名", "住所", "生年月日")
    for name in ("applications.csv", "beneficiaries.csv"):
        with (directory / name).open(encoding="utf-8", newline="") as f, \
                (out / name).open("w", encoding="utf-8", newline="") as g:
            w = csv.writer(g)
            w.writerow(cols)
            for i, row in enumerate(csv.DictReader(f), start=1):
                h = make_household(i, row["世帯主氏名"], row["住所"], row["生年月日"], [])
                w.writerow((h.head, h.address, h.dob))
    return time.perf_counter() - t0


def _peak(s: dict[str, Any]) -> float:
    """Peak RSS in MiB: the larger of the largest process's and the sampled whole tree's."""
    return float(max(s["maxrss_mib"], s["tree_rss_mib"]))


def _med(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(float(r[key]) for r in runs))


def _acc_line(a: dict[str, Any]) -> str:
    return (f"precision={a['precision']} recall={a['recall']} false_matches={a['false_matches']:,}"
            f" paid_to_namesake={a['namesake_paid']:,} of {a['namesake_true_absent']:,}")


def main() -> int:
    """Entry point."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("n", nargs="?", type=int, default=100_000, help="households (default 100,000)")
    p.add_argument("--runs", type=int, default=3, help="interleaved rounds (medians are printed)")
    p.add_argument("--data", help="directory generated earlier for N (skips generation)")
    p.add_argument("--workdir", help="folder for generated data and reports (default: a temporary one)")
    p.add_argument("--peer-python", default=".venv-bench-peer/bin/python",
                   help="interpreter with recordlinkage installed (make bench-reconcile-peer makes it)")
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="the peer's score threshold")
    p.add_argument("--jobs", default="1,2", help="kikan-std --jobs and the peer's Compare(n_jobs) values")
    p.add_argument("--peer-timeout", type=float, default=0, help="seconds before a peer run is stopped (0: none)")
    p.add_argument("--no-normalised", action="store_true",
                   help="skip the second peer configuration (recordlinkage on kikan-std's normalised values)")
    p.add_argument("--peer-child", help=argparse.SUPPRESS)
    p.add_argument("--peer-out", help=argparse.SUPPRESS)
    p.add_argument("--peer-jobs", type=int, default=1, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.peer_child:
        peer_child(Path(args.peer_child), Path(args.peer_out), args.peer_jobs)
        return 0

    from kikan_std.reconcile.generate import generate_files, read_truth

    version = subprocess.run([args.peer_python, "-c", "import recordlinkage, pandas;"
                              "print(recordlinkage.__version__, pandas.__version__)"],
                             capture_output=True, text=True, check=True).stdout.split()
    jobs = [int(j) for j in args.jobs.split(",")]
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start;"
          f" peer: recordlinkage {version[0]} (pandas {version[1]})")
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        work = Path(tmp)
        d = Path(args.data) if args.data else work / f"n{args.n}"
        if not args.data:
            generate_files(args.n, d)
        truth = read_truth(d / "truth.csv")
        kikan: dict[int, list[dict[str, Any]]] = {j: [] for j in jobs}
        peer: dict[int, list[dict[str, Any]]] = {j: [] for j in jobs}
        for i in range(args.runs):
            for j in jobs:
                s = measure(d, j, False, work)
                kikan[j].append(s)
                print(f"run {i + 1} kikan-std --jobs {j}: wall={s['wall_s']}s cpu={s['cpu_s']}s"
                      f" peak_rss={_peak(s):.0f} MiB", flush=True)
                try:
                    t = measure_peer(d, work, args.peer_python, j, args.peer_timeout)
                except SystemExit as e:  # run_measured's report of a failed (or timed-out) command
                    print(f"run {i + 1} recordlinkage n_jobs={j}: did not finish: {str(e)[:300]}", flush=True)
                    continue
                peer[j].append(t)
                print(f"run {i + 1} recordlinkage n_jobs={j}: wall={t['wall_s']}s cpu={t['cpu_s']}s"
                      f" peak_rss={_peak(t):.0f} MiB linkage={t['linkage_s']}s pairs={t['pairs']:,}"
                      f" (import {t['import_s']}s, read {t['read_s']}s, normalise {t['normalise_s']}s,"
                      f" index {t['index_s']}s, compare {t['compare_s']}s, classify {t['classify_s']}s)", flush=True)
        k0 = kikan[jobs[0]][-1]
        apps = int(k0["applications"])
        print(f"\nN={args.n:,} households: {apps:,} applications vs {k0['beneficiaries']:,} beneficiaries;"
              f" medians of {args.runs} interleaved runs; ratios are kikan-std / recordlinkage")
        for j in jobs:
            ks, ps = kikan[j], peer[j]
            kw, kc, km = _med(ks, "wall_s"), _med(ks, "cpu_s"), statistics.median(_peak(s) for s in ks)
            print(f"  kikan-std reconcile --jobs {j}: wall {kw:.1f} s, CPU {kc:.1f} s, peak RSS {km:.0f} MiB,"
                  f" {apps / kw:,.0f} applications/s; {_acc_line(ks[-1])}")
            if not ps:
                print(f"  recordlinkage n_jobs={j}: no run finished")
                continue
            pw, pc, pm = _med(ps, "wall_s"), _med(ps, "cpu_s"), statistics.median(_peak(s) for s in ps)
            pl = _med(ps, "linkage_s")
            acc = accuracy(links_at(ps[-1]["best"], args.threshold), truth)
            print(f"  recordlinkage Compare(n_jobs={j}): wall {pw:.1f} s (linkage alone {pl:.1f} s), CPU {pc:.1f} s,"
                  f" peak RSS {pm:.0f} MiB, {apps / pw:,.0f} applications/s ({apps / pl:,.0f} in the linkage);"
                  f" threshold {args.threshold}: {_acc_line(acc)}")
            print(f"  ratio kikan-std / recordlinkage: wall {kw / pw:.2f}, CPU {kc / pc:.2f}, peak RSS {km / pm:.2f}"
                  f" (kikan-std wall / peer linkage alone {kw / pl:.2f})")
        best = next((ps[-1]["best"] for ps in peer.values() if ps), None)
        if best is not None:
            grid = [round(0.50 + 0.01 * k, 2) for k in range(51)]
            scored = [(t, accuracy(links_at(best, t), truth)) for t in grid]
            t_best, a_best = max(scored, key=lambda x: (2 * x[1]["precision"] * x[1]["recall"]
                                                        / (x[1]["precision"] + x[1]["recall"] or 1)))
            print(f"  recordlinkage with the threshold chosen on the truth (oracle, best F1 over 0.50-1.00):"
                  f" {t_best}: {_acc_line(a_best)}")
            for t in (0.80, 0.90, 0.95, 1.0):
                print(f"    threshold {t}: {_acc_line(accuracy(links_at(best, t), truth))}")
        if not args.no_normalised:
            secs = write_normalised(d, work / "normalised")
            t = measure_peer(work / "normalised", work, args.peer_python, 1, args.peer_timeout)
            print(f"  recordlinkage on kikan-std's normalised name, address and birth date (normalised by kikan-std"
                  f" beforehand in {secs:.1f} s, not counted), n_jobs=1, one run: wall {t['wall_s']} s (linkage alone"
                  f" {t['linkage_s']} s), CPU {t['cpu_s']} s, peak RSS {_peak(t):.0f} MiB, pairs {t['pairs']:,}")
            for th in (args.threshold, 0.95, 1.0):
                print(f"    threshold {th}: {_acc_line(accuracy(links_at(t['best'], th), truth))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
