"""HTML report for auditors: one self-contained, printable file, Japanese first.

The page makes no network request: CSS, the small filter script and the SVG chart are inline, and
a Content-Security-Policy forbids anything else. Layout: verdict (適合 / 不適合) at the top, summary
per file and per rule with a bar chart, findings grouped by rule (the first examples and "N more"),
a filter/search box, baseline and waiver sections when used, and a provenance block (tool version,
spec id and edition, input files with SHA-256, time). ``@page`` is A4.

When the page shows only examples (a rule has more findings than :data:`EXAMPLES_PER_RULE`), the full
list travels with it: the findings CSV (exactly what ``--output-format csv`` writes: the same masked
values and columns, UTF-8 with BOM, the capped note first when the report stored fewer findings than
it counted) is attached to the page as a ``data:`` link with a file name to save it under. It needs
no script and no network, and the page stays one file. The summary, every "N more" line and the
provenance block name the attachment (file name, rows, SHA-256), so the printed report says where
the full list is.

Rendered with jinja2 with autoescaping on: every value from the data is escaped.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2

from kikan_std.catalogue import Lang, catalogue
from kikan_std.report.model import FindingOut, Report
from kikan_std.writers._common import SEVERITY_ORDER, fails_gate, xml_safe
from kikan_std.writers.csv_findings import render_csv
from kikan_std.writers.text import archive_text

EXAMPLES_PER_RULE = 20
"""Findings shown per rule; the rest are counted ("N more")."""

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "データ適合性検査 結果報告書",
        "subtitle": "基幹業務システム標準仕様への適合性（kikan-std）",
        "verdict": "判定",
        "valid": "適合",
        "invalid": "不適合",
        "valid_note": "エラーの指摘はなく、すべての検査規則を実行しました。",
        "invalid_note": "標準仕様に適合しない箇所があります。下の一覧で場所と直し方を確認してください。",
        "not_run": "実行できなかった検査規則があるため、適合とは判定できません。",
        "gate_pass_waived": "承認済み（waiver）または既存の指摘を除くと、CI の判定は成功です（終了コード 0）。",
        "gate": "CI の判定（--fail-on {fail_on}）",
        "gate_failed": "失敗（終了コード 1）",
        "gate_passed": "成功（終了コード 0）",
        "error": "エラー",
        "warning": "警告",
        "info": "情報",
        "files": "ファイル",
        "records": "レコード",
        "findings": "指摘",
        "count": "件",
        "summary_files": "ファイル別の集計",
        "summary_rules": "検査規則別の集計",
        "chart_title": "指摘件数（規則別）",
        "file": "ファイル",
        "group": "グループ",
        "encoding": "文字コード",
        "code": "コード",
        "rule": "規則",
        "severity": "重大度",
        "total": "件数",
        "findings_by_rule": "規則別の指摘",
        "no_findings": "指摘はありません。",
        "what": "検査内容",
        "fix": "直し方",
        "location": "場所",
        "line": "行",
        "record": "レコード",
        "item": "データ項目",
        "bkeys": "業務キー",
        "value": "値",
        "message": "内容",
        "status": "状態",
        "more": "他 {n} 件（この報告書には最初の {shown} 件を表示。JSON / CSV 出力で保存分をすべて確認できます）",
        "more_attached": "他 {n} 件（この報告書には最初の {shown} 件を表示。一覧は添付の CSV「{name}」にあります）",
        "attachment": "全件の一覧（添付 CSV）",
        "attachment_note": "この報告書には規則ごとに最初の {shown} 件だけを載せています。指摘 {rows} 件の一覧は、この HTML "
                           "ファイルに添付した CSV「{name}」にあります（UTF-8・BOM 付き、Excel でそのまま開けます。"
                           "個人情報はこの報告書と同じくマスク済み）。画面の「{button}」で保存してください。",
        "attachment_capped": "保存上限（--max-findings / --max-findings-total）のため、指摘 {total} 件のうち {left} 件は"
                             " CSV にも含まれていません（CSV の1行目にも注記）。全件を載せるには --max-findings 0 "
                             "--max-findings-total 0 で検査してください。",
        "attachment_button": "全件の CSV を保存",
        "attachment_row": "添付（全件の CSV）",
        "attachment_rows": "行",
        "attachment_print": "印刷した報告書には一覧は含まれません。一覧は HTML ファイルの添付 CSV を保存して開いてください。",
        "capped": "保存した指摘は上限（--max-findings）で打ち切っています。件数の集計はすべての指摘を数えています。",
        "filter": "絞り込み",
        "search": "検索（項目名・業務キー・メッセージ）",
        "all_status": "すべての状態",
        "shown": "表示中",
        "filter_note": "検索はこの報告書に載っている指摘が対象です。",
        "st_new": "新規",
        "st_existing": "既存",
        "st_waived": "承認済",
        "baseline": "前回との比較（ベースライン）",
        "baseline_file": "ベースライン",
        "new": "新規",
        "existing": "既存",
        "fixed": "解消",
        "fixed_list": "解消した指摘",
        "baseline_capped": "ベースラインは指摘を上限で打ち切っているため、上限を超えた分は新規と判定されます。",
        "waivers": "承認済みの指摘（waiver）",
        "waiver_file": "承認ファイル",
        "reason": "理由",
        "owner": "承認者",
        "expires": "期限",
        "matched": "該当",
        "expired": "期限切れ（適用されません）",
        "active": "有効",
        "provenance": "検査の記録",
        "against": "判定の基準",
        "archive_names": "ZIP 内のファイル名の読み方",
        "stale": "使われていない（該当なし）",
        "tool": "ツール",
        "spec": "仕様",
        "edition": "版",
        "spec_provenance": "仕様の出典区分",
        "generated_at": "検査日時（UTC）",
        "inputs": "入力ファイル",
        "bytes": "バイト",
        "sha256": "SHA-256",
        "privacy": "個人情報の扱い",
        "masked": "個人情報の値はマスクしています（末尾の一部と照合用ハッシュのみ表示）。",
        "shown_values": "注意: --show-values により個人情報の値をそのまま表示しています。取り扱いに注意してください。",
        "mask_key": "照合用ハッシュの鍵",
        "mask_default": "既定の鍵",
        "mask_custom": "組織の鍵（--mask-key / KIKAN_STD_MASK_KEY）",
        "limits": "保存上限",
        "per_code": "規則ごと",
        "overall": "全体",
        "unlimited": "なし",
        "report_version": "レポート形式",
        "print": "印刷",
    },
    "en": {
        "title": "Data conformance report",
        "subtitle": "Conformance to the standard specifications of municipal core systems (kikan-std)",
        "verdict": "Verdict",
        "valid": "Conformant",
        "invalid": "Not conformant",
        "valid_note": "No error findings, and every rule ran.",
        "invalid_note": "The data does not conform. The list below shows where and how to fix it.",
        "not_run": "Some rules could not run, so the data cannot be judged conformant.",
        "gate_pass_waived": "Without waived or existing findings, the CI check passes (exit code 0).",
        "gate": "CI check (--fail-on {fail_on})",
        "gate_failed": "fail (exit code 1)",
        "gate_passed": "pass (exit code 0)",
        "error": "errors",
        "warning": "warnings",
        "info": "info",
        "files": "files",
        "records": "records",
        "findings": "findings",
        "count": "",
        "summary_files": "Per file",
        "summary_rules": "Per rule",
        "chart_title": "Findings per rule",
        "file": "File",
        "group": "Group",
        "encoding": "Encoding",
        "code": "Code",
        "rule": "Rule",
        "severity": "Severity",
        "total": "Count",
        "findings_by_rule": "Findings by rule",
        "no_findings": "No findings.",
        "what": "What it checks",
        "fix": "How to fix",
        "location": "Location",
        "line": "line",
        "record": "record",
        "item": "Item",
        "bkeys": "Keys",
        "value": "Value",
        "message": "Message",
        "status": "Status",
        "more": "{n} more (this report shows the first {shown}; JSON / CSV output lists every stored one)",
        "more_attached": "{n} more (this report shows the first {shown}; the full list is in the attached CSV '{name}')",
        "attachment": "Full list (attached CSV)",
        "attachment_note": "This report shows the first {shown} findings of each rule. The list of all {rows} findings is "
                           "the CSV '{name}' attached to this HTML file (UTF-8 with BOM, opens in Excel; personal values "
                           "masked as in this report). Save it with '{button}'.",
        "attachment_capped": "The storage caps (--max-findings / --max-findings-total) left {left} of {total} findings "
                             "out of the CSV too (its first line says so). Check with --max-findings 0 "
                             "--max-findings-total 0 to list every finding.",
        "attachment_button": "Save the full list (CSV)",
        "attachment_row": "Attachment (full list, CSV)",
        "attachment_rows": "rows",
        "attachment_print": "The printed report does not contain the list: save the CSV attached to the HTML file.",
        "capped": "Stored findings are capped (--max-findings); the counts include every finding.",
        "filter": "Filter",
        "search": "Search (item, key, message)",
        "all_status": "any status",
        "shown": "shown",
        "filter_note": "Search covers the findings listed in this report.",
        "st_new": "new",
        "st_existing": "existing",
        "st_waived": "waived",
        "baseline": "Compared with the baseline",
        "baseline_file": "Baseline",
        "new": "new",
        "existing": "existing",
        "fixed": "fixed",
        "fixed_list": "Fixed findings",
        "baseline_capped": "The baseline was capped: findings beyond its cap count as new.",
        "waivers": "Waivers",
        "waiver_file": "Waiver file",
        "reason": "Reason",
        "owner": "Owner",
        "expires": "Expires",
        "matched": "Matched",
        "expired": "expired (not applied)",
        "active": "active",
        "provenance": "Provenance",
        "against": "Checked against",
        "archive_names": "Member names in the zip read as",
        "stale": "stale (matched nothing)",
        "tool": "Tool",
        "spec": "Spec",
        "edition": "Edition",
        "spec_provenance": "Spec provenance",
        "generated_at": "Checked at (UTC)",
        "inputs": "Input files",
        "bytes": "bytes",
        "sha256": "SHA-256",
        "privacy": "Personal data",
        "masked": "Personal values are masked (only a short suffix and a hash for correlation are shown).",
        "shown_values": "Warning: --show-values was given; personal values are shown unmasked.",
        "mask_key": "Hash key",
        "mask_default": "built-in key",
        "mask_custom": "organisation key (--mask-key / KIKAN_STD_MASK_KEY)",
        "limits": "Storage caps",
        "per_code": "per rule",
        "overall": "overall",
        "unlimited": "none",
        "report_version": "Report format",
        "print": "Print",
    },
}


@dataclass
class _Rule:
    code: str
    slug: str
    title: str
    severity: str
    total: int
    what: str
    fix: str
    examples: list[FindingOut] = field(default_factory=list)
    more: int = 0
    failing: int = 0


@dataclass
class _Attachment:
    """The findings CSV attached to the page (see the module docstring)."""

    name: str
    href: str
    rows: int
    bytes: int
    sha256: str


@dataclass
class _FileRow:
    file: str
    group: str
    records: int
    encoding: str
    counts: dict[str, int]
    total: int
    valid: bool


def _severity_of(code: str, report_findings: Mapping[str, str]) -> str:
    return report_findings.get(code) or catalogue()[code].severity


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("kikan_std", "writers/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_UNSAFE_NAME = re.compile(r"[^0-9A-Za-z._-]+")


def attachment_name(report: Report) -> str:
    """The file name the attached findings CSV is saved under: spec and check time, ASCII only.

    ``kikan-std-findings_jutogai_atena_20250401-093000.csv``: unique per run, stable for one report.
    """
    stamp = re.sub(r"[^0-9T]", "", report.generated_at[:19]).replace("T", "-")
    return f"kikan-std-findings_{_UNSAFE_NAME.sub('_', report.spec.id)}_{stamp}.csv"


def _attachment(report: Report, lang: Lang) -> _Attachment:
    data = render_csv(report, lang).encode("utf-8")
    return _Attachment(
        name=attachment_name(report),
        href="data:text/csv;charset=utf-8;base64," + base64.b64encode(data).decode("ascii"),
        rows=len(report.findings),
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _context(report: Report, lang: Lang) -> dict[str, Any]:
    cat = catalogue()
    seen_severity = {f.code: f.severity for f in report.findings}
    rules: dict[str, _Rule] = {}
    for code, n in report.stats.findings_by_code.items():
        e = cat[code]
        rules[code] = _Rule(
            code=code,
            slug=e.slug,
            title=e.title[lang],
            severity=_severity_of(code, seen_severity),
            total=n,
            what=e.what[lang].strip(),
            fix=e.fix[lang].strip(),
        )
    for f in report.findings:
        r = rules.get(f.code)
        if r is None:
            continue
        if len(r.examples) < EXAMPLES_PER_RULE:
            r.examples.append(f)
        if fails_gate(f, report):
            r.failing += 1
    for r in rules.values():
        r.more = r.total - len(r.examples)
    ordered = sorted(rules.values(), key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), -r.total, r.code))
    files = []
    verdicts = {f.file: f for f in report.files}
    for inp in report.inputs:
        fr = verdicts.get(inp.file)
        if fr is not None:  # report 1.2: the file's verdict and complete counts
            counts = {"error": fr.errors, "warning": fr.warnings, "info": fr.infos}
        else:  # an older report: counts by code, verdict from them
            counts = {"error": 0, "warning": 0, "info": 0}
            for code, n in report.stats.findings_by_file.get(inp.file, {}).items():
                counts[_severity_of(code, seen_severity)] += n
        files.append(
            _FileRow(
                file=inp.file,
                group=inp.group or "-",
                records=inp.records,
                encoding=inp.encoding + (" (BOM)" if inp.bom else ""),
                counts=counts,
                total=sum(counts.values()),
                valid=fr.valid if fr is not None else counts["error"] == 0,
            )
        )
    max_count = max((r.total for r in ordered), default=0)
    gate = report.gate
    # The page shows only examples: the full list goes with it as the attached CSV.
    attachment = _attachment(report, lang) if any(r.more > 0 for r in ordered) else None
    return {
        "attachment": attachment,
        "left_out": report.stats.total_findings - len(report.findings),
        "r": report,
        "t": LABELS[lang],
        "lang": lang,
        "rules": ordered,
        "files": files,
        "max_count": max_count,
        "records_total": sum(i.records for i in report.inputs),
        "gate": gate,
        "gate_differs": gate is not None and report.valid != (not gate.failed),
        # The CI gate line only when a gate was asked for: an auditor's verdict is 適合 / 不適合.
        "gate_asked": gate is not None and (gate.fail_on != "error" or report.baseline is not None
                                            or report.waivers is not None),
        "archive_names": archive_text(report),
        "shown_per_rule": EXAMPLES_PER_RULE,
    }


def render_html(report: Report, lang: Lang = "ja") -> str:
    """The report as one self-contained HTML page."""
    return xml_safe(_environment().get_template("report.html.j2").render(**_context(report, lang)))
