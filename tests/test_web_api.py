"""The REST API for CI, through HTTP on a real loopback server: status codes as KoSIT's validator
(200 conformant / 406 not / 422 unusable / 413 too large), reports equal to the library's, runs at
once unmixed, limits, health and the OpenAPI document."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kikan_std import check
from kikan_std.cli import main
from kikan_std.deliverable import check_deliverable
from tests.web_server import deliverable_zip, post_check, request, serve

KEYS = ("code", "file", "record", "item", "message")


def _rows(findings: list) -> list[tuple]:  # type: ignore[type-arg]
    """Findings as comparable tuples (file by its name: the library saw a path, the server a label)."""
    out = []
    for f in findings:
        d = f if isinstance(f, dict) else f.model_dump()
        out.append(tuple(Path(d[k]).name if k == "file" else d[k] for k in KEYS))
    return out


def _atena(tmp: Path, name: str, rows: int, seed: int, defects: float) -> Path:
    from kikan_std.cli import main as cli

    target = tmp / name
    args = ["generate", "--spec", "jutogai_atena", "--rows", str(rows), "--seed", str(seed), "-o", str(target)]
    if defects:
        args += ["--defect-rate", str(defects)]
    assert cli(args) == 0
    return target


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with serve(tmp_path_factory.mktemp("api"), workers=3) as s:
        yield s


def test_health_and_openapi(srv) -> None:  # type: ignore[no-untyped-def]
    status, headers, body = request(srv, "GET", "/api/v1/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert "script-src 'self'" in headers["content-security-policy"]
    status, _, body = request(srv, "GET", "/api/v1/openapi.json")
    doc = json.loads(body)
    assert status == 200 and doc["openapi"].startswith("3.")
    assert {"200", "406", "413", "422"} <= set(doc["paths"]["/api/v1/check"]["post"]["responses"])
    status, _, body = request(srv, "GET", "/api/v1/specs")
    assert any(s["id"] == "jutogai_atena" and s["provenance"] for s in json.loads(body))


def test_conformant_file_is_200_and_defective_is_406_with_the_librarys_findings(srv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clean = _atena(tmp_path, "clean.csv", 50, 1, 0)
    status, rep = post_check(srv, {"spec": "jutogai_atena"}, [("file", "住登外.csv", clean.read_bytes())])
    assert status == 200 and rep["valid"] is True
    assert rep["inputs"][0]["file"] == "住登外.csv"  # the client's name, never the server path
    bad = _atena(tmp_path, "bad.csv", 200, 2, 0.1)
    status, rep = post_check(srv, {"spec": "jutogai_atena"}, [("file", "bad.csv", bad.read_bytes())])
    expected = check(bad, spec="jutogai_atena")
    assert status == 406 and rep["valid"] is False
    assert _rows(rep["findings"]) == _rows(expected.findings)
    text = json.dumps(rep, ensure_ascii=False)
    assert str(srv.work) not in text and "kikan-web" not in text
    assert rep["values_shown"] is False  # personal values masked by default
    assert srv.leftovers() == []


def test_deliverable_zip_without_spec(srv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    zipped = deliverable_zip(tmp_path, rows=120, defects=True)
    status, rep = post_check(srv, {}, [("file", "delivery.zip", zipped.read_bytes())])
    expected = check_deliverable(zipped)
    assert status == 406
    assert _rows(rep["findings"]) == _rows(expected.findings)


@pytest.mark.parametrize(("fields", "name", "says"), [
    ({"spec": "no_such_spec"}, "a.csv", "仕様が見つかりません"),
    ({"spec": "jutogai_atena"}, "a.zip", "成果物一式"),
    ({}, "a.csv", "仕様を選ぶか"),
    ({"spec": "jutogai_atena", "encoding": "klingon"}, "a.csv", "未知の文字コード"),
])
def test_unusable_requests_are_422_with_a_message(srv, fields, name, says) -> None:  # type: ignore[no-untyped-def]
    status, rep = post_check(srv, fields, [("file", name, b"a,b\n1,2\n")])
    assert status == 422 and says in rep["error"]
    assert srv.leftovers() == []


def test_unusable_spec_workbook_is_422(srv) -> None:  # type: ignore[no-untyped-def]
    status, rep = post_check(srv, {}, [("file", "a.csv", b"x\n"), ("spec_file", "spec.xlsx", b"not a workbook")])
    assert status == 422 and "仕様ファイルを読めません" in rep["error"]
    assert srv.leftovers() == []


def test_concurrent_runs_do_not_mix_reports(srv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = [_atena(tmp_path, f"f{i}.csv", 150 + 10 * i, 10 + i, 0.05 * (i % 3)) for i in range(6)]

    def one(p: Path) -> tuple[Path, int, dict]:  # type: ignore[type-arg]
        status, rep = post_check(srv, {"spec": "jutogai_atena"}, [("file", p.name, p.read_bytes())])
        return p, status, rep

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(one, files))
    for p, status, rep in results:
        expected = check(p, spec="jutogai_atena")
        assert rep["inputs"][0]["sha256"] == hashlib.sha256(p.read_bytes()).hexdigest()
        assert rep["inputs"][0]["file"] == p.name
        assert _rows(rep["findings"]) == _rows(expected.findings)
        assert status == (406 if expected.failed else 200)


def test_time_limit_stops_a_run(tmp_path: Path) -> None:
    big = _atena(tmp_path, "big.csv", 3000, 5, 0)
    with serve(tmp_path, max_seconds=1e-6) as s:
        status, rep = post_check(s, {"spec": "jutogai_atena"}, [("file", "big.csv", big.read_bytes())])
        assert status == 503 and "時間制限" in rep["error"]
        assert s.leftovers() == []


def test_token_required_when_configured(tmp_path: Path) -> None:
    with serve(tmp_path, token="s3cret-token") as s:
        status, _, body = request(s, "GET", "/api/v1/health")
        assert status == 401 and "トークン" in body.decode("utf-8")
        status, _, _ = request(s, "GET", "/api/v1/health", headers={"Authorization": "Bearer wrong"})
        assert status == 401
        status, _, _ = request(s, "GET", "/api/v1/health", headers={"Authorization": "Bearer s3cret-token"})
        assert status == 200


def test_serve_refuses_a_non_loopback_address_without_the_explicit_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == 2
    assert "--allow-remote" in capsys.readouterr().err




def test_a_folder_uploaded_from_the_page_is_checked_as_a_deliverable(srv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import time

    from kikan_std.testing.generators.deliverable import write_deliverable
    from tests.web_server import multipart, session

    folder = tmp_path / "納品物"
    write_deliverable(folder, rows=120, seed=3, defects=True)
    files = [("folder", f"納品物/{p.relative_to(folder).as_posix()}", p.read_bytes())
             for p in sorted(folder.rglob("*")) if p.is_file()]
    cookie, token = session(srv)
    body, ctype = multipart({"spec": ""}, files)
    status, headers, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
    assert status == 303
    run = headers["location"]
    status, _, _ = request(srv, "POST", f"{run}/start?csrf={token}", b"encoding=utf-8&lang=ja",
                           {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 303
    for _ in range(1200):  # bounded wait for the background run
        state = json.loads(request(srv, "GET", f"{run}/status")[2])["state"]
        if state not in ("queued", "running"):
            break
        time.sleep(0.05)
    assert state == "done"
    _, _, page = request(srv, "GET", run, headers={"Cookie": cookie})
    expected = check_deliverable(folder)
    assert ("不適合" in page.decode("utf-8")) == expected.failed
    rep = json.loads(request(srv, "GET", f"{run}/report.json")[2])
    assert _rows(rep["findings"]) == _rows(expected.findings)
    assert srv.leftovers() == []
