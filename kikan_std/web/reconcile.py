"""突合 in the web app: the applications and the beneficiary list uploaded (with a column mapping when
needed), matched in the background exactly as ``kikan-std reconcile`` does, and shown as the page it
writes; the JSON and CSV it writes are downloads.

The run's lifecycle (state, cancel, time limit, error text, the folder deleted at the end) is the check's
(:func:`kikan_std.web.runs.run_job`); the upload is the check's streamed, capped parser. Outputs are always
masked (``$KIKAN_STD_MASK_KEY``, else the built-in key, as the CLI without ``--mask-key``): the page offers
no way to show values. No 総合振込 file is written here: a payment file needs the 依頼人 configuration and
stays a CLI step (``kikan-std reconcile --transfer-file``).

``reconcile_to`` writes one format per pass, so a run reads the inputs three times (JSON, HTML, CSV); the
three outputs are kept in memory (masked) until the run is forgotten (an hour), never on disk.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kikan_std.errors import KikanStdError
from kikan_std.jp.encodings import detect_encoding
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
    relabel_text,
    run_job,
)
from kikan_std.web.uploads import Upload, UploadRefused

ENCODINGS = ("auto", "utf-8", "utf-8-sig", "cp932")
"""What ``kikan-std reconcile --encoding`` takes (``auto``: UTF-8 with or without BOM, else CP932)."""
DEFAULT_AMOUNT = 100_000
MAX_AMOUNT = 10**12
FORMATS = ("json", "html", "csv")
"""The outputs, in the order they are written (the JSON first: the page's counts come from it)."""
MEDIA = {"json": "application/json", "html": "text/html; charset=utf-8", "csv": "text/csv; charset=utf-8"}
STAGES = {"json": "JSON を作成中", "html": "HTML を作成中", "csv": "CSV を作成中"}
PROGRESS_EVERY = 256
"""Writes between two progress calls (where cancel and the time limit are checked)."""

# Upload field → (label on the page, accepted suffixes or None for any).
FILES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "applications": ("申請データ / applications", None),
    "beneficiaries": ("給付対象者名簿 / beneficiary list", None),
    "mapping": ("列名の対応表 / column mapping", (".json",)),
}


def default_threshold() -> float:
    """The CLI's default threshold (``--threshold``)."""
    from kikan_std.reconcile.match import DEFAULT_THRESHOLD

    return DEFAULT_THRESHOLD


@dataclass(slots=True)
class ReconcilePlan:
    """What to reconcile, with the options ``kikan-std reconcile`` takes (the transfer file aside)."""

    paths: dict[str, Path]
    labels: dict[str, str]
    amount: int
    threshold: float
    mapping: dict[str, Any] | None = None

    def label(self, name: str) -> str:
        """The client's file name of the upload ``name`` (``applications``, ``mapping`` …), or ''."""
        p = self.paths.get(name)
        return self.labels[str(p)] if p is not None else ""


@dataclass(slots=True)
class ReconcileRun(Job):
    """One 突合 run: its plan, the encoding guesses and, at the end, the summary and the outputs."""

    plan: ReconcilePlan
    detections: dict[str, Detected]
    encoding: str = "auto"
    outputs: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"/reconcile/{self.id}"

    def labels(self) -> dict[str, str]:
        return self.plan.labels

    def status(self) -> dict[str, Any]:
        """The JSON the page polls."""
        out = Job.status(self)
        if self.counts:
            out["counts"] = self.counts
        return out


def _number(upload: Upload, name: str, default: str, title: str) -> float:
    text = upload.get(name, default).strip().replace(",", "") or default
    try:
        return float(text)
    except ValueError:
        raise UploadRefused(422, f"{title}は数で入力してください / {name} must be a number: {text[:40]!r}") from None


