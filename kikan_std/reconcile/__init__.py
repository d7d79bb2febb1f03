"""突合: match benefit applications to the 住民基本台帳-derived beneficiary list.

>>> result = reconcile("applications.csv", "beneficiaries.csv")   # doctest: +SKIP
>>> result.model_dump()["matched"][0]                              # doctest: +SKIP
{'application': 1, 'beneficiary': 42, 'confidence': 0.99, 'differences': ['世帯主氏名: 異体字 邊→辺'], ...}

See ``docs/reconcile.md`` for the normalisation steps, the output contract and the limits.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import sys
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, PrivateAttr

from kikan_std._version import __version__
from kikan_std.errors import ReconcileInputError
from kikan_std.findings import Finding
from kikan_std.jp.zengin import TransferRecord
from kikan_std.reconcile._io import APPLICATION_FIELDS, BENEFICIARY_FIELDS, Source, iter_rows
from kikan_std.reconcile.accounts import Account, check_account, check_account_holder
from kikan_std.reconcile.banks import table_info
from kikan_std.reconcile.catalogue import entry as catalogue_entry
from kikan_std.reconcile.match import (
    DEFAULT_THRESHOLD,
    REVIEW_LABELS,
    BlockIndex,
    Household,
    Verdict,
    explain,
    make_household,
    score,
    verdict,
)

_ADDRESS_ONLY = frozenset({"number_differs", "number_missing", "place_differs", "building_differs", "address_missing"})
"""Review reasons of a candidate that differs only in the address (a namesake is listed for review)."""

MAX_REVIEW_CANDIDATES = 3
"""Candidates listed per review item (best first)."""

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
    "reconcile",
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


_BANK_CODES = {"RCN011": "unknown", "RCN012": "ambiguous", "RCN013": "unknown", "RCN014": "ambiguous"}


def _unresolved(findings: list[Finding]) -> list[UnresolvedBank]:
    """Bank/branch names that could not be resolved, grouped, with their applications."""
    groups: dict[tuple[str, str], UnresolvedBank] = {}
    for f in findings:
        if f.code not in _BANK_CODES or f.record is None:
            continue
        bank, _, branch = (f.value or "").partition("/")
        g = groups.get((f.code, f.value or ""))
        if g is None:
            g = groups[(f.code, f.value or "")] = UnresolvedBank.model_construct(
                bank_name=bank,
                branch_name=branch,
                code=f.code,
                reason=_BANK_CODES[f.code],
                candidates=str(f.params.get("candidates", "")),
                applications=[],
            )
        g.applications.append(f.record)
    return sorted(groups.values(), key=lambda g: (-len(g.applications), g.code, g.bank_name, g.branch_name))


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
    """Match applications to the beneficiary list.

    Args:
        applications: Applications CSV path, or header-keyed rows.
        beneficiaries: Beneficiary-list CSV path, or header-keyed rows.
        encoding: ``"auto"`` (UTF-8 with/without BOM, else cp932) or a codec name.
        amount_per_person: Amount paid per person applied for and found.
        mapping: Column names: ``{"世帯主氏名": "申請者名", ...}`` for both files, or
            ``{"applications": {...}, "beneficiaries": {...}}``.
        threshold: Minimum confidence of a match.
        jobs: Processes that score the applications (a file path only, where ``fork`` exists):
            the beneficiary list is indexed once and shared; the result is the same for any
            value, so it is not recorded in the audit options.

    Raises:
        ReconcileInputError: an input cannot be read or lacks a required column.
    """
    # The result holds millions of small acyclic objects; the cyclic GC would rescan them again and
    # again (quadratic-looking slowdown at 10^6 rows), so it is paused for the duration.
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        result = _reconcile(applications, beneficiaries, encoding, amount_per_person, mapping, threshold,
                            jobs)
    finally:
        if gc_enabled:
            gc.enable()
    result.audit = Audit(
        version=__version__,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        inputs=[
            _input_record("applications", applications, result.summary.applications),
            _input_record("beneficiaries", beneficiaries, result.summary.beneficiaries),
        ],
        options={
            "encoding": encoding,
            "amount_per_person": amount_per_person,
            "mapping": dict(mapping) if mapping else None,
            "threshold": threshold,
        },
        bank_table=table_info(),
    )
    return result


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
class _Part:
    """What scoring a set of applications produced (one worker's share, or all of them)."""

    n_apps: int = 0
    matched: list[Matched] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    review: list[Review] = field(default_factory=list)
    unmatched: list[Applicant] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    accounts: dict[int, Account] = field(default_factory=dict)
    holder_checks: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Beneficiaries:
    """The normalised, indexed beneficiary list and the columns the outputs need."""

    index: BlockIndex
    no: dict[int, str]
    kana: dict[int, str]


def _load_beneficiaries(beneficiaries: Source, encoding: str, mapping: Mapping[str, Any] | None) -> _Beneficiaries:
    ben = _Beneficiaries(BlockIndex(), {}, {})
    for record, row, cmap in iter_rows(
        beneficiaries, BENEFICIARY_FIELDS, _mapping_for(mapping, "beneficiaries"), encoding, "給付対象者名簿"
    ):
        h = make_household(
            record,
            cmap.get(row, "世帯主氏名"),
            cmap.get(row, "住所"),
            cmap.get(row, "生年月日"),
            cmap.members(row),
        )
        ben.index.add(h)
        no = cmap.get(row, "No")
        if no:
            ben.no[record] = no
        kana = cmap.get(row, "世帯主氏名（カナ）")
        if kana:
            ben.kana[record] = kana
    return ben


def _score_applications(
    applications: Source,
    ben: _Beneficiaries,
    encoding: str,
    amount_per_person: int,
    mapping: Mapping[str, Any] | None,
    threshold: float,
    share: tuple[int, int] = (0, 1),
) -> _Part:
    """Score the applications whose ``(record - 1) % share[1] == share[0]`` (all of them by default)."""
    app_file = _name(applications)
    index, ben_no, ben_kana = ben.index, ben.no, ben.kana
    worker, workers = share
    part = _Part()
    findings = part.findings
    for record, row, cmap in iter_rows(
        applications, APPLICATION_FIELDS, _mapping_for(mapping, "applications"), encoding, "申請データ"
    ):
        part.n_apps += 1
        if workers > 1 and (record - 1) % workers != worker:
            continue
        app = make_household(
            record,
            cmap.get(row, "世帯主氏名"),
            cmap.get(row, "住所"),
            cmap.get(row, "生年月日"),
            cmap.members(row),
        )
        if not app.dob and app.dob_raw:
            findings.append(
                Finding("RCN009", file=app_file, record=record, item="生年月日", value=app.dob_raw)
            )
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
        scored = sorted(
            ((score(app, b), verdict(app, b), b) for b in index.candidates(app)),
            key=lambda t: (-t[1].level, -t[0], t[2].record),
        )
        safe = [t for t in scored if t[1].level and t[0] >= threshold]
        if safe:
            top = [t for t in safe if t[1].level == safe[0][1].level]
            if len(top) > 1:
                part.ambiguous.append(
                    _build(Ambiguous,
                        application=record,
                        applicant=_applicant(app),
                        candidates=[_candidate(s_, v, b, ben_no) for s_, v, b in top],
                    )
                )
                continue
        else:
            listed = sorted(
                (t for t in scored if t[0] >= threshold or t[1].level or _ADDRESS_ONLY.issuperset(t[1].reasons)),
                key=lambda t: (-t[0], t[2].record),
            )[:MAX_REVIEW_CANDIDATES]
            if listed:
                why = listed[0][1].reasons or ("low_confidence",)
                part.review.append(
                    _build(Review,
                        application=record,
                        applicant=_applicant(app),
                        reasons=list(why),
                        reason_text="、".join(REVIEW_LABELS[r] for r in why),
                        candidates=[_candidate(s_, v, b, ben_no) for s_, v, b in listed],
                    )
                )
            else:
                part.unmatched.append(_applicant(app))
            continue
        best_score, _verdict, best = safe[0]
        part.matched.append(_matched(app, best, best_score, amount_per_person, ben_no))
        part.accounts[record] = account
        kana = ben_kana.get(best.record) or cmap.get(row, "世帯主氏名（カナ）")
        part.holder_checks[record] = (cmap.get(row, "口座名義（カナ）"), kana)
    return part


def _can_fork() -> bool:
    """Whether worker processes can inherit the index (``fork``: Linux, not Windows)."""
    return "fork" in multiprocessing.get_all_start_methods()


_SHARED: tuple[Any, ...] = ()
"""The arguments of :func:`_score_applications` for forked workers (inherited, not pickled)."""


def _score_share(share: tuple[int, int]) -> _Part:
    """Worker: score one share of the applications against the inherited beneficiary index."""
    gc.disable()  # as in reconcile(): the worker builds many small acyclic objects
    applications, ben, encoding, amount_per_person, mapping, threshold = _SHARED
    return _score_applications(applications, ben, encoding, amount_per_person, mapping, threshold, share)


def _score_parallel(args: tuple[Any, ...], jobs: int) -> _Part:
    """Score the applications in ``jobs`` forked processes and merge their parts in record order.

    Each worker reads the applications file and scores every ``jobs``-th record; the beneficiary
    index is built once, before the fork, and shared copy-on-write. The merged part equals the
    serial one: each list is put back in record order and an application's findings stay together
    in the order they were produced.
    """
    global _SHARED

    _SHARED = args
    try:
        gc.freeze()  # keep the inherited objects out of the workers' collections (fewer page copies)
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_score_share, [(w, jobs) for w in range(jobs)])
    finally:
        _SHARED = ()
        gc.unfreeze()
    out = _Part(n_apps=parts[0].n_apps)
    for p in parts:
        out.matched += p.matched
        out.ambiguous += p.ambiguous
        out.review += p.review
        out.unmatched += p.unmatched
        out.findings += p.findings
        out.accounts.update(p.accounts)
        out.holder_checks.update(p.holder_checks)
    out.matched.sort(key=lambda m: m.application)
    out.ambiguous.sort(key=lambda a: a.application)
    out.review.sort(key=lambda r: r.application)
    out.unmatched.sort(key=lambda a: a.application)
    out.findings.sort(key=lambda f: f.record or 0)
    return out


