"""A kikan-std web server on a free loopback port, in a thread, for the web tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed")

from kikan_std.testing.generators.deliverable import write_deliverable  # noqa: E402
from kikan_std.web import WebConfig, create_app  # noqa: E402


@dataclass(frozen=True)
class Server:
    url: str
    port: int
    work: Path
    state: Any  # the app's internal state (tests use its worker pool to hold a run in the queue)

    def leftovers(self) -> list[Path]:
        """Whatever a run left in the upload folder (must be nothing once requests are answered)."""
        return sorted(self.work.rglob("*"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(tmp: Path, **config: Any) -> Iterator[Server]:
    port = free_port()
    work = tmp / "work"
    cfg = WebConfig(port=port, work_dir=work, **config)
    app = create_app(cfg)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):  # a bounded wait for the socket
        if server.started:
            break
        time.sleep(0.05)
    assert server.started, "server did not start"
    try:
        yield Server(f"http://127.0.0.1:{port}", port, work, app.app.state.kikan)
    finally:
        server.should_exit = True
        thread.join(30)


def deliverable_zip(tmp: Path, rows: int = 300, *, defects: bool = True, name: str = "deliverable") -> Path:
    """A synthetic deliverable (write_deliverable), zipped."""
    folder = tmp / name
    write_deliverable(folder, rows=rows, seed=7, defects=defects)
    target = tmp / f"{name}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return target


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of text ``fields`` and ``files`` (field, file name, content)."""
    boundary = "kikanboundary7f3a"
    out = bytearray()
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for field, name, data in files:
        out += (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def request(srv: Server, method: str, path: str, body: bytes = b"",
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request to the test server: (status, lower-cased headers, body)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def push_unsized_upload(srv: Server, path: str, field: str, offer: int, chunk: int,
                        headers: dict[str, str] | None = None) -> tuple[int, str, int]:
    """POST a multipart upload of ``offer`` bytes with no declared length (chunked), as a client that keeps
    sending; returns (status, body text, bytes sent before the server closed the connection)."""
    import http.client

    boundary = "b0undary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="big.csv"\r\n\r\n'.encode()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Transfer-Encoding", "chunked")  # no declared length: counted as it arrives
    for k, v in (headers or {}).items():
        conn.putheader(k, v)
    conn.endheaders()
    sent, data = 0, b"1," * (chunk // 2)
    try:
        conn.send(b"%x\r\n%s\r\n" % (len(head), head))
        while sent < offer:
            conn.send(b"%x\r\n%s\r\n" % (len(data), data))
            sent += len(data)
    except OSError:
        pass  # the server stopped reading: what a refused upload looks like from the client
    try:
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8"), sent
    finally:
        conn.close()


def post_check(srv: Server, fields: dict[str, str], files: list[tuple[str, str, bytes]],
               headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST /api/v1/check; (status, parsed JSON)."""
    import json

    body, ctype = multipart(fields, files)
    status, _, data = request(srv, "POST", "/api/v1/check", body, {"Content-Type": ctype, **(headers or {})})
    return status, json.loads(data)


def files_of(**named: Path) -> list[tuple[str, str, bytes]]:
    """(form field, file name, bytes) of each file, for :func:`multipart`."""
    return [(field, p.name, p.read_bytes()) for field, p in named.items()]


def upload(srv: Server, flow: str, fields: dict[str, str], files: list[tuple[str, str, bytes]],
           cookie_token: tuple[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    """POST the upload form of a page flow (``migration``, ``reconcile``): (status, headers, text)."""
    cookie, token = cookie_token or session(srv)
    body, ctype = multipart(fields, files)
    status, headers, data = request(srv, "POST", f"/{flow}/upload?csrf={token}", body,
                                    {"Content-Type": ctype, "Cookie": cookie})
    return status, headers, data.decode("utf-8")


def run_flow(srv: Server, flow: str, fields: dict[str, str], files: list[tuple[str, str, bytes]],
             start: dict[str, str]) -> tuple[str, int, str]:
    """Upload, start with the ``start`` form, wait: (run page URL, status of the final page, its text)."""
    import json
    import re

    cookie, token = session(srv)
    status, headers, text = upload(srv, flow, fields, files, (cookie, token))
    assert status == 303, text
    url = headers["location"]
    assert re.fullmatch(rf"/{flow}/[A-Za-z0-9_-]{{20,}}", url)
    status, _, page = request(srv, "GET", url, headers={"Cookie": cookie})
    assert status == 200 and 'id="start"' in page.decode("utf-8")
    form = "&".join(f"{k}={v}" for k, v in start.items())
    status, _, _ = request(srv, "POST", f"{url}/start?csrf={token}", form.encode(),
                           {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 303
    deadline = time.monotonic() + 300
    while True:
        _, _, body = request(srv, "GET", f"{url}/status")
        if json.loads(body)["state"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, "run did not finish"
        time.sleep(0.2)
    status, _, page = request(srv, "GET", url, headers={"Cookie": cookie})
    return url, status, page.decode("utf-8")


def session(srv: Server) -> tuple[str, str]:
    """A page session: (Cookie header, CSRF token) as a browser gets them from the first page."""
    import re

    _, headers, body = request(srv, "GET", "/")
    cookie = headers["set-cookie"].split(";", 1)[0]
    m = re.search(r"csrf=([0-9a-f]+)", body.decode("utf-8"))
    assert m is not None
    return cookie, m.group(1)
