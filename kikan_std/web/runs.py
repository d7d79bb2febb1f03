"""Runs: what an upload is checked as, the check itself (in a worker thread), progress, cancel, limits.

Every run has its own folder and its own :class:`Run` object; a report is only ever stored on the run
that made it, so runs at once cannot mix reports. The folder (the uploaded data) is deleted when the
run ends, whatever the outcome — after moving the data to the history's folder when the user asked to
keep it and the run finished.
"""

from __future__ import annotations

import inspect
import json
import os
import secrets
import shutil
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kikan_std.api import check
from kikan_std.catalogue import Lang
from kikan_std.deliverable import check_deliverable
from kikan_std.errors import InputError, KikanStdError, SpecError, UnsafeArchiveError
from kikan_std.jp.encodings import detect_encoding
from kikan_std.model.spec import Spec
from kikan_std.options import DEFAULT_MASK_KEY, MASK_KEY_ENV
from kikan_std.report.baseline import fingerprint_of_dict
from kikan_std.report.model import Report
from kikan_std.report.waivers import Waivers
from kikan_std.specs import BUILTIN, load_spec, load_spec_file
from kikan_std.web.uploads import Upload, UploadedFile, UploadRefused, pack_folder

State = Literal["uploaded", "queued", "running", "done", "failed", "cancelled"]
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".xml", ".dat", ".fix", ".fixed")
SPEC_SUFFIXES = (".xlsx", ".xlsm", ".json")
SAMPLE_BYTES = 64 * 1024


class Cancelled(Exception):
    """Raised inside the check (from the progress callback) when the user cancels."""


class TimeLimit(Exception):
    """Raised inside the check when the run's time limit is reached."""


@dataclass(frozen=True, slots=True)
class Detected:
    """The encoding guess for one uploaded file, shown before the run."""

    label: str
    encoding: str
    confidence: float
    weak: bool
    reason: str | None


@dataclass(slots=True)
class Plan:
    """What to check: one deliverable zip, or data files against a spec."""

    kind: Literal["deliverable", "files"]
    paths: list[Path]
    labels: dict[str, str]
    spec: Spec | None = None
    spec_label: str = ""


@dataclass(slots=True)
class Job:
    """What every background run has (a check, a migration comparison): its own folder, its state,
    progress, cancel and, when it failed, the message. :func:`run_job` drives it."""

    id: str
    folder: Path
    created: float = field(default_factory=time.monotonic, kw_only=True)
    state: State = field(default="uploaded", kw_only=True)
    file: str = field(default="", kw_only=True)
    records: int = field(default=0, kw_only=True)
    stage: str = field(default="", kw_only=True)
    error: str | None = field(default=None, kw_only=True)
    error_status: int = field(default=422, kw_only=True)
    cancel: threading.Event = field(default_factory=threading.Event, kw_only=True)

    @property
    def url(self) -> str:
        """The run's page."""
        return f"/runs/{self.id}"

    def labels(self) -> dict[str, str]:
        """Server path → the client's file name, for every uploaded file of the run."""
        return {}

    def status(self) -> dict[str, Any]:
        """The JSON the page polls."""
        out: dict[str, Any] = {"state": self.state, "file": self.file, "records": self.records}
        if self.stage:
            out["stage"] = self.stage
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(slots=True)
class Run(Job):
    """One check: its folder, its plan, its state and, at the end, its report (or error)."""

    plan: Plan
    detections: list[Detected]
    report: Report | None = None
    options: dict[str, Any] = field(default_factory=dict)
    kept: Path | None = None
    history_id: int | None = None

    def labels(self) -> dict[str, str]:
        return self.plan.labels

    def status(self) -> dict[str, Any]:
        """The JSON the page polls."""
        out = Job.status(self)
        if self.report is not None:
            out["valid"] = self.report.valid
            out["failed"] = self.report.failed
            out["findings"] = len(self.report.findings)
        return out


def new_id() -> str:
    """An unguessable run id (also the only handle a client has on a run)."""
    return secrets.token_urlsafe(16)


