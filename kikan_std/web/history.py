"""The run history: one SQLite file in a folder the user chooses (``kikan-std serve --data-dir``).

It keeps reports (JSON, values masked as in the run) and a summary per run — conformance checks and
移行検証 runs (compare, profile; their input files by name, size and SHA-256, and their options); the
uploaded data only when the user asks (under ``<folder>/uploads/``, deleted with the run). It also keeps the accepted
deviations (waivers) recorded from the page: by fingerprint, with the finding's code, file and item —
never a value — and exports them as a waiver file the CLI's ``--waivers`` reads.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import glob
import hashlib
import json
import re
import shutil
import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kikan_std.report.waivers import Waiver, Waivers
from kikan_std.writers import render

if TYPE_CHECKING:
    from kikan_std.web.migration import MigrationRun
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
);
CREATE TABLE IF NOT EXISTS waivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL,
    severity TEXT NOT NULL,
    file TEXT NOT NULL,
    item TEXT,
    reason TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires TEXT,
    run INTEGER
);
"""
NO_EXPIRY = _dt.date(9999, 12, 31)  # how a waiver without an expiry date is written for the CLI
KEPT_NAME = re.compile(r"[A-Za-z0-9_-]{8,64}")
KINDS = {
    "check": "適合性の検査",
    "compare": "移行検証（比較）",
    "profile": "移行検証（プロファイル）",
}
"""The kind of a history entry → its label (``check``: a conformance check; the others: 移行検証)."""
# Columns added since the first history format (a database made before opens and gains them; rows
# from before are checks): kept upload, kind, and the JSON of inputs (name, size, SHA-256) and options.
_ADDED_COLUMNS = (
    ("kept", "TEXT"),
    ("kind", "TEXT NOT NULL DEFAULT 'check'"),
    ("detail", "TEXT"),
)
WAIVER_FILE_LABEL = "history.sqlite（画面で登録した承認 / waivers recorded on the page）"


MIGRATION_VERDICTS = {
    "no_difference": "差異なし",
    "explained": "差異はすべて説明済み",
    "differences": "説明のない差異あり",
    "profile": "判定なし（プロファイル）",
}
"""The verdict column of a 移行検証 entry, by the report's ``verdict`` (a profile has none)."""


def _with_detail(row: dict[str, Any]) -> dict[str, Any]:
    """A history row with its kind label, its detail parsed and whether its report holds personal values."""
    detail = json.loads(row["detail"]) if row.get("detail") else {}
    row["detail"] = detail
    row["kind_label"] = KINDS.get(row["kind"], row["kind"])
    row["migration"] = row["kind"] != "check"
    row["values_shown"] = bool(detail.get("options", {}).get("show_values"))
    return row


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's; DEL must be escaped too)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


