"""The JSON report: the :class:`~kikan_std.report.model.Report` model as JSON.

Its JSON Schema is ``schemas/report.schema.json``, generated from the same model
(``tools/gen_schemas.py``).
"""

from __future__ import annotations

from kikan_std.catalogue import Lang
from kikan_std.report.model import Report


def render_json(report: Report, lang: Lang = "ja") -> str:
    """The report as indented JSON (``lang`` is fixed when the report is built; accepted for symmetry)."""
    return report.model_dump_json(indent=2) + "\n"
