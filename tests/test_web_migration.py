"""移行検証 in the web app, through HTTP on a real loopback server: the old and new extracts of a generated
pair with planted defects uploaded from the page, compared in the background; the page and the JSON show the
differences ``kikan_std.compare`` finds in the same files, personal values stay masked, bad inputs give the
CLI's message, forms need their CSRF token, uploads are capped and gone after the run."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("duckdb", reason="the migration extra is not installed")

from kikan_std.migration import profile
from kikan_std.migration.compare import compare
from tests.conftest import run_cli
from tests.migration_pairs import pair, planted
from tests.test_migration_canary import canaries
from tests.web_server import Server, files_of, multipart, push_unsized_upload, request, run_flow, serve, session, upload

MiB = 1024 * 1024
SPEC = "jumin_kiroku"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with serve(tmp_path_factory.mktemp("mig"), max_upload_bytes=64 * MiB) as s:
        yield s


_files = files_of


def _upload(srv: Server, fields: dict[str, str], files: list[tuple[str, str, bytes]],
            cookie_token: tuple[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    return upload(srv, "migration", fields, files, cookie_token)


def _run(srv: Server, files: list[tuple[str, str, bytes]], fields: dict[str, str] | None = None,
         start: dict[str, str] | None = None) -> tuple[str, int, str]:
    """Upload, start, wait: (run page URL, status of the final page, its text)."""
    return run_flow(srv, "migration", {"spec": SPEC, **(fields or {})}, files, start or {})


def _differences(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((d["kind"], d["item"] or "", d["count"], d["status"]) for d in report["differences"])


def test_legacy_to_standard_shows_the_librarys_differences(srv: Server) -> None:
    d = pair(True)
    files = _files(before=d / "legacy.csv", after=d / "standard.csv", mapping=d / "mapping.toml",
                   expected=d / "expected-differences.toml")
    url, status, text = _run(srv, files, start={"after_encoding": "utf-8"})
    assert status == 200 and 'data-verdict="differences"' in text
    status, headers, body = request(srv, "GET", f"{url}/result.json")
    assert status == 200 and "attachment" in headers["content-disposition"]
    served = json.loads(body)
    lib = compare(d / "legacy.csv", d / "standard.csv", SPEC, mapping=d / "mapping.toml",
                  expected=d / "expected-differences.toml").model_dump(mode="json")
    assert _differences(served) == _differences(lib)
    assert (served["verdict"], served["matched"], served["before"]["records"], served["after"]["records"]) == (
        lib["verdict"], lib["matched"], lib["before"]["records"], lib["after"]["records"])
    # Every planted defect is there, with its count and status; the report names the client's files only.
    got = {(x["kind"], x["item"]): x for x in served["differences"]}
    for p in planted():
        x = got[(p["kind"], p["item"])]
        assert x["count"] == p["count"] and (x["status"] == "expected") == p["expected"]
    assert (served["before"]["file"], served["after"]["file"], served["before"]["mapping"]) == (
        "legacy.csv", "standard.csv", "mapping.toml")
    assert str(srv.work) not in body.decode("utf-8")
    # The page shown is the CLI's own HTML page (same renderer), under a CSP of its own.
    status, headers, page = request(srv, "GET", f"{url}/result.html?view=inline")
    code, cli_html, _ = run_cli("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", SPEC,
                                "--mapping", str(d / "mapping.toml"), "--expected",
                                str(d / "expected-differences.toml"), "--output-format", "html")
    assert status == 200 and code == 1 and "sha256-" in headers["content-security-policy"]
    assert page.decode("utf-8") == cli_html.replace(str(d) + "/", "")
    unexplained = sum(x["status"] == "unexplained" for x in served["differences"])
    assert f"説明のない差異 {unexplained} 件" in text
    assert srv.leftovers() == []


def test_one_extract_alone_is_profiled_as_the_library_does(srv: Server) -> None:
    d = pair(True)
    url, status, text = _run(srv, _files(after=d / "standard.csv"), start={"after_encoding": "utf-8"})
    assert status == 200 and "プロファイル" in text
    _, _, body = request(srv, "GET", f"{url}/result.json")
    served = json.loads(body)
    lib = profile(d / "standard.csv", SPEC).model_dump(mode="json")
    assert served["kind"] == "profile" and served["file"] == "standard.csv"
    assert served["items"] == lib["items"] and served["records"] == lib["records"]
    assert srv.leftovers() == []


def test_personal_values_are_masked_unless_asked(srv: Server) -> None:
    d = pair(True)
    files = _files(before=d / "legacy.csv", after=d / "standard.csv", mapping=d / "mapping.toml")
    values = canaries()
    url, _, text = _run(srv, files)
    served = text + "".join(request(srv, "GET", f"{url}/result.{f}")[2].decode("utf-8") for f in ("json", "html"))
    assert "差異" in served
    assert sorted(v for v in values if v in served) == []
    url, _, text = _run(srv, files, start={"show_values": "on"})
    _, _, body = request(srv, "GET", f"{url}/result.json")
    assert json.loads(body)["show_values"] is True and "値を表示しています" in text
    assert any(v in body.decode("utf-8") for v in values)  # the canary can see values when they are shown


def _cli_error(*argv: str) -> str:
    code, _, err = run_cli(*argv)
    assert code == 2
    return err.split("]: ", 1)[1].strip()


def test_a_wrongly_encoded_extract_gives_the_clis_message(srv: Server) -> None:
    d = pair(True)  # legacy.csv is CP932; read as UTF-8 without its mapping
    url, status, text = _run(srv, _files(before=d / "legacy.csv", after=d / "standard.csv"),
                             start={"before_encoding": "utf-8", "after_encoding": "utf-8"})
    message = _cli_error("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", SPEC)
    assert status == 422 and "Traceback" not in text and str(srv.work) not in text
    assert message.replace(str(d / "legacy.csv"), "legacy.csv") in text
    assert "文字コード" in text and srv.leftovers() == []
    assert request(srv, "GET", f"{url}/result.json")[0] == 404


def test_a_missing_key_column_gives_the_clis_message(srv: Server, tmp_path: Path) -> None:
    d = pair(True)
    with (d / "standard.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("宛名番号")
    nokey = tmp_path / "nokey.csv"
    with nokey.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(r[:i] + r[i + 1:] for r in rows)
    _, status, text = _run(srv, _files(before=d / "v1.csv", after=nokey))
    message = _cli_error("compare", str(d / "v1.csv"), str(nokey), "--spec", SPEC)
    assert status == 422 and message in text and "Traceback" not in text
    assert srv.leftovers() == []


def test_an_unusable_option_file_is_refused_at_upload_with_the_clis_message(srv: Server) -> None:
    d = pair(True)
    bad = ("expected", "expected.toml", (d / "mapping.toml").read_bytes())
    status, _, text = _upload(srv, {"spec": SPEC}, [*_files(before=d / "v1.csv", after=d / "v2.csv"), bad])
    assert status == 422 and "想定差異ファイルの内容が正しくありません" in text and str(srv.work) not in text
    status, _, text = _upload(srv, {"spec": SPEC, "tolerance": "nonsense=0.1"}, _files(after=d / "v2.csv"))
    assert status == 422 and "差異の種類が不明です" in text
    status, _, text = _upload(srv, {"spec": SPEC}, [])
    assert status == 422 and "移行前・移行後のファイルを選んでください" in text
    assert srv.leftovers() == []


@pytest.mark.parametrize("how", ["no cookie", "no token", "other site"])
def test_the_migration_forms_need_their_csrf_token(srv: Server, how: str) -> None:
    cookie, token = session(srv)
    body, ctype = multipart({"spec": SPEC}, [("after", "a.csv", b"a,b\n1,2\n")])
    path, headers = f"/migration/upload?csrf={token}", {"Cookie": cookie, "Content-Type": ctype}
    if how == "no cookie":
        del headers["Cookie"]
    elif how == "no token":
        path = "/migration/upload"
    else:
        headers["Origin"] = "http://evil.example"
    status, _, data = request(srv, "POST", path, body, headers)
    assert status == 403 and "CSRF" in data.decode("utf-8")
    assert srv.leftovers() == []


def test_a_discarded_upload_is_deleted_and_a_check_id_opens_no_migration_page(srv: Server) -> None:
    d = pair(True)
    cookie, token = session(srv)
    status, headers, _ = _upload(srv, {"spec": SPEC}, _files(before=d / "v1.csv", after=d / "v2.csv"), (cookie, token))
    url = headers["location"]
    assert status == 303 and srv.leftovers() != []
    status, _, _ = request(srv, "POST", f"{url}/cancel?csrf={token}", b"", {"Cookie": cookie})
    assert status == 303 and srv.leftovers() == []
    status, _, page = request(srv, "GET", url)
    assert "取り消しました" in page.decode("utf-8")
    body, ctype = multipart({"spec": "jutogai_atena"}, [("files", "a.csv", b"a\n1\n")])
    status, headers, _ = request(srv, "POST", f"/upload?csrf={token}", body, {"Content-Type": ctype, "Cookie": cookie})
    check_id = headers["location"].rsplit("/", 1)[1]
    assert request(srv, "GET", f"/migration/{check_id}")[0] == 404
    request(srv, "POST", f"/runs/{check_id}/cancel?csrf={token}", b"", {"Cookie": cookie})


def test_an_oversize_upload_is_refused_as_it_streams_and_a_run_has_a_time_limit(tmp_path: Path) -> None:
    d = pair(True)
    with serve(tmp_path / "small", max_upload_bytes=MiB) as small:
        cookie, token = session(small)
        status, text, sent = push_unsized_upload(small, f"/migration/upload?csrf={token}", "after", 256 * MiB,
                                                 MiB // 2, {"Cookie": cookie})
        assert status == 413 and "大きすぎます" in text  # the server stops reading after 1 MiB
        assert sent < 256 * MiB and small.leftovers() == []
    with serve(tmp_path / "slow", max_seconds=0) as slow:
        _, status, text = _run(slow, _files(before=d / "v1.csv", after=d / "v2.csv"))
        assert status == 503 and "時間制限" in text and slow.leftovers() == []


def test_the_start_page_links_the_migration_check(srv: Server) -> None:
    _, _, body = request(srv, "GET", "/")
    assert 'href="/migration"' in body.decode("utf-8") and "移行検証" in body.decode("utf-8")
    _, _, body = request(srv, "GET", "/migration")
    text = body.decode("utf-8")
    for field in ('name="before"', 'name="after"', 'name="mapping"', 'name="expected"', 'name="key_map"',
                  'name="tolerance"', 'name="spec"'):
        assert field in text
