"""The engine: read each file, run every check, collect findings, build the report.

Per file: map the header to the group's items, then for each chunk of rows run the field checks
column by column (fast path first), the spec's record rules, and feed the dataset rules (primary
key uniqueness always; spec rules as listed). A rule that raises is reported, never swallowed:
the run is then not valid.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from kikan_std.engine.file import FileRun, Opener
from kikan_std.engine.parallel import check_in_parts
from kikan_std.errors import InputIsDirectoryError, InputNotFoundError
from kikan_std.findings import Finding
from kikan_std.model.rules import DatasetRule, FileRule, RecordRule
from kikan_std.model.spec import Group, Spec
from kikan_std.options import Options, ProgressFn
from kikan_std.readers import input_format_for
from kikan_std.report.baseline import root_relative
from kikan_std.report.build import build_report
from kikan_std.report.collect import NotRun, Sink
from kikan_std.report.model import InputInfo, Report
from kikan_std.specs import rules_for

if TYPE_CHECKING:
    from kikan_std.report.baseline import Classifier


def _skipped_file_rules(spec: Spec, file_rules: Sequence[FileRule] | None) -> Sequence[FileRule]:
    """The whole-file rules a spec has but a single-group run does not apply."""
    if file_rules is not None:
        return file_rules
    if not all(g.fixed_width is not None and g.fixed_width.record_type is not None for g in spec.groups):
        return ()
    return rules_for(spec).file_rules


def record_type_groups(spec: Spec, opts: Options) -> tuple[Group, ...]:
    """The groups each fixed-width file is read as when the spec's groups are record types of one file.

    That is when every group's layout has a ``record_type`` selector (e.g. 全銀 総合振込) and the run
    names neither a group nor its own layout (which then say how to read the file).
    """
    if opts.group is not None or opts.layout is not None:
        return ()
    if all(g.fixed_width is not None and g.fixed_width.record_type is not None for g in spec.groups):
        return spec.groups
    return ()


def _check_record_types(
    spec: Spec,
    path: Path,
    display: str,
    opts: Options,
    sink: Sink,
    record_rules: Sequence[RecordRule],
    dataset_rules: Sequence[DatasetRule],
    file_rules: Sequence[FileRule],
    not_run: list[NotRun],
    progress: ProgressFn | None,
    groups: Sequence[Group],
) -> InputInfo:
    """One file holding several record types: one run per group (its records only), then the file rules once."""
    runs = [FileRun(spec, path, display, replace(opts, group=g.name), sink, record_rules, dataset_rules,
                     not_run, progress) for g in groups]
    infos = [fr.run() for fr in runs]
    runs[-1].run_file_rules(file_rules, lambda: path.open("rb"))
    # Every run read the whole file (records counted over all types): one input, all its groups.
    return infos[0].model_copy(update={"group": " / ".join(g.name for g in groups)})


def new_sink(opts: Options, displays: Sequence[str], classifier: Classifier | None = None) -> Sink:
    """The sink of a run over files named ``displays`` (in input order), capped as ``opts`` says."""
    return Sink(
        cap=opts.max_findings,
        total_cap=opts.max_findings_total,
        classifier=classifier,
        file_order={display: i for i, display in enumerate(displays)},
    )


def classifier_of(opts: Options) -> Classifier | None:
    """The baseline/waiver classifier of a run, or None when it has neither."""
    if opts.fail_on == "new" and opts.baseline is None:
        raise ValueError("fail_on='new' needs a baseline")
    if opts.baseline is None and opts.waivers is None:
        return None
    from kikan_std.report.baseline import Classifier

    return Classifier(opts.baseline, opts.waivers, opts.mask_key)


def collect(
    paths: Sequence[str | Path],
    spec: Spec,
    record_rules: Sequence[RecordRule],
    dataset_rules: Sequence[DatasetRule],
    opts: Options,
    sink: Sink,
    progress: ProgressFn | None = None,
    displays: Sequence[str] | None = None,
    file_rules: Sequence[FileRule] | None = None,
) -> tuple[list[InputInfo], list[NotRun]]:
    """Check ``paths`` against ``spec`` into ``sink``: what :func:`run_check` does before building the report.

    Returns the inputs (one per path, in order) and the rules that could not run. A whole deliverable
    calls this once per file, each with a sink of its own, and merges the sinks into one report.
    """
    if displays is not None and len(displays) != len(paths):
        raise ValueError("displays must name every path")
    resolved = [(Path(p), str(p) if displays is None else displays[n]) for n, p in enumerate(paths)]
    not_run: list[NotRun] = []
    inputs: list[InputInfo] = []
    multi = record_type_groups(spec, opts)
    if multi and file_rules is None:
        file_rules = rules_for(spec).file_rules
    for p, display in resolved:
        if not p.exists():
            raise InputNotFoundError(path=display)
        if p.is_dir():
            raise InputIsDirectoryError(path=display)
    # Rows are many small containers that live for one chunk; the cyclic GC would scan them
    # over and over for nothing (it costs a quarter of the run). Reference counting frees them.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for p, display in resolved:
            info = None
            # A spec that only describes one fixed-width file reads it as such unless told otherwise
            # (a transfer file is usually .txt, which other specs read as CSV).
            if multi and input_format_for(p, opts.input_format or "fixed") == "fixed":
                info = _check_record_types(spec, p, display, replace(opts, input_format="fixed"), sink, record_rules, dataset_rules,
                                           file_rules or (), not_run, progress, multi)
            elif opts.jobs > 1 and sink.classifier is None:
                info = check_in_parts(spec, p, display, opts, sink, record_rules, dataset_rules, not_run)
            if info is None:
                fr = FileRun(spec, p, display, opts, sink, record_rules, dataset_rules, not_run, progress)
                info = fr.run()
                # A file read as one record type (--group / --layout) cannot be held to the spec's
                # whole-file rules (record order, trailer totals): say so rather than pass it.
                for rule in () if multi else _skipped_file_rules(spec, file_rules):
                    reason = "the file was read as one group (--group/--layout); whole-file rules need every record type"
                    not_run.append(NotRun(rule.name, display, reason))
                    sink.add(Finding("SYS002", file=display, params={"rule": rule.name, "reason": reason}))
            inputs.append(info)
    finally:
        if gc_was_enabled:
            gc.enable()
    return inputs, not_run


def run_check(
    paths: Sequence[str | Path],
    spec: Spec,
    record_rules: Sequence[RecordRule] = (),
    dataset_rules: Sequence[DatasetRule] = (),
    options: Options | None = None,
    progress: ProgressFn | None = None,
    displays: Sequence[str] | None = None,
    file_rules: Sequence[FileRule] | None = None,
) -> Report:
    """Check ``paths`` against ``spec`` and return the report.

    ``displays`` names the files in findings and the report instead of their paths (one per path),
    e.g. the member name of a file taken out of a zip archive into a temporary directory.

    A fixed-width file of a spec whose groups are record types (:func:`record_type_groups`) is
    checked once per group, then by ``file_rules`` once (None: the spec's built-in file rules, so
    a caller cannot leave out the record-order and total checks by accident).

    Raises:
        InputError: a file cannot be opened or the encoding is unknown (usage problem).
        KeyError: ``options.group`` is not a group of the spec.
    """
    opts = options or Options()
    classifier = classifier_of(opts)
    if displays is not None and len(displays) != len(paths):
        raise ValueError("displays must name every path")
    names = [str(p) for p in paths] if displays is None else list(displays)
    if classifier is not None:
        classifier.names = root_relative(names)  # fingerprints by the path below the checked root
    sink = new_sink(opts, names, classifier)
    inputs, not_run = collect(paths, spec, record_rules, dataset_rules, opts, sink, progress, displays, file_rules)
    return build_report(spec, opts, sink, inputs, not_run, classifier)


def run_in_memory(
    spec: Spec,
    display: str,
    opener: Opener,
    record_rules: Sequence[RecordRule] = (),
    dataset_rules: Sequence[DatasetRule] = (),
    options: Options | None = None,
    progress: ProgressFn | None = None,
    data: bytes | None = None,
) -> Report:
    """Check one input that is not a file (records or bytes in memory) and return the report.

    ``opener`` opens the input afresh each time it is called (a spec whose groups are record types of
    one fixed-width file reads it once per group, then runs its whole-file rules over ``data``).
    """
    opts = options or Options()
    classifier = classifier_of(opts)
    sink = new_sink(opts, [display], classifier)
    not_run: list[NotRun] = []
    multi = record_type_groups(spec, opts) if data is not None and opts.input_format == "fixed" else ()
    path = Path(display)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if multi:
            runs = [FileRun(spec, path, display, replace(opts, group=g.name), sink, record_rules, dataset_rules,
                            not_run, progress, reader=opener) for g in multi]
            infos = [fr.run() for fr in runs]
            runs[-1].run_file_rules(rules_for(spec).file_rules, lambda: io.BytesIO(data or b""))
            info = infos[0].model_copy(update={"group": " / ".join(g.name for g in multi)})
        else:
            info = FileRun(spec, path, display, opts, sink, record_rules, dataset_rules, not_run, progress,
                           reader=opener).run()
    finally:
        if gc_was_enabled:
            gc.enable()
    return build_report(spec, opts, sink, [info], not_run, classifier)


__all__ = ["classifier_of", "collect", "new_sink", "record_type_groups", "run_check", "run_in_memory"]
