"""The report: the one result of a run, serialised by every writer.

``Report`` is a Pydantic model, so its JSON form and JSON Schema come from one definition
(``schemas/report.schema.json`` is generated from it). Personal values are masked when the report
is built unless the caller asked to show them; the report records which.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kikan_std.catalogue import Lang
from kikan_std.options import FailOn

REPORT_VERSION = "1.4"
"""1.1 added per-finding ``status``/``fingerprint``/``waiver``, ``baseline``, ``waivers``, ``gate``,
``mask_key`` and more ``stats``; 1.2 added ``files`` (one verdict per input file, also of a whole
deliverable) and ``spec``/``rules_not_run`` of :class:`FileResult`, and fills ``gate``, ``mask_key``,
the per-file and per-status statistics, ``baseline`` and ``waivers`` for whole deliverables too.
1.3 added ``checked_against`` (what the verdict was judged against: the official spec, the
project's model, or a user-supplied workbook), ``archive`` (how a zip's member names were decoded) and
``stale`` of :class:`WaiverOut`. 1.4 added ``hint`` of :class:`FindingOut` (the shape of a damaged value,
e.g. ``excel-leading-zeros``). Every earlier field is kept with the same meaning."""

Severity = Literal["error", "warning", "info"]
Status = Literal["new", "existing", "waived"]


class _Out(BaseModel):
    """Base of the report models: in the JSON Schema every field the JSON always has is required."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class WaiverRef(_Out):
    """The waiver that accepted a finding."""

    index: int = Field(description="0-based position of the waiver in the waiver file")
    reason: str
    owner: str
    expires: str = Field(description="ISO date after which the waiver stops applying")