def plan_reconcile(upload: Upload, folder: Path) -> ReconcilePlan:
    """Check the upload and move its files to server-made paths; the mapping and the numbers are read now,
    so a bad one is said before anything runs.

    Raises:
        UploadRefused: 422 for a missing file, a file of the wrong kind, an unusable mapping, amount or
            threshold (the CLI's message for the mapping).
    """
    chosen = choose_files(upload, FILES)
    if "applications" not in chosen or "beneficiaries" not in chosen:
        raise UploadRefused(422, "申請データと給付対象者名簿の両方を選んでください"
                                 " / choose the applications and the beneficiary list")
    amount = _number(upload, "amount", str(DEFAULT_AMOUNT), "1人あたりの給付額")
    if amount != int(amount) or not 0 <= amount <= MAX_AMOUNT:
        raise UploadRefused(422, "1人あたりの給付額は0以上の整数（円）で入力してください"
                                 " / the amount per person is a whole number of yen >= 0")
    threshold = _number(upload, "threshold", str(default_threshold()), "信頼度の下限")
    if not 0 <= threshold <= 1:
        raise UploadRefused(422, "信頼度の下限は 0 から 1 の数です / the threshold is between 0 and 1")
    paths, labels = place_named(chosen, folder)
    plan = ReconcilePlan(paths, labels, int(amount), threshold)
    if "mapping" in paths:
        from kikan_std.reconcile import load_mapping

        try:
            plan.mapping = load_mapping(paths["mapping"])
        except KikanStdError as e:
            raise refusal(e, labels) from None
    return plan


def detect(plan: ReconcilePlan) -> dict[str, Detected]:
    """The encoding guess of each CSV (its first 64 KiB)."""
    out: dict[str, Detected] = {}
    for name in ("applications", "beneficiaries"):
        p = plan.paths[name]
        with p.open("rb") as fh:
            d = detect_encoding(fh.read(SAMPLE_BYTES))
        out[name] = Detected(plan.labels[str(p)], d.encoding, d.confidence, d.weak, d.reason_text("ja"))
    return out


class _Watched(io.StringIO):
    """The report buffer: every :data:`PROGRESS_EVERY` writes it reports progress, which raises on cancel or
    at the time limit (``reconcile_to`` writes as applications are decided, so this is checked all along)."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self._progress = progress
        self._writes = 0

    def write(self, s: str, /) -> int:
        self._writes += 1
        if self._writes % PROGRESS_EVERY == 0:
            self._progress("", 0)
        return super().write(s)


def execute_reconcile(run: ReconcileRun, *, encoding: str, max_seconds: float) -> None:
    """Reconcile the run's files as the CLI does, once per output (JSON, HTML, CSV), masked; store the
    outputs (server paths replaced by the client's file names) and the counts on the run, or the error;
    delete the run's folder (:func:`~kikan_std.web.runs.run_job`)."""
    plan = run.plan
    run.encoding = encoding

    def work(progress: Progress) -> None:
        from kikan_std.reconcile import reconcile_to

        outputs: dict[str, str] = {}
        for i, fmt in enumerate(FORMATS):
            run.stage = f"{STAGES[fmt]}（{i + 1}/{len(FORMATS)}）/ writing {fmt}"
            progress("", 0)
            buf = _Watched(progress)
            reconcile_to(
                plan.paths["applications"], plan.paths["beneficiaries"], buf, output_format=fmt,
                show_values=False, mask_key=mask_key(), encoding=encoding, amount_per_person=plan.amount,
                mapping=plan.mapping, threshold=plan.threshold,
            )
            text = buf.getvalue()
            outputs[fmt] = relabel_json(text, run) if fmt == "json" else relabel_text(text, run)
        run.counts = counts(outputs["json"])
        run.outputs = outputs
        run.stage = ""

    run_job(run, work, max_seconds=max_seconds)


def counts(json_text: str) -> dict[str, int]:
    """The counts the result page shows, from the JSON output."""
    data = json.loads(json_text)
    s = data["summary"]
    return {
        "applications": s["applications"],
        "beneficiaries": s["beneficiaries"],
        "matched": s["matched"],
        "review": s.get("review", 0),
        "ambiguous": s["ambiguous"],
        "unmatched_applications": s["unmatched_applications"],
        "unmatched_beneficiaries": s["unmatched_beneficiaries"],
        "duplicates": s["duplicates"],
        "unresolved_banks": len(data.get("unresolved_banks", [])),
        "persons": s["persons"],
        "amount": s["amount"],
    }


def download(run: ReconcileRun, fmt: str) -> bytes:
    """The bytes of output ``fmt`` as the CLI writes it with ``-o``: the CSV with a BOM (``utf-8-sig``)."""
    text = run.outputs[fmt]
    return (("\ufeff" if fmt == "csv" else "") + text).encode("utf-8")
