"""JUnit XML: one test case per (file, rule) so CI systems show findings as failed tests.

Each input file is a ``<testsuite>``; each code that *applies to the file's spec and input format* is a
``<testcase>`` in it (:func:`applicable_codes`: the reader's codes for the file's format, the character
and field checks its items can fail, the rules of its edition, the deliverable rules in a deliverable —
a 住登外者宛名 file does not list 住民記録, 突合 or 全銀 codes as passed tests), plus any other code
found in the file. Rules that could not run are ``<error>`` test cases, never passes, so the counts mean
something on a CI dashboard. A test case
fails when the file has findings of that code that fail the run (unwaived errors; with
``--fail-on new`` only new ones), and the failure lists their locations. Other findings of the
code (warnings, waived, existing) are listed in ``<system-out>`` of a passing test case. A passing
test case means "no failing finding of this code in this file".
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache

from kikan_std.catalogue import Lang, catalogue
from kikan_std.model.spec import DataType, Format
from kikan_std.report.model import FindingOut, Report
from kikan_std.specs import BUILTIN, load_spec, rules_for
from kikan_std.writers._common import by_file_and_code, fails_gate, location, xml_safe

_MORE = {"ja": "… 他 {n} 件（保存上限のため省略。集計は全件）", "en": "… {n} more (not stored: cap reached)"}
_COUNT = {"ja": "{n} 件", "en": "{n} finding(s)"}


_FORMAT_PREFIX = {"csv": "CSV", "json": "JSN", "xml": "XML", "fixed": "FIX"}
_ALWAYS = ("ENC", "CHR", "FLD", "REC", "KEY")
_FIELD_NEEDS_TYPE = {"FLD009": DataType.DECIMAL, "FLD010": DataType.SIGNED, "FLD013": DataType.YEAR}


@cache
def applicable_codes(spec_id: str | None, input_format: str = "csv", deliverable: bool = False) -> tuple[str, ...]:
    """The catalogue codes a file of ``spec_id`` read as ``input_format`` can be found to break.

    Reader codes of the format, character and field checks the spec's items can fail, record and key
    checks, the codes of the edition's own rules, and the DLV codes in a deliverable. Engine codes
    (SYS…) are not test cases: a rule that could not run is reported as an error of the run itself.
    A spec that is not built in (a workbook) gets the generic checks only.
    """
    spec = load_spec(spec_id) if spec_id in BUILTIN else None
    rule_codes: set[str] = set()
    types: set[DataType] = set()
    formats: set[Format | None] = set()
    code_lists = True
    if spec is not None:
        rules = rules_for(spec)
        for group in (rules.record_rules, rules.dataset_rules, rules.file_rules):
            for r in group:
                rule_codes.update(r.codes)
        items = [it for g in spec.groups for it in g.items]
        types = {it.type for it in items}
        formats = {it.format for it in items}
        code_lists = any(it.code_list for it in items)
    prefixes = (*_ALWAYS, _FORMAT_PREFIX.get(input_format, "CSV"), *(("DLV",) if deliverable else ()))
    out: list[str] = []
    for code in catalogue():
        if code in rule_codes:
            out.append(code)
            continue
        if not code.startswith(prefixes):
            continue
        if spec is not None:
            need = _FIELD_NEEDS_TYPE.get(code)
            if need is not None and need not in types:
                continue
            if code == "FLD017" and Format.CORPORATE_NUMBER not in formats:
                continue
            if code == "FLD015" and not code_lists:
                continue
        out.append(code)
    return tuple(out)


def _line(f: FindingOut) -> str:
    text = f"{location(f)}: {f.message}"
    if f.value:
        text += f" (value: {f.value})"
    if f.status:
        text += f" [{f.status}]"
    return text


def render_junit(report: Report, lang: Lang = "ja") -> str:
    """The report as JUnit XML (the common Ant/Surefire dialect read by most CI systems)."""
    groups = by_file_and_code(report)
    cat = catalogue()
    root = ET.Element("testsuites", name=f"kikan-std {report.spec.id}")
    total_tests = total_failures = 0
    files = [i.file for i in report.inputs] or sorted({f for f, _ in groups})
    verdicts = {f.file: f for f in report.files}
    inputs = {i.file: i for i in report.inputs}
    deliverable = report.businesses is not None
    for file in files:
        counts = report.stats.findings_by_file.get(file, {})
        suite = ET.SubElement(root, "testsuite", name=file, timestamp=report.generated_at[:19])
        props = ET.SubElement(suite, "properties")
        fr = verdicts.get(file)
        own: tuple[tuple[str, str], ...] = () if fr is None else (
            ("file_valid", str(fr.valid).lower()),  # this file's verdict (report 1.2)
            ("file_errors", str(fr.errors)),
        )
        for name, value in (
            ("spec", f"{report.spec.id} {report.spec.edition}"),
            ("checked_against", report.checked_against),
            ("tool", f"kikan-std {report.tool.get('version', '')}"),
            ("valid", str(report.valid).lower()),
            ("values_shown", str(report.values_shown).lower()),
            *own,
        ):
            ET.SubElement(props, "property", name=name, value=value)
        tests = failures = 0
        inp = inputs.get(file)
        spec_id = (inp.spec if inp is not None and inp.spec else None) or (None if deliverable else report.spec.id)
        applies = set(applicable_codes(spec_id, inp.format if inp is not None else "csv", deliverable))
        applies |= set(counts) | {c for f, c in groups if f == file}
        for code, e in cat.items():
            if code not in applies or (code.startswith("SYS") and code not in counts):
                continue
            tests += 1
            case = ET.SubElement(
                suite, "testcase", classname=f"kikan-std.{file}", name=f"{code} {e.slug}", file=file
            )
            fs = groups.get((file, code), [])
            failing = [f for f in fs if fails_gate(f, report)]
            lines = [_line(f) for f in (failing or fs)]
            total = counts.get(code, len(fs))
            if total > len(fs):
                lines.append(_MORE[lang].format(n=f"{total - len(fs):,}"))
            if failing:
                failures += 1
                first = failing[0]
                fail = ET.SubElement(
                    case,
                    "failure",
                    type=code,
                    message=f"{_COUNT[lang].format(n=f'{total:,}')}: {first.message}",
                )
                fail.text = "\n".join(lines)
                if len(failing) < len(fs):
                    out = ET.SubElement(case, "system-out")
                    out.text = "\n".join(_line(f) for f in fs if f not in failing)
            elif fs:
                out = ET.SubElement(case, "system-out")
                out.text = "\n".join(lines)
        for key, n in (("tests", tests), ("failures", failures), ("errors", 0), ("skipped", 0)):
            suite.set(key, str(n))
        suite.set("time", "0")
        total_tests += tests
        total_failures += failures
    if report.rules_not_run:
        # A rule that could not run is an error of the test run itself, never a pass.
        suite = ET.SubElement(root, "testsuite", name="kikan-std rules", tests=str(len(report.rules_not_run)),
                              failures="0", errors=str(len(report.rules_not_run)), skipped="0", time="0")
        for nr in report.rules_not_run:
            name = f"{nr.rule} ({nr.file})"
            case = ET.SubElement(suite, "testcase", classname="kikan-std.rules", name=name)
            ET.SubElement(case, "error", type="SYS002", message=nr.reason).text = nr.reason
        total_tests += len(report.rules_not_run)
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", str(len(report.rules_not_run)))
    root.set("time", "0")
    ET.indent(root)
    return xml_safe('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n")
