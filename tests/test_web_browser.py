"""The web app in a real browser: Playwright (from PyPI) drives Debian's Chromium.

An auditor's path: open the page, choose a deliverable zip, see the encoding guess, start, watch the
progress, read the verdict, download the JSON report — whose findings must equal
``check_deliverable`` on the same zip. Screenshots are kept in the test's tmp folder (and, with
``KIKAN_STD_DOCS_SHOTS=1``, written to docs/img/ for docs/web.md).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from kikan_std.deliverable import check_deliverable
from tests.conftest import ROOT
from tests.web_server import deliverable_zip, serve

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI: `make browser-deps` must install it")
        pytest.skip("chromium not installed (run `make browser-deps`)")
    return exe


def _shot(page: sync_api.Page, tmp: Path, name: str) -> None:
    target = tmp / "screenshots" / name
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("KIKAN_STD_DOCS_SHOTS") == "1" and name in ("web-1-upload.png", "web-2-encoding.png",
                                                                   "web-3-result.png", "web-5-waivers.png",
                                                                   "web-6-compare.png", "web-7-migration-upload.png",
                                                                   "web-8-migration-result.png"):
        shutil.copy(target, ROOT / "docs" / "img" / name)


def test_auditor_checks_a_deliverable_zip_in_the_browser(tmp_path: Path) -> None:
    zipped = deliverable_zip(tmp_path, rows=1500)
    expected = check_deliverable(zipped)
    console_errors: list[str] = []
    outside: list[str] = []
    hold = threading.Event()
    with serve(tmp_path, workers=1) as srv, sync_api.sync_playwright() as pw:
        srv.state.pool.submit(hold.wait, 120)  # the one worker is busy: our run waits in the queue
        browser = pw.chromium.launch(executable_path=_chromium(), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True, locale="ja-JP")
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(srv.url) else None)
            polled: list[str] = []

            def on_response(r: sync_api.Response) -> None:
                if r.url.endswith("/status"):
                    try:
                        polled.append(r.json()["state"])
                    except sync_api.Error:  # the page reloaded (the run ended) before the body was read
                        polled.append("(reloaded)")

            page.on("response", on_response)
            page.goto(srv.url + "/")
            assert "データを検査する" in page.inner_text("h1")
            _shot(page, tmp_path, "web-1-upload.png")
            page.set_input_files("#files", str(zipped))
            page.click("#next")
            page.wait_for_selector("#start")
            assert "utf-8" in page.inner_text("#detections")  # the guess is shown before the run
            _shot(page, tmp_path, "web-2-encoding.png")
            page.click("#start")
            # Progress: the run waits in the queue; the page shows it and polls the status.
            page.wait_for_selector("#progress")
            page.wait_for_function("document.getElementById('progress-text').textContent.includes('待機中')")
            assert page.locator("#cancel").count() == 1
            _shot(page, tmp_path, "web-2b-progress.png")
            for _ in range(300):  # bounded: until the page's poller has seen the queued state
                if polled:
                    break
                page.wait_for_timeout(100)
            hold.set()  # the worker is free: the run starts; the page reloads when it ends
            page.wait_for_selector("#verdict", timeout=120_000)
            # Only the poller reloads the page: the verdict shows that it saw the run end.
            assert polled[0] == "queued" and len(polled) >= 2
            verdict = page.inner_text("#verdict")
            assert verdict.startswith("不適合") == expected.failed
            assert page.get_attribute("#verdict", "data-failed") == ("true" if expected.failed else "false")
            with page.expect_download() as dl:
                page.click("a[data-format=json]")
            saved = tmp_path / "downloaded.json"
            dl.value.save_as(str(saved))
            frame = page.frame_locator("#report")
            frame.locator("h1").first.wait_for()
            assert frame.locator("tr.finding").count() == len(expected.findings)  # the report, in the page
            frame.locator("#q").fill("XXXX-no-such-text")  # its filter works under our CSP
            assert frame.locator("tr.finding:not(.hidden)").count() == 0
            frame.locator("#q").fill("")
            page.wait_for_timeout(300)
            _shot(page, tmp_path, "web-3-result.png")
            href = page.get_attribute("a[target=_blank]", "href")  # the printable report, in its own tab
            tab = browser.new_page()
            tab.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            tab.goto(srv.url + str(href))
            assert tab.locator("tr.finding").count() == len(expected.findings)
            _shot(tab, tmp_path, "web-4-report.png")
            tab.close()
        finally:
            browser.close()
        assert srv.leftovers() == []  # the upload was deleted after the run
    got = json.loads(saved.read_text(encoding="utf-8"))
    keys = ("code", "severity", "file", "record", "item", "message")
    assert [tuple(f[k] for k in keys) for f in got["findings"]] == [
        tuple(getattr(f, k) for k in keys) for f in expected.findings]
    assert got["valid"] == expected.valid
    assert got["findings"], "the planted defects must show"
    assert all(not f["value"] or f["value_masked"] or f["item"] not in ("氏名", "住所") for f in got["findings"])
    assert console_errors == []  # no CSP violation, no script error
    assert outside == []  # the page never calls anything but its own server
    assert (tmp_path / "screenshots" / "web-3-result.png").stat().st_size > 10_000


def test_auditor_accepts_new_findings_and_the_comparison_passes_in_the_browser(tmp_path: Path) -> None:
    """Delivery v1, then v2 with new problems: the comparison says 不適合; the auditor accepts v2's new
    errors on the page (reason, owner, expiry) and the comparison says 適合 — all under the page's CSP."""
    from kikan_std.cli import main

    files = []
    for name, rate in (("v1", 0.08), ("v2", 0.05)):
        target = tmp_path / name / "atena.csv"
        target.parent.mkdir()
        assert main(["generate", "--spec", "jutogai_atena", "--rows", "300", "--seed", "4", "--defect-rate", str(rate),
                     "-o", str(target)]) == 0
        files.append(target)
    console_errors: list[str] = []
    with serve(tmp_path, data_dir=tmp_path / "記録") as srv, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="ja-JP")
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            for f in files:
                page.goto(srv.url + "/")
                page.set_input_files("#files", str(f))
                page.select_option("#spec", "jutogai_atena")
                page.click("#next")
                page.wait_for_selector("#start")
                assert page.locator("#keep-data").is_checked() is False  # data is not kept unless asked
                page.click("#start")
                page.wait_for_selector("#history-link", timeout=120_000)
            page.goto(srv.url + "/history/compare?base=1&new=2")
            assert page.get_attribute("#gate-verdict", "data-verdict") == "不適合"
            page.goto(srv.url + "/history/2")
            # Tick the findings of v2 that the comparison lists as new errors (by their fingerprints).
            report1 = json.loads(page.request.get(srv.url + "/history/1.json").text())
            report2 = json.loads(page.request.get(srv.url + "/history/2.json").text())
            known = {f["fingerprint"] for f in report1["findings"]}
            new_errors = {f["fingerprint"] for f in report2["findings"]
                          if f["severity"] == "error" and f["fingerprint"] not in known}
            assert new_errors
            for fp in new_errors:
                page.locator(f"input[name=fp][value='{fp}']").first.check()
            page.fill("#reason", "旧システムの仕様による。第3回納品で修正")
            page.fill("#owner", "住民課 山田")
            page.fill("#expires", "2099-03-31")
            _shot(page, tmp_path, "web-5-waivers.png")
            page.click("#waive")
            page.wait_for_selector("#waived-note")
            page.goto(srv.url + "/history/compare?base=1&new=2")
            assert page.get_attribute("#gate-verdict", "data-verdict") == "適合"
            _shot(page, tmp_path, "web-6-compare.png")
        finally:
            browser.close()
    assert console_errors == []


