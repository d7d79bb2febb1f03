"""移行検証 in the web app: the 移行前 and 移行後 extracts uploaded (with a legacy mapping, expected
differences and a key table when needed), compared in the background exactly as ``kikan-std compare``
does, and shown as the page it writes (:func:`kikan_std.migration.html.compare_html`); one extract alone
is profiled as ``kikan-std profile`` does.

The run's lifecycle (state, cancel, time limit, error text, the folder deleted at the end) is the check's
(:func:`kikan_std.web.runs.run_job`); the upload is the check's streamed, capped parser. Personal values
are masked as the CLI masks them (``$KIKAN_STD_MASK_KEY``, else the built-in key) unless the user asks.
With a history folder, a finished run is recorded there (:meth:`kikan_std.web.history.History.add_migration`):
its JSON as served, the files it read (name, size, SHA-256) and its options.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kikan_std.errors import KikanStdError
from kikan_std.jp.encodings import detect_encoding
from kikan_std.migration.model import CompareReport, ProfileReport
from kikan_std.model.spec import Spec
from kikan_std.specs import BUILTIN, load_spec
from kikan_std.web.runs import (
    SAMPLE_BYTES,
    Detected,
    Job,
    Progress,
    choose_files,
    mask_key,
    place_named,
    refusal,
    relabel_json,
    run_job,
    upload_spec,
)
from kikan_std.web.uploads import Upload, UploadRefused

ENCODINGS = ("utf-8", "cp932", "shift_jis", "euc_jp")
DEFAULT_SPEC = "jumin_kiroku"
STAGES = {
    "load_before": "移行前を読み込み中 / loading the old extract",
    "load_after": "移行後を読み込み中 / loading the new extract",
    "compare": "項目を比較中 / comparing items",
    "kinds": "差異の種類を判定中 / classifying differences",
    "load": "読み込み中 / loading",
    "profile": "集計中 / profiling",
}
"""Progress text per step of :data:`kikan_std.migration.compare.Progress`."""

# Upload field → (label on the page, accepted suffixes or None for any).
FILES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "before": ("移行前 / old extract", None),
    "after": ("移行後 / new extract", None),
    "mapping": ("対応表 / mapping", (".toml",)),
    "expected": ("想定差異 / expected differences", (".toml",)),
    "key_map": ("キーの対応表 / key table", (".csv", ".txt")),
}


@dataclass(slots=True)
class MigrationPlan:
    """What to compare (both extracts) or profile (one), with the options ``kikan-std compare`` takes."""

    spec: Spec
    group: str | None
    paths: dict[str, Path]
    labels: dict[str, str]
    tolerance: list[str]
    mapping_encoding: str | None = None

    @property
    def kind(self) -> Literal["compare", "profile"]:
        """``compare`` with both extracts, else ``profile`` of the one given."""
        return "compare" if "before" in self.paths and "after" in self.paths else "profile"

    def label(self, name: str) -> str:
        """The client's file name of the upload ``name`` (``before``, ``mapping`` …), or ''."""
        p = self.paths.get(name)
        return self.labels[str(p)] if p is not None else ""


@dataclass(slots=True)
class MigrationRun(Job):
    """One 移行検証 run: its plan, the encoding guesses and, at the end, the report (or the error)."""

    plan: MigrationPlan
    detections: dict[str, Detected]
    result: CompareReport | ProfileReport | None = None
    options: dict[str, Any] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)
    history_id: int | None = None

    @property
    def url(self) -> str:
        return f"/migration/{self.id}"

    def labels(self) -> dict[str, str]:
        return self.plan.labels

    def status(self) -> dict[str, Any]:
        """The JSON the page polls."""
        out = Job.status(self)
        if isinstance(self.result, CompareReport):
            out["verdict"] = self.result.verdict
            out["valid"] = self.result.valid
        return out


def spec_choices() -> list[tuple[str, str]]:
    """(value, label) of every built-in spec group that has a primary key (records are matched by it)."""
    out: list[tuple[str, str]] = []
    for sid in BUILTIN:
        s = load_spec(sid)
        groups = [g for g in s.groups if g.primary_key]
        for g in groups:
            value = sid if len(groups) == 1 else f"{sid}|{g.name}"
            name = s.title if len(groups) == 1 else f"{s.title}・{g.name}"
            out.append((value, f"{name} {s.edition}（キー: {'+'.join(g.primary_key)}）"))
    return out


def plan_migration(upload: Upload, folder: Path) -> MigrationPlan:
    """Check the upload and move its files to server-made paths; mapping, expected differences and tolerance
    are read now, so a bad one is said before anything runs.

    Raises:
        UploadRefused: 422 for a missing extract or spec, a file of the wrong kind, an unusable mapping,
            expected-differences file or tolerance (the CLI's message).
    """
    value = upload.get("spec", DEFAULT_SPEC).strip()
    spec_id, _, group = value.partition("|")
    spec, _ = upload_spec(upload, folder, spec_id=spec_id)
    if spec is None:
        raise UploadRefused(422, "仕様を選んでください / choose a spec")
    chosen = choose_files(upload, FILES)
    if "before" not in chosen and "after" not in chosen:
        raise UploadRefused(422, "移行前・移行後のファイルを選んでください / choose the old and the new extract")
    paths, labels = place_named(chosen, folder)
    tolerance = [t for t in re.split(r"[\s,、]+", upload.get("tolerance")) if t]
    plan = MigrationPlan(spec, group or None, paths, labels, tolerance)
    from kikan_std.migration.compare import ExpectedDifferences, parse_tolerance
    from kikan_std.migration.mapping import load_mapping

    try:
        parse_tolerance(tolerance)
        if "expected" in paths:
            ExpectedDifferences.load(paths["expected"])
        if "mapping" in paths:
            mp = load_mapping(paths["mapping"])
            plan.mapping_encoding = mp.mapping.encoding
            if mp.keys is not None and mp.keys.file and "key_map" not in paths:
                # The mapping names a file beside it on the author's PC: never a path on this server.
                raise UploadRefused(
                    422,
                    f"対応表がキーの対応表のファイル（{mp.keys.file}）を参照しています。そのファイルを「キーの対応表」で"
                    " アップロードしてください / the mapping refers to a key table file: upload it as the key table",
                )
    except KikanStdError as e:
        raise refusal(e, labels) from None
    return plan


