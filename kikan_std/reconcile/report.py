"""Writers for reconcile results: JSON (the contract), CSV for staff, a self-contained HTML summary.

Every writer masks personal values (氏名, 住所, 生年月日, 世帯員, 口座名義, 口座番号) by default with the
same rules and key as ``kikan-std check`` (:func:`kikan_std.report.render.mask_value`; the key from
``KIKAN_STD_MASK_KEY``), so the same value gets the same tag in both tools. ``show_values=True`` keeps
them and records a warning in the output itself.
"""

from __future__ import annotations

import csv
import json
from html import escape
from typing import TYPE_CHECKING, TextIO

from kikan_std.reconcile.normalize import STEP_LABELS

if TYPE_CHECKING:
    from kikan_std.reconcile import ReconcileResult
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.render import mask_value

if TYPE_CHECKING:
    from kikan_std.findings import Finding
    from kikan_std.reconcile import Applicant, Audit, Candidate, FindingOut, ReconcileResult, Summary

__all__ = ["CSV_HEADER", "HTML_ROW_LIMIT", "SHOWN_WARNING", "present", "render_html", "write_csv", "write_json"]

SHOWN_WARNING = (
    "この出力には個人情報（氏名・住所・生年月日・口座）がそのまま含まれます（--show-values）。取扱いに注意してください。"
    " / This output contains personal values in clear (--show-values); handle it accordingly."
)


def _mask_detail(step: str, detail: str, key: bytes) -> str:
    if not detail or step == "kanji_variant":  # 邊→辺: single characters, not a value
        return detail
    return " / ".join(mask_value(part, key) for part in detail.split(" / "))


def _mask_applicant(a: Applicant, key: bytes) -> Applicant:
    return a.model_copy(
        update={
            "name": mask_value(a.name, key) if a.name else "",
            "address": mask_value(a.address, key) if a.address else "",
            "birth_date": mask_value(a.birth_date, key) if a.birth_date else "",
        }
    )


def _finding_out(f: Finding, key: bytes | None) -> FindingOut:
    from kikan_std.reconcile import FindingOut
    from kikan_std.reconcile.catalogue import entry

    e = entry(f.code)
    value, params = f.value, dict(f.params)
    if key is not None and f.personal:
        value = mask_value(value, key) if value else value
        params = {k: mask_value(str(v), key) if isinstance(v, str) and v else v for k, v in params.items()}
    return FindingOut(
        code=f.code,
        severity=f.severity or e.severity,
        file=f.file,
        record=f.record,
        item=f.item,
        value=value,
        message=e.render("ja", {"item": f.item, "value": value, "record": f.record, **params}),
    )


def present(
    result: ReconcileResult, *, show_values: bool = False, mask_key: bytes = DEFAULT_MASK_KEY
) -> ReconcileResult:
    """The result as it is written: personal values masked unless ``show_values`` (then a warning).

    Idempotent: a result already presented is returned as is.
    """
    from kikan_std.reconcile import ReasonOut
    from kikan_std.reconcile.match import Reason

    if result._presented:
        return result
    key = None if show_values else mask_key
    audit = None
    if result.audit is not None:
        audit = result.audit.model_copy(
            update={
                "values_shown": show_values,
                "mask_key": "none" if show_values else ("default" if mask_key == DEFAULT_MASK_KEY else "custom"),
                "warning": SHOWN_WARNING if show_values else None,
            }
        )
    if key is None:
        out = result.model_copy(update={"audit": audit})
    else:
        matched = []
        for m in result.matched:
            reasons = [
                ReasonOut.model_construct(field=r.field, step=r.step, detail=_mask_detail(r.step, r.detail, key))
                for r in m.reasons
            ]
            matched.append(
                m.model_copy(
                    update={
                        "reasons": reasons,
                        "differences": [Reason(r.field, r.step, r.detail).text() for r in reasons],
                        "members_missing": [mask_value(x, key) for x in m.members_missing],
                        "members_added": [mask_value(x, key) for x in m.members_added],
                    }
                )
            )
        out = result.model_copy(
            update={
                "matched": matched,
                "ambiguous": [
                    a.model_copy(update={"applicant": _mask_applicant(a.applicant, key) if a.applicant else None})
                    for a in result.ambiguous
                ],
                "review": [r.model_copy(update={"applicant": _mask_applicant(r.applicant, key)}) for r in result.review],
                "unmatched_applications": [_mask_applicant(a, key) for a in result.unmatched_applications],
                "member_differences": [
                    d.model_copy(
                        update={
                            "missing": [mask_value(x, key) for x in d.missing],
                            "added": [mask_value(x, key) for x in d.added],
                        }
                    )
                    for d in result.member_differences
                ],
                "findings": [_finding_out(f, key) for f in result.raw_findings()],
                "audit": audit,
            }
        )
    out._transfers = result.transfer_records()
    out._raw_findings = result.raw_findings()
    out._presented = True
    return out


