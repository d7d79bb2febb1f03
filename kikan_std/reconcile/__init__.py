"""突合: match benefit applications to the 住民基本台帳-derived beneficiary list.

>>> result = reconcile("applications.csv", "beneficiaries.csv")   # doctest: +SKIP
>>> result.model_dump()["matched"][0]                              # doctest: +SKIP
{'application': 1, 'beneficiary': 42, 'confidence': 0.99, 'differences': ['世帯主氏名: 異体字 邊→辺'], ...}

See ``docs/reconcile.md`` for the normalisation steps, the output contract and the limits.
"""

from __future__ import annotations

import gc
import hashlib
import os
import sys
import types
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

from kikan_std._version import __version__
from kikan_std.errors import ReconcileInputError
from kikan_std.findings import Finding
from kikan_std.jp.zengin import TransferConfig, TransferFileWriter, TransferRecord
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.reconcile._io import APPLICATION_FIELDS, BENEFICIARY_FIELDS, Source, iter_rows, load_mapping
from kikan_std.reconcile.banks import table_info
from kikan_std.reconcile.catalogue import entry as catalogue_entry
from kikan_std.reconcile.engine import (
    BeneficiaryStore,
    Collector,
    Renderer,
    Rows,
    Settings,
    encode_beneficiaries,
    reason_text,
    run_chunks,
    score_chunk,
    set_state,
)
from kikan_std.reconcile.match import DEFAULT_THRESHOLD, Reason
from kikan_std.reconcile.report import SHOWN_WARNING

__all__ = [
    "Ambiguous",
    "Applicant",
    "Audit",
    "Candidate",
    "Duplicate",
    "FindingOut",
    "InputRecord",
    "Matched",
    "MemberDifference",
    "ReasonOut",
    "ReconcileInputError",
    "ReconcileResult",
    "Review",
    "Summary",
    "UnresolvedBank",
    "load_mapping",
    "reconcile",
    "reconcile_to",
]


class ReasonOut(BaseModel):
    """A structured difference: column, step id and detail."""

    model_config = ConfigDict(frozen=True)

    field: str
    step: str
    detail: str = ""


class Matched(BaseModel):
    """A matched application/beneficiary pair."""

    application: int
    beneficiary: int
    beneficiary_no: str | None = None
    confidence: float
    differences: list[str]
    reasons: list[ReasonOut]
    persons: int
    amount: int
    members_missing: list[str] = []
    members_added: list[str] = []


class Applicant(BaseModel):
    """The key values of an application as written (personal: masked in outputs by default)."""

    application: int
    name: str
    address: str
    birth_date: str


class Candidate(BaseModel):
    """A beneficiary household an application might belong to, and why it was not paid automatically."""

    beneficiary: int
    beneficiary_no: str | None = None
    confidence: float
    reasons: list[str] = []
    reason_text: str = ""


class Ambiguous(BaseModel):
    """An application with several candidates that would each be safe to pay (review: reason ``ambiguous``)."""

    application: int
    applicant: Applicant | None = None
    candidates: list[Candidate]


class Review(BaseModel):
    """An application with candidates none of which is safe to pay; a person decides.

    ``reasons`` are the review reason ids of the best candidate (``number_differs`` …, see
    :data:`kikan_std.reconcile.match.REVIEW_LABELS`), ``reason_text`` their Japanese labels.
    """

    application: int
    applicant: Applicant
    reasons: list[str]
    reason_text: str
    candidates: list[Candidate]


class UnresolvedBank(BaseModel):
    """A bank/branch name pair that could not be resolved to codes, with the applications using it."""

    bank_name: str
    branch_name: str
    code: str
    reason: str
    candidates: str
    applications: list[int]


class InputRecord(BaseModel):
    """One input file of the run: name, SHA-256 of its bytes, data rows."""

    role: str
    file: str
    sha256: str
    bytes: int
    rows: int


class Audit(BaseModel):
    """What a payment run needs to be checked and repeated: inputs, options, tool, time.

    ``options`` are the keyword arguments of :func:`reconcile`; ``reconcile(applications,
    beneficiaries, **options)`` on files with the recorded SHA-256 gives the same result.
    """

    tool: str = "kikan-std reconcile"
    version: str
    created: str
    inputs: list[InputRecord]
    options: dict[str, Any]
    bank_table: dict[str, str] | None
    values_shown: bool = False
    mask_key: str = "default"
    warning: str | None = None
    transfer_file: dict[str, Any] | None = None


