"""The report: the one result of a run, serialised by every writer.

``Report`` is a Pydantic model, so its JSON form and JSON Schema come from one definition
(``schemas/report.schema.json`` is generated from it). Personal values are masked when the report
is built unless the caller asked to show them; the report records which.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from hashlib import sha256
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kikan_std.catalogue import Lang, entry
from kikan_std.findings import Finding

REPORT_VERSION = "1.1"
"""1.1 added per-finding ``status``/``fingerprint``/``waiver``, ``baseline``, ``waivers``, ``gate``,
``mask_key`` and more ``stats``; every 1.0 field is kept with the same meaning."""

Severity = Literal["error", "warning", "info"]
Status = Literal["new", "existing", "waived"]
FailOn = Literal["error", "new"]


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
    """One file of a deliverable: what it was checked as and how it fared."""

    file: str
    group: str | None
    records: int
    errors: int
    warnings: int
    valid: bool


class BusinessResult(_Out):
    """One business (spec) of a deliverable: its files and their totals."""

    spec: SpecRef
    files: list[FileResult]
    records: int
    errors: int
    warnings: int
    valid: bool


class Report(_Out):
    """The result of checking data against a spec."""

    report_version: str = REPORT_VERSION
    tool: dict[str, str]
    valid: bool = Field(
        description="true only if there is no error finding (waived or not) and every rule ran"
    )
    spec: SpecRef
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
    businesses: list[BusinessResult] | None = Field(
        default=None, description="per-business and per-file results of a whole-deliverable check (else absent)"
    )
    baseline: BaselineSummary | None = None
    waivers: WaiverSummary | None = None
    gate: Gate | None = Field(default=None, description="exit-code decision; null in reports built by hand")

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

DEFAULT_MASK_KEY = b"kikan-std"
_MASK_KEY = DEFAULT_MASK_KEY  # kept for callers of the 1.0 name
MASK_KEY_ENV = "KIKAN_STD_MASK_KEY"

_MASKED_RE = re.compile(r"\**\d{0,2} #([0-9a-f]{8})")


def value_tag(value: str, key: bytes = DEFAULT_MASK_KEY) -> str:
    """A short keyed hash of ``value``: the same value gives the same tag under the same key."""
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), sha256).hexdigest()[:8]


def mask_value(value: str, key: bytes = DEFAULT_MASK_KEY) -> str:
    """Mask a personal value, keeping only what helps locate the problem.

    Digit strings keep their last two digits (enough to tell two numbers apart on a screen);
    anything else becomes asterisks. A short keyed hash lets the same value be recognised across
    findings and runs without revealing it.
    """
    tag = value_tag(value, key)
    if value.isascii() and value.isdigit() and len(value) >= 6:
        return f"{'*' * (len(value) - 2)}{value[-2:]} #{tag}"
    return f"{'*' * min(len(value), 8)} #{tag}"


def masked_tag(shown: str) -> str | None:
    """The hash tag of a masked value as :func:`mask_value` writes it, or None if not masked."""
    m = _MASKED_RE.fullmatch(shown)
    return m[1] if m else None


def visible(text: str) -> str:
    """``text`` with undecodable input bytes (lone surrogates) shown as ``\\xNN``, so it serialises."""
    if text.isascii() or not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02X}" if ord(m.group()) >= 0xDC80 else "\ufffd", text)


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _visible_any(v: Any) -> Any:
    return visible(v) if isinstance(v, str) else v


def fingerprint(
    code: str, file: str, item: str | None, key_tags: dict[str, str], value_tag: str | None
) -> str:
    """The identity of a finding across runs: code, file, item and business keys — no row number.

    ``key_tags`` are the keyed hashes of the business key values; a finding without business keys
    falls back to the hash of its value (``value_tag``), so edits elsewhere in the file do not
    change it. Inserting or deleting rows therefore leaves fingerprints unchanged.
    """
    keyed = "k:" + "|".join(f"{k}={v}" for k, v in sorted(key_tags.items()))
    ident = keyed if key_tags else "v:" + (value_tag or "")
    raw = "\x1f".join((code, file, item or "", ident))
    return sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def finding_fingerprint(f: Finding, key: bytes = DEFAULT_MASK_KEY) -> str:
    """:func:`fingerprint` of a raw finding."""
    tags = {k: value_tag(v, key) for k, v in f.keys.items()}
    return fingerprint(f.code, f.file, f.item, tags, None if f.value is None else value_tag(f.value, key))


def is_personal(f: Finding, personal_items: frozenset[str]) -> bool:
    """Whether a finding's value is personal: its item is, or it is keyed only by personal keys."""
    if f.personal or (f.item is not None and f.item in personal_items):
        return True
    return f.item is None and any(k in personal_items for k in f.keys)