def plan_upload(upload: Upload, folder: Path) -> Plan:
    """Decide what the upload is checked as; files are moved to server-made paths.

    Raises:
        UploadRefused: 422 for an unusable combination, an unknown spec or an unusable spec file.
    """
    data = upload.of("file", "files")
    tree = upload.of("folder")
    spec, spec_label = upload_spec(upload, folder)
    if not data and not tree:
        raise UploadRefused(422, "ファイルが選ばれていません / no file uploaded")
    if spec is None:
        if tree and not data:
            target = pack_folder(tree, folder / "deliverable.zip")
            return Plan("deliverable", [target], {str(target): "フォルダ / folder"})
        if len(data) == 1 and not tree and data[0].label.lower().endswith(".zip"):
            target = folder / "deliverable.zip"
            data[0].path.rename(target)
            return Plan("deliverable", [target], {str(target): data[0].label})
        raise UploadRefused(
            422,
            "仕様を選ぶか、成果物一式（.zip 1つかフォルダ）を選んでください"
            " / choose a spec, or upload one deliverable (.zip or folder)",
        )
    if tree or any(f.label.lower().endswith(".zip") for f in data):
        raise UploadRefused(
            422,
            "成果物一式（.zip・フォルダ）は仕様を選ばずに検査します"
            " / a deliverable (.zip or folder) is checked without choosing a spec",
        )
    paths, labels = place_files(data, folder)
    return Plan("files", paths, labels, spec, spec_label)


def upload_spec(upload: Upload, folder: Path, spec_id: str | None = None) -> tuple[Spec | None, str]:
    """The spec of an upload: its ``spec_file`` (an official workbook or a spec JSON, read and deleted), else
    the built-in ``spec_id`` (default: the ``spec`` field), else None; with the label the page shows.

    Raises:
        UploadRefused: 422 for an unknown spec or an unusable spec file.
    """
    spec_files = upload.of("spec_file")
    spec_id = (upload.get("spec") if spec_id is None else spec_id).strip()
    spec: Spec | None = None
    spec_label = ""
    if spec_files:
        sf = spec_files[0]
        suffix = Path(sf.label).suffix.lower()
        if suffix not in SPEC_SUFFIXES:
            raise UploadRefused(
                422, "仕様ファイルは .xlsx（公式ワークブック）か .json です / a spec file is .xlsx or .json"
            )
        target = folder / f"spec{suffix}"
        sf.path.rename(target)
        try:
            spec = load_spec_file(target)
        except (SpecError, ValueError, OSError) as e:
            raise UploadRefused(422, f"仕様ファイルを読めません / unusable spec file: {_first_line(e)}") from None
        finally:
            target.unlink(missing_ok=True)
        spec_label = f"{sf.label}（{spec.title} {spec.edition}）"
    elif spec_id:
        if spec_id not in BUILTIN:
            raise UploadRefused(422, f"仕様が見つかりません / unknown spec: {spec_id!r}")
        spec = load_spec(spec_id)
        spec_label = f"{spec.id}（{spec.title} {spec.edition}）"
    return spec, spec_label


def place_files(data: list[UploadedFile], folder: Path, first: int = 0) -> tuple[list[Path], dict[str, str]]:
    """Move each uploaded file into its own numbered folder (``in/NNNN``, from ``first``) under its checked
    leaf name: (paths, server path → client name)."""
    # Group detection and the migration outputs read file names; reports show the label, never the path.
    paths: list[Path] = []
    labels: dict[str, str] = {}
    for i, f in enumerate(data, start=first):
        d = folder / "in" / f"{i:04d}"
        d.mkdir(parents=True)
        target = d / f.label
        f.path.rename(target)
        paths.append(target)
        labels[str(target)] = f.label
    return paths, labels


def choose_files(upload: Upload, files: dict[str, tuple[str, tuple[str, ...] | None]]) -> dict[str, UploadedFile]:
    """The upload's file of each named field (``files``: field → (label on the page, accepted suffixes or
    None for any)), at most one each; fields left empty are absent.

    Raises:
        UploadRefused: 422 for two files in one field or a file of the wrong kind.
    """
    chosen: dict[str, UploadedFile] = {}
    for name, (title, suffixes) in files.items():
        got = upload.of(name)
        if len(got) > 1:
            raise UploadRefused(422, f"{title} は1つだけ選んでください / one file only")
        if got:
            if suffixes is not None and not got[0].label.lower().endswith(suffixes):
                raise UploadRefused(422, f"{title} は {' か '.join(suffixes)} のファイルです / must be {' or '.join(suffixes)}")
            chosen[name] = got[0]
    return chosen


