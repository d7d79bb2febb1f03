"""The run history: one SQLite file in a folder the user chooses (``kikan-std serve --data-dir``).

It keeps reports (JSON, values masked as in the run) and a summary per run, never the uploaded data.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kikan_std.writers import render

if TYPE_CHECKING:
    from kikan_std.web.runs import Run

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    inputs TEXT NOT NULL,
    spec TEXT NOT NULL,
    verdict TEXT NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    report TEXT NOT NULL
)
"""


class History:
    """Runs recorded in ``<folder>/history.sqlite``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "history.sqlite"
        self.lock = threading.Lock()
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def add(self, run: Run) -> int:
        """Record a finished run's report; returns its history id."""
        rep = run.report
        assert rep is not None
        errors = sum(1 for f in rep.findings if f.severity == "error")
        warnings = sum(1 for f in rep.findings if f.severity == "warning")
        with self.lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO runs (created, inputs, spec, verdict, errors, warnings, report)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.strftime("%Y-%m-%d %H:%M:%S"), ", ".join(i.file for i in rep.inputs)[:500],
                 rep.spec.id, "不適合" if rep.failed else "適合", errors, warnings, render(rep, "json")),
            )
            return int(cur.lastrowid or 0)

    def list(self, limit: int = 200) -> list[dict[str, Any]]:
        """The newest runs first (without their reports)."""
        with self.lock, self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, created, inputs, spec, verdict, errors, warnings FROM runs ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(r) for r in rows]

    def report_json(self, hid: str) -> str | None:
        """The stored JSON report of history entry ``hid`` (a number), or None."""
        if not hid.isdigit():
            return None
        with self.lock, self._connect() as db:
            row = db.execute("SELECT report FROM runs WHERE id = ?", (int(hid),)).fetchone()
        return None if row is None else str(row[0])

    def compare(self, base: str, new: str) -> dict[str, Any] | None:
        """Findings of run ``new`` against run ``base`` (v1 → v2) by fingerprint, as a multiset:
        ``new`` (only in v2), ``fixed`` (only in v1) and the count of ``existing``; None if either is missing.
        Only stored findings take part (a capped report compares its stored ones)."""
        a, b = self.report_json(base), self.report_json(new)
        if a is None or b is None:
            return None
        old, cur = json.loads(a), json.loads(b)
        left = Counter(f["fingerprint"] for f in old["findings"])
        added, existing = [], 0
        for f in cur["findings"]:
            if left[f["fingerprint"]] > 0:
                left[f["fingerprint"]] -= 1
                existing += 1
            else:
                added.append(f)
        fixed = []
        for f in old["findings"]:
            if left[f["fingerprint"]] > 0:
                left[f["fingerprint"]] -= 1
                fixed.append(f)
        capped = bool(old["stats"]["capped"] or cur["stats"]["capped"])
        return {"base": base, "new": new, "added": added, "fixed": fixed, "existing": existing, "capped": capped}
