"""Whole-deliverable checks: one run over a folder or zip of many files from several businesses.

A migration deliverable holds the files of several businesses keyed on the same people. A check

1. lists the files safely (:mod:`.archive`): a folder as it is, a zip archive vetted entry by entry;
2. assigns each file a spec and group from the manifest or the naming convention (:mod:`.manifest`);
3. checks every file with the ordinary engine, each into a sink of its own, while a collector rule
   records who the file refers to (:mod:`.people`);
4. runs the cross-file rules (DLV001–DLV003) over everything collected;
5. merges it all into ONE sink and builds the report with the same builder as a run over files
   (:func:`kikan_std.report.build.build_report`): gate, per-file and per-status statistics, caps,
   masking key, baseline classification and waivers as for any run, plus per business and per file
   results (:attr:`Report.businesses`, :attr:`Report.files`).

Nothing checked is never conformant: a deliverable in which no file was read to the end (an empty
folder or zip) gets DLV009, an error. Archives inside the deliverable are not opened — the limits
and safety checks of :mod:`.archive` hold for one level only — and each is DLV010, an error, since
the data in it went unchecked.

Every file is named by its path inside the deliverable (relative to the folder, or the member name in
the zip), so findings and baseline fingerprints do not depend on where the deliverable lies or how
its path was typed.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from kikan_std.catalogue import Lang
from kikan_std.deliverable.archive import Entry, Limits, list_dir, list_zip
from kikan_std.deliverable.manifest import (
    MANIFEST_NAMES,
    assign,
    assign_by_name,
    draft_manifest,
    manifest_line,
    read_manifest,
    recognise,
)
from kikan_std.deliverable.people import PEOPLE_COLUMNS, REGISTRY_SPECS, People, PersonRef, person_refs
from kikan_std.engine.prepare import RuleOptions, build_options, deliverable_rule_options
from kikan_std.engine.run import classifier_of, collect, new_sink
from kikan_std.errors import InputError, InputNotFoundError, NotADeliverableError, UnsafeArchiveError
from kikan_std.findings import Finding
from kikan_std.options import FailOn, Options, ProgressFn
from kikan_std.readers.csv_reader import normalise_encoding
from kikan_std.report.baseline import Baseline, Classifier
from kikan_std.report.build import build_report, personal_items
from kikan_std.report.collect import NotRun, Sink, merge_classifier
from kikan_std.report.model import ArchiveInfo, InputInfo, Report
from kikan_std.report.waivers import Waivers
from kikan_std.specs import BUILTIN, load_spec, rules_for


@dataclass(slots=True)
class FileOutcome:
    """One file of a deliverable, checked (in this process, another one, or on a Dask worker).

    ``sink`` holds the file's findings (counted, classified, stored up to the per-code cap) and is
    merged into the deliverable's sink; ``classifier`` is the file's copy of the run's classifier.
    ``error`` is the message when the file could not be read at all (then DLV005).
    """

    sink: Sink | None = None
    info: InputInfo | None = None
    not_run: list[NotRun] | None = None
    classifier: Classifier | None = None
    error: str | None = None


_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".lzh", ".lha", ".cab", ".zst")
"""Names of archives inside a deliverable: not opened (DLV010), the expansion limits hold for one level."""


def _file_classifier(opts: Options) -> Classifier | None:
    """A fresh copy of the run's classifier for one file (its waiver counts start at zero)."""
    if opts.baseline is None and opts.waivers is None:
        return None
    w = opts.waivers
    fresh = None if w is None else Waivers(w.entries, w.file, w.sha256, w.today, opts.mask_key)
    return Classifier(opts.baseline, fresh, opts.mask_key)


def _check_file(spec_id: str, local: Path, display: str, opts: Options, people_path: Path | None,
                people: People | None = None, progress: ProgressFn | None = None) -> FileOutcome:
    """Check one file of the deliverable into a sink of its own, collecting who it refers to."""
    spec = load_spec(spec_id)
    rules = rules_for(spec)
    own = people is None
    if people is None:
        assert people_path is not None
        people = People(people_path)
    classifier = _file_classifier(opts)
    sink = new_sink(opts, [display], classifier)
    try:
        inputs, not_run = collect([local], spec, rules.record_rules, (*rules.dataset_rules, people.rule(spec_id)),
                                  opts, sink, progress, displays=[display])
    except InputError as err:
        return FileOutcome(error=str(err))
    finally:
        if own:
            people.db.commit()
            people.close()
    return FileOutcome(sink, inputs[0].model_copy(update={"spec": spec_id}), not_run, classifier)


