"""``kikan-std serve``: start the local web app and REST API (needs the ``web`` extra; docs/web.md)."""

from __future__ import annotations

import argparse
import os
import secrets
from pathlib import Path
from typing import Any, TextIO

from kikan_std.errors import UsageError

TOKEN_ENV = "KIKAN_STD_WEB_TOKEN"


def add_serve_parser(sub: argparse._SubParsersAction[Any]) -> None:
    """The ``serve`` subcommand's options."""
    s = sub.add_parser(
        "serve",
        help="監査担当者向けの画面と CI 向け REST API を起動する / start the local web app and REST API",
        description="ブラウザで使う画面（適合性の検査、移行検証＝移行前と移行後の比較、突合＝給付の申請と対象者名簿）と"
        " REST API を起動します（既定は 127.0.0.1 のみ）。 / Start the web app (conformance check; migration check:"
        " compare the old and the new extract; reconcile benefit applications with the beneficiary list, masked, no"
        " transfer file) and the REST API (loopback only by default). See docs/web.md.",
    )
    s.add_argument("--host", default="127.0.0.1", help="待ち受けるアドレス（既定 127.0.0.1）/ address to bind")
    s.add_argument("--port", type=int, default=8765, help="ポート（既定 8765）/ port")
    s.add_argument("--allow-remote", action="store_true",
                   help="127.0.0.1 以外での待ち受けを許可する（トークン必須）/ allow a non-loopback --host (token required)")
    s.add_argument("--token", default=None,
                   help=f"REST API のトークン（既定 ${TOKEN_ENV}、なければ生成）/ API token (default ${TOKEN_ENV} or generated)")
    s.add_argument("--data-dir", metavar="DIR", default=None,
                   help="実行履歴（SQLite: 検査と移行検証のレポート・画面で登録した承認。データは選んだ実行だけ）を保存するフォルダ"
                        " / folder of the run history (check and 移行検証 reports, waivers recorded on the page;"
                        " data only when asked)")
    s.add_argument("--max-upload-mb", type=int, default=512, metavar="N",
                   help="アップロードの上限 MiB（既定 512）/ largest upload in MiB")
    s.add_argument("--max-seconds", type=float, default=600, metavar="S",
                   help="1回の検査の時間制限（秒、既定 600）/ time limit of one run")
    s.add_argument("--workers", type=int, default=2, metavar="N", help="同時に検査する数（既定 2）/ runs at once")


def cmd_serve(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run the server until interrupted."""
    try:
        import uvicorn

        from kikan_std.web import WebConfig, create_app, is_loopback
    except ImportError:
        raise UsageError(
            "serve には web エクストラが必要です: pip install 'kikan-std[web]' / serve needs the web extra"
        ) from None
    if args.max_upload_mb < 1 or args.workers < 1 or args.max_seconds <= 0:
        raise UsageError("--max-upload-mb / --workers / --max-seconds は正の数 / must be positive")
    token = None
    if not is_loopback(args.host):
        if not args.allow_remote:
            raise UsageError(
                f"{args.host} で待ち受けるには --allow-remote が必要です（既定は 127.0.0.1 のみ）"
                f" / binding {args.host} needs --allow-remote"
            )
        token = args.token or os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(24)
        stderr.write(
            f"kikan-std: 警告: {args.host} で待ち受けます。同じネットワークの他の端末から接続できます。"
            f"トークンが必要です / warning: reachable from other machines; every request needs the token\n"
            f"  token: {token}\n  画面 / page: http://{args.host}:{args.port}/?token={token}\n"
        )
    config = WebConfig(
        host=args.host, port=args.port, token=token, max_upload_bytes=args.max_upload_mb * 1024 * 1024,
        max_seconds=args.max_seconds, workers=args.workers,
        data_dir=Path(args.data_dir) if args.data_dir else None,
    )
    stdout.write(f"kikan-std serve: http://{args.host}:{args.port}/ （Ctrl+C で終了 / to stop）\n")
    stdout.flush()
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0
