"""``kikan-std chars``: the character explainer on the command line (parse and print only)."""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path
from typing import Literal, NoReturn, TextIO

from kikan_std.cli.exits import lang_of, report_error
from kikan_std.errors import ArgumentsError, CannotOpenError, GjTableError, InputError, UsageError
from kikan_std.jp.chars import (
    INVISIBLE_CHARS,
    CharInfo,
    codepoint_text,
    control_name,
    describe,
    is_control,
    is_mark,
    is_selector,
    parse_gj_table,
)


def _display(s: str) -> str:
    """A printable form of a character for the terminal and JSON (controls and surrogates escaped)."""
    out: list[str] = []
    for c in s:
        cp = ord(c)
        if is_control(cp):
            out.append(f"<{control_name(cp)}>")
        elif 0xD800 <= cp <= 0xDFFF:
            out.append(f"\\u{cp:04x}")
        elif (is_selector(cp) and not out) or c in INVISIBLE_CHARS:
            out.append(f"<U+{cp:04X}>")
        else:
            out.append(c)
    return "".join(out)


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else (0 if is_mark(c) else 1) for c in s)


def _pad(s: str, width: int) -> str:
    return s + " " * max(0, width - _width(s))


def format_describe(infos: list[CharInfo], lang: Literal["ja", "en"] = "ja") -> str:
    """A readable table of :func:`describe` results for the terminal."""
    if lang == "ja":
        head = ("位置", "文字", "符号位置", "判定", "MJ", "JIS X 0213", "理由", "候補")
        ok, ng, note = "標準", "非標準", "注意"
    else:
        head = ("pos", "char", "code points", "result", "MJ", "JIS X 0213", "reason", "suggestion")
        ok, ng, note = "standard", "NOT standard", "note"
    rows: list[tuple[str, ...]] = [head]
    for info in infos:
        verdict = (note if info.code else ok) if info.is_standard else ng
        mj = info.mj[0] + (f" +{len(info.mj) - 1}" if len(info.mj) > 1 else "") if info.mj else "-"
        reason = (info.reason_ja if lang == "ja" else info.reason_en) + (
            f" [{info.code}]" if info.code else ""
        )
        sug = _display(info.suggestion) if info.suggestion else ("-" if not info.shrink else "")
        if not info.suggestion and info.shrink and info.shrink != (info.char[0],):
            sug = ("縮退: " if lang == "ja" else "fallback: ") + "".join(info.shrink)
        elif not info.suggestion:
            sug = "-"
        elif not sug.strip():
            sug = info.suggestion and codepoint_text(info.suggestion)
        rows.append(
            (
                str(info.position),
                _display(info.char),
                info.codepoints,
                verdict,
                mj,
                info.jis or "-",
                reason,
                sug,
            )
        )
    widths = [max(_width(r[k]) for r in rows) for k in range(len(head))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _info_json(info: CharInfo) -> dict[str, object]:
    return {
        "position": info.position,
        "char": _display(info.char),
        "codepoints": info.codepoints,
        "is_standard": info.is_standard,
        "code": info.code,
        "reason": {"ja": info.reason_ja, "en": info.reason_en},
        "mj": list(info.mj),
        "jis": info.jis,
        "suggestion": _display(info.suggestion) if info.suggestion is not None else None,
        "shrink": list(info.shrink),
    }


_PATHLIKE_RE = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,5}$")


def chars_main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    """The ``kikan-std chars TEXT|FILE [--lang ja|en] [--json] [--gj-table FILE] [--text]`` tool.

    TEXT is checked as one ``Ｎ`` value. An argument naming an existing file is read as UTF-8 and
    every line is checked (``-`` is not special; use ``--text`` to force a literal). An argument
    that looks like a file name (has a path separator or an extension) but does not exist is an
    error rather than a text.

    Returns:
        0 when every character is standard (``info`` notes allowed), 1 otherwise, 2 on bad usage or
        an unreadable file (one line on ``stderr`` with the error kind, as every command: see
        :mod:`kikan_std.cli.exits`).
    """
    try:
        return _chars(argv, stdout)
    except (UsageError, InputError) as e:  # ArgumentsError, GjTableError, CannotOpenError
        return report_error(e, lang_of(argv), stderr, prog="kikan-std chars")


def _chars(argv: list[str], stdout: TextIO) -> int:

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise ArgumentsError(detail=message)

    ap = _Parser(prog="kikan-std chars", add_help=False)
    ap.add_argument("target")
    ap.add_argument("--lang", choices=("ja", "en"), default=lang_of(argv))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--gj-table", dest="gj_table")
    ap.add_argument("--text", action="store_true")
    ap.add_argument("-h", "--help", action="store_true")
    if "-h" in argv or "--help" in argv:
        stdout.write(
            "使い方: kikan-std chars TEXT|FILE [--lang ja|en] [--json] [--gj-table FILE] [--text]\n"
            "文字列（またはファイルの各行）の文字が行政事務標準文字"
            "（MJ文字・JIS X 0213・追加文字）かを1文字ずつ表示します。\n"
        )
        return 0
    args = ap.parse_args(argv)
    gj: frozenset[str] | None = None
    if args.gj_table is not None:
        try:
            gj = parse_gj_table(Path(args.gj_table).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            raise GjTableError(path=args.gj_table, detail=_os_reason(e)) from None
        except ValueError as e:
            raise GjTableError(path=args.gj_table, detail=str(e)) from None
    target: str = args.target
    lines: list[str]
    path = Path(target)
    is_file = False
    if not args.text:
        try:
            is_file = path.exists()
        except (OSError, ValueError):
            is_file = False
    if is_file:
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CannotOpenError(path=target, reason=_os_reason(e)) from None
        content = content.removeprefix("\ufeff")
        lines = [ln.removesuffix("\r") for ln in content.split("\n")]
        if lines and lines[-1] == "":
            lines.pop()
    elif not args.text and target.isascii() and _PATHLIKE_RE.search(target):
        raise UsageError(ja=f"ファイルが見つかりません: {target}（文字列として調べるには --text）",
                         en=f"file not found: {target} (use --text to check it as text)")
    else:
        lines = [target]
    results = [describe(line, gj_table=gj) for line in lines]
    all_ok = all(info.is_standard for infos in results for info in infos)
    if args.json:
        doc = {
            "all_standard": all_ok,
            "lines": [
                {"line": n, "text": _display(line), "chars": [_info_json(i) for i in infos]}
                for n, (line, infos) in enumerate(zip(lines, results, strict=True), 1)
            ],
        }
        stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    else:
        for n, (line, infos) in enumerate(zip(lines, results, strict=True), 1):
            if is_file:
                stdout.write(f"{'行' if args.lang == 'ja' else 'line'} {n}: {_display(line)}\n")
            stdout.write(format_describe(infos, args.lang) + "\n")
            if is_file and n < len(lines):
                stdout.write("\n")
        bad = sum(1 for infos in results for info in infos if not info.is_standard)
        if args.lang == "ja":
            stdout.write("すべて標準文字です。\n" if all_ok else f"標準外の文字が {bad} 文字あります。\n")
        else:
            stdout.write(
                "All characters are standard.\n" if all_ok else f"{bad} non-standard character(s).\n"
            )
    return 0 if all_ok else 1


def _os_reason(e: Exception) -> str:
    if isinstance(e, UnicodeDecodeError):
        return "not UTF-8"
    return getattr(e, "strerror", None) or e.__class__.__name__
__all__ = ["chars_main", "format_describe"]