Task = tuple[Entry, str, Options]
"""(entry, spec id, options) of one file to check."""


class Backend(Protocol):
    """Where the files of a deliverable are checked and its cross-file rules run."""

    def run_files(self, tasks: list[Task], people: People, tmp: Path, progress: ProgressFn | None) -> list[FileOutcome]:
        """Each file's outcome, in task order; who they refer to goes to ``people`` (or wherever
        :meth:`cross_file` finds it)."""
        ...

    def cross_file(self, people: People, registry_files: list[str]) -> Iterable[Finding]:
        """DLV001–DLV003 over everything the files referred to."""
        ...


@dataclass(slots=True)
class LocalBackend:
    """This machine: ``jobs`` processes, the cross-file rules in SQLite."""

    jobs: int = 1

    def run_files(self, tasks: list[Task], people: People, tmp: Path, progress: ProgressFn | None) -> list[FileOutcome]:
        return _run_files(tasks, people, tmp, self.jobs, progress)

    def cross_file(self, people: People, registry_files: list[str]) -> Iterable[Finding]:
        return people.cross_file(registry_files)


def check_file_rows(spec_id: str, local: Path, display: str, opts: Options) -> tuple[FileOutcome, list[tuple[Any, ...]]]:
    """Check one file in this process (e.g. on a Dask worker); return its outcome and the rows of
    who it refers to (the columns of :data:`PEOPLE_COLUMNS`)."""
    with tempfile.TemporaryDirectory(prefix="kikan-people-") as d:
        path = Path(d) / "people.sqlite"
        result = _check_file(spec_id, local, display, opts, path)
        db = sqlite3.connect(path)
        try:
            rows = db.execute("SELECT * FROM refs").fetchall()
        finally:
            db.close()
    return result, rows


def _local(e: Entry) -> Path:
    assert e.local is not None  # entries without a readable file never become tasks
    return e.local


def _run_files(tasks: list[Task], people: People, tmp: Path, jobs: int, progress: ProgressFn | None) -> list[FileOutcome]:
    """Each file's outcome in task order, checked in ``jobs`` processes at once.

    Workers collect into databases of their own, merged afterwards in task order, so the
    cross-file findings do not depend on how the work was split.
    """
    if jobs <= 1 or len(tasks) <= 1:
        return [_check_file(spec_id, _local(e), e.display, opts, None, people, progress) for e, spec_id, opts in tasks]
    # Imported here: they pull in logging, threading and more (~15 ms), needed for --jobs only.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    paths = [tmp / f"people-{n:05d}.sqlite" for n in range(len(tasks))]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_check_file, spec_id, _local(e), e.display, opts, path)
                   for (e, spec_id, opts), path in zip(tasks, paths, strict=True)]
        results = [f.result() for f in futures]
    for path in paths:
        if path.exists():
            people.merge(path)
            path.unlink()
    return results


# -- the run ------------------------------------------------------------------------------------