class Duplicate(BaseModel):
    """Several applications for one household; ``kept`` (the earliest record) is the one matched."""

    beneficiary: int
    applications: list[int]
    kept: int


class MemberDifference(BaseModel):
    """世帯員 differences of a matched pair."""

    application: int
    beneficiary: int
    missing: list[str]
    added: list[str]


class FindingOut(BaseModel):
    """A finding rendered for the JSON/CSV/HTML outputs."""

    code: str
    severity: str
    file: str
    record: int | None
    item: str | None
    value: str | None
    message: str


class Summary(BaseModel):
    """Counts and totals."""

    applications: int
    beneficiaries: int
    matched: int
    ambiguous: int
    review: int = 0
    unmatched_applications: int
    unmatched_beneficiaries: int
    duplicates: int
    member_differences: int
    persons: int
    amount: int
    amount_per_person: int
    transferable: int
    transferable_amount: int
    findings: dict[str, int]


class ReconcileResult(BaseModel):
    """The result of :func:`reconcile`; ``model_dump()`` is the JSON output contract."""

    matched: list[Matched]
    ambiguous: list[Ambiguous]
    unmatched_applications: list[Applicant]
    unmatched_beneficiaries: list[int]
    duplicates: list[Duplicate]
    member_differences: list[MemberDifference]
    summary: Summary
    findings: list[FindingOut]
    review: list[Review] = []
    unresolved_banks: list[UnresolvedBank] = []
    audit: Audit | None = None
    _transfers: list[TransferRecord] = PrivateAttr(default_factory=list)
    _raw_findings: list[Finding] = PrivateAttr(default_factory=list)
    _presented: bool = PrivateAttr(default=False)

    def transfer_records(self) -> list[TransferRecord]:
        """Data records for the 総合振込 file: matched, kept applications with a usable account."""
        return list(self._transfers)

    def raw_findings(self) -> list[Finding]:
        """The account findings as :class:`~kikan_std.findings.Finding` values."""
        return list(self._raw_findings)


_M = TypeVar("_M", bound=BaseModel)
_FIELDS_SET: dict[type[BaseModel], set[str]] = {}


def _build(cls: type[_M], **values: Any) -> _M:
    """``cls.model_construct(**values)`` for trusted values that give every field, with less memory.

    ``model_construct`` keeps a new set of the given field names in every object (about 200–700
    bytes, a quarter of a match's memory at 10^6 rows); here all objects of a class share one set
    holding every field, which is what ``model_construct`` computes when every field is given.
    """
    fields = _FIELDS_SET.get(cls)
    if fields is None:
        fields = _FIELDS_SET[cls] = set(cls.model_fields)
    if len(values) != len(fields):
        return cls.model_construct(**values)
    m = cls.__new__(cls)
    object.__setattr__(m, "__dict__", values)
    object.__setattr__(m, "__pydantic_fields_set__", fields)
    object.__setattr__(m, "__pydantic_extra__", None)
    object.__setattr__(m, "__pydantic_private__", None)
    return m


def _render(f: Finding) -> FindingOut:
    e = catalogue_entry(f.code)
    params = {"item": f.item, "value": f.value, "record": f.record, **f.params}
    return _build(
        FindingOut,
        code=f.code,
        severity=f.severity or e.severity,
        file=f.file,
        record=f.record,
        item=f.item,
        value=f.value,
        message=e.render("ja", params),
    )


def _mapping_for(mapping: Mapping[str, Any] | None, side: str) -> dict[str, str]:
    if not mapping:
        return {}
    if side in mapping and isinstance(mapping[side], Mapping):
        return {str(k): str(v) for k, v in mapping[side].items()}
    return {str(k): str(v) for k, v in mapping.items() if not isinstance(v, Mapping)}


def _name(source: Source) -> str:
    return os.fspath(source) if isinstance(source, str | os.PathLike) else ""