def write_json(
    result: ReconcileResult, out: TextIO, *, show_values: bool = False, mask_key: bytes = DEFAULT_MASK_KEY
) -> None:
    """Write the (masked) result as UTF-8 JSON (non-ASCII kept)."""
    json.dump(present(result, show_values=show_values, mask_key=mask_key).model_dump(), out,
              ensure_ascii=False, indent=1)
    out.write("\n")

HTML_ROW_LIMIT = 1000
"""Rows shown per HTML table; the JSON/CSV outputs hold everything."""




CSV_HEADER = (
    "判定",
    "申請No",
    "名簿レコード",
    "名簿No",
    "信頼度",
    "人数",
    "金額",
    "差異・理由",
    "世帯員（申請なし）",
    "世帯員（名簿になし）",
    "指摘",
    "申請者氏名",
    "申請者住所",
    "申請者生年月日",
)


def _keys(a: Applicant | None) -> list[str]:
    return [a.name, a.address, a.birth_date] if a is not None else ["", "", ""]


def _cands(cands: list[Candidate]) -> str:
    return " ".join(
        f"{c.beneficiary}({c.confidence:.3f}{'; ' + c.reason_text if c.reason_text else ''})" for c in cands
    )


def audit_rows(result: ReconcileResult) -> list[tuple[str, str]]:
    """The audit record as (項目, 値) pairs, for the CSV trailer and the HTML section."""
    return audit_rows_of(result.audit)


def audit_rows_of(a: Audit | None) -> list[tuple[str, str]]:
    """:func:`audit_rows` of an audit record."""
    if a is None:
        return []
    rows = [("ツール", f"{a.tool} {a.version}"), ("実行日時", a.created)]
    for i in a.inputs:
        rows.append((f"入力 {i.role}", f"{i.file} sha256={i.sha256} {i.bytes:,}バイト {i.rows:,}件"))
    rows += [(f"オプション {k}", json.dumps(v, ensure_ascii=False)) for k, v in a.options.items()]
    bt = a.bank_table
    rows.append(("金融機関コード表", f"{bt['package']} {bt['version']} (データ {bt['data_date']})" if bt else "なし"))
    rows.append(("マスク", "なし（--show-values）" if a.values_shown else f"あり（鍵: {a.mask_key}）"))
    if a.transfer_file:
        rows.append(("振込ファイル", json.dumps(a.transfer_file, ensure_ascii=False)))
    if a.warning:
        rows.append(("警告", a.warning))
    return rows


def write_csv(
    result: ReconcileResult, out: TextIO, *, show_values: bool = False, mask_key: bytes = DEFAULT_MASK_KEY
) -> None:
    """One row per application (一致/重複/要確認/該当なし), one per beneficiary without application,
    then the audit record (判定 = 監査情報)."""
    result = present(result, show_values=show_values, mask_key=mask_key)
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    notes: dict[int, list[str]] = {}
    for f in result.findings:
        if f.record is not None:
            notes.setdefault(f.record, []).append(f"{f.code} {f.message}")
    rows: list[tuple[int, list[str]]] = []
    blank = ["", "", ""]
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
                    *blank,
                ],
            )
        )
    for d in result.duplicates:
        for a in d.applications:
            if a != d.kept:
                rows.append(
                    (a, ["重複申請", str(a), str(d.beneficiary), "", "", "0", "0", f"申請No {d.kept} と重複", "", "",
                         " / ".join(notes.get(a, [])), *blank])
                )
    for amb in result.ambiguous:
        rows.append(
            (amb.application, ["要確認（候補複数）", str(amb.application), "", "", "", "", "",
                               f"候補: {_cands(amb.candidates)}", "", "", " / ".join(notes.get(amb.application, [])),
                               *_keys(amb.applicant)])
        )
    for rv in result.review:
        rows.append(
            (rv.application, [f"要確認（{rv.reason_text}）", str(rv.application), "", "", "", "", "",
                              f"候補: {_cands(rv.candidates)}", "", "", " / ".join(notes.get(rv.application, [])),
                              *_keys(rv.applicant)])
        )
    for ap in result.unmatched_applications:
        rows.append((ap.application, ["該当なし", str(ap.application), "", "", "", "", "", "", "", "",
                                      " / ".join(notes.get(ap.application, [])), *_keys(ap)]))
    rows.sort(key=lambda t: t[0])
    w.writerows(r for _, r in rows)
    for b in result.unmatched_beneficiaries:
        w.writerow(["未申請", "", str(b), "", "", "", "", "", "", "", "", *blank])
    for k, v in audit_rows(result):
        w.writerow(["監査情報", k, v])


