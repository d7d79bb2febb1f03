"""The library's entry points, one function per run: :func:`check` (files against a spec),
:func:`check_deliverable` (a whole deliverable, folder or zip) and :func:`check_editions` (files against
several editions of a spec, one :func:`check` each).

The facade ``kikan_std`` re-exports them; the CLI, the pytest plugin and the web app call them here.
Both build their options with the one builder, :mod:`kikan_std.engine.prepare`, as do the CLI (which
passes its parsed arguments as keyword arguments) and :mod:`kikan_std.dask`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from kikan_std.catalogue import Lang
from kikan_std.deliverable import check_deliverable
from kikan_std.engine.prepare import RuleOptions, prepare
from kikan_std.engine.run import run_check
from kikan_std.errors import UsageError
from kikan_std.model.spec import FixedWidthLayout, Spec
from kikan_std.options import FailOn, ProgressFn
from kikan_std.report.baseline import Baseline
from kikan_std.report.editions import EditionComparison, compare_editions
from kikan_std.report.model import Report
from kikan_std.report.waivers import Waivers


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
    return compare_editions([check(paths, s, **options) for s in specs])


__all__ = ["check", "check_deliverable", "check_editions"]