class History:
    """Runs, kept uploads and waivers recorded in ``<folder>/history.sqlite``."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / "history.sqlite"
        self.lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
            for name, decl in _ADDED_COLUMNS:
                if name not in columns:  # a history made by an earlier version
                    db.execute(f"ALTER TABLE runs ADD COLUMN {name} {decl}")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    # -- runs -------------------------------------------------------------------------------------

    def kept_folder(self, name: str) -> Path:
        """Where the uploaded data of a run is kept when the user asks (``name``: the run's id)."""
        if not KEPT_NAME.fullmatch(name):
            raise ValueError("not a run id")
        return self.folder / "uploads" / name

    def add(self, run: Run, kept: str | None = None) -> int:
        """Record a finished run's report (and the name of its kept upload, if any); returns its history id."""
        rep = run.report
        assert rep is not None
        errors = sum(1 for f in rep.findings if f.severity == "error")
        warnings = sum(1 for f in rep.findings if f.severity == "warning")
        detail = {"options": run.options}
        return self._insert("check", ", ".join(i.file for i in rep.inputs), rep.spec.id,
                            "不適合" if rep.failed else "適合", errors, warnings, render(rep, "json"), kept, detail)

    def add_migration(self, run: MigrationRun, report_json: str) -> int:
        """Record a finished 移行検証 run: ``report_json`` (the JSON the run's page serves, values masked unless
        the run showed them), the files it read (role, name, bytes, SHA-256), its spec and options; returns its
        history id. For a comparison the ``errors`` column holds the unexplained differences and ``warnings``
        the explained ones (expected or within tolerance); a profile has neither."""
        from kikan_std.migration.model import CompareReport

        result = run.result
        assert result is not None
        plan = run.plan
        if isinstance(result, CompareReport):
            unexplained = sum(d.status == "unexplained" for d in result.differences)
            explained = len(result.differences) - unexplained
            verdict = MIGRATION_VERDICTS[result.verdict]
            counts = {"before_records": result.before.records, "after_records": result.after.records,
                      "matched": result.matched, "items_compared": result.items_compared,
                      "differences": len(result.differences), "unexplained": unexplained, "explained": explained}
        else:
            unexplained = explained = 0
            verdict = MIGRATION_VERDICTS["profile"]
            counts = {"records": result.records, "items": len(result.items)}
        spec = plan.spec.id + (f"|{plan.group}" if plan.group else "")
        detail = {"files": run.files, "options": {**run.options, "tolerance": plan.tolerance,
                                                  "mapping_encoding": plan.mapping_encoding},
                  "counts": counts, "spec_title": f"{plan.spec.title} {plan.spec.edition}"}
        names = ", ".join(f["name"] for f in run.files if f["role"] in ("before", "after"))
        return self._insert(result.kind, names, spec, verdict, unexplained, explained, report_json, None, detail)

    def _insert(self, kind: str, inputs: str, spec: str, verdict: str, errors: int, warnings: int, report: str,
                kept: str | None, detail: dict[str, Any]) -> int:
        with self.lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO runs (created, inputs, spec, verdict, errors, warnings, report, kept, kind, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.strftime("%Y-%m-%d %H:%M:%S"), inputs[:500], spec, verdict, errors, warnings, report, kept,
                 kind, json.dumps(detail, ensure_ascii=False)),
            )
            return int(cur.lastrowid or 0)

    def kind_of(self, hid: str) -> str | None:
        """The kind of history entry ``hid`` (``check``, ``compare``, ``profile``), or None if there is none."""
        if not hid.isdigit():
            return None
        with self.lock, self._connect() as db:
            row = db.execute("SELECT kind FROM runs WHERE id = ?", (int(hid),)).fetchone()
        return None if row is None else str(row[0])

    def list(self, limit: int = 200) -> builtins.list[dict[str, Any]]:
        """The newest runs first (without their reports)."""
        with self.lock, self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT id, created, inputs, spec, verdict, errors, warnings, kept, kind, detail FROM runs"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_with_detail(dict(r)) for r in rows]

    def entry(self, hid: str) -> dict[str, Any] | None:
        """History entry ``hid`` (a number) with its report parsed, or None."""
        if not hid.isdigit():
            return None
        with self.lock, self._connect() as db:
            db.row_factory = sqlite3.Row
            row = db.execute("SELECT * FROM runs WHERE id = ?", (int(hid),)).fetchone()
        if row is None:
            return None
        out = _with_detail(dict(row))
        out["report"] = json.loads(out["report"])
        return out

    def report_json(self, hid: str) -> str | None:
        """The stored JSON report of history entry ``hid`` (a number), or None."""
        if not hid.isdigit():
            return None
        with self.lock, self._connect() as db:
            row = db.execute("SELECT report FROM runs WHERE id = ?", (int(hid),)).fetchone()
        return None if row is None else str(row[0])

    def delete(self, hid: str) -> bool:
        """Delete history entry ``hid``: its report and its kept upload (waivers recorded from it stay)."""
        if not hid.isdigit():
            return False
        with self.lock, self._connect() as db:
            row = db.execute("SELECT kept FROM runs WHERE id = ?", (int(hid),)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM runs WHERE id = ?", (int(hid),))
        if row[0]:
            shutil.rmtree(self.kept_folder(str(row[0])), ignore_errors=True)
        return True

    def compare(self, base: str, new: str, today: _dt.date | None = None) -> dict[str, Any] | None:
        """Findings of run ``new`` against run ``base`` (v1 → v2) by fingerprint, as a multiset:
        ``new`` (only in v2), ``fixed`` (only in v1) and the count of ``existing``; None if either is missing.
        Only stored findings take part (a capped report compares its stored ones).

        Also the verdict ``--fail-on new`` gives: 不適合 when v2 has a new error finding that no waiver
        accepts (waived when v2 ran, or by an active waiver recorded on the page since), or a rule that
        could not run; 判定できません when none is found but a capped report may hide one; else 適合.
        """
        a, b = self.report_json(base), self.report_json(new)
        if a is None or b is None or self.kind_of(base) != "check" or self.kind_of(new) != "check":
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
        accepted = {w["fingerprint"] for w in self.waivers(today) if not w["expired"]}
        for f in added:
            f["accepted"] = f.get("status") == "waived" or f["fingerprint"] in accepted
        failing = [f for f in added if f["severity"] == "error" and not f["accepted"]]
        not_run = len(cur.get("rules_not_run") or [])
        if failing or not_run:
            verdict = "不適合"
        elif capped:
            verdict = "判定できません"
        else:
            verdict = "適合"
        return {"base": base, "new": new, "added": added, "fixed": fixed, "existing": existing, "capped": capped,
                "verdict": verdict, "failing": len(failing), "not_run": not_run}

    # -- waivers ----------------------------------------------------------------------------------

    def add_waivers(self, hid: str, fingerprints: builtins.list[str], *, reason: str, owner: str,
                    expires: _dt.date | None) -> int:
        """Accept the findings of run ``hid`` with these fingerprints; returns how many were recorded.

        Only the fingerprint, code, severity, file and item of each finding are stored (never a value);
        an existing waiver of the same fingerprint is replaced (new reason, owner and expiry).
        """
        entry = self.entry(hid)
        if entry is None or entry["kind"] != "check":
            return 0
        wanted = set(fingerprints)
        found: dict[str, dict[str, Any]] = {}
        for f in entry["report"]["findings"]:
            if f["fingerprint"] in wanted:
                found.setdefault(f["fingerprint"], f)
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        with self.lock, self._connect() as db:
            for fp, f in found.items():
                db.execute(
                    "INSERT OR REPLACE INTO waivers (created, fingerprint, code, severity, file, item, reason, owner,"
                    " expires, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (now, fp, f["code"], f["severity"], f["file"], f.get("item"), reason, owner,
                     None if expires is None else expires.isoformat(), int(hid)),
                )
        return len(found)

    def waivers(self, today: _dt.date | None = None) -> builtins.list[dict[str, Any]]:
        """The recorded waivers, oldest first, each with ``expired`` as of ``today``."""
        day = (today or _dt.date.today()).isoformat()
        with self.lock, self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute("SELECT * FROM waivers ORDER BY id")]
        for r in rows:
            r["expired"] = r["expires"] is not None and r["expires"] < day
        return rows

    def delete_waiver(self, wid: str) -> bool:
        """Withdraw waiver ``wid``."""
        if not wid.isdigit():
            return False
        with self.lock, self._connect() as db:
            return db.execute("DELETE FROM waivers WHERE id = ?", (int(wid),)).rowcount > 0

    def _entries(self) -> builtins.list[Waiver]:
        return [
            Waiver(code=w["code"], file=glob.escape(w["file"]), item=w["item"], fingerprint=w["fingerprint"],
                   reason=w["reason"], owner=w["owner"],
                   expires=_dt.date.fromisoformat(w["expires"]) if w["expires"] else NO_EXPIRY)
            for w in self.waivers()
        ]

    def waiver_toml(self) -> str:
        """The recorded waivers as a waiver file for ``kikan-std check --waivers``."""
        out = ["# kikan-std の承認（waiver）: 実行履歴の画面で登録したもの / waivers recorded in the web app",
               "# 使い方 / use: kikan-std check … --waivers このファイル.toml", ""]
        for w in self._entries():
            out.append("[[waiver]]")
            out.append(f"code = {toml_string(w.code)}")
            out.append(f"file = {toml_string(w.file)}")
            if w.item is not None:
                out.append(f"item = {toml_string(w.item)}")
            out.append(f"fingerprint = {toml_string(w.fingerprint or '')}")
            out.append(f"reason = {toml_string(w.reason)}")
            out.append(f"owner = {toml_string(w.owner)}")
            note = "  # 期限なし / no expiry" if w.expires == NO_EXPIRY else ""
            out.append(f"expires = {w.expires.isoformat()}{note}")
            out.append("")
        return "\n".join(out)

    def waivers_for_run(self, today: _dt.date | None = None) -> Waivers | None:
        """The recorded waivers as the run's ``waivers`` (None when there are none)."""
        entries = self._entries()
        if not entries:
            return None
        sha = hashlib.sha256(self.waiver_toml().encode("utf-8")).hexdigest()
        return Waivers(entries, WAIVER_FILE_LABEL, sha, today)
