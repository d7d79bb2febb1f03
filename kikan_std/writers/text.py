"""Human-friendly text rendering of a report: verdict first, then findings grouped by code."""

from __future__ import annotations

from collections import defaultdict

from kikan_std.catalogue import Lang, entry
from kikan_std.report import FindingOut, Report

_LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "spec": "仕様",
        "input": "入力",
        "records": "件",
        "verdict": "判定",
        "valid": "適合",
        "invalid": "不適合",
        "error": "エラー",
        "warning": "警告",
        "info": "情報",
        "count": "件",
        "record": "レコード",
        "line": "行",
        "value": "値",
        "more": "他 {n} 件（--output-format json で全件）",
        "capped": "注意: 保存した指摘は上限で打ち切っています（集計は全件）。--max-findings で変更できます。",
        "not_run": "実行できなかった検査規則",
        "masked": "個人情報の値はマスクしています（--show-values で表示）。",
        "none": "指摘はありません。",
        "bom": "BOMあり",
        "business": "業務",
        "files": "ファイル",
    },
    "en": {
        "spec": "Spec",
        "input": "Input",
        "records": "records",
        "verdict": "Verdict",
        "valid": "CONFORMANT",
        "invalid": "NOT CONFORMANT",
        "error": "errors",
        "warning": "warnings",
        "info": "info",
        "count": "",
        "record": "record",
        "line": "line",
        "value": "value",
        "more": "{n} more (use --output-format json for all)",
        "capped": "Note: stored findings are capped (statistics are complete). See --max-findings.",
        "not_run": "Rules that could not run",
        "masked": "Personal values are masked (--show-values to show them).",
        "none": "No findings.",
        "bom": "BOM",
        "business": "Business",
        "files": "files",
    },
}

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _location(f: FindingOut, t: dict[str, str]) -> str:
    parts = [f.file]
    if f.line is not None:
        parts[0] += f":{f.line}"
    if f.record is not None:
        parts.append(f"{t['record']} {f.record}")
    if f.item:
        parts.append(f.item)
    if f.keys:
        parts.append("[" + ", ".join(f"{k}={v}" for k, v in f.keys.items()) + "]")
    return " ".join(parts)


def _business_lines(report: Report, t: dict[str, str]) -> list[str]:
    """Per business, then per file: verdict, records, errors and warnings (whole-deliverable runs)."""
    out: list[str] = []
    for b in report.businesses or ():
        mark = "✔" if b.valid else "✘"
        out.append(
            f"{mark} {t['business']}: {b.spec.id} {b.spec.title} — {len(b.files)} {t['files']}, {b.records:,} "
            f"{t['records']}, {t['error']} {b.errors:,} / {t['warning']} {b.warnings:,}"
        )
        for f in b.files:
            fm = "✔" if f.valid else "✘"
            group = f" [{f.group}]" if f.group else ""
            out.append(
                f"    {fm} {f.file}{group}: {f.records:,} {t['records']}, {t['error']} {f.errors:,} / "
                f"{t['warning']} {f.warnings:,}"
            )
    return out


def render_text(report: Report, lang: Lang = "ja", per_code: int = 10) -> str:
    """The report as text for a terminal: verdict, inputs, then findings grouped by code."""
    t = _LABELS[lang]
    out: list[str] = []
    s = report.spec
    out.append(f"kikan-std {report.tool['version']} | {t['spec']}: {s.id} {s.title} ({s.edition}, {s.provenance})")
    if report.businesses is not None:
        out.extend(_business_lines(report, t))
    for i in report.inputs if report.businesses is None else ():
        enc = i.encoding + (f", {t['bom']}" if i.bom else "")
        group = f" [{i.group}]" if i.group else ""
        out.append(f"{t['input']}: {i.file}{group} ({enc}, {i.records:,} {t['records']})")
    sev = report.stats.findings_by_severity
    verdict = t["valid"] if report.valid else t["invalid"]
    mark = "✔" if report.valid else "✘"
    out.append("")
    out.append(
        f"{t['verdict']}: {mark} {verdict}   {t['error']} {sev.get('error', 0):,}{t['count']} / "
        f"{t['warning']} {sev.get('warning', 0):,}{t['count']} / {t['info']} {sev.get('info', 0):,}{t['count']}"
    )
    if report.rules_not_run:
        out.append(f"{t['not_run']}:")
        for n in report.rules_not_run:
            out.append(f"  - {n.rule} ({n.file}): {n.reason}")
    if not report.findings:
        out.append("")
        out.append(t["none"])
        return "\n".join(out) + "\n"

    groups: dict[str, list[FindingOut]] = defaultdict(list)
    for f in report.findings:
        groups[f.code].append(f)
    order = sorted(groups, key=lambda c: (_SEVERITY_ORDER[groups[c][0].severity], c))
    for code in order:
        fs = groups[code]
        e = entry(code)
        total = report.stats.findings_by_code.get(code, len(fs))
        out.append("")
        out.append(f"■ {code} {e.slug}: {e.title[lang]} — {t[fs[0].severity]} {total:,}{t['count']}")
        for f in fs[:per_code]:
            line = f"  {_location(f, t)}: {f.message}"
            if f.value is not None and f.value != "":
                line += f" ({t['value']}: {f.value})"
            out.append(line)
        if total > per_code:
            out.append("  … " + t["more"].format(n=f"{total - per_code:,}"))
    out.append("")
    if report.stats.capped:
        out.append(t["capped"])
    if not report.values_shown:
        out.append(t["masked"])
    return "\n".join(out) + "\n"
