"""``kikan-std check``: parse the options, call the library, print the report (files, folders and zips)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kikan_std.cli.exits import args_lang
from kikan_std.errors import OutputError, UsageError
from kikan_std.writers import report_targets, write_reports

if TYPE_CHECKING:
    from kikan_std.model.spec import Spec
    from kikan_std.report.model import Report

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class Progress:
    """Records read so far, on stderr, at most a few times a second; only on a terminal."""

    def __init__(self, stream: TextIO, lang: str) -> None:
        self.stream = stream
        self.last = 0.0
        self.shown = False
        self.label = "読込中" if lang == "ja" else "reading"

    def __call__(self, file: str, records: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r{self.label} {file}: {records:,}")
        self.stream.flush()

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def ensure_not_input(output: str | Path | None, inputs: Sequence[str]) -> None:
    """Refuse to write a report over one of the user's inputs."""
    if output is None or not Path(output).exists():
        return
    target = Path(output).resolve()
    for p in inputs:
        if Path(p).resolve() == target:
            raise UsageError(f"出力先が入力ファイルと同じです（上書きしません）/ output is an input file: {output}")


def run_kwargs(args: argparse.Namespace, lang: str) -> dict[str, object]:
    """The library's keyword arguments from the parsed command line (the CLI's own notation undone:
    ``0`` = no cap; ``--max-findings-total`` defaults to 20000 here, unlike the library)."""
    if args.max_findings < 0 or args.max_findings_total < 0:
        raise UsageError("--max-findings / --max-findings-total は 0 以上 / must be >= 0")
    return {
        "encoding": args.encoding,
        "bom": args.bom,
        "gj_table": args.gj_table,
        "lang": lang,
        "show_values": args.show_values,
        "max_findings": args.max_findings or None,
        "max_findings_total": args.max_findings_total or None,
        "baseline": args.baseline,
        "waivers": args.waivers,
        "fail_on": args.fail_on,
        "mask_key": args.mask_key,
        "jobs": args.jobs,
        "rule_options": parse_rule_options(args.rule_option),
    }


def output_of(args: argparse.Namespace) -> str | None:
    """``-o``: ``-`` means standard output (as no ``-o``); several formats need a real prefix."""
    if args.output == "-":
        if "," in args.output_format.strip(","):
            raise UsageError(ja="複数の出力形式では -o - は使えません（-o PREFIX を指定）",
                             en="-o - cannot take several output formats (give -o PREFIX)")
        return None
    return str(args.output) if args.output is not None else None


def summary_line(report: Report, lang: str, targets: list[tuple[str, Path | None]]) -> str:
    """One line for stderr when the report went to files: verdict, counts, basis and where it went."""
    sev = report.stats.findings_by_severity
    where = ", ".join(str(p) for _, p in targets if p is not None)
    if lang == "en":
        verdict = "CONFORMANT" if report.valid else "NOT CONFORMANT"
        return (f"kikan-std: {verdict} — {sev.get('error', 0):,} errors / {sev.get('warning', 0):,} warnings "
                f"(checked against {report.checked_against}) → {where}\n")
    verdict = "適合" if report.valid else "不適合"
    return (f"kikan-std: {verdict} — エラー {sev.get('error', 0):,} 件 / 警告 {sev.get('warning', 0):,} 件"
            f"（判定の基準: {report.checked_against}）→ {where}\n")


def finish(report: Report, args: argparse.Namespace, lang: str, stdout: TextIO, stderr: TextIO) -> int:
    """Write the report where asked; with every format going to files, a one-line summary on stderr."""
    warn_capped_baseline(report, stderr)
    targets = write_reports(report, args.output_format, output_of(args), lang=lang, stdout=stdout)  # type: ignore[arg-type]
    if all(p is not None for _, p in targets):
        stderr.write(summary_line(report, lang, targets))
    return EXIT_INVALID if report.failed else EXIT_OK


def warn_capped_baseline(report: Report, stderr: TextIO) -> None:
    if report.baseline is not None and report.baseline.baseline_capped:
        stderr.write(
            "kikan-std: 注意: ベースラインは保存件数の上限で打ち切られています。"
            "上限を超えた指摘は新規と判定されます"
            "（ベースラインは --max-findings 0 --max-findings-total 0 で作成してください）"
            " / warning: the baseline is "
            "capped; findings beyond its cap count as new\n"
        )