def check_deliverable(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    bom: Literal["allow", "require", "forbid"] = "allow",
    gj_table: frozenset[str] | str | Path | None = None,
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    max_findings_total: int | None = None,
    baseline: str | Path | Baseline | None = None,
    waivers: str | Path | Waivers | None = None,
    fail_on: FailOn = "error",
    mask_key: str | bytes | None = None,
    rule_options: RuleOptions | None = None,
    jobs: int | Literal["auto"] = 1,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    backend: Backend | None = None,
) -> Report:
    """Check a whole deliverable (a folder or a .zip) and return one report.

    The options mean what they mean for :func:`kikan_std.check`, over the deliverable as one run:
    caps per code and overall, baseline fingerprints by the file's path inside the deliverable.

    Args:
        path: The deliverable folder or zip archive.
        encoding: Encoding of files the manifest gives none for.
        bom: The BOM contract for UTF-8 files.
        gj_table: 追加文字 (GJ) characters, or the path of a GJ table file.
        lang: Message language.
        show_values: Show personal values unmasked.
        max_findings: Findings stored per code over the whole deliverable (statistics stay complete);
            None keeps all.
        max_findings_total: Findings stored overall; None keeps all.
        baseline: A previous JSON report of the deliverable (path or loaded).
        waivers: A waiver file or loaded waivers (``file`` patterns match the path inside the deliverable).
        fail_on: ``error`` or ``new`` (needs ``baseline``).
        mask_key: Key of the masking hashes; default ``$KIKAN_STD_MASK_KEY``, else the built-in key.
        rule_options: ``{name: value}`` for every spec having the option, ``{"SPEC:name": value}`` or
            ``{spec_id: {name: value}}`` for one spec.
        jobs: Files checked at once in separate processes (``"auto"``: as many as this process may use
            CPUs); the report is the same as with 1.
        limits: Bounds on a zip's expansion (:class:`Limits`).
        progress: Called with (file, records so far) (files checked in this process only).
        backend: Where files are checked and the cross-file rules run (default: this machine,
            ``jobs`` processes, SQLite); :func:`kikan_std.dask.check_deliverable` passes a Dask one.

    Raises:
        InputError: the path does not exist or is neither a folder nor a zip; a bad manifest; an
            unknown encoding.
        UnsafeArchiveError: a zip archive with unsafe paths or links, or over the limits.
        RuleOptionError: a bad rule option.
        UsageError / BaselineError / WaiverError: as for :func:`kikan_std.check`.
    """
    opts = build_options(encoding=encoding, bom=bom, gj_table=gj_table, lang=lang, show_values=show_values,
                         max_findings=max_findings, max_findings_total=max_findings_total, baseline=baseline,
                         waivers=waivers, fail_on=fail_on, mask_key=mask_key, jobs=jobs)
    per_spec = deliverable_rule_options(rule_options)
    return run_deliverable(path, opts, per_spec, limits=limits, progress=progress, backend=backend)


