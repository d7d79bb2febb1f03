"""SARIF 2.1.0: findings as static-analysis results, located on the data file's lines.

Hand-built dictionaries (no dependency); the tests validate the output against the official
OASIS schema bundled in ``tests/data/sarif-schema-2.1.0.json``. Rule metadata comes from the
catalogue (title, what it checks, how to fix, severity). Fingerprints go to
``partialFingerprints`` so code-scanning tools track a finding across runs; with a baseline,
``baselineState`` is ``new`` or ``unchanged``; waived findings carry an accepted ``suppression``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from kikan_std.catalogue import Lang, catalogue, explain
from kikan_std.report.model import FindingOut, Report

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(file: str) -> str:
    """A relative URI reference for a file name as given (percent-encoded, forward slashes)."""
    return quote(file.replace("\\", "/"), safe="/._-~")


def _result(f: FindingOut, rule_index: dict[str, int], artifact_index: dict[str, int]) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if f.line is not None:
        region["startLine"] = f.line
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(f.file), "uriBaseId": "SRCROOT"}}
    if f.file in artifact_index:
        physical["artifactLocation"]["index"] = artifact_index[f.file]
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if f.item:
        location["logicalLocations"] = [{"name": f.item, "kind": "member"}]
    props: dict[str, Any] = {"record": f.record, "item": f.item, "itemId": f.item_id, "keys": f.keys}
    if f.value is not None:
        props["value"] = f.value
        props["valueMasked"] = f.value_masked
    result: dict[str, Any] = {
        "ruleId": f.code,
        "ruleIndex": rule_index[f.code],
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {"kikanStdFinding/v1": f.fingerprint},
        "properties": props,
    }
    if f.status in ("new", "existing"):
        result["baselineState"] = "new" if f.status == "new" else "unchanged"
    if f.status == "waived" and f.waiver is not None:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{f.waiver.reason} (owner: {f.waiver.owner}, expires: {f.waiver.expires})",
            }
        ]
    return result


def sarif_log(report: Report, lang: Lang = "ja") -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (a dict ready for ``json.dumps``)."""
    cat = catalogue()
    codes = list(cat)
    rule_index = {c: i for i, c in enumerate(codes)}
    rules = []
    for code in codes:
        e = cat[code]
        rules.append(
            {
                "id": code,
                "name": e.slug,
                "shortDescription": {"text": e.title[lang]},
                "fullDescription": {"text": e.what[lang].strip()},
                "help": {"text": e.fix[lang].strip(), "markdown": explain(code, lang)},
                "defaultConfiguration": {"level": _LEVEL[e.severity]},
                "properties": {"clause": e.clause, "family": e.family, "tags": [e.family, e.severity]},
            }
        )
    artifacts = []
    artifact_index: dict[str, int] = {}
    verdicts = {f.file: f for f in report.files}
    for i, inp in enumerate(report.inputs):
        artifact_index[inp.file] = i
        artifact: dict[str, Any] = {
            "location": {"uri": _uri(inp.file), "uriBaseId": "SRCROOT"},
            "length": inp.bytes,
            "encoding": inp.encoding,
            "mimeType": "text/csv",
            "hashes": {"sha-256": inp.sha256},
            "roles": ["analysisTarget"],
        }
        fr = verdicts.get(inp.file)
        if fr is not None:  # the file's own verdict (report 1.2), in the artifact's property bag
            artifact["properties"] = {"valid": fr.valid, "errors": fr.errors, "warnings": fr.warnings,
                                      "rulesNotRun": fr.rules_not_run}
        artifacts.append(artifact)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{n.rule} ({n.file}): {n.reason}"},
            "descriptor": {"id": "SYS002"},
        }
        for n in report.rules_not_run
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kikan-std",
                "version": report.tool.get("version", ""),
                "language": "ja-JP" if lang == "ja" else "en-US",
                "rules": rules,
            }
        },
        "artifacts": artifacts,
        "invocations": [
            {
                "executionSuccessful": not report.rules_not_run,
                "endTimeUtc": report.generated_at.replace("+00:00", "Z"),
                "toolExecutionNotifications": notifications,
            }
        ],
        "results": [_result(f, rule_index, artifact_index) for f in report.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "spec": report.spec.model_dump(),
            "checked_against": report.checked_against,
            "valid": report.valid,
            "valuesShown": report.values_shown,
            "stats": report.stats.model_dump(),
            "gate": report.gate.model_dump() if report.gate else None,
        },
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report, lang: Lang = "ja") -> str:
    """The report as SARIF 2.1.0 JSON text."""
    return json.dumps(sarif_log(report, lang), ensure_ascii=False, indent=2) + "\n"
