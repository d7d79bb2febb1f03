"""The ``kikan-std`` command line. All logic lives in the library; this module parses and prints.

Exit codes: 0 conformant, 1 not conformant, 2 usage or input problem, 3 internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kikan_std._version import __version__
from kikan_std.errors import UsageError
from kikan_std.options import MASK_KEY_ENV

if TYPE_CHECKING:
    from kikan_std.report.model import Report

if TYPE_CHECKING:
    from kikan_std.model.spec import Spec

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

_DESCRIPTION = """\
地方公共団体の基幹業務システムが出力するデータが、国の標準仕様（基本データリスト等）に
適合しているかを検査します。
Checks data from Japanese municipal core systems against the national standard specifications.

終了コード / exit codes: 0 適合 conformant, 1 不適合 not conformant,
2 使い方・入力の誤り usage or input problem, 3 内部エラー internal error.
"""

_EPILOG = """\
例 / examples:
  kikan-std check atena.csv --spec jutogai_atena
  kikan-std check legacy.csv --spec jutogai_atena --encoding cp932 --output-format json -o report.json
  kikan-std check atena.csv --spec-file 項目定義書.xlsx
  kikan-std check request.json --spec jutogai_atena
  kikan-std spec import 項目定義書.xlsx -o spec.json
  kikan-std export --out-dir schemas
  kikan-std specs
  kikan-std explain FLD002
  kikan-std chars 渡邊　髙橋
  kikan-std check out/deliverable/                      # 成果物一式（フォルダ・zip）/ a whole deliverable
  kikan-std check big.csv --spec jutogai_atena --jobs auto          # 使える CPU をすべて使う / on every CPU
  kikan-std check transfer.txt --spec zengin_sogo_furikomi
  kikan-std reconcile applications.csv beneficiaries.csv -o result.json
  kikan-std generate --spec jutogai_atena --rows 1000 --defect-rate 0.05 -o sample.csv
  kikan-std generate --spec deliverable --rows 500 -o out/deliverable