def _reconcile(
    applications: Source,
    beneficiaries: Source,
    encoding: str,
    amount_per_person: int,
    mapping: Mapping[str, Any] | None,
    threshold: float,
    jobs: int = 1,
) -> ReconcileResult:
    app_file = _name(applications)
    ben = _load_beneficiaries(beneficiaries, encoding, mapping)
    args = (applications, ben, encoding, amount_per_person, mapping, threshold)
    if jobs > 1 and isinstance(applications, str | os.PathLike) and _can_fork():
        part = _score_parallel(args, jobs)
    else:
        part = _score_applications(*args)
    by_record = {h.record: h for h in ben.index.households}
    matched_by_ben: dict[int, list[Matched]] = {}
    for m in part.matched:
        matched_by_ben.setdefault(m.beneficiary, []).append(m)
    n_apps, ambiguous, review, unmatched_apps = part.n_apps, part.ambiguous, part.review, part.unmatched
    findings, accounts, holder_checks = part.findings, part.accounts, part.holder_checks
    del part

    matched: list[Matched] = []
    duplicates: list[Duplicate] = []
    for ben_record, ms in matched_by_ben.items():
        ms.sort(key=lambda m: m.application)
        matched.append(ms[0])
        if len(ms) > 1:
            duplicates.append(
                _build(Duplicate,
                    beneficiary=ben_record, applications=[m.application for m in ms], kept=ms[0].application
                )
            )
    matched.sort(key=lambda m: m.application)
    duplicates.sort(key=lambda d: d.kept)
    for m in matched:
        acct_name, kana = holder_checks[m.application]
        f = check_account_holder(m.application, acct_name, kana, file=app_file)
        if f is not None:
            findings.append(f)
    findings.sort(key=lambda f: (f.record or 0, f.code))

    transfers: list[TransferRecord] = []
    for m in matched:
        a = accounts[m.application]
        if a.usable and m.amount > 0:
            transfers.append(
                TransferRecord(
                    bank_code=a.bank_code,
                    branch_code=a.branch_code,
                    account_type=a.account_type,
                    account_number=a.account_number,
                    name=a.name,
                    amount=m.amount,
                    bank_name=a.bank_name,
                    branch_name=a.branch_name,
                    customer_code1=str(m.application),
                    customer_code2=str(m.beneficiary_no or m.beneficiary)[:10],
                )
            )
    unmatched_bens = sorted(set(by_record) - set(matched_by_ben))
    member_diffs = [
        _build(MemberDifference,
            application=m.application,
            beneficiary=m.beneficiary,
            missing=m.members_missing,
            added=m.members_added,
        )
        for m in matched
        if m.members_missing or m.members_added
    ]
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    summary = Summary(
        applications=n_apps,
        beneficiaries=len(by_record),
        matched=len(matched),
        ambiguous=len(ambiguous),
        review=len(review),
        unmatched_applications=len(unmatched_apps),
        unmatched_beneficiaries=len(unmatched_bens),
        duplicates=len(duplicates),
        member_differences=len(member_diffs),
        persons=sum(m.persons for m in matched),
        amount=sum(m.amount for m in matched),
        amount_per_person=amount_per_person,
        transferable=len(transfers),
        transferable_amount=sum(t.amount for t in transfers),
        findings=dict(sorted(counts.items())),
    )
    result = ReconcileResult.model_construct(
        matched=matched,
        ambiguous=ambiguous,
        review=review,
        unresolved_banks=_unresolved(findings),
        unmatched_applications=unmatched_apps,
        unmatched_beneficiaries=unmatched_bens,
        duplicates=duplicates,
        member_differences=member_diffs,
        summary=summary,
        findings=[_render(f) for f in findings],
    )
    result._transfers = transfers
    result._raw_findings = findings
    return result