def reconcile(
    applications: Source,
    beneficiaries: Source,
    *,
    encoding: str = "auto",
    amount_per_person: int = 100_000,
    mapping: Mapping[str, Any] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    jobs: int = 1,
) -> ReconcileResult:
    """Match applications to the beneficiary list; the whole result in memory.

    For a city's data use :func:`reconcile_to`, which writes the outputs as the applications are
    scored (same content) in bounded memory; this function holds every item (several KB each).

    Args:
        applications: Applications CSV path, or header-keyed rows.
        beneficiaries: Beneficiary-list CSV path, or header-keyed rows.
        encoding: ``"auto"`` (UTF-8 with/without BOM, else cp932) or a codec name.
        amount_per_person: Amount paid per person applied for and found.
        mapping: Column names: ``{"世帯主氏名": "申請者名", ...}`` for both files, or
            ``{"applications": {...}, "beneficiaries": {...}}``.
        threshold: Minimum confidence of a match.
        jobs: Processes that normalise the list and score the applications (where ``fork``
            exists; else one): the result is the same for any value, so it is not recorded in the
            audit options.

    Raises:
        ReconcileInputError: an input cannot be read or lacks a required column.
    """
    sink = _ResultSink()
    # The result holds millions of small acyclic objects; the cyclic GC would rescan them again and
    # again (quadratic-looking slowdown at 10^6 rows), so it is paused for the duration.
    with _gc_paused():
        run = _run(applications, beneficiaries, sink, encoding=encoding, mapping=mapping, jobs=jobs,
                   settings=Settings(_name(applications), amount_per_person, threshold),
                   transfer=sink.transfers.append)
        result = sink.result(run, amount_per_person)
    result.audit = _audit(applications, beneficiaries, result.summary, encoding, amount_per_person, mapping, threshold)
    return result


def reconcile_to(
    applications: Source,
    beneficiaries: Source,
    out: TextIO,
    *,
    output_format: str = "json",
    show_values: bool = False,
    mask_key: bytes = DEFAULT_MASK_KEY,
    transfer: BinaryIO | None = None,
    transfer_config: TransferConfig | None = None,
    before_audit: Callable[[Audit, Summary], None] | None = None,
    encoding: str = "auto",
    amount_per_person: int = 100_000,
    mapping: Mapping[str, Any] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    jobs: int = 1,
) -> tuple[Summary, Audit]:
    """Match applications to the beneficiary list and write the result as it is produced.

    Writes to ``out`` exactly what :func:`~kikan_std.reconcile.report.write_json`,
    :func:`~kikan_std.reconcile.report.write_csv` or :func:`~kikan_std.reconcile.report.render_html`
    write for :func:`reconcile`'s result (masked unless ``show_values``), without holding it: each
    application is written (or, for the JSON sections after ``matched``, put in a temporary file)
    once decided, so memory does not grow with the number of applications. Only counters, the
    duplicated households, the unresolved bank names and (HTML) the first rows of each table are kept.

    Args:
        applications: Applications CSV path, or header-keyed rows.
        beneficiaries: Beneficiary-list CSV path, or header-keyed rows.
        out: Where the report goes (text; the CLI gives a ``utf-8-sig`` file for CSV).
        output_format: ``json``, ``csv`` or ``html``.
        show_values: Show personal values in clear (a warning is recorded in the output).
        mask_key: Key of the masking hashes (as ``kikan-std check``).
        transfer: Binary file the 総合振込 file is written to, record by record (with ``transfer_config``).
        transfer_config: The 依頼人 side of the transfer file.
        before_audit: Called with the audit record (already marked masked or shown) and the summary
            once every application is written and before the summary and audit are: the CLI checks
            the transfer file there and records it in ``audit.transfer_file``.
        encoding, amount_per_person, mapping, threshold, jobs: As for :func:`reconcile`.

    Returns:
        The summary and the audit record written.

    Raises:
        ReconcileInputError: an input cannot be read or lacks a required column.
        ValueError: ``output_format`` is unknown, or a transfer amount does not fit the file.
    """
    from kikan_std.reconcile.stream import RENDERERS, make_writer

    writer = make_writer(output_format, out, _name(applications))
    tfile = None
    if transfer is not None:
        if transfer_config is None:
            raise ValueError("transfer_config is required with transfer")
        tfile = TransferFileWriter(transfer, transfer_config)
    key = None if show_values else mask_key
    with _gc_paused():
        run = _run(applications, beneficiaries, writer, encoding=encoding, mapping=mapping, jobs=jobs,
                   settings=Settings(_name(applications), amount_per_person, threshold, True, key, tfile is not None),
                   transfer=None if tfile is None else tfile.write, render=RENDERERS.get(output_format))
    if tfile is not None:
        tfile.close()
    summary = _summary(run, amount_per_person)
    audit = _audit(applications, beneficiaries, summary, encoding, amount_per_person, mapping, threshold)
    audit.values_shown = show_values
    audit.mask_key = "none" if show_values else ("default" if mask_key == DEFAULT_MASK_KEY else "custom")
    audit.warning = SHOWN_WARNING if show_values else None
    if before_audit is not None:
        before_audit(audit, summary)
    writer.finish(run, summary, audit)
    return summary, audit


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _audit(
    applications: Source,
    beneficiaries: Source,
    summary: Summary,
    encoding: str,
    amount_per_person: int,
    mapping: Mapping[str, Any] | None,
    threshold: float,
) -> Audit:
    return Audit(
        version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        inputs=[
            _input_record("applications", applications, summary.applications),
            _input_record("beneficiaries", beneficiaries, summary.beneficiaries),
        ],
        options={
            "encoding": encoding,
            "amount_per_person": amount_per_person,
            "mapping": dict(mapping) if mapping else None,
            "threshold": threshold,
        },
        bank_table=table_info(),
    )


