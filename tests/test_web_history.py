"""The run history (``--data-dir``): reports kept in SQLite (the uploaded data only when asked), listed on a
page, two runs compared v1 → v2 — the same classification and ``--fail-on new`` verdict as the library's
``--baseline`` — and waivers recorded from the page, applied to later runs and exported for ``--waivers``."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kikan_std import check
from kikan_std.cli import main
from kikan_std.writers import render
from tests.web_server import Server, multipart, post_check, request, serve, session


def _version(tmp: Path, folder: str, rate: float) -> Path:
    target = tmp / folder / "atena.csv"
    target.parent.mkdir()
    assert main(["generate", "--spec", "jutogai_atena", "--rows", "300", "--seed", "4", "--defect-rate", str(rate),
                 "-o", str(target)]) == 0
    return target


def _delivery_v2(tmp: Path, v1: Path) -> Path:
    """Delivery v2 of ``v1``: its last third replaced by clean records (fixed findings), the rest kept (existing
    findings), and one new defect (a 性別 outside its code list) planted in the clean part (a new finding)."""
    clean = _version(tmp, "clean", 0.0).read_text(encoding="utf-8").splitlines(keepends=True)
    old = v1.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = 1 + 2 * (len(old) - 1) // 3
    rows = old[:cut] + clean[cut:]
    header = rows[0].rstrip("\r\n").split(",")
    cells = rows[-1].rstrip("\r\n").split(",")
    cells[header.index("性別")] = "9"
    rows[-1] = ",".join(cells) + "\r\n"
    target = tmp / "v2" / "atena.csv"
    target.parent.mkdir()
    target.write_text("".join(rows), encoding="utf-8", newline="")
    return target


def test_history_keeps_reports_only_and_compares_two_deliveries_like_the_baseline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1 = _version(tmp_path, "v1", 0.08)
    v2 = _delivery_v2(tmp_path, v1)
    data_dir = tmp_path / "監査記録"
    with serve(tmp_path, data_dir=data_dir) as srv:
        for v in (v1, v2):
            status, _ = post_check(srv, {"spec": "jutogai_atena"}, [("file", "atena.csv", v.read_bytes())])
            assert status == 406
        status, _, page = request(srv, "GET", "/history")
        text = page.decode("utf-8")
        assert status == 200 and text.count("atena.csv") >= 2 and "不適合" in text
        status, _, body = request(srv, "GET", "/history/1.json")
        assert status == 200 and json.loads(body)["inputs"][0]["file"] == "atena.csv"
        status, _, page = request(srv, "GET", "/history/compare?base=1&new=2")
        html = page.decode("utf-8")
        assert status == 200
        counts = {k: int(re.search(rf'id="count-{k}">(\d+)<', html).group(1))  # type: ignore[union-attr]
                  for k in ("new", "fixed", "existing")}
        assert request(srv, "GET", "/history/compare?base=1&new=99")[0] == 404
        assert request(srv, "GET", "/history/..%2F..%2Fetc.json")[0] == 404
    # The library's own baseline classification of the same two files, by the same file name.
    monkeypatch.chdir(v1.parent)
    base = tmp_path / "base.json"
    base.write_text(render(check("atena.csv", spec="jutogai_atena", max_findings=None), "json"), encoding="utf-8")
    monkeypatch.chdir(v2.parent)
    rep = check("atena.csv", spec="jutogai_atena", baseline=base, max_findings=None)
    assert counts["new"] == sum(1 for f in rep.findings if f.status == "new") > 0
    assert counts["existing"] == sum(1 for f in rep.findings if f.status == "existing") > 0
    assert rep.baseline is not None and counts["fixed"] == rep.baseline.fixed > 0
    # Reports only: no uploaded value is in the history, only the SQLite file is in the folder.
    assert sorted(p.name for p in data_dir.iterdir()) == ["history.sqlite"]
    stored = (data_dir / "history.sqlite").read_bytes()
    rows = list(csv.reader(io.StringIO(v1.read_text(encoding="utf-8"))))
    names = [r[rows[0].index("氏名")] for r in rows[1:] if r[rows[0].index("氏名")]]
    assert names and not any(n.encode("utf-8") in stored for n in names[:50])


# -- waivers, the --fail-on new verdict and kept uploads, through the pages (as a browser posts them) ---------

FORM = "application/x-www-form-urlencoded"


def _page_run(srv: Server, cookie: str, token: str, name: str, data: bytes, **options: str) -> tuple[str, str]:
    """Upload ``data`` as ``name`` on the page, start it with ``options``, wait for the end: (run page, its HTML)."""
    body, ctype = multipart({"spec": "jutogai_atena"}, [("files", name, data)])
    status, h, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
    assert status == 303
    run = h["location"]
    form = urlencode({"encoding": "utf-8", **options}).encode()
    assert request(srv, "POST", f"{run}/start?csrf={token}", form, {"Content-Type": FORM, "Cookie": cookie})[0] == 303
    for _ in range(1200):  # bounded: wait for the run to end
        _, _, st = request(srv, "GET", f"{run}/status")
        if json.loads(st)["state"] not in ("queued", "running"):
            break
        time.sleep(0.05)
    status, _, page = request(srv, "GET", run, headers={"Cookie": cookie})
    assert status == 200
    return run, page.decode("utf-8")


def _history_id(page: str) -> str:
    m = re.search(r'href="/history/(\d+)"', page)
    assert m is not None, "the result page links its history entry"
    return m.group(1)


def _error_fingerprints(srv: Server, hid: str) -> list[str]:
    _, _, body = request(srv, "GET", f"/history/{hid}.json")
    return sorted({f["fingerprint"] for f in json.loads(body)["findings"] if f["severity"] == "error"})


def _waive(srv: Server, cookie: str, token: str | None, hid: str, fps: list[str], **fields: str) -> tuple[int, str]:
    form = urlencode([("fp", fp) for fp in fps] + list({"reason": "旧システムの仕様", "owner": "住民課 山田", **fields}.items()))
    path = f"/history/{hid}/waivers" + (f"?csrf={token}" if token else "")
    status, _, body = request(srv, "POST", path, form.encode(), {"Content-Type": FORM, "Cookie": cookie})
    return status, body.decode("utf-8")


def test_waivers_recorded_on_the_page_apply_to_later_runs_and_export_as_a_cli_waiver_file(tmp_path: Path) -> None:
    v1 = _version(tmp_path, "v1", 0.05)
    data_dir = tmp_path / "監査記録"
    with serve(tmp_path, data_dir=data_dir) as srv:
        cookie, token = session(srv)
        _, page = _page_run(srv, cookie, token, "atena.csv", v1.read_bytes())
        assert 'id="verdict"' in page and "不適合" in page
        hid = _history_id(page)
        fps = _error_fingerprints(srv, hid)
        assert fps
        _, _, detail = request(srv, "GET", f"/history/{hid}", headers={"Cookie": cookie})
        assert all(f'value="{fp}"' in detail.decode("utf-8") for fp in fps)  # each finding can be ticked
        # Refused: without the CSRF token, without a reason, with a past expiry, with a malformed fingerprint.
        assert _waive(srv, cookie, None, hid, fps)[0] == 403
        status, text = _waive(srv, cookie, token, hid, fps, reason=" ")
        assert status == 422 and "理由" in text
        status, text = _waive(srv, cookie, token, hid, fps, expires="2000-01-01")
        assert status == 422 and "過去" in text
        assert _waive(srv, cookie, token, hid, ["../../x"])[0] == 422
        assert "<td class=\"mono\">" not in request(srv, "GET", "/history")[2].decode("utf-8").split('id="waivers"')[1]
        # Recorded: all error findings but one with no expiry, the last one with an expiry date.
        status, _ = _waive(srv, cookie, token, hid, fps[:-1])
        assert status == 303
        assert _waive(srv, cookie, token, hid, fps[-1:], expires="2099-03-31")[0] == 303
        _, _, listing = request(srv, "GET", "/history", headers={"Cookie": cookie})
        text = listing.decode("utf-8")
        assert all(fp in text for fp in fps) and "2099-03-31" in text and "期限なし" in text
        # A later run chosen with the waivers: every error is waived, so the verdict is 適合.
        run, page = _page_run(srv, cookie, token, "atena.csv", v1.read_bytes(), apply_waivers="on")
        assert re.search(r'id="verdict"[^>]*data-failed="false"', page)
        rep = json.loads(request(srv, "GET", f"{run}/report.json")[2])
        assert {f["status"] for f in rep["findings"] if f["severity"] == "error"} == {"waived"}
        assert rep["waivers"]["waived"] >= len(fps) and not rep["gate"]["failed"]
        # … and without them, as before.
        _, page = _page_run(srv, cookie, token, "atena.csv", v1.read_bytes())
        assert re.search(r'id="verdict"[^>]*data-failed="true"', page)
        # The export is a waiver file the CLI accepts, from any folder the file is checked in.
        status, headers, toml = request(srv, "GET", "/history/waivers.toml")
        assert status == 200 and "attachment" in headers["content-disposition"]
        waivers = tmp_path / "承認.toml"
        waivers.write_bytes(toml)
        assert main(["check", str(v1), "--spec", "jutogai_atena"]) == 1
        assert main(["check", str(v1), "--spec", "jutogai_atena", "--waivers", str(waivers)]) == 0
        rep_cli = check(v1, spec="jutogai_atena", waivers=waivers)
        assert {w.expires for w in rep_cli.waivers.waivers} == {"9999-12-31", "2099-03-31"}  # type: ignore[union-attr]
        # Withdrawn on the page: gone from the export.
        wid = re.search(r'action="/history/waivers/(\d+)/delete', text).group(1)  # type: ignore[union-attr]
        assert request(srv, "POST", f"/history/waivers/{wid}/delete", b"", {"Cookie": cookie})[0] == 403
        assert request(srv, "POST", f"/history/waivers/{wid}/delete?csrf={token}", b"", {"Cookie": cookie})[0] == 303
        assert request(srv, "GET", "/history/waivers.toml")[2].count(b"[[waiver]]") == len(fps) - 1
    # Values never stored: the waivers hold fingerprints, codes, files and items; no name of the data.
    stored = (data_dir / "history.sqlite").read_bytes()
    rows = list(csv.reader(io.StringIO(v1.read_text(encoding="utf-8"))))
    names = [r[rows[0].index("氏名")] for r in rows[1:] if r[rows[0].index("氏名")]]
    assert names and not any(n.encode("utf-8") in stored for n in names[:50])
    assert sorted(p.name for p in data_dir.iterdir()) == ["history.sqlite"]
    assert srv.leftovers() == []


def _gate(srv: Server, base: str, new: str) -> str:
    _, _, page = request(srv, "GET", f"/history/compare?base={base}&new={new}")
    m = re.search(r'id="gate-verdict"[^>]*data-verdict="([^"]+)"', page.decode("utf-8"))
    assert m is not None
    return m.group(1)


def test_the_comparison_gives_the_verdict_of_fail_on_new_like_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1, v2 = _version(tmp_path, "v1", 0.08), _version(tmp_path, "v2", 0.05)
    with serve(tmp_path, data_dir=tmp_path / "記録") as srv:
        cookie, token = session(srv)
        h1 = _history_id(_page_run(srv, cookie, token, "atena.csv", v1.read_bytes())[1])
        h2 = _history_id(_page_run(srv, cookie, token, "atena.csv", v2.read_bytes())[1])
        h1b = _history_id(_page_run(srv, cookie, token, "atena.csv", v1.read_bytes())[1])
        assert _gate(srv, h1, h2) == "不適合"  # v2 brings new errors
        assert _gate(srv, h1, h1b) == "適合"  # the same delivery again: nothing new (though not conformant)
        # The auditor accepts v2's new errors on the page: the comparison now passes.
        _, _, body = request(srv, "GET", f"/history/{h2}.json")
        old = {f["fingerprint"] for f in json.loads(request(srv, "GET", f"/history/{h1}.json")[2])["findings"]}
        new_errors = sorted({f["fingerprint"] for f in json.loads(body)["findings"]
                             if f["severity"] == "error" and f["fingerprint"] not in old})
        assert new_errors and _waive(srv, cookie, token, h2, new_errors)[0] == 303
        assert _gate(srv, h1, h2) == "適合"
        toml = request(srv, "GET", "/history/waivers.toml")[2]
    # The CLI's own gate on the same files, by the same file name: the same verdicts.
    waivers = tmp_path / "w.toml"
    waivers.write_bytes(toml)
    monkeypatch.chdir(v1.parent)
    base = tmp_path / "base.json"
    base.write_text(render(check("atena.csv", spec="jutogai_atena", max_findings=None), "json"), encoding="utf-8")
    assert main(["check", "atena.csv", "--spec", "jutogai_atena", "--baseline", str(base), "--fail-on", "new"]) == 0
    monkeypatch.chdir(v2.parent)
    assert main(["check", "atena.csv", "--spec", "jutogai_atena", "--baseline", str(base), "--fail-on", "new"]) == 1
    assert main(["check", "atena.csv", "--spec", "jutogai_atena", "--baseline", str(base), "--fail-on", "new",
                 "--waivers", str(waivers)]) == 0


def test_uploaded_data_is_kept_only_when_asked_and_deleted_with_the_run(tmp_path: Path) -> None:
    v1 = _version(tmp_path, "v1", 0.05)
    data_dir = tmp_path / "記録"
    with serve(tmp_path, data_dir=data_dir) as srv:
        cookie, token = session(srv)
        _, page = _page_run(srv, cookie, token, "atena.csv", v1.read_bytes())
        assert "個人情報" in page and not (data_dir / "uploads").exists()  # off by default
        run, page = _page_run(srv, cookie, token, "atena.csv", v1.read_bytes(), keep_data="on")
        hid = _history_id(page)
        assert "アップロードしたデータを履歴に残しました" in page
        kept = data_dir / "uploads" / run.rsplit("/", 1)[1] / "0000" / "atena.csv"
        assert kept.read_bytes() == v1.read_bytes()
        _, _, listing = request(srv, "GET", "/history", headers={"Cookie": cookie})
        assert listing.decode("utf-8").count("保存あり（個人情報）") == 1
        _, _, detail = request(srv, "GET", f"/history/{hid}", headers={"Cookie": cookie})
        assert "個人情報がそのまま含まれます" in detail.decode("utf-8")
        assert srv.leftovers() == []  # the upload folder itself is empty: the data moved to the history
        # Deleting needs the CSRF token; then the report and the kept data are gone.
        assert request(srv, "POST", f"/history/{hid}/delete", b"", {"Cookie": cookie})[0] == 403
        assert kept.exists()
        assert request(srv, "POST", f"/history/{hid}/delete?csrf={token}", b"", {"Cookie": cookie})[0] == 303
        assert not kept.parent.parent.exists()
        assert request(srv, "GET", f"/history/{hid}")[0] == 404
        assert request(srv, "GET", "/history/1")[0] == 200  # the other run stays
        assert request(srv, "POST", f"/history/{hid}/delete?csrf={token}", b"", {"Cookie": cookie})[0] == 404


def test_without_a_data_folder_the_history_pages_and_options_are_off(tmp_path: Path) -> None:
    with serve(tmp_path) as srv:
        cookie, token = session(srv)
        body, ctype = multipart({"spec": "jutogai_atena"}, [("files", "a.csv", b"x\n")])
        _, h, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
        page = request(srv, "GET", h["location"], headers={"Cookie": cookie})[2].decode("utf-8")
        assert "keep_data" not in page and "apply_waivers" not in page
        for path in ("/history/waivers.toml", "/history/1"):
            status, _, body = request(srv, "GET", path)
            assert status == 404 and "--data-dir" in body.decode("utf-8")
        assert request(srv, "POST", f"/history/1/delete?csrf={token}", b"", {"Cookie": cookie})[0] == 404


# The first history format: no kept upload, no kind, no detail (a database made by an earlier version).
_OLD_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, inputs TEXT NOT NULL,
    spec TEXT NOT NULL, verdict TEXT NOT NULL, errors INTEGER NOT NULL, warnings INTEGER NOT NULL, report TEXT NOT NULL);
CREATE TABLE waivers (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL, severity TEXT NOT NULL, file TEXT NOT NULL, item TEXT, reason TEXT NOT NULL,
    owner TEXT NOT NULL, expires TEXT, run INTEGER);
"""


