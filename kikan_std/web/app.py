"""The web app: server-rendered pages for auditors and a REST API for CI, on Starlette.

Pages (Japanese first): choose files / a folder / a zip and a spec → the encoding guess is shown →
start → progress (polled) with cancel → verdict, the HTML report in the page, downloads; with a data
folder, the run history (v1 → v2 comparison with the ``--fail-on new`` verdict, waivers recorded from the
page and exported for ``--waivers``, uploads kept only on request, 移行検証 runs recorded too); 移行検証
(``/migration``: the old and the new extract compared as ``kikan-std compare`` does, see
:mod:`kikan_std.web.migration`); 突合 (``/reconcile``: benefit applications matched to the beneficiary
list as ``kikan-std reconcile`` does, masked, no transfer file, see :mod:`kikan_std.web.reconcile`). The REST API
(``/api/v1/…``, documented at ``/api/v1/openapi.json``) answers as KoSIT's validator does: 200
conformant, 406 not conformant, 422 unusable input or spec, 413 too large.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import ipaddress
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kikan_std._version import __version__
from kikan_std.catalogue import Lang
from kikan_std.specs import BUILTIN, load_spec
from kikan_std.web import migration as mig
from kikan_std.web import reconcile as rec
from kikan_std.web.history import History
from kikan_std.web.openapi import openapi
from kikan_std.web.runs import Job, Run, detect, execute, new_id, plan_upload
from kikan_std.web.security import SESSION_COOKIE, TOKEN_COOKIE, Guard, csrf_ok, csrf_token, report_csp
from kikan_std.web.uploads import Upload, UploadRefused, receive_upload
from kikan_std.writers import render

MiB = 1024 * 1024
FORMATS: dict[str, tuple[str, str]] = {  # download name → (writer format, media type)
    "json": ("json", "application/json"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "sarif": ("sarif", "application/sarif+json"),
    "junit.xml": ("junit", "application/xml"),
    "html": ("html", "text/html; charset=utf-8"),
    "txt": ("text", "text/plain; charset=utf-8"),
}
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")
ENCODINGS = ("utf-8", "cp932", "shift_jis", "euc_jp", "auto")
STATIC = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
UPLOAD_SECONDS = 600.0
KEEP_SECONDS = 3600.0
J = TypeVar("J", bound=Job)
NOT_FOR_MIGRATION = {
    "waivers": "承認（waiver）は適合性の検査の指摘に登録します。移行検証の実行には登録できません"
               " / waivers apply to conformance check runs, not to 移行検証 runs",
    "compare": "前回との比較は適合性の検査の実行どうしで行います。移行検証の実行は比べられません"
               " / only conformance check runs can be compared here, not 移行検証 runs",
}
"""Refusals of what the history offers check runs only, asked for a 移行検証 entry."""


@dataclass(frozen=True, slots=True)
class WebConfig:
    """Settings of ``kikan-std serve``.

    Attributes:
        host: Address to bind; loopback by default. Any other needs ``token``.
        port: TCP port.
        work_dir: Where uploads live while their run lasts (default: a new temporary folder).
        max_upload_bytes: Largest request body; more is refused with 413 as it arrives.
        max_seconds: Time limit of one run.
        workers: Runs checked at once (more wait in a queue).
        token: The token the REST API (and pages) require; required beyond loopback.
        data_dir: Folder of the run history (SQLite: reports, waivers recorded on the page; uploaded data
            only for runs where the user asks); None keeps no history.
        max_findings: Findings stored per code.
    """

    host: str = "127.0.0.1"
    port: int = 8765
    work_dir: Path | None = None
    max_upload_bytes: int = 512 * MiB
    max_seconds: float = 600.0
    workers: int = 2
    token: str | None = None
    data_dir: Path | None = None
    max_findings: int | None = 1000


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _State:
    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self.work = config.work_dir or Path(tempfile.mkdtemp(prefix="kikan-web-"))
        self.work.mkdir(parents=True, exist_ok=True)
        self.secret = secrets.token_bytes(32)
        self.runs: dict[str, Job] = {}  # check runs, 移行検証 runs and 突合 runs
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="kikan-run")
        self.limiter = anyio.CapacityLimiter(config.workers)
        self.history = History(config.data_dir) if config.data_dir is not None else None
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("kikan_std.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    def sweep(self) -> None:
        """Forget finished runs after an hour; delete uploads never started after half an hour."""
        now = time.monotonic()
        with self.lock:
            for rid, run in list(self.runs.items()):
                idle = now - run.created
                if (run.state == "uploaded" and idle > KEEP_SECONDS / 2) or (
                    run.state in ("done", "failed", "cancelled") and idle > KEEP_SECONDS
                ):
                    shutil.rmtree(run.folder, ignore_errors=True)
                    del self.runs[rid]

    def get(self, rid: str, kind: type[J]) -> J | None:
        """The run ``rid`` if it is a ``kind`` (a check id never opens a 移行検証 page, nor the reverse)."""
        with self.lock:
            job = self.runs.get(rid)
        return job if isinstance(job, kind) else None


def _specs() -> list[dict[str, str]]:
    out = []
    for sid in BUILTIN:
        s = load_spec(sid)
        out.append({"id": s.id, "title": s.title, "edition": s.edition, "published": s.published,
                    "provenance": s.provenance, "source": s.source})
    return out


def _lang(value: str) -> Lang:
    return "en" if value == "en" else "ja"


def _too_large(request: Request, limit: int) -> bool:
    try:
        return int(request.headers.get("content-length", "0")) > limit
    except ValueError:
        return True


def _cross_site(request: Request) -> bool:
    """A POST a browser sent from another site (Origin or Sec-Fetch-Site tell)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    return origin is not None and origin != f"{request.url.scheme}://{request.headers.get('host', '')}"


