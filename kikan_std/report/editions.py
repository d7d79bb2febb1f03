"""One file checked against several editions: which edition each file conforms to, and what differs.

During a transition (共通機能標準仕様書 第2.1版 §2.2.6: after a revision the old edition may stay in use
for a period set by ordinance) data of either edition may arrive. :func:`compare_editions` takes one
ordinary :class:`~kikan_std.report.model.Report` per edition (same files, same options) and builds a
small comparison: per file, the editions it conforms to; and the findings that only some editions have.
The single-edition reports are kept whole in the comparison, unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kikan_std.report.model import Report

FindingKey = tuple[str, str, int | None, str | None]
"""(code, file, record, item): how a finding is matched between editions."""


@dataclass(frozen=True, slots=True)
class FileVerdicts:
    """One input file: the editions it conforms to and those it does not."""

    file: str
    conforms_to: tuple[str, ...]
    fails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DifferingFinding:
    """A finding some editions report and others do not."""

    code: str
    file: str
    record: int | None
    item: str | None
    message: str
    in_editions: tuple[str, ...]
    not_in: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EditionComparison:
    """Files checked against several editions (see the module docstring).

    Attributes:
        editions: the label of each edition (``<spec id> <版>``), in the order given.
        reports: the full report of each edition, by label.
        files: per input file, the editions it conforms to.
        differing: findings present under some editions only (errors and warnings alike).
    """

    editions: tuple[str, ...]
    reports: dict[str, Report]
    files: tuple[FileVerdicts, ...]
    differing: tuple[DifferingFinding, ...] = field(default=())

    @property
    def valid(self) -> bool:
        """True when every file conforms to at least one edition."""
        return all(f.conforms_to for f in self.files)


def edition_label(report: Report, taken: set[str]) -> str:
    """``<spec id> <版>``, made unique with a counter when two editions share both."""
    label = f"{report.spec.id} {report.spec.edition}"
    n = 2
    base = label
    while label in taken:
        label = f"{base} ({n})"
        n += 1
    taken.add(label)
    return label


def compare_editions(reports: list[Report]) -> EditionComparison:
    """The comparison of one report per edition (same files checked with the same options)."""
    taken: set[str] = set()
    labels = [edition_label(r, taken) for r in reports]
    by_label = dict(zip(labels, reports, strict=True))
    files: list[str] = []
    for r in reports:
        files += [f.file for f in r.files if f.file not in files]
    verdicts = []
    for name in files:
        ok = [lab for lab, r in by_label.items() if any(f.file == name and f.valid for f in r.files)]
        verdicts.append(FileVerdicts(name, tuple(ok), tuple(lab for lab in labels if lab not in ok)))
    seen: dict[FindingKey, tuple[str, list[str]]] = {}
    for lab, r in by_label.items():
        for f in r.findings:
            key = (f.code, f.file, f.record, f.item)
            _, where = seen.setdefault(key, (f.message, []))
            if lab not in where:
                where.append(lab)
    differing = [
        DifferingFinding(code, file, record, item, message, tuple(where), tuple(x for x in labels if x not in where))
        for (code, file, record, item), (message, where) in seen.items()
        if len(where) < len(labels)
    ]
    differing.sort(key=lambda d: (d.file, d.record if d.record is not None else -1, d.code, d.item or ""))
    return EditionComparison(tuple(labels), by_label, tuple(verdicts), tuple(differing))


def comparison_to_text(c: EditionComparison) -> str:
    """Plain text: per file the editions it conforms to, then the findings that differ."""
    lines = ["版ごとの検査 / check against several editions: " + " | ".join(c.editions)]
    for f in c.files:
        ok = "、".join(f.conforms_to) if f.conforms_to else "（なし / none）"
        lines.append(f"{f.file}: 適合する版 / conforms to: {ok}")
        if f.fails:
            lines.append(f"  適合しない版 / does not conform to: {'、'.join(f.fails)}")
    if c.differing:
        lines.append(f"版によって異なる指摘 / findings that differ between editions: {len(c.differing)}")
        for d in c.differing:
            where = f"{d.file}" + (f" レコード {d.record}" if d.record is not None else "") + (
                f" 「{d.item}」" if d.item else "")
            lines.append(f"  {d.code} {where}: {d.message} [あり / in: {'、'.join(d.in_editions)}]")
    else:
        lines.append("版によって異なる指摘はありません / no finding differs between the editions")
    return "\n".join(lines) + "\n"


def comparison_to_json(c: EditionComparison) -> str:
    """JSON: the editions, per-file verdicts, differing findings, and each edition's full report."""
    doc = {
        "editions": list(c.editions),
        "valid": c.valid,
        "files": [{"file": f.file, "conforms_to": list(f.conforms_to), "fails": list(f.fails)} for f in c.files],
        "differing": [
            {"code": d.code, "file": d.file, "record": d.record, "item": d.item, "message": d.message,
             "in_editions": list(d.in_editions), "not_in": list(d.not_in)}
            for d in c.differing
        ],
        "reports": {lab: json.loads(r.model_dump_json()) for lab, r in c.reports.items()},
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


__all__ = [
    "DifferingFinding",
    "EditionComparison",
    "FileVerdicts",
    "compare_editions",
    "comparison_to_json",
    "comparison_to_text",
]
