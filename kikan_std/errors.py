"""Every exception kikan-std raises, under one root.

Findings are values, never exceptions: data that does not conform is reported as a :class:`~kikan_std.Finding`.
An exception means the run itself could not be set up or the tool is broken. The CLI maps these types
(never their message text) to exit codes: a :class:`KikanStdError` other than :class:`InternalError` is a
usage or input problem (exit 2); anything else is an internal error (exit 3).

::

    KikanStdError
    ├── UsageError                 bad arguments or options (exit 2)
    │   └── RuleOptionError        unknown rule option or value (also a ValueError)
    ├── InputError                 an input cannot be read at all: missing file, unknown encoding, bad layout (exit 2)
    │   ├── UnsafeArchiveError     a zip refused before use: traversal, links, zip bomb
    │   └── ReconcileInputError    a 突合 input cannot be read (also a ValueError)
    ├── SpecError                  the spec cannot be had (exit 2)
    │   ├── UnknownSpecError       no built-in spec has that id (also a KeyError, for older callers)
    │   └── WorkbookError          a workbook does not fit the 基本データリスト layout (also a ValueError)
    ├── BaselineError              the baseline is not a readable kikan-std JSON report (also a ValueError)
    ├── WaiverError                the waiver file is unreadable or malformed (also a ValueError)
    └── InternalError              a bug in kikan-std (exit 3)
        └── CatalogueError         the packaged catalogue data is malformed

:class:`RuleNotRun` is not a failure of the run: a rule raises it to say it could not be evaluated, and the
engine turns it into a SYS002 finding, so the report cannot be valid.
"""

from __future__ import annotations

from collections.abc import Sequence


class KikanStdError(Exception):
    """The root of every exception kikan-std raises on purpose."""


class UsageError(KikanStdError):
    """A usage problem: arguments or options that cannot be used (exit 2)."""


class RuleOptionError(UsageError, ValueError):
    """An unknown rule option, or a value outside its choices."""


class InputError(KikanStdError):
    """The input cannot be read at all (missing file, unknown encoding, unusable layout)."""


class UnsafeArchiveError(InputError):
    """A zip archive refused before anything of it is used (traversal, links, zip bomb)."""


class ReconcileInputError(InputError, ValueError):
    """A 突合 input cannot be read: missing file, undecodable bytes, missing required columns."""


class SpecError(KikanStdError):
    """The spec cannot be had."""


class UnknownSpecError(SpecError, KeyError):
    """No built-in spec has that id."""

    def __init__(self, spec_id: str, builtin: Sequence[str] = ()) -> None:
        super().__init__(spec_id)
        self.spec_id = spec_id
        self.builtin = tuple(builtin)

    def __str__(self) -> str:
        return f"unknown spec: {self.spec_id} (built-in: {', '.join(self.builtin)})"


class WorkbookError(SpecError, ValueError):
    """The workbook does not fit the 基本データリスト layout (the message names sheet and column)."""


class BaselineError(KikanStdError, ValueError):
    """The baseline file cannot be read or is not a kikan-std JSON report."""


class WaiverError(KikanStdError, ValueError):
    """The waiver file cannot be read or is malformed."""


class InternalError(KikanStdError):
    """A bug in kikan-std itself (exit 3)."""


class CatalogueError(InternalError, ValueError):
    """The catalogue data is malformed (a bug in the package, caught by the tests)."""


class RuleNotRun(Exception):
    """A rule could not be evaluated (e.g. a column it needs is missing): the engine reports SYS002."""


__all__ = [
    "BaselineError",
    "CatalogueError",
    "InputError",
    "InternalError",
    "KikanStdError",
    "ReconcileInputError",
    "RuleNotRun",
    "RuleOptionError",
    "SpecError",
    "UnknownSpecError",
    "UnsafeArchiveError",
    "UsageError",
    "WaiverError",
    "WorkbookError",
]
