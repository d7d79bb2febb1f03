"""Findings → Report: the one report builder."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING

from kikan_std._version import __version__
from kikan_std.model.spec import Spec
from kikan_std.report.model import Gate, InputInfo, Report, RuleNotRunOut, SpecRef, Stats
from kikan_std.report.render import finding_out

if TYPE_CHECKING:
    from kikan_std.report.baseline import Classifier
from kikan_std.options import Options
from kikan_std.report.collect import NotRun, Sink


def build_report(
    spec: Spec,
    opts: Options,
    sink: Sink,
    inputs: list[InputInfo],
    not_run: list[NotRun],
    classifier: Classifier | None = None,
) -> Report:
    """The report of a run from its sink (also used by :mod:`kikan_std.dask`)."""
    personal = frozenset(it.name for g in spec.groups for it in g.items if it.personal)
    kept = sink.finish()
    waivers = opts.waivers
    out = []
    for f, (status, widx, fp) in kept:
        out.append(
            finding_out(
                f,
                opts.lang,
                opts.show_values,
                opts.mask_key,
                personal,
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
    return Report(
        tool={"name": "kikan-std", "version": __version__},
        valid=errors == 0 and not not_run,
        spec=SpecRef(id=spec.id, edition=spec.edition, title=spec.title, provenance=spec.provenance),
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
    )
