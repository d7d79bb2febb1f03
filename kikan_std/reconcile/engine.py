"""The city-scale core of 突合: a compact beneficiary store, one outcome per application, ordered workers.

Three pieces, shared by :func:`kikan_std.reconcile.reconcile` (the result in memory) and
:func:`kikan_std.reconcile.reconcile_to` (the outputs written as the applications are scored):

* :class:`BeneficiaryStore` holds the normalised beneficiary list in one read-only buffer (one
  ``marshal`` record per household in an anonymous temporary file, mapped into memory) and the
  blocking index as two sorted arrays (the hash of each blocking key, the household's position).
  No Python object is kept per household, so the list of a designated city takes a few hundred
  MB, and forked workers share it without copying it page by page (reading an object would write
  its reference count; reading a slice of the buffer writes nothing).
* :func:`score_one` decides one application and returns a compact *outcome* tuple: ``(record,
  kind, findings, data)`` with kind :data:`MATCHED`, :data:`AMBIGUOUS`, :data:`REVIEW` or
  :data:`UNMATCHED`. It is the former per-application loop, unchanged in what it decides.
  In ``stream`` mode the personal values in the outcome are already masked and the findings
  rendered, so the outputs can be written from it directly.
* :func:`ordered_map` runs chunks of applications (or beneficiaries) in ``jobs`` forked processes
  and yields their results in input order, with a bounded number of chunks in flight; the parent
  reads the input and merges while the workers score. :class:`Collector` then takes the outcomes in
  record order and makes the decisions that need the whole run so far (the first application
  matched to a household is kept, later ones are duplicates), keeping only counters.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import marshal
import mmap
import multiprocessing
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any, NamedTuple, Protocol, TypeVar

from kikan_std.findings import Finding
from kikan_std.jp.zengin import TransferRecord
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.reconcile._io import ColumnMap
from kikan_std.reconcile.accounts import Account, check_account, check_account_holder
from kikan_std.reconcile.catalogue import render_message
from kikan_std.reconcile.match import (
    MAX_BLOCK,
    REVIEW_LABELS,
    AddressTokens,
    Household,
    Verdict,
    address_tokens,
    explain,
    make_household_staged,
    score_of,
    verdict_of,
)
from kikan_std.report.render import mask_value

__all__ = [
    "AMBIGUOUS",
    "MATCHED",
    "REVIEW",
    "UNMATCHED",
    "BeneficiaryStore",
    "Collector",
    "Match",
    "MatchMeta",
    "Settings",
    "Sink",
    "can_fork",
    "encode_beneficiaries",
    "run_chunks",
    "score_chunk",
    "score_one",
]

MATCHED, AMBIGUOUS, REVIEW, UNMATCHED = 0, 1, 2, 3
"""Outcome kinds of an application."""

ADDRESS_ONLY = frozenset({"number_differs", "number_missing", "place_differs", "building_differs", "address_missing"})
"""Review reasons of a candidate that differs only in the address (a namesake is listed for review)."""

MAX_REVIEW_CANDIDATES = 3
"""Candidates listed per review item (best first)."""

CHUNK = 2000
"""Records per unit of work (a worker task, a bounded in-flight window of them)."""

_BANK_CODES = {"RCN011": "unknown", "RCN012": "ambiguous", "RCN013": "unknown", "RCN014": "ambiguous"}

Row = tuple[int, list[str]]
Outcome = tuple[int, int, list[Any], Any]


class Match(NamedTuple):
    """What a MATCHED outcome carries (see :func:`score_one`)."""

    beneficiary: int
    no: str | None
    confidence: float
    reasons: list[tuple[str, str, str]]
    """(column, step, detail) of each difference explained."""
    persons: int
    amount: int
    missing: list[str]
    added: list[str]
    account: Account
    holder: Any
    """The account-holder finding (RCN005; a :class:`~kikan_std.findings.Finding`, or rendered) or None."""


class MatchMeta(NamedTuple):
    """What the parent needs of a MATCHED outcome rendered in a worker (:func:`.stream.render_json`)."""

    beneficiary: int
    no: str | None
    persons: int
    amount: int
    member_differences: bool
    usable: bool
    account: Account | None
    """The account, only when a transfer file is written."""
    holder_code: str | None


@dataclass(frozen=True, slots=True)
class Settings:
    """What scoring an application needs besides the row and the beneficiary list.

    Attributes:
        app_file: The applications file name written into findings.
        amount_per_person: Amount per person applied for and found.
        threshold: Minimum confidence of a match or of a review candidate.
        stream: ``True``: mask (with ``mask_key``, unless None) and render the outcome for the outputs;
            ``False``: raw values and :class:`~kikan_std.findings.Finding` objects (the in-memory result).
        mask_key: The masking key in stream mode; None shows the values.
        transfer: A transfer file is written (a rendered outcome then carries the account).
    """

    app_file: str
    amount_per_person: int
    threshold: float
    stream: bool = False
    mask_key: bytes | None = DEFAULT_MASK_KEY
    transfer: bool = False


# --- the beneficiary list -------------------------------------------------------------------------


def _keys(h: Household) -> list[tuple[int, str]]:
    """(kind, key) of the blocking keys of ``h``, as :meth:`kikan_std.reconcile.match.BlockIndex.keys`."""
    out: list[tuple[int, str]] = []
    if h.dob and h.block:
        out.append((1, f"1\x1f{h.dob}\x1f{h.block}"))
    if h.dob and h.head:
        out.append((2, f"2\x1f{h.dob}\x1f{h.head}"))
    if h.head and h.block:
        out.append((3, f"3\x1f{h.head}\x1f{h.block}"))
    return out


def _shares(kind: int, app: Household, t: tuple[Any, ...]) -> bool:
    """Whether the stored household ``t`` (see :func:`encode_beneficiaries`) has the blocking key of
    ``kind`` that ``app`` has (the key strings are equal exactly when these values are: normalised
    names and addresses hold no separator character)."""
    dob, head, block = t[7], t[5], t[9]
    if kind == 1:
        return bool(dob == app.dob and block == app.block)
    if kind == 2:
        return bool(dob == app.dob and head == app.head)
    return bool(head == app.head and block == app.block)


Encoded = tuple[bytes, list[int], list[int], list[int], list[int]]
"""A chunk of beneficiaries: marshal records, record numbers, record lengths, key hashes and the chunk
positions they index."""


def encode_beneficiaries(task: tuple[list[Row], ColumnMap]) -> Encoded:
    """Normalise a chunk of beneficiary rows into store records (worker side of the loading)."""
    rows, cmap = task
    parts: list[bytes] = []
    records: list[int] = []
    lengths: list[int] = []
    hashes: list[int] = []
    positions: list[int] = []
    for i, (record, row) in enumerate(rows):
        h, stages = make_household_staged(
            record, cmap.get(row, "世帯主氏名"), cmap.get(row, "住所"), cmap.get(row, "生年月日"), cmap.members(row)
        )
        # The address is kept with its normalisation stages (the last one is the normalised address):
        # explaining a match walks them, and steps that change nothing share one string (stored once).
        data = marshal.dumps((
            h.record, h.head_raw, h.address_raw, h.dob_raw, h.members_raw, h.head, stages, h.dob, h.members,
            h.block, cmap.get(row, "No") or None, cmap.get(row, "世帯主氏名（カナ）"), address_tokens(h.address),
        ))
        parts.append(data)
        records.append(record)
        lengths.append(len(data))
        for _kind, key in _keys(h):
            hashes.append(hash(key))
            positions.append(i)
    return b"".join(parts), records, lengths, hashes, positions


Listed = tuple[Household, str | None, str, tuple[str, ...], AddressTokens]
"""A beneficiary household with its No (None when absent), head's kana ("" when absent), the
normalisation stages of its address and the address's :func:`~kikan_std.reconcile.match.address_tokens`."""


