"""Human-friendly text rendering of a report: verdict first, then findings grouped by code."""

from __future__ import annotations

from collections import defaultdict

from kikan_std.catalogue import Lang, entry
from kikan_std.report.model import FindingOut, Report
from kikan_std.writers._common import location, terminal_safe

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
        "st_new": "新規",
        "st_existing": "既存",
        "st_waived": "承認済",
        "baseline": "ベースライン {file}: 新規 {new} 件 / 既存 {existing} 件 / 解消 {fixed} 件",
        "baseline_capped": (
            "注意: ベースラインは指摘を上限で打ち切っているため、上限を超えた分は新規と判定されます。"
        ),
        "waivers": "承認（waiver）{file}: {n} 件を承認済みとして扱いました",
        "expired": "  期限切れの承認: {code} {file}（期限 {expires}、{owner}）— 該当 {n} 件は承認されません",
        "gate": "終了コードの判定（--fail-on {fail_on}）: 対象のエラー {n} 件 → {result}",
        "gate_failed": "失敗（1）",
        "gate_passed": "成功（0）",
        "against": "判定の基準",
        "archive": "ZIP 内のファイル名の読み方",
        "stale": "  使われなかった承認: {code} {file}（{owner}）— 該当する指摘がありません。不要なら削除してください",
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
        "st_new": "new",
        "st_existing": "existing",
        "st_waived": "waived",
        "baseline": "Baseline {file}: {new} new / {existing} existing / {fixed} fixed",
        "baseline_capped": "Note: the baseline was capped; findings beyond its cap count as new.",
        "waivers": "Waivers {file}: {n} findings accepted",
        "expired": (
            "  Expired waiver: {code} {file} (expired {expires}, {owner}) — its {n} findings count again"
        ),
        "gate": "Exit code (--fail-on {fail_on}): {n} failing errors → {result}",
        "gate_failed": "fail (1)",
        "gate_passed": "pass (0)",
        "against": "Checked against",
        "archive": "Member names in the zip read as",
        "stale": "  Stale waiver: {code} {file} ({owner}) — matched no finding; remove it if no longer needed",
    },
}

_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

NAME_ENCODINGS = {
    "cp932": "CP932（Shift_JIS、UTF-8 フラグなし）/ CP932 (no UTF-8 flag)",
    "utf-8": "UTF-8（UTF-8 フラグあり）/ UTF-8 (flag set)",
    "cp437": "CP437（フラグなし・CP932 として読めない）/ CP437 (no flag, not CP932)",
    "ascii": "ASCII",
}
"""How a zip's member names were decoded, for people (report ``archive.name_encodings``)."""


def archive_text(report: Report) -> str | None:
    """``CP932 (…) 12, ASCII 1`` — how the zip's member names were read, or None for no zip."""
    a = report.archive
    if a is None:
        return None
    return ", ".join(f"{NAME_ENCODINGS.get(k, k)} {n:,}" for k, n in a.name_encodings.items())


def _gate_lines(report: Report, t: dict[str, str]) -> list[str]:
    """Baseline, waiver and exit-code lines (only when those options were used)."""
    out: list[str] = []
    b = report.baseline
    if b is not None:
        out.append(
            t["baseline"].format(
                file=b.file, new=f"{b.new:,}", existing=f"{b.existing:,}", fixed=f"{b.fixed:,}"
            )
        )
        if b.baseline_capped:
            out.append(t["baseline_capped"])
    w = report.waivers
    if w is not None:
        out.append(t["waivers"].format(file=w.file, n=f"{w.waived:,}"))
        for x in w.waivers:
            if x.expired:
                out.append(t["expired"].format(code=x.code, file=x.file, expires=x.expires, owner=x.owner,
                                               n=f"{x.matched:,}"))
            elif x.stale:
                out.append(t["stale"].format(code=x.code, file=x.file, owner=x.owner))
    g = report.gate
    if g is not None and (b is not None or w is not None or g.fail_on != "error"):
        out.append(t["gate"].format(fail_on=g.fail_on, n=f"{g.failing_findings:,}",
                                    result=t["gate_failed"] if g.failed else t["gate_passed"]))
    return out


def _location(f: FindingOut, t: dict[str, str]) -> str:
    return location(f, t["record"])


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
    out.append(
        f"kikan-std {report.tool['version']} | {t['spec']}: {s.id} {s.title} ({s.edition}, {s.provenance})"
    )
    if report.checked_against:
        out.append(f"{t['against']}: {report.checked_against}")
    names = archive_text(report)
    if names is not None:
        out.append(f"{t['archive']}: {names}")
    if report.businesses is not None:
        out.extend(_business_lines(report, t))
    verdicts = {f.file: f for f in report.files}
    for i in report.inputs if report.businesses is None else ():
        enc = i.encoding + (f", {t['bom']}" if i.bom else "")
        group = f" [{i.group}]" if i.group else ""
        line = f"{t['input']}: {i.file}{group} ({enc}, {i.records:,} {t['records']})"
        fr = verdicts.get(i.file)
        if fr is not None:  # the file's own verdict (report 1.2)
            line += f" {'✔' if fr.valid else '✘'} {t['valid'] if fr.valid else t['invalid']}"
            if fr.errors:
                line += f" ({t['error']} {fr.errors:,}{t['count']})"
        out.append(line)
    sev = report.stats.findings_by_severity
    verdict = t["valid"] if report.valid else t["invalid"]
    mark = "✔" if report.valid else "✘"
    out.append("")
    c = t["count"]
    out.append(
        f"{t['verdict']}: {mark} {verdict}   {t['error']} {sev.get('error', 0):,}{c} / "
        f"{t['warning']} {sev.get('warning', 0):,}{c} / {t['info']} {sev.get('info', 0):,}{c}"
    )
    out.extend(_gate_lines(report, t))
    if report.rules_not_run:
        out.append(f"{t['not_run']}:")
        for n in report.rules_not_run:
            out.append(f"  - {n.rule} ({n.file}): {n.reason}")
    if not report.findings:
        out.append("")
        out.append(t["none"])
        return terminal_safe("\n".join(out) + "\n")

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
        shown = fs[:per_code]
        for f in shown:
            line = f"  {_location(f, t)}: {f.message}"
            if f.value is not None and f.value != "":
                line += f" ({t['value']}: {f.value})"
            if f.status is not None:
                line = f"  [{t['st_' + f.status]}]" + line[1:]
            out.append(line)
        if total > len(shown):  # exact: what is counted minus what is listed here
            out.append("  … " + t["more"].format(n=f"{total - len(shown):,}"))
    out.append("")
    if report.stats.capped:
        out.append(t["capped"])
    if not report.values_shown:
        out.append(t["masked"])
    return terminal_safe("\n".join(out) + "\n")
