"""The engine: read each file, run every check, collect findings, build the report.

Per file: map the header to the group's items, then for each chunk of rows run the field checks
column by column (fast path first), the spec's record rules, and feed the dataset rules (primary
key uniqueness always; spec rules as listed). A rule that raises is reported, never swallowed:
the run is then not valid.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
import gc
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from kikan_std._version import __version__
from kikan_std.catalogue import Lang, entry
from kikan_std.engine.fields import FieldChecker
from kikan_std.engine.keys import KeyIndex, Refs
from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, DatasetState, FileRule, RecordRule, RuleNotRun
from kikan_std.model.spec import FixedWidthLayout, Group, Item, Spec
from kikan_std.model.spill import write_batch
from kikan_std.readers import input_format_for, open_input
from kikan_std.readers.csv_reader import Chunk, CsvSource, InputError, RangeFile, iter_csv, open_source
from kikan_std.report.model import (
    DEFAULT_MASK_KEY,
    FailOn,
    Gate,
    InputInfo,
    Report,
    RuleNotRunOut,
    SpecRef,
    Stats,
    Status,
    finding_out,
)

if TYPE_CHECKING:
    from kikan_std.report.baseline import Baseline, Classifier
    from kikan_std.report.waivers import Waivers

ProgressFn = Callable[[str, int], None]
"""Called with (file name, records read so far) after each chunk."""


@dataclass(frozen=True, slots=True)
class Options:
    """How a run behaves (grouped rather than a dozen keyword arguments)."""

    encoding: str = "utf-8"  # or "auto": detect, and warn when the evidence is weak
    bom: Literal["allow", "require", "forbid"] = "allow"  # the BOM contract for UTF-8 inputs
    gj_table: frozenset[str] | None = None  # 追加文字 (GJ) table; without it GJ cannot be verified
    lang: Lang = "ja"
    show_values: bool = False
    max_findings: int | None = 1000  # stored findings per code; None = keep all
    group: str | None = None
    max_findings_total: int | None = None  # stored findings overall; None = no overall cap
    mask_key: bytes = DEFAULT_MASK_KEY  # key of the masking hashes (and of baseline fingerprints)
    mask_key_custom: bool = False  # recorded in the report (never the key itself)
    baseline: Baseline | None = None
    waivers: Waivers | None = None
    fail_on: FailOn = "error"
    input_format: str | None = None  # csv | json | xml | fixed; None = by file extension
    jobs: int = 1  # processes for one big CSV file (kikan_std.engine.parallel); findings are identical
    layout: FixedWidthLayout | None = None  # fixed-width layout (else the spec group's)
    rule_options: Mapping[str, str] = field(default_factory=dict)  # validated by kikan_std.check


Meta = tuple["Status | None", "int | None", "str | None"]
"""(baseline status, waiver index, fingerprint) of a finding."""


@dataclass(slots=True)
class _Sink:
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
    by_status: Counter[str] = field(default_factory=Counter)
    errors_unwaived: int = 0
    errors_new: int = 0
    capped: bool = False
    capped_codes: set[str] = field(default_factory=set)

    def _key(self, f: Finding) -> tuple[int, int, int, str, str, int]:
        self.seq += 1
        return (self.file_order.get(f.file, 0), f.record or 0, f.line or 0, f.code, f.item or "", self.seq)

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

    def merge(self, other: _Sink, record_offset: int, line_offset: int) -> None:
        """Take the counts and kept findings of a part's sink, renumbering its records and lines."""
        self.by_code.update(other.by_code)
        self.by_severity.update(other.by_severity)
        self.by_file.update(other.by_file)
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


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of records of a CSV file, with the file's header (for parallel checking)."""

    start: int
    end: int
    header: list[str]


@dataclass(slots=True)
class _NotRun:
    rule: str
    file: str
    reason: str


def _header_index(group: Group) -> dict[str, Item]:
    index: dict[str, Item] = {}
    for it in group.items:
        for name in (it.name, it.romaji, *it.aliases):
            if name:
                index.setdefault(name, it)
    return index