def prepare_outputs(args: argparse.Namespace, stderr: TextIO, lang: str) -> Progress | None:
    """Before a run: refuse outputs that would overwrite an input or the baseline; the progress line, if any."""
    outputs = report_targets(args.output_format, output_of(args))
    for _, path in outputs:
        ensure_not_input(path, args.paths)
    if args.baseline is not None:
        ensure_not_output(args.baseline, outputs)
    return Progress(stderr, lang) if not args.no_progress and stderr.isatty() else None


def cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.api import check

    lang = args_lang(args)
    if args.spec is None and args.spec_file is None:
        return cmd_check_deliverable(args, stdout, stderr)
    given: list[Spec | str] = [load_spec_file(p) for p in args.spec_file or ()] + list(args.spec or ())
    if len(given) > 1:
        return cmd_check_editions(args, given, stdout, lang)
    spec = given[0]
    kwargs = run_kwargs(args, lang)
    progress = prepare_outputs(args, stderr, lang)
    try:
        report = check(args.paths, spec, group=args.group, input_format=args.input_format, layout=args.layout,
                       progress=progress, **kwargs)  # type: ignore[arg-type]
    finally:
        if progress is not None:
            progress.done()
    return finish(report, args, lang, stdout, stderr)


def cmd_check_editions(args: argparse.Namespace, specs: list[Spec | str], stdout: TextIO, lang: str) -> int:
    """``check PATH --spec A --spec B``: one check per edition; per file the editions it conforms to.

    Exit 0 when every file conforms to at least one edition, else 1. Output: text, or json (the
    comparison with every edition's full report).
    """
    from kikan_std.api import check_editions
    from kikan_std.report.editions import comparison_to_json, comparison_to_text

    if args.output_format not in ("text", "json"):
        raise UsageError(ja="複数の版の検査の出力形式は text か json です",
                         en="several editions: --output-format must be text or json")
    if args.baseline is not None or args.fail_on != "error":
        raise UsageError(ja="複数の版の検査では --baseline / --fail-on new は使えません",
                         en="several editions: --baseline / --fail-on new are not supported")
    if args.output is not None:
        ensure_not_input(args.output, args.paths)
    kwargs = run_kwargs(args, lang)
    result = check_editions(args.paths, specs, group=args.group, input_format=args.input_format,
                            layout=args.layout, **kwargs)
    text = comparison_to_json(result) if args.output_format == "json" else comparison_to_text(result)
    if args.output is None:
        stdout.write(text)
    else:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise OutputError(path=args.output, reason=e.strerror or type(e).__name__) from None
    return EXIT_OK if result.valid else EXIT_INVALID


def ensure_not_output(path: str, outputs: list[tuple[str, Path | None]]) -> None:
    """The baseline is read before the report is written: refuse to overwrite it with the new one."""
    target = Path(path).resolve()
    for _, out in outputs:
        if out is not None and Path(out).resolve() == target:
            raise UsageError(f"出力先がベースラインと同じです（上書きしません）/ output is the baseline: {path}")


def load_spec_file(path: str) -> Spec:
    """A spec from ``--spec-file`` (workbook or JSON); the library raises SpecError types (exit 2)."""
    from kikan_std.specs import load_spec_file

    return load_spec_file(path)


def parse_rule_options(given: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for opt in given:
        name, sep, value = opt.partition("=")
        if not sep or not name:
            raise UsageError(f"--rule-option は NAME=VALUE の形で指定してください / expected NAME=VALUE: {opt}")
        out[name.strip()] = value.strip()
    return out


def cmd_check_deliverable(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``check PATH`` without ``--spec``: PATH is a whole deliverable (folder or zip)."""
    from kikan_std.api import check_deliverable

    lang = args_lang(args)
    if len(args.paths) != 1 or not (Path(args.paths[0]).is_dir() or args.paths[0].lower().endswith(".zip")):
        raise UsageError(
            "--spec を指定してください（--spec なしで検査できるのは成果物一式のフォルダか .zip 1つ）/ "
            "--spec is required unless PATH is one deliverable folder or .zip"
        )
    unsupported = [flag for flag, given in (("--group", args.group is not None), ("--layout", args.layout is not None),
                                            ("--input-format", args.input_format is not None)) if given]
    if unsupported:
        raise UsageError(f"成果物一式では使えないオプション / not supported for a deliverable: {', '.join(unsupported)}")
    kwargs = run_kwargs(args, lang)
    progress = prepare_outputs(args, stderr, lang)
    try:
        report = check_deliverable(args.paths[0], progress=progress, **kwargs)  # type: ignore[arg-type]
    finally:
        if progress is not None:
            progress.done()
    return finish(report, args, lang, stdout, stderr)