"""


def _jobs(value: str) -> int:
    """``--jobs``: a whole number of processes from 1, or ``auto`` for the CPUs this process may use."""
    from kikan_std.options import resolve_jobs

    try:
        return resolve_jobs(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--jobs は 1 以上の整数か auto で指定してください / must be a whole number from 1, or auto: {value}"
        ) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kikan-std",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kikan-std {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    c = sub.add_parser(
        "check",
        help="データを仕様に照らして検査する / check data files against a spec",
        description="データファイル（CSV）を仕様に照らして検査します。/ Check CSV data files against a spec.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="検査するファイル、または成果物一式（フォルダか .zip、--spec なし）/ files, or a deliverable folder or .zip",
    )
    # Neither --spec nor --spec-file: PATH is a whole deliverable (folder or zip, see docs/deliverable.md).
    which = c.add_mutually_exclusive_group(required=False)
    which.add_argument(
        "--spec",
        metavar="SPEC_ID",
        help="仕様ID（kikan-std specs で一覧）。成果物一式（フォルダ・.zip）では指定しない / "
        "spec id; omit it for a deliverable folder or zip",
    )
    which.add_argument(
        "--spec-file",
        metavar="FILE",
        help="仕様ファイル（公式ワークブック .xlsx または spec import の JSON）/ spec file: official workbook or JSON",
    )
    c.add_argument(
        "--encoding",
        default="utf-8",
        metavar="ENC",
        help="文字コード（既定 utf-8、BOM可。cp932 / shift_jis / auto=推定）/ input encoding (default utf-8; auto = detect)",
    )
    c.add_argument(
        "--bom",
        choices=("allow", "require", "forbid"),
        default="allow",
        help="UTF-8 の BOM の取り決め（既定 allow）/ BOM contract for UTF-8 input",
    )
    c.add_argument(
        "--gj-table",
        metavar="FILE",
        help="追加文字（GJ）の一覧（1行に U+10xxxx）/ table of GJ added characters, one U+10xxxx per line",
    )
    c.add_argument(
        "--output-format",
        default="text",
        metavar="FORMAT[,FORMAT…]",
        help="出力形式 text（既定）/ json / junit / sarif / html / csv。カンマ区切りで複数指定すると -o を"
        "接頭辞として形式ごとのファイルに書き出す / output format(s); several (comma-separated) need -o PREFIX",
    )
    c.add_argument("-o", "--output", metavar="FILE", help="結果の書き出し先（既定は標準出力）/ write the report to FILE")
    c.add_argument("--lang", choices=("ja", "en"), default=None, help="メッセージの言語（既定 ja）/ message language")
    c.add_argument(
        "--show-values",
        action="store_true",
        help="個人情報の値をマスクせずに表示する（記録されます）/ show personal values unmasked (recorded)",
    )
    c.add_argument(
        "--max-findings",
        type=int,
        default=1000,
        metavar="N",
        help="規則（コード）ごとに保存する指摘の上限（0 で無制限、集計は常に全件）"
        " / findings stored per code (0 = all)",
    )
    c.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="大きな CSV・成果物を N プロセスで検査（auto = 使える CPU の数。結果は 1 プロセスと同一）"
        " / check big CSV files and deliverables on N processes (auto = the CPUs this process may use)",
    )
    c.add_argument(
        "--max-findings-total",
        type=int,
        default=20000,
        metavar="N",
        help="全体で保存する指摘の上限（既定 20000、0 で無制限）"
        " / findings stored overall (default 20000, 0 = all)",
    )
    c.add_argument(
        "--baseline",
        metavar="REPORT.json",
        help="前回の JSON レポートと比較し、指摘を新規・既存・解消に分類"
        " / classify findings against a previous JSON report",
    )
    c.add_argument(
        "--fail-on",
        choices=("error", "new"),
        default="error",
        help="終了コード 1 の条件: error＝承認されていないエラーがある（既定）、"
        "new＝ベースラインにない新規のエラーがある"
        " / exit 1 on any unwaived error (default) or only on new ones (needs --baseline)",
    )
    c.add_argument(
        "--waivers",
        metavar="FILE.toml",
        help="承認済みの指摘の一覧（TOML: 理由・承認者・期限）"
        " / accepted findings with reason, owner and expiry",
    )
    c.add_argument(
        "--mask-key",
        metavar="KEY",
        help="マスクの照合用ハッシュの鍵（環境変数 KIKAN_STD_MASK_KEY 推奨）/ key of the masking hashes "
        f"(prefer the {MASK_KEY_ENV} environment variable)",
    )
    c.add_argument("--group", metavar="NAME", help="ファイルのグループ名 / the group every file holds")
    c.add_argument(
        "--input-format",
        choices=("csv", "json", "xml", "fixed"),
        default=None,
        help="入力形式（既定は拡張子: .json .xml .dat/.fix/.fixed、その他は csv）/ input format (default: by extension)",
    )
    c.add_argument(
        "--layout",
        metavar="FILE",
        help="固定長レイアウト（JSON）/ fixed-width layout file (JSON; see docs/formats.md)",
    )
    c.add_argument("--no-progress", action="store_true", help="進捗表示をしない / no progress indicator")
    c.add_argument(
        "--rule-option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="規則の実行時設定（例 atena_check_digit=off、繰り返し可）/ per-run rule option (repeatable)",
    )

    sp = sub.add_parser("spec", help="仕様の取り込み / spec tools (import a workbook)")
    spsub = sp.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser)
    si = spsub.add_parser(
        "import",
        help="公式ワークブック（基本データリスト形式）を仕様JSONに変換 / convert an official workbook to spec JSON",
    )
    si.add_argument("workbook", metavar="WORKBOOK.xlsx")
    si.add_argument("-o", "--output", metavar="FILE", help="書き出し先（既定は標準出力）/ write to FILE")

    x = sub.add_parser(
        "export",
        help="組み込み仕様の JSON Schema と XSD を書き出す / write JSON Schema and XSD of the built-in specs",
    )
    x.add_argument("--out-dir", default="schemas", metavar="DIR", help="出力先（既定 schemas）/ output folder")

    s = sub.add_parser("specs", help="組み込みの仕様の一覧 / list built-in specs")
    s.add_argument("--json", action="store_true", help="JSON で出力 / print JSON")

    e = sub.add_parser("explain", help="指摘コードの説明 / explain a finding code")
    e.add_argument("code", metavar="CODE")
    e.add_argument("--lang", choices=("ja", "en"), default=None)

    sub.add_parser(
        "chars",
        help="文字ごとに標準文字かを調べる / check each character against the standard set",
        add_help=False,
    )

    sub.add_parser(
        "reconcile",
        help="申請データと対象者名簿の突合、振込ファイルの作成 / match applications to the beneficiary list",
        add_help=False,
    )
    sub.add_parser(
        "generate-reconcile",
        help="突合用の合成データを生成 / write synthetic applications and beneficiaries",
        add_help=False,
    )

    g = sub.add_parser("generate", help="合成（架空）データを生成する / write synthetic sample data")
    g.add_argument("--spec", required=True, metavar="SPEC_ID",
                   help="仕様ID、または deliverable（成果物一式をフォルダ -o DIR に）/ spec id, or deliverable")
    g.add_argument("--defects", action="store_true",
                   help="deliverable に意図した不備を3件入れる（デモ用）/ plant three defects (deliverable, demo)")
    g.add_argument("--defect-rate", type=float, default=0.0, metavar="R",
                   help="各レコードに確率 R で1つの不備を入れ、期待される指摘を FILE.expected.json に書く"
                   " / plant one defect per record with probability R; expected findings go to FILE.expected.json")
    g.add_argument("--rows", type=int, default=100, metavar="N")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--encoding", default="utf-8", metavar="ENC")
    g.add_argument("-o", "--output", required=True, metavar="FILE")
    return p


def _lang(args: argparse.Namespace) -> str:
    lang = getattr(args, "lang", None) or os.environ.get("KIKAN_STD_LANG", "ja")
    return "en" if lang == "en" else "ja"


class _Progress:
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


def _ensure_not_input(output: str | None, inputs: Sequence[str]) -> None:
    """Refuse to write a report over one of the user's inputs."""
    if output is None or not Path(output).exists():
        return
    target = Path(output).resolve()
    for p in inputs:
        if Path(p).resolve() == target:
            raise UsageError(f"出力先が入力ファイルと同じです（上書きしません）/ output is an input file: {output}")