def choose_group(spec: Spec, path: Path, header: Sequence[str], wanted: str | None) -> Group:
    """The group a file holds: ``wanted`` if given, the only group, by file name, or by header."""
    if wanted is not None:
        return spec.group(wanted)
    if len(spec.groups) == 1:
        return spec.groups[0]
    stem = path.stem
    for g in spec.groups:
        if stem in (g.name, g.romaji) or stem.endswith(("_" + g.romaji, "_" + g.name)):
            return g
    best = max(spec.groups, key=lambda g: len(set(header) & set(_header_index(g))))
    return best


class _FileRun:
    """Checks one file."""

    def __init__(
        self,
        spec: Spec,
        path: Path,
        display: str,
        options: Options,
        sink: _Sink,
        record_rules: Sequence[RecordRule],
        dataset_rules: Sequence[DatasetRule],
        not_run: list[_NotRun],
        progress: ProgressFn | None,
    ) -> None:
        self.spec = spec
        self.path = path
        self.display = display
        self.options = options
        self.sink = sink
        self.record_rules = record_rules
        self.dataset_rules = dataset_rules
        self.not_run = not_run
        self.progress = progress
        self.group: Group | None = None
        self._locate: Callable[[Finding], None] | None = None
        self.source: CsvSource | None = None
        self._pad_keys: list[str] = []  # keys of items absent from every JSON/XML record (blank columns)
        self.sjis_strict = False
        # Parallel part of a CSV file: the byte range of records and the file's header. The
        # primary-key check needs the whole file, so a part collects its keys for the caller.
        self.part: Part | None = None
        # A dataset pass (``--jobs`` with dataset rules): the whole file read only to feed the
        # dataset rules, whose findings go to ``rule_sink``; field checks run in the parts.
        self.fields = True
        self.rule_sink: _Sink | None = None
        self.part_keys: list[str] = []
        self.part_refs: list[tuple[int, int]] = []
        # Or, to keep a big part's memory flat, its keys go to this file as length-prefixed
        # batches of (keys, packed refs) — see kikan_std.engine.parallel.iter_part_keys.
        self.part_keys_file: BinaryIO | None = None

    def run(self) -> InputInfo:
        opts = self.options
        if self.part is None:
            fmt = input_format_for(self.path, opts.input_format)
            source, f, it = open_input(self.path, self.display, fmt, opts.encoding, self.spec, opts.group, opts.layout)
        else:
            source, f = open_source(self.path, self.display, opts.encoding)
            it = iter_csv(source, RangeFile(f, self.part.start, self.part.end), header=self.part.header)
        self.source = source
        sink = self.sink
        det = source.detection
        self.sjis_strict = source.encoding.replace("-", "_").lower() in ("shift_jis", "sjis", "s_jis")
        if det is not None and det.weak:
            sink.add(Finding("ENC004", file=self.display, params={
                "encoding": det.encoding, "reason": det.reason_text(self.options.lang) or "-"}))
        with f:
            mapped: list[tuple[int, Item, FieldChecker]] | None = None
            states: list[tuple[DatasetRule, DatasetState]] = []
            pk_index: KeyIndex | None = None
            key_cols: list[int] = []
            key_items: tuple[str, ...] = ()
            col_of: dict[str, int] = {}
            rules: list[RecordRule] = []
            items_by_name: dict[str, Item] = {}
            try:
                for x in it:
                    if isinstance(x, Finding):
                        sink.add(x)
                        continue
                    if mapped is None:
                        if self.part is not None:
                            # A part's header findings are the whole file's: the caller reports them once.
                            saved, self.sink = self.sink, _Sink(cap=0)
                            mapped, col_of = self._map_header(source.header, source.header_line)
                            self.sink = saved
                        else:
                            mapped, col_of = self._map_header(source.header, source.header_line)
                        group = self.group
                        assert group is not None
                        items_by_name = {i.name: i for i in group.items}
                        key_items = tuple(k for k in group.primary_key if k in col_of)
                        if group.primary_key and len(key_items) == len(group.primary_key):
                            key_cols = [col_of[k] for k in group.primary_key]
                            if self.part is None and self.fields:
                                pk_index = KeyIndex()
                        rules = [r for r in self.record_rules if r.groups is None or group.name in r.groups]
                        for dr in self.dataset_rules:
                            if dr.groups is None or group.name in dr.groups:
                                states.append((dr, dr.factory(group)))
                    if self._pad_keys:
                        blank = ("",) * len(x)
                        x.columns = [*x.columns, *(blank for _ in self._pad_keys)]
                    names = [*source.header, *self._pad_keys]
                    self._locate = None if x.locators is None else self._locator(x, names, col_of)
                    self._check_chunk(x, mapped, col_of, key_items, items_by_name, rules, states)
                    if pk_index is not None:
                        self._check_keys(x, pk_index, key_cols, key_items)
                    elif self.part is not None and key_cols:
                        keys, refs = self._keys_of(x, key_cols)
                        if self.part_keys_file is not None:
                            write_batch(self.part_keys_file, (list(keys), list(refs.packed())))
                        else:
                            self.part_keys += keys
                            self.part_refs += refs
                    self._locate = None
                    if self.progress is not None:
                        self.progress(self.display, source.stats.records)
                if mapped is None and source.header:
                    # Header but no records: still report header problems.
                    mapped, col_of = self._map_header(source.header, source.header_line)
                if pk_index is not None:
                    report_late_duplicates(self.sink, self.display, pk_index, key_items)
                for dr, state in states:
                    self._guard(dr.name, state.finish)
            finally:
                if pk_index is not None:
                    pk_index.close()
        stats = source.stats
        if self.part is None:
            sink.extend(bom_contract_findings(self.display, self.options.bom, stats.encoding, stats.bom, stats.bytes))
        return InputInfo(
            file=self.display,
            format=source.input_format,
            group=self.group.name if self.group else None,
            encoding=stats.encoding,
            encoding_detected=det is not None,
            bom=stats.bom,
            records=stats.records,
            bytes=stats.bytes,
            sha256=stats.sha256,
        )

    @staticmethod
    def _locator(chunk: Chunk, header: list[str], col_of: dict[str, int]) -> Callable[[Finding], None]:
        """Fill ``Finding.pointer`` from the chunk's per-record locators (JSON pointer / XPath)."""
        assert chunk.locators is not None
        by_record = dict(zip(chunk.records, chunk.locators, strict=True))
        keys = {item: header[pos].replace("~", "~0").replace("/", "~1") for item, pos in col_of.items()}

        def locate(f: Finding) -> None:
            if f.pointer is None and f.record in by_record:
                base = by_record[f.record]
                f.pointer = f"{base}/{keys[f.item]}" if f.item in keys else base

        return locate

    def _guard(self, rule: str, fn: Callable[[], Iterable[Finding]]) -> None:
        """Run a rule; a rule that cannot run or crashes is reported, never silently skipped."""
        sink = self.rule_sink or self.sink
        try:
            if self._locate is not None:
                found = list(fn())
                for f in found:
                    self._locate(f)
                sink.extend(found)
                return
            sink.extend(fn())
        except RuleNotRun as e:
            if not any(n.rule == rule and n.file == self.display for n in self.not_run):
                self.not_run.append(_NotRun(rule, self.display, str(e)))
                sink.add(Finding("SYS002", file=self.display, params={"rule": rule, "reason": str(e)}))
        except Exception as e:  # a bug in a rule must not pass as "valid"
            if not any(n.rule == rule and n.file == self.display for n in self.not_run):
                reason = f"{type(e).__name__}: {e}"
                self.not_run.append(_NotRun(rule, self.display, reason))
                sink.add(Finding("SYS001", file=self.display, params={"rule": rule, "reason": reason}))

    def _map_header(
        self, header: list[str], header_line: int
    ) -> tuple[list[tuple[int, Item, FieldChecker]], dict[str, int]]:
        hint = self.source.group_hint if self.source is not None else None
        group = choose_group(self.spec, self.path, header, self.options.group or hint)
        self.group = group
        index = _header_index(group)
        mapped: list[tuple[int, Item, FieldChecker]] = []
        col_of: dict[str, int] = {}
        name = self.display
        # A file without a header row has a record where the header should be: its "column names"
        # are personal values, so they are masked like values when most of them are unknown.
        unknown = sum(1 for raw in header if raw not in index)
        header_is_data = len(header) >= 2 and unknown * 2 > len(header)
        for pos, raw in enumerate(header):
            it = index.get(raw)
            if it is None:
                close = difflib.get_close_matches(raw, list(index), n=1, cutoff=0.6)
                self.sink.add(
                    Finding(
                        "CSV003",
                        file=name,
                        line=header_line,
                        value=raw if header_is_data else None,
                        params={"column": raw, "position": pos + 1, "suggestion": close[0] if close else "-"},
                        personal=header_is_data,
                    )
                )
                continue
            if it.name in col_of:
                self.sink.add(
                    Finding("CSV006", file=name, line=header_line, item=it.name, item_id=it.id,
                            params={"column": raw, "position": pos + 1})
                )
                continue
            col_of[it.name] = pos
            cl = self.spec.code_list(it.code_list) if it.code_list is not None else None
            checker = FieldChecker(it, cl, gj_table=self.options.gj_table, sjis_strict=self.sjis_strict)
            mapped.append((pos, it, checker))
        keyed = self.source is not None and self.source.input_format in ("json", "xml")
        for it in group.items:
            if it.name not in col_of:
                if keyed:
                    # JSON / XML records name their items: an absent key is a blank value of that
                    # record (FLD001 with its pointer when required), not a missing column.
                    col_of[it.name] = len(header) + len(self._pad_keys)
                    self._pad_keys.append(it.romaji or it.name)
                    cl = self.spec.code_list(it.code_list) if it.code_list is not None else None
                    checker = FieldChecker(it, cl, gj_table=self.options.gj_table, sjis_strict=self.sjis_strict)
                    mapped.append((col_of[it.name], it, checker))
                    continue
                code = "CSV004" if it.required else "CSV005"
                self.sink.add(Finding(code, file=name, line=header_line, item=it.name, item_id=it.id))
        return mapped, col_of

    def _check_chunk(
        self,
        chunk: Chunk,
        mapped: list[tuple[int, Item, FieldChecker]],
        col_of: dict[str, int],
        key_items: tuple[str, ...],
        items_by_name: dict[str, Item],
        rules: list[RecordRule],
        states: list[tuple[DatasetRule, DatasetState]],
    ) -> None:
        columns = chunk.columns
        found: list[tuple[int, int, Finding]] = []
        key_cols = [(k, col_of[k]) for k in key_items]
        for pos, item, checker in mapped if self.fields else ():
            col = columns[pos]
            if checker.column_clean(col):
                continue
            check = checker.check_value
            bad = {v for v in set(col) if check(v)}
            if not bad:
                continue
            for i, v in enumerate(col):
                if v in bad:
                    keys = {k: columns[c][i] for k, c in key_cols}
                    for code, params in check(v):
                        found.append(
                            (
                                i,
                                pos,
                                Finding(
                                    code,
                                    file=self.display,
                                    record=chunk.records[i],
                                    line=chunk.lines[i],
                                    item=item.name,
                                    item_id=item.id,
                                    value=v,
                                    params=params,
                                    keys=keys,
                                    personal=item.personal,
                                ),
                            )
                        )
        found.sort(key=lambda t: (t[0], t[1]))
        if self._locate is not None:
            for _, _, f in found:
                self._locate(f)
        self.sink.extend(f for _, _, f in found)
        if not rules and not states:
            return
        assert self.group is not None  # set by _map_header before any chunk
        view = ChunkView(
            file=self.display,
            group=self.group,
            columns={name: columns[c] for name, c in col_of.items()},
            records=chunk.records,
            lines=chunk.lines,
            key_items=key_items,
            _items=dict(items_by_name),
            options=self.options.rule_options,
        )
        for r in rules:
            self._guard(r.name, functools.partial(r.check, view))
        for dr, state in states:
            self._guard(dr.name, functools.partial(state.feed, view))

    def _check_keys(
        self,
        chunk: Chunk,
        index: KeyIndex,
        key_cols: list[int],
        key_items: tuple[str, ...],
    ) -> None:
        keys, refs = self._keys_of(chunk, key_cols)
        report_duplicates(self.sink, self.display, index.add_many(keys, refs), keys, refs, key_items,
                          self._locate)

    @staticmethod
    def _keys_of(chunk: Chunk, key_cols: list[int]) -> tuple[Sequence[str], Refs]:
        """Primary keys of a chunk's records with their (record, line); records with a blank key part
        are left out (the field checks report them as required-missing, not as duplicates)."""
        cols = chunk.columns
        key_columns = [cols[c] for c in key_cols]
        keys: Sequence[str]
        if len(key_columns) == 1:
            keys = key_columns[0]
        else:
            keys = [KEY_SEP.join(vals) for vals in zip(*key_columns, strict=True)]
        refs = Refs.of(chunk.records, chunk.lines)
        if any("" in kc for kc in key_columns):
            idx = [i for i in range(len(keys)) if all(kc[i] for kc in key_columns)]
            keys = [keys[i] for i in idx]
            packed = refs.packed()
            refs = Refs([packed[i] for i in idx])
        return keys, refs


