"""Before/after check for refactors: the JSON report of every conformance case and of the demo runs, made by
the CLI at two revisions, must be identical once the time stamps are normalised.

Usage: ``python tools/compare_reports.py OLD_REV [NEW_REV]`` (NEW_REV defaults to the working tree). Each revision
is checked out with ``git worktree`` into a temporary folder and run with that folder first on ``PYTHONPATH``.
Prints one line per input that differs (with the first differing JSON path) and a summary; exit 1 if any differ.
``--ignore KEY`` (repeatable) drops a top-level report key from both sides, for fields a change adds on purpose.
``--deliverable-findings`` compares a whole deliverable's report by its verdict, counts and the findings as a set
(code, file, record, item, value, fingerprint), for a change that adds deliverable fields or reorders findings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _runs() -> list[tuple[str, list[str]]]:
    """(name, CLI arguments) of every conformance case and the demo runs, paths relative to the checkout."""
    runs: list[tuple[str, list[str]]] = []
    for cases_file in sorted((ROOT / "conformance").glob("*/cases.json")):
        folder = cases_file.parent.relative_to(ROOT)
        for case in json.loads(cases_file.read_text(encoding="utf-8"))["cases"]:
            args = ["check", str(folder / case["file"]), "--encoding", case["encoding"], "--max-findings", "0"]
            args += [] if case["spec"] == "deliverable" else ["--spec", case["spec"]]
            for key, opt in (("input_format", "--input-format"), ("bom", "--bom")):
                if key in case:
                    args += [opt, case[key]]
            for key, opt in (("layout", "--layout"), ("gj_table", "--gj-table")):
                if key in case:
                    args += [opt, str(folder / case[key])]
            runs.append((f"{folder.name}/{case['file']}", args))
    runs.append(("demo/jutogai_atena_sample", ["check", "examples/jutogai_atena_sample.csv", "--spec", "jutogai_atena"]))
    return runs


def _normalise(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _normalise(v) for k, v in doc.items() if k not in ("generated_at", "elapsed_seconds")}
    if isinstance(doc, list):
        return [_normalise(v) for v in doc]
    return doc


def _first_difference(a: Any, b: Any, path: str = "") -> str:
    if type(a) is not type(b):
        return path or "/"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return _first_difference(a.get(k), b.get(k), f"{path}/{k}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, f"{path}/{i}")
    return path or "/"


def _deliverable_view(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "file", "record", "item", "value", "fingerprint")
    findings = sorted(json.dumps([f.get(k) for k in keys], ensure_ascii=False) for f in doc.get("findings", []))
    stats = doc.get("stats", {})
    return {"valid": doc.get("valid"), "findings": findings, "by_code": stats.get("findings_by_code"),
            "total": stats.get("total_findings"), "records": stats.get("records")}


def _reports(tree: Path, runs: list[tuple[str, list[str]]], extra: list[tuple[str, list[str]]]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(tree), "KIKAN_STD_LANG": "ja"}
    env.pop("KIKAN_STD_MASK_KEY", None)
    out: dict[str, Any] = {}
    for name, args in [*runs, *extra]:
        p = subprocess.run([sys.executable, "-m", "kikan_std", *args, "--output-format", "json", "--no-progress"],
                           cwd=tree, env=env, capture_output=True, text=True, check=False)
        try:
            out[name] = (p.returncode, _normalise(json.loads(p.stdout)))
        except json.JSONDecodeError:
            out[name] = (p.returncode, p.stdout[-300:] + p.stderr[-300:])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new", nargs="?")
    ap.add_argument("--ignore", action="append", default=[], help="a top-level report key to leave out")
    ap.add_argument("--deliverable-findings", action="store_true",
                    help="compare deliverable reports by verdict, counts and the set of findings")
    a = ap.parse_args(argv)
    runs = _runs()
    with tempfile.TemporaryDirectory() as tmp:
        trees = []
        for i, rev in enumerate((a.old, a.new)):
            if rev is None:
                trees.append(ROOT)
                continue
            tree = Path(tmp) / f"rev{i}"
            subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), rev], cwd=ROOT, check=True)
            trees.append(tree)
        # The demo's generated files, made once by the new tree and read by both.
        gen = Path(tmp) / "gen"
        gen.mkdir()
        env = {**os.environ, "PYTHONPATH": str(trees[1])}
        for args in (["generate", "--spec", "jumin_kiroku", "--rows", "2000", "--seed", "1", "-o", str(gen / "jumin.csv")],
                     ["generate", "--spec", "deliverable", "--rows", "400", "--seed", "7", "-o", str(gen / "clean")],
                     ["generate", "--spec", "deliverable", "--rows", "400", "--seed", "7", "--defects", "-o",
                      str(gen / "defects")]):
            subprocess.run([sys.executable, "-m", "kikan_std", *args], cwd=trees[1], env=env, capture_output=True,
                           check=True)
        extra = [("demo/jumin_kiroku", ["check", str(gen / "jumin.csv"), "--spec", "jumin_kiroku"]),
                 ("demo/deliverable-clean", ["check", str(gen / "clean")]),
                 ("demo/deliverable-defects", ["check", str(gen / "defects")])]
        try:
            old, new = (_reports(t, runs, extra) for t in trees)
        finally:
            for t in trees:
                if t != ROOT:
                    subprocess.run(["git", "worktree", "remove", "--force", str(t)], cwd=ROOT, check=False)
    differ = 0
    for name in old:
        (rc_a, a_doc), (rc_b, b_doc) = old[name], new[name]
        if isinstance(a_doc, dict) and isinstance(b_doc, dict):
            for k in a.ignore:
                a_doc.pop(k, None)
                b_doc.pop(k, None)
            if a.deliverable_findings and a_doc.get("spec", {}).get("id") == "deliverable":
                a_doc, b_doc = _deliverable_view(a_doc), _deliverable_view(b_doc)
        if rc_a != rc_b or a_doc != b_doc:
            differ += 1
            where = _first_difference(a_doc, b_doc) if rc_a == rc_b else f"exit {rc_a} vs {rc_b}"
            print(f"DIFFERS {name}: {where}")
    print(f"{len(old)} inputs, {len(old) - differ} identical, {differ} different")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
