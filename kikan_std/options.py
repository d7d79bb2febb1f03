"""How a run behaves: :class:`Options`, grouped rather than a dozen keyword arguments, and what they default to.

Every way into a run (``kikan_std.check``, the CLI, Dask, whole deliverables) ends in one :class:`Options`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from kikan_std.catalogue import Lang
from kikan_std.model.spec import FixedWidthLayout

if TYPE_CHECKING:
    from kikan_std.report.baseline import Baseline
    from kikan_std.report.waivers import Waivers

FailOn = Literal["error", "new"]
"""What fails a run: any unwaived error, or (with a baseline) only new ones."""

DEFAULT_MASK_KEY = b"kikan-std"
"""The public built-in key of masking hashes: set ``KIKAN_STD_MASK_KEY`` so masked values cannot be guessed."""
MASK_KEY_ENV = "KIKAN_STD_MASK_KEY"

ProgressFn = Callable[[str, int], None]
"""Called with (file name, records read so far) after each chunk."""


@dataclass(frozen=True, slots=True)
class Options:
    """How a run behaves (grouped rather than a dozen keyword arguments)."""

    encoding: str = "utf-8"  # or "auto": detect, and warn when the evidence is weak
    bom: Literal["allow", "require", "forbid"] = "allow"  # the BOM contract for UTF-8 inputs
    gj_table: frozenset[str] | None = None  # 追加文字 (GJ) table; without it GJ cannot be verified
    lang: Lang = "ja"
    show_values: bool = False
    max_findings: int | None = 1000  # stored findings per code; None = keep all
    group: str | None = None
    max_findings_total: int | None = None  # stored findings overall; None = no overall cap
    mask_key: bytes = DEFAULT_MASK_KEY  # key of the masking hashes (and of baseline fingerprints)
    mask_key_custom: bool = False  # recorded in the report (never the key itself)
    baseline: Baseline | None = None
    waivers: Waivers | None = None
    fail_on: FailOn = "error"
    input_format: str | None = None  # csv | json | xml | fixed; None = by file extension
    jobs: int = 1  # processes for one big CSV file (kikan_std.engine.parallel); findings are identical
    layout: FixedWidthLayout | None = None  # fixed-width layout (else the spec group's)
    rule_options: Mapping[str, str] = field(default_factory=dict)  # validated by kikan_std.check


def resolve_jobs(jobs: int | str) -> int:
    """``jobs`` as a number of processes: a whole number from 1, or ``"auto"`` for the CPUs this
    process may use (fewer than the machine has when a container or ``taskset`` limits it).

    Raises:
        ValueError: anything else (0, a negative number, another word).
    """
    if isinstance(jobs, str) and jobs.strip().lower() == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        n = int(jobs) if not isinstance(jobs, bool) else 0
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"jobs must be a whole number from 1, or 'auto': {jobs!r}")
    return n
