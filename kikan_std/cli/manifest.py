"""``kikan-std manifest DIR``: write a draft deliverable manifest for an auditor to confirm."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from kikan_std.cli.exits import args_lang
from kikan_std.errors import OutputError, OutputExistsError

EXIT_OK = 0


def add_manifest(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``manifest`` and its arguments."""
    m = sub.add_parser(
        "manifest",
        help="成果物一式のマニフェストの下書きを作る / draft a deliverable manifest",
        description="成果物一式（フォルダか .zip）の各ファイルの業務・グループをファイル名規約と日本語のフォルダー名・"
        "ファイル名から推定し、件数を数えてマニフェスト（TOML）の下書きを書き出します。内容を確認してから"
        "フォルダーの最上位に kikan-manifest.toml として置いてください。/ Drafts kikan-manifest.toml for a "
        "deliverable: spec and group of each file from its name, records counted now. Confirm it before use.",
    )
    m.add_argument("path", metavar="DIR", help="成果物一式のフォルダか .zip / the deliverable folder or zip")
    m.add_argument("-o", "--output", metavar="FILE",
                   help="書き出し先（既定は標準出力。既存のファイルは上書きしない）/ write to FILE (never overwritten)")
    m.add_argument("--encoding", default="utf-8", metavar="ENC",
                   help="件数を数えるときの文字コード（既定 utf-8、マニフェストにも記載）/ encoding to count records with")
    m.add_argument("--lang", choices=("ja", "en"), default=None,
                   help="メッセージの言語（既定 ja）/ language of messages")


def cmd_manifest(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Write the draft to ``-o`` (or stdout) and a one-line summary to stderr."""
    from kikan_std.deliverable import write_draft_manifest

    text, placed, unplaced = write_draft_manifest(args.path, args.encoding)
    if args.output is None:
        stdout.write(text)
    else:
        out = Path(args.output)
        if out.exists():
            raise OutputExistsError(path=out)
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as e:
            raise OutputError(path=out, reason=e.strerror or type(e).__name__) from None
    if args_lang(args) == "en":
        stderr.write(f"kikan-std: draft manifest: {placed} files placed, {unplaced} to complete by hand\n")
    else:
        stderr.write(f"kikan-std: マニフェストの下書き: {placed} ファイルを割り当て、{unplaced} ファイルは手で補ってください\n")
    return EXIT_OK
