"""The check step of the kikan-std GitHub Action (``action.yml``), kept out of YAML so tests can run it.

Reads the action's inputs from ``INPUT_*`` environment variables (the action passes them explicitly:
composite actions do not set them), runs ``kikan-std check`` once with text, JSON and SARIF (plus any
extra formats), prints the text report to the log, writes a Markdown summary to
``$GITHUB_STEP_SUMMARY`` and the outputs (``valid``, ``errors``, ``findings``, ``report``, ``sarif``,
``exit-code``) to ``$GITHUB_OUTPUT`` (also ``passed``), and exits with kikan-std's exit code (0 conformant, 1 not
conformant, 2 usage or input problem, 3 internal error). Standard library only.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ALWAYS = ("text", "json", "sarif")
SUMMARY_LINES = 200  # the job summary is capped at 1 MiB by GitHub; the full report is in the files


def _input(name: str, default: str = "") -> str:
    return os.environ.get("INPUT_" + name.upper().replace("-", "_").replace(" ", "_"), default).strip()


def _paths(value: str) -> list[str]:
    """One path or glob per line (spaces belong to the path); globs are expanded, sorted."""
    out: list[str] = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        if any(c in line for c in "*?["):
            matches = sorted(glob.glob(line, recursive=True))
            out.extend(matches or [line])  # no match: kikan-std reports the missing file (exit 2)
        else:
            out.append(line)
    return out


def _command() -> list[str]:
    python = os.environ.get("KIKAN_STD_PYTHON", "").strip()
    if python:
        return [python, "-m", "kikan_std"]
    exe = shutil.which("kikan-std")
    return [exe] if exe else [sys.executable, "-m", "kikan_std"]


def _write(env: str, text: str) -> None:
    target = os.environ.get(env)
    if target:
        with open(target, "a", encoding="utf-8") as f:
            f.write(text)


def _md(text: str) -> str:
    """Plain text for a Markdown table cell (masked values are asterisks, not emphasis)."""
    for c in "\\|*_`<>[]":
        text = text.replace(c, "\\" + c)
    return text.replace("\n", " ")


def _summary(report: dict[str, Any] | None, rc: int, stderr: str, text: str, lang: str) -> str:
    ja = lang != "en"
    if report is None:
        head = "入力または設定の誤り" if ja else "usage or input problem"
        if rc == 3:
            head = "内部エラー" if ja else "internal error"
        return f"## kikan-std: {head} (exit {rc})\n\n```\n{stderr.strip()}\n```\n"
    verdict = ("適合" if ja else "conformant") if rc == 0 else ("不適合" if ja else "not conformant")
    stats = report.get("stats", {})
    sev = stats.get("findings_by_severity", {})
    spec = report.get("spec") or {}
    lines = [
        f"## kikan-std: {verdict} {'✅' if rc == 0 else '❌'}",
        "",
        f"- {'仕様' if ja else 'spec'}: `{spec.get('id', '')}` {spec.get('edition', '')} {spec.get('title', '')}".rstrip(),
        f"- {'エラー' if ja else 'errors'}: {sev.get('error', 0)}, {'警告' if ja else 'warnings'}: {sev.get('warning', 0)}, "
        f"{'情報' if ja else 'info'}: {sev.get('info', 0)}",
    ]
    if report.get("rules_not_run"):
        lines.append(f"- {'実行できなかった規則' if ja else 'rules not run'}: {len(report['rules_not_run'])}")
    by_code = stats.get("findings_by_code", {})
    if by_code:
        first: dict[str, str] = {}
        for f in report.get("findings", []):
            first.setdefault(f["code"], f["message"])
        lines += ["", "| コード / code | 件数 / count | 例 / example |", "|---|---:|---|"]
        for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0])):
            msg = _md(first.get(code, ""))
            lines.append(f"| `{code}` | {n} | {msg} |")
    shown = text.splitlines()
    more = len(shown) > SUMMARY_LINES
    lines += ["", "<details><summary>" + ("レポート（テキスト）" if ja else "report (text)") + "</summary>", "", "```"]
    lines += shown[:SUMMARY_LINES]
    if more:
        lines.append(f"… ({len(shown) - SUMMARY_LINES} more lines in report.txt)")
    lines += ["```", "", "</details>", ""]
    return "\n".join(lines)


def main() -> int:
    paths = _paths(_input("paths"))
    if not paths:
        sys.stderr.write("kikan-std action: input 'paths' is empty\n")
        _write("GITHUB_OUTPUT", "valid=false\nexit-code=2\n")
        return 2
    out_dir = Path(_input("output-dir") or "kikan-std-report")
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / "report"
    extra = [f.strip() for f in _input("formats").split(",") if f.strip()]
    formats = list(ALWAYS) + [f for f in extra if f not in ALWAYS]
    lang = _input("lang") or "ja"
    args = [*_command(), "check", *paths]
    for flag, name in (("--spec", "spec"), ("--spec-file", "spec-file"), ("--encoding", "encoding"),
                       ("--baseline", "baseline"), ("--waivers", "waivers"), ("--fail-on", "fail-on")):
        if _input(name):
            args += [flag, _input(name)]
    args += ["--lang", lang, "--no-progress", "--output-format", ",".join(formats), "-o", str(prefix)]
    args += _input("args").split()
    print("+ " + " ".join(args), flush=True)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", errors="replace", env=env)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    rc = proc.returncode
    json_path, sarif_path, text_path = (Path(str(prefix) + s) for s in (".json", ".sarif", ".txt"))
    report: dict[str, Any] | None = None
    text = ""
    if rc in (0, 1) and json_path.is_file():
        report = json.loads(json_path.read_text(encoding="utf-8"))
        text = text_path.read_text(encoding="utf-8") if text_path.is_file() else ""
        sys.stdout.write(text)
    _write("GITHUB_STEP_SUMMARY", _summary(report, rc, proc.stderr, text, lang))
    # valid: the report's verdict (no error, every rule ran); passed: the --fail-on gate (exit code 0).
    outputs = {"exit-code": str(rc), "passed": "true" if rc == 0 else "false",
               "valid": "true" if report is not None and report.get("valid") else "false"}
    if report is not None:
        sev = report.get("stats", {}).get("findings_by_severity", {})
        outputs.update(errors=str(sev.get("error", 0)), findings=str(report.get("stats", {}).get("total_findings", 0)),
                       report=json_path.as_posix(), sarif=sarif_path.as_posix(), dir=out_dir.as_posix())
    _write("GITHUB_OUTPUT", "".join(f"{k}={v}\n" for k, v in outputs.items()))
    return rc


if __name__ == "__main__":
    sys.exit(main())