class FindingOut(_Out):
    """One finding as it appears in the report."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    code: str
    severity: Severity
    file: str
    record: int | None = Field(description="1-based data record number; the header is not a record")
    line: int | None = Field(description="1-based physical line where the record starts")
    item: str | None = Field(description="official Japanese item name")
    item_id: str | None
    message: str
    value: str | None = Field(description="offending value; masked for personal items unless shown")
    value_masked: bool = False
    keys: dict[str, str] = Field(default_factory=dict, description="business keys of the record")
    related: list[dict[str, int | None]] = Field(default_factory=list, description="other records involved")
    pointer: str | None = Field(default=None, description="JSON pointer (JSON input) or XPath (XML input)")
    offset: int | None = Field(default=None, description="byte offset in the input, where known")
    api_error: str | None = Field(
        default=None, description="the 住登外者宛名番号付番API error code (E0001–E0004) this finding corresponds to"
    )
    params: dict[str, Any] = Field(default_factory=dict)
    hint: str | None = Field(
        default=None,
        description="what the value's shape suggests happened to it, e.g. 'excel-leading-zeros' (a spreadsheet "
        "took it for a number); a name from the catalogue's hints, whose text ends the message; null without one",
    )
    status: Status | None = Field(
        default=None,
        description="new / existing (compared with --baseline) or waived; null when neither applies",
    )
    fingerprint: str = Field(
        default="",
        description="stable identity for baselines: code, file, item and business keys (no row number)",
    )
    waiver: WaiverRef | None = None


class SpecRef(_Out):
    """Which spec the data was checked against."""

    id: str
    edition: str
    title: str
    provenance: str


class InputInfo(_Out):
    """One input file."""

    file: str
    format: str = Field(default="csv", description="input format: csv, json, xml or fixed")
    group: str | None
    encoding: str = Field(description="the encoding read with (the detected one with --encoding auto)")
    encoding_detected: bool = False
    bom: bool
    records: int
    bytes: int
    sha256: str
    spec: str | None = Field(default=None, description="spec id of the file (whole-deliverable checks)")


class RuleNotRunOut(_Out):
    """A rule that could not run (the report cannot be valid)."""

    rule: str
    file: str
    reason: str


class Stats(_Out):
    """Counts over all findings, complete even when stored findings are capped."""

    records: dict[str, int]
    findings_by_code: dict[str, int]
    findings_by_severity: dict[str, int]
    total_findings: int
    stored_findings: int
    capped: bool
    findings_by_file: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="file -> code -> count (complete)"
    )
    findings_by_status: dict[str, int] = Field(
        default_factory=dict, description="new / existing / waived / unclassified -> count (complete)"
    )
    max_findings_per_code: int | None = Field(default=None, description="storage cap per code; null = none")
    max_findings_total: int | None = Field(default=None, description="storage cap overall; null = none")
    capped_codes: list[str] = Field(
        default_factory=list, description="codes with findings left out of `findings`"
    )


class FixedFinding(_Out):
    """A finding of the baseline that this run no longer has."""

    code: str
    severity: Severity
    file: str
    record: int | None = Field(description="record number in the baseline run")
    line: int | None = Field(description="line in the baseline run")
    item: str | None
    keys: dict[str, str] = Field(default_factory=dict)
    fingerprint: str


class BaselineSummary(_Out):
    """How this run compares with a previous report (``--baseline``)."""

    file: str
    sha256: str
    baseline_generated_at: str | None
    baseline_report_version: str
    baseline_capped: bool = Field(
        description="the baseline stored only part of its findings: findings beyond its cap count as new"
    )
    new: int
    existing: int
    fixed: int
    fixed_findings: list[FixedFinding] = Field(description="the fixed findings (at most the storage cap)")


class WaiverOut(_Out):
    """One entry of the waiver file and what it did in this run."""

    index: int
    code: str
    file: str = Field(description="file name pattern (fnmatch)")
    item: str | None = None
    key: str | None = Field(default=None, description="a business key value the finding must have")
    reason: str
    owner: str
    expires: str
    expired: bool = Field(description="expired waivers no longer apply")
    matched: int = Field(description="findings this waiver accepted (or would have, when expired)")
    stale: bool = Field(default=False, description="the waiver matched no finding of this run (report 1.3)")


class WaiverSummary(_Out):
    """The waiver file used (``--waivers``)."""

    file: str
    sha256: str
    today: str = Field(description="the date expiry was judged against")
    waived: int
    waivers: list[WaiverOut]


class Gate(_Out):
    """What decides the exit code (``--fail-on``)."""

    fail_on: FailOn = Field(description="error: any unwaived error fails; new: only new unwaived errors fail")
    failed: bool = Field(description="true when the exit code is 1")
    failing_findings: int = Field(description="error findings that make the run fail under fail_on")
    rules_not_run: int = Field(description="rules that could not run; these always fail the run")


class FileResult(_Out):
    """One input file: what it was checked as and how it fared (every run, and each file of a deliverable)."""

    file: str
    spec: str | None = Field(
        default=None, description="spec id of the file in a whole-deliverable check (else null: see the report's spec)"
    )
    group: str | None
    records: int
    errors: int = Field(description="error findings about this file (cross-file findings included)")
    warnings: int
    infos: int = 0
    rules_not_run: int = Field(default=0, description="rules that could not run on this file")
    valid: bool = Field(description="true only if the file has no error finding and every rule ran on it")


class BusinessResult(_Out):
    """One business (spec) of a deliverable: its files and their totals."""

    spec: SpecRef
    files: list[FileResult]
    records: int
    errors: int
    warnings: int
    valid: bool


class ArchiveInfo(_Out):
    """A zip deliverable: how its member names were decoded (report 1.3)."""

    file: str = Field(description="the archive's file name")
    members: int
    name_encodings: dict[str, int] = Field(
        description="members per name decoding: utf-8 (UTF-8 flag set), cp932 (no flag, valid CP932), "
        "cp437 (no flag, not CP932: zipfile's reading kept), ascii"
    )


class Report(_Out):
    """The result of checking data against a spec."""

    report_version: str = REPORT_VERSION
    tool: dict[str, str]
    valid: bool = Field(
        description="true only if there is no error finding (waived or not) and every rule ran"
    )
    spec: SpecRef
    checked_against: str = Field(
        default="",
        description="what the verdict was judged against, in the report's language: the national standard "
        "(official), this project's model, or a user-supplied workbook (report 1.3)",
    )
    generated_at: str
    lang: Lang
    values_shown: bool = Field(description="true when personal values were not masked (--show-values)")
    mask_key: Literal["default", "custom"] = Field(
        default="default",
        description="which key made the masking hashes: the built-in one or the organisation's (--mask-key)",
    )
    inputs: list[InputInfo]
    rules_not_run: list[RuleNotRunOut]
    stats: Stats
    findings: list[FindingOut]
    files: list[FileResult] = Field(
        default_factory=list,
        description="one verdict per input file, in input order (report 1.2; empty in older reports)",
    )
    businesses: list[BusinessResult] | None = Field(
        default=None, description="per-business and per-file results of a whole-deliverable check (else absent)"
    )
    baseline: BaselineSummary | None = None
    waivers: WaiverSummary | None = None
    gate: Gate | None = Field(default=None, description="exit-code decision; null in reports built by hand")
    archive: ArchiveInfo | None = Field(default=None, description="a zip deliverable's member names (report 1.3)")

    def errors(self) -> list[FindingOut]:
        """The stored findings of severity error."""
        return [f for f in self.findings if f.severity == "error"]

    def flatten(self, fields: tuple[str, ...] = ("code", "record", "item")) -> list[tuple[Any, ...]]:
        """Tuples of the given finding attributes, e.g. ``(code, record, item)`` for assertions."""
        return [tuple(getattr(f, k) for k in fields) for f in self.findings]

    @property
    def failed(self) -> bool:
        """Whether the run fails its gate (exit code 1); without a gate, whether it is not valid."""
        return self.gate.failed if self.gate is not None else not self.valid


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema of the JSON report (``schemas/report.schema.json`` is this, generated)."""
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://kikan-std.invalid/schemas/report.schema.json"
    schema["title"] = f"kikan-std report {REPORT_VERSION}"
    return schema


# -- masking ----------------------------------------------------------------------------------
