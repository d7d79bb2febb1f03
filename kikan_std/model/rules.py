"""Rules beyond single fields: the shapes a spec's cross-field and cross-record rules take.

A spec module lists its rules explicitly in tuples (no registry). Rules see the data one chunk at
a time through a :class:`ChunkView`, column by column, and yield findings:

* :class:`RecordRule` — a function of one chunk (cross-field rules within a record);
* :class:`DatasetRule` — a factory of a stateful checker fed every chunk of a file, then finished
  (uniqueness, histories, households…); state that can grow with the data belongs in a
  :class:`~kikan_std.engine.keys.KeyIndex`, which spills to disk.

A rule that cannot run raises :class:`RuleNotRun`; the engine reports it and the run is not valid.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from kikan_std.errors import RuleNotRun
from kikan_std.findings import Finding
from kikan_std.model.spec import Group, Spec

RuleSource = Callable[[Spec, Mapping[str, str] | None], tuple[Sequence["RecordRule"], Mapping[str, str]]]
"""(spec, rule options) → (the spec's record rules, the resolved rule options)."""

SpecLoader = Callable[[str], Spec]
"""Built-in spec id → spec (for record models declared in generated modules)."""


@dataclass(slots=True)
class InstalledSpecs:
    """Where record models (:mod:`kikan_std.model.records`) find a spec's record rules and built-in specs.

    :mod:`kikan_std.specs`, a layer above, installs them when it is imported
    (:func:`install_rule_source`); kept here so that installing does not import the record models.
    """

    rules: RuleSource | None = None
    loader: SpecLoader | None = None


INSTALLED = InstalledSpecs()


def install_rule_source(rules: RuleSource, loader: SpecLoader) -> None:
    """Called by :mod:`kikan_std.specs` on import: where record models find a spec's record rules."""
    INSTALLED.rules, INSTALLED.loader = rules, loader


class KeyLookup(Protocol):
    """The primary keys of a whole file (the engine's key index, :class:`~kikan_std.engine.keys.KeyIndex`)."""

    def contains_many(self, keys: Sequence[str]) -> list[bool]:
        """Whether each of ``keys`` is the primary key of some record of the file."""
        ...


@dataclass(slots=True)
class ChunkView:
    """Columns of one chunk of one file, by official item name."""

    file: str
    group: Group
    columns: dict[str, Sequence[str]]
    records: Sequence[int]
    lines: Sequence[int]
    key_items: tuple[str, ...] = ()
    _items: dict[str, Any] = field(default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)
    """Per-run rule options (``check(..., rule_options=...)``, CLI ``--rule-option``), validated."""
    primary_keys: KeyLookup | None = None
    """The file's primary-key index, for dataset rules that ask for it (``DatasetRule.uses_primary_keys``).
    It holds every record's key only once the last chunk has been fed: look keys up in ``finish``."""

    def __len__(self) -> int:
        return len(self.records)

    def col(self, name: str) -> Sequence[str] | None:
        """The values of item ``name`` in this chunk, or None when the file has no such column."""
        return self.columns.get(name)

    def need(self, *names: str) -> list[Sequence[str]]:
        """The columns ``names``; raise :class:`RuleNotRun` naming those the file lacks."""
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise RuleNotRun("missing columns: " + ", ".join(missing))
        return [self.columns[n] for n in names]

    def keys_at(self, i: int) -> dict[str, str]:
        """Business keys of row ``i`` (the group's key items that the file has)."""
        return {k: self.columns[k][i] for k in self.key_items if k in self.columns}

    def finding(self, code: str, i: int, item: str | None = None, value: str | None = None, **params: Any) -> Finding:
        """A finding located at row ``i`` of this chunk."""
        it = self._items.get(item) if item is not None else None
        return Finding(
            code,
            file=self.file,
            record=self.records[i],
            line=self.lines[i],
            item=item,
            item_id=getattr(it, "id", None),
            value=value,
            params=params,
            keys=self.keys_at(i),
            personal=bool(getattr(it, "personal", False)),
        )


@dataclass(frozen=True, slots=True)
class RuleOption:
    """A per-run switch of a spec's rules (e.g. ``atena_check_digit=off``)."""

    name: str
    choices: tuple[str, ...]
    default: str
    description: str


@dataclass(frozen=True, slots=True)
class RecordRule:
    """A cross-field rule evaluated chunk by chunk."""

    name: str
    codes: tuple[str, ...]
    clause: str
    check: Callable[[ChunkView], Iterable[Finding]]
    groups: tuple[str, ...] | None = None  # None: every group of the spec


class DatasetState(Protocol):
    """The running state of a :class:`DatasetRule` over one file."""

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        """Take one chunk; yield findings that are already certain."""
        ...

    def finish(self) -> Iterable[Finding]:
        """Yield the findings that need the whole file."""
        ...


@dataclass(frozen=True, slots=True)
class DatasetRule:
    """A cross-record rule over a whole file."""

    name: str
    codes: tuple[str, ...]
    clause: str
    factory: Callable[[Group], DatasetState]
    groups: tuple[str, ...] | None = None
    uses_primary_keys: bool = False
    """The state looks keys up in the file's primary-key index (:attr:`ChunkView.primary_keys`) instead of
    keeping its own copy of every key: the engine then builds that index even where it checks no fields."""


@dataclass(frozen=True, slots=True)
class FileRule:
    """A rule over a whole file's bytes, run once per file (not per group).

    For specs whose groups are record types of one fixed-width file (``FixedWidthLayout.record_type``,
    e.g. 全銀 総合振込): what no group sees alone — record order, unknown record types, trailer totals.
    ``check(f, display)`` reads the file from the open binary ``f`` (at its start; read it in
    blocks, e.g. :func:`kikan_std.readers.fixed_reader.read_records`, not whole) and yields located
    findings.
    """

    name: str
    codes: tuple[str, ...]
    clause: str
    check: Callable[[BinaryIO, str], Iterable[Finding]]


def required_when(
    name: str,
    target: str,
    triggers: tuple[str, ...],
    when: Callable[..., bool],
    clause: str,
    condition: str,
    rows_where: Callable[[Sequence[str]], Iterable[int]] | None = None,
) -> RecordRule:
    """A 条件付き必須 rule: ``target`` must not be blank where ``when(*trigger_values)`` holds.

    A missing column counts as blank in every record: the file is what is judged, and a file
    without the column has no value there (the missing column is itself a finding).
    ``rows_where`` (one trigger only) gives the positions in a trigger column where ``when``
    holds, in ascending order, for a whole column at once (C-level instead of a Python call or a
    set lookup per value).
    """
    if rows_where is not None and len(triggers) != 1:
        raise ValueError("rows_where needs exactly one trigger")

    # Trigger values already decided, remembered across chunks (bounded), as C-level sets.
    hit_values: set[Any] = set()
    miss_values: set[Any] = set()

    def decide(new: set[Any], single: bool) -> set[Any]:
        return {v for v in new if (when(v) if single else when(*v))}

    def check(view: ChunkView) -> Iterator[Finding]:
        blank = ("",) * len(view)
        tcol = view.col(target) or blank
        cols = [view.col(t) or blank for t in triggers]
        if "" not in tcol:
            return
        if rows_where is not None:
            for i in rows_where(cols[0]):
                if tcol[i] == "":
                    yield view.finding("REC001", i, item=target, condition=condition)
            return
        # Decide the condition once per distinct trigger value (conditions are pure functions of
        # the values, and trigger columns repeat a lot), remembered across chunks.
        single = len(cols) == 1
        rows: Sequence[Any] = cols[0] if single else list(zip(*cols, strict=True))
        distinct = set(rows)
        new = distinct - miss_values  # misses are the many: one pass, and hits only when there are any
        if hit_values:
            new -= hit_values
        if new:
            if len(hit_values) + len(miss_values) > 200_000:
                hit_values.clear()
                miss_values.clear()
            new_hits = decide(new, single)
            hit_values.update(new_hits)
            miss_values.update(new - new_hits)
        hits = distinct & hit_values
        if not hits:
            return
        # Walk the fewer records: those whose condition holds, or those whose target is blank.
        if tcol.count("") * 4 < len(tcol):
            for i in itertools.compress(itertools.count(), map(operator.not_, tcol)):
                if rows[i] in hits:
                    yield view.finding("REC001", i, item=target, condition=condition)
            return
        for i in itertools.compress(itertools.count(), map(hits.__contains__, rows)):
            if tcol[i] == "":
                yield view.finding("REC001", i, item=target, condition=condition)

    return RecordRule(name=name, codes=("REC001",), clause=clause, check=check)
