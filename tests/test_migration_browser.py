"""The profile and compare pages in headless Chromium (launch shared with tests/test_html_browser.py).

The profile page is that of a 100,000-record 住民記録 file (the size the issue asks for), generated
by the project's generator (about 6 s) and profiled by the CLI. The screenshot goes to
``out/migration-profile-screenshot.png`` for people to look at.
"""

from __future__ import annotations

import base64
import csv
import random
from pathlib import Path

from kikan_std.specs import load_spec
from kikan_std.testing.generate import iter_jumin_kiroku, write_csv
from tests.conftest import run_cli
from tests.migration_pairs import pair
from tests.test_html_browser import OUT, Browser

RECORDS = 100_000


def _personal_sample(path: Path, n: int = 3000) -> list[str]:
    """A fixed sample of distinctive personal values of the file (long enough, never in another column)."""
    personal = {it.name for it in load_spec("jumin_kiroku").groups[0].items if it.personal}
    mine: set[str] = set()
    others: set[str] = set()
    with path.open(encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        header = next(r)
        for row in r:
            for h, v in zip(header, row, strict=True):
                (mine if h in personal else others).add(v)
    distinctive = sorted(v for v in mine - others if len(v) >= 5)
    return random.Random(18).sample(distinctive, min(n, len(distinctive)))


def test_profile_page_of_a_100000_record_file(browser: Browser, tmp_path: Path) -> None:
    data = write_csv(tmp_path / "jumin.csv", iter_jumin_kiroku(RECORDS, 11))
    page = tmp_path / "profile.html"
    code, _, err = run_cli("profile", str(data), "--spec", "jumin_kiroku", "--output-format", "html", "-o", str(page))
    assert (code, err) == (0, "")
    url = page.resolve().as_uri()
    session = browser.open(url)
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != url] == []  # no external resource
    assert "レコード 100,000 件" in browser.evaluate(session, "document.querySelector('.meta').textContent")
    assert browser.evaluate(session, "document.querySelectorAll('.card').length") >= 123
    # the overview: one bar group per item, all in one picture
    assert browser.evaluate(session, "document.querySelector('svg[aria-label=\"fill rate per item\"]')"
                                     ".querySelectorAll('g').length") == 123
    width = browser.evaluate(session, "document.querySelector('svg[aria-label=\"fill rate per item\"]')"
                                      ".getBoundingClientRect().width")
    assert width <= 1200  # the overview fits the window: no horizontal scrolling to see every item
    # the small charts the auditor reads: a fill bar on every item's card, code distributions, households
    def charts(label: str) -> int:
        return int(browser.evaluate(session, f"document.querySelectorAll('.card svg[aria-label^=\"{label}\"]').length"))

    assert charts("fill ") == 123  # a fill bar on every item's card
    assert charts("code distribution") >= 10 and charts("length distribution") >= 10
    assert charts("household sizes") == 1
    seen = browser.evaluate(session, "document.body.innerText")
    assert "世帯 / households" in seen and "住民状態" in seen
    # no personal value, neither on the screen nor anywhere in the page's source
    source = page.read_text(encoding="utf-8")
    sample = _personal_sample(data)
    assert len(sample) == 3000
    assert [v for v in sample if v in seen or v in source] == []
    height = browser.evaluate(session, "document.documentElement.scrollHeight")
    shot = browser.send("Page.captureScreenshot",
                        {"format": "png", "captureBeyondViewport": True,
                         "clip": {"x": 0, "y": 0, "width": 1200, "height": min(height, 2400), "scale": 1}},
                        session=session)
    png = base64.b64decode(shot["data"])
    assert png.startswith(b"\x89PNG") and len(png) > 20_000
    OUT.mkdir(exist_ok=True)
    (OUT / "migration-profile-screenshot.png").write_bytes(png)


def test_compare_page_shows_the_verdict(browser: Browser, tmp_path: Path) -> None:
    d = pair(True)
    page = tmp_path / "compare.html"
    code, _, _ = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku",
                         "--mapping", str(d / "mapping.toml"), "--output-format", "html", "-o", str(page))
    assert code == 1
    url = page.resolve().as_uri()
    session = browser.open(url)
    assert browser.console_errors() == []
    assert [u for u in browser.requests() if u != url] == []
    assert "説明のない差異" in browser.evaluate(session, "document.querySelector('.banner').textContent")
    assert browser.evaluate(session, "document.querySelectorAll('table')[1].querySelectorAll('tr').length") > 10