def bom_contract_findings(display: str, contract: str, encoding: str, bom: bool, nbytes: int) -> list[Finding]:
    """ENC002 / ENC003 when a UTF-8 input breaks the BOM contract (``--bom``)."""
    if encoding != "utf-8":
        return []
    if contract == "forbid" and bom:
        return [Finding("ENC002", file=display, line=1, params={"codepoints": "U+FEFF"})]
    if contract == "require" and not bom and nbytes:
        return [Finding("ENC003", file=display, line=1, params={"encoding": encoding})]
    return []


def add_not_run(not_run: list[_NotRun], more: Iterable[_NotRun]) -> None:
    """Add rules that could not run, once per (rule, file)."""
    for n in more:
        if not any(m.rule == n.rule and m.file == n.file for m in not_run):
            not_run.append(n)


KEY_SEP = "\x1f"
"""Joins the parts of a composite key (a control character cannot appear in a valid value)."""


def report_late_duplicates(sink: _Sink, file: str, index: KeyIndex, key_items: tuple[str, ...]) -> None:
    """KEY001 for the repeats a spilled index finds at the end (see :meth:`KeyIndex.finish`)."""
    late = index.finish()
    keys = [k for k, _, _ in late]
    refs = [ref for _, ref, _ in late]
    report_duplicates(sink, file, [(i, first) for i, (_, _, first) in enumerate(late)], keys, refs, key_items)


