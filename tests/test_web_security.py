"""Hostile requests to the web app, through HTTP on a real loopback server: each is refused with a
clear message (Japanese first) and leaves nothing in the upload folder."""

from __future__ import annotations

import http.client
import io
import re
import zipfile
from pathlib import Path

import pytest

from tests.web_server import Server, multipart, post_check, push_unsized_upload, request, serve, session

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with serve(tmp_path_factory.mktemp("sec"), max_upload_bytes=4 * MiB) as s:
        yield s


def _page_post(srv: Server, path: str, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    status, _, data = request(srv, "POST", path, body, {"Content-Type": ctype, **(headers or {})})
    return status, data.decode("utf-8")


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\x.csv", "/etc/passwd", "a\x00b.csv", "..", ".hidden"])
def test_path_traversal_in_a_file_name_is_refused(srv: Server, name: str) -> None:
    status, rep = post_check(srv, {"spec": "jutogai_atena"}, [("file", name, b"a,b\n")])
    assert status == 400 and "ファイル名が不正です" in rep["error"]
    assert srv.leftovers() == []


def test_path_traversal_in_a_folder_upload_is_refused(srv: Server) -> None:
    cookie, token = session(srv)
    body, ctype = multipart({}, [("folder", "delivery/../../x.csv", b"a\n")])
    status, text = _page_post(srv, f"/upload?csrf={token}", body, ctype, {"Cookie": cookie})
    assert status == 400 and "ファイル名が不正です" in text
    assert srv.leftovers() == []


def test_path_traversal_inside_a_zip_is_refused_by_the_deliverable_hardening(srv: Server) -> None:
    status, rep = post_check(srv, {}, [("file", "d.zip", _zip({"../evil.csv": b"a,b\n1,2\n"}))])
    assert status == 422 and "安全でない ZIP" in rep["error"]
    assert srv.leftovers() == []


def test_zip_bomb_is_refused(srv: Server) -> None:
    bomb = _zip({"jumin_kiroku__jumin.csv": b"0" * (40 * MiB)})  # ~40 KiB compressed, ratio ~1000
    assert len(bomb) < MiB
    status, rep = post_check(srv, {}, [("file", "bomb.zip", bomb)])
    assert status == 422 and "安全でない ZIP" in rep["error"]
    assert srv.leftovers() == []


@pytest.mark.parametrize("how", ["no cookie", "no token", "wrong token", "other site"])
def test_page_forms_without_a_valid_csrf_token_are_refused(srv: Server, how: str) -> None:
    cookie, token = session(srv)
    body, ctype = multipart({"spec": "jutogai_atena"}, [("files", "a.csv", b"a,b\n1,2\n")])
    path, headers = f"/upload?csrf={token}", {"Cookie": cookie}
    if how == "no cookie":
        headers = {}
    elif how == "no token":
        path = "/upload"
    elif how == "wrong token":
        path = "/upload?csrf=" + "0" * 64
    else:
        headers["Origin"] = "http://evil.example"
    status, text = _page_post(srv, path, body, ctype, headers)
    assert status == 403 and "CSRF" in text and "トークン" in text
    assert srv.leftovers() == []


def test_the_page_flow_with_a_valid_token_works_and_discard_deletes_the_upload(srv: Server) -> None:
    cookie, token = session(srv)
    body, ctype = multipart({"spec": "jutogai_atena"}, [("files", "a.csv", "氏名,住所\n".encode("cp932"))])
    status, headers, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
    assert status == 303
    run = headers["location"]
    status, _, page = request(srv, "GET", run, headers={"Cookie": cookie})
    assert status == 200 and "cp932" in page.decode("utf-8")  # the guess, shown before the run
    assert srv.leftovers() != []  # kept until started or discarded
    status, _, _ = request(srv, "POST", f"{run}/cancel?csrf={token}", b"", {"Cookie": cookie})
    assert status == 303 and srv.leftovers() == []
    _, _, page = request(srv, "GET", run, headers={"Cookie": cookie})
    assert "取り消しました" in page.decode("utf-8")


def test_wrong_content_type_is_415(srv: Server) -> None:
    status, _, body = request(srv, "POST", "/api/v1/check", b'{"file": "x"}', {"Content-Type": "application/json"})
    assert status == 415 and "multipart/form-data" in body.decode("utf-8")
    cookie, token = session(srv)
    status, text = _page_post(srv, f"/upload?csrf={token}", b"x=1", "application/x-www-form-urlencoded",
                              {"Cookie": cookie})
    assert status == 415 and "multipart/form-data" in text
    assert srv.leftovers() == []


def test_a_2_gib_upload_is_refused_from_its_declared_length(srv: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    conn.putrequest("POST", "/api/v1/check")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(2 * 1024**3))
    conn.endheaders()
    sent = 0
    try:
        for _ in range(8):  # the server answers before the body: a few MiB at most go out
            conn.send(b"\0" * MiB)
            sent += MiB
    except OSError:
        pass
    resp = conn.getresponse()
    assert resp.status == 413 and "大きすぎます" in resp.read().decode("utf-8")
    conn.close()
    assert srv.leftovers() == []


def test_a_2_gib_streamed_upload_without_a_length_is_cut_off_at_the_limit(srv: Server) -> None:
    status, text, sent = push_unsized_upload(srv, "/api/v1/check", "file", 2 * 1024**3, MiB)
    assert status == 413 and "大きすぎます" in text  # 2 GiB offered; the server stops reading after 4 MiB
    assert sent < 2 * 1024**3
    assert srv.leftovers() == []


def test_foreign_host_header_is_refused(srv: Server) -> None:
    status, _, body = request(srv, "GET", "/", headers={"Host": "attacker.example"})
    assert status == 400 and "Host" in body.decode("utf-8")


def test_pages_have_a_strict_content_security_policy_and_the_report_allows_only_its_own_hashes(
        srv: Server, tmp_path: Path) -> None:
    _, headers, _ = request(srv, "GET", "/")
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    cookie, token = session(srv)
    body, ctype = multipart({"spec": "jutogai_atena"}, [("files", "a.csv", b"x,y\n1,2\n")])
    _, h, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
    run = h["location"]
    assert request(srv, "POST", f"{run}/start?csrf={token}", b"encoding=utf-8",
                   {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})[0] == 303
    for _ in range(600):  # bounded: wait for the run to end
        _, _, st = request(srv, "GET", f"{run}/status")
        if b'"done"' in st or b'"failed"' in st:
            break
        __import__("time").sleep(0.05)
    status, h, page = request(srv, "GET", f"{run}/report.html?view=inline")
    assert status == 200
    csp = h["content-security-policy"]
    assert "'sha256-" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert re.search(r"<script>", page.decode("utf-8"))
    status, h, _ = request(srv, "GET", f"{run}/report.json")
    assert status == 200 and "attachment" in h["content-disposition"]
    assert srv.leftovers() == []


@pytest.mark.parametrize("name", ["../app.py", "..%2Fapp.py", "app.py", "x.js"])
def test_static_files_are_a_fixed_list(srv: Server, name: str) -> None:
    status, _, _ = request(srv, "GET", f"/static/{name}")
    assert status == 404
