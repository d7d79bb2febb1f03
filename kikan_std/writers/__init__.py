"""Writers: one module per output format, each rendering the same :class:`~kikan_std.report.model.Report`.

Every format is rendered from the report alone (values are already masked there), so one run
gives the same findings in every format. :func:`render` picks the writer by name;
:func:`write_reports` writes one report in several formats at once (``--output-format json,html -o PREFIX``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from kikan_std.catalogue import Lang
from kikan_std.errors import OutputError, UnknownOutputFormatError, UsageError
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
    raise UnknownOutputFormatError(format=fmt, choices=FORMATS)


def render(report: Report, fmt: str, lang: Lang | None = None) -> str:
    """The report in format ``fmt`` (see :data:`FORMATS`); ``lang`` defaults to the report's.

    Raises:
        UnknownOutputFormatError: ``fmt`` is not one of :data:`FORMATS` (also a ValueError).
    """
    return _writer(fmt)(report, lang or report.lang)


def report_targets(formats: str | Sequence[str], output: str | Path | None = None) -> list[tuple[str, Path | None]]:
    """Where each format goes: ``(format, path)``; path None means standard output.

    One format goes to ``output`` as given; several go to ``output`` used as a prefix, plus each
    format's :data:`SUFFIXES` (``-o out/report`` → ``out/report.json``, ``out/report.html``).
    ``formats`` is a list or a comma-separated string. Call it before a run to refuse bad formats early.

    Raises:
        UnknownOutputFormatError: a format not in :data:`FORMATS`.
        UsageError: no format, a format repeated, or several formats without ``output``.
    """
    fmts = [f.strip() for f in formats.split(",")] if isinstance(formats, str) else [str(f).strip() for f in formats]
    fmts = [f for f in fmts if f]
    bad = [f for f in fmts if f not in FORMATS]
    if bad or not fmts:
        raise UnknownOutputFormatError(format=", ".join(bad) or str(formats), choices=FORMATS)
    if len(fmts) != len(set(fmts)):
        raise UsageError(ja=f"出力形式が重複しています: {', '.join(fmts)}", en=f"output format repeated: {', '.join(fmts)}")
    if len(fmts) == 1:
        return [(fmts[0], None if output is None else Path(output))]
    if output is None:
        raise UsageError(ja="複数の出力形式には出力先の接頭辞（-o PREFIX）が必要です",
                         en="several output formats need an output prefix (-o PREFIX)")
    return [(f, Path(f"{output}{SUFFIXES[f]}")) for f in fmts]


def write_reports(
    report: Report,
    formats: str | Sequence[str],
    output: str | Path | None = None,
    *,
    lang: Lang | None = None,
    stdout: TextIO | None = None,
) -> list[tuple[str, Path | None]]:
    """Write ``report`` in every format of ``formats`` (see :func:`report_targets` for where each goes).

    Folders are created as needed; a format without a path is written to ``stdout`` (default
    ``sys.stdout``). Returns the ``(format, path)`` pairs written.

    Raises:
        UnknownOutputFormatError / UsageError: as :func:`report_targets`.
        OutputError: a file cannot be written.
    """
    targets = report_targets(formats, output)
    for fmt, path in targets:
        text = render(report, fmt, lang)
        if path is None:
            (stdout if stdout is not None else sys.stdout).write(text)
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The CSV ends its lines with CRLF itself; text mode on Windows would make that CR CR LF.
            path.write_text(text, encoding="utf-8", newline="" if fmt == "csv" else None)
        except OSError as e:
            raise OutputError(path=path, reason=e.strerror or type(e).__name__) from None
    return targets


__all__ = ["FORMATS", "SUFFIXES", "render", "report_targets", "write_reports"]
