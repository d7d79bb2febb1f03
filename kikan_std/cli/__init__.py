"""The ``kikan-std`` command line. All logic lives in the library; this module parses and prints.

Exit codes: 0 conformant, 1 not conformant, 2 usage or input problem, 3 internal error. Errors map to
exit codes by their type (:mod:`kikan_std.cli.exits`), never by their message text.

Adding a command: write ``_add_<name>(sub)`` that registers its arguments and a ``run(args, stdout,
stderr) -> int`` handler, and list both in :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TextIO

from kikan_std._version import __version__
from kikan_std.cli.check import cmd_check
from kikan_std.cli.commands import cmd_explain, cmd_export, cmd_generate, cmd_spec, cmd_specs
from kikan_std.cli.exits import EXIT_INTERNAL, EXIT_USAGE, lang_of, report_error
from kikan_std.cli.manifest import add_manifest, cmd_manifest
from kikan_std.cli.serve import add_serve_parser, cmd_serve
from kikan_std.errors import ArgumentsError
from kikan_std.options import MASK_KEY_ENV, resolve_jobs

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]

_DESCRIPTION = """\
地方公共団体の基幹業務システムが出力するデータが、国の標準仕様（基本データリスト等）に
適合しているかを検査します。
Checks data from Japanese municipal core systems against the national standard specifications.

終了コード / exit codes: 0 適合 conformant, 1 不適合 not conformant,
2 使い方・入力の誤り usage or input problem, 3 内部エラー internal error.
エラーは標準エラーに1行「kikan-std: エラー [種類]: …」（--lang en または KIKAN_STD_LANG=en で英語）。
Errors are one line on stderr with a stable kind in brackets (English with --lang en).
"""

_EPILOG = """\
例 / examples:
  kikan-std check atena.csv --spec jutogai_atena
  kikan-std check legacy.csv --spec jutogai_atena --encoding cp932 --output-format json -o report.json
  kikan-std check atena.csv --spec-file 項目定義書.xlsx
  kikan-std check request.json --spec jutogai_atena
  kikan-std spec import 項目定義書.xlsx -o spec.json
  kikan-std spec diff jutogai_atena 項目定義書_新版.xlsx --format markdown -o CHANGES.md
  kikan-std export --out-dir schemas
  kikan-std specs
  kikan-std explain FLD002
  kikan-std chars 渡邊　髙橋
  kikan-std check out/deliverable/                      # 成果物一式（フォルダ・zip）/ a whole deliverable
  kikan-std manifest 納品.zip -o kikan-manifest.toml     # マニフェストの下書き / draft a manifest
  kikan-std check big.csv --spec jutogai_atena --jobs auto          # 使える CPU をすべて使う / on every CPU
  kikan-std check transfer.txt --spec zengin_sogo_furikomi
  kikan-std reconcile applications.csv beneficiaries.csv -o result.json
  kikan-std generate --spec jutogai_atena --rows 1000 --defect-rate 0.05 -o sample.csv
  kikan-std generate --spec deliverable --rows 500 -o out/deliverable
  kikan-std generate --spec migration --rows 2000 --defects -o out/migration   # 移行検証の組 / a migration pair
  kikan-std profile standard.csv --spec jumin_kiroku --output-format html -o profile.html
  kikan-std compare legacy.csv standard.csv --spec jumin_kiroku --mapping mapping.toml --expected expected.toml
  kikan-std mapping draft legacy.csv --spec jumin_kiroku -o mapping.toml
