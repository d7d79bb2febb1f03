"""kikan-std: conformance checks for data of Japanese municipal core systems (基幹業務システム).

Typical use::

    import kikan_std
    report = kikan_std.check(["atena.csv"], spec="jutogai_atena")
    if not report.valid:
        for f in report.errors():
            print(f.code, f.record, f.item, f.message)

移行検証 (needs the ``migration`` extra)::

    profile = kikan_std.profile("standard.csv", spec="jumin_kiroku")
    result = kikan_std.compare("legacy.csv", "standard.csv", spec="jumin_kiroku", mapping="mapping.toml")

The public names are listed in ``__all__``; everything else is internal.
"""

import importlib
import typing

from kikan_std._version import __version__
from kikan_std.api import check, check_bytes, check_editions, check_records, is_valid, iter_findings
from kikan_std.catalogue import explain
from kikan_std.errors import BaselineError, InputError, RuleOptionError, UnknownSpecError, WaiverError, WorkbookError
from kikan_std.findings import Finding
from kikan_std.model.spec import CodeList, DataType, FixedWidthLayout, Group, Item, Obligation, Spec
from kikan_std.model.workbook import load_workbook
from kikan_std.report.baseline import Baseline
from kikan_std.report.model import FindingOut, Report
from kikan_std.report.waivers import Waivers
from kikan_std.specs import list_specs, load_spec, load_spec_file

if typing.TYPE_CHECKING:  # the names of _LAZY, for type checkers and IDEs (imported on first use at run time)
    from kikan_std import reconcile
    from kikan_std.deliverable import check_deliverable
    from kikan_std.migration.compare import compare
    from kikan_std.migration.profile import profile
    from kikan_std.model.diff import SpecDiff, diff_specs

__all__ = [
    "Baseline",
    "BaselineError",
    "CodeList",
    "DataType",
    "Finding",
    "FindingOut",
    "FixedWidthLayout",
    "Group",
    "InputError",
    "Item",
    "Obligation",
    "Report",
    "RuleOptionError",
    "Spec",
    "SpecDiff",
    "UnknownSpecError",
    "WaiverError",
    "Waivers",
    "WorkbookError",
    "__version__",
    "check",
    "check_bytes",
    "check_deliverable",
    "check_editions",
    "check_records",
    "compare",
    "diff_specs",
    "explain",
    "is_valid",
    "iter_findings",
    "list_specs",
    "load_spec",
    "load_spec_file",
    "load_workbook",
    "profile",
    "reconcile",
]


_LAZY = {
    "check_deliverable": ("kikan_std.deliverable", "check_deliverable"),
    "compare": ("kikan_std.migration.compare", "compare"),
    "profile": ("kikan_std.migration.profile", "profile"),
    "SpecDiff": ("kikan_std.model.diff", "SpecDiff"),
    "diff_specs": ("kikan_std.model.diff", "diff_specs"),
}
"""Public names imported on first use: 成果物一式, 移行検証 and spec diff are not needed for ``check`` (start-up time)."""


def __getattr__(name: str) -> object:
    # ``kikan_std.reconcile`` is the 突合 subpackage, imported on first use (it is not needed for
    # ``check`` and costs ~0.1 s of start-up); the package itself is callable, so
    # ``kikan_std.reconcile(applications, beneficiaries)`` runs :func:`kikan_std.reconcile.reconcile`.
    if name == "reconcile":
        return importlib.import_module("kikan_std.reconcile")
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'kikan_std' has no attribute {name!r}")