def _write_output(text: str, output: str | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    out = Path(output)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {output}: {e.strerror}") from None


def _formats(value: str, output: str | None) -> list[str]:
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


def _outputs(fmts: list[str], output: str | None) -> list[tuple[str, str | None]]:
    """(format, path) pairs: one format writes to -o as given; several write PREFIX + suffix each."""
    from kikan_std.writers import SUFFIXES

    if len(fmts) == 1:
        return [(fmts[0], output)]
    assert output is not None
    return [(f, output + SUFFIXES[f]) for f in fmts]


def _mask_key(args: argparse.Namespace) -> tuple[bytes, bool]:
    from kikan_std.options import DEFAULT_MASK_KEY

    key = args.mask_key if args.mask_key is not None else os.environ.get(MASK_KEY_ENV)
    if key is None:
        return DEFAULT_MASK_KEY, False
    if key == "":
        raise UsageError(f"--mask-key / {MASK_KEY_ENV} が空です / the mask key is empty")
    return key.encode("utf-8"), True


def _cmd_check(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.engine.run import run_check
    from kikan_std.errors import BaselineError, InputError, RuleOptionError, UnknownSpecError, WaiverError
    from kikan_std.options import Options
    from kikan_std.readers import load_layout
    from kikan_std.report.baseline import Baseline
    from kikan_std.report.waivers import Waivers
    from kikan_std.specs import load_spec, rules_for

    lang = _lang(args)
    if args.spec is None and args.spec_file is None:
        return _cmd_check_deliverable(args, stdout, stderr)
    if args.spec_file is not None:
        spec = _load_spec_file(args.spec_file)
    else:
        try:
            spec = load_spec(args.spec)
        except UnknownSpecError as e:
            raise UsageError(f"仕様が見つかりません / {e}") from None
    if args.max_findings < 0 or args.max_findings_total < 0:
        raise UsageError("--max-findings / --max-findings-total は 0 以上 / must be >= 0")
    fmts = _formats(args.output_format, args.output)
    outputs = _outputs(fmts, args.output)
    for _, path in outputs:
        _ensure_not_input(path, args.paths)
    if args.fail_on == "new" and args.baseline is None:
        raise UsageError("--fail-on new には --baseline が必要です / --fail-on new needs --baseline")
    mask_key, custom_key = _mask_key(args)
    baseline = waivers = None
    if args.baseline is not None:
        _ensure_not_output(args.baseline, outputs)
        try:
            baseline = Baseline.load(args.baseline, mask_key)
        except BaselineError as e:
            raise UsageError(f"ベースラインを読めません / {e}") from None
        if baseline.capped:
            stderr.write(
                "kikan-std: 注意: ベースラインは保存件数の上限で打ち切られています。"
                "上限を超えた指摘は新規と判定されます"
                "（ベースラインは --max-findings 0 --max-findings-total 0 で作成してください）"
                " / warning: the baseline is "
                "capped; findings beyond its cap count as new\n"
            )
    if args.waivers is not None:
        try:
            waivers = Waivers.load(args.waivers)
        except WaiverError as e:
            raise UsageError(f"承認ファイルを読めません / {e}") from None
    gj_table = None
    if args.gj_table is not None:
        from kikan_std.jp.chars import parse_gj_table

        try:
            gj_table = parse_gj_table(Path(args.gj_table).read_text(encoding="utf-8"))
        except OSError as e:
            raise UsageError(f"GJ 表を読めません / cannot read GJ table {args.gj_table}: {e.strerror}") from None
        except ValueError as e:
            raise UsageError(f"GJ 表の形式が違います / bad GJ table {args.gj_table}: {e}") from None
    rule_options = _parse_rule_options(args.rule_option)
    progress = None
    if not args.no_progress and stderr.isatty():
        progress = _Progress(stderr, lang)
    rules = rules_for(spec)
    try:
        options = Options(
            encoding=args.encoding,
            bom=args.bom,
            gj_table=gj_table,
            lang=lang,  # type: ignore[arg-type]
            show_values=args.show_values,
            max_findings=args.max_findings or None,
            max_findings_total=args.max_findings_total or None,
            group=args.group,
            mask_key=mask_key,
            mask_key_custom=custom_key,
            baseline=baseline,
            waivers=waivers,
            fail_on=args.fail_on,
            jobs=args.jobs,
            input_format=args.input_format,
            layout=None if args.layout is None else load_layout(args.layout),
            rule_options=rules.resolve_options(rule_options),
        )
        report = run_check(args.paths, spec, rules.record_rules, rules.dataset_rules, options, progress)
    except InputError as e:
        raise UsageError(_input_error_ja(str(e))) from None
    except KeyError as e:
        raise UsageError(f"グループが見つかりません / unknown group: {e.args[0]}") from None
    except RuleOptionError as e:
        raise UsageError(str(e)) from None
    finally:
        if progress is not None:
            progress.done()
    return _emit(report, outputs, lang, stdout)


def _ensure_not_output(path: str, outputs: list[tuple[str, str | None]]) -> None:
    """The baseline is read before the report is written: refuse to overwrite it with the new one."""
    target = Path(path).resolve()
    for _, out in outputs:
        if out is not None and Path(out).resolve() == target:
            raise UsageError(f"出力先がベースラインと同じです（上書きしません）/ output is the baseline: {path}")


def _load_spec_file(path: str) -> Spec:
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


def _cmd_spec(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.spec_command != "import":
        raise UsageError("使い方 / usage: kikan-std spec import WORKBOOK.xlsx [-o FILE]")
    from kikan_std.errors import WorkbookError
    from kikan_std.model.workbook import load_workbook

    p = Path(args.workbook)
    if not p.is_file():
        raise UsageError(f"ファイルが見つかりません / file not found: {args.workbook}")
    _ensure_not_input(args.output, [args.workbook])
    try:
        spec = load_workbook(p)
    except WorkbookError as e:
        raise UsageError(str(e)) from None
    _write_output(spec.model_dump_json(indent=1, exclude_defaults=True) + "\n", args.output, stdout)
    return EXIT_OK


def _cmd_export(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.specs import write_schemas

    try:
        written = write_schemas(Path(args.out_dir))
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {args.out_dir}: {e.strerror}") from None
    for path in written:
        stdout.write(f"{path}\n")
    return EXIT_OK


def _parse_rule_options(given: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for opt in given:
        name, sep, value = opt.partition("=")
        if not sep or not name:
            raise UsageError(f"--rule-option は NAME=VALUE の形で指定してください / expected NAME=VALUE: {opt}")
        out[name.strip()] = value.strip()
    return out


def _cmd_check_deliverable(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """``check PATH`` without ``--spec``: PATH is a whole deliverable (folder or zip)."""
    from kikan_std.deliverable import check_deliverable
    from kikan_std.errors import InputError, RuleOptionError, UnsafeArchiveError

    lang = _lang(args)
    if len(args.paths) != 1 or not (Path(args.paths[0]).is_dir() or args.paths[0].lower().endswith(".zip")):
        raise UsageError(
            "--spec を指定してください（--spec なしで検査できるのは成果物一式のフォルダか .zip 1つ）/ "
            "--spec is required unless PATH is one deliverable folder or .zip"
        )
    if args.max_findings < 0:
        raise UsageError("--max-findings は 0 以上 / must be >= 0")
    unsupported = [flag for flag, given in (("--group", args.group is not None), ("--baseline", args.baseline is not None),
                                            ("--waivers", args.waivers is not None), ("--layout", args.layout is not None),
                                            ("--input-format", args.input_format is not None)) if given]
    if unsupported:
        raise UsageError(f"成果物一式では使えないオプション / not supported for a deliverable: {', '.join(unsupported)}")
    outputs = _outputs(_formats(args.output_format, args.output), args.output)
    for _, path in outputs:
        _ensure_not_input(path, args.paths)
    # NAME=VALUE applies to every spec that has the option; SPEC:NAME=VALUE to one spec.
    from kikan_std.specs import BUILTIN, load_spec, rules_for

    per_spec: dict[str, dict[str, str]] = {}
    for name, value in _parse_rule_options(args.rule_option).items():
        sid, sep, opt = name.rpartition(":")
        targets = [sid] if sep else [s for s in BUILTIN if any(o.name == opt for o in rules_for(load_spec(s)).options)]
        if not targets:
            raise UsageError(f"未知の規則オプション / unknown rule option: {name}")
        for t in targets:
            per_spec.setdefault(t, {})[opt] = value
    progress = _Progress(stderr, lang) if not args.no_progress and stderr.isatty() else None
    try:
        report = check_deliverable(
            args.paths[0],
            encoding=args.encoding,
            lang=lang,  # type: ignore[arg-type]
            show_values=args.show_values,
            max_findings=args.max_findings or None,
            progress=progress,
            rule_options=per_spec,
            jobs=args.jobs,
        )
    except UnsafeArchiveError as e:
        raise UsageError(f"安全でない ZIP 書庫のため検査を中止しました（何も展開していません）/ unsafe archive refused: {e}") from None
    except InputError as e:
        raise UsageError(_input_error_ja(str(e))) from None
    except RuleOptionError as e:
        raise UsageError(str(e)) from None
    finally:
        if progress is not None:
            progress.done()
    return _emit(report, outputs, lang, stdout)


def _emit(report: Report, outputs: list[tuple[str, str | None]], lang: str, stdout: TextIO) -> int:
    """Write the report in every requested format; the exit code follows the report's gate."""
    from kikan_std.writers import render

    for fmt, path in outputs:
        _write_output(render(report, fmt, lang), path, stdout)  # type: ignore[arg-type]
    return EXIT_INVALID if report.failed else EXIT_OK


def _input_error_ja(msg: str) -> str:
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


def _cmd_specs(args: argparse.Namespace, stdout: TextIO) -> int:
    import json

    from kikan_std.specs import list_specs

    specs = list_specs()
    if args.json:
        rows = [
            {"id": s.id, "business_code": s.business_code, "title": s.title, "edition": s.edition,
             "published": s.published, "provenance": s.provenance, "groups": [g.name for g in s.groups]}
            for s in specs
        ]
        stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return EXIT_OK
    for s in specs:
        groups = ", ".join(f"{g.name}({len(g.items)})" for g in s.groups)
        stdout.write(f"{s.id}\t{s.edition}\t{s.provenance}\t{s.business_code} {s.title}\t{groups}\n")
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.catalogue import explain

    try:
        text = explain(args.code, _lang(args))  # type: ignore[arg-type]
    except KeyError:
        raise UsageError(f"指摘コードが見つかりません / unknown code: {args.code}") from None
    stdout.write(text + "\n")
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.errors import InputError
    from kikan_std.readers.csv_reader import normalise_encoding
    from kikan_std.testing.generate import GENERATORS, write_csv

    if args.spec == "deliverable":
        return _generate_deliverable(args, stdout)
    gen = GENERATORS.get(args.spec)
    if gen is None:
        raise UsageError(f"この仕様の生成器はありません / no generator for spec: {args.spec} ({', '.join(GENERATORS)})")
    if args.rows < 0:
        raise UsageError("--rows は 0 以上 / must be >= 0")
    try:
        enc = normalise_encoding(args.encoding)
    except InputError as e:
        raise UsageError(_input_error_ja(str(e))) from None
    if not 0.0 <= args.defect_rate <= 1.0:
        raise UsageError("--defect-rate は 0〜1 / must be between 0 and 1")
    if Path(args.output).exists():
        raise UsageError(f"既にあるファイルは上書きしません / will not overwrite: {args.output}")
    rows = gen(args.rows, args.seed)
    if args.defect_rate > 0:
        import json

        from kikan_std.specs import load_spec
        from kikan_std.testing.mutate import with_defects

        rows, expected = with_defects(rows, load_spec(args.spec), args.defect_rate, args.seed)
        write_csv(args.output, rows, encoding=enc)
        exp_path = Path(args.output + ".expected.json")
        # Exact when the spec declares which items trigger its cross-field rules (those are left
        # alone); otherwise a planted defect may also fire such a rule: the list is then included.
        from kikan_std.testing.mutate import TRIGGERS

        match = "exact" if args.spec in TRIGGERS else "includes"
        exp_path.write_text(json.dumps({"spec": args.spec, "file": Path(args.output).name, "match": match,
                                        "expected": [list(e) for e in expected]}, ensure_ascii=False, indent=1) + "\n",
                            encoding="utf-8")
        stdout.write(f"{args.output}: {args.rows:,} rows ({args.spec}, {enc}, synthetic), "
                     f"{len(expected):,} planted defects listed in {exp_path}\n")
        return EXIT_OK
    write_csv(args.output, rows, encoding=enc)
    stdout.write(f"{args.output}: {args.rows:,} rows ({args.spec}, {enc}, synthetic)\n")
    return EXIT_OK


def _generate_deliverable(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.testing.generators.deliverable import DEFECTS, write_deliverable

    if args.rows < 0:
        raise UsageError("--rows は 0 以上 / must be >= 0")
    if args.encoding.lower().replace("-", "") not in ("utf8",):
        raise UsageError("deliverable は UTF-8 で書き出します / the deliverable is written in UTF-8")
    try:
        counts = write_deliverable(args.output, args.rows, args.seed, defects=args.defects)
    except FileExistsError:
        raise UsageError(f"空でないフォルダには書き出しません / will not write into a non-empty folder: {args.output}") from None
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {args.output}: {e.strerror}") from None
    for name, n in counts.items():
        stdout.write(f"{args.output}/{name}: {n:,} rows\n")
    if args.defects:
        stdout.write("意図した不備 / planted defects:\n" + "".join(f"  - {d}\n" for d in DEFECTS))
    return EXIT_OK


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI; return the exit code. Streams are injectable for tests."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _build_parser()
    if args_list[:1] == ["chars"]:
        # The chars tool has its own parser (kikan_std.jp.chars); it never raises to here.
        from kikan_std.cli.chars import chars_main

        return chars_main(args_list[1:], out, err)
    if args_list[:1] in (["reconcile"], ["generate-reconcile"]):
        # 突合 has its own parser (kikan_std.cli.reconcile); bad input is exit 2, never a traceback.
        from kikan_std.cli.reconcile import generate_main, reconcile_main

        run = reconcile_main if args_list[0] == "reconcile" else generate_main
        try:
            return run(args_list[1:], out, err)
        except Exception as e:  # never a traceback for users, never exit 0
            err.write(f"kikan-std: 内部エラー / internal error: {type(e).__name__}: {e}\n")
            return EXIT_INTERNAL
    try:
        try:
            with contextlib.redirect_stdout(out):  # --help / --version print to the injected stream
                args = parser.parse_args(args_list)
        except SystemExit as e:  # --help / --version
            return int(e.code or 0)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        if args.command == "check":
            return _cmd_check(args, out, err)
        if args.command == "spec":
            return _cmd_spec(args, out)
        if args.command == "export":
            return _cmd_export(args, out)
        if args.command == "specs":
            return _cmd_specs(args, out)
        if args.command == "explain":
            return _cmd_explain(args, out)
        if args.command == "generate":
            return _cmd_generate(args, out)
        raise UsageError(f"unknown command {args.command}")
    except UsageError as e:
        err.write(f"kikan-std: エラー: {e}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        err.write("kikan-std: 中断しました / interrupted\n")
        return 130
    except BrokenPipeError:  # output closed early (e.g. piped to head): nothing more to say
        return EXIT_INTERNAL
    except Exception as e:  # never a traceback for users, never exit 0
        err.write(f"kikan-std: 内部エラー / internal error: {type(e).__name__}: {e}\n")
        if os.environ.get("KIKAN_STD_DEBUG"):
            traceback.print_exc(file=err)
        else:
            err.write("  KIKAN_STD_DEBUG=1 で詳細を表示 / set KIKAN_STD_DEBUG=1 for details\n")
        return EXIT_INTERNAL


def console_main() -> None:
    """Entry point of the ``kikan-std`` console script."""
    sys.exit(main())