"""


def jobs_arg(value: str) -> int:
    """``--jobs``: a whole number of processes from 1, or ``auto`` for the CPUs this process may use."""
    try:
        return resolve_jobs(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1, or auto: {value}") from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(detail=message)


def _add_lang(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lang",
        choices=("ja", "en"),
        default=None,
        help="メッセージ・レポートの言語（既定 ja、環境変数 KIKAN_STD_LANG）/ language of messages and reports",
    )


def _add_check(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
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
        action="append",
        help="仕様ID（kikan-std specs で一覧）。繰り返すと版ごとに検査して比べる。成果物一式（フォルダ・.zip）では"
        "指定しない / spec id; repeat it to check against several editions; omit it for a deliverable folder or zip",
    )
    which.add_argument(
        "--spec-file",
        metavar="FILE",
        action="append",
        help="仕様ファイル（公式ワークブック .xlsx または spec import の JSON）。繰り返すと版ごとに検査 / "
        "spec file: official workbook or JSON; repeat it to check against several editions",
    )
    c.add_argument(
        "--encoding",
        default="utf-8",
        metavar="ENC",
        help="文字コード（既定 utf-8、BOM可。cp932 / shift_jis / euc_jp / iso2022_jp / auto=推定。UTF-16/32 は不可。"
             "根拠の弱い推定は ENC004 で不適合）/ input encoding (default utf-8; cp932, shift_jis, euc_jp, iso2022_jp; "
             "auto = detect, a weak guess is never valid; UTF-16/32 refused)",
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
        "接頭辞として形式ごとのファイルに書き出す（html,csv で報告書と全件の CSV を並べて）/ output format(s); several "
        "(comma-separated) need -o PREFIX (html,csv: the report and the full CSV side by side)",
    )
    c.add_argument("-o", "--output", metavar="FILE",
                   help="結果の書き出し先（既定は標準出力、- も標準出力）。ファイルに書くときは判定の要約1行を標準エラーに出す"
                   " / write the report to FILE (- = stdout); a one-line summary then goes to stderr")
    _add_lang(c)
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
        help="規則（コード）ごとに保存する指摘の上限（既定 1000、0 で無制限、集計は常に全件）。json・sarif・junit・"
        "csv は保存分をすべて載せ（csv は上限に達したら1行目でそう明記）、text は規則ごとに10件・html は20件を例示"
        "（html は保存分すべての csv を添付）"
        " / findings stored per code (default 1000, 0 = all); json/sarif/junit/csv list every stored one (the CSV's "
        "first line says so when capped), text shows 10 and html 20 per rule (html attaches the csv of every stored one)",
    )
    c.add_argument(
        "--jobs",
        type=jobs_arg,
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


def _add_spec(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sp = sub.add_parser("spec", help="仕様の取り込み・差分 / spec tools (import a workbook, diff two editions)")
    spsub = sp.add_subparsers(dest="spec_command", metavar="SUBCOMMAND", parser_class=_Parser)
    si = spsub.add_parser(
        "import",
        help="公式ワークブック（基本データリスト形式）を仕様JSONに変換 / convert an official workbook to spec JSON",
    )
    si.add_argument("workbook", metavar="WORKBOOK.xlsx", help="公式ワークブック（基本データリスト形式）/ the workbook")
    si.add_argument("-o", "--output", metavar="FILE", help="書き出し先（既定は標準出力）/ write to FILE")
    _add_lang(si)
    sd = spsub.add_parser(
        "diff",
        help="2つの版の差分（同じなら終了コード 0、違えば 1）/ what changed between two editions (exit 0 same, 1 different)",
        description="仕様ID・仕様JSON・公式ワークブックのどの組み合わせでも比べます。/ Compare built-in ids, spec JSON "
        "files or official workbooks, in any mix.",
    )
    sd.add_argument("old", metavar="OLD", help="旧版: 仕様ID、仕様JSON または .xlsx / old edition: spec id, JSON or .xlsx")
    sd.add_argument("new", metavar="NEW", help="新版 / new edition")
    sd.add_argument("--format", dest="diff_format", choices=("text", "markdown", "json", "html"), default="text",
                    help="出力形式（既定 text。markdown は変更履歴向け）/ output format (markdown for a change log)")
    sd.add_argument("-o", "--output", metavar="FILE", help="書き出し先（既定は標準出力）/ write to FILE")
    _add_lang(sd)


def _add_export(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    x = sub.add_parser(
        "export",
        help="組み込み仕様の JSON Schema・XSD・Pydantic モデルを書き出す / "
             "write JSON Schema, XSD and Pydantic models of the built-in specs",
    )
    x.add_argument("--out-dir", default="schemas", metavar="DIR", help="出力先（既定 schemas）/ output folder")
    x.add_argument("--format", action="append", choices=("json-schema", "xsd", "pydantic"), metavar="FORMAT",
                   help="json-schema / xsd / pydantic（型付きのレコードモデル <spec>_models.py）。繰り返し可、既定はすべて"
                        " / json-schema, xsd or pydantic (typed record models); repeatable, default all")
    _add_lang(x)


def _add_specs(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    s = sub.add_parser("specs", help="組み込みの仕様の一覧 / list built-in specs")
    s.add_argument("--json", action="store_true", help="JSON で出力 / print JSON")
    _add_lang(s)


def _add_explain(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    e = sub.add_parser("explain", help="指摘コードの説明（CODE なしで一覧）/ explain a finding code (none: list them)")
    e.add_argument("code", metavar="CODE", nargs="?", help="指摘コード（例 FLD002）。省略すると全コードの一覧 / a finding code")
    e.add_argument("--markdown", action="store_true",
                   help="Markdown で出力（ドキュメントと同じ文）/ print Markdown (the docs page's text)")
    _add_lang(e)


def _add_generate(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = sub.add_parser("generate", help="合成（架空）データを生成する / write synthetic sample data")
    g.add_argument("--spec", required=True, metavar="SPEC_ID",
                   help="仕様ID、deliverable（成果物一式をフォルダ -o DIR に）、migration（移行検証の組）"
                   " / spec id, deliverable, or migration (a legacy/standard pair into -o DIR)")
    g.add_argument("--defects", action="store_true",
                   help="deliverable・migration に意図した不備を入れる（デモ用）/ plant defects (deliverable, migration)")
    g.add_argument("--defect-rate", type=float, default=0.0, metavar="R",
                   help="各レコードに確率 R で1つの不備を入れ、期待される指摘を FILE.expected.json に書く"
                   " / plant one defect per record with probability R; expected findings go to FILE.expected.json")
    g.add_argument("--rows", type=int, default=100, metavar="N", help="行数（既定 100）/ records to write")
    g.add_argument("--seed", type=int, default=0, help="乱数の種（同じ種なら同じデータ）/ random seed")
    g.add_argument("--encoding", default="utf-8", metavar="ENC", help="文字コード（既定 utf-8）/ output encoding")
    g.add_argument("-o", "--output", required=True, metavar="FILE",
                   help="書き出し先（既存のファイルは上書きしない）/ where to write (never overwritten)")
    _add_lang(g)


def _add_own_parser(name: str, help_text: str) -> Callable[[argparse._SubParsersAction], None]:  # type: ignore[type-arg]
    """A command that parses its own arguments (chars, reconcile): listed in ``--help`` only."""

    def add(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
        sub.add_parser(name, help=help_text, add_help=False)

    return add


def _run_chars(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.cli.chars import chars_main

    return chars_main(args.rest, stdout, stderr)


def _run_reconcile(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.cli.reconcile import reconcile_main

    return reconcile_main(args.rest, stdout, stderr)


def _run_migration(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.cli.migration import migration_main

    return migration_main([args.command, *args.rest], stdout, stderr)


def _run_generate_reconcile(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    from kikan_std.cli.reconcile import generate_main

    return generate_main(args.rest, stdout, stderr)


COMMANDS: dict[str, tuple[Callable[[argparse._SubParsersAction], None], Handler]] = {  # type: ignore[type-arg]
    "check": (_add_check, cmd_check),
    "spec": (_add_spec, lambda a, out, err: cmd_spec(a, out)),
    "export": (_add_export, lambda a, out, err: cmd_export(a, out)),
    "specs": (_add_specs, lambda a, out, err: cmd_specs(a, out)),
    "explain": (_add_explain, lambda a, out, err: cmd_explain(a, out)),
    "chars": (_add_own_parser("chars", "文字ごとに標準文字かを調べる / check each character against the standard set"),
              _run_chars),
    "reconcile": (_add_own_parser("reconcile", "申請データと対象者名簿の突合、振込ファイルの作成"
                                  " / match applications to the beneficiary list"), _run_reconcile),
    "generate-reconcile": (_add_own_parser("generate-reconcile", "突合用の合成データを生成"
                                           " / write synthetic applications and beneficiaries"),
                           _run_generate_reconcile),
    "generate": (_add_generate, lambda a, out, err: cmd_generate(a, out)),
    "profile": (_add_own_parser("profile", "抽出データを項目ごとに集計（移行検証）/ profile an extract"), _run_migration),
    "compare": (_add_own_parser("compare", "2つの抽出を比較（移行検証、終了コード 0/1/2）/ compare two extracts"),
                _run_migration),
    "mapping": (_add_own_parser("mapping", "旧データの対応表の下書き（mapping draft）/ draft a legacy mapping"),
                _run_migration),
    "serve": (add_serve_parser, cmd_serve),
    "manifest": (add_manifest, cmd_manifest),
}
"""Every command: the function registering its arguments and its handler (``--help`` lists them in this order)."""

_OWN_PARSER = ("chars", "reconcile", "generate-reconcile", "profile", "compare", "mapping")


def _build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kikan-std",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"kikan-std {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for add, _ in COMMANDS.values():
        add(sub)
    return p


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI; return the exit code. Streams are injectable for tests."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    lang = lang_of(args_list)
    try:
        if args_list[:1] and args_list[0] in _OWN_PARSER:
            # These commands parse their own arguments (and print their own --help).
            return COMMANDS[args_list[0]][1](argparse.Namespace(command=args_list[0], rest=args_list[1:]), out, err)
        parser = _build_parser()
        try:
            with contextlib.redirect_stdout(out):  # --help / --version print to the injected stream
                args = parser.parse_args(args_list)
        except SystemExit as e:  # --help / --version
            return int(e.code or 0)
        if args.command is None:
            parser.print_help(out)
            return EXIT_USAGE
        return COMMANDS[args.command][1](args, out, err)
    except BrokenPipeError:  # output closed early (e.g. piped to head): nothing more to say
        return EXIT_INTERNAL
    except (Exception, KeyboardInterrupt) as e:  # by type (cli.exits): 2 usage/input, 3 internal; no traceback
        return report_error(e, lang, err)


def _tolerant_console() -> None:
    """On a console that cannot show every character (CP932 on Japanese Windows), print ``?`` for the
    rest instead of failing: the report itself is complete in the files ``-o`` writes (always UTF-8)."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        reconfigure = getattr(stream, "reconfigure", None)
        if not encoding.startswith("utf") and reconfigure is not None:
            reconfigure(errors="replace")


def console_main() -> None:
    """Entry point of the ``kikan-std`` console script."""
    _tolerant_console()
    sys.exit(main())


__all__ = ["COMMANDS", "console_main", "main"]