def detect(plan: MigrationPlan) -> dict[str, Detected]:
    """The encoding guess of each extract (its first 64 KiB)."""
    out: dict[str, Detected] = {}
    for name in ("before", "after"):
        p = plan.paths.get(name)
        if p is None:
            continue
        with p.open("rb") as fh:
            d = detect_encoding(fh.read(SAMPLE_BYTES))
        out[name] = Detected(plan.labels[str(p)], d.encoding, d.confidence, d.weak, d.reason_text("ja"))
    return out


def best_encoding(run: MigrationRun, name: str) -> str:
    """The encoding the start page selects for extract ``name``: the guess, if it is one offered."""
    d = run.detections.get(name)
    return d.encoding if d is not None and d.encoding in ENCODINGS else "utf-8"


def file_records(plan: MigrationPlan) -> list[dict[str, Any]]:
    """What the run read, for the record: each uploaded file's role, client name, size and SHA-256."""
    out: list[dict[str, Any]] = []
    for role, p in plan.paths.items():
        with p.open("rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
        out.append({"role": role, "name": plan.labels[str(p)], "bytes": p.stat().st_size, "sha256": digest})
    return out


def execute_migration(run: MigrationRun, *, before_encoding: str, after_encoding: str, show_values: bool,
                      max_seconds: float, on_result: Callable[[MigrationRun], None] | None = None) -> None:
    """Compare (or profile) the run's extracts as the CLI does; store the report or the error on the run;
    delete the run's folder (:func:`~kikan_std.web.runs.run_job`).

    ``on_result`` (recording in the history) runs before the state turns ``done``, so a page that sees the
    run done also finds it in the history; if it fails, the result stands (not recorded).
    """
    plan = run.plan
    run.options = {"before_encoding": plan.mapping_encoding or before_encoding, "after_encoding": after_encoding,
                   "show_values": show_values}

    def work(progress: Progress) -> None:
        from kikan_std.migration import profile
        from kikan_std.migration.compare import compare, parse_tolerance

        def step(stage: str, done: int, total: int) -> None:
            many = stage in ("compare", "kinds") and total
            run.stage = STAGES.get(stage, stage) + (f"（{done + 1}/{total}）" if many else "")
            progress("", 0)

        p = plan.paths
        mapping = p.get("mapping")
        result: CompareReport | ProfileReport
        if plan.kind == "compare":
            result = compare(
                p["before"], p["after"], plan.spec, group=plan.group, mapping=mapping,
                before_encoding=before_encoding, after_encoding=after_encoding, key_map=p.get("key_map"),
                expected=p.get("expected"), tolerance=parse_tolerance(plan.tolerance), show_values=show_values,
                mask_key=mask_key(), progress=step,
            )
        elif "before" in p:
            result = profile(p["before"], plan.spec, group=plan.group, encoding=before_encoding, mapping=mapping,
                             show_values=show_values, progress=step)
        else:
            result = profile(p["after"], plan.spec, group=plan.group, encoding=after_encoding,
                             show_values=show_values, progress=step)
        run.result = type(result).model_validate_json(relabel_json(result.model_dump_json(), run))
        if on_result is not None:
            run.stage = "記録中 / recording"
            # The result stands if it cannot be recorded: the page then shows no history link.
            with contextlib.suppress(Exception):
                run.files = file_records(plan)  # hashed while the uploads are still there
                on_result(run)
        run.stage = ""

    run_job(run, work, max_seconds=max_seconds)


def result_json(result: CompareReport | ProfileReport) -> str:
    """The JSON the CLI writes with ``--output-format json`` (and the page downloads, and the history keeps)."""
    return result.model_dump_json(indent=1) + "\n"


def stored_result(text: str) -> CompareReport | ProfileReport:
    """A result read back from its JSON (as :func:`result_json` wrote it, e.g. kept in the history)."""
    kind = json.loads(text).get("kind")
    return CompareReport.model_validate_json(text) if kind == "compare" else ProfileReport.model_validate_json(text)


def result_html(result: CompareReport | ProfileReport) -> str:
    """The page the CLI writes with ``--output-format html``."""
    from kikan_std.migration.html import compare_html, profile_html

    return compare_html(result) if isinstance(result, CompareReport) else profile_html(result)


def unexplained(result: CompareReport | ProfileReport | None) -> int:
    """How many differences of a comparison are unexplained (0 for a profile)."""
    if not isinstance(result, CompareReport):
        return 0
    return sum(d.status == "unexplained" for d in result.differences)
