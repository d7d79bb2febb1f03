"""``kikan-std profile``, ``kikan-std compare`` and ``kikan-std mapping draft`` (移行検証).

:func:`migration_main` takes ``argv`` from the sub-command name on and the output streams, and
returns the exit status: compare 0 (no unexplained difference) / 1 (differences) / 2 (usage or
input problem); profile and mapping draft 0 / 2. Bad input is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from kikan_std.errors import InputError, UsageError

if TYPE_CHECKING:
    from kikan_std.migration.model import CompareReport

__all__ = ["generate_migration", "migration_main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
DASK_CONNECT_TIMEOUT = "10s"
"""How long ``compare --dask-scheduler`` tries to reach the scheduler."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", required=True, metavar="SPEC_ID", help="仕様ID（例 jumin_kiroku）/ spec id")
    p.add_argument("--group", metavar="NAME", help="仕様のグループ（既定は対応表のもの、なければ最初）/ the spec's group")
    p.add_argument("--output-format", choices=("text", "json", "html"), default="text",
                   help="出力形式 text（既定）/ json / html")
    p.add_argument("-o", "--output", metavar="FILE", help="書き出し先（既定は標準出力）/ write to FILE")
    p.add_argument("--show-values", action="store_true",
                   help="差異の例に値を表示する（個人情報を含む）/ show values in examples (personal ones too)")


def _parser(command: str) -> _Parser:
    if command == "profile":
        p = _Parser(prog="kikan-std profile", description=(
            "抽出データを項目ごとに集計します（入力率・空欄・不詳日・異なり数・範囲・桁数分布・コード分布・金額合計・世帯）。"
            "個人情報の項目は件数と率のみ。/ Profile an extract item by item; personal items get counts and rates only."))
        p.add_argument("path", metavar="PATH", help="CSV ファイル / CSV file")
        _common(p)
        p.add_argument("--encoding", default="utf-8", metavar="ENC", help="文字コード（既定 utf-8）/ encoding")
        p.add_argument("--mapping", metavar="FILE.toml", help="旧データの対応表（旧抽出を標準の項目で読む）/ legacy mapping")
        return p
    if command == "compare":
        p = _Parser(prog="kikan-std compare", description=(
            "同じデータの2つの抽出を比較します（旧システムの抽出→標準の出力は --mapping で、同じ仕様の v1→v2 はそのまま）。"
            "終了コード 0 説明のない差異なし / 1 差異あり / 2 使い方・入力の誤り。"
            " / Compare two extracts of the same data; exit 0 no unexplained difference, 1 differences, 2 usage."))
        p.add_argument("before", metavar="BEFORE", help="移行前（旧抽出・v1）/ legacy extract or v1")
        p.add_argument("after", metavar="AFTER", help="移行後（標準の出力・v2）/ standard export or v2")
        _common(p)
        p.add_argument("--mapping", metavar="FILE.toml", help="旧データの対応表（BEFORE に適用）/ legacy mapping for BEFORE")
        p.add_argument("--encoding", default="utf-8", metavar="ENC", help="AFTER の文字コード（既定 utf-8）")
        p.add_argument("--before-encoding", default="utf-8", metavar="ENC",
                       help="BEFORE の文字コード（対応表がないとき。既定 utf-8）")
        p.add_argument("--key-map", metavar="FILE.csv", help="キーの対応表（旧キー,新キー。例 宛名番号の振替）/ old→new keys")
        p.add_argument("--expected", metavar="FILE.toml",
                       help="想定どおりの差異（項目・種類・理由・期限）/ expected differences (item, kind, reason, expiry)")
        p.add_argument("--tolerance", action="append", default=[], metavar="[KIND=]RATE",
                       help="許容する率（例 0.001 や fill_rate_dropped=0.01、繰り返し可）/ tolerated rate per kind")
        p.add_argument("--mask-key", metavar="KEY", help="マスクの照合用ハッシュの鍵 / key of the masking hashes")
        p.add_argument("--dask-scheduler", metavar="ADDR",
                       help="Dask クラスタで比較する（例 tcp://scheduler:8786。結果は1プロセスと同じ。"
                            "要 kikan-std[dask]）/ run the comparison on this Dask cluster (same report)")
        return p
    p = _Parser(prog="kikan-std mapping draft", description=(
        "旧システムの抽出の見出しと値の形から対応表（TOML）の下書きを作ります。人が確認してから使います。"
        " / Draft a mapping from a legacy extract's header and value shapes, for a person to confirm."))
    p.add_argument("legacy", metavar="LEGACY.csv")
    p.add_argument("--spec", required=True, metavar="SPEC_ID")
    p.add_argument("--group", metavar="NAME")
    p.add_argument("--encoding", default="auto", metavar="ENC", help="文字コード（既定 auto: utf-8 か cp932）")
    p.add_argument("-o", "--output", metavar="FILE", help="書き出し先（既定は標準出力）/ write to FILE")
    return p


