"""Exit codes and error lines of every ``kikan-std`` command: exception TYPES map to exit codes, never message text.

Exit codes: 0 conformant, 1 not conformant, 2 usage or input problem, 3 internal error (130 interrupted).
An error is one line on stderr, ``kikan-std: エラー [kind]: message`` (``error`` with ``--lang en``); the
kind is the stable :attr:`kikan_std.errors.KikanStdError.kind`, for scripts and tests.
"""

from __future__ import annotations

import argparse
import os
import traceback
from collections.abc import Sequence
from typing import TextIO

from kikan_std.errors import InternalError, KikanStdError, Lang

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (InternalError, EXIT_INTERNAL),  # first: an InternalError is a KikanStdError too
    (KikanStdError, EXIT_USAGE),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
)
"""Exception type → exit code, first match wins; any other exception is an internal error (exit 3)."""

LANG_ENV = "KIKAN_STD_LANG"


def exit_code(e: BaseException) -> int:
    """The exit code for ``e`` by its type (:data:`EXIT_CODES`)."""
    for cls, code in EXIT_CODES:
        if isinstance(e, cls):
            return code
    return EXIT_INTERNAL


def lang_of(argv: Sequence[str]) -> Lang:
    """The message language: ``--lang en`` / ``--lang=en`` anywhere in ``argv``, else ``KIKAN_STD_LANG``, else ja.

    Read from the raw arguments so that an error found while parsing them is in the asked-for language too.
    """
    args = list(argv)
    for i, a in enumerate(args):
        if a == "--lang" and i + 1 < len(args):
            return "en" if args[i + 1] == "en" else "ja"
        if a.startswith("--lang="):
            return "en" if a.removeprefix("--lang=") == "en" else "ja"
    return "en" if os.environ.get(LANG_ENV) == "en" else "ja"


def args_lang(args: argparse.Namespace) -> Lang:
    """The message language of parsed arguments: their ``--lang``, else as :func:`lang_of` (``KIKAN_STD_LANG``, ja)."""
    lang = getattr(args, "lang", None)
    return lang if lang in ("ja", "en") else lang_of(())


def report_error(e: BaseException, lang: Lang, stderr: TextIO, prog: str = "kikan-std") -> int:
    """Write the one-line message for ``e`` to ``stderr``; return its exit code. Never a traceback (unless
    ``KIKAN_STD_DEBUG`` is set, for an internal error)."""
    code = exit_code(e)
    if isinstance(e, KeyboardInterrupt):
        stderr.write(f"{prog}: {'中断しました' if lang == 'ja' else 'interrupted'}\n")
        return code
    if code == EXIT_USAGE and isinstance(e, KikanStdError):
        label = "エラー" if lang == "ja" else "error"
        stderr.write(f"{prog}: {label} [{e.kind}]: {e.message(lang)}\n")
        return code
    label = "内部エラー" if lang == "ja" else "internal error"
    kind = e.kind if isinstance(e, KikanStdError) else "internal"
    text = e.message(lang) if isinstance(e, KikanStdError) else f"{type(e).__name__}: {e}"
    stderr.write(f"{prog}: {label} [{kind}]: {text}\n")
    if os.environ.get("KIKAN_STD_DEBUG"):
        traceback.print_exception(e, file=stderr)
    else:
        stderr.write(
            "  KIKAN_STD_DEBUG=1 で詳細を表示\n" if lang == "ja" else "  set KIKAN_STD_DEBUG=1 for details\n"
        )
    return code


__all__ = ["EXIT_CODES", "LANG_ENV", "exit_code", "lang_of", "report_error"]
