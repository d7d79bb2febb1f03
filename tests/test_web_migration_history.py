"""移行検証 runs in the run history (``--data-dir``), through HTTP on a real loopback server: a comparison and a
profile are recorded with their kind, verdict, counts, files (name, size, SHA-256 of what was uploaded) and options;
the stored JSON is the one served when the run ended and the page is made again from it by the CLI's renderer; no
personal value is stored unless the run showed values (then the entry says so); delete removes the entry; the
check-only parts of the history (waivers, run-to-run comparison) refuse a 移行検証 entry with a clear message."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

pytest.importorskip("duckdb", reason="the migration extra is not installed")

from tests.migration_pairs import pair
from tests.test_migration_canary import canaries
from tests.test_web_migration import _files, _run
from tests.web_server import Server, post_check, request, serve, session

FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("mighist")
    with serve(tmp, data_dir=tmp / "監査記録") as s:
        yield s


def _get(srv: Server, path: str) -> tuple[int, str]:
    status, _, body = request(srv, "GET", path)
    return status, body.decode("utf-8")


def _hid(page: str) -> str:
    m = re.search(r'id="history-link"><a href="/history/(\d+)"', page)
    assert m is not None, "the result page links its history entry"
    return m.group(1)


def _row(listing: str, hid: str) -> str:
    m = re.search(rf'<tr data-kind="[a-z]+"><td><a href="/history/{hid}">.*?</tr>', listing, re.S)
    assert m is not None, f"entry {hid} is listed"
    return m.group(0)


def _files_table(detail: str) -> dict[str, tuple[str, int, str]]:
    rows = re.findall(r'<tr data-role="(\w+)"><th>[^<]*</th><td class="mono">([^<]*)</td><td class="num">([\d,]+)</td>'
                      r'<td class="mono sha256">([0-9a-f]{64})</td>', detail)
    return {role: (name, int(size.replace(",", "")), sha) for role, name, size, sha in rows}


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_a_comparison_is_recorded_with_its_files_options_and_the_served_report(srv: Server) -> None:
    d = pair(True)
    paths = {"before": d / "legacy.csv", "after": d / "standard.csv", "mapping": d / "mapping.toml",
             "expected": d / "expected-differences.toml"}
    url, status, page = _run(srv, _files(**paths), fields={"tolerance": "fill_rate_dropped=0.01"},
                             start={"after_encoding": "utf-8"})
    assert status == 200 and 'data-verdict="differences"' in page
    hid = _hid(page)
    served_json = request(srv, "GET", f"{url}/result.json")[2]
    served_html = request(srv, "GET", f"{url}/result.html?view=inline")[2]
    served = json.loads(served_json)
    unexplained = sum(x["status"] == "unexplained" for x in served["differences"])
    # Listed with its kind, verdict, counts, the two extracts' names and the time.
    _, listing = _get(srv, "/history")
    row = _row(listing, hid)
    assert 'data-kind="compare"' in row and "移行検証（比較）" in row and "説明のない差異あり" in row
    assert "legacy.csv, standard.csv" in row and f"説明のない差異 {unexplained}・" in row
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</td>", row)
    # The entry: every uploaded file by name, size and SHA-256 of the bytes sent; the options of the run.
    status, detail = _get(srv, f"/history/{hid}")
    assert status == 200 and 'data-verdict="differences"' in detail and "移行検証（比較）" in detail
    assert _files_table(detail) == {role: (p.name, p.stat().st_size, _sha(p)) for role, p in paths.items()}
    assert "fill_rate_dropped=0.01" in detail and 'data-show-values="false"' in detail
    assert "cp932" in detail  # the old extract was read in the mapping's encoding
    # Reopened: the JSON is byte for byte the one served at the end of the run; the page is the CLI's, made again.
    status, headers, stored = request(srv, "GET", f"/history/{hid}.json")
    assert status == 200 and "attachment" in headers["content-disposition"] and stored == served_json
    status, headers, html = request(srv, "GET", f"/history/{hid}.html?view=inline")
    assert status == 200 and html == served_html and "sha256-" in headers["content-security-policy"]
    # No check-only offer on the entry.
    assert 'name="fp"' not in detail and "waive-form" not in detail
    # Masked: no personal value of the inputs in anything the history shows or keeps.
    values = canaries()
    shown = listing + detail + stored.decode("utf-8") + html.decode("utf-8")
    assert sorted(v for v in values if v in shown) == []
    db = (srv.state.history.path).read_bytes()
    assert sorted(v for v in values if v.encode("utf-8") in db) == []


def test_a_profile_is_recorded_with_its_one_file(srv: Server) -> None:
    d = pair(True)
    url, status, page = _run(srv, _files(after=d / "standard.csv"), start={"after_encoding": "utf-8"})
    assert status == 200
    hid = _hid(page)
    served_json = request(srv, "GET", f"{url}/result.json")[2]
    _, listing = _get(srv, "/history")
    row = _row(listing, hid)
    assert 'data-kind="profile"' in row and "移行検証（プロファイル）" in row and "判定なし（プロファイル）" in row
    records = json.loads(served_json)["records"]
    assert f"{records:,} レコード" in row and "standard.csv" in row
    _, detail = _get(srv, f"/history/{hid}")
    p = d / "standard.csv"
    assert _files_table(detail) == {"after": (p.name, p.stat().st_size, _sha(p))}
    assert "移行後 utf-8" in detail
    assert request(srv, "GET", f"/history/{hid}.json")[2] == served_json
    assert request(srv, "GET", f"/history/{hid}.html?view=inline")[2] == request(
        srv, "GET", f"{url}/result.html?view=inline")[2]


def test_a_run_that_showed_values_is_labelled_as_holding_personal_data_and_delete_removes_it(srv: Server) -> None:
    d = pair(True)
    files = _files(before=d / "legacy.csv", after=d / "standard.csv", mapping=d / "mapping.toml")
    _, _, page = _run(srv, files, start={"show_values": "on"})
    hid = _hid(page)
    _, listing = _get(srv, "/history")
    assert "値を表示（個人情報）" in _row(listing, hid)
    _, detail = _get(srv, f"/history/{hid}")
    assert 'id="values-note"' in detail and 'data-show-values="true"' in detail
    stored = request(srv, "GET", f"/history/{hid}.json")[2].decode("utf-8")
    assert json.loads(stored)["show_values"] is True
    assert any(v in stored for v in canaries())  # the canary sees the values the run was asked to show
    # Delete: needs the CSRF token; then the entry, its JSON and its page are gone, and so are its values.
    cookie, token = session(srv)
    assert request(srv, "POST", f"/history/{hid}/delete", b"", {"Cookie": cookie})[0] == 403
    assert request(srv, "POST", f"/history/{hid}/delete?csrf={token}", b"", {"Cookie": cookie})[0] == 303
    for path in (f"/history/{hid}", f"/history/{hid}.json", f"/history/{hid}.html"):
        assert _get(srv, path)[0] == 404
    assert f'href="/history/{hid}"' not in _get(srv, "/history")[1]
    with sqlite3.connect(srv.state.history.path) as db:
        assert db.execute("SELECT count(*) FROM runs WHERE id = ?", (int(hid),)).fetchone()[0] == 0


def test_check_only_urls_refuse_a_migration_entry_with_a_clear_message(srv: Server) -> None:
    d = pair(True)
    _, _, page = _run(srv, _files(before=d / "v1.csv", after=d / "v2.csv"))
    mig = _hid(page)
    for _ in range(2):  # two check runs: the run-to-run comparison form is offered
        status, _ = post_check(srv, {"spec": "jutogai_atena"}, [("file", "a.csv", b"x\n1\n")])
        assert status in (200, 406)
    _, listing = _get(srv, "/history")
    checks = re.findall(r'<tr data-kind="check"><td><a href="/history/(\d+)"', listing)
    assert checks, "the REST check is recorded as a check"
    cookie, token = session(srv)
    form = urlencode({"fp": "0123456789abcdef", "reason": "r", "owner": "o"}).encode()
    status, _, body = request(srv, "POST", f"/history/{mig}/waivers?csrf={token}", form,
                              {"Content-Type": FORM, "Cookie": cookie})
    text = body.decode("utf-8")
    assert status == 422 and "移行検証の実行には登録できません" in text and "Traceback" not in text
    for q in (f"base={checks[0]}&new={mig}", f"base={mig}&new={mig}"):
        status, text = _get(srv, f"/history/compare?{q}")
        assert status == 422 and "移行検証の実行は比べられません" in text and "Traceback" not in text
    status, text = _get(srv, f"/history/{checks[0]}.html")
    assert status == 422 and "移行検証の結果だけ" in text
    # The comparison form offers check runs only.
    _, listing = _get(srv, "/history")
    form_html = listing.split('<form method="get" action="/history/compare">', 1)[1].split("</form>", 1)[0]
    assert f'value="{checks[0]}"' in form_html and f'value="{mig}"' not in form_html


def test_without_a_data_folder_a_migration_run_is_not_recorded(tmp_path: Path) -> None:
    d = pair(True)
    with serve(tmp_path) as bare:
        _, status, page = _run(bare, _files(after=d / "v2.csv"))
        assert status == 200 and 'id="history-link"' not in page
        assert bare.state.history is None
    assert not any(p.name == "history.sqlite" for p in tmp_path.rglob("*"))


def test_a_stored_report_this_version_cannot_read_refuses_its_page_but_keeps_its_json(srv: Server) -> None:
    d = pair(True)
    _, _, page = _run(srv, _files(after=d / "v2.csv"))
    hid = _hid(page)
    with sqlite3.connect(srv.state.history.path) as db:  # as a later version might have written it
        db.execute("UPDATE runs SET report = json_set(report, '$.field_of_a_later_version', 1) WHERE id = ?",
                   (int(hid),))
    db.close()
    status, text = _get(srv, f"/history/{hid}.html")
    assert status == 422 and "JSON はダウンロードできます" in text and "Traceback" not in text
    assert json.loads(request(srv, "GET", f"/history/{hid}.json")[2])["field_of_a_later_version"] == 1
    assert _get(srv, f"/history/{hid}")[0] == 200
