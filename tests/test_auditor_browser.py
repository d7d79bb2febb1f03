"""HTML reports an auditor reads, in headless Chromium: a deliverable, a modeled-spec check, and the A4 print
of a 10,000-finding report (Chromium's own ``--print-to-pdf``).

Screenshots and the PDF go to ``out/`` for people to look at: ``out/deliverable-report.png``,
``out/modeled-report.png``, ``out/report-10000-findings.pdf``. Chromium is launched as in
``tests/test_html_browser.py`` (skipped locally without it, a failure in CI).
"""

from __future__ import annotations

import base64
import re
import subprocess
import tempfile
from pathlib import Path

from kikan_std import check, check_deliverable
from kikan_std.testing.generate import write_sample
from kikan_std.testing.generators.deliverable import write_deliverable
from kikan_std.writers import render, write_reports
from tests.conftest import ROOT
from tests.test_html_browser import FLAGS, Browser, _chromium

OUT = ROOT / "out"


def _screenshot(browser: Browser, session: str, path: Path) -> bytes:
    height = browser.evaluate(session, "document.documentElement.scrollHeight")
    shot = browser.send("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": 1200, "height": min(height, 2400), "scale": 1}}, session=session)
    png = base64.b64decode(shot["data"])
    OUT.mkdir(exist_ok=True)
    path.write_bytes(png)
    return png


def _open(browser: Browser, html: Path) -> str:
    url = html.resolve().as_uri()
    session = browser.open(url)
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != url] == []
    return session


def _text(browser: Browser, session: str, element_id: str) -> str:
    return str(browser.evaluate(session, f"document.getElementById('{element_id}').textContent.trim()"))


def test_deliverable_report_in_chromium(browser: Browser, tmp_path: Path) -> None:
    d = tmp_path / "deliv"
    write_deliverable(d, 300, 4, defects=True)
    report = check_deliverable(d)
    html = tmp_path / "deliverable.html"
    write_reports(report, "html", html)
    session = _open(browser, html)
    assert _text(browser, session, "verdict-text") == "不適合"
    against = _text(browser, session, "checked-against")
    assert "当プロジェクトのモデル" in against  # tax and welfare specs are modeled
    # No CI gate line in the auditor's verdict box when no gate was asked for.
    assert "--fail-on" not in _text(browser, session, "verdict")
    png = _screenshot(browser, session, OUT / "deliverable-report.png")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_modeled_spec_report_in_chromium(browser: Browser, tmp_path: Path) -> None:
    s = write_sample(tmp_path / "jumin.csv", "jumin_kiroku", 200, 3, defect_rate=0.1)
    report = check(s.path, "jumin_kiroku")
    html = tmp_path / "modeled.html"
    write_reports(report, "html", html)
    session = _open(browser, html)
    assert _text(browser, session, "checked-against") == (
        "判定の基準: 当プロジェクトのモデル（公式の基本データリスト未入手）")
    # Locations keep line and record numbers whole: no line break inside a number.
    broken = browser.evaluate(session, """(() => {
        let bad = 0;
        for (const s of document.querySelectorAll('td.loc .nb')) {
            if (s.getClientRects().length > 1) { bad += 1; }
        }
        return bad; })()""")
    assert broken == 0
    png = _screenshot(browser, session, OUT / "modeled-report.png")
    assert png.startswith(b"\x89PNG") and len(png) > 20_000


def test_a4_print_of_a_10000_finding_report(tmp_path: Path) -> None:
    s = write_sample(tmp_path / "atena.csv", "jutogai_atena", 10_000, 11, defect_rate=1.0)
    report = check(s.path, "jutogai_atena")  # library default: 1000 stored per code
    assert report.stats.total_findings >= 10_000
    html = tmp_path / "big.html"
    html.write_text(render(report, "html"), encoding="utf-8")
    OUT.mkdir(exist_ok=True)
    pdf_path = OUT / "report-10000-findings.pdf"
    pdf_path.unlink(missing_ok=True)
    exe = _chromium()
    with tempfile.TemporaryDirectory(prefix="kikan-chromium-") as profile:
        flags = [f for f in FLAGS if f != "--remote-debugging-pipe"]
        subprocess.run([exe, *flags, f"--user-data-dir={profile}", "--no-pdf-header-footer",
                        f"--print-to-pdf={pdf_path}", html.resolve().as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=180)
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages == len(boxes) and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes)
    rules = len(report.stats.findings_by_code)
    # Readable: summary first, at most 20 examples per rule, the full list in the CSV — not 10,000 rows.
    assert html.read_text(encoding="utf-8").count('<tr class="finding"') <= 20 * rules
    assert pages <= 4 + 3 * rules, pages
    (OUT / "report-10000-findings.pages.txt").write_text(
        f"{pages} A4 pages, {report.stats.total_findings} findings in {rules} rules\n", encoding="utf-8")