def _write(text: str, output: str | None, stdout: TextIO, inputs: Sequence[str]) -> None:
    if output is None:
        stdout.write(text)
        return
    out = Path(output).resolve()
    if any(Path(i).resolve() == out for i in inputs if i):
        raise UsageError(f"入力ファイルには書き出しません / will not overwrite an input: {output}")
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {output}: {e.strerror}") from None


def migration_main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """Run ``profile``, ``compare`` or ``mapping draft``; ``argv`` starts with the command name."""
    command = argv[0]
    rest = argv[1:]
    if command == "mapping":
        if rest[:1] != ["draft"]:
            stderr.write("kikan-std: 使い方 / usage: kikan-std mapping draft LEGACY.csv --spec SPEC_ID [-o FILE]\n")
            return EXIT_USAGE
        rest = rest[1:]
    # Errors go up to kikan_std.cli.main, which maps their type to an exit code and a message.
    try:
        with contextlib.redirect_stdout(stdout):
            args = _parser(command).parse_args(rest)
    except SystemExit as e:  # --help
        return int(e.code or 0)
    if command == "profile":
        return _profile(args, stdout)
    if command == "compare":
        return _compare(args, stdout)
    return _draft(args, stdout)


def _profile(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.migration import profile
    from kikan_std.migration.html import profile_html

    r = profile(args.path, args.spec, group=args.group, encoding=args.encoding, mapping=args.mapping,
                show_values=args.show_values)
    if args.output_format == "json":
        text = r.model_dump_json(indent=1) + "\n"
    elif args.output_format == "html":
        text = profile_html(r)
    else:
        lines = [f"{r.file}: {r.records:,} レコード / records ({r.spec} {r.group})"
                 + (f"、対応表で除外 {r.excluded:,}" if r.excluded else "")]
        for it in r.items:
            extra = f" 不詳 {it.unknown_rate:.1%}" if it.unknown_date else ""
            rng = f" {it.min}〜{it.max}" if it.min is not None else ""
            lines.append(f"  {it.name}{' [個人]' if it.personal else ''}: 入力 {it.filled_rate:.1%}{extra}"
                         f" 異なり {it.distinct:,}{rng}")
        if r.households:
            lines.append(f"  世帯 / households: {r.households.households:,}")
        text = "\n".join(lines) + "\n"
    _write(text, args.output, stdout, [args.path])
    return EXIT_OK


def _compare(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.migration.compare import compare, parse_tolerance
    from kikan_std.migration.html import KIND_JA, compare_html
    from kikan_std.options import DEFAULT_MASK_KEY, MASK_KEY_ENV

    key = args.mask_key or os.environ.get(MASK_KEY_ENV)
    kwargs: dict[str, Any] = dict(group=args.group, mapping=args.mapping, before_encoding=args.before_encoding,
                                  after_encoding=args.encoding, key_map=args.key_map, expected=args.expected,
                                  tolerance=parse_tolerance(args.tolerance), show_values=args.show_values,
                                  mask_key=key.encode("utf-8") if key else DEFAULT_MASK_KEY)
    r = (_compare_on_dask(args, kwargs) if args.dask_scheduler
         else compare(args.before, args.after, args.spec, **kwargs))
    if args.output_format == "json":
        text = r.model_dump_json(indent=1) + "\n"
    elif args.output_format == "html":
        text = compare_html(r)
    else:
        verdict = {"no_difference": "差異なし / no difference",
                   "explained": "差異はすべて想定どおり・許容範囲内 / every difference explained",
                   "differences": "説明のない差異あり / unexplained differences"}[r.verdict]
        lines = [f"{r.before.file} → {r.after.file}: {verdict}",
                 f"  レコード {r.before.records:,} → {r.after.records:,}、突き合わせ {r.matched:,}、項目 {r.items_compared}"
                 + (f"、対応表で除外 {r.before.excluded:,}" if r.before.excluded else "")]
        status = {"unexplained": "説明なし", "expected": "想定どおり", "within_tolerance": "許容範囲"}
        for d in r.differences:
            ex = ", ".join("/".join(e.key.values()) + (f" {e.before}→{e.after}" if e.before is not None
                                                       or e.after is not None else "") for e in d.examples[:3])
            lines.append(f"  [{status[d.status]}] {d.kind} {KIND_JA.get(d.kind, '')} {d.item or '（レコード）'}: "
                         f"{d.count:,} 件 ({d.rate:.2%})" + (f" 例 {ex}" if ex else "") + (f" 理由: {d.reason}" if d.reason else ""))
        for e in r.expired_expectations:
            lines.append(f"  期限切れの想定差異 / expired expectation: {e}")
        text = "\n".join(lines) + "\n"
    _write(text, args.output, stdout, [args.before, args.after])
    return EXIT_OK if r.valid else EXIT_INVALID


def _compare_on_dask(args: argparse.Namespace, kwargs: dict[str, Any]) -> CompareReport:
    """``compare --dask-scheduler ADDR``: :func:`kikan_std.dask.compare` on that cluster."""
    try:
        from dask.distributed import Client

        import kikan_std.dask as kd
    except ImportError:
        raise UsageError("--dask-scheduler には Dask が必要です: pip install 'kikan-std[dask]'"
                         " / --dask-scheduler needs Dask: pip install 'kikan-std[dask]'") from None
    try:
        client = Client(args.dask_scheduler, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        raise UsageError(f"Dask のスケジューラーに接続できません / cannot connect to the Dask scheduler "
                         f"{args.dask_scheduler}: {e}") from None
    with client:
        report: CompareReport = kd.compare(args.before, args.after, args.spec, client=client, **kwargs)
    return report


def _draft(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.migration._db import pick_group
    from kikan_std.migration.mapping import draft_mapping
    from kikan_std.specs import load_spec

    spec = load_spec(args.spec)
    group = pick_group(spec, args.group)
    path = Path(args.legacy)
    if not path.is_file():
        raise InputError(f"ファイルがありません / file not found: {path}")
    enc = args.encoding
    if enc == "auto":
        try:
            path.read_bytes()[:1_000_000].decode("utf-8")
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "cp932"
        except OSError as e:
            raise InputError(f"読めません / cannot read {path}: {e.strerror}") from None
    try:
        with path.open(encoding="utf-8-sig" if enc == "utf-8" else enc, newline="") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            text = draft_mapping(header, reader, spec, group, enc)
    except FileNotFoundError:
        raise InputError(f"ファイルがありません / file not found: {path}") from None
    except (UnicodeDecodeError, LookupError) as e:
        raise InputError(f"文字コード {enc} で読めません / cannot decode {path} as {enc}: {e}") from None
    _write(text, args.output, stdout, [args.legacy])
    return EXIT_OK


def generate_migration(args: argparse.Namespace, stdout: TextIO) -> int:
    """``kikan-std generate --spec migration -o DIR [--rows N] [--defects]``."""
    from kikan_std.testing.generators.migration import DEFECTS, write_migration_pair

    if args.rows < 0:
        raise UsageError("--rows は 0 以上 / must be >= 0")
    try:
        counts = write_migration_pair(args.output, args.rows, args.seed, defects=args.defects)
    except FileExistsError:
        raise UsageError(f"空でないフォルダには書き出しません / will not write into a non-empty folder: {args.output}") from None
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {args.output}: {e.strerror}") from None
    for name, n in counts.items():
        stdout.write(f"{args.output}/{name}: {n:,} rows\n")
    stdout.write(f"{args.output}/mapping.toml: 対応表 / the legacy mapping\n")
    if args.defects:
        stdout.write("意図した移行の不備 / planted migration defects (planted.json):\n"
                     + "".join(f"  - {d}\n" for d in DEFECTS))
    return EXIT_OK