def report_duplicates(
    sink: _Sink,
    file: str,
    dupes: Iterable[tuple[int, tuple[int, int]]],
    keys: Sequence[str],
    refs: Sequence[tuple[int, int]],
    key_items: tuple[str, ...],
    locate: Callable[[Finding], None] | None = None,
) -> None:
    """Add a KEY001 finding for each (position in ``keys``, first occurrence) in ``dupes``."""
    for j, first in dupes:
        record, line = refs[j]
        dup = Finding(
            "KEY001",
            file=file,
            record=record,
            line=line,
            item=key_items[0] if len(key_items) == 1 else None,
            value=keys[j].replace(KEY_SEP, ", "),
            params={"first_record": first[0], "first_line": first[1], "key": " + ".join(key_items)},
            keys=dict(zip(key_items, keys[j].split(KEY_SEP), strict=True)),
            related=[first],
        )
        if locate is not None:
            locate(dup)
        sink.add(dup)


def _skipped_file_rules(spec: Spec, file_rules: Sequence[FileRule] | None) -> Sequence[FileRule]:
    """The whole-file rules a spec has but a single-group run does not apply."""
    if file_rules is not None:
        return file_rules
    if not all(g.fixed_width is not None and g.fixed_width.record_type is not None for g in spec.groups):
        return ()
    from kikan_std.specs import rules_for

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
    sink: _Sink,
    record_rules: Sequence[RecordRule],
    dataset_rules: Sequence[DatasetRule],
    file_rules: Sequence[FileRule],
    not_run: list[_NotRun],
    progress: ProgressFn | None,
    groups: Sequence[Group],
) -> InputInfo:
    """One file holding several record types: one run per group (its records only), then the file rules once."""
    runs = [_FileRun(spec, path, display, replace(opts, group=g.name), sink, record_rules, dataset_rules,
                     not_run, progress) for g in groups]
    infos = [fr.run() for fr in runs]
    data = path.read_bytes()
    for rule in file_rules:
        runs[-1]._guard(rule.name, functools.partial(rule.check, data, display))
    # Every run read the whole file (records counted over all types): one input, all its groups.
    return infos[0].model_copy(update={"group": " / ".join(g.name for g in groups)})