def _is_blank_or_control(text: str) -> bool:
    return all(unicodedata.category(c)[0] in "CZ" for c in text)


def _keeps_char(codepoints: str) -> bool:
    """Control and space characters reveal nothing about a person and are what needs fixing."""
    try:
        chars = [chr(int(cp.removeprefix("U+"), 16)) for cp in codepoints.split()]
    except ValueError:
        return False
    return bool(chars) and all(unicodedata.category(c)[0] in "CZ" for c in chars)


def _mask_params(params: dict[str, Any], raw: str | None, key: bytes) -> dict[str, Any]:
    """Params of a personal finding with anything that could reveal the value masked.

    ``suggestion`` is usually the whole corrected value; ``char``/``codepoints`` name a character
    of it (kept only for control and space characters, which are the problem itself); any other
    text parameter containing the value is masked too.
    """
    out = dict(params)
    sug = out.get("suggestion")
    if sug not in (None, "-", "") and not _is_blank_or_control(str(sug)):
        # A one-character suggestion gets no hash: a hash of one character is trivially reversed.
        out["suggestion"] = mask_value(str(sug), key) if len(str(sug)) > 1 else "*"
    if "char" in out and not _keeps_char(str(out.get("codepoints", ""))):
        out["char"] = "*"
        if "codepoints" in out:
            out["codepoints"] = "U+****"
    if raw:
        for k, v in out.items():
            if isinstance(v, str) and k not in ("char", "codepoints") and raw in v:
                out[k] = v.replace(raw, mask_value(raw, key))
    return out


def finding_out(
    f: Finding,
    lang: Lang,
    show_values: bool,
    mask_key: bytes = DEFAULT_MASK_KEY,
    personal_items: frozenset[str] = frozenset(),
    status: Status | None = None,
    waiver: WaiverRef | None = None,
    fp: str | None = None,
) -> FindingOut:
    """Render one finding: severity and message from the catalogue, values masked as needed.

    Masking covers the value, the message parameters and business keys of personal items, so no
    output format (they are all rendered from this) can show a personal value unless
    ``show_values``.
    """
    e = entry(f.code)
    personal = not show_values and is_personal(f, personal_items)
    masked = personal and f.value is not None and f.value != ""
    value = mask_value(f.value, mask_key) if masked and f.value is not None else f.value
    params = _mask_params(f.params, f.value, mask_key) if personal else dict(f.params)
    keys = dict(f.keys)
    if not show_values:
        keys = {k: mask_value(v, mask_key) if k in personal_items and v else v for k, v in keys.items()}
    tmpl = {"item": f.item or "-", "value": value, "file": f.file, "record": f.record, "line": f.line}
    tmpl.update(params)
    return FindingOut(
        code=f.code,
        severity=f.severity or e.severity,  # type: ignore[arg-type]
        file=f.file,
        record=f.record,
        line=f.line,
        item=f.item,
        item_id=f.item_id,
        message=visible(e.render(lang, tmpl)),
        value=None if value is None else visible(value),
        value_masked=masked,
        keys={k: visible(v) for k, v in keys.items()},
        related=[{"record": r, "line": ln} for r, ln in f.related],
        pointer=f.pointer,
        offset=f.offset,
        api_error=e.api_error,
        params={k: _visible_any(v) for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None},
        status=status,
        fingerprint=fp if fp is not None else finding_fingerprint(f, mask_key),
        waiver=waiver,
    )