_CSS = """
body{font-family:"Hiragino Sans","Yu Gothic","Meiryo",sans-serif;margin:1.5em;color:#111;line-height:1.5}
h1{font-size:1.4em;border-bottom:2px solid #333}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #999;padding:.2em .5em;
vertical-align:top}th{background:#eee;text-align:left}td.n{text-align:right}.en{color:#555;font-size:.85em}
.note{color:#555;font-size:.85em}.warn{border:2px solid #a00;color:#a00;padding:.4em;font-weight:bold}.error{color:#a00}.warning{color:#a60}
@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""


def _table(head: list[str], rows: list[list[str]], numeric: set[int] | None = None, total: int | None = None) -> str:
    """An HTML table of the first :data:`HTML_ROW_LIMIT` of ``rows`` (``total`` rows in all, default len(rows))."""
    numeric = numeric or set()
    total = len(rows) if total is None else total
    out = ["<table><thead><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for r in rows[:HTML_ROW_LIMIT]:
        out.append(
            "<tr>"
            + "".join(f"<td{' class=n' if i in numeric else ''}>{escape(c)}</td>" for i, c in enumerate(r))
            + "</tr>"
        )
    out.append("</tbody></table>")
    if total > HTML_ROW_LIMIT:
        out.append(
            f'<p class="note">先頭{HTML_ROW_LIMIT:,}件のみ表示（全{total:,}件はCSV・JSONを参照）'
            f" / first {HTML_ROW_LIMIT:,} of {total:,} rows shown</p>"
        )
    return "".join(out)


def render_html(
    result: ReconcileResult,
    *,
    title: str = "突合結果",
    show_values: bool = False,
    mask_key: bytes = DEFAULT_MASK_KEY,
) -> str:
    """A self-contained, printable HTML summary (Japanese first, English in small type)."""

    result = present(result, show_values=show_values, mask_key=mask_key)
    kinds: dict[tuple[str, str], int] = {}
    for m in result.matched:
        for r in m.reasons:
            kinds[(r.field, r.step)] = kinds.get((r.field, r.step), 0) + 1
    finding_rows = [
        [f.code, _SEVERITY.get(f.severity, f.severity), str(f.record or ""), f.item or "", f.message]
        for f in result.findings
        if f.severity != "info"
    ]
    review = [[str(r.application), r.reason_text, *_keys(r.applicant), _cands(r.candidates)] for r in result.review]
    ambiguous = [[str(a.application), *_keys(a.applicant), _cands(a.candidates)] for a in result.ambiguous]
    unmatched = [[str(a.application), *_keys(a)] for a in result.unmatched_applications]
    bens = [[str(b)] for b in result.unmatched_beneficiaries]
    diffs = [
        [str(d.application), str(d.beneficiary), "、".join(d.missing), "、".join(d.added)]
        for d in result.member_differences
    ]
    return html_document(
        title=title,
        summary=result.summary,
        audit=result.audit,
        kinds=kinds,
        review=(review, len(review)),
        ambiguous=(ambiguous, len(ambiguous)),
        duplicates=[
            [str(d.beneficiary), " ".join(map(str, d.applications)), str(d.kept)] for d in result.duplicates
        ],
        unmatched_applications=(unmatched, len(unmatched)),
        unmatched_beneficiaries=(bens, len(bens)),
        member_differences=(diffs, len(diffs)),
        unresolved=[
            (u.bank_name, u.branch_name, u.code, u.candidates, u.applications) for u in result.unresolved_banks
        ],
        findings=(finding_rows, len(finding_rows)),
    )


Rows = tuple[list[list[str]], int]
"""The first rows of a table (at least :data:`HTML_ROW_LIMIT` when there are that many) and the total."""


def html_document(
    *,
    title: str,
    summary: Summary,
    audit: Audit | None,
    kinds: dict[tuple[str, str], int],
    review: Rows,
    ambiguous: Rows,
    duplicates: list[list[str]],
    unmatched_applications: Rows,
    unmatched_beneficiaries: Rows,
    member_differences: Rows,
    unresolved: list[tuple[str, str, str, str, list[int]]],
    findings: Rows,
) -> str:
    """The HTML report from its parts (rows already masked or shown); :func:`render_html` and the
    streamed writer of :func:`kikan_std.reconcile.reconcile_to` both end here."""
    s = summary
    summary_rows = [
        ["申請件数", "Applications", f"{s.applications:,}"],
        ["名簿世帯数", "Households on the list", f"{s.beneficiaries:,}"],
        ["一致（自動）", "Matched (safe to pay)", f"{s.matched:,}"],
        ["要確認（候補複数）", "Review: several safe candidates", f"{s.ambiguous:,}"],
        ["要確認（支払に確認が必要）", "Review: candidates not safe to pay", f"{s.review:,}"],
        ["該当なしの申請", "Applications without a candidate", f"{s.unmatched_applications:,}"],
        ["未申請の世帯", "Households without an application", f"{s.unmatched_beneficiaries:,}"],
        ["重複申請", "Duplicate applications (households)", f"{s.duplicates:,}"],
        ["世帯員の差異", "Member differences", f"{s.member_differences:,}"],
        ["給付人数", "Persons", f"{s.persons:,}"],
        ["給付額合計（円）", "Total amount (yen)", f"{s.amount:,}"],
        ["1人あたり（円）", "Per person (yen)", f"{s.amount_per_person:,}"],
        ["振込可能件数", "Transferable", f"{s.transferable:,}"],
        ["振込可能額（円）", "Transferable amount (yen)", f"{s.transferable_amount:,}"],
    ]
    kind_rows = [
        [f, STEP_LABELS.get(step, step), f"{v:,}"] for (f, step), v in sorted(kinds.items(), key=lambda t: -t[1])
    ]
    warning = f'<p class="warn">{escape(SHOWN_WARNING)}</p>' if audit is not None and audit.values_shown else ""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f'<h1>{escape(title)} <span class="en">Reconciliation report</span></h1>',
        warning,
        '<h2>集計 <span class="en">Summary</span></h2>',
        _table(["項目", "Item", "件数・金額"], summary_rows, {2}),
        '<h2>差異の内訳（一致した組） <span class="en">Differences by kind (matched pairs)</span></h2>',
        _table(["項目", "差異", "件数"], kind_rows, {2}),
        '<h2>要確認（支払に確認が必要） <span class="en">Review queue: not safe to pay automatically</span></h2>',
        _table(["申請No", "理由", "氏名", "住所", "生年月日", "候補（名簿レコード・信頼度・理由）"], review[0], total=review[1]),
        '<h2>要確認（候補複数） <span class="en">Review queue: several safe candidates</span></h2>',
        _table(["申請No", "氏名", "住所", "生年月日", "候補（名簿レコード・信頼度）"], ambiguous[0], total=ambiguous[1]),
        '<h2>重複申請 <span class="en">Duplicate applications</span></h2>',
        _table(["名簿レコード", "申請No", "採用"], duplicates),
        '<h2>該当なしの申請 <span class="en">Applications without a candidate</span></h2>',
        _table(["申請No", "氏名", "住所", "生年月日"], unmatched_applications[0], total=unmatched_applications[1]),
        '<h2>未申請の世帯 <span class="en">Households without an application</span></h2>',
        _table(["名簿レコード"], unmatched_beneficiaries[0], total=unmatched_beneficiaries[1]),
        '<h2>世帯員の差異 <span class="en">Member differences</span></h2>',
        _table(["申請No", "名簿レコード", "申請なし", "名簿になし"], member_differences[0], total=member_differences[1]),
        '<h2>金融機関を特定できない申請 <span class="en">Bank or branch names not resolved</span></h2>',
        _table(
            ["銀行名", "支店名", "コード", "候補", "件数", "申請No"],
            [
                [bank, branch, code, cands, f"{len(apps):,}",
                 " ".join(map(str, apps[:50])) + (" …" if len(apps) > 50 else "")]
                for bank, branch, code, cands, apps in unresolved
            ],
            {4},
        ),
        '<h2>口座の指摘 <span class="en">Account findings (errors and warnings)</span></h2>',
        _table(["コード", "重大度", "申請No", "項目", "内容"], findings[0], total=findings[1]),
        '<h2>監査情報 <span class="en">Audit trail</span></h2>',
        _table(["項目", "値"], [list(r) for r in audit_rows_of(audit)]),
        '<p class="note">この報告書は外部への通信を行わない単一のファイルです。'
        " This report is a single self-contained file and makes no external requests.</p>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


_SEVERITY = {"error": "エラー", "warning": "警告", "info": "情報"}
