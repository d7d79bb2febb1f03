"""One file's run: map the header, read chunks, run field checks, record rules and dataset rules.

A rule that raises is reported (SYS002), never swallowed: the run is then not valid.
"""

from __future__ import annotations

import difflib
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kikan_std.engine.keys import KeyIndex, Refs
from kikan_std.errors import RuleNotRun
from kikan_std.findings import Finding
from kikan_std.model.fields import FieldChecker
from kikan_std.model.rules import ChunkView, DatasetRule, DatasetState, FileRule, RecordRule
from kikan_std.model.spec import Group, Item, Spec
from kikan_std.model.spill import write_batch
from kikan_std.options import Options, ProgressFn
from kikan_std.readers import input_format_for, open_input
from kikan_std.readers.csv_reader import Chunk, CsvSource, RangeFile, iter_csv, normalise_encoding, open_source
from kikan_std.report.collect import NotRun, Sink
from kikan_std.report.model import InputInfo

Opener = Callable[[], tuple[CsvSource, BinaryIO, Iterator[Chunk | Finding]]]
"""Opens one input: its source, the file object to close, and its reader (see :mod:`kikan_std.readers`)."""


@dataclass(frozen=True, slots=True)
class Part:
    """A byte range of records of a CSV file, with the file's header (for parallel checking)."""

    start: int
    end: int
    header: list[str]


def _header_index(group: Group) -> dict[str, Item]:
    index: dict[str, Item] = {}
    for it in group.items:
        for name in (it.name, it.romaji, *it.aliases):
            if name:
                index.setdefault(name, it)
    return index


def header_encoding_hint(header: Sequence[str], encoding: str, spec: Spec | None = None) -> str | None:
    """The encoding the file is likely in when its header cannot be decoded with ``encoding``, else None.

    Undecodable bytes reach the header as lone surrogates (``surrogateescape``). When the header's
    bytes are valid CP932 the file is almost surely a Shift_JIS/CP932 export read as UTF-8; when they
    are valid UTF-8 it is the other way round. With ``spec``, the header read in the other encoding
    must also name at least one of its items (a header with one corrupt byte is not a wrong encoding).
    """
    if not any("\udc80" <= c <= "\udcff" for cell in header for c in cell):
        return None
    codec = normalise_encoding(encoding)
    known = None if spec is None else {n for g in spec.groups for it in g.items for n in (it.name, *it.aliases)}
    for candidate in ("cp932", "utf-8", "euc_jp"):
        if candidate == codec:
            continue
        try:
            cells = [cell.encode(codec, "surrogateescape").decode(candidate) for cell in header]
        except (UnicodeError, LookupError):
            continue
        if known is None or known.intersection(c.strip() for c in cells):
            return candidate
    return None


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


