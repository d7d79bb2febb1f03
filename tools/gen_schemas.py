"""Generate ``schemas/report.schema.json`` (and the 移行検証 profile/compare schemas) from the Pydantic models.

Run by ``make schemas``; tests/test_reports.py fails when the committed schema drifts from the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kikan_std.migration.model import migration_json_schemas
from kikan_std.report.model import report_json_schema

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def schema_files() -> dict[Path, str]:
    """Each generated schema file and its exact text."""
    text = json.dumps(report_json_schema(), ensure_ascii=False, indent=2) + "\n"
    out = {SCHEMAS / "report.schema.json": text}
    for name, schema in migration_json_schemas().items():  # profile / compare (移行検証)
        out[SCHEMAS / name] = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
    return out


def main() -> int:
    for path, text in schema_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(SCHEMAS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
