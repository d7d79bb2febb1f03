"""The library's entry points, one function per run: :func:`check` (files against a spec).

The facade ``kikan_std`` re-exports them; the CLI, the pytest plugin and the web app call them here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from kikan_std.catalogue import Lang
from kikan_std.engine.run import run_check
from kikan_std.model.spec import FixedWidthLayout, Spec
from kikan_std.options import DEFAULT_MASK_KEY, MASK_KEY_ENV, FailOn, Options, ProgressFn, resolve_jobs
from kikan_std.readers import load_layout
from kikan_std.report.baseline import Baseline
from kikan_std.report.model import Report
from kikan_std.report.waivers import Waivers
from kikan_std.specs import load_spec, rules_for


def check(
    paths: str | Path | Sequence[str | Path],
    spec: str | Spec = "jutogai_atena",
    *,
    encoding: str = "utf-8",
    bom: Literal["allow", "require", "forbid"] = "allow",
    gj_table: frozenset[str] | None = None,
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
    rule_options: Mapping[str, str] | None = None,
) -> Report:
    """Check data files against a spec and return the report.

    Args:
        paths: One path or several. Each file is one group (file) of the spec.
        spec: A built-in spec id (see :func:`list_specs`) or a :class:`Spec`.
        encoding: Input encoding; ``utf-8`` also accepts a BOM. Use ``cp932`` for legacy exports,
            ``shift_jis`` to hold a file to strict Shift_JIS (CP932-only characters are findings),
            ``auto`` to detect (the report says which was chosen; weak evidence is a warning).
        bom: The BOM contract for UTF-8 input: ``allow`` (default), ``require`` or ``forbid``.
        gj_table: 追加文字 (GJ) characters (see :func:`kikan_std.jp.chars.parse_gj_table`).
        lang: Message language, ``ja`` (default) or ``en``.
        show_values: Show personal values unmasked in findings (off by default).
        max_findings: Findings stored per code (statistics stay complete); None keeps all.
        group: The group every file holds, when the spec has several and names do not tell.
        progress: Called with (file, records so far) after each chunk.
        max_findings_total: Findings stored overall; None keeps all.
        baseline: A previous JSON report (path or loaded): findings become new / existing, and the
            report lists the fixed ones.
        waivers: A waiver file (TOML, see :mod:`kikan_std.report.waivers`) or loaded waivers.
        fail_on: ``error`` (any unwaived error fails) or ``new`` (only new ones; needs ``baseline``).
        mask_key: Key of the masking hashes; default: ``$KIKAN_STD_MASK_KEY``, else the built-in key.

        input_format: ``csv``, ``json``, ``xml`` or ``fixed``; default by extension
            (``.json``, ``.xml``, ``.dat``/``.fix``/``.fixed``; anything else is CSV).
        jobs: Processes for one big CSV file (findings identical to one process; see
            :mod:`kikan_std.engine.parallel` for when a file is checked in one process anyway);
            ``"auto"``: as many as this process may use CPUs.
        layout: Fixed-width layout (a JSON file or a :class:`FixedWidthLayout`); default the
            spec group's own layout.
        rule_options: Per-run switches of the spec's rules, e.g. ``{"atena_check_digit": "off"}``
            for ``jumin_kiroku`` (see the spec's docs page); unknown names are an error.


    Raises:
        UnknownSpecError: ``spec`` is not a built-in spec id.
        InputError: a file cannot be opened, the encoding or input format is unknown, or a
            fixed-width file has no usable layout.
        RuleOptionError: an unknown rule option or a value outside its choices (a ValueError).
        BaselineError / WaiverError: the baseline or waiver file is unreadable or malformed.
        ValueError: ``fail_on="new"`` without a baseline; ``jobs`` neither a whole number from 1 nor ``"auto"``.
    """
    sp = load_spec(spec) if isinstance(spec, str) else spec
    rules = rules_for(sp)
    if isinstance(paths, str | Path):
        paths = [paths]
    if mask_key is None:
        mask_key = os.environ.get(MASK_KEY_ENV) or None
    key = DEFAULT_MASK_KEY
    if mask_key is not None:
        key = mask_key.encode("utf-8") if isinstance(mask_key, str) else mask_key
    if baseline is not None and not isinstance(baseline, Baseline):
        baseline = Baseline.load(baseline, key)
    if waivers is not None and not isinstance(waivers, Waivers):
        waivers = Waivers.load(waivers)
    lay = load_layout(layout) if isinstance(layout, str | Path) else layout
    opts = Options(
        encoding=encoding,
        bom=bom,
        gj_table=gj_table,
        lang=lang,
        show_values=show_values,
        max_findings=max_findings,
        group=group,
        max_findings_total=max_findings_total,
        mask_key=key,
        mask_key_custom=mask_key is not None,
        baseline=baseline,
        waivers=waivers,
        fail_on=fail_on,
        input_format=input_format,
        layout=lay,
        jobs=resolve_jobs(jobs),
        rule_options=rules.resolve_options(rule_options),
    )
    return run_check(paths, sp, rules.record_rules, rules.dataset_rules, opts, progress)


__all__ = ["check"]
