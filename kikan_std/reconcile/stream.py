"""Writers of :func:`kikan_std.reconcile.reconcile_to`: the JSON, CSV and HTML reports, written as
the applications are decided.

Each writer is a :class:`~kikan_std.reconcile.engine.Sink`: it receives every application once, in
record order, already masked (or shown) and with its findings rendered, and writes the same text as
:func:`~kikan_std.reconcile.report.write_json`, :func:`~kikan_std.reconcile.report.write_csv` and
:func:`~kikan_std.reconcile.report.render_html` write for the in-memory result (the differential
tests compare them byte for byte).

* JSON: the ``matched`` list is written straight to the output; the later lists (ambiguous,
  unmatched applications, member differences, findings, review) go to anonymous temporary files
  and are copied in after it, followed by the parts known only at the end (summary, duplicates,
  households without an application, unresolved bank names, audit). The text is that of
  ``json.dump(..., ensure_ascii=False, indent=1)``, produced without building the objects.
* CSV: one row per application in record order, so everything is written at once.
* HTML: only the first :data:`~kikan_std.reconcile.report.HTML_ROW_LIMIT` rows of each table and
  the counts are kept.
"""

from __future__ import annotations

import csv
import functools
import io
import shutil
import tempfile
from bisect import bisect_right
from json.encoder import encode_basestring
from typing import IO, TYPE_CHECKING, Any, TextIO

from kikan_std.reconcile.engine import (
    AMBIGUOUS,
    MATCHED,
    REVIEW,
    UNMATCHED,
    Match,
    MatchMeta,
    Outcome,
    Renderer,
    Settings,
    reason_text,
)
from kikan_std.reconcile.normalize import STEP_LABELS
from kikan_std.reconcile.report import CSV_HEADER, HTML_ROW_LIMIT, audit_rows_of, html_document

if TYPE_CHECKING:
    from kikan_std.reconcile import Audit, Run, Summary

__all__ = ["RENDERERS", "CsvWriter", "HtmlWriter", "JsonWriter", "dumps_indent1", "make_writer", "render_csv", "render_json"]

_s = encode_basestring  # the C encoder of json (non-ASCII kept, as ensure_ascii=False)
_INF = float("inf")


def _float(o: float) -> str:
    """A float as ``json`` writes it."""
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return float.__repr__(o)


