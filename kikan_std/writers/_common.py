"""Small helpers shared by the writers."""

from __future__ import annotations

from collections import defaultdict

from kikan_std.report.model import FindingOut, Report

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def location(f: FindingOut, record_label: str = "record") -> str:
    """``file:line record N item [key=value]`` — where a person finds the problem."""
    parts = [f.file + (f":{f.line}" if f.line is not None else "")]
    if f.record is not None:
        parts.append(f"{record_label} {f.record}")
    if f.item:
        parts.append(f.item)
    if f.keys:
        parts.append("[" + ", ".join(f"{k}={v}" for k, v in f.keys.items()) + "]")
    return " ".join(parts)


def keys_text(f: FindingOut) -> str:
    """Business keys as ``k=v; k=v``."""
    return "; ".join(f"{k}={v}" for k, v in f.keys.items())


def by_file_and_code(report: Report) -> dict[tuple[str, str], list[FindingOut]]:
    """Stored findings grouped by (file, code)."""
    groups: dict[tuple[str, str], list[FindingOut]] = defaultdict(list)
    for f in report.findings:
        groups[f.file, f.code].append(f)
    return groups


def fails_gate(f: FindingOut, report: Report) -> bool:
    """Whether this finding is one that makes the run fail (see ``--fail-on``)."""
    if f.severity != "error" or f.status == "waived":
        return False
    if report.gate is not None and report.gate.fail_on == "new":
        return f.status == "new"
    return True