def _zeroed(nbytes: int) -> mmap.mmap | bytearray:
    """Zeroed memory for a large table read at random: anonymous pages, huge pages where the system
    allows it (each random read then costs far fewer TLB misses), shared copy-on-write with forked
    workers. A ``bytearray`` where anonymous maps are not available."""
    if not (hasattr(mmap, "MAP_PRIVATE") and hasattr(mmap, "MAP_ANONYMOUS")):
        return bytearray(max(nbytes, 8))
    m = mmap.mmap(-1, max(nbytes, 8), flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # 8: an empty table still casts
    if hasattr(mmap, "MADV_HUGEPAGE"):
        with contextlib.suppress(OSError):
            m.madvise(mmap.MADV_HUGEPAGE)
    return m


_TOP = 1 << 63


class BeneficiaryStore:
    """The beneficiary list, normalised, in a shared read-only buffer, with its blocking index.

    Households are added chunk by chunk (:meth:`add`) to a temporary file, then :meth:`finish` copies
    them into memory and builds the index: an open-addressing table with one slot per distinct key
    hash ``(hash, a, b, kind)``: kind 1, the key of one household, whose record is ``buf[a:b]``;
    kind 2, of several, whose records are listed in ``spans[a:b]``. A key is found with one or two
    reads of the table and one of the buffer; this machine-independent layout matters because random
    reads over hundreds of MB dominate the cost at a city's scale.

    :meth:`candidates` gives what :meth:`kikan_std.reconcile.match.BlockIndex.candidates` gives for
    the same list: the households sharing a blocking key of not more than
    :data:`~kikan_std.reconcile.match.MAX_BLOCK` households. Every household found under a hash is
    checked against the key's values, so a hash collision never adds a candidate.
    """

    def __init__(self) -> None:
        self._file: IO[bytes] | None = tempfile.TemporaryFile(prefix="kikan-std-")  # noqa: SIM115
        self._size = 0
        self.records = array("q")
        self._pending: list[int] = []  # (hash + 2**63) << 64 | record offset << 24 | record length
        self._maps: list[mmap.mmap | bytearray] = []
        self._buf: memoryview = memoryview(b"")
        self._table: memoryview = memoryview(array("q", [0, 0, 0, 0]))
        self._spans: memoryview = memoryview(array("q"))
        self._mask = 0
        self._oversized: set[str] = set()

    def __len__(self) -> int:
        return len(self.records)

    def add(self, encoded: Encoded) -> None:
        """Append a chunk made by :func:`encode_beneficiaries`."""
        data, records, lengths, hashes, positions = encoded
        assert self._file is not None
        self._file.write(data)
        starts: list[int] = []
        off = self._size
        for n in lengths:
            starts.append((off << 24) | n)
            off += n
        self._size = off
        self.records.extend(records)
        pending = self._pending
        for h, p in zip(hashes, positions, strict=True):
            pending.append(((h + _TOP) << 64) | starts[p])

    def finish(self) -> None:
        """Copy the households into memory, build the index, find the keys of more than MAX_BLOCK households."""
        assert self._file is not None
        buf = _zeroed(self._size)
        self._file.seek(0)
        pos = 0
        while chunk := self._file.read(1 << 24):
            buf[pos : pos + len(chunk)] = chunk
            pos += len(chunk)
        self._file.close()
        self._file = None
        self._maps.append(buf)
        self._buf = memoryview(buf)
        pending = self._pending
        self._pending = []
        pending.sort()
        n = len(pending)
        distinct = sum(1 for i in range(n) if i == 0 or pending[i] >> 64 != pending[i - 1] >> 64)
        size = 1 << max(3, (distinct * 3 // 2).bit_length())
        table_map = _zeroed(32 * size)
        self._maps.append(table_map)
        table = self._table = memoryview(table_map).cast("q")
        mask = self._mask = size - 1
        spans = array("q")
        i = 0
        while i < n:
            top = pending[i] >> 64
            j = i + 1
            while j < n and pending[j] >> 64 == top:
                j += 1
            h = top - _TOP
            slot = h & mask
            while table[4 * slot + 3]:
                slot = (slot + 1) & mask
            t = 4 * slot
            table[t] = h
            if j - i == 1:
                low = pending[i] & 0xFFFFFFFFFFFFFFFF
                table[t + 1], table[t + 2], table[t + 3] = low >> 24, (low >> 24) + (low & 0xFFFFFF), 1
            else:
                table[t + 1], table[t + 2], table[t + 3] = len(spans) // 2, len(spans) // 2 + j - i, 2
                for x in pending[i:j]:
                    low = x & 0xFFFFFFFFFFFFFFFF
                    spans.append(low >> 24)
                    spans.append((low >> 24) + (low & 0xFFFFFF))
                if j - i > MAX_BLOCK:
                    self._find_oversized(h, spans[len(spans) - 2 * (j - i) :])
            i = j
        del pending
        spans_map = _zeroed(8 * len(spans))
        spans_map[: 8 * len(spans)] = spans.tobytes()
        self._maps.append(spans_map)
        self._spans = memoryview(spans_map).cast("q")

    def _find_oversized(self, h: int, spans: array[int]) -> None:
        """The keys of more than MAX_BLOCK households among ``spans`` listed under hash ``h`` (usually one key)."""
        counts: dict[str, int] = {}
        for k in range(0, len(spans), 2):
            for _kind, key in _keys(self._household(self._decode(spans[k], spans[k + 1]))):
                if hash(key) == h:
                    counts[key] = counts.get(key, 0) + 1
        self._oversized |= {key for key, c in counts.items() if c > MAX_BLOCK}

    def close(self) -> None:
        """Release the memory and the temporary file (the record numbers stay: see :attr:`records`)."""
        for v in (self._buf, self._table, self._spans):
            v.release()
        for m in self._maps:
            if isinstance(m, mmap.mmap):
                m.close()
        self._maps = []
        if self._file is not None:
            self._file.close()
            self._file = None

    def _decode(self, a: int, b: int) -> tuple[Any, ...]:
        return marshal.loads(self._buf[a:b])  # type: ignore[no-any-return]

    @staticmethod
    def _household(t: tuple[Any, ...]) -> Household:
        return Household(t[0], t[1], t[2], t[3], t[4], t[5], t[6][-1], t[7], t[8], t[9])

    def candidates(self, app: Household) -> list[Listed]:
        """Beneficiary households sharing a usable blocking key with ``app``."""
        table, mask = self._table, self._mask
        out: list[Listed] = []
        seen: set[int] = set()
        for kind, key in _keys(app):
            h = hash(key)
            slot = h & mask
            while True:
                t = 4 * slot
                used = table[t + 3]
                if not used or table[t] == h:
                    break
                slot = (slot + 1) & mask
            if not used:
                continue
            a, b = table[t + 1], table[t + 2]
            if used == 1:
                found: list[tuple[int, int]] | zip[tuple[int, int]] = [(a, b)]
            else:
                if b - a > MAX_BLOCK and key in self._oversized:
                    continue
                sp = self._spans[2 * a : 2 * b]
                found = zip(sp[::2], sp[1::2], strict=True)
            for start, end in found:
                if start in seen:
                    continue
                rec = self._decode(start, end)
                if _shares(kind, app, rec):
                    seen.add(start)
                    out.append((self._household(rec), rec[10], rec[11], rec[6], rec[12]))
        return out


# --- one application ------------------------------------------------------------------------------


def _code(f: Any) -> str:
    return f.code if isinstance(f, Finding) else f[0]


class _Masker:
    """:func:`~kikan_std.report.render.mask_value` with a bounded cache (names, dates and the two
    addresses of a pair repeat: each difference of a pair carries both values)."""

    __slots__ = ("_cache", "_details", "key")

    def __init__(self, key: bytes) -> None:
        self.key = key
        self._cache: dict[str, str] = {}
        self._details: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        m = self._cache.get(value)
        if m is None:
            if len(self._cache) >= 1 << 13:
                self._cache.clear()
            m = self._cache[value] = mask_value(value, self.key)
        return m

    def detail(self, step: str, detail: str) -> str:
        """A reason's detail masked: each ``/``-separated value (a kanji pair such as 邊→辺 is kept)."""
        if not detail or step == "kanji_variant":  # 邊→辺: single characters, not a value
            return detail
        m = self._details.get(detail)
        if m is None:
            if len(self._details) >= 1 << 12:
                self._details.clear()
            m = self._details[detail] = " / ".join(self(part) for part in detail.split(" / "))
        return m


@functools.cache
def _masker(key: bytes) -> _Masker:
    """One masker (and its caches) per key for the life of the process (workers inherit it)."""
    return _Masker(key)


RenderedFinding = tuple[str, str, int | None, str | None, str | None, str, str | None]
"""(code, severity, record, item, value, message, bank candidates) of a finding as written."""


def render_finding(f: Finding, mask: _Masker | None) -> RenderedFinding:
    """A finding as the outputs show it: value and string parameters masked when personal."""
    from kikan_std.reconcile.catalogue import entry

    value, params = f.value, f.params
    if mask is not None and f.personal:
        value = mask(value) if value else value
        params = {k: mask(v) if isinstance(v, str) and v else v for k, v in params.items()}
    message = render_message(f.code, {"item": f.item, "value": value, "record": f.record, **params})
    cands = f.params.get("candidates") if f.code in _BANK_CODES else None
    return (f.code, f.severity or entry(f.code).severity, f.record, f.item, value, message,
            None if cands is None else str(cands))


def score_one(record: int, row: list[str], cmap: ColumnMap, store: BeneficiaryStore, st: Settings) -> Outcome:
    """Decide one application (see :mod:`kikan_std.reconcile.match` for the rules).

    Returns:
        ``(record, kind, findings, data)``; ``findings`` sorted by code; ``data`` by kind:
        MATCHED a :class:`Match`; AMBIGUOUS ``(applicant, candidates)``; REVIEW ``(applicant, reasons, candidates)``;
        UNMATCHED ``applicant``. An applicant is (name, address, birth date) as written, a candidate
        ``(beneficiary, No, confidence, reasons)``. The account-holder finding (RCN005) counts only
        when this application is the one kept for the household (decided by :class:`Collector`).
    """
    app_file = st.app_file
    app, app_stages = make_household_staged(
        record, cmap.get(row, "世帯主氏名"), cmap.get(row, "住所"), cmap.get(row, "生年月日"), cmap.members(row)
    )
    findings: list[Finding] = []
    if not app.dob and app.dob_raw:
        findings.append(Finding("RCN009", file=app_file, record=record, item="生年月日", value=app.dob_raw))
    account, fs = check_account(
        record,
        bank_name=cmap.get(row, "銀行名"),
        branch_name=cmap.get(row, "支店名"),
        account_type=cmap.get(row, "口座区分"),
        account_number=cmap.get(row, "口座番号"),
        account_name=cmap.get(row, "口座名義（カナ）"),
        bank_code=cmap.get(row, "銀行コード"),
        branch_code=cmap.get(row, "支店コード"),
        file=app_file,
    )
    findings.extend(fs)
    findings.sort(key=_code)
    threshold = st.threshold
    # Verdicts first, scores only where they can matter: when a candidate is safe to pay, the others
    # take no part in the outcome (they are neither matched nor listed), so they need no score.
    app_tokens = address_tokens(app.address)
    judged = [(verdict_of(app, ben, (app_tokens, ben_tokens)), ben, no, kana, ben_stages)
              for ben, no, kana, ben_stages, ben_tokens in store.candidates(app)]
    scored: list[tuple[float, Verdict, Household, str | None, str, tuple[str, ...]]] = [
        (score_of(app, ben, v.address), v, ben, no, kana, ben_stages)
        for v, ben, no, kana, ben_stages in judged if v.level
    ]
    safe = [t for t in scored if t[0] >= threshold]
    if not safe:
        scored += [(score_of(app, ben, v.address), v, ben, no, kana, ben_stages)
                   for v, ben, no, kana, ben_stages in judged if not v.level]
    scored.sort(key=lambda t: (-t[1].level, -t[0], t[2].record))
    safe.sort(key=lambda t: (-t[1].level, -t[0], t[2].record))
    mask = _masker(st.mask_key) if st.stream and st.mask_key is not None else None
    out_findings: list[Any] = [render_finding(f, mask) for f in findings] if st.stream else findings
    if safe:
        top = [t for t in safe if t[1].level == safe[0][1].level]
        if len(top) > 1:
            cands = [(b.record, no, s_, v.reasons) for s_, v, b, no, _k, _st in top]
            return record, AMBIGUOUS, out_findings, (_applicant(app, mask), cands)
        best_score, best_v, best, best_no, best_kana, best_stages = safe[0]
        reasons, members = explain(app, best, app_stages, best_stages, best_v.address)
        persons = 1 + members.found
        holder = check_account_holder(
            record, cmap.get(row, "口座名義（カナ）"), best_kana or cmap.get(row, "世帯主氏名（カナ）"), file=app_file
        )
        rs = [(r.field, r.step, r.detail) for r in reasons]
        missing, added = members.missing, members.added
        held: Any = holder
        if st.stream:
            if mask is not None:
                rs = [(f_, s_, mask.detail(s_, d)) for f_, s_, d in rs]
                missing, added = [mask(x) for x in missing], [mask(x) for x in added]
            held = None if holder is None else render_finding(holder, mask)
        data = Match(best.record, best_no, best_score, rs, persons, persons * st.amount_per_person, missing, added,
                     account, held)
        return record, MATCHED, out_findings, data
    listed = sorted(
        (t for t in scored if t[0] >= threshold or t[1].level or ADDRESS_ONLY.issuperset(t[1].reasons)),
        key=lambda t: (-t[0], t[2].record),
    )[:MAX_REVIEW_CANDIDATES]
    if listed:
        why = listed[0][1].reasons or ("low_confidence",)
        cands = [(b.record, no, s_, v.reasons) for s_, v, b, no, _k, _st in listed]
        return record, REVIEW, out_findings, (_applicant(app, mask), why, cands)
    return record, UNMATCHED, out_findings, _applicant(app, mask)


def _applicant(app: Household, mask: _Masker | None) -> tuple[str, str, str]:
    if mask is None:
        return app.head_raw, app.address_raw, app.dob_raw
    return (mask(app.head_raw) if app.head_raw else "", mask(app.address_raw) if app.address_raw else "",
            mask(app.dob_raw) if app.dob_raw else "")


def reason_text(reasons: Iterable[str]) -> str:
    """The Japanese labels of review reasons, joined with 、."""
    return "、".join(REVIEW_LABELS[r] for r in reasons)


Renderer = Callable[[Outcome, Settings], Any]
"""Turns an outcome into what a streamed writer needs from the worker (see :mod:`.stream`)."""

_STATE: tuple[BeneficiaryStore, Settings, Renderer | None] | None = None
"""The beneficiary store, settings and renderer of the run, inherited by forked workers (never pickled)."""


def score_chunk(task: tuple[list[Row], ColumnMap]) -> list[Any]:
    """Score a chunk of application rows against the store of the run (worker side).

    With a renderer (the JSON and CSV writers), each outcome is turned into its text here, in the
    worker, so the parent only puts the pieces in order.
    """
    assert _STATE is not None
    store, st, render = _STATE
    rows, cmap = task
    out = [score_one(record, row, cmap, store, st) for record, row in rows]
    return out if render is None else [render(o, st) for o in out]


def set_state(store: BeneficiaryStore | None, st: Settings | None, render: Renderer | None = None) -> None:
    """Make ``store``, ``st`` and ``render`` the run's state for :func:`score_chunk` (None clears it)."""
    global _STATE
    _STATE = None if store is None or st is None else (store, st, render)


# --- ordered work in forked processes -------------------------------------------------------------


def can_fork() -> bool:
    """Whether worker processes can inherit the store (``fork``: Linux, not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


T = TypeVar("T")
R = TypeVar("R")
Rows = Iterable[tuple[int, list[str], ColumnMap]]


def chunks(rows: Rows, counter: list[int], keep: Callable[[int], bool] | None = None
           ) -> Iterator[tuple[list[Row], ColumnMap]]:
    """Group ``iter_rows`` output into tasks of :data:`CHUNK` rows; ``counter[0]`` counts the rows.

    ``keep(i)`` False: the ``i``-th chunk (0-based) is skipped (its rows are counted, not kept).
    """
    buf: list[Row] = []
    n = 0
    index = 0
    kept = keep is None or keep(0)
    cmap: ColumnMap | None = None
    for record, row, cm in rows:
        n += 1
        cmap = cm
        if kept:
            buf.append((record, row))
        if n % CHUNK == 0:
            counter[0] = n
            if kept:
                yield buf, cm
                buf = []
            index += 1
            kept = keep is None or keep(index)
    counter[0] = n
    if buf and cmap is not None:
        yield buf, cmap


@dataclass(frozen=True, slots=True)
class _Done:
    rows: int


@dataclass(frozen=True, slots=True)
class _Failed:
    error: BaseException


def _worker(conn: Any, w: int, jobs: int, make_rows: Callable[[], Rows], fn: Callable[[Any], Any]) -> None:
    """Worker ``w`` of ``jobs``: reads the input itself and sends ``fn`` of its chunks (every ``jobs``-th)."""
    gc.disable()  # many small acyclic objects; nothing to collect
    try:
        counter = [0]
        for task in chunks(make_rows(), counter, lambda i: i % jobs == w):
            conn.send(fn(task))
        conn.send(_Done(counter[0]))
    except BaseException as e:  # the parent raises it
        try:
            conn.send(_Failed(e))
        except Exception:  # an error that cannot be pickled: say what it was
            conn.send(_Failed(RuntimeError(f"{type(e).__name__}: {e}")))
    finally:
        conn.close()


def _receive(conn: Any) -> Any:
    try:
        return conn.recv()
    except EOFError:
        raise RuntimeError("a worker process ended without a result (killed, or out of memory?)") from None


def run_chunks(make_rows: Callable[[], Rows], fn: Callable[[tuple[list[Row], ColumnMap]], R], jobs: int,
               counter: list[int], after_fork: Callable[[], None] | None = None) -> Iterator[R]:
    """``fn`` of each chunk of the rows ``make_rows()`` gives, in order; ``counter[0]`` ends as the row count.

    With ``jobs`` 1, or without ``fork``, here, one chunk after the other. Otherwise ``jobs`` forked
    workers each read the input themselves (nothing is sent to them) and process every ``jobs``-th
    chunk; the caller takes their results in chunk order from one pipe per worker. A pipe holds
    little, so a worker ahead of the caller waits: the memory stays bounded whatever the input size,
    and the caller's work on one chunk overlaps the workers' on the next ones. The workers inherit
    the module state at the time of the call (see :func:`set_state`). An error in a worker (an
    unreadable row …) is raised here. ``after_fork`` is called here once the workers have started
    (only then), e.g. to let go of what only the workers use.
    """
    if jobs <= 1 or not can_fork():
        yield from (fn(task) for task in chunks(make_rows(), counter))
        return
    ctx = multiprocessing.get_context("fork")
    conns: list[Any] = []
    procs: list[Any] = []
    gc.freeze()  # keep the inherited objects out of the workers' collections (fewer page copies)
    try:
        for w in range(jobs):
            receive, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_worker, args=(send, w, jobs, make_rows, fn), daemon=True)
            proc.start()
            send.close()
            conns.append(receive)
            procs.append(proc)
        if after_fork is not None:
            after_fork()
        i = 0
        while True:
            msg = _receive(conns[i % jobs])
            if isinstance(msg, _Failed):
                raise msg.error
            if isinstance(msg, _Done):
                counter[0] = msg.rows
                break
            yield msg
            i += 1
        for k in range(1, jobs):  # the others have no further chunk: each says it is done
            msg = _receive(conns[(i + k) % jobs])
            if isinstance(msg, _Failed):
                raise msg.error
    finally:
        gc.unfreeze()
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # only when stopped early (an error): the workers have finished otherwise
            proc.join()
        for c in conns:
            c.close()


# --- decisions over the whole run -----------------------------------------------------------------


class Sink(Protocol):
    """Receives the outcomes in record order, with the run-wide decisions taken (see :class:`Collector`)."""

    def matched(self, record: int, data: Any, findings: list[Any]) -> None:
        """An application matched and kept (the first one for its household)."""

    def duplicate(self, record: int, data: Any, kept: int, findings: list[Any]) -> None:
        """An application matched to a household already matched by the earlier application ``kept``."""

    def ambiguous(self, record: int, data: Any, findings: list[Any]) -> None:
        """Several candidates would each be safe to pay."""

    def review(self, record: int, data: Any, findings: list[Any]) -> None:
        """Candidates, none safe to pay."""

    def unmatched(self, record: int, data: Any, findings: list[Any]) -> None:
        """No candidate."""


@dataclass(slots=True)
class Collector:
    """Takes outcomes in record order: keeps the first match of each household, counts, groups.

    Attributes:
        sink: Where each decided application goes.
        transfer: Called with each transfer record (matched, kept, usable account, amount > 0).
        kept: For each beneficiary record, the application kept for it (0: none yet).
        duplicates: Beneficiary record → the applications matched to it, when more than one.
        unresolved: (code, bank/branch value) → [candidates, applications] of unresolved bank names.
    """

    sink: Sink
    beneficiaries: BeneficiaryStore
    transfer: Callable[[TransferRecord], None] | None = None
    kept: array[int] = field(default_factory=lambda: array("q"))
    duplicates: dict[int, list[int]] = field(default_factory=dict)
    unresolved: dict[tuple[str, str], tuple[str, list[int]]] = field(default_factory=dict)
    finding_counts: dict[str, int] = field(default_factory=dict)
    n_matched: int = 0
    n_ambiguous: int = 0
    n_review: int = 0
    n_unmatched: int = 0
    n_member_differences: int = 0
    persons: int = 0
    amount: int = 0
    transferable: int = 0
    transferable_amount: int = 0

    def __post_init__(self) -> None:
        top = max(self.beneficiaries.records, default=0)
        self.kept = array("q", bytes(8 * (top + 1)))

    def add(self, outcome: Outcome) -> None:
        """Decide one application (outcomes must come in record order)."""
        record, kind, findings, data = outcome
        sink = self.sink
        if kind == MATCHED:
            ben = data.beneficiary
            kept = self.kept[ben]
            if kept:
                self.duplicates.setdefault(ben, [kept]).append(record)
                sink.duplicate(record, data, kept, findings)
            else:
                self.kept[ben] = record
                if data.holder is not None:  # the account-holder finding counts for the kept application
                    findings = sorted([*findings, data.holder], key=_code)
                self.n_matched += 1
                self.persons += data.persons
                self.amount += data.amount
                if data.missing or data.added:
                    self.n_member_differences += 1
                if data.account.usable and data.amount > 0:
                    self._pay(record, ben, data.no, data.amount, data.account)
                sink.matched(record, data, findings)
        elif kind == AMBIGUOUS:
            self.n_ambiguous += 1
            sink.ambiguous(record, data, findings)
        elif kind == REVIEW:
            self.n_review += 1
            sink.review(record, data, findings)
        else:
            self.n_unmatched += 1
            sink.unmatched(record, data, findings)
        counts = self.finding_counts
        for f in findings:
            if isinstance(f, Finding):
                code, value, cands = f.code, f.value, f.params.get("candidates", "")
            else:
                code, value, cands = f[0], f[4], f[6]
            counts[code] = counts.get(code, 0) + 1
            if code in _BANK_CODES:
                self._unresolved(code, value, cands, record)

    def add_rendered(self, o: Any) -> None:
        """:meth:`add` for an outcome rendered in the worker (see :func:`kikan_std.reconcile.stream.render_json`):
        ``(record, kind, finding codes, unresolved banks, meta, texts)``, with meta a :class:`MatchMeta`
        for MATCHED."""
        record, kind, codes, banks, meta, texts = o
        sink: Any = self.sink
        counts = self.finding_counts
        if kind == MATCHED:
            ben = meta.beneficiary
            kept = self.kept[ben]
            if kept:
                self.duplicates.setdefault(ben, [kept]).append(record)
                sink.duplicate_rendered(record, meta, texts, kept)
            else:
                self.kept[ben] = record
                self.n_matched += 1
                self.persons += meta.persons
                self.amount += meta.amount
                if meta.member_differences:
                    self.n_member_differences += 1
                if meta.holder_code is not None:
                    counts[meta.holder_code] = counts.get(meta.holder_code, 0) + 1
                if meta.usable and meta.amount > 0:
                    self._pay(record, ben, meta.no, meta.amount, meta.account)
                sink.matched_rendered(record, meta, texts)
        else:
            if kind == AMBIGUOUS:
                self.n_ambiguous += 1
            elif kind == REVIEW:
                self.n_review += 1
            else:
                self.n_unmatched += 1
            sink.other_rendered(kind, record, texts)
        for code in codes:
            counts[code] = counts.get(code, 0) + 1
        for code, value, cands in banks:
            self._unresolved(code, value, cands, record)

    def _pay(self, record: int, ben: int, no: str | None, amount: int, account: Account | None) -> None:
        """Count a payable kept application; hand its transfer record on (``account`` None: not carried)."""
        self.transferable += 1
        self.transferable_amount += amount
        if self.transfer is not None and account is not None:
            self.transfer(TransferRecord(
                bank_code=account.bank_code,
                branch_code=account.branch_code,
                account_type=account.account_type,
                account_number=account.account_number,
                name=account.name,
                amount=amount,
                bank_name=account.bank_name,
                branch_name=account.branch_name,
                customer_code1=str(record),
                customer_code2=str(no or ben)[:10],
            ))

    def _unresolved(self, code: str, value: str | None, cands: Any, record: int) -> None:
        """Add ``record`` to the group of its unresolved bank or branch name."""
        g = self.unresolved.get((code, value or ""))
        if g is None:
            g = self.unresolved[(code, value or "")] = (str(cands or ""), [])
        g[1].append(record)

    def unmatched_beneficiaries(self) -> Iterator[int]:
        """Records of the listed households no application was matched to, in file order."""
        kept = self.kept
        return (r for r in self.beneficiaries.records if not kept[r])

    def sorted_duplicates(self) -> list[tuple[int, list[int]]]:
        """(beneficiary, applications) of each duplicated household, ordered by the kept application."""
        return sorted(self.duplicates.items(), key=lambda t: t[1][0])

    def unresolved_groups(self) -> list[tuple[str, str, str, str, str, list[int]]]:
        """(bank name, branch name, code, reason, candidates, applications), most applications first."""
        out = []
        for (code, value), (cands, apps) in self.unresolved.items():
            bank, _, branch = value.partition("/")
            out.append((bank, branch, code, _BANK_CODES[code], cands, apps))
        return sorted(out, key=lambda g: (-len(g[5]), g[2], g[0], g[1]))