def dumps_indent1(o: Any, nl: str = "\n") -> str:
    """``json.dumps(o, ensure_ascii=False, indent=1)`` for a value nested at the indentation ``nl``.

    ``nl`` is a new line followed by the spaces of the value's own level ("\\n" at the top).
    """
    if isinstance(o, str):
        return _s(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    n = nl + " "
    if isinstance(o, dict):
        if not o:
            return "{}"
        return "{" + n + ("," + n).join(_s(str(k)) + ": " + dumps_indent1(v, n) for k, v in o.items()) + nl + "}"
    if isinstance(o, list | tuple):
        if not o:
            return "[]"
        return "[" + n + ("," + n).join(dumps_indent1(v, n) for v in o) + nl + "]"
    raise TypeError(f"not JSON: {type(o).__name__}")


def _strs(items: list[str] | tuple[str, ...], nl: str) -> str:
    if not items:
        return "[]"
    n = nl + " "
    return "[" + n + ("," + n).join(map(_s, items)) + nl + "]"


def _opt(v: str | None) -> str:
    return "null" if v is None else _s(v)


def _difference(f: str, step: str, detail: str) -> str:
    """:meth:`kikan_std.reconcile.match.Reason.text`."""
    return f"{f}: {STEP_LABELS.get(step, step)}" + (f" {detail}" if detail else "")


_I = "\n  "  # indentation of a list item under a top-level key


_MATCHED = (
    "{\n   \"application\": %d,\n   \"beneficiary\": %d,\n   \"beneficiary_no\": %s,\n   \"confidence\": %s,"
    "\n   \"differences\": %s,\n   \"reasons\": %s,\n   \"persons\": %d,\n   \"amount\": %d,"
    "\n   \"members_missing\": %s,\n   \"members_added\": %s\n  }"
)
_REASON = "{\n     \"field\": %s,\n     \"step\": %s,\n     \"detail\": %s\n    }"


def _matched_json(record: int, data: Any) -> str:
    """A ``matched`` item as ``json.dump(indent=1)`` writes it inside the list (a template, not a walk)."""
    ben, no, conf, rs, persons, amount, missing, added = data[:8]
    if rs:
        diffs = "[\n    " + ",\n    ".join([_s(_difference(f, st, d)) for f, st, d in rs]) + "\n   ]"
        reasons = "[\n    " + ",\n    ".join([_REASON % (_s(f), _s(st), _s(d)) for f, st, d in rs]) + "\n   ]"
    else:
        diffs = reasons = "[]"
    return _MATCHED % (record, ben, _opt(no), _float(conf), diffs, reasons, persons, amount,
                       _strs(missing, "\n   "), _strs(added, "\n   "))


_FINDING = (
    "{\n   \"code\": %s,\n   \"severity\": %s,\n   \"file\": %s,\n   \"record\": %s,\n   \"item\": %s,"
    "\n   \"value\": %s,\n   \"message\": %s\n  }"
)


def _finding_json(f: Any, file_json: str) -> str:
    code, severity, record, item, value, message = f[:6]
    return _FINDING % (_s(code), _s(severity), file_json, "null" if record is None else str(record), _opt(item),
                       _opt(value), _s(message))


def _applicant_dict(record: int, a: tuple[str, str, str]) -> dict[str, Any]:
    return {"application": record, "name": a[0], "address": a[1], "birth_date": a[2]}


def _candidate_dicts(cands: list[Any]) -> list[dict[str, Any]]:
    return [{"beneficiary": b, "beneficiary_no": no, "confidence": conf, "reasons": list(rs),
             "reason_text": reason_text(rs)} for b, no, conf, rs in cands]


@functools.cache
def _file_json(name: str) -> str:
    """The JSON string of a file name (the same one in every finding of a run)."""
    return _s(name)


def _split_findings(findings: list[Any]) -> tuple[tuple[str, ...], tuple[tuple[str, str | None, str | None], ...]]:
    """(codes, unresolved bank entries (code, value, candidates)) of rendered findings."""
    codes = tuple(f[0] for f in findings)
    banks = tuple((f[0], f[4], f[6]) for f in findings if f[0] in _BANK)
    return codes, banks


_BANK = frozenset({"RCN011", "RCN012", "RCN013", "RCN014"})


def _meta(data: Match, st: Settings) -> MatchMeta:
    holder = data.holder
    return MatchMeta(data.beneficiary, data.no, data.persons, data.amount, bool(data.missing or data.added),
                     data.account.usable, data.account if st.transfer else None,
                     None if holder is None else holder[0])


def _with_holder(findings: list[Any], holder: Any) -> list[Any]:
    """The findings of a kept application: the account-holder finding in its place by code."""
    codes = [f[0] for f in findings]
    return [*findings[: bisect_right(codes, holder[0])], holder, *findings[bisect_right(codes, holder[0]) :]]


def render_json(o: Outcome, st: Settings) -> tuple[Any, ...]:
    """An outcome as the JSON writer needs it (run in the worker): the items' text, the counters' data.

    Returns ``(record, kind, finding codes, unresolved banks, meta, texts)``; texts for MATCHED
    ``(matched item, member-difference item or None, findings, findings with the account holder's)``,
    else ``(item, findings)``.
    """
    record, kind, findings, data = o
    fj = _file_json(st.app_file)
    codes, banks = _split_findings(findings)
    ftexts = [_finding_json(f, fj) for f in findings]
    if kind == MATCHED:
        holder = data.holder
        kept_texts = ftexts if holder is None else [_finding_json(f, fj) for f in _with_holder(findings, holder)]
        diff = None
        if data.missing or data.added:
            diff = dumps_indent1({"application": record, "beneficiary": data.beneficiary, "missing": data.missing,
                                  "added": data.added}, _I)
        return record, kind, codes, banks, _meta(data, st), (_matched_json(record, data), diff, ftexts, kept_texts)
    if kind == AMBIGUOUS:
        applicant, cands = data
        item = dumps_indent1({"application": record, "applicant": _applicant_dict(record, applicant),
                              "candidates": _candidate_dicts(cands)}, _I)
    elif kind == REVIEW:
        applicant, why, cands = data
        item = dumps_indent1({"application": record, "applicant": _applicant_dict(record, applicant),
                              "reasons": list(why), "reason_text": reason_text(why),
                              "candidates": _candidate_dicts(cands)}, _I)
    else:
        item = dumps_indent1(_applicant_dict(record, data), _I)
    return record, kind, codes, banks, None, (item, ftexts)


class _Section:
    """A JSON list under a top-level key, written item by item (to the output or a temporary file)."""

    __slots__ = ("file", "n")

    def __init__(self, file: IO[str] | None = None) -> None:
        self.file: IO[str] = file if file is not None else tempfile.TemporaryFile(  # noqa: SIM115
            "w+", encoding="utf-8", newline="", prefix="kikan-std-")
        self.n = 0

    def add(self, text: str) -> None:
        self.file.write((",\n  " if self.n else "\n  ") + text)
        self.n += 1

    def add_many(self, texts: list[str]) -> None:
        if texts:
            self.file.write((",\n  " if self.n else "\n  ") + ",\n  ".join(texts))
            self.n += len(texts)

    def copy_to(self, out: IO[str]) -> None:
        """Copy the items written to the temporary file into ``out`` and close it."""
        self.file.seek(0)
        shutil.copyfileobj(self.file, out, 1 << 20)
        self.file.close()

    def end(self) -> str:
        return "\n ]" if self.n else "]"


class JsonWriter:
    """The JSON report, streamed (see the module docstring)."""

    def __init__(self, out: TextIO, app_file: str) -> None:
        self.out = out
        self._file = _s(app_file)
        out.write('{\n "matched": [')
        self._matched = _Section(out)
        self._later = {name: _Section() for name in
                       ("ambiguous", "unmatched_applications", "member_differences", "findings", "review")}

    def _findings(self, findings: list[Any]) -> None:
        sec = self._later["findings"]
        for f in findings:
            sec.add(_finding_json(f, self._file))

    def matched(self, record: int, data: Any, findings: list[Any]) -> None:
        self._matched.add(_matched_json(record, data))
        if data.missing or data.added:
            self._later["member_differences"].add(dumps_indent1(
                {"application": record, "beneficiary": data.beneficiary, "missing": data.missing,
                 "added": data.added}, _I))
        self._findings(findings)

    def duplicate(self, record: int, data: Any, kept: int, findings: list[Any]) -> None:
        self._findings(findings)

    def ambiguous(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, cands = data
        self._later["ambiguous"].add(dumps_indent1(
            {"application": record, "applicant": _applicant_dict(record, applicant),
             "candidates": _candidate_dicts(cands)}, _I))
        self._findings(findings)

    def review(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, why, cands = data
        self._later["review"].add(dumps_indent1(
            {"application": record, "applicant": _applicant_dict(record, applicant), "reasons": list(why),
             "reason_text": reason_text(why), "candidates": _candidate_dicts(cands)}, _I))
        self._findings(findings)

    def unmatched(self, record: int, data: Any, findings: list[Any]) -> None:
        self._later["unmatched_applications"].add(dumps_indent1(_applicant_dict(record, data), _I))
        self._findings(findings)

    def matched_rendered(self, record: int, meta: Any, texts: Any) -> None:
        item, diff, _ftexts, kept_texts = texts
        self._matched.add(item)
        if diff is not None:
            self._later["member_differences"].add(diff)
        self._later["findings"].add_many(kept_texts)

    def duplicate_rendered(self, record: int, meta: Any, texts: Any, kept: int) -> None:
        self._later["findings"].add_many(texts[2])

    def other_rendered(self, kind: int, record: int, texts: Any) -> None:
        item, ftexts = texts
        self._later[_SECTION_OF[kind]].add(item)
        self._later["findings"].add_many(ftexts)

    def finish(self, run: Run, summary: Summary, audit: Audit) -> None:
        """Write the lists held back and the parts known at the end, in the JSON contract's order."""
        out, later, c = self.out, self._later, run.collector
        out.write(self._matched.end())
        for name in ("ambiguous", "unmatched_applications"):
            out.write(f',\n "{name}": [')
            later[name].copy_to(out)
            out.write(later[name].end())
        out.write(',\n "unmatched_beneficiaries": ')
        bens = _Section(out)
        out.write("[")
        for b in c.unmatched_beneficiaries():
            bens.add(str(b))
        out.write(bens.end())
        out.write(',\n "duplicates": ')
        out.write(dumps_indent1([{"beneficiary": b, "applications": apps, "kept": apps[0]}
                                 for b, apps in c.sorted_duplicates()], "\n "))
        out.write(',\n "member_differences": [')
        later["member_differences"].copy_to(out)
        out.write(later["member_differences"].end())
        out.write(',\n "summary": ' + dumps_indent1(summary.model_dump(), "\n "))
        for name in ("findings", "review"):
            out.write(f',\n "{name}": [')
            later[name].copy_to(out)
            out.write(later[name].end())
        out.write(',\n "unresolved_banks": ' + dumps_indent1(
            [{"bank_name": b, "branch_name": br, "code": code, "reason": why, "candidates": cands,
              "applications": apps} for b, br, code, why, cands, apps in c.unresolved_groups()], "\n "))
        out.write(',\n "audit": ' + dumps_indent1(audit.model_dump(), "\n ") + "\n}\n")


_SECTION_OF = {AMBIGUOUS: "ambiguous", REVIEW: "review", UNMATCHED: "unmatched_applications"}


def _notes(findings: list[Any]) -> str:
    return " / ".join(f"{f[0]} {f[5]}" for f in findings)


def _cands_text(cands: list[Any]) -> str:
    """:func:`kikan_std.reconcile.report._cands` of candidate tuples."""
    out = []
    for b, _no, conf, rs in cands:
        why = reason_text(rs)
        out.append(f"{b}({conf:.3f}{'; ' + why if why else ''})")
    return " ".join(out)


_BLANK = ("", "", "")


class _RowText:
    """CSV rows rendered to text (in the worker) with the writer's dialect."""

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._w = csv.writer(self._buf, lineterminator="\r\n")

    def __call__(self, row: tuple[str, ...]) -> str:
        self._w.writerow(row)
        text = self._buf.getvalue()
        self._buf.seek(0)
        self._buf.truncate()
        return text


_ROW = _RowText()


def render_csv(o: Outcome, st: Settings) -> tuple[Any, ...]:
    """An outcome as the CSV writer needs it (run in the worker); texts for MATCHED ``(row if kept,
    notes if a duplicate)``, else ``(row,)``."""
    record, kind, findings, data = o
    codes, banks = _split_findings(findings)
    if kind == MATCHED:
        holder = data.holder
        notes = _notes(findings)
        kept_notes = notes if holder is None else _notes(_with_holder(findings, holder))
        ben, no, conf, rs, persons, amount, missing, added = data[:8]
        row = _ROW(("一致", str(record), str(ben), no or "", f"{conf:.3f}", str(persons), str(amount),
                    " / ".join(_difference(f, st_, d) for f, st_, d in rs), "、".join(missing), "、".join(added),
                    kept_notes, *_BLANK))
        return record, kind, codes, banks, _meta(data, st), (row, notes)
    notes = _notes(findings)
    if kind == AMBIGUOUS:
        applicant, cands = data
        row = _ROW(("要確認（候補複数）", str(record), "", "", "", "", "", f"候補: {_cands_text(cands)}", "", "",
                    notes, *applicant))
    elif kind == REVIEW:
        applicant, why, cands = data
        row = _ROW((f"要確認（{reason_text(why)}）", str(record), "", "", "", "", "", f"候補: {_cands_text(cands)}",
                    "", "", notes, *applicant))
    else:
        row = _ROW(("該当なし", str(record), "", "", "", "", "", "", "", "", notes, *data))
    return record, kind, codes, banks, None, (row,)


class CsvWriter:
    """The CSV report, streamed: rows are in record order as they come."""

    def __init__(self, out: TextIO, app_file: str) -> None:
        self._out = out
        self._w = csv.writer(out, lineterminator="\r\n")
        self._w.writerow(CSV_HEADER)

    def matched(self, record: int, data: Any, findings: list[Any]) -> None:
        ben, no, conf, rs, persons, amount, missing, added = data[:8]
        self._w.writerow(("一致", str(record), str(ben), no or "", f"{conf:.3f}", str(persons), str(amount),
                          " / ".join(_difference(f, st, d) for f, st, d in rs), "、".join(missing),
                          "、".join(added), _notes(findings), *_BLANK))

    def duplicate(self, record: int, data: Any, kept: int, findings: list[Any]) -> None:
        self._w.writerow(("重複申請", str(record), str(data.beneficiary), "", "", "0", "0", f"申請No {kept} と重複", "", "",
                          _notes(findings), *_BLANK))

    def ambiguous(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, cands = data
        self._w.writerow(("要確認（候補複数）", str(record), "", "", "", "", "", f"候補: {_cands_text(cands)}", "", "",
                          _notes(findings), *applicant))

    def review(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, why, cands = data
        self._w.writerow((f"要確認（{reason_text(why)}）", str(record), "", "", "", "", "",
                          f"候補: {_cands_text(cands)}", "", "", _notes(findings), *applicant))

    def unmatched(self, record: int, data: Any, findings: list[Any]) -> None:
        self._w.writerow(("該当なし", str(record), "", "", "", "", "", "", "", "", _notes(findings), *data))

    def matched_rendered(self, record: int, meta: Any, texts: Any) -> None:
        self._out.write(texts[0])

    def duplicate_rendered(self, record: int, meta: Any, texts: Any, kept: int) -> None:
        self._w.writerow(("重複申請", str(record), str(meta.beneficiary), "", "", "0", "0", f"申請No {kept} と重複", "", "",
                          texts[1], *_BLANK))

    def other_rendered(self, kind: int, record: int, texts: Any) -> None:
        self._out.write(texts[0])

    def finish(self, run: Run, summary: Summary, audit: Audit) -> None:
        """Households without an application, then the audit record."""
        w = self._w
        for b in run.collector.unmatched_beneficiaries():
            w.writerow(("未申請", "", str(b), "", "", "", "", "", "", "", "", *_BLANK))
        for k, v in audit_rows_of(audit):
            w.writerow(("監査情報", k, v))


_SEVERITY = {"error": "エラー", "warning": "警告", "info": "情報"}


class _Rows:
    """The first :data:`HTML_ROW_LIMIT` rows of a table and how many there were."""

    __slots__ = ("n", "rows")

    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.n = 0

    def add(self, row: list[str]) -> None:
        if self.n < HTML_ROW_LIMIT:
            self.rows.append(row)
        self.n += 1

    def pair(self) -> tuple[list[list[str]], int]:
        return self.rows, self.n


class HtmlWriter:
    """The HTML report: the first rows of each table and the counts are kept, written at the end."""

    def __init__(self, out: TextIO, app_file: str, title: str = "突合結果") -> None:
        self.out = out
        self.title = title
        self.kinds: dict[tuple[str, str], int] = {}
        self.tables = {name: _Rows() for name in ("review", "ambiguous", "unmatched", "diffs", "findings")}

    def _findings(self, findings: list[Any]) -> None:
        t = self.tables["findings"]
        for code, severity, record, item, _value, message, _c in findings:
            if severity != "info":
                t.add([code, _SEVERITY.get(severity, severity), str(record or ""), item or "", message])

    def matched(self, record: int, data: Any, findings: list[Any]) -> None:
        kinds = self.kinds
        for f, st, _d in data.reasons:
            kinds[(f, st)] = kinds.get((f, st), 0) + 1
        if data.missing or data.added:
            self.tables["diffs"].add([str(record), str(data.beneficiary), "、".join(data.missing),
                                      "、".join(data.added)])
        self._findings(findings)

    def duplicate(self, record: int, data: Any, kept: int, findings: list[Any]) -> None:
        self._findings(findings)

    def ambiguous(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, cands = data
        self.tables["ambiguous"].add([str(record), *applicant, _cands_text(cands)])
        self._findings(findings)

    def review(self, record: int, data: Any, findings: list[Any]) -> None:
        applicant, why, cands = data
        self.tables["review"].add([str(record), reason_text(why), *applicant, _cands_text(cands)])
        self._findings(findings)

    def unmatched(self, record: int, data: Any, findings: list[Any]) -> None:
        self.tables["unmatched"].add([str(record), *data])
        self._findings(findings)

    def finish(self, run: Run, summary: Summary, audit: Audit) -> None:
        """Write the document."""
        c, t = run.collector, self.tables
        bens = _Rows()
        for b in c.unmatched_beneficiaries():
            bens.add([str(b)])
        self.out.write(html_document(
            title=self.title,
            summary=summary,
            audit=audit,
            kinds=self.kinds,
            review=t["review"].pair(),
            ambiguous=t["ambiguous"].pair(),
            duplicates=[[str(b), " ".join(map(str, apps)), str(apps[0])] for b, apps in c.sorted_duplicates()],
            unmatched_applications=t["unmatched"].pair(),
            unmatched_beneficiaries=bens.pair(),
            member_differences=t["diffs"].pair(),
            unresolved=[(b, br, code, cands, apps) for b, br, code, _why, cands, apps in c.unresolved_groups()],
            findings=t["findings"].pair(),
        ))


Writer = JsonWriter | CsvWriter | HtmlWriter

RENDERERS: dict[str, Renderer] = {"json": render_json, "csv": render_csv}
"""Formats whose text is made in the workers (the HTML report keeps only counts and first rows)."""


def make_writer(output_format: str, out: TextIO, app_file: str) -> Writer:
    """The streamed writer of ``output_format`` (json, csv, html).

    Raises:
        ValueError: unknown format.
    """
    if output_format == "json":
        return JsonWriter(out, app_file)
    if output_format == "csv":
        return CsvWriter(out, app_file)
    if output_format == "html":
        return HtmlWriter(out, app_file)
    raise ValueError(f"unknown output format: {output_format}")

