"""The library's entry points, one function per run: :func:`check` (files against a spec),
:func:`check_deliverable` (a whole deliverable, folder or zip) and :func:`check_editions` (files against
several editions of a spec, one :func:`check` each). ``check_deliverable`` is defined in
:mod:`kikan_std.deliverable` and imported from there on first use (start-up time of a plain check).

The facade ``kikan_std`` re-exports them; the CLI, the pytest plugin and the web app call them here.
Both build their options with the one builder, :mod:`kikan_std.engine.prepare`, as do the CLI (which
passes its parsed arguments as keyword arguments) and :mod:`kikan_std.dask`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from pydantic import BaseModel

from kikan_std.catalogue import Lang
from kikan_std.engine.prepare import RuleOptions, prepare
from kikan_std.engine.run import run_check, run_in_memory
from kikan_std.errors import UsageError
from kikan_std.findings import Finding
from kikan_std.model.spec import FixedWidthLayout, Spec
from kikan_std.options import FailOn, ProgressFn
from kikan_std.readers import open_bytes
from kikan_std.readers.csv_reader import Chunk, CsvSource
from kikan_std.readers.records_reader import iter_records
from kikan_std.report.baseline import Baseline
from kikan_std.report.model import FindingOut, Report
from kikan_std.report.waivers import Waivers

if TYPE_CHECKING:
    from kikan_std.deliverable import check_deliverable
    from kikan_std.report.editions import EditionComparison


def check(
    paths: str | Path | Sequence[str | Path],
    spec: str | Spec = "jutogai_atena",
    *,
    encoding: str = "utf-8",
    bom: Literal["allow", "require", "forbid"] = "allow",
    gj_table: frozenset[str] | str | Path | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    group: str | None = None,
    progress: ProgressFn | None = None,
    max_findings_total: int | None = None,
    baseline: str | Path | Baseline | None = None,
    waivers: str | Path | Waivers | None = None,
    fail_on: FailOn = "error",
    mask_key: str | bytes | None = None,
    input_format: str | None = None,
    layout: str | Path | FixedWidthLayout | None = None,
    jobs: int | Literal["auto"] = 1,
    rule_options: RuleOptions | None = None,
) -> Report:
    """Check data files against a spec and return the report.

    Args:
        paths: One path or several. Each file is one group (file) of the spec.
        spec: A built-in spec id (see :func:`list_specs`) or a :class:`Spec`.
        encoding: Input encoding; ``utf-8`` also accepts a BOM. Use ``cp932`` for legacy exports,
            ``shift_jis`` to hold a file to strict Shift_JIS (CP932-only characters are findings),
            ``auto`` to detect (the report says which was chosen; weak evidence is a warning).
        bom: The BOM contract for UTF-8 input: ``allow`` (default), ``require`` or ``forbid``.
        gj_table: 追加文字 (GJ) characters (see :func:`kikan_std.jp.chars.parse_gj_table`), or the path
            of a GJ table file.
        lang: Message language, ``ja`` (default) or ``en``.
        show_values: Show personal values unmasked in findings (off by default).
        max_findings: Findings stored per code (statistics stay complete); None keeps all.
        group: The group every file holds, when the spec has several and names do not tell.
        progress: Called with (file, records so far) after each chunk.
        max_findings_total: Findings stored overall; None (the library's default) keeps all. The CLI's
            default is 20000 (``--max-findings-total 0`` for none).
        baseline: A previous JSON report (path or loaded): findings become new / existing, and the
            report lists the fixed ones.
        waivers: A waiver file (TOML, see :mod:`kikan_std.report.waivers`) or loaded waivers.
        fail_on: ``error`` (any unwaived error fails) or ``new`` (only new ones; needs ``baseline``).
        mask_key: Key of the masking hashes; default: ``$KIKAN_STD_MASK_KEY``, else the built-in key
            (the report's ``mask_key`` says ``custom`` or ``default``). An empty key is refused.
        input_format: ``csv``, ``json``, ``xml`` or ``fixed``; default by extension
            (``.json``, ``.xml``, ``.dat``/``.fix``/``.fixed``; anything else is CSV).
        layout: Fixed-width layout (a JSON file or a :class:`FixedWidthLayout`); default the
            spec group's own layout.
        jobs: Processes for one big CSV file (findings identical to one process; see
            :mod:`kikan_std.engine.parallel` for when a file is checked in one process anyway);
            ``"auto"``: as many as this process may use CPUs.
        rule_options: Per-run switches of the spec's rules, e.g. ``{"atena_check_digit": "off"}``
            for ``jumin_kiroku`` (see the spec's docs page); unknown names are an error.

    Raises:
        UnknownSpecError: ``spec`` is not a built-in spec id.
        InputError: a file cannot be opened, the encoding or input format is unknown, or a
            fixed-width file has no usable layout; the GJ table cannot be read.
        RuleOptionError: an unknown rule option or a value outside its choices (a ValueError).
        UsageError: ``fail_on="new"`` without a baseline; an empty mask key; a negative cap.
        BaselineError / WaiverError: the baseline or waiver file is unreadable or malformed.
        ValueError: ``jobs`` neither a whole number from 1 nor ``"auto"``.
    """
    run = prepare(
        spec,
        rule_options=rule_options,
        encoding=encoding,
        bom=bom,
        gj_table=gj_table,
        lang=lang,
        show_values=show_values,
        max_findings=max_findings,
        group=group,
        max_findings_total=max_findings_total,
        baseline=baseline,
        waivers=waivers,
        fail_on=fail_on,
        mask_key=mask_key,
        input_format=input_format,
        layout=layout,
        jobs=jobs,
    )
    if isinstance(paths, str | Path):
        paths = [paths]
    return run_check(paths, run.spec, run.rules.record_rules, run.rules.dataset_rules, run.options, progress)


def check_editions(
    paths: str | Path | Sequence[str | Path],
    specs: Sequence[str | Spec],
    **options: Any,
) -> EditionComparison:
    """Check the same files against several editions of a spec (a transition period).

    One ordinary :func:`check` per edition, with the same ``options`` (any keyword :func:`check`
    takes); the result says, per file, which editions it conforms to and lists the findings that only
    some editions have. Each edition's full report is kept in ``reports``.

    Args:
        paths: One path or several.
        specs: Two or more editions: built-in spec ids or :class:`Spec` objects (e.g. loaded with
            :func:`kikan_std.specs.load_spec_file` from an official workbook of another edition).
        **options: Passed to :func:`check` unchanged.

    Raises:
        UsageError: fewer than two editions. Otherwise what :func:`check` raises.
    """
    if len(specs) < 2:
        raise UsageError(ja="版を2つ以上指定してください（--spec を繰り返す）",
                         en="give two or more editions (repeat --spec)")
    from kikan_std.report.editions import compare_editions

    return compare_editions([check(paths, s, **options) for s in specs])



def check_records(
    records: Iterable[Mapping[str, Any] | BaseModel],
    spec: str | Spec = "jutogai_atena",
    *,
    group: str | None = None,
    name: str = "<records>",
    gj_table: frozenset[str] | str | Path | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    max_findings_total: int | None = None,
    fail_on: FailOn = "error",
    mask_key: str | bytes | None = None,
    rule_options: RuleOptions | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    """Check records already in memory: the same checks, codes and report as a file of them.

    Records are dicts keyed by romaji, official item name or alias (absent keys are blank values) or
    pydantic models (e.g. of :meth:`Spec.record_model`); ``records`` may be any iterable and is read
    once, a chunk at a time, so a generator streams. Findings are located by record number (1-based,
    also given as ``line``) and JSON pointer (``/0/atenabango``). Cross-record rules (primary key,
    histories) run over all the records, as over one file.

    Args:
        records: The records of one group.
        spec: A built-in spec id or a :class:`Spec`.
        group: The group of the records (default: the spec's first group).
        name: What the report calls the input.
        gj_table, lang, show_values, max_findings, max_findings_total, fail_on, mask_key,
            rule_options, progress: as for :func:`check`.

    Raises:
        UnknownSpecError, RuleOptionError, UsageError: as for :func:`check`.
    """
    run = prepare(spec, rule_options=rule_options, gj_table=gj_table, lang=lang, show_values=show_values,
                  max_findings=max_findings, max_findings_total=max_findings_total, fail_on=fail_on,
                  mask_key=mask_key, group=group, input_format="records")
    grp = run.spec.group(group) if group is not None else run.spec.groups[0]

    def opener() -> tuple[CsvSource, BinaryIO, Iterator[Chunk | Finding]]:
        source = CsvSource(path=Path(name), display_name=name, encoding="", input_format="records")
        return source, io.BytesIO(), iter_records(source, records, grp)

    return run_in_memory(run.spec, name, opener, run.rules.record_rules, run.rules.dataset_rules,
                         replace(run.options, group=grp.name), progress)


def check_bytes(
    data: bytes,
    spec: str | Spec = "jutogai_atena",
    *,
    input_format: str = "csv",
    name: str = "<bytes>",
    encoding: str = "utf-8",
    bom: Literal["allow", "require", "forbid"] = "allow",
    group: str | None = None,
    layout: str | Path | FixedWidthLayout | None = None,
    gj_table: frozenset[str] | str | Path | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    max_findings_total: int | None = None,
    fail_on: FailOn = "error",
    mask_key: str | bytes | None = None,
    rule_options: RuleOptions | None = None,
) -> Report:
    """Check the bytes of one input already in memory (a request body, say) as :func:`check` checks a file.

    Args:
        data: The whole input (CSV, JSON, XML or fixed-width, see ``input_format``).
        input_format: ``csv`` (default), ``json``, ``xml`` or ``fixed``.
        name: What the report calls the input (its group is chosen by ``group``, the header or the
            XML root, not by this name unless it matches a group's name).
        Other arguments: as for :func:`check`.

    Raises:
        InputError: unknown encoding or input format, a fixed-width input without a usable layout.
        UnknownSpecError, RuleOptionError, UsageError: as for :func:`check`.
    """
    run = prepare(spec, rule_options=rule_options, encoding=encoding, bom=bom, gj_table=gj_table, lang=lang,
                  show_values=show_values, max_findings=max_findings, max_findings_total=max_findings_total,
                  fail_on=fail_on, mask_key=mask_key, group=group, input_format=input_format, layout=layout)
    opts = run.options

    def opener() -> tuple[CsvSource, BinaryIO, Iterator[Chunk | Finding]]:
        return open_bytes(data, name, input_format, opts.encoding, run.spec, opts.group, opts.layout)

    opener()  # a usage problem (encoding, format, layout) is raised here, before the run
    return run_in_memory(run.spec, name, opener, run.rules.record_rules, run.rules.dataset_rules, opts, data=data)


def iter_findings(
    records: Iterable[Mapping[str, Any] | BaseModel],
    spec: str | Spec = "jutogai_atena",
    *,
    group: str | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
) -> Iterator[FindingOut]:
    """The findings of :func:`check_records` over ``records``, one by one (all of them, uncapped)."""
    report = check_records(records, spec, group=group, lang=lang, show_values=show_values, max_findings=None)
    yield from report.findings


def is_valid(
    records: Iterable[Mapping[str, Any] | BaseModel],
    spec: str | Spec = "jutogai_atena",
    *,
    group: str | None = None,
) -> bool:
    """True when :func:`check_records` finds ``records`` conformant (no error; warnings allowed)."""
    return check_records(records, spec, group=group, max_findings=0).valid


def __getattr__(name: str) -> object:
    # check_deliverable lives in kikan_std.deliverable (zip, SQLite, manifests), imported on first use:
    # a plain check does not need it and it costs start-up time.
    if name == "check_deliverable":
        from kikan_std.deliverable import check_deliverable

        return check_deliverable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["check", "check_bytes", "check_deliverable", "check_editions", "check_records", "is_valid", "iter_findings"]
