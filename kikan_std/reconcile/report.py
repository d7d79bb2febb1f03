"""Writers for reconcile results: JSON (the contract), CSV for staff, a self-contained HTML summary."""

from __future__ import annotations

import csv
import json
from html import escape
from typing import TYPE_CHECKING, TextIO

from kikan_std.reconcile.normalize import STEP_LABELS

if TYPE_CHECKING:
    from kikan_std.reconcile import ReconcileResult

__all__ = ["CSV_HEADER", "HTML_ROW_LIMIT", "render_html", "write_csv", "write_json"]

HTML_ROW_LIMIT = 1000
"""Rows shown per HTML table; the JSON/CSV outputs hold everything."""


def write_json(result: ReconcileResult, out: TextIO) -> None:
    """Write ``result.model_dump()`` as UTF-8 JSON (non-ASCII kept)."""
    json.dump(result.model_dump(), out, ensure_ascii=False, indent=1)
    out.write("\n")


CSV_HEADER = (
    "判定",
    "申請No",
    "名簿レコード",
    "名簿No",
    "信頼度",
    "人数",
    "金額",
    "差異",
    "世帯員（申請なし）",
    "世帯員（名簿になし）",
    "指摘",
)


def write_csv(result: ReconcileResult, out: TextIO) -> None:
    """One row per application (一致/重複/曖昧/該当なし), then one per beneficiary without application."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    notes: dict[int, list[str]] = {}
    for f in result.findings:
        if f.record is not None:
            notes.setdefault(f.record, []).append(f"{f.code} {f.message}")
    rows: list[tuple[int, list[str]]] = []
    for m in result.matched:
        rows.append(
            (
                m.application,
                [
                    "一致",
                    str(m.application),
                    str(m.beneficiary),
                    m.beneficiary_no or "",
                    f"{m.confidence:.3f}",
                    str(m.persons),
                    str(m.amount),
                    " / ".join(m.differences),
                    "、".join(m.members_missing),
                    "、".join(m.members_added),
                    " / ".join(notes.get(m.application, [])),
                ],
            )
        )
    for d in result.duplicates:
        for a in d.applications:
            if a != d.kept:
                rows.append(
                    (
                        a,
                        [
                            "重複申請",
                            str(a),
                            str(d.beneficiary),
                            "",
                            "",
                            "0",
                            "0",
                            f"申請No {d.kept} と重複",
                            "",
                            "",
                            " / ".join(notes.get(a, [])),
                        ],
                    )
                )
    for amb in result.ambiguous:
        cands = " ".join(f"{c.beneficiary}({c.confidence:.3f})" for c in amb.candidates)
        rows.append(
            (
                amb.application,
                [
                    "要確認（候補複数）",
                    str(amb.application),
                    "",
                    "",
                    "",
                    "",
                    "",
                    f"候補: {cands}",
                    "",
                    "",
                    " / ".join(notes.get(amb.application, [])),
                ],
            )
        )
    for a in result.unmatched_applications:
        rows.append((a, ["該当なし", str(a), "", "", "", "", "", "", "", "", " / ".join(notes.get(a, []))]))
    rows.sort(key=lambda t: t[0])
    w.writerows(r for _, r in rows)
    for b in result.unmatched_beneficiaries:
        w.writerow(["未申請", "", str(b), "", "", "", "", "", "", "", ""])


_CSS = """
body{font-family:"Hiragino Sans","Yu Gothic","Meiryo",sans-serif;margin:1.5em;color:#111;line-height:1.5}
h1{font-size:1.4em;border-bottom:2px solid #333}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #999;padding:.2em .5em;
vertical-align:top}th{background:#eee;text-align:left}td.n{text-align:right}.en{color:#555;font-size:.85em}
.note{color:#555;font-size:.85em}.error{color:#a00}.warning{color:#a60}
@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows[:HTML_ROW_LIMIT]:
        out.append(
            "<tr>"
            + "".join(f"<td{' class=n' if i in numeric else ''}>{escape(c)}</td>" for i, c in enumerate(r))
            + "</tr>"
        )
    out.append("</tbody></table>")
    if len(rows) > HTML_ROW_LIMIT:
        out.append(
            f'<p class="note">先頭{HTML_ROW_LIMIT:,}件のみ表示（全{len(rows):,}件はCSV・JSONを参照）'
            f" / first {HTML_ROW_LIMIT:,} of {len(rows):,} rows shown</p>"
        )
    return "".join(out)


def render_html(result: ReconcileResult, *, title: str = "突合結果") -> str:
    """A self-contained, printable HTML summary (Japanese first, English in small type)."""
    s = result.summary
    summary_rows = [
        ["申請件数", "Applications", f"{s.applications:,}"],
        ["名簿世帯数", "Households on the list", f"{s.beneficiaries:,}"],
        ["一致", "Matched", f"{s.matched:,}"],
        ["要確認（候補複数）", "Ambiguous", f"{s.ambiguous:,}"],
        ["該当なしの申請", "Applications without a match", f"{s.unmatched_applications:,}"],
        ["未申請の世帯", "Households without an application", f"{s.unmatched_beneficiaries:,}"],
        ["重複申請", "Duplicate applications (households)", f"{s.duplicates:,}"],
        ["世帯員の差異", "Member differences", f"{s.member_differences:,}"],
        ["給付人数", "Persons", f"{s.persons:,}"],
        ["給付額合計", "Total amount (yen)", f"{s.amount:,}"],
        ["1人あたり", "Per person (yen)", f"{s.amount_per_person:,}"],
        ["振込可能件数", "Transferable", f"{s.transferable:,}"],
        ["振込可能額", "Transferable amount (yen)", f"{s.transferable_amount:,}"],
    ]
    kinds: dict[str, int] = {}
    for m in result.matched:
        for r in m.reasons:
            key = f"{r.field}: {r.step}"
            kinds[key] = kinds.get(key, 0) + 1
    kind_rows = [
        [k.split(": ")[0], STEP_LABELS.get(k.split(": ")[1], k.split(": ")[1]), k.split(": ")[1], f"{v:,}"]
        for k, v in sorted(kinds.items(), key=lambda t: -t[1])
    ]
    finding_rows = [
        [f.code, f.severity, str(f.record or ""), f.item or "", f.message]
        for f in result.findings
        if f.severity != "info"
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{escape(title)} <span class="en">Reconciliation report</span></h1>',
        '<h2>集計 <span class="en">Summary</span></h2>',
        _table(["項目", "Item", "件数・金額"], summary_rows, {2}),
        '<h2>差異の内訳 <span class="en">Differences by kind (matched pairs)</span></h2>',
        _table(["項目", "差異", "step", "件数"], kind_rows, {3}),
        '<h2>要確認（候補複数） <span class="en">Ambiguous applications</span></h2>',
        _table(
            ["申請No", "候補（名簿レコード・信頼度）"],
            [
                [str(a.application), " ".join(f"{c.beneficiary} ({c.confidence:.3f})" for c in a.candidates)]
                for a in result.ambiguous
            ],
        ),
        '<h2>重複申請 <span class="en">Duplicate applications</span></h2>',
        _table(
            ["名簿レコード", "申請No", "採用"],
            [
                [str(d.beneficiary), " ".join(map(str, d.applications)), str(d.kept)]
                for d in result.duplicates
            ],
        ),
        '<h2>該当なしの申請 <span class="en">Applications without a match</span></h2>',
        _table(["申請No"], [[str(a)] for a in result.unmatched_applications]),
        '<h2>未申請の世帯 <span class="en">Households without an application</span></h2>',
        _table(["名簿レコード"], [[str(b)] for b in result.unmatched_beneficiaries]),
        '<h2>世帯員の差異 <span class="en">Member differences</span></h2>',
        _table(
            ["申請No", "名簿レコード", "申請なし", "名簿になし"],
            [
                [str(d.application), str(d.beneficiary), "、".join(d.missing), "、".join(d.added)]
                for d in result.member_differences
            ],
        ),
        '<h2>口座の指摘 <span class="en">Account findings (errors and warnings)</span></h2>',
        _table(["コード", "重大度", "申請No", "項目", "内容"], finding_rows),
        '<p class="note">この報告書は外部への通信を行わない単一のファイルです。'
        " This report is a single self-contained file and makes no external requests.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)
