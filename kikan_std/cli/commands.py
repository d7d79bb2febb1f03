"""The other ``kikan-std`` commands: spec (import, diff), export, specs, explain, generate (parse, call the library, print)."""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from pathlib import Path
from typing import TextIO

from kikan_std.cli.check import ensure_not_input
from kikan_std.cli.exits import args_lang
from kikan_std.errors import OutputError, UsageError
from kikan_std.model.spec import Spec

EXIT_OK = 0


def _write(text: str, output: str | None, stdout: TextIO) -> None:
    if output is None:
        stdout.write(text)
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise OutputError(path=output, reason=e.strerror or type(e).__name__) from None


EXIT_DIFFERENT = 1


def _spec_arg(value: str) -> Spec:
    """A spec named on the command line: a built-in id, or a spec JSON / workbook file."""
    from kikan_std.specs import BUILTIN, load_spec, load_spec_file

    if value in BUILTIN:
        return load_spec(value)
    if Path(value).suffix.lower() in (".json", ".xlsx", ".xlsm") or Path(value).exists():
        return load_spec_file(value)  # SpecFileError / WorkbookError: exit 2
    return load_spec(value)  # UnknownSpecError lists the built-in ids (exit 2)


def cmd_spec_diff(args: argparse.Namespace, stdout: TextIO) -> int:
    """``spec diff OLD NEW``: print the changes; exit 0 when identical, 1 when different."""
    from kikan_std.model.diff import diff_specs, render_diff

    ensure_not_input(args.output, [args.old, args.new])
    diff = diff_specs(_spec_arg(args.old), _spec_arg(args.new))
    _write(render_diff(diff, args.diff_format), args.output, stdout)
    return EXIT_OK if diff.identical else EXIT_DIFFERENT


def cmd_spec(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.spec_command == "diff":
        return cmd_spec_diff(args, stdout)
    if args.spec_command != "import":
        raise UsageError(ja="使い方: kikan-std spec import WORKBOOK.xlsx [-o FILE] / kikan-std spec diff OLD NEW",
                         en="usage: kikan-std spec import WORKBOOK.xlsx [-o FILE] / kikan-std spec diff OLD NEW")
    from kikan_std.model.workbook import load_workbook

    ensure_not_input(args.output, [args.workbook])
    spec = load_workbook(args.workbook)  # WorkbookError (exit 2) names what is wrong
    _write(spec.model_dump_json(indent=1, exclude_defaults=True) + "\n", args.output, stdout)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.model.schemas import EXPORT_FORMATS
    from kikan_std.specs import write_schemas

    try:
        formats = tuple(args.format) if args.format else EXPORT_FORMATS
        written = write_schemas(Path(args.out_dir), formats)
    except OSError as e:
        raise OutputError(path=args.out_dir, reason=e.strerror or type(e).__name__) from None
    for path in written:
        stdout.write(f"{path}\n")
    return EXIT_OK


def cmd_specs(args: argparse.Namespace, stdout: TextIO) -> int:
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


_MARKUP = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


def _plain(text: str) -> str:
    """Markdown emphasis and code spans as plain text (a terminal shows the asterisks otherwise)."""
    return _MARKUP.sub(lambda m: m.group(1) or m.group(2), text)


def explain_for_terminal(code: str, lang: str) -> str:
    """A code's documentation laid out for a terminal: heading, facts, then each part indented."""
    from kikan_std.catalogue import entry, explain

    explain(code)  # UnknownCodeError (exit 2) for an unknown code
    e = entry(code.upper())
    ja = lang == "ja"
    labels = (("重大度", "根拠", "メッセージ", "何を検査するか", "なぜ重要か", "例", "直し方") if ja else
              ("Severity", "Clause", "Message", "What it checks", "Why it matters", "Example", "How to fix"))
    sev = {"error": "エラー", "warning": "警告", "info": "情報"}.get(e.severity, e.severity) if ja else e.severity
    head = f"{e.code} {e.slug} — {e.title['ja' if ja else 'en']}"
    width = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in head)
    out = [head, "=" * min(width, 78), f"{labels[0]}: {sev}", f"{labels[1]}: {e.clause}",
           f"{labels[2]}: {_plain(e.message['ja' if ja else 'en'])}"]
    for label, part in zip(labels[3:], ("what", "why", "example", "fix"), strict=True):
        out += ["", f"{label}:"]
        out += ["  " + line for line in _plain(getattr(e, part)["ja" if ja else "en"].strip()).splitlines()]
    more = "Markdown: kikan-std explain CODE --markdown"
    return "\n".join([*out, "", more]) + "\n"


def list_codes(lang: str) -> str:
    """Every code, one a line: code, severity, title (``kikan-std explain`` without a code)."""
    from kikan_std.catalogue import catalogue

    lang_key = "ja" if lang == "ja" else "en"
    rows = [f"{c}\t{e.severity}\t{e.title[lang_key]}" for c, e in catalogue().items()]
    hint = ("詳しくは kikan-std explain CODE" if lang_key == "ja" else "Details: kikan-std explain CODE")
    return "\n".join([*rows, "", hint]) + "\n"


def cmd_explain(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.catalogue import explain

    lang = args_lang(args)
    if args.code is None:
        stdout.write(list_codes(lang))
    elif args.markdown:
        stdout.write(explain(args.code, lang) + "\n")  # UnknownCodeError: exit 2
    else:
        stdout.write(explain_for_terminal(args.code, lang))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.testing.generate import write_sample

    if args.spec == "deliverable":
        return generate_deliverable(args, stdout)
    if args.spec == "migration":
        from kikan_std.cli.migration import generate_migration

        return generate_migration(args, stdout)
    s = write_sample(args.output, args.spec, args.rows, args.seed, encoding=args.encoding,
                     defect_rate=args.defect_rate)
    line = f"{s.path}: {s.rows:,} rows ({s.spec_id}, {s.encoding}, synthetic)"
    if s.expected_path is not None:
        line += f", {s.planted:,} planted defects listed in {s.expected_path}"
    stdout.write(line + "\n")
    return EXIT_OK


def generate_deliverable(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.testing.generators.deliverable import DEFECTS, write_deliverable

    if args.rows < 0:
        raise UsageError(ja=f"行数は 0 以上で指定してください: {args.rows}", en=f"rows must be >= 0: {args.rows}")
    if args.encoding.lower().replace("-", "") not in ("utf8",):
        raise UsageError(ja="成果物一式は UTF-8 で書き出します（--encoding は指定できません）",
                         en="the deliverable is written in UTF-8 (no --encoding)")
    try:
        counts = write_deliverable(args.output, args.rows, args.seed, defects=args.defects)  # OutputExistsError
    except OSError as e:
        raise OutputError(path=args.output, reason=e.strerror or type(e).__name__) from None
    for name, n in counts.items():
        stdout.write(f"{args.output}/{name}: {n:,} rows\n")
    if args.defects:
        stdout.write("意図した不備 / planted defects:\n" + "".join(f"  - {d}\n" for d in DEFECTS))
    return EXIT_OK
