"""Command-line entry points: ``kikan-std reconcile`` and ``kikan-std generate-reconcile``.

Both take ``argv`` (without the program and sub-command names) and the output streams, and return
the exit status: 0 success, 2 bad input or usage (one line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pydantic import ValidationError

from kikan_std.api import check
from kikan_std.cli.exits import lang_of, report_error
from kikan_std.errors import ArgumentsError, InputError, OutputError, UsageError
from kikan_std.jp import zengin
from kikan_std.options import DEFAULT_MASK_KEY, MASK_KEY_ENV
from kikan_std.reconcile import Audit, Summary, load_mapping, reconcile_to
from kikan_std.reconcile.generate import DEFAULT_SEED, GenConfig, generate_files
from kikan_std.reconcile.match import DEFAULT_THRESHOLD

__all__ = ["generate_main", "reconcile_main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentsError(detail=message)


def _reconcile_parser() -> _Parser:
    p = _Parser(
        prog="kikan-std reconcile",
        description="申請データを住民基本台帳由来の給付対象者名簿と突合します。支払って安全な組だけを自動で一致とし、"
        "他は理由付きで要確認にします。個人情報は既定でマスクし、出力に監査情報を記録します"
        " (match applications to the beneficiary list; only pairs safe to pay are matched automatically,"
        " the rest go to review with reasons; personal values masked; audit trail in every output).",
        add_help=True,
    )
    p.add_argument("applications", help="申請データCSV (applications CSV)")
    p.add_argument("beneficiaries", help="給付対象者名簿CSV (beneficiary list CSV)")
    p.add_argument("-o", "--output", metavar="OUT", help="出力先ファイル（省略時は標準出力）")
    p.add_argument(
        "--output-format",
        choices=("json", "csv", "html"),
        default="json",
        help="出力形式 json|csv|html (既定 json)",
    )
    p.add_argument(
        "--encoding", default="auto", help="入力の文字コード: auto（既定）, utf-8, utf-8-sig, cp932"
    )
    p.add_argument("--amount", type=int, default=100_000, help="1人あたりの給付額（既定 100000）")
    p.add_argument("--threshold", type=float, default=None, help="自動一致・要確認の候補とする信頼度の下限（既定 0.75）。自動一致には支払の安全条件（同じ丁目・番・号など）も必要")
    p.add_argument("--mapping", metavar="FILE", help='列名の対応表 (JSON: {"世帯主氏名": "申請者氏名", ...})')
    p.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="名簿の正規化と申請の照合に使うプロセス数（既定 1。各プロセスが入力ファイルを自分で読み、2,000件ごとに分担。"
        "結果は同じ。Linux 等 fork のある環境のみ） / processes that normalise the list and score the"
        " applications, each reading the input files itself (default 1; same result; where fork exists)",
    )
    p.add_argument("--transfer-file", metavar="OUT", help="全銀協 総合振込ファイルの出力先")
    p.add_argument("--transfer-config", metavar="FILE", help="振込依頼人の設定 (JSON)")
    p.add_argument(
        "--show-values",
        action="store_true",
        help="個人情報（氏名・住所・生年月日・口座）をマスクせずに出力します（出力に警告を記録） / "
        "show personal values in clear (a warning is recorded in the output)",
    )
    p.add_argument(
        "--mask-key",
        metavar="KEY",
        help="マスクの照合用ハッシュの鍵（環境変数 KIKAN_STD_MASK_KEY 推奨、check と共通） / key of the "
        "masking hashes (prefer KIKAN_STD_MASK_KEY; shared with check)",
    )
    return p


def _load_json(path: str, what: tuple[str, str]) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(ja=f"{what[0]}がありません: {path}", en=f"{what[1]} not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(ja=f"{what[0]}を読めません: {path} ({e})", en=f"cannot read the {what[1]}: {path} ({e})") from None


TRANSFER_SPEC = "zengin_sogo_furikomi"
"""The built-in spec every transfer file written by ``reconcile --transfer-file`` is checked against."""


def _validate_transfer(tmp: Path) -> int:
    """Check the transfer file written to ``tmp`` against :data:`TRANSFER_SPEC`.

    Uses the same engine, spec and fixed-width reader as ``kikan-std check --spec
    zengin_sogo_furikomi``; the caller moves the file into place only when this passes, so a bad
    file never appears.

    Returns:
        The number of records checked.

    Raises:
        InputError: the file does not pass (with the first finding's code and record).
    """
    report = check(tmp, spec=TRANSFER_SPEC, input_format="fixed", max_findings=1)
    if not report.valid:
        first = report.findings[0] if report.findings else None
        where_ja = f"{first.code} レコード{first.record}" if first is not None else "規則を実行できません"
        where_en = f"{first.code} record {first.record}" if first is not None else "a rule could not run"
        raise InputError(ja=f"振込ファイルの検証に失敗しました（{TRANSFER_SPEC}）: {where_ja}",
                         en=f"the transfer file fails {TRANSFER_SPEC}: {where_en}")
    return report.inputs[0].records


def _temp_beside(target: Path, what: str) -> Path:
    """A new empty temporary file in ``target``'s folder (moved onto ``target`` when complete).

    Raises:
        OutputError: the folder does not exist or cannot be written, or ``target`` is a folder.
    """
    if target.is_dir():
        raise OutputError(path=what, reason="Is a directory")
    try:
        fd, name = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", suffix=".tmp",
                                    prefix=f".{target.name}.")
    except OSError as e:
        raise OutputError(path=what, reason=e.strerror or type(e).__name__) from None
    os.close(fd)
    return Path(name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _mask_key(arg: str | None) -> bytes:
    """The masking key: ``--mask-key``, else ``KIKAN_STD_MASK_KEY``, else the public default (as in check)."""
    key = arg if arg is not None else os.environ.get(MASK_KEY_ENV)
    if key is None:
        return DEFAULT_MASK_KEY
    if not key:
        raise UsageError(ja=f"--mask-key / {MASK_KEY_ENV} が空です", en=f"the mask key (--mask-key / {MASK_KEY_ENV}) is empty")
    return key.encode("utf-8")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise BrokenPipeError."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def reconcile_main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """``kikan-std reconcile APPLICATIONS BENEFICIARIES [-o OUT] [--output-format json|csv|html] …``."""
    lang = lang_of(argv)
    temps: list[Path] = []
    try:
        args = _reconcile_parser().parse_args(argv)
    except ArgumentsError as e:
        return report_error(e, lang, stderr, prog="kikan-std reconcile")
    except SystemExit as e:  # --help
        return int(e.code or 0)
    try:
        if bool(args.transfer_file) != bool(args.transfer_config):
            raise UsageError(ja="--transfer-file と --transfer-config は一緒に指定してください",
                             en="--transfer-file and --transfer-config go together")
        if args.jobs < 1:
            raise UsageError(ja="--jobs は1以上の整数で指定してください", en="--jobs must be a whole number >= 1")
        if args.amount < 0:
            raise UsageError(ja="--amount は0以上の整数で指定してください", en="--amount must be a whole number >= 0")
        mapping = load_mapping(args.mapping) if args.mapping else None
        config = None
        if args.transfer_config:
            try:
                config = zengin.TransferConfig.model_validate(
                    _load_json(args.transfer_config, ("振込依頼人の設定", "transfer configuration")))
            except ValidationError as e:
                first = e.errors()[0]
                loc = ".".join(str(x) for x in first["loc"])
                raise UsageError(ja=f"振込依頼人の設定が不正です: {loc}: {first['msg']}",
                                 en=f"bad transfer configuration: {loc}: {first['msg']}") from None
        mask_key = _mask_key(args.mask_key)
        _run(args, mapping, config, mask_key, stdout, temps)
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more to say, and no traceback at exit.
        _silence_stdout()
        return 0
    except (UsageError, InputError, OutputError) as e:  # ReconcileInputError is an InputError
        return report_error(e, lang, stderr, prog="kikan-std reconcile")
    except (OSError, ValueError) as e:  # writing the transfer file; an amount that does not fit its digits
        return report_error(UsageError(f"{type(e).__name__}: {e}"), lang, stderr, prog="kikan-std reconcile")
    finally:
        for t in temps:  # what was not moved into place (an error stopped the run)
            t.unlink(missing_ok=True)
    return 0


def _run(args: argparse.Namespace, mapping: Any, config: zengin.TransferConfig | None, mask_key: bytes,
         stdout: TextIO, temps: list[Path]) -> None:
    """Reconcile and write the report (and the transfer file) as the applications are decided.

    The report goes to a temporary file next to ``-o`` (or, for standard output, an anonymous one
    copied out at the end) and the transfer file to one next to its target; each is moved into place
    only when complete and, for the transfer file, valid, so an error never leaves half a file.
    """
    enc = "utf-8-sig" if args.output_format == "csv" else "utf-8"
    target = Path(args.output) if args.output else None
    tmp_out = _temp_beside(target, args.output) if target is not None else None
    if tmp_out is not None:
        temps.append(tmp_out)
        # The report gets the permissions a newly created file gets (mkstemp makes it private).
        umask = os.umask(0)
        os.umask(umask)
        tmp_out.chmod(0o666 & ~umask)
    tmp_transfer = None
    if config is not None:
        tmp_transfer = _temp_beside(Path(args.transfer_file), args.transfer_file)
        temps.append(tmp_transfer)
    with contextlib.ExitStack() as stack:
        if tmp_out is not None:
            out: TextIO = stack.enter_context(tmp_out.open("w", encoding=enc, newline=""))
        else:
            out = stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
        transfer = stack.enter_context(tmp_transfer.open("wb")) if tmp_transfer is not None else None

        def place_transfer(audit: Audit, summary: Summary) -> None:
            # Every payee is written: check the file, then move it into place before the report says so.
            assert transfer is not None and tmp_transfer is not None
            transfer.close()
            records = _validate_transfer(tmp_transfer)
            digest = _sha256(tmp_transfer)
            os.replace(tmp_transfer, args.transfer_file)
            audit.transfer_file = {
                "file": Path(args.transfer_file).name,
                "sha256": digest,
                "records": records,
                "transfers": summary.transferable,
                "amount": summary.transferable_amount,
                "validated_spec": TRANSFER_SPEC,
                "valid": True,
            }

        reconcile_to(
            args.applications,
            args.beneficiaries,
            out,
            output_format=args.output_format,
            show_values=args.show_values,
            mask_key=mask_key,
            transfer=transfer,
            transfer_config=config,
            before_audit=place_transfer if transfer is not None else None,
            encoding=args.encoding,
            amount_per_person=args.amount,
            mapping=mapping,
            threshold=DEFAULT_THRESHOLD if args.threshold is None else args.threshold,
            jobs=args.jobs,
        )
        out.flush()
        if target is None:
            out.seek(0)
            shutil.copyfileobj(out, stdout, 1 << 20)
            stdout.flush()
    if tmp_out is not None and target is not None:
        os.replace(tmp_out, target)


def generate_main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """``kikan-std generate-reconcile N OUT_DIR [--seed S] [--encoding utf-8|cp932]``."""
    p = _Parser(
        prog="kikan-std generate-reconcile",
        description="突合の検証用に、異体字・住所表記・和暦などの揺れを入れた合成データを作ります"
        " (synthetic beneficiaries, applications and ground truth).",
    )
    p.add_argument("households", type=int, help="世帯数")
    p.add_argument("out_dir", help="出力先ディレクトリ（beneficiaries.csv, applications.csv, truth.csv）")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="乱数の種")
    p.add_argument("--encoding", default="utf-8", help="CSVの文字コード（utf-8, utf-8-sig, cp932）")
    lang = lang_of(argv)
    try:
        args = p.parse_args(argv)
        if args.households < 1:
            raise UsageError(ja="世帯数は1以上で指定してください", en="households must be 1 or more")
        paths = generate_files(
            args.households, args.out_dir, GenConfig(seed=args.seed), encoding=args.encoding
        )
    except UsageError as e:
        return report_error(e, lang, stderr, prog="kikan-std generate-reconcile")
    except SystemExit as e:
        return int(e.code or 0)
    except (OSError, LookupError, UnicodeEncodeError) as e:  # the folder, the encoding name, or a character
        err = UsageError(f"{type(e).__name__}: {e}")
        return report_error(err, lang, stderr, prog="kikan-std generate-reconcile")
    for path in paths:
        print(path, file=stdout)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(reconcile_main(sys.argv[1:], sys.stdout, sys.stderr))