class FileRun:
    """Checks one file: :meth:`run` reads it and adds its findings to ``sink``.

    The keyword-only arguments serve :mod:`kikan_std.engine.parallel` (``--jobs`` and Dask):

    Args:
        part: check only this byte range of a CSV file, read with the file's header. The header's
            findings are the whole file's (the caller reports them once, see :meth:`map_header`)
            and the primary-key check needs the whole file, so the part's keys are collected for
            the caller: in :attr:`part_keys` / :attr:`part_refs`, or in ``part_keys_file``.
        part_keys_file: where a part's keys go, as length-prefixed batches of (keys, packed refs),
            to keep a big part's memory flat (see :func:`kikan_std.engine.parallel.iter_part_keys`).
            The caller opens and closes it.
        fields: False for a dataset pass (the whole file read only to feed the dataset rules; the
            field checks run in the parts).
        rule_sink: where the rules' findings go instead of ``sink`` (a dataset pass keeps only these).
        reader: opens the input instead of ``path`` (in-memory records or bytes,
            :func:`kikan_std.engine.run.run_in_memory`); ``path`` then only names it.
    """

    def __init__(
        self,
        spec: Spec,
        path: Path,
        display: str,
        options: Options,
        sink: Sink,
        record_rules: Sequence[RecordRule],
        dataset_rules: Sequence[DatasetRule],
        not_run: list[NotRun],
        progress: ProgressFn | None,
        *,
        part: Part | None = None,
        part_keys_file: BinaryIO | None = None,
        fields: bool = True,
        rule_sink: Sink | None = None,
        reader: Opener | None = None,
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
        """The group the file holds, known once the header is mapped."""
        self._locate: Callable[[Finding], None] | None = None
        self.source: CsvSource | None = None
        """The opened input (statistics, header), set by :meth:`run`."""
        self._primary_keys: KeyIndex | None = None  # the file's key index, lent to the dataset rules' views
        self._pad_keys: list[str] = []  # keys of items absent from every JSON/XML record (blank columns)
        self._sjis_strict = False
        self._stopped = False  # ENC005: the file was not checked past its header
        self._part = part
        self._part_keys_file = part_keys_file
        self._fields = fields
        self._rule_sink = rule_sink
        self._reader = reader
        self.part_keys: list[str] = []
        """A part's primary keys in record order (without ``part_keys_file``)."""
        self.part_refs: list[tuple[int, int]] = []
        """(record, line) of each of :attr:`part_keys`, numbered within the part."""

    def run(self) -> InputInfo:
        opts = self.options
        if self._reader is not None:
            source, f, it = self._reader()
        elif self._part is None:
            fmt = input_format_for(self.path, opts.input_format)
            source, f, it = open_input(self.path, self.display, fmt, opts.encoding, self.spec, opts.group, opts.layout)
        else:
            source, f = open_source(self.path, self.display, opts.encoding)
            it = iter_csv(source, RangeFile(f, self._part.start, self._part.end), header=self._part.header)
        self.source = source
        sink = self.sink
        det = source.detection
        self._sjis_strict = source.encoding.replace("-", "_").lower() in ("shift_jis", "sjis", "s_jis")
        if det is not None and det.weak:
            sink.add(Finding("ENC004", file=self.display, params={
                "encoding": det.encoding, "reason": det.reason_text(self.options.lang) or "-"}))
        with f:
            mapped: list[tuple[int, Item, FieldChecker]] | None = None
            states: list[tuple[DatasetRule, DatasetState]] = []
            pk_index: KeyIndex | None = None
            key_cols: list[int] = []
            blank_cols: list[int] = []
            key_items: tuple[str, ...] = ()
            col_of: dict[str, int] = {}
            rules: list[RecordRule] = []
            items_by_name: dict[str, Item] = {}
            try:
                for x in it:
                    if isinstance(x, Finding):
                        sink.add(x)
                        continue
                    if mapped is None and self._part is None and self._encoding_hint(source.header, source.header_line):
                        break  # the whole file is in another encoding: one clear finding, not one per cell
                    if mapped is None:
                        if self._part is not None:
                            # A part's header findings are the whole file's: the caller reports them once.
                            saved, self.sink = self.sink, Sink(cap=0)
                            mapped, col_of = self.map_header(source.header, source.header_line)
                            self.sink = saved
                        else:
                            mapped, col_of = self.map_header(source.header, source.header_line)
                        group = self.group
                        assert group is not None
                        items_by_name = {i.name: i for i in group.items}
                        key_items = tuple(k for k in group.primary_key if k in col_of)
                        for dr in self.dataset_rules:
                            if dr.groups is None or group.name in dr.groups:
                                states.append((dr, dr.factory(group)))
                        if group.primary_key and len(key_items) == len(group.primary_key):
                            key_cols = [col_of[k] for k in group.primary_key]
                            # A dataset pass checks no keys, but builds the index for the rules that look keys up.
                            if self._part is None and (self._fields or any(dr.uses_primary_keys for dr, _ in states)):
                                pk_index = KeyIndex()
                        # Columns where a value of spaces would pass the field checks: only there can
                        # it pass as "set" (elsewhere it is a finding anyway), so only there is it
                        # made blank (cheaper than looking at every column of every chunk).
                        # U+3000 first: in a Ｎ item it passes the fast character class, and asking about
                        # " " there would load the whole MJ table (~0.4 s, ~45 MB) for nothing.
                        blank_cols = sorted({pos for pos, _, checker in mapped
                                             if not checker.check_value("\u3000") or not checker.check_value(" ")}
                                            | set(key_cols))
                        rules = [r for r in self.record_rules if r.groups is None or group.name in r.groups]
                        self._primary_keys = pk_index
                    if self._pad_keys:
                        blank = ("",) * len(x)
                        x.columns = [*x.columns, *(blank for _ in self._pad_keys)]
                    if x.spaces_only:
                        x.columns = blank_in_substance(x.columns, blank_cols)
                    names = [*source.header, *self._pad_keys]
                    self._locate = None if x.locators is None else self._locator(x, names, col_of)
                    self._check_chunk(x, mapped, col_of, key_items, items_by_name, rules, states)
                    if pk_index is not None and self._fields:
                        self._check_keys(x, pk_index, key_cols, key_items)
                    elif pk_index is not None:
                        pk_index.add_many(*self._keys_of(x, key_cols))
                    elif self._part is not None and key_cols:
                        keys, refs = self._keys_of(x, key_cols)
                        if self._part_keys_file is not None:
                            write_batch(self._part_keys_file, (list(keys), list(refs.packed())))
                        else:
                            self.part_keys += keys
                            self.part_refs += refs
                    self._locate = None
                    if self.progress is not None:
                        self.progress(self.display, source.stats.records)
                if (mapped is None and source.header and self._part is None and not self._stopped
                        and not self._encoding_hint(source.header, source.header_line)):
                    # Header but no records: still report header problems (a part's are the file's,
                    # reported once by the caller).
                    mapped, col_of = self.map_header(source.header, source.header_line)
                if pk_index is not None and self._fields:
                    report_late_duplicates(self.sink, self.display, pk_index, key_items)
                for dr, state in states:
                    self._guard(dr.name, state.finish)
            finally:
                if pk_index is not None:
                    pk_index.close()
                    self._primary_keys = None
        stats = source.stats
        if self._part is None:
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
        sink = self._rule_sink or self.sink
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
                self.not_run.append(NotRun(rule, self.display, str(e)))
                sink.add(Finding("SYS002", file=self.display, params={"rule": rule, "reason": str(e)}))
        except Exception as e:  # a bug in a rule must not pass as "valid"
            if not any(n.rule == rule and n.file == self.display for n in self.not_run):
                reason = f"{type(e).__name__}: {e}"
                self.not_run.append(NotRun(rule, self.display, reason))
                sink.add(Finding("SYS001", file=self.display, params={"rule": rule, "reason": reason}))

    def run_file_rules(self, file_rules: Sequence[FileRule], open_bytes: Callable[[], BinaryIO]) -> None:
        """Run whole-file rules over the file's bytes (each rule reads its own ``open_bytes()``), each
        guarded like a record rule (a rule that cannot run or crashes is reported as not run, never
        skipped)."""
        for rule in file_rules:
            def check(rule: FileRule = rule) -> list[Finding]:
                with open_bytes() as f:
                    return list(rule.check(f, self.display))
            self._guard(rule.name, check)

    def _encoding_hint(self, header: list[str], line: int) -> bool:
        """ENC005 when the header cannot be decoded with the run's encoding but can with another; the
        file is then not checked further (every value would be mis-decoded too). Header names are
        never personal, so the finding names the encoding and the option to use, unmasked."""
        if self.source is None or self.source.input_format != "csv":
            return False
        likely = header_encoding_hint(header, self.source.encoding, self.spec)
        if likely is None:
            return False
        self.sink.add(Finding("ENC005", file=self.display, line=line,
                              params={"encoding": self.source.encoding, "likely": likely,
                                      "option": f"--encoding {likely}"}))
        self._stopped = True
        return True

    def map_header(
        self, header: list[str], header_line: int
    ) -> tuple[list[tuple[int, Item, FieldChecker]], dict[str, int]]:
        """Choose the file's group (sets :attr:`group`) and map the header row to its items.

        Header findings (CSV003 unknown column, CSV004/CSV005 missing item, CSV006 repeated column)
        go to the run's sink. Returns the field checker of each mapped column (position, item,
        checker) and the column of each item by name.
        """
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
        # Excel hints (a value saved from a spreadsheet) only where a spreadsheet could have written it: CSV.
        spreadsheet = self.source is None or self.source.input_format == "csv"
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
            checker = FieldChecker(it, cl, gj_table=self.options.gj_table, sjis_strict=self._sjis_strict,
                                   hints=spreadsheet)
            mapped.append((pos, it, checker))
        keyed = self.source is not None and self.source.input_format in ("json", "xml", "records")
        for it in group.items:
            if it.name not in col_of:
                if keyed:
                    # JSON / XML records name their items: an absent key is a blank value of that
                    # record (FLD001 with its pointer when required), not a missing column.
                    col_of[it.name] = len(header) + len(self._pad_keys)
                    self._pad_keys.append(it.romaji or it.name)
                    cl = self.spec.code_list(it.code_list) if it.code_list is not None else None
                    checker = FieldChecker(it, cl, gj_table=self.options.gj_table, sjis_strict=self._sjis_strict,
                                           hints=False)
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
        for pos, item, checker in mapped if self._fields else ():
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
        assert self.group is not None  # set by map_header before any chunk
        view = ChunkView(
            file=self.display,
            group=self.group,
            columns={name: columns[c] for name, c in col_of.items()},
            records=chunk.records,
            lines=chunk.lines,
            key_items=key_items,
            _items=dict(items_by_name),
            options=self.options.rule_options,
            primary_keys=self._primary_keys,
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


BLANK_CHARS = " \u3000"
"""What a value may hold and still be blank in substance: spaces, half- or full-width."""


def blank_in_substance(columns: list[Sequence[str]], positions: Iterable[int] | None = None) -> list[Sequence[str]]:
    """``columns`` with every value made only of spaces (U+0020, U+3000) replaced by ``""``.

    One reading for every reader and every check: a value of spaces is blank. A 必須 item holding
    only spaces is FLD001, a conditionally required one REC001 (or the spec's own code), and a
    blank key part is no key, exactly as for an empty value; fixed-width fields already lose their
    padding. ``positions`` limits the work to those columns (the engine passes the columns whose
    field checks would accept a value of spaces, and the key columns).
    """
    out = columns
    for c in range(len(columns)) if positions is None else positions:
        col = columns[c]
        if not col:
            continue
        joined = "".join(col)
        if " " not in joined and "\u3000" not in joined:
            continue
        # str.isspace allocates nothing: a cheap pass that finds every candidate (it is True for
        # other white space too, which the exact test below then rules out).
        if True not in map(str.isspace, col):
            continue
        if "" not in map(str.strip, col, itertools.repeat(BLANK_CHARS)):
            continue
        if out is columns:
            out = list(columns)
        out[c] = [v if v.strip(BLANK_CHARS) else "" for v in col]
    return out


def bom_contract_findings(display: str, contract: str, encoding: str, bom: bool, nbytes: int) -> list[Finding]:
    """ENC002 / ENC003 when a UTF-8 input breaks the BOM contract (``--bom``)."""
    if encoding != "utf-8":
        return []
    if contract == "forbid" and bom:
        return [Finding("ENC002", file=display, line=1, params={"codepoints": "U+FEFF"})]
    if contract == "require" and not bom and nbytes:
        return [Finding("ENC003", file=display, line=1, params={"encoding": encoding})]
    return []


def add_not_run(not_run: list[NotRun], more: Iterable[NotRun]) -> None:
    """Add rules that could not run, once per (rule, file)."""
    for n in more:
        if not any(m.rule == n.rule and m.file == n.file for m in not_run):
            not_run.append(n)


KEY_SEP = "\x1f"
"""Joins the parts of a composite key (a control character cannot appear in a valid value)."""


def report_late_duplicates(sink: Sink, file: str, index: KeyIndex, key_items: tuple[str, ...]) -> None:
    """KEY001 for the repeats a spilled index finds at the end (see :meth:`KeyIndex.finish`)."""
    late = index.finish()
    keys = [k for k, _, _ in late]
    refs = [ref for _, ref, _ in late]
    report_duplicates(sink, file, [(i, first) for i, (_, _, first) in enumerate(late)], keys, refs, key_items)


def report_duplicates(
    sink: Sink,
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