def place_named(chosen: dict[str, UploadedFile], folder: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """:func:`place_files` for the files :func:`choose_files` chose: (field → path, server path → client name)."""
    paths: dict[str, Path] = {}
    labels: dict[str, str] = {}
    for i, (name, f) in enumerate(chosen.items()):
        placed, placed_labels = place_files([f], folder, first=i)
        paths[name] = placed[0]
        labels.update(placed_labels)
    return paths, labels


def detect(plan: Plan) -> list[Detected]:
    """The encoding guess of each data file (members of a zip: the first 20 data files, 64 KiB each)."""
    out: list[Detected] = []
    if plan.kind == "files":
        for p in plan.paths:
            with p.open("rb") as fh:
                d = detect_encoding(fh.read(SAMPLE_BYTES))
            out.append(Detected(plan.labels[str(p)], d.encoding, d.confidence, d.weak, d.reason_text("ja")))
        return out
    try:
        with zipfile.ZipFile(plan.paths[0]) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(DATA_SUFFIXES)]
            for info in members[:20]:
                with zf.open(info) as fh:  # a bounded read: a bomb cannot expand here
                    d = detect_encoding(fh.read(SAMPLE_BYTES))
                out.append(Detected(info.filename, d.encoding, d.confidence, d.weak, d.reason_text("ja")))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError):
        pass  # the run itself reports an unusable archive
    return out


def _first_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0][:300]


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(fn).parameters


Progress = Callable[[str, int], None]
"""``progress(file, records)``: what a run's work reports; raises :class:`Cancelled` or :class:`TimeLimit`."""


def error_text(e: BaseException, lang: Lang = "ja") -> str:
    """The message of a failed input as the CLI writes it: a typed error in ``lang``, else its first line."""
    return e.message(lang) if isinstance(e, KikanStdError) else _first_line(e)


def run_job(job: Job, work: Callable[[Progress], None], *, max_seconds: float, lang: Lang = "ja") -> None:
    """Run ``work`` for ``job`` (in a worker thread): state, cancel and time limit (checked whenever the work
    reports progress), failures as a message without a traceback or a server path; the job's folder is
    deleted at the end, whatever the outcome. ``work`` stores its result on the job; the state turns
    ``done`` only after it returns."""
    deadline = time.monotonic() + max_seconds

    def progress(file: str, records: int) -> None:
        job.file = relabel_text(file, job)
        job.records = records
        if job.cancel.is_set():
            raise Cancelled
        if time.monotonic() > deadline:
            raise TimeLimit

    job.state = "running"
    # The outcome is set only once the folder is gone: a page that sees the run ended finds nothing left.
    state: State = "failed"
    error: str | None = None
    status = 422
    try:
        if job.cancel.is_set():
            raise Cancelled
        work(progress)
        state = "done"
    except Cancelled:
        state, error, status = "cancelled", "取り消しました / cancelled", 409
    except TimeLimit:
        error, status = f"時間制限（{max_seconds:g} 秒）を超えたため中止しました / time limit reached", 503
    except UnsafeArchiveError as e:
        error = ("安全でない ZIP 書庫のため検査を中止しました（何も展開していません）/ unsafe archive refused: "
                 f"{relabel_text(_first_line(e), job)}")
    except (InputError, KikanStdError, KeyError, ValueError) as e:
        error = f"入力を検査できません / unusable input: {relabel_text(error_text(e, lang), job)}"
    except Exception as e:  # never a traceback for users
        error, status = f"内部エラー / internal error: {type(e).__name__}", 500
    finally:
        shutil.rmtree(job.folder, ignore_errors=True)
        if error is not None:
            job.error, job.error_status = error, status
        job.state = state


