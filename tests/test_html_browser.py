"""The HTML report in a real headless browser (Debian's Chromium, driven over the DevTools protocol).

Chromium is started with ``--remote-debugging-pipe`` (DevTools messages over file descriptors 3
and 4), so no websocket library is needed. The test checks that the page renders (verdict, chart,
working filter), logs no console error, makes no network request, prints on A4, and writes
``out/report-screenshot.png`` (and ``out/report-print.pdf``) for people to look at.

``make test`` installs Chromium first (``make browser-deps``). Without Chromium the test is
skipped locally but FAILS when ``CI=true``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from kikan_std.cli import main
from tests.conftest import ROOT
from tests.defects import build

OUT = ROOT / "out"
SCREENSHOT = OUT / "report-screenshot.png"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI: `make browser-deps` must install it")
        pytest.skip("chromium not installed (run `make browser-deps`)")
    return exe


class Browser:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, exe: str) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="kikan-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child: DevTools reads fd 3 and writes fd 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds,
            pass_fds=(3, 4),
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)  # type: ignore[no-any-return]

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})  # type: ignore[no-any-return]
            self.events.append(m)

    def wait_for(self, method: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        while True:
            m = self._read_message(deadline)
            self.events.append(m)
            if m.get("method") == method:
                return m

    def drain(self, seconds: float) -> None:
        """Collect events for a while (late console messages or requests)."""
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError):
            while True:
                self.events.append(self._read_message(deadline))

    def open(self, url: str) -> str:
        """Open ``url`` in a new page with console, log and network events on; return the session."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired")
        self.drain(0.5)
        return session

    def evaluate(self, session: str, expression: str) -> Any:
        params = {"expression": expression, "returnByValue": True}
        res = self.send("Runtime.evaluate", params, session=session)
        if "exceptionDetails" in res:
            raise AssertionError(f"page script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def console_errors(self) -> list[str]:
        out = []
        for e in self.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif m == "Runtime.exceptionThrown":
                out.append(str(p.get("exceptionDetails", {}).get("text")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(str(p["entry"].get("text")))
        return out

    def requests(self) -> list[str]:
        sent = [e for e in self.events if e.get("method") == "Network.requestWillBeSent"]
        return [e["params"]["request"]["url"] for e in sent]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        self._profile.cleanup()


def _report_html(tmp: Path) -> tuple[Path, str]:
    """An HTML report of a file with many defects, compared with a baseline and with waivers."""
    d = build(tmp)
    baseline = tmp / "baseline.json"
    assert main(["check", str(d.path), "--spec", "jutogai_atena", "--output-format", "json",
                 "-o", str(baseline)], io.StringIO(), io.StringIO()) == 1
    col = d.header.index("生年月日")
    d.rows[20][col] = "2001/1/1"  # one new defect since the baseline
    from kikan_std.testing.generate import csv_text

    d.path.write_text(csv_text(iter([d.header, *d.rows])), encoding="utf-8", newline="")
    waivers = tmp / "waivers.toml"
    waivers.write_text(
        f'[[waiver]]\ncode = "FLD016"\nkey = "{d.rows[2][0]}"\nreason = "移行後に再確認"\n'
        'owner = "住民課 佐藤"\nexpires = 2099-12-31\n\n'
        '[[waiver]]\ncode = "FLD019"\nreason = "期限切れの例"\nowner = "情報政策課"\nexpires = 2001-01-01\n',
        encoding="utf-8",
    )
    html = tmp / "report.html"
    rc = main(["check", str(d.path), "--spec", "jutogai_atena", "--output-format", "html", "-o", str(html),
               "--baseline", str(baseline), "--waivers", str(waivers)], io.StringIO(), io.StringIO())
    assert rc == 1
    return html, d.rows[0][0]


def test_html_report_in_headless_chromium(browser: Browser, tmp_path: Path) -> None:
    html, first_key = _report_html(tmp_path)
    url = html.resolve().as_uri()
    session = browser.open(url)

    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != url] == []  # nothing but the file itself

    assert browser.evaluate(session, "document.getElementById('verdict-text').textContent.trim()") == "不適合"
    assert browser.evaluate(session, "document.querySelectorAll('#chart rect').length") >= 10
    total = browser.evaluate(session, "document.querySelectorAll('tr.finding').length")
    assert total >= 15
    assert browser.evaluate(session, "document.getElementById('shown-count').textContent") == str(total)
    # The filter works: a business key narrows the list to that record's findings, then back.
    shown = browser.evaluate(
        session,
        f"(() => {{ const q = document.getElementById('q'); q.value = '{first_key}';"
        " q.dispatchEvent(new Event('input'));"
        " return document.querySelectorAll('tr.finding:not(.hidden)').length; })()",
    )
    assert 1 <= shown < total
    shown_new = browser.evaluate(
        session,
        "(() => { const q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input'));"
        " const s = document.getElementById('status'); s.value = 'new'; s.dispatchEvent(new Event('change'));"
        " const n = document.querySelectorAll('tr.finding:not(.hidden)').length;"
        " s.value = ''; s.dispatchEvent(new Event('change')); return n; })()",
    )
    assert shown_new == 1  # the one defect added since the baseline

    height = browser.evaluate(session, "document.documentElement.scrollHeight")
    shot = browser.send(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True,
         "clip": {"x": 0, "y": 0, "width": 1200, "height": min(height, 2600), "scale": 1}},
        session=session,
    )
    OUT.mkdir(exist_ok=True)
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    SCREENSHOT.write_bytes(png)

    printed = browser.send("Page.printToPDF", {"preferCSSPageSize": True}, session=session)
    pdf = base64.b64decode(printed["data"])
    (OUT / "report-print.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)  # A4

    browser.drain(0.3)
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != url] == []


def test_monitor_catches_requests_and_console_errors(browser: Browser, tmp_path: Path) -> None:
    """Control: the same checks fail on a page that does make a request and logs an error."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>',
        encoding="utf-8",
    )
    browser.open(page.resolve().as_uri())
    assert "http://127.0.0.1:9/x.png" in browser.requests()
    assert any("boom" in e for e in browser.console_errors())