def attachment(body: str, media_type: str, filename: str) -> Response:
    """A download: ``body`` saved by the browser as ``filename`` (ASCII names only, made by this module)."""
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def create_app(config: WebConfig | None = None) -> Guard:
    """The ASGI app of ``kikan-std serve`` (see :class:`WebConfig`)."""
    cfg = config or WebConfig()
    st = _State(cfg)
    max_mib = cfg.max_upload_bytes // MiB

    def page(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        session = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(24)
        body = st.env.get_template(template).render(
            csrf=csrf_token(st.secret, session), version=__version__, history=st.history is not None,
            max_mib=max_mib, **ctx,
        )
        resp = HTMLResponse(body, status_code=status)
        if request.cookies.get(SESSION_COOKIE) != session:
            resp.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        token = request.query_params.get("token")
        if cfg.token is not None and token is not None and token == cfg.token:
            resp.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict", path="/")
        return resp

    def report_view(text: str, media_type: str) -> Response:
        """A report page shown in the result page's frame or its own tab, under the report's own CSP."""
        return Response(text, media_type=media_type, headers={
            "content-security-policy": report_csp(text), "x-frame-options": "SAMEORIGIN"})

    def refuse_page(request: Request, status: int, message: str) -> HTMLResponse:
        resp = page(request, "error.html.j2", status=status, message=message)
        if status in (400, 403, 408, 413, 415):  # the rest of the body is not read: close the connection
            resp.headers["connection"] = "close"
        return resp

    def csrf_refusal(request: Request) -> HTMLResponse | None:
        if _cross_site(request) or not csrf_ok(
            st.secret, request.cookies.get(SESSION_COOKIE), request.query_params.get("csrf")
        ):
            return refuse_page(
                request, 403,
                "フォームの確認用トークン（CSRF）が無効です。ページを開き直してから操作してください"
                " / invalid or missing CSRF token: reload the page and try again",
            )
        return None

    async def index(request: Request) -> Response:
        st.sweep()
        return page(request, "index.html.j2", specs=_specs())

    async def take_upload(request: Request, make: Callable[[Upload, Path, str], Job],
                          folder_fields: tuple[str, ...] = ()) -> Response:
        """Receive a page's upload into a new run folder (streamed, capped); ``make`` (in a thread) turns it
        into the run, or refuses it; the folder is deleted with any refusal."""
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        if _too_large(request, cfg.max_upload_bytes):
            return refuse_page(request, 413, f"アップロードが大きすぎます（上限 {max_mib:,} MiB）/ upload too large")
        st.sweep()
        rid = new_id()
        folder = st.work / rid
        folder.mkdir()
        try:
            with anyio.fail_after(UPLOAD_SECONDS):
                up = await receive_upload(request.stream(), request.headers.get("content-type", ""), folder,
                                          cfg.max_upload_bytes, folder_fields=folder_fields)
            job = await anyio.to_thread.run_sync(make, up, folder, rid)
        except UploadRefused as e:
            shutil.rmtree(folder, ignore_errors=True)
            return refuse_page(request, e.status, e.message)
        except TimeoutError:
            shutil.rmtree(folder, ignore_errors=True)
            return refuse_page(request, 408, "アップロードに時間がかかりすぎました / upload took too long")
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with st.lock:
            st.runs[rid] = job
        return RedirectResponse(job.url, status_code=303)

    def make_check(up: Upload, folder: Path, rid: str) -> Job:
        plan = plan_upload(up, folder)
        return Run(rid, folder, plan, detect(plan))

    def make_migration(up: Upload, folder: Path, rid: str) -> Job:
        plan = mig.plan_migration(up, folder)
        return mig.MigrationRun(rid, folder, plan, mig.detect(plan))

    def make_reconcile(up: Upload, folder: Path, rid: str) -> Job:
        plan = rec.plan_reconcile(up, folder)
        return rec.ReconcileRun(rid, folder, plan, rec.detect(plan))

    async def upload(request: Request) -> Response:
        return await take_upload(request, make_check, folder_fields=("folder",))

    async def run_page(request: Request) -> Response:
        run = st.get(request.path_params["rid"], Run)
        if run is None:
            return refuse_page(request, 404, "この実行は見つかりません（期限切れの可能性）/ run not found")
        best = run.detections[0].encoding if run.detections else "utf-8"
        if best not in ENCODINGS:
            best = "auto"
        downloads = [(name, f"/runs/{run.id}/report.{name}") for name in FORMATS]
        active = [w for w in st.history.waivers() if not w["expired"]] if st.history is not None else []
        return page(request, "run.html.j2", run=run, encodings=ENCODINGS, best=best, downloads=downloads,
                    active_waivers=len(active))

    async def start(request: Request) -> Response:
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        run = st.get(request.path_params["rid"], Run)
        if run is None or run.state != "uploaded":
            return refuse_page(request, 404, "開始できる実行がありません / no run to start")
        if _too_large(request, 64 * 1024) or "content-length" not in request.headers:
            return refuse_page(request, 413, "送信内容が大きすぎます / form too large")
        form = await request.form(max_files=0, max_fields=10)
        encoding = str(form.get("encoding", "utf-8"))
        if encoding not in ENCODINGS:
            return refuse_page(request, 422, f"未知の文字コードです / unknown encoding: {encoding}")
        history = st.history
        waivers = history.waivers_for_run() if history is not None and form.get("apply_waivers") == "on" else None
        keep_to = history.kept_folder(run.id) if history is not None and form.get("keep_data") == "on" else None
        run.state = "queued"
        job = functools.partial(
            execute, run, encoding=encoding, lang=_lang(str(form.get("lang", "ja"))),
            show_values=form.get("show_values") == "on", max_findings=cfg.max_findings,
            max_seconds=cfg.max_seconds, waivers=waivers, keep_to=keep_to,
            on_report=functools.partial(_record, st=st),
        )
        st.pool.submit(job)
        return RedirectResponse(f"/runs/{run.id}", status_code=303)

    def cancel_of(kind: type[Job]) -> Callable[[Request], Any]:
        async def cancel(request: Request) -> Response:
            refusal = csrf_refusal(request)
            if refusal is not None:
                return refusal
            run = st.get(request.path_params["rid"], kind)
            if run is None:
                return refuse_page(request, 404, "この実行は見つかりません / run not found")
            run.cancel.set()
            if run.state == "uploaded":  # never started: delete the upload now
                shutil.rmtree(run.folder, ignore_errors=True)
                run.state, run.error = "cancelled", "取り消しました / cancelled"
            return RedirectResponse(run.url, status_code=303)
        return cancel

    def status_of(kind: type[Job]) -> Callable[[Request], Any]:
        async def status(request: Request) -> Response:
            run = st.get(request.path_params["rid"], kind)
            if run is None:
                return JSONResponse({"error": "run not found"}, status_code=404)
            return JSONResponse(run.status())
        return status

    async def report(request: Request) -> Response:
        run = st.get(request.path_params["rid"], Run)
        name = request.path_params["fmt"]
        if run is None or run.report is None or name not in FORMATS:
            return refuse_page(request, 404, "レポートがありません / no such report")
        fmt, media = FORMATS[name]
        text = render(run.report, fmt)
        if fmt == "html" and request.query_params.get("view") in ("inline", "page"):
            return report_view(text, media)
        return attachment(text, media, f"kikan-report-{run.id[:8]}.{name}")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:  # a fixed list: the name never reaches the file system
            return Response("not found", status_code=404, media_type="text/plain")
        body = (resources.files("kikan_std.web") / "static" / name).read_bytes()
        return Response(body, media_type=STATIC[name], headers={"cache-control": "no-cache"})

    def no_history(request: Request) -> HTMLResponse:
        return refuse_page(request, 404, "履歴は無効です（--data-dir で有効）/ history is off (use --data-dir)")

    async def small_form(request: Request, limit: int = 1024 * 1024) -> Any:
        """The posted form (urlencoded or multipart without files), or a refusal page."""
        if _too_large(request, limit) or "content-length" not in request.headers:
            return refuse_page(request, 413, "送信内容が大きすぎます / form too large")
        return await request.form(max_files=0, max_fields=10000)

    async def start_form(request: Request, kind: type[J]) -> tuple[J, Any] | Response:
        """The uploaded run of ``kind`` a start form names, with the form; or the refusal (CSRF, no run to
        start, a form too large)."""
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        run = st.get(request.path_params["rid"], kind)
        if run is None or run.state != "uploaded":
            return refuse_page(request, 404, "開始できる実行がありません / no run to start")
        form = await small_form(request, 64 * 1024)
        if isinstance(form, Response):
            return form
        return run, form

    async def history_page(request: Request) -> Response:
        if st.history is None:
            return no_history(request)
        return page(request, "history.html.j2", rows=st.history.list(), waivers=st.history.waivers())

    async def history_run(request: Request) -> Response:
        if st.history is None:
            return no_history(request)
        entry = st.history.entry(request.path_params["hid"])
        if entry is None:
            return refuse_page(request, 404, "履歴が見つかりません / not in the history")
        if entry["migration"]:
            return page(request, "history_migration.html.j2", e=entry, r=entry["report"])
        recorded = {w["fingerprint"]: w for w in st.history.waivers()}
        return page(request, "history_run.html.j2", e=entry, r=entry["report"], recorded=recorded,
                    waived=request.query_params.get("waived", ""), today=time.strftime("%Y-%m-%d"))

    async def history_waive(request: Request) -> Response:
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        if st.history is None:
            return no_history(request)
        hid = request.path_params["hid"]
        kind = st.history.kind_of(hid)
        if kind is None:
            return refuse_page(request, 404, "履歴が見つかりません / not in the history")
        if kind != "check":
            return refuse_page(request, 422, NOT_FOR_MIGRATION["waivers"])
        form = await small_form(request)
        if isinstance(form, Response):
            return form
        fps = [str(v) for v in form.getlist("fp")]
        reason, owner = str(form.get("reason", "")).strip(), str(form.get("owner", "")).strip()
        expires_text = str(form.get("expires", "")).strip()
        problem = None
        expires: _dt.date | None = None
        if not fps or not all(_FINGERPRINT.fullmatch(fp) for fp in fps):
            problem = "承認する指摘を選んでください / choose the findings to accept"
        elif not reason or not owner or len(reason) > 1000 or len(owner) > 200:
            problem = "理由と担当者を入力してください / a reason and an owner are required"
        elif expires_text:
            try:
                expires = _dt.date.fromisoformat(expires_text)
            except ValueError:
                problem = f"期限は YYYY-MM-DD の日付です / the expiry is a date YYYY-MM-DD: {expires_text[:20]}"
            else:
                if expires < _dt.date.today():
                    problem = "期限が過去の日付です / the expiry date is in the past"
        if problem is not None:
            return refuse_page(request, 422, problem)
        n = st.history.add_waivers(hid, fps, reason=reason, owner=owner, expires=expires)
        return RedirectResponse(f"/history/{hid}?waived={n}", status_code=303)

    async def history_unwaive(request: Request) -> Response:
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        if st.history is None:
            return no_history(request)
        if not st.history.delete_waiver(request.path_params["wid"]):
            return refuse_page(request, 404, "その承認はありません / no such waiver")
        return RedirectResponse("/history#waivers", status_code=303)

    async def history_delete(request: Request) -> Response:
        refusal = csrf_refusal(request)
        if refusal is not None:
            return refusal
        if st.history is None:
            return no_history(request)
        if not st.history.delete(request.path_params["hid"]):
            return refuse_page(request, 404, "履歴が見つかりません / not in the history")
        return RedirectResponse("/history", status_code=303)

    async def history_waivers_toml(request: Request) -> Response:
        if st.history is None:
            return no_history(request)
        return attachment(st.history.waiver_toml(), "application/toml; charset=utf-8", "kikan-waivers.toml")

    async def history_compare(request: Request) -> Response:
        if st.history is None:
            return no_history(request)
        base, new = request.query_params.get("base", ""), request.query_params.get("new", "")
        kinds = (st.history.kind_of(base), st.history.kind_of(new))
        if None not in kinds and kinds != ("check", "check"):
            return refuse_page(request, 422, NOT_FOR_MIGRATION["compare"])
        result = st.history.compare(base, new)
        if result is None:
            return refuse_page(request, 404, "比較する実行が履歴にありません / not in the history")
        return page(request, "compare.html.j2", c=result)

    async def history_report(request: Request) -> Response:
        if st.history is None:
            return no_history(request)
        text = st.history.report_json(request.path_params["hid"])
        if text is None:
            return refuse_page(request, 404, "履歴が見つかりません / not in the history")
        return attachment(text, "application/json", f"kikan-history-{request.path_params['hid']}.json")

    async def history_html(request: Request) -> Response:
        """A 移行検証 entry's page, made again from its stored JSON by the CLI's own renderer."""
        if st.history is None:
            return no_history(request)
        hid = request.path_params["hid"]
        kind = st.history.kind_of(hid)
        text = st.history.report_json(hid)
        if kind is None or text is None:
            return refuse_page(request, 404, "履歴が見つかりません / not in the history")
        if kind == "check":
            return refuse_page(request, 422, "適合性の検査の履歴は JSON で保存しています（このページは移行検証の結果だけ）"
                                             " / check runs are kept as JSON; this page is for 移行検証 runs")
        try:
            result = mig.stored_result(text)
        except ValueError:  # recorded by a version whose report this one cannot read: the JSON still opens
            return refuse_page(request, 422, "保存したレポートからページを作れません（JSON はダウンロードできます）"
                                             " / the stored report cannot be rendered here; download its JSON")
        html = mig.result_html(result)
        if request.query_params.get("view") in ("inline", "page"):
            return report_view(html, "text/html; charset=utf-8")
        return attachment(html, "text/html; charset=utf-8", f"kikan-history-{hid}.html")

    # -- 移行検証 (migration) -------------------------------------------------------------------

    async def migration_form(request: Request) -> Response:
        st.sweep()
        return page(request, "migration.html.j2", specs=mig.spec_choices(), default_spec=mig.DEFAULT_SPEC)

    async def migration_upload(request: Request) -> Response:
        return await take_upload(request, make_migration)

    async def migration_page(request: Request) -> Response:
        run = st.get(request.path_params["rid"], mig.MigrationRun)
        if run is None:
            return refuse_page(request, 404, "この実行は見つかりません（期限切れの可能性）/ run not found")
        status = run.error_status if run.state == "failed" else 200  # 422 unusable input, 503 time limit
        return page(request, "migration_run.html.j2", status=status, run=run, encodings=mig.ENCODINGS,
                    best={n: mig.best_encoding(run, n) for n in ("before", "after")},
                    unexplained=mig.unexplained(run.result))

    async def migration_start(request: Request) -> Response:
        got = await start_form(request, mig.MigrationRun)
        if isinstance(got, Response):
            return got
        run, form = got
        encodings = [str(form.get(f"{n}_encoding", "utf-8")) for n in ("before", "after")]
        bad = [e for e in encodings if e not in mig.ENCODINGS]
        if bad:
            return refuse_page(request, 422, f"未知の文字コードです / unknown encoding: {bad[0][:40]}")
        run.state = "queued"
        st.pool.submit(functools.partial(
            mig.execute_migration, run, before_encoding=encodings[0], after_encoding=encodings[1],
            show_values=form.get("show_values") == "on", max_seconds=cfg.max_seconds,
            on_result=functools.partial(_record_migration, st=st),
        ))
        return RedirectResponse(run.url, status_code=303)

    async def migration_result(request: Request) -> Response:
        run = st.get(request.path_params["rid"], mig.MigrationRun)
        name = request.path_params["fmt"]
        if run is None or run.result is None or name not in ("html", "json"):
            return refuse_page(request, 404, "結果がありません / no such result")
        stem = f"kikan-{run.result.kind}-{run.id[:8]}"
        if name == "json":
            return attachment(mig.result_json(run.result), "application/json", f"{stem}.json")
        text = mig.result_html(run.result)
        if request.query_params.get("view") in ("inline", "page"):
            return report_view(text, "text/html; charset=utf-8")
        return attachment(text, "text/html; charset=utf-8", f"{stem}.html")

    # -- 突合 (reconcile) -------------------------------------------------------------------------

    async def reconcile_form(request: Request) -> Response:
        st.sweep()
        return page(request, "reconcile.html.j2", amount=rec.DEFAULT_AMOUNT, threshold=rec.default_threshold())

    async def reconcile_upload(request: Request) -> Response:
        return await take_upload(request, make_reconcile)

    async def reconcile_page(request: Request) -> Response:
        run = st.get(request.path_params["rid"], rec.ReconcileRun)
        if run is None:
            return refuse_page(request, 404, "この実行は見つかりません（期限切れの可能性）/ run not found")
        status = run.error_status if run.state == "failed" else 200  # 422 unusable input, 503 time limit
        return page(request, "reconcile_run.html.j2", status=status, run=run, encodings=rec.ENCODINGS)

    async def reconcile_start(request: Request) -> Response:
        got = await start_form(request, rec.ReconcileRun)
        if isinstance(got, Response):
            return got
        run, form = got
        encoding = str(form.get("encoding", "auto"))
        if encoding not in rec.ENCODINGS:
            return refuse_page(request, 422, f"未知の文字コードです / unknown encoding: {encoding[:40]}")
        run.state = "queued"
        st.pool.submit(functools.partial(rec.execute_reconcile, run, encoding=encoding, max_seconds=cfg.max_seconds))
        return RedirectResponse(run.url, status_code=303)

    async def reconcile_result(request: Request) -> Response:
        run = st.get(request.path_params["rid"], rec.ReconcileRun)
        name = request.path_params["fmt"]
        if run is None or name not in run.outputs:
            return refuse_page(request, 404, "結果がありません / no such result")
        body = rec.download(run, name)
        if name == "html" and request.query_params.get("view") in ("inline", "page"):
            return report_view(run.outputs[name], rec.MEDIA[name])
        return Response(body, media_type=rec.MEDIA[name], headers={
            "content-disposition": f'attachment; filename="kikan-reconcile-{run.id[:8]}.{name}"'})

    # -- REST API -------------------------------------------------------------------------------

    def api_error(status: int, message: str) -> JSONResponse:
        # A refused upload closes the connection: the server does not read (or drain) the rest of the body.
        headers = {"connection": "close"} if status in (400, 408, 413, 415) else None
        return JSONResponse({"status": status, "error": message}, status_code=status, headers=headers)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def api_specs(request: Request) -> Response:
        return JSONResponse(_specs())

    async def api_openapi(request: Request) -> Response:
        return JSONResponse(openapi(__version__, max_mib))

    async def api_check(request: Request) -> Response:
        if _cross_site(request):
            return api_error(403, "他のサイトからの要求は受け付けません / cross-site request refused")
        if _too_large(request, cfg.max_upload_bytes):
            return api_error(413, f"アップロードが大きすぎます（上限 {max_mib:,} MiB）/ upload too large")
        rid = new_id()
        folder = st.work / rid
        folder.mkdir()
        try:
            with anyio.fail_after(UPLOAD_SECONDS):
                up = await receive_upload(request.stream(), request.headers.get("content-type", ""), folder,
                                          cfg.max_upload_bytes)
            encoding = up.get("encoding", "utf-8") or "utf-8"
            if encoding not in ENCODINGS:
                return api_error(422, f"未知の文字コードです / unknown encoding: {encoding}")
            run = Run(rid, folder, plan_upload(up, folder), [])
            job = functools.partial(
                execute, run, encoding=encoding, lang=_lang(up.get("lang", "ja")),
                show_values=up.get("show_values") == "true", max_findings=cfg.max_findings,
                max_seconds=cfg.max_seconds,
            )
            await anyio.to_thread.run_sync(job, limiter=st.limiter)
        except UploadRefused as e:
            return api_error(e.status, e.message)
        except TimeoutError:
            return api_error(408, "アップロードに時間がかかりすぎました / upload took too long")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        _record(run, st)
        if run.report is None:
            return api_error(run.error_status, run.error or "error")
        return Response(render(run.report, "json"), status_code=406 if run.report.failed else 200,
                        media_type="application/json")

    routes = [
        Route("/", index),
        Route("/upload", upload, methods=["POST"]),
        Route("/runs/{rid}", run_page),
        Route("/runs/{rid}/start", start, methods=["POST"]),
        Route("/runs/{rid}/cancel", cancel_of(Run), methods=["POST"]),
        Route("/runs/{rid}/status", status_of(Run)),
        Route("/runs/{rid}/report.{fmt}", report),
        Route("/migration", migration_form),
        Route("/migration/upload", migration_upload, methods=["POST"]),
        Route("/migration/{rid}", migration_page),
        Route("/migration/{rid}/start", migration_start, methods=["POST"]),
        Route("/migration/{rid}/cancel", cancel_of(mig.MigrationRun), methods=["POST"]),
        Route("/migration/{rid}/status", status_of(mig.MigrationRun)),
        Route("/migration/{rid}/result.{fmt}", migration_result),
        Route("/reconcile", reconcile_form),
        Route("/reconcile/upload", reconcile_upload, methods=["POST"]),
        Route("/reconcile/{rid}", reconcile_page),
        Route("/reconcile/{rid}/start", reconcile_start, methods=["POST"]),
        Route("/reconcile/{rid}/cancel", cancel_of(rec.ReconcileRun), methods=["POST"]),
        Route("/reconcile/{rid}/status", status_of(rec.ReconcileRun)),
        Route("/reconcile/{rid}/result.{fmt}", reconcile_result),
        Route("/static/{name}", static),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/history", history_page),
        Route("/history/compare", history_compare),
        Route("/history/waivers.toml", history_waivers_toml),
        Route("/history/waivers/{wid}/delete", history_unwaive, methods=["POST"]),
        Route("/history/{hid}.json", history_report),
        Route("/history/{hid}.html", history_html),
        Route("/history/{hid}", history_run),
        Route("/history/{hid}/waivers", history_waive, methods=["POST"]),
        Route("/history/{hid}/delete", history_delete, methods=["POST"]),
        Route("/api/v1/health", health),
        Route("/api/v1/specs", api_specs),
        Route("/api/v1/check", api_check, methods=["POST"]),
        Route("/api/v1/openapi.json", api_openapi),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        _shutdown(st)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.kikan = st
    hosts: frozenset[str] | None = None
    if is_loopback(cfg.host):
        hosts = frozenset(f"{h}:{cfg.port}" for h in ("127.0.0.1", "localhost", "[::1]", cfg.host))
    return Guard(app, hosts=hosts, token=cfg.token)


def _record(run: Run, st: _State) -> None:
    if st.history is not None and run.report is not None:
        run.history_id = st.history.add(run, kept=run.kept.name if run.kept is not None else None)


def _record_migration(run: mig.MigrationRun, st: _State) -> None:
    if st.history is not None and run.result is not None:
        run.history_id = st.history.add_migration(run, mig.result_json(run.result))


def _shutdown(st: _State) -> None:
    for run in list(st.runs.values()):
        run.cancel.set()
    st.pool.shutdown(wait=True, cancel_futures=True)
    for run in list(st.runs.values()):  # uploads never started
        shutil.rmtree(run.folder, ignore_errors=True)
    if st.config.work_dir is None:
        shutil.rmtree(st.work, ignore_errors=True)