def test_auditor_compares_a_migration_in_the_browser(tmp_path: Path) -> None:
    """移行検証: from the start page's link, the old (legacy, CP932) and new extracts and the mapping uploaded,
    the encodings shown, the run started; the verdict, the CLI's compare page in the frame and the JSON
    download show the differences ``kikan_std.compare`` finds — under the page's CSP, nothing loaded from
    elsewhere, the uploads gone afterwards."""
    pytest.importorskip("duckdb", reason="the migration extra is not installed")
    from kikan_std.migration.compare import compare
    from tests.migration_pairs import pair

    d = pair(True)
    expected = compare(d / "legacy.csv", d / "standard.csv", "jumin_kiroku", mapping=d / "mapping.toml")
    console_errors: list[str] = []
    outside: list[str] = []
    with serve(tmp_path) as srv, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900}, accept_downloads=True, locale="ja-JP")
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(srv.url) else None)
            page.goto(srv.url + "/")
            page.click("#migration-entry a")
            assert "移行検証" in page.inner_text("h1")
            page.set_input_files("#before", str(d / "legacy.csv"))
            page.set_input_files("#after", str(d / "standard.csv"))
            page.set_input_files("#mapping", str(d / "mapping.toml"))
            _shot(page, tmp_path, "web-7-migration-upload.png")
            page.click("#next")
            page.wait_for_selector("#start")
            detections = page.inner_text("#detections")
            assert "legacy.csv" in detections and "cp932" in detections and "standard.csv" in detections
            page.click("#start")
            page.wait_for_selector("#verdict", timeout=120_000)
            assert page.get_attribute("#verdict", "data-verdict") == expected.verdict == "differences"
            frame = page.frame_locator("#report")
            assert "移行データの比較" in frame.locator("h1").inner_text()
            # One table row per difference (plus the header row) in the CLI's page, shown in ours.
            assert frame.locator("table").nth(1).locator("tr").count() == len(expected.differences) + 1
            _shot(page, tmp_path, "web-8-migration-result.png")
            with page.expect_download() as dl:
                page.click("a[data-format=json]")
            saved = tmp_path / "compare.json"
            dl.value.save_as(str(saved))
        finally:
            browser.close()
        assert srv.leftovers() == []
    got = json.loads(saved.read_text(encoding="utf-8"))
    assert sorted((x["kind"], x["item"] or "", x["count"]) for x in got["differences"]) == sorted(
        (x.kind, x.item or "", x.count) for x in expected.differences)
    assert console_errors == [] and outside == []