def resolve_jobs(jobs: int | str) -> int:
    """``jobs`` as a number of processes: a whole number from 1, or ``"auto"`` for the CPUs this
    process may use (fewer than the machine has when a container or ``taskset`` limits it).

    Raises:
        ValueError: anything else (0, a negative number, another word).
    """
    if isinstance(jobs, str) and jobs.strip().lower() == "auto":
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        n = int(jobs) if not isinstance(jobs, bool) else 0
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"jobs must be a whole number from 1, or 'auto': {jobs!r}")
    return n


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
    if opts.fail_on == "new" and opts.baseline is None:
        raise ValueError("fail_on='new' needs a baseline")
    classifier: Classifier | None = None
    if opts.baseline is not None or opts.waivers is not None:
        from kikan_std.report.baseline import Classifier

        classifier = Classifier(opts.baseline, opts.waivers, opts.mask_key)
    if displays is not None and len(displays) != len(paths):
        raise ValueError("displays must name every path")
    resolved = [(Path(p), str(p) if displays is None else displays[n]) for n, p in enumerate(paths)]
    sink = _Sink(
        cap=opts.max_findings,
        total_cap=opts.max_findings_total,
        classifier=classifier,
        file_order={display: i for i, (_, display) in enumerate(resolved)},
    )
    not_run: list[_NotRun] = []
    inputs: list[InputInfo] = []
    multi = record_type_groups(spec, opts)
    if multi and file_rules is None:
        from kikan_std.specs import rules_for

        file_rules = rules_for(spec).file_rules
    for p, display in resolved:
        if not p.exists():
            raise InputError(f"file not found: {display}")
        if p.is_dir():
            raise InputError(f"is a directory: {display}")
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
            elif opts.jobs > 1 and classifier is None:
                from kikan_std.engine.parallel import check_in_parts

                info = check_in_parts(spec, p, display, opts, sink, record_rules, dataset_rules, not_run)
            if info is None:
                fr = _FileRun(spec, p, display, opts, sink, record_rules, dataset_rules, not_run, progress)
                info = fr.run()
                # A file read as one record type (--group / --layout) cannot be held to the spec's
                # whole-file rules (record order, trailer totals): say so rather than pass it.
                for rule in () if multi else _skipped_file_rules(spec, file_rules):
                    reason = "the file was read as one group (--group/--layout); whole-file rules need every record type"
                    not_run.append(_NotRun(rule.name, display, reason))
                    sink.add(Finding("SYS002", file=display, params={"rule": rule.name, "reason": reason}))
            inputs.append(info)
    finally:
        if gc_was_enabled:
            gc.enable()
    return build_report(spec, opts, sink, inputs, not_run, classifier)


def build_report(
    spec: Spec,
    opts: Options,
    sink: _Sink,
    inputs: list[InputInfo],
    not_run: list[_NotRun],
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


__all__ = ["InputError", "Options", "ProgressFn", "choose_group", "record_type_groups", "run_check"]
