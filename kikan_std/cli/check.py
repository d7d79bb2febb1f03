"""``kikan-std check``: parse the options, call the library, print the report (files, folders and zips)."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kikan_std.errors import UsageError

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


def ensure_not_input(output: str | None, inputs: Sequence[str]) -> None:
    """Refuse to write a report over one of the user's inputs."""
    if output is None or not Path(output).exists():
        return
    target = Path(output).resolve()
    for p in inputs:
        if Path(p).resolve() == target:
            raise UsageError(f"出力先が入力ファイルと同じです（上書きしません）/ output is an input file: {output}")


def write_output(text: str, output: str | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    out = Path(output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {output}: {e.strerror}") from None


def parse_formats(value: str, output: str | None) -> list[str]:
    from kikan_std.writers import FORMATS

    fmts = [f.strip() for f in value.split(",") if f.strip()]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise UsageError(
            f"未知の出力形式です / unknown output format: {', '.join(bad) or value}"
            f" (choose from {', '.join(FORMATS)})"
        )
    if len(fmts) != len(set(fmts)):
        raise UsageError(f"出力形式が重複しています / output format repeated: {value}")
    if len(fmts) > 1 and output is None:
        raise UsageError("複数の出力形式には -o PREFIX が必要です / several output formats need -o PREFIX")
    return fmts


def output_targets(fmts: list[str], output: str | None) -> list[tuple[str, str | None]]:
    """(format, path) pairs: one format writes to -o as given; several write PREFIX + suffix each."""
    from kikan_std.writers import SUFFIXES

    if len(fmts) == 1:
        return [(fmts[0], output)]
    assert output is not None
    return [(f, output + SUFFIXES[f]) for f in fmts]


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


def warn_capped_baseline(report: Report, stderr: TextIO) -> None:
    if report.baseline is not None and report.baseline.baseline_capped:
        stderr.write(
            "kikan-std: 注意: ベースラインは保存件数の上限で打ち切られています。"
            "上限を超えた指摘は新規と判定されます"
            "（ベースラインは --max-findings 0 --max-findings-total 0 で作成してください）"
            " / warning: the baseline is "
            "capped; findings beyond its cap count as new\n"
        )


def cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.api import check
    from kikan_std.errors import BaselineError, InputError, RuleOptionError, UnknownSpecError, WaiverError

    lang = lang_of(args)
    if args.spec is None and args.spec_file is None:
        return cmd_check_deliverable(args, stdout, stderr)
    if args.spec_file is not None:
        spec: Spec | str = load_spec_file(args.spec_file)
    else:
        spec = args.spec
    kwargs = run_kwargs(args, lang)
    fmts = parse_formats(args.output_format, args.output)
    outputs = output_targets(fmts, args.output)
    for _, path in outputs:
        ensure_not_input(path, args.paths)
    if args.baseline is not None:
        ensure_not_output(args.baseline, outputs)
    progress = None
    if not args.no_progress and stderr.isatty():
        progress = Progress(stderr, lang)
    try:
        report = check(args.paths, spec, group=args.group, input_format=args.input_format, layout=args.layout,
                       progress=progress, **kwargs)  # type: ignore[arg-type]
    except UnknownSpecError as e:
        raise UsageError(f"仕様が見つかりません / {e}") from None
    except BaselineError as e:
        raise UsageError(f"ベースラインを読めません / {e}") from None
    except WaiverError as e:
        raise UsageError(f"承認ファイルを読めません / {e}") from None
    except InputError as e:
        raise UsageError(input_error_ja(str(e))) from None
    except KeyError as e:
        raise UsageError(f"グループが見つかりません / unknown group: {e.args[0]}") from None
    except RuleOptionError as e:
        raise UsageError(str(e)) from None
    finally:
        if progress is not None:
            progress.done()
    warn_capped_baseline(report, stderr)
    return emit(report, outputs, lang, stdout)


def ensure_not_output(path: str, outputs: list[tuple[str, str | None]]) -> None:
    """The baseline is read before the report is written: refuse to overwrite it with the new one."""
    target = Path(path).resolve()
    for _, out in outputs:
        if out is not None and Path(out).resolve() == target:
            raise UsageError(f"出力先がベースラインと同じです（上書きしません）/ output is the baseline: {path}")


def load_spec_file(path: str) -> Spec:
    """A spec from ``--spec-file`` (workbook or JSON); any problem is a one-line usage error."""
    from pydantic import ValidationError

    from kikan_std.errors import WorkbookError
    from kikan_std.specs import load_spec_file

    p = Path(path)
    if not p.is_file():
        raise UsageError(f"仕様ファイルが見つかりません / spec file not found: {path}")
    try:
        return load_spec_file(p)
    except WorkbookError as e:
        raise UsageError(str(e)) from None
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise UsageError(f"仕様ファイルが不正です / invalid spec file {path}: {where}: {first['msg']}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"仕様ファイルを読めません / cannot read spec file {path}: {e}") from None


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
    from kikan_std.errors import BaselineError, InputError, RuleOptionError, UnsafeArchiveError, WaiverError

    lang = lang_of(args)
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
    outputs = output_targets(parse_formats(args.output_format, args.output), args.output)
    for _, path in outputs:
        ensure_not_input(path, args.paths)
    if args.baseline is not None:
        ensure_not_output(args.baseline, outputs)
    progress = Progress(stderr, lang) if not args.no_progress and stderr.isatty() else None
    try:
        report = check_deliverable(args.paths[0], progress=progress, **kwargs)  # type: ignore[arg-type]
    except UnsafeArchiveError as e:
        raise UsageError(f"安全でない ZIP 書庫のため検査を中止しました（何も展開していません）/ unsafe archive refused: {e}") from None
    except BaselineError as e:
        raise UsageError(f"ベースラインを読めません / {e}") from None
    except WaiverError as e:
        raise UsageError(f"承認ファイルを読めません / {e}") from None
    except InputError as e:
        raise UsageError(input_error_ja(str(e))) from None
    except RuleOptionError as e:
        raise UsageError(str(e)) from None
    finally:
        if progress is not None:
            progress.done()
    warn_capped_baseline(report, stderr)
    return emit(report, outputs, lang, stdout)


def emit(report: Report, outputs: list[tuple[str, str | None]], lang: str, stdout: TextIO) -> int:
    """Write the report in every requested format; the exit code follows the report's gate."""
    from kikan_std.writers import render

    for fmt, path in outputs:
        write_output(render(report, fmt, lang), path, stdout)  # type: ignore[arg-type]
    return EXIT_INVALID if report.failed else EXIT_OK


def input_error_ja(msg: str) -> str:
    pairs = (
        ("file not found", "ファイルが見つかりません"),
        ("is a directory", "ディレクトリです"),
        ("unknown encoding", "未知の文字コードです"),
        ("cannot open", "ファイルを開けません"),
        ("unknown input format", "未知の入力形式です"),
        ("invalid layout file", "固定長レイアウトが不正です"),
        ("layout item not in group", "レイアウトの項目が仕様にありません"),
        ("fixed-width input needs a layout", "固定長の入力にはレイアウトが必要です（--layout）"),
        ("unknown group", "グループが見つかりません"),
        ("KIKAN_STD_SPILL_AT must be", "環境変数 KIKAN_STD_SPILL_AT は 0 以上の整数で指定してください"),
        ("the layout does not name its group", "レイアウトにグループ（group）の指定がありません"),
    )
    for en, ja in pairs:
        if msg.startswith(en):
            return f"{ja} / {msg}"
    return msg


def lang_of(args: argparse.Namespace) -> str:
    lang = getattr(args, "lang", None) or os.environ.get("KIKAN_STD_LANG", "ja")
    return "en" if lang == "en" else "ja"
