"""Findings → Report: the one report builder, for a run over files and for a whole deliverable.

Every report — ``kikan_std.check``, a deliverable (folder or zip), the Dask paths — is built here
from a :class:`~kikan_std.report.collect.Sink` holding the raw findings of the run, so they all have
the same gate, statistics (per file, per code, per status, caps), masking, baseline classification,
waivers and per-file verdicts (:attr:`Report.files`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kikan_std._version import __version__
from kikan_std.model.spec import Spec
from kikan_std.options import Options
from kikan_std.report.baseline import root_relative
from kikan_std.report.collect import NotRun, Sink
from kikan_std.report.model import (
    ArchiveInfo,
    BusinessResult,
    FileResult,
    Gate,
    InputInfo,
    Report,
    RuleNotRunOut,
    SpecRef,
    Stats,
)
from kikan_std.report.render import finding_fingerprint, finding_out

if TYPE_CHECKING:
    from kikan_std.report.baseline import Classifier

DELIVERABLE_SPEC = SpecRef(
    id="deliverable", edition="-", title="移行データ一式（業務横断の検査）/ migration deliverable", provenance="modeled"
)
"""What a whole-deliverable report names as its spec (each file's own spec is in ``inputs[].spec``)."""


PROVENANCE_LABELS: dict[str, dict[str, str]] = {
    "official": {"ja": "国の標準仕様（公式）", "en": "the national standard specification (official)"},
    "derived": {"ja": "国の標準仕様（公式資料の忠実な転記による）",
                "en": "the national standard specification (from a faithful transcription)"},
    "municipal": {"ja": "自治体の標準準拠システムの出力に基づく仕様",
                  "en": "a spec taken from a municipality's standard-system export"},
    "modeled": {"ja": "当プロジェクトのモデル（公式の基本データリスト未入手）",
                "en": "this project's model (the official 基本データリスト is not at hand)"},
    "user-supplied": {"ja": "利用者が指定したワークブック（既知の公式版と一致しない）",
                      "en": "a user-supplied workbook (not a known official edition)"},
}
"""What a verdict was judged against, per spec provenance (every format shows it with the verdict)."""


def checked_against(provenances: Sequence[str], lang: str) -> str:
    """The labels of ``provenances`` (distinct, in order), joined: what a verdict was judged against."""
    seen = list(dict.fromkeys(provenances))
    sep = "、" if lang == "ja" else "; "
    return sep.join(PROVENANCE_LABELS.get(p, {}).get(lang, p) for p in seen)


def spec_ref(spec: Spec) -> SpecRef:
    """The report's reference to ``spec``."""
    return SpecRef(id=spec.id, edition=spec.edition, title=spec.title, provenance=spec.provenance)


def personal_items(spec: Spec) -> frozenset[str]:
    """The items of ``spec`` whose values are personal (masked unless shown)."""
    return frozenset(it.name for g in spec.groups for it in g.items if it.personal)


def file_results(inputs: Sequence[InputInfo], sink: Sink, not_run: Sequence[NotRun]) -> list[FileResult]:
    """One verdict per input file from the complete counts (not the stored findings)."""
    out = []
    for i in inputs:
        errors = sink.by_file_severity.get((i.file, "error"), 0)
        missed = sum(1 for n in not_run if n.file == i.file)
        out.append(
            FileResult(
                file=i.file,
                spec=i.spec,
                group=i.group,
                records=i.records,
                errors=errors,
                warnings=sink.by_file_severity.get((i.file, "warning"), 0),
                infos=sink.by_file_severity.get((i.file, "info"), 0),
                rules_not_run=missed,
                valid=errors == 0 and missed == 0,
            )
        )
    return out


def _businesses(files: list[FileResult], specs: Sequence[Spec]) -> list[BusinessResult]:
    """Per business (spec, in the order given), its files and their totals."""
    out: list[BusinessResult] = []
    for spec in specs:
        mine = [f for f in files if f.spec == spec.id]
        if not mine:
            continue
        out.append(BusinessResult(
            spec=spec_ref(spec), files=mine, records=sum(f.records for f in mine), errors=sum(f.errors for f in mine),
            warnings=sum(f.warnings for f in mine), valid=all(f.valid for f in mine),
        ))
    return out


def build_report(
    spec: Spec | None,
    opts: Options,
    sink: Sink,
    inputs: list[InputInfo],
    not_run: list[NotRun],
    classifier: Classifier | None = None,
    *,
    deliverable_specs: Sequence[Spec] | None = None,
    personal_by_file: Mapping[str, frozenset[str]] | None = None,
    archive: ArchiveInfo | None = None,
) -> Report:
    """The report of a run from its sink (also used by :mod:`kikan_std.dask` and whole deliverables).

    Args:
        spec: The spec of the run; None for a whole deliverable (then ``deliverable_specs`` lists the
            specs of its businesses, in report order).
        opts: The run's options (language, masking key, caps, gate).
        sink: Every finding of the run (counts complete, storage capped).
        inputs: The files checked, in input order.
        not_run: Rules that could not run.
        classifier: The baseline/waiver classifier the sink used, if any.
        deliverable_specs: For a deliverable, the specs of its businesses.
        personal_by_file: Personal items per file when files follow different specs (a deliverable);
            a finding about a file not listed uses the union of all of them.
        archive: A zip deliverable's member names and how they were decoded.
    """
    if spec is not None:
        personal = personal_items(spec)
        by_file_personal: Mapping[str, frozenset[str]] = personal_by_file or {}
    else:
        by_file_personal = personal_by_file or {}
        personal = frozenset().union(*by_file_personal.values()) if by_file_personal else frozenset()
    kept = sink.finish()
    waivers = opts.waivers
    # Fingerprints name a file by its path relative to the checked root (a deliverable's displays
    # already are), so a baseline made in one directory matches a run from another.
    relative = root_relative(i.file for i in inputs) if spec is not None else {}
    out = []
    for f, (status, widx, fp) in kept:
        if fp is None and relative.get(f.file, f.file) != f.file:
            fp = finding_fingerprint(f, opts.mask_key, relative[f.file])
        out.append(
            finding_out(
                f,
                opts.lang,
                opts.show_values,
                opts.mask_key,
                by_file_personal.get(f.file, personal),
                status=status,
                waiver=waivers.ref(widx) if waivers is not None and widx is not None else None,
                fp=fp,
            )
        )
    errors = sink.by_severity.get("error", 0)
    failing = sink.errors_new if opts.fail_on == "new" else sink.errors_unwaived
    by_file: dict[str, dict[str, int]] = {i.file: {} for i in inputs}
    for (file, code), n in sorted(sink.by_file.items()):
        by_file.setdefault(file, {})[code] = n
    files = file_results(inputs, sink, not_run)
    return Report(
        tool={"name": "kikan-std", "version": __version__},
        valid=errors == 0 and not not_run,
        spec=spec_ref(spec) if spec is not None else DELIVERABLE_SPEC,
        checked_against=checked_against(
            [spec.provenance] if spec is not None
            else [s.provenance for s in deliverable_specs or () if any(i.spec == s.id for i in inputs)],
            opts.lang,
        ),
        generated_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        lang=opts.lang,
        values_shown=opts.show_values,
        mask_key="custom" if opts.mask_key_custom else "default",
        inputs=inputs,
        rules_not_run=[RuleNotRunOut(rule=n.rule, file=n.file, reason=n.reason) for n in not_run],
        stats=Stats(
            records={i.file: i.records for i in inputs},
            findings_by_code=dict(sorted(sink.by_code.items())),
            findings_by_severity={k: sink.by_severity.get(k, 0) for k in ("error", "warning", "info")},
            total_findings=sum(sink.by_code.values()),
            stored_findings=len(kept),
            capped=sink.capped,
            findings_by_file=by_file,
            findings_by_status=dict(sorted(sink.by_status.items())),
            max_findings_per_code=opts.max_findings,
            max_findings_total=opts.max_findings_total,
            capped_codes=sorted(sink.capped_codes),
        ),
        findings=out,
        files=files,
        businesses=None if spec is not None else _businesses(files, deliverable_specs or ()),
        baseline=(
            None
            if classifier is None
            else classifier.baseline_summary(
                {i.file for i in inputs}, opts.max_findings, personal, opts.show_values
            )
        ),
        waivers=waivers.summary(sink.by_status.get("waived", 0)) if waivers is not None else None,
        gate=Gate(
            fail_on=opts.fail_on,
            failed=failing > 0 or bool(not_run),
            failing_findings=failing,
            rules_not_run=len(not_run),
        ),
        archive=archive,
    )
