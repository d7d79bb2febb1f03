"""HTML reports an auditor reads, in headless Chromium: a deliverable, a modeled-spec check, and the A4 print
of a 10,000-finding report (Chromium's own ``--print-to-pdf``), whose full list of findings travels with the
page as an attached CSV (saved by a click in Chromium, identical to ``--output-format csv``).

Screenshots and the PDF go to ``out/`` for people to look at: ``out/deliverable-report.png``,
``out/modeled-report.png``, ``out/report-10000-findings.pdf``. Chromium is launched as in
``tests/test_html_browser.py`` (skipped locally without it, a failure in CI).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import subprocess
import tempfile
from pathlib import Path

from kikan_std import check, check_deliverable
from kikan_std.testing.generate import write_sample
from kikan_std.testing.generators.deliverable import write_deliverable
from kikan_std.writers import render, write_reports
from tests.conftest import ROOT, run_cli
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


_ATTACHED = re.compile(r'<a id="csv-download"[^>]*? download="([^"]+)"[^>]*? '
                       r'href="data:text/csv;charset=utf-8;base64,([A-Za-z0-9+/=]+)"')


def attached_csv(html: str) -> tuple[str, bytes]:
    """(file name, bytes) of the findings CSV attached to an HTML report."""
    m = _ATTACHED.search(html)
    assert m is not None, "no attached CSV"
    return m[1], base64.b64decode(m[2])


def _personal_values(path: Path) -> set[str]:
    """Every 氏名 and 個人番号 of a synthetic 住登外者宛名 file (values that must never be shown)."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    cols = [rows[0].index("氏名"), rows[0].index("個人番号")]
    return {r[c] for r in rows[1:] for c in cols if len(r) > c and len(r[c]) >= 4}


def test_the_full_list_travels_with_a_10000_finding_html_report(tmp_path: Path) -> None:
    s = write_sample(tmp_path / "atena.csv", "jutogai_atena", 10_000, 11, defect_rate=1.0)
    prefix = tmp_path / "report"
    code, _, err = run_cli("check", str(s.path), "--spec", "jutogai_atena", "--output-format", "html,csv,json",
                           "-o", str(prefix), "--max-findings", "0", "--max-findings-total", "0")
    assert code == 1, err
    total = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))["stats"]["total_findings"]
    assert total >= 10_000
    page = Path(f"{prefix}.html").read_text(encoding="utf-8")
    name, data = attached_csv(page)
    # Exactly what --output-format csv wrote: same bytes, BOM first, one row per finding, nothing left out.
    assert data == Path(f"{prefix}.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "状態 status" and len(rows) - 1 == total
    text = data.decode("utf-8")
    assert [v for v in _personal_values(s.path) if v in text] == []  # masked as in every format
    # The page names the attachment where an auditor looks: the summary box and the provenance block.
    box = page[page.index('id="full-list"'):page.index("</section>", page.index('id="full-list"'))]
    assert name in box and f"{total:,}" in box
    assert page.count(name) >= 3  # the box, the link, the provenance row (and every "N more" line)
    assert hashlib.sha256(data).hexdigest() in page


def test_a_report_that_shows_every_finding_attaches_nothing(tmp_path: Path) -> None:
    s = write_sample(tmp_path / "small.csv", "jutogai_atena", 30, 4, defect_rate=0.3)
    page = render(check(s.path, "jutogai_atena"), "html")
    assert "csv-download" not in page and 'id="full-list"' not in page and "data:text/csv" not in page


def test_the_attached_csv_downloads_in_chromium_and_the_print_says_where_it_is(
    browser: Browser, tmp_path: Path
) -> None:
    s = write_sample(tmp_path / "atena.csv", "jutogai_atena", 2_000, 5, defect_rate=1.0)
    report = check(s.path, "jutogai_atena", max_findings=None)
    html = tmp_path / "report.html"
    write_reports(report, "html", html)
    name, data = attached_csv(html.read_text(encoding="utf-8"))
    assert data == render(report, "csv").encode("utf-8")
    session = _open(browser, html)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    browser.send("Browser.setDownloadBehavior",
                 {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True})
    browser.evaluate(session, "document.getElementById('csv-download').click()")
    state = ""
    while state not in ("completed", "canceled"):
        event = browser.wait_for("Browser.downloadProgress", timeout=60)
        browser.events.remove(event)
        state = event["params"]["state"]
    assert state == "completed"
    assert (downloads / name).read_bytes() == data
    # Printed: the link is gone, the box still says where the full list is.
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
    shown = browser.evaluate(session, """(() => ({
        link: document.getElementById('csv-download').getClientRects().length,
        box: document.getElementById('full-list').innerText }))()""")
    assert shown["link"] == 0 and "全件の CSV を保存（" not in shown["box"]
    assert name in shown["box"] and "印刷した報告書には一覧は含まれません" in shown["box"]
    assert f"{len(report.findings):,}" in shown["box"]


def test_a4_print_of_a_10000_finding_report(tmp_path: Path) -> None:
    s = write_sample(tmp_path / "atena.csv", "jutogai_atena", 10_000, 11, defect_rate=1.0)
    report = check(s.path, "jutogai_atena", max_findings=None)  # every finding stored: the attachment is complete
    assert report.stats.total_findings >= 10_000 and len(report.findings) == report.stats.total_findings
    html = tmp_path / "big.html"
    html.write_text(render(report, "html"), encoding="utf-8")
    name, data = attached_csv(html.read_text(encoding="utf-8"))
    assert data.decode("utf-8-sig").count("\r\n") == report.stats.total_findings + 1  # header + every finding
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
        f"{pages} A4 pages, {report.stats.total_findings} findings in {rules} rules; "
        f"the full list is the attached CSV {name} ({len(data):,} bytes)\n", encoding="utf-8")
