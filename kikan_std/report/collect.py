"""Collecting findings during a run: counts complete, storage capped, order fixed (the sink)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kikan_std.catalogue import entry
from kikan_std.findings import Finding
from kikan_std.report.model import Status

if TYPE_CHECKING:
    from kikan_std.report.baseline import Classifier


Meta = tuple["Status | None", "int | None", "str | None"]
"""(baseline status, waiver index, fingerprint) of a finding."""


@dataclass(slots=True)
class Sink:
    """Counts and classifies every finding; keeps the first ``cap`` per code and ``total_cap`` overall.

    "First" is by position in the input (file order, record, line, code, item), not by arrival,
    so the same findings are kept however the work was split (``--jobs``). Statistics count every
    finding.
    """

    cap: int | None
    total_cap: int | None = None
    classifier: Classifier | None = None
    file_order: dict[str, int] = field(default_factory=dict)
    kept: dict[str, list[tuple[tuple[int, int, int, str, str, int], Finding, Meta]]] = field(default_factory=dict)
    seq: int = 0
    by_code: Counter[str] = field(default_factory=Counter)
    by_severity: Counter[str] = field(default_factory=Counter)
    by_file: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_file_severity: Counter[tuple[str, str]] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    errors_unwaived: int = 0
    errors_new: int = 0
    capped: bool = False
    capped_codes: set[str] = field(default_factory=set)

    def _key(self, f: Finding) -> tuple[int, int, int, str, str, int]:
        self.seq += 1
        # A file outside the order (a deliverable's own name, a member that was not checked) comes last.
        return (self.file_order.get(f.file, len(self.file_order)), f.record or 0, f.line or 0, f.code, f.item or "", self.seq)

    def _keep(self, f: Finding, meta: Meta) -> None:
        bucket = self.kept.setdefault(f.code, [])
        bucket.append((self._key(f), f, meta))
        if self.cap is not None and len(bucket) > 2 * self.cap + 16:
            bucket.sort(key=lambda t: t[0])
            del bucket[self.cap :]

    def add(self, f: Finding) -> None:
        self.by_code[f.code] += 1
        severity = f.severity or entry(f.code).severity
        self.by_severity[severity] += 1
        self.by_file[f.file, f.code] += 1
        self.by_file_severity[f.file, severity] += 1
        meta: Meta = (None, None, None)
        if self.classifier is not None:
            meta = self.classifier.classify(f)
        status = meta[0]
        self.by_status[status or "unclassified"] += 1
        if severity == "error" and status != "waived":
            self.errors_unwaived += 1
            if status == "new":
                self.errors_new += 1
        self._keep(f, meta)

    def extend(self, fs: Iterable[Finding]) -> None:
        for f in fs:
            self.add(f)

    def merge(self, other: Sink, record_offset: int, line_offset: int) -> None:
        """Take the counts and kept findings of a part's sink, renumbering its records and lines."""
        self.by_code.update(other.by_code)
        self.by_severity.update(other.by_severity)
        self.by_file.update(other.by_file)
        self.by_file_severity.update(other.by_file_severity)
        self.by_status.update(other.by_status)
        self.errors_unwaived += other.errors_unwaived
        self.errors_new += other.errors_new
        for entries in other.kept.values():
            for _, f, meta in sorted(entries, key=lambda t: t[0]):
                if f.record is not None:
                    f.record += record_offset
                if f.line is not None:
                    f.line += line_offset
                f.related = [(None if r is None else r + record_offset, None if ln is None else ln + line_offset)
                             for r, ln in f.related]
                self._keep(f, meta)

    def finish(self) -> list[tuple[Finding, Meta]]:
        """The kept findings in position order, caps applied; sets ``capped`` and ``capped_codes``."""
        out: list[tuple[tuple[int, int, int, str, str, int], Finding, Meta]] = []
        for code, bucket in self.kept.items():
            bucket.sort(key=lambda t: t[0])
            if self.cap is not None and len(bucket) > self.cap:
                del bucket[self.cap :]
            if self.by_code[code] > len(bucket):
                self.capped_codes.add(code)
            out.extend(bucket)
        out.sort(key=lambda t: t[0])
        if self.total_cap is not None and len(out) > self.total_cap:
            for _, f, _ in out[self.total_cap :]:
                self.capped_codes.add(f.code)
            del out[self.total_cap :]
        self.capped = bool(self.capped_codes)
        return [(f, meta) for _, f, meta in out]


@dataclass(slots=True)
class NotRun:
    """A rule that could not run on a file (reported as SYS002; the run cannot be valid)."""

    rule: str
    file: str
    reason: str


def merge_classifier(into: Classifier, part: Classifier) -> None:
    """Take what a copy of ``into`` classified elsewhere (another process, a Dask worker).

    A deliverable checks each file with its own copy of the run's classifier; fingerprints name the
    file, so the copies never compete for the same baseline finding and merging them in any order
    gives what one classifier would have.
    """
    if into.baseline is not None and part.baseline is not None:
        consumed = part.baseline.counts - part.remaining
        into.remaining.subtract(consumed)
    into.new += part.new
    into.existing += part.existing
    if into.waivers is not None and part.waivers is not None and into.waivers is not part.waivers:
        for i, n in enumerate(part.waivers.matched):
            into.waivers.matched[i] += n