def test_a_history_database_of_the_first_format_opens_and_lists_its_check_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    v1 = _version(tmp_path, "v1", 0.08)
    monkeypatch.chdir(v1.parent)
    rep = check("atena.csv", spec="jutogai_atena")
    data_dir = tmp_path / "記録"
    data_dir.mkdir()
    with sqlite3.connect(data_dir / "history.sqlite") as db:
        db.executescript(_OLD_SCHEMA)
        for when in ("2024-04-01 09:00:00", "2024-05-01 09:00:00"):
            db.execute("INSERT INTO runs (created, inputs, spec, verdict, errors, warnings, report)"
                       " VALUES (?, 'atena.csv', 'jutogai_atena', '不適合', 3, 1, ?)", (when, render(rep, "json")))
    db.close()
    with serve(tmp_path, data_dir=data_dir) as srv:
        status, _, page = request(srv, "GET", "/history")
        text = page.decode("utf-8")
        assert status == 200 and text.count('<tr data-kind="check">') == 2 and text.count("適合性の検査") >= 2
        assert "2024-04-01 09:00:00" in text and 'action="/history/compare"' in text
        status, _, detail = request(srv, "GET", "/history/1")
        assert status == 200 and 'id="waive-form"' in detail.decode("utf-8")
        assert json.loads(request(srv, "GET", "/history/2.json")[2])["inputs"][0]["file"] == "atena.csv"
        assert _gate(srv, "1", "2") == "適合"  # the same report twice: nothing new
        # A run recorded now goes after them, in the same (migrated) table.
        assert post_check(srv, {"spec": "jutogai_atena"}, [("file", "atena.csv", v1.read_bytes())])[0] == 406
        assert request(srv, "GET", "/history")[2].decode("utf-8").count('<tr data-kind="check">') == 3
    with sqlite3.connect(data_dir / "history.sqlite") as db:
        columns = {r[1] for r in db.execute("PRAGMA table_info(runs)")}
        kinds = [r[0] for r in db.execute("SELECT kind FROM runs ORDER BY id")]
    db.close()
    assert {"kept", "kind", "detail"} <= columns and kinds == ["check", "check", "check"]


def test_a_check_run_that_showed_values_is_labelled_in_the_history(tmp_path: Path) -> None:
    v1 = _version(tmp_path, "v1", 0.05)
    with serve(tmp_path, data_dir=tmp_path / "記録") as srv:
        for shown in ("false", "true"):
            status, _ = post_check(srv, {"spec": "jutogai_atena", "show_values": shown},
                                   [("file", "atena.csv", v1.read_bytes())])
            assert status == 406
        listing = request(srv, "GET", "/history")[2].decode("utf-8")
    rows = re.findall(r'<tr data-kind="check"><td><a href="/history/(\d+)">.*?</tr>', listing, re.S)
    labelled = re.findall(r'<tr data-kind="check"><td><a href="/history/(\d+)">(?:(?!</tr>).)*値を表示（個人情報）', listing, re.S)
    assert sorted(rows) == ["1", "2"] and labelled == ["2"]
