"""CSV of findings: one row per stored finding, UTF-8 with BOM so spreadsheet programs detect it.

Each row carries the verdict of its file (``file_valid``: ``true`` / ``false``; empty for a finding about
no input file, e.g. a deliverable's own name), so a file that fails can be told from the rows.

Columns are fixed (see :data:`COLUMNS`); values of personal items are masked as in every format.
Each row also says what the verdict was judged against (``checked_against``: the official spec, the
project's model, or a user-supplied workbook).

The CSV never drops findings silently: it holds every stored finding of the report, and when the report
stored fewer findings than it counted (``--max-findings`` / ``--max-findings-total``), its FIRST line is
a one-cell note saying so and how many were left out, before the header. Write it with
``--max-findings 0 --max-findings-total 0`` to have every finding.
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
    "checked_against",
)
"""Header of the CSV, in order (``file_valid``, the verdict of the finding's file, was added in 1.2;
``checked_against`` in 1.3)."""

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
    "checked_against": "判定の基準",
}

_SEVERITY_JA = {"error": "エラー", "warning": "警告", "info": "情報"}
"""Severities as an auditor filters them in Excel (``lang="ja"``; ``lang="en"`` keeps error/warning/info)."""

_CAPPED = {
    "ja": "# 注意: この CSV は指摘 {total} 件のうち {stored} 件だけを載せています（{left} 件は保存上限 --max-findings / "
          "--max-findings-total のため省略。集計は全件）。全件を出すには --max-findings 0 --max-findings-total 0 で"
          "検査してください。",
    "en": "# Note: this CSV lists {stored} of {total} findings ({left} left out by the storage caps --max-findings / "
          "--max-findings-total; the counts include all). Check with --max-findings 0 --max-findings-total 0 "
          "to list every finding.",
}


def render_csv(report: Report, lang: Lang = "ja") -> str:
    """The findings as CSV text starting with a BOM (write it as UTF-8); CRLF line ends.

    Severities are in Japanese with ``lang="ja"`` (エラー / 警告 / 情報). There is one header row (after the
    capped note, when findings were left out): with ``lang="ja"`` each cell is the Japanese label followed by the
    stable English column name (``状態 status``); with ``lang="en"`` only the English names.
    """
    buf = io.StringIO()
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\r\n")
    st = report.stats
    if st.total_findings > len(report.findings):
        left = st.total_findings - len(report.findings)
        # Plain numbers (no thousands separator): the note stays one unquoted cell.
        w.writerow([_CAPPED[lang].format(total=st.total_findings, stored=len(report.findings), left=left)])
    w.writerow(COLUMNS if lang == "en" else [f"{_HEADER_JA[c]} {c}" for c in COLUMNS])
    verdicts = {fr.file: fr.valid for fr in report.files}
    for f in report.findings:
        valid = verdicts.get(f.file)
        w.writerow(
            csv_cell(cell)
            for cell in [
                f.status or "",
                _SEVERITY_JA.get(f.severity, f.severity) if lang == "ja" else f.severity,
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
                report.checked_against,
            ]
        )
    return buf.getvalue()
