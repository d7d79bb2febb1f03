"""Generated migration pairs shared by the tests/test_migration_*.py modules (made once per session)."""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from kikan_std.testing.generators.migration import write_migration_pair

ROWS = 3000

_TMP = tempfile.TemporaryDirectory(prefix="kikan-migration-tests-")


@cache
def pair(defects: bool) -> Path:
    """A pair of ``ROWS`` 住民記録 records (seed 5), clean or with the planted defects."""
    out = Path(_TMP.name) / ("defects" if defects else "clean")
    write_migration_pair(out, ROWS, 5, defects=defects)
    return out


def planted() -> list[dict[str, object]]:
    return json.loads((pair(True) / "planted.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]
