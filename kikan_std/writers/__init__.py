"""Writers: one module per output format, each rendering the same :class:`~kikan_std.report.model.Report`.

Every format is rendered from the report alone (values are already masked there), so one run
gives the same findings in every format. :func:`render` picks the writer by name.
"""

from __future__ import annotations

from collections.abc import Callable

from kikan_std.catalogue import Lang
from kikan_std.report.model import Report

FORMATS: tuple[str, ...] = ("text", "json", "junit", "sarif", "html", "csv")
"""Output formats, as accepted by ``--output-format``."""

SUFFIXES: dict[str, str] = {
    "text": ".txt",
    "json": ".json",
    "junit": ".junit.xml",
    "sarif": ".sarif",
    "html": ".html",
    "csv": ".csv",
}
"""Conventional file name endings per format."""


def _writer(fmt: str) -> Callable[[Report, Lang], str]:
    # Imported lazily: the HTML writer pulls in jinja2, which a JSON run does not need.
    if fmt == "text":
        from kikan_std.writers.text import render_text

        return render_text
    if fmt == "json":
        from kikan_std.writers.json_report import render_json

        return render_json
    if fmt == "junit":
        from kikan_std.writers.junit import render_junit

        return render_junit
    if fmt == "sarif":
        from kikan_std.writers.sarif import render_sarif

        return render_sarif
    if fmt == "html":
        from kikan_std.writers.html import render_html

        return render_html
    if fmt == "csv":
        from kikan_std.writers.csv_findings import render_csv

        return render_csv
    raise ValueError(f"unknown output format {fmt!r} (one of {', '.join(FORMATS)})")


def render(report: Report, fmt: str, lang: Lang | None = None) -> str:
    """The report in format ``fmt`` (see :data:`FORMATS`); ``lang`` defaults to the report's."""
    return _writer(fmt)(report, lang or report.lang)


__all__ = ["FORMATS", "SUFFIXES", "render"]
