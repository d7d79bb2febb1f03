"""The other ``kikan-std`` commands: spec, export, specs, explain, generate."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kikan_std.cli.check import ensure_not_input, input_error_ja, lang_of, write_output
from kikan_std.errors import UsageError

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


def cmd_spec(args: argparse.Namespace, stdout: TextIO) -> int:
    if args.spec_command != "import":
        raise UsageError("使い方 / usage: kikan-std spec import WORKBOOK.xlsx [-o FILE]")
    from kikan_std.errors import WorkbookError
    from kikan_std.model.workbook import load_workbook

    p = Path(args.workbook)
    if not p.is_file():
        raise UsageError(f"ファイルが見つかりません / file not found: {args.workbook}")
    ensure_not_input(args.output, [args.workbook])
    try:
        spec = load_workbook(p)
    except WorkbookError as e:
        raise UsageError(str(e)) from None
    write_output(spec.model_dump_json(indent=1, exclude_defaults=True) + "\n", args.output, stdout)
    return EXIT_OK


def cmd_export(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.specs import write_schemas

    try:
        written = write_schemas(Path(args.out_dir))
    except OSError as e:
        raise UsageError(f"書き出せません / cannot write {args.out_dir}: {e.strerror}") from None
    for path in written:
        stdout.write(f"{path}\n")
    return EXIT_OK


def cmd_specs(args: argparse.Namespace, stdout: TextIO) -> int:
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


def cmd_explain(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.catalogue import explain

    try:
        text = explain(args.code, lang_of(args))  # type: ignore[arg-type]
    except KeyError:
        raise UsageError(f"指摘コードが見つかりません / unknown code: {args.code}") from None
    stdout.write(text + "\n")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, stdout: TextIO) -> int:
    from kikan_std.errors import InputError
    from kikan_std.readers.csv_reader import normalise_encoding
    from kikan_std.testing.generate import GENERATORS, write_csv

    if args.spec == "deliverable":
        return generate_deliverable(args, stdout)
    if args.spec == "migration":
        from kikan_std.cli.migration import generate_migration

        return generate_migration(args, stdout)
    gen = GENERATORS.get(args.spec)
    if gen is None:
        raise UsageError(f"この仕様の生成器はありません / no generator for spec: {args.spec} ({', '.join(GENERATORS)})")
    if args.rows < 0:
        raise UsageError("--rows は 0 以上 / must be >= 0")
    try:
        enc = normalise_encoding(args.encoding)
    except InputError as e:
        raise UsageError(input_error_ja(str(e))) from None
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


def generate_deliverable(args: argparse.Namespace, stdout: TextIO) -> int:
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