def run_deliverable(
    path: str | Path,
    opts: Options,
    rule_options: dict[str, dict[str, str]],
    *,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    backend: Backend | None = None,
) -> Report:
    """:func:`check_deliverable` with its options already built (``opts.jobs`` = files at once;
    ``rule_options`` per spec id, resolved)."""
    root = Path(path)
    if not root.exists():
        raise InputNotFoundError(path=path)
    if not root.is_dir() and not zipfile.is_zipfile(root) and root.suffix.lower() != ".zip":
        raise NotADeliverableError(path=path)
    normalise_encoding(opts.encoding)
    lim = limits or Limits()
    backend = backend or LocalBackend(opts.jobs)
    classifier = classifier_of(opts)
    found: list[Finding] = []
    with tempfile.TemporaryDirectory(prefix="kikan-deliverable-") as tmpname:
        tmp = Path(tmpname)
        try:
            if root.is_dir():
                entries = list_dir(root, found)
            else:
                (tmp / "files").mkdir()
                entries = list_zip(root, tmp / "files", lim, found)
            manifest, base = read_manifest(entries)
            assign(entries, manifest, base)
            # One sink for the whole deliverable, in listing order; the deliverable's own name last.
            sink = new_sink(opts, [e.display for e in entries], classifier)
            people = People(tmp / "people.sqlite")
            try:
                tasks: list[Task] = []
                for e in entries:
                    if PurePosixPath(e.display).name in MANIFEST_NAMES or e.local is None:
                        continue  # the manifest itself; an unreadable entry (DLV005 already)
                    if e.spec is None:
                        lower = e.display.lower()
                        if lower.endswith((".csv", ".tsv")):
                            guess, group, _ = recognise(e.display)
                            found.append(Finding("DLV004", file=e.display,
                                                 params={"line": manifest_line(e.display, guess, group)}))
                        else:
                            found.append(Finding("DLV010" if lower.endswith(_ARCHIVE_SUFFIXES) else "DLV008",
                                                 file=e.display))
                        continue
                    if e.encoding is not None:
                        normalise_encoding(e.encoding)  # an unknown encoding is the user's problem, not the data's
                    file_opts = replace(opts, encoding=e.encoding or opts.encoding, group=e.group, jobs=1,
                                        rule_options=rule_options.get(e.spec) or {})
                    tasks.append((e, e.spec, file_opts))
                results = backend.run_files(tasks, people, tmp, progress)
                inputs: list[InputInfo] = []
                not_run: list[NotRun] = []
                registry_files: list[str] = []
                for (e, spec_id, _), result in zip(tasks, results, strict=True):
                    if result.error is not None or result.sink is None or result.info is None:
                        found.append(Finding("DLV005", file=e.display, params={"reason": result.error or "-"}))
                        continue
                    sink.merge(result.sink, 0, 0)
                    if classifier is not None and result.classifier is not None:
                        merge_classifier(classifier, result.classifier)
                    not_run.extend(result.not_run or ())
                    info = result.info
                    inputs.append(info)
                    if spec_id in REGISTRY_SPECS:
                        registry_files.append(e.display)
                    if e.expected_records is not None and info.records != e.expected_records:
                        found.append(Finding("DLV006", file=e.display,
                                             params={"records": info.records, "expected": e.expected_records}))
                for m in manifest:
                    if not m.used:
                        found.append(Finding("DLV007", file="", params={"pattern": m.pattern}))
                if not inputs and not any(f.code == "DLV005" and f.file == root.name for f in found):
                    # Nothing checked is never conformant (an empty folder or zip, a nested zip only).
                    found.append(Finding("DLV009", file=root.name))
                users = any(i.spec not in REGISTRY_SPECS for i in inputs)
                if users and not registry_files:
                    reason = ("住民記録・住登外者宛名のファイルがないため宛名番号を照合できません / "
                              "no 住民記録 or 住登外者宛名 file: 宛名番号 cannot be cross-checked")
                    not_run.append(NotRun("deliverable_cross_file", root.name, reason))
                    found.append(Finding("SYS002", file=root.name,
                                         params={"rule": "deliverable_cross_file", "reason": reason}))
                elif users or len(registry_files) > 1:  # collisions between registry files (DLV011/DLV012)
                    found.extend(backend.cross_file(people, registry_files))
            finally:
                if "people" in locals():
                    people.close()
        finally:
            shutil.rmtree(tmp / "files", ignore_errors=True)
    sink.extend(found)
    personal = {i.file: personal_items(load_spec(i.spec)) for i in inputs if i.spec is not None}
    archive = None
    if not root.is_dir():
        encodings = Counter(e.name_encoding or "ascii" for e in entries)
        archive = ArchiveInfo(file=root.name, members=len(entries), name_encodings=dict(sorted(encodings.items())))
    return build_report(None, opts, sink, inputs, not_run, classifier,
                        deliverable_specs=[load_spec(s) for s in BUILTIN], personal_by_file=personal,
                        archive=archive)


def list_entries(path: str | Path, tmp: Path, limits: Limits | None = None) -> tuple[list[Entry], list[Finding]]:
    """The files of a deliverable (folder or zip, a zip's copied into ``tmp``) and listing findings."""
    root = Path(path)
    if not root.exists():
        raise InputNotFoundError(path=path)
    found: list[Finding] = []
    if root.is_dir():
        return list_dir(root, found), found
    if not zipfile.is_zipfile(root):
        raise NotADeliverableError(path=path)
    return list_zip(root, tmp, limits or Limits(), found), found


def write_draft_manifest(path: str | Path, encoding: str = "utf-8") -> tuple[str, int, int]:
    """A draft manifest (TOML text) for the deliverable at ``path``, and (files placed, not placed).

    Each file's spec and group come from the naming convention or its Japanese folder and file names;
    its record count is counted now (read with ``encoding``). See :func:`.manifest.draft_manifest`.
    """
    normalise_encoding(encoding)
    with tempfile.TemporaryDirectory(prefix="kikan-manifest-") as d:
        entries, _ = list_entries(path, Path(d))
        return draft_manifest(entries, encoding)


__all__ = [
    "PEOPLE_COLUMNS",
    "Backend",
    "FileOutcome",
    "Limits",
    "LocalBackend",
    "PersonRef",
    "Task",
    "UnsafeArchiveError",
    "assign_by_name",
    "check_deliverable",
    "check_file_rows",
    "list_entries",
    "person_refs",
    "recognise",
    "run_deliverable",
    "write_draft_manifest",
]
