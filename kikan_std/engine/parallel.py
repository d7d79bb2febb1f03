"""Checking one big CSV file on several cores (``--jobs N``) with findings identical to one core.

The file is cut into byte ranges at record boundaries; each range is checked in its own process
(field checks and record rules), the primary keys of every range come back to the caller, and the
caller merges: record and line numbers are shifted by what the earlier ranges held, statistics are
added, stored findings are chosen by position (not by arrival), and key uniqueness is checked over
the ranges in file order — exactly what one process does.

A cut must not fall inside a quoted field. RFC 4180 quotes come in pairs (an escaped quote is
doubled), so a line start is *probably* a record start when the number of quote bytes before it is
even; the bytes ``"`` (0x22) and LF (0x0A) never occur inside a multi-byte character in UTF-8 or
CP932/Shift_JIS. Hostile files break that count (a bare quote in an unquoted field, CSV013; a
quoting error after which the reader resumes at the next line), so the plan is proven, not
trusted:

* the header range ``[0, first cut)`` must read, with the same reader, as exactly the header and
  nothing else (no finding, no record: a header ending with a lone CR would hold record 1);
* every part but the last must end at a record boundary: its reader, starting at a true record
  start, must not end inside a quoted field (:attr:`ReadStats.unterminated`). By induction each
  part then starts where one process starts a record, and reads the same bytes the same way (a
  U+FEFF at a part's start is data, as in one process).

When either fails the file is checked in one process (:func:`parts_agree`); the report is the same
either way, only slower. Files that are not split at all: inputs other than CSV, files smaller
than a few megabytes, line ends without ``\\n`` and other encodings. Dataset rules (whose
state must see the whole file in order) run in one more process that reads the whole file for them
alone, while the parts do the field checks and record rules.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kikan_std.engine.file import (
    FileRun,
    Part,
    add_not_run,
    bom_contract_findings,
    choose_group,
    header_encoding_hint,
    report_duplicates,
    report_late_duplicates,
)
from kikan_std.engine.keys import KeyIndex, Refs
from kikan_std.findings import Finding
from kikan_std.model.rules import DatasetRule, RecordRule
from kikan_std.model.spec import Group, Spec
from kikan_std.model.spill import read_batches
from kikan_std.options import Options
from kikan_std.readers import input_format_for
from kikan_std.readers.csv_reader import CsvSource, RangeFile, iter_csv, normalise_encoding
from kikan_std.report.collect import NotRun, Sink
from kikan_std.report.model import InputInfo
from kikan_std.specs import rules_for

MIN_PART_BYTES = 4 << 20
_SPLITTABLE_ENCODINGS = ("utf-8", "cp932", "shift_jis")  # codec names (normalise_encoding)


def _count_quotes(f: BinaryIO, start: int, end: int) -> int:
    """Quote bytes in ``[start, end)``, read in blocks (a slice of a mapped file would copy it, and
    mapped pages count toward the process's memory)."""
    f.seek(start)
    n, left = 0, end - start
    while left > 0:
        b = f.read(min(1 << 20, left))
        if not b:
            break
        n += b.count(b'"')
        left -= len(b)
    return n


def _line_start_after(f: BinaryIO, pos: int) -> int | None:
    f.seek(pos)
    while b := f.read(1 << 16):
        i = b.find(b"\n")
        if i >= 0:
            return pos + i + 1
        pos += len(b)
    return None


def _record_start_after(f: BinaryIO, pos: int, quotes_before: int, last: int) -> tuple[int, int] | None:
    """The first line start at or after ``pos`` outside quotes, and the quote count before it."""
    while True:
        cut = _line_start_after(f, pos)
        if cut is None:
            return None
        quotes = quotes_before + _count_quotes(f, last, cut)
        if quotes % 2 == 0:
            return cut, quotes
        pos, last, quotes_before = cut, cut, quotes


def plan_parts(path: Path, encoding: str, jobs: int) -> tuple[int, list[int]] | None:
    """(end of the header record, cut offsets from there to the end of the file) for ``jobs``
    processes, or None when the file should not be split. Each cut is a record start."""
    if jobs <= 1 or encoding == "auto" or normalise_encoding(encoding) not in _SPLITTABLE_ENCODINGS:
        return None
    size = path.stat().st_size
    if size < 2 * MIN_PART_BYTES:
        return None
    with path.open("rb") as data:
        first = _record_start_after(data, 0, 0, 0)  # the header record ends at the first such line end
        if first is None:
            return None
        start, quotes = first
        n = min(jobs, max(1, (size - start) // MIN_PART_BYTES))
        if n <= 1:
            return None
        cuts = [start]
        last = start
        for k in range(1, n):
            target = start + (size - start) * k // n
            if target <= cuts[-1]:
                continue
            found = _record_start_after(data, target, quotes, last)
            if found is None or found[0] >= size:
                break
            cut, quotes = found
            cuts.append(cut)
            last = cut
        cuts.append(size)
    if len(cuts) < 3:
        return None
    return start, cuts


@dataclass(slots=True)
class PartResult:
    """What a worker sends back for one part of a file (or a whole file: :func:`kikan_std.dask.whole_file_task`)."""

    sink: Sink
    """The part's findings, numbered within the part."""
    keys: list[str]
    """The part's primary keys in record order (empty with ``keys_file``)."""
    refs: list[tuple[int, int]]
    """(record, line) of each key, numbered within the part."""
    records: int
    lines: int
    """Physical lines the part holds (what later parts' line numbers are shifted by)."""
    not_run: list[NotRun]
    keys_file: str | None = None
    """With ``keys_to_file``: where the part's keys are (and ``keys`` / ``refs`` stay empty)."""
    unterminated: bool = False
    """The part ended inside a quoted field: its end is not a record boundary (see :func:`parts_agree`)."""


def parts_agree(results: Sequence[PartResult]) -> bool:
    """True when every part but the last ended at a record boundary, so the cuts were where one
    process starts records and the merged report is one process's. False: check the file whole."""
    return not any(r.unterminated for r in results[:-1])


def check_part(spec: Spec, path: Path, display: str, opts: Options, part: Part,
               keys_to_file: bool = False) -> PartResult:
    """Run in a worker process: check one part with the spec's built-in record rules.

    Dataset rules never run in a part: they need every record in order (see :func:`dataset_pass`).
    With ``keys_to_file`` (local workers) the part's primary keys go to a temporary file as they
    come, so neither the worker nor the caller holds a big part's keys in memory; a Dask worker
    may be on another machine, so there they come back in the result.
    """
    rules = rules_for(spec)
    sink = Sink(cap=opts.max_findings, file_order={display: 0})
    not_run: list[NotRun] = []
    gc.disable()  # as in run_check: chunk rows are short-lived containers
    keys_file = None
    with contextlib.ExitStack() as stack:
        keys_out: BinaryIO | None = None
        if keys_to_file:
            fd, keys_file = tempfile.mkstemp(prefix="kikan-part-keys-")
            keys_out = stack.enter_context(os.fdopen(fd, "wb"))
        fr = FileRun(spec, path, display, opts, sink, rules.record_rules, (), not_run, None,
                     part=part, part_keys_file=keys_out)
        info = fr.run()
    assert fr.source is not None
    return PartResult(sink, fr.part_keys, fr.part_refs, info.records, fr.source.stats.lines, not_run, keys_file,
                      fr.source.stats.unterminated)


def iter_part_keys(result: PartResult, offset: int) -> Iterator[tuple[Sequence[str], Sequence[tuple[int, int]]]]:
    """A part's (keys, refs) in order, shifted by ``offset`` (a packed ref); removes its key file."""
    if result.keys_file is None:
        refs = Refs([r << 32 | ln for r, ln in result.refs], offset)
        yield result.keys, refs
        return
    try:
        with open(result.keys_file, "rb") as f:
            for keys, packed in read_batches(f):
                yield keys, Refs(packed, offset)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(result.keys_file)


def dataset_pass(spec: Spec, path: Path, display: str, opts: Options) -> tuple[Sink, list[NotRun]]:
    """Run in a worker process: feed the whole file, in order, to the spec's dataset rules only.

    Beside the parts: the reader's and the header's findings are the parts' (dropped here), the
    field checks and record rules run in the parts; only the dataset rules' findings are kept.
    """
    rules = rules_for(spec)
    kept = Sink(cap=opts.max_findings, file_order={display: 0})
    not_run: list[NotRun] = []
    gc.disable()
    FileRun(spec, path, display, opts, Sink(cap=0), (), rules.dataset_rules, not_run, None,
            fields=False, rule_sink=kept).run()
    return kept, not_run


def _header(path: Path, end: int, encoding: str) -> tuple[list[str], bool, int] | None:
    """(header row, BOM present, physical lines) of the header record ``[0, end)``, read by the
    reader one process uses; None unless that range is exactly one header row and nothing else."""
    source = CsvSource(path=path, display_name=str(path), encoding=encoding)
    with path.open("rb") as f:
        for x in iter_csv(source, RangeFile(f, 0, end)):
            if isinstance(x, Finding) and x.code == "CSV008":
                continue  # no record after the header: as wanted
            return None  # a record (a lone CR ended the header) or a finding about the header itself
    if not source.header or source.header_line != 1 or source.stats.unterminated:
        return None
    return source.header, source.stats.bom, source.stats.lines


@dataclass(slots=True)
class FilePlan:
    """How one CSV file is cut into parts, with what the caller needs to merge their results."""

    parts: list[Part]
    group: Group
    key_items: tuple[str, ...]
    bom: bool
    header_lines: int
    dataset_rules: tuple[DatasetRule, ...] = ()
    """The group's dataset rules: they run in one more process over the whole file."""
    header_sink: Sink | None = None
    """The header's findings, added to the run's sink by :func:`merge_parts` (not before: a plan
    whose parts disagree is dropped and the file checked whole)."""


def plan_file(
    spec: Spec,
    path: Path,
    display: str,
    opts: Options,
    sink: Sink,
    dataset_rules: Sequence[DatasetRule],
    not_run: list[NotRun],
    jobs: int,
    dataset_pass: bool = False,
) -> FilePlan | None:
    """Cut ``path`` into parts for ``jobs`` workers, or None when it is better checked whole.

    The header's findings (unknown or missing columns …) are kept in the plan and go to ``sink``
    once for the file in :func:`merge_parts`. A group with dataset rules is split only if the
    caller runs them in a ``dataset_pass``.
    """
    if input_format_for(path, opts.input_format) != "csv" or opts.encoding == "auto":
        return None
    plan = plan_parts(path, opts.encoding, jobs)
    if plan is None:
        return None
    header_end, cuts = plan
    head_read = _header(path, header_end, opts.encoding)
    if head_read is None:
        return None
    header, bom, header_lines = head_read
    if not header or header_encoding_hint(header, opts.encoding, spec) is not None:
        return None  # no header, or one in another encoding (ENC005, reported by the whole-file run)
    group = choose_group(spec, path, header, opts.group)
    group_rules = tuple(dr for dr in dataset_rules if dr.groups is None or group.name in dr.groups)
    if group_rules and not dataset_pass:
        return None
    rules = rules_for(spec)
    header_sink = Sink(cap=None, file_order={display: 0})
    head = FileRun(spec, path, display, opts, header_sink, rules.record_rules, dataset_rules, not_run, None)
    _, col_of = head.map_header(header, 1)
    key_items = tuple(k for k in group.primary_key if k in col_of)
    if len(key_items) != len(group.primary_key):
        key_items = ()  # a key column is missing (CSV004): no uniqueness check, as in one process
    return FilePlan([Part(a, b, header) for a, b in itertools.pairwise(cuts)], group, key_items, bom, header_lines,
                    group_rules, header_sink)


Offsets = list[tuple[int, int]]
"""(records, lines) before each part: what its record and line numbers are shifted by."""


def merge_parts(
    plan: FilePlan,
    results: Sequence[PartResult],
    path: Path,
    display: str,
    opts: Options,
    sink: Sink,
    not_run: list[NotRun],
    duplicates: Callable[[Sequence[PartResult], Offsets], None],
    whole: tuple[Sink, list[NotRun]] | None = None,
) -> InputInfo:
    """Merge the parts' results in file order; ``duplicates`` adds KEY001 over all parts' keys.

    ``whole`` is what the dataset pass found (:func:`dataset_pass`), numbered in the whole file.
    """
    records, lines = 0, plan.header_lines
    offsets: Offsets = []
    if plan.header_sink is not None:
        sink.merge(plan.header_sink, 0, 0)
    if whole is not None:
        sink.merge(whole[0], 0, 0)
        add_not_run(not_run, whole[1])
    for r in results:
        sink.merge(r.sink, records, lines)
        add_not_run(not_run, r.not_run)
        offsets.append((records, lines))
        records += r.records
        lines += r.lines
    if plan.key_items:
        duplicates(results, offsets)
    if records == 0:
        sink.add(Finding("CSV008", file=display, line=1))
    encoding = normalise_encoding(opts.encoding)
    size = path.stat().st_size
    sink.extend(bom_contract_findings(display, opts.bom, encoding, plan.bom, size))
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return InputInfo(file=display, format="csv", group=plan.group.name, encoding=encoding, bom=plan.bom,
                     records=records, bytes=size, sha256=digest)


def check_in_parts(
    spec: Spec,
    path: Path,
    display: str,
    opts: Options,
    sink: Sink,
    record_rules: Sequence[RecordRule],
    dataset_rules: Sequence[DatasetRule],
    not_run: list[NotRun],
) -> InputInfo | None:
    """Check one CSV file in ``opts.jobs`` processes; None when it is better checked in one.

    Used only with the spec's own built-in rules (workers rebuild them by spec id). Dataset rules
    for the file's group (their state must see every record in order) run in one more process
    that reads the whole file for them alone, beside the parts.
    """
    builtin = rules_for(spec)
    if tuple(record_rules) != builtin.record_rules or tuple(dataset_rules) != builtin.dataset_rules:
        return None
    plan = plan_file(spec, path, display, opts, sink, dataset_rules, not_run, opts.jobs, dataset_pass=True)
    if plan is None:
        return None
    # Imported here: process pools cost start-up time that a one-process run (the usual case) does not need.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=len(plan.parts) + bool(plan.dataset_rules), mp_context=ctx) as pool:
        # The dataset pass is submitted first: it reads the whole file, so it is the longest task.
        pending = pool.submit(dataset_pass, spec, path, display, opts) if plan.dataset_rules else None
        results = list(pool.map(check_part, *zip(*[(spec, path, display, opts, p, True) for p in plan.parts],
                                                  strict=True)))
        whole = pending.result() if pending is not None else None
    if not parts_agree(results):
        for r in results:
            if r.keys_file is not None:
                with contextlib.suppress(OSError):
                    os.unlink(r.keys_file)
        return None

    def duplicates(parts: Sequence[PartResult], offsets: Offsets) -> None:
        with KeyIndex() as index:
            for r, (rec_off, line_off) in zip(parts, offsets, strict=True):
                for keys, refs in iter_part_keys(r, rec_off << 32 | line_off):
                    report_duplicates(sink, display, index.add_many(keys, refs), keys, refs, plan.key_items)
            report_late_duplicates(sink, display, index, plan.key_items)

    try:
        return merge_parts(plan, results, path, display, opts, sink, not_run, duplicates, whole)
    finally:
        for r in results:  # key files not read (no primary key, or an error on the way)
            if r.keys_file is not None:
                with contextlib.suppress(OSError):
                    os.unlink(r.keys_file)


__all__ = [
    "MIN_PART_BYTES",
    "FilePlan",
    "Offsets",
    "PartResult",
    "check_in_parts",
    "check_part",
    "dataset_pass",
    "iter_part_keys",
    "merge_parts",
    "parts_agree",
    "plan_file",
    "plan_parts",
]