def _input_record(role: str, source: Source, rows: int) -> InputRecord:
    """Name, SHA-256 and size of an input file ("" for in-memory rows)."""
    if not isinstance(source, str | os.PathLike):
        return InputRecord(role=role, file="", sha256="", bytes=0, rows=rows)
    h = hashlib.sha256()
    size = 0
    with open(source, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return InputRecord(role=role, file=os.path.basename(os.fspath(source)), sha256=h.hexdigest(), bytes=size,
                       rows=rows)


@dataclass(slots=True)
class Run:
    """What a finished run leaves besides what its sink received: the counters and groups."""

    applications: int
    collector: Collector


def _run(
    applications: Source,
    beneficiaries: Source,
    sink: Any,
    *,
    encoding: str,
    mapping: Mapping[str, Any] | None,
    jobs: int,
    settings: Settings,
    transfer: Callable[[TransferRecord], None] | None = None,
    render: Renderer | None = None,
) -> Run:
    """Load the list into a :class:`BeneficiaryStore`, score the applications, feed ``sink`` in record order.

    ``jobs`` > 1 needs both inputs as files (each worker reads them); rows given in memory are
    processed here.
    """
    if not all(isinstance(x, str | os.PathLike) for x in (applications, beneficiaries)):
        jobs = 1
    ben_map, app_map = _mapping_for(mapping, "beneficiaries"), _mapping_for(mapping, "applications")

    def ben_rows() -> Rows:
        return iter_rows(beneficiaries, BENEFICIARY_FIELDS, ben_map, encoding, "給付対象者名簿")

    def app_rows() -> Rows:
        return iter_rows(applications, APPLICATION_FIELDS, app_map, encoding, "申請データ")

    store = BeneficiaryStore()
    try:
        for encoded in run_chunks(ben_rows, encode_beneficiaries, jobs, [0]):
            store.add(encoded)
        store.finish()
        collector = Collector(sink, store, transfer)
        counter = [0]
        set_state(store, settings, render)
        try:
            add = collector.add if render is None else collector.add_rendered
            # With workers, only they read the store: this process lets go of its copy of the pages
            # (the workers keep theirs), so the run's memory is counted once per worker, not once more.
            for outcomes in run_chunks(app_rows, score_chunk, jobs, counter, after_fork=store.close):
                for o in outcomes:
                    add(o)
        finally:
            set_state(None, None)
        return Run(counter[0], collector)
    finally:
        store.close()


def _summary(run: Run, amount_per_person: int) -> Summary:
    c = run.collector
    return Summary(
        applications=run.applications,
        beneficiaries=len(c.beneficiaries),
        matched=c.n_matched,
        ambiguous=c.n_ambiguous,
        review=c.n_review,
        unmatched_applications=c.n_unmatched,
        unmatched_beneficiaries=sum(1 for _ in c.unmatched_beneficiaries()),
        duplicates=len(c.duplicates),
        member_differences=c.n_member_differences,
        persons=c.persons,
        amount=c.amount,
        amount_per_person=amount_per_person,
        transferable=c.transferable,
        transferable_amount=c.transferable_amount,
        findings=dict(sorted(c.finding_counts.items())),
    )


class _ResultSink:
    """Builds the in-memory :class:`ReconcileResult` from the decided applications."""

    def __init__(self) -> None:
        self.matched_items: list[Matched] = []
        self.ambiguous_items: list[Ambiguous] = []
        self.review_items: list[Review] = []
        self.unmatched_items: list[Applicant] = []
        self.member_diffs: list[MemberDifference] = []
        self.findings: list[Finding] = []
        self.transfers: list[TransferRecord] = []

    def matched(self, record: int, data: Any, findings: list[Any]) -> None:
        ben, no, conf, rs, persons, amount, missing, added = data[:8]
        m = _build(Matched,
            application=record,
            beneficiary=ben,
            beneficiary_no=no,
            confidence=conf,
            differences=[Reason(f, s_, d).text() for f, s_, d in rs],
            reasons=[_build(ReasonOut, field=f, step=s_, detail=d) for f, s_, d in rs],
            persons=persons,
            amount=amount,
            members_missing=missing,
            members_added=added,
        )
        self.matched_items.append(m)
        if m.members_missing or m.members_added:
            self.member_diffs.append(_build(MemberDifference, application=record, beneficiary=m.beneficiary,
                                            missing=m.members_missing, added=m.members_added))
        self.findings += findings

    def duplicate(self, record: int, data: Any, kept: int, findings: list[Any]) -> None:
        self.findings += findings

    def ambiguous(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, cands = data
        self.ambiguous_items.append(_build(Ambiguous, application=record, applicant=_applicant(record, applicant),
                                     candidates=[_candidate(c) for c in cands]))
        self.findings += findings

    def review(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, why, cands = data
        self.review_items.append(_build(Review,
            application=record,
            applicant=_applicant(record, applicant),
            reasons=list(why),
            reason_text=reason_text(why),
            candidates=[_candidate(c) for c in cands],
        ))
        self.findings += findings

    def unmatched(self, record: int, data: Any, findings: list[Any]) -> None:
        self.unmatched_items.append(_applicant(record, data))
        self.findings += findings

    def result(self, run: Run, amount_per_person: int) -> ReconcileResult:
        c = run.collector
        result = ReconcileResult.model_construct(
            matched=self.matched_items,
            ambiguous=self.ambiguous_items,
            review=self.review_items,
            unresolved_banks=[
                UnresolvedBank.model_construct(bank_name=b, branch_name=br, code=code, reason=why, candidates=cands,
                                               applications=apps)
                for b, br, code, why, cands, apps in c.unresolved_groups()
            ],
            unmatched_applications=self.unmatched_items,
            unmatched_beneficiaries=list(c.unmatched_beneficiaries()),
            duplicates=[_build(Duplicate, beneficiary=b, applications=apps, kept=apps[0])
                        for b, apps in c.sorted_duplicates()],
            member_differences=self.member_diffs,
            summary=_summary(run, amount_per_person),
            findings=[_render(f) for f in self.findings],
        )
        result._transfers = self.transfers
        result._raw_findings = self.findings
        return result


def _applicant(record: int, a: tuple[str, str, str]) -> Applicant:
    return _build(Applicant, application=record, name=a[0], address=a[1], birth_date=a[2])


def _candidate(c: tuple[int, str | None, float, tuple[str, ...]]) -> Candidate:
    return _build(Candidate, beneficiary=c[0], beneficiary_no=c[1], confidence=c[2], reasons=list(c[3]),
                  reason_text=reason_text(c[3]))


class _CallablePackage(types.ModuleType):
    """``kikan_std.reconcile`` is this package; calling it runs :func:`reconcile` (same name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReconcileResult:
        return reconcile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