def execute(run: Run, *, encoding: str, lang: Lang, show_values: bool, max_findings: int | None,
            max_seconds: float, waivers: Waivers | None = None, keep_to: Path | None = None,
            on_report: Callable[[Run], None] | None = None) -> None:
    """Check the run's plan; store the report or the error on the run; delete the run's folder.

    ``waivers`` are applied as the CLI's ``--waivers``. With ``keep_to``, the uploaded data of a run
    that finished is moved there first (``run.kept``); otherwise, and on any failure, it is deleted.
    ``on_report`` (recording in the history) runs before the state turns ``done``, so a page that sees
    the run done also finds it in the history.
    """
    run.options = {"encoding": encoding, "lang": lang, "show_values": show_values, "waivers": waivers is not None}

    def work(progress: Progress) -> None:
        plan = run.plan
        if plan.kind == "deliverable":
            extra: dict[str, Any] = {"progress": progress} if _accepts(check_deliverable, "progress") else {}
            report = check_deliverable(
                plan.paths[0], encoding=encoding, lang=lang, show_values=show_values, max_findings=max_findings,
                waivers=waivers, **extra,
            )
        else:
            assert plan.spec is not None  # plan_upload gives files a spec
            extra = {"progress": progress} if _accepts(check, "progress") else {}
            report = check(
                plan.paths, spec=plan.spec, encoding=encoding, lang=lang, show_values=show_values,
                max_findings=max_findings, waivers=waivers, **extra,
            )
        run.report = relabel(report, run)
        if keep_to is not None:
            run.kept = _keep(run, keep_to)
        if on_report is not None:
            try:
                on_report(run)
            except Exception:  # the report stands; what could not be recorded is not kept either
                if run.kept is not None:
                    shutil.rmtree(run.kept, ignore_errors=True)
                    run.kept = None

    run_job(run, work, max_seconds=max_seconds, lang=lang)


def _keep(run: Run, target: Path) -> Path | None:
    """Move the run's uploaded data to ``target`` under the client's file names (numbered folders, as
    uploaded); None (and nothing left there) if it cannot be moved."""
    try:
        target.mkdir(parents=True)
        for i, p in enumerate(run.plan.paths):
            name = p.name if run.plan.kind == "deliverable" else run.plan.labels[str(p)]
            place = target / f"{i:04d}"
            place.mkdir()
            shutil.move(p, place / name)
        return target
    except OSError:
        shutil.rmtree(target, ignore_errors=True)
        return None


def relabel_text(text: str, job: Job) -> str:
    """``text`` with the client's file names in place of the server paths (and no run folder)."""
    for server, label in job.labels().items():
        text = text.replace(server, label)
    return text.replace(str(job.folder), "…")


def relabel_json(text: str, job: Job) -> str:
    """A report's JSON with the client's file names in place of the server paths, wherever they occur."""
    for server, label in job.labels().items():
        text = text.replace(json.dumps(server, ensure_ascii=False)[1:-1], json.dumps(label, ensure_ascii=False)[1:-1])
    return text.replace(json.dumps(str(job.folder), ensure_ascii=False)[1:-1], "…")


def refusal(e: BaseException, labels: dict[str, str]) -> UploadRefused:
    """A 422 refusal of an upload whose option file (mapping …) is unusable: the CLI's message, with the
    client's file names in place of the server paths."""
    text = error_text(e)
    for server, label in labels.items():
        text = text.replace(server, label)
    return UploadRefused(422, f"入力を検査できません / unusable input: {text}")


def mask_key() -> bytes:
    """The key of the masking hashes: ``$KIKAN_STD_MASK_KEY``, else the built-in key (as the CLI without
    ``--mask-key``)."""
    key = os.environ.get(MASK_KEY_ENV)
    return key.encode("utf-8") if key else DEFAULT_MASK_KEY


def relabel(report: Report, run: Run) -> Report:
    """The report with the client's file names in place of the server paths, wherever they occur
    (inputs, findings, statistics keys, messages): replaced in its JSON, then read back."""
    text = relabel_json(report.model_dump_json(), run)
    data = json.loads(text)
    if run.plan.kind == "files":
        # Fingerprints name the file: made again with the client's name, they match between runs
        # (and with the CLI's for the same file name), so history comparisons and baselines work.
        key = mask_key()
        for f in data["findings"]:
            f["fingerprint"] = fingerprint_of_dict({**f, "fingerprint": None}, key)
    return Report.model_validate(data)
