"""Checking one big CSV file on several cores (``--jobs N``) with findings identical to one core.

The file is cut into byte ranges at record boundaries; each range is checked in its own process
(field checks and record rules), the primary keys of every range come back to the caller, and the
caller merges: record and line numbers are shifted by what the earlier ranges held, statistics are
added, stored findings are chosen by position (not by arrival), and key uniqueness is checked over
the ranges in file order — exactly what one process does.

A cut must not fall inside a quoted field. RFC 4180 quotes come in pairs (an escaped quote is
doubled), so a line start is a record start when the number of quote bytes before it is even; the
byte ``"`` (0x22) never occurs inside a multi-byte character in UTF-8 or CP932/Shift_JIS.

Files that cannot be split this way are checked in one process: inputs other than CSV, files
smaller than a few megabytes, line ends without ``\\n``, other encodings, and groups with dataset
rules (their state must see the whole file in order).
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import io
import itertools
import mmap
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from kikan_std.engine import Options, Part, _FileRun, _NotRun, _Sink, choose_group, report_duplicates
from kikan_std.findings import Finding
from kikan_std.keyindex import KeyIndex
from kikan_std.model import Spec
from kikan_std.readers import input_format_for
from kikan_std.readers.csv_reader import normalise_encoding
from kikan_std.report import InputInfo
from kikan_std.rules import DatasetRule, RecordRule
from kikan_std.specs import rules_for

MIN_PART_BYTES = 4 << 20
_SPLITTABLE_ENCODINGS = ("utf-8", "utf_8", "utf-8-sig", "cp932", "shift_jis", "ms932", "sjis")


def _record_start_after(data: mmap.mmap, pos: int, quotes_before: int, last: int) -> tuple[int, int] | None:
    """The first line start at or after ``pos`` outside quotes, and the quote count before it."""
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return None
        cut = nl + 1
        quotes = quotes_before + data[last:cut].count(b'"')
        if quotes % 2 == 0:
            return cut, quotes
        pos, last, quotes_before = cut, cut, quotes


def plan_parts(path: Path, encoding: str, jobs: int) -> tuple[int, list[int]] | None:
    """(end of the header record, cut offsets from there to the end of the file) for ``jobs``
    processes, or None when the file should not be split. Each cut is a record start."""
    if jobs <= 1 or encoding.lower() not in _SPLITTABLE_ENCODINGS:
        return None
    size = path.stat().st_size
    if size < 2 * MIN_PART_BYTES:
        return None
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
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
class _PartResult:
    sink: _Sink
    keys: list[str]
    refs: list[tuple[int, int]]
    records: int
    lines: int
    not_run: list[_NotRun]


def _check_part(spec: Spec, path: Path, display: str, opts: Options, part: Part) -> _PartResult:
    """Run in a worker process: check one part with the spec's built-in rules."""
    rules = rules_for(spec)
    sink = _Sink(cap=opts.max_findings, file_order={display: 0})
    not_run: list[_NotRun] = []
    gc.disable()  # as in run_check: chunk rows are short-lived containers
    fr = _FileRun(spec, path, display, opts, sink, rules.record_rules, rules.dataset_rules, not_run, None)
    fr.part = part
    info = fr.run()
    assert fr.source is not None
    return _PartResult(sink, fr.part_keys, fr.part_refs, info.records, fr.source.stats.lines, not_run)


def _header(path: Path, end: int, encoding: str) -> tuple[list[str], bool, int]:
    """(header row, BOM present, physical lines) of the header record ``[0, end)``."""
    with path.open("rb") as f:
        raw = f.read(end)
    bom = raw.startswith(codecs.BOM_UTF8) and encoding.lower().replace("_", "-") in ("utf-8", "utf-8-sig")
    text = raw.decode("utf-8-sig" if bom else encoding, errors="surrogateescape")
    row = next(csv.reader(io.StringIO(text, newline="")), [])
    return row, bom, text.count("\n")


def check_in_parts(
    spec: Spec,
    path: Path,
    display: str,
    opts: Options,
    sink: _Sink,
    record_rules: Sequence[RecordRule],
    dataset_rules: Sequence[DatasetRule],
    not_run: list[_NotRun],
) -> InputInfo | None:
    """Check one CSV file in ``opts.jobs`` processes; None when it is better checked in one.

    Used only with the spec's own built-in rules (workers rebuild them by spec id) and without
    dataset rules for the file's group (their state must see every record in order).
    """
    if input_format_for(path, opts.input_format) != "csv" or opts.encoding == "auto":
        return None
    builtin = rules_for(spec)
    if tuple(record_rules) != builtin.record_rules or tuple(dataset_rules) != builtin.dataset_rules:
        return None
    plan = plan_parts(path, opts.encoding, opts.jobs)
    if plan is None:
        return None
    header_end, cuts = plan
    header, bom, header_lines = _header(path, header_end, opts.encoding)
    if not header:
        return None
    group = choose_group(spec, path, header, opts.group)
    if any(dr.groups is None or group.name in dr.groups for dr in dataset_rules):
        return None
    parts = [Part(a, b, header) for a, b in itertools.pairwise(cuts)]

    # Header findings once, for the whole file.
    head = _FileRun(spec, path, display, opts, sink, record_rules, dataset_rules, not_run, None)
    _, col_of = head._map_header(header, 1)
    key_items = tuple(k for k in group.primary_key if k in col_of)

    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(max_workers=len(parts), mp_context=ctx) as pool:
        results = list(pool.map(_check_part, *zip(*[(spec, path, display, opts, p) for p in parts], strict=True)))

    records = 0
    lines = header_lines
    index = KeyIndex() if group.primary_key and len(key_items) == len(group.primary_key) else None
    try:
        for r in results:
            sink.merge(r.sink, records, lines)
            for n in r.not_run:
                if not any(m.rule == n.rule and m.file == n.file for m in not_run):
                    not_run.append(n)
            if index is not None:
                refs = [(rec + records, ln + lines) for rec, ln in r.refs]
                report_duplicates(sink, display, index.add_many(r.keys, refs), r.keys, refs, key_items)
            records += r.records
            lines += r.lines
    finally:
        if index is not None:
            index.close()
    if records == 0:
        sink.add(Finding("CSV008", file=display, line=1))
    if bom and opts.bom == "forbid":
        sink.add(Finding("ENC002", file=display, line=1, params={"codepoints": "U+FEFF"}))
    elif not bom and opts.bom == "require" and normalise_encoding(opts.encoding) == "utf-8":
        sink.add(Finding("ENC003", file=display, line=1, params={"encoding": "utf-8"}))
    with path.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return InputInfo(
        file=display,
        format="csv",
        group=group.name,
        encoding=normalise_encoding(opts.encoding),
        bom=bom,
        records=records,
        bytes=path.stat().st_size,
        sha256=digest,
    )
