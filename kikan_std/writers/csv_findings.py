"""CSV of findings: one row per stored finding, UTF-8 with BOM so spreadsheet programs detect it.

Each row carries the verdict of its file (``file_valid``: ``true`` / ``false``; empty for a finding about
no input file, e.g. a deliverable's own name), so a file that fails can be told from the rows.

Columns are fixed (see :data:`COLUMNS`); values of personal items are masked as in every format.
"""

from __future__ import annotations

import csv
import io

from kikan_std.catalogue import Lang, entry
from kikan_std.report.model import Report
from kikan_std.writers._common import csv_cell, keys_text

COLUMNS: tuple[str, ...] = (
    "status",
    "severity",
    "code",
    "slug",
    "file",
    "line",
    "record",
    "item",
    "item_id",
    "keys",
    "value",
    "message",
    "waiver_owner",
    "waiver_expires",
    "fingerprint",
    "file_valid",
)
"""Header of the CSV, in order (``file_valid``, the verdict of the finding's file, was added last in 1.2)."""

_HEADER_JA = {
    "status": "状態",
    "severity": "重大度",
    "code": "コード",
    "slug": "名前",
    "file": "ファイル",
    "line": "行",
    "record": "レコード",
    "item": "データ項目",
    "item_id": "データ項目ID",
    "keys": "業務キー",
    "value": "値",
    "message": "メッセージ",
    "waiver_owner": "承認者",
    "waiver_expires": "承認期限",
    "fingerprint": "識別子",
    "file_valid": "ファイル判定",
}


def render_csv(report: Report, lang: Lang = "ja") -> str:
    """The findings as CSV text starting with a BOM (write it as UTF-8); CRLF line ends.

    There is one header row: with ``lang="ja"`` each cell is the Japanese label followed by the
    stable English column name (``状態 status``); with ``lang="en"`` only the English names.
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(COLUMNS if lang == "en" else [f"{_HEADER_JA[c]} {c}" for c in COLUMNS])
    verdicts = {fr.file: fr.valid for fr in report.files}
    for f in report.findings:
        valid = verdicts.get(f.file)
        w.writerow(
            csv_cell(cell)
            for cell in [
                f.status or "",
                f.severity,
                f.code,
                entry(f.code).slug,
                f.file,
                "" if f.line is None else f.line,
                "" if f.record is None else f.record,
                f.item or "",
                f.item_id or "",
                keys_text(f),
                "" if f.value is None else f.value,
                f.message,
                f.waiver.owner if f.waiver else "",
                f.waiver.expires if f.waiver else "",
                f.fingerprint,
                "" if valid is None else str(valid).lower(),
            ]
        )
    return buf.getvalue()