def _applicant(app: Household) -> Applicant:
    return _build(Applicant, application=app.record, name=app.head_raw, address=app.address_raw,
                  birth_date=app.dob_raw)


def _candidate(conf: float, v: Verdict, ben: Household, ben_no: dict[int, str]) -> Candidate:
    return _build(Candidate,
        beneficiary=ben.record,
        beneficiary_no=ben_no.get(ben.record),
        confidence=conf,
        reasons=list(v.reasons),
        reason_text="、".join(REVIEW_LABELS[r] for r in v.reasons),
    )


def _matched(app: Household, ben: Household, conf: float, per_person: int, ben_no: dict[int, str]) -> Matched:
    reasons, members = explain(app, ben)
    persons = 1 + members.found
    return _build(Matched,
        application=app.record,
        beneficiary=ben.record,
        beneficiary_no=ben_no.get(ben.record),
        confidence=conf,
        differences=[r.text() for r in reasons],
        reasons=[_build(ReasonOut, field=r.field, step=r.step, detail=r.detail) for r in reasons],
        persons=persons,
        amount=persons * per_person,
        members_missing=members.missing,
        members_added=members.added,
    )


class _CallablePackage(types.ModuleType):
    """``kikan_std.reconcile`` is this package; calling it runs :func:`reconcile` (same name)."""

    def __call__(self, *args: Any, **kwargs: Any) -> ReconcileResult:
        return reconcile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
