"""pytest plugin: the ``kikan`` fixture for vendors' own test suites.

Installed with kikan-std (entry point ``pytest11``)::

    def test_export(kikan, tmp_path):
        path = my_system.export_atena(tmp_path)
        kikan.assert_conforms(path, spec="jutogai_atena")

A failure lists the findings readably (code, location, item, message), with personal values
masked as in every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from kikan_std.api import check
from kikan_std.catalogue import entry
from kikan_std.report.model import Report


class ConformanceError(AssertionError):
    """The data does not conform; the message lists the findings."""


class Kikan:
    """What the ``kikan`` fixture gives a test."""

    def check(self, paths: str | Path | Sequence[str | Path], spec: str, **options: Any) -> Report:
        """Run :func:`kikan_std.check` and return the report."""
        return check(paths, spec, **options)

    def assert_conforms(
        self,
        paths: str | Path | Sequence[str | Path],
        spec: str,
        *,
        allow: Sequence[str] = (),
        max_listed: int = 30,
        **options: Any,
    ) -> Report:
        """Fail the test unless the data conforms to ``spec``.

        Args:
            paths: Data file(s).
            spec: Spec id.
            allow: Finding codes to accept (e.g. a known, tracked deviation).
            max_listed: How many findings the failure message lists.
            **options: Passed to :func:`kikan_std.check` (encoding, lang …).
        """
        options.setdefault("lang", "ja")
        report = check(paths, spec, **options)
        # Judge from the complete statistics, not the stored (possibly capped) findings.
        error_codes = {c for c in report.stats.findings_by_code if entry(c).severity == "error" and c not in allow}
        not_run = report.rules_not_run
        if not error_codes and not not_run:
            return report
        blocking = [f for f in report.findings if f.severity == "error" and f.code not in allow]
        lines = [f"{spec}: 不適合 / not conformant — {report.stats.findings_by_severity.get('error', 0)} error(s)"]
        for n in not_run:
            lines.append(f"  rule not run: {n.rule} ({n.file}): {n.reason}")
        for f in blocking[:max_listed]:
            where = f"{f.file}:{f.line}" if f.line else f.file
            rec = f" record {f.record}" if f.record else ""
            item = f" {f.item}" if f.item else ""
            lines.append(f"  {f.code} {where}{rec}{item}: {f.message}")
        if len(blocking) > max_listed:
            lines.append(f"  … {len(blocking) - max_listed} more")
        raise ConformanceError("\n".join(lines))


@pytest.fixture
def kikan() -> Kikan:
    """kikan-std conformance assertions (see :class:`Kikan`)."""
    return Kikan()
