"""突合 in the web app, through HTTP on a real loopback server: a generated pair of applications and
beneficiary list uploaded from the page, reconciled in the background; the served JSON is what
``reconcile_to`` writes for the same files and its summary is ``reconcile()``'s, personal values stay
masked in the page and every download, bad inputs give the CLI's message with 422, forms need their CSRF
token, uploads are gone after the run."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from kikan_std.reconcile import reconcile, reconcile_to
from kikan_std.reconcile.generate import GenConfig, generate_files
from tests.conftest import run_cli
from tests.test_reconcile_outputs import VALUES, _canary_inputs, _forms
from tests.web_server import Server, files_of, multipart, request, run_flow, serve, session, upload

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with serve(tmp_path_factory.mktemp("rec"), max_upload_bytes=64 * MiB) as s:
        yield s


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("pair")
    generate_files(300, d, GenConfig(seed=7, bank_unresolvable=0.05))
    return d


_files = files_of


def _upload(srv: Server, fields: dict[str, str], files: list[tuple[str, str, bytes]],
            cookie_token: tuple[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    return upload(srv, "reconcile", fields, files, cookie_token)


def _run(srv: Server, files: list[tuple[str, str, bytes]], fields: dict[str, str] | None = None,
         encoding: str = "auto") -> tuple[str, int, str]:
    """Upload, start, wait: (run page URL, status of the final page, its text)."""
    return run_flow(srv, "reconcile", fields or {}, files, {"encoding": encoding})


def _normalised(text: str, folder: Path) -> dict[str, object]:
    """The JSON without what differs between two runs on the same bytes: the time of the run, and the
    folder the files were read from (the web app names the client's file only)."""
    data = json.loads(text.replace(str(folder) + "/", ""))
    data["audit"].pop("created")
    return data  # type: ignore[no-any-return]


def test_served_outputs_are_reconcile_tos_and_the_summary_is_reconciles(srv: Server, pair: Path) -> None:
    a, b = pair / "applications.csv", pair / "beneficiaries.csv"
    url, status, page = _run(srv, _files(applications=a, beneficiaries=b), {"amount": "50000", "threshold": "0.8"})
    assert status == 200 and 'id="summary"' in page
    status, headers, body = request(srv, "GET", f"{url}/result.json")
    assert status == 200 and "attachment" in headers["content-disposition"]
    served = body.decode("utf-8")
    assert str(srv.work) not in served
    local: dict[str, str] = {}
    for fmt in ("json", "csv", "html"):
        buf = io.StringIO()
        reconcile_to(a, b, buf, output_format=fmt, amount_per_person=50000, threshold=0.8)
        local[fmt] = buf.getvalue()
    assert _normalised(served, pair) == _normalised(local["json"], pair)
    summary = json.loads(served)["summary"]
    assert summary == reconcile(a, b, amount_per_person=50000, threshold=0.8).summary.model_dump(mode="json")
    assert summary["matched"] > 0 and summary["review"] + summary["ambiguous"] + summary["unmatched_applications"] > 0
    # The page shows the counts of that summary (and the unresolved banks of the JSON).
    unresolved = len(json.loads(served)["unresolved_banks"])
    assert unresolved > 0
    for key in ("matched", "review", "ambiguous", "unmatched_applications", "duplicates"):
        assert f'data-count="{key}">{summary[key]:,}<' in page
    assert f'data-count="unresolved_banks">{unresolved:,}<' in page
    # CSV as the CLI writes it with -o (utf-8-sig); the HTML is the CLI's page under its own CSP.
    status, _, csv_bytes = request(srv, "GET", f"{url}/result.csv")
    assert status == 200 and csv_bytes.startswith("\ufeff".encode())
    strip = str(pair) + "/"
    created = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")  # the time of the run
    assert created.sub("T", csv_bytes.decode("utf-8-sig")) == created.sub("T", local["csv"].replace(strip, ""))
    status, headers, html = request(srv, "GET", f"{url}/result.html?view=inline")
    assert status == 200 and "content-security-policy" in headers
    assert created.sub("T", html.decode("utf-8")) == created.sub("T", local["html"].replace(strip, ""))
    assert '<iframe id="report"' in page and " sandbox" in page
    assert "transfer-file" in page  # says the payment file is a command-line step
    assert srv.leftovers() == []


def test_no_personal_value_in_the_page_or_any_download(srv: Server, pair: Path, tmp_path: Path) -> None:
    a, b = _canary_inputs(tmp_path)
    values = list(VALUES)
    gen = (pair / "applications.csv", pair / "beneficiaries.csv")
    for path in gen:
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                values += [row[c] for c in ("世帯主氏名", "住所", "生年月日") if len(row.get(c) or "") >= 6]
    for files in (_files(applications=a, beneficiaries=b), _files(applications=gen[0], beneficiaries=gen[1])):
        url, status, page = _run(srv, files)
        assert status == 200
        served = page + "".join(request(srv, "GET", f"{url}/result.{f}")[2].decode("utf-8-sig")
                                for f in ("json", "csv", "html"))
        assert '"values_shown": false' in served or '"values_shown":false' in served
        leaked = sorted({form for v in values for form in _forms(v) if form in served})
        assert leaked == []
    assert srv.leftovers() == []


def _cli_error(*argv: str) -> str:
    code, _, err = run_cli("reconcile", *argv)
    assert code == 2
    return err.split("]: ", 1)[1].strip()


def test_a_missing_column_gives_the_clis_message(srv: Server, pair: Path, tmp_path: Path) -> None:
    with (pair / "applications.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    i = rows[0].index("住所")
    bad = tmp_path / "no-address.csv"
    with bad.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(r[:i] + r[i + 1:] for r in rows)
    url, status, text = _run(srv, _files(applications=bad, beneficiaries=pair / "beneficiaries.csv"))
    message = _cli_error(str(bad), str(pair / "beneficiaries.csv"))
    assert status == 422 and "Traceback" not in text and str(srv.work) not in text
    assert message.replace(str(bad), bad.name) in text
    assert request(srv, "GET", f"{url}/result.json")[0] == 404
    assert srv.leftovers() == []


def test_undecodable_bytes_give_the_clis_message(srv: Server, pair: Path, tmp_path: Path) -> None:
    generate_files(20, tmp_path, GenConfig(seed=1), encoding="cp932")  # read as UTF-8: not decodable
    a, b = tmp_path / "applications.csv", tmp_path / "beneficiaries.csv"
    _, status, text = _run(srv, _files(applications=a, beneficiaries=b), encoding="utf-8")
    message = _cli_error(str(a), str(b), "--encoding", "utf-8")
    assert status == 422 and "Traceback" not in text
    assert message.replace(str(a), a.name).replace(str(b), b.name) in text
    assert srv.leftovers() == []


def test_an_unusable_mapping_or_option_is_refused_at_upload(srv: Server, pair: Path, tmp_path: Path) -> None:
    files = _files(applications=pair / "applications.csv", beneficiaries=pair / "beneficiaries.csv")
    bad = tmp_path / "map.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    message = _cli_error(str(pair / "applications.csv"), str(pair / "beneficiaries.csv"), "--mapping", str(bad))
    status, _, text = _upload(srv, {}, [*files, ("mapping", "map.json", bad.read_bytes())])
    assert status == 422 and message in text and str(srv.work) not in text
    status, _, text = _upload(srv, {}, [*files, ("mapping", "map.json", b"{not json")])
    assert status == 422 and "列名の対応表を読めません: map.json" in text and str(srv.work) not in text
    status, _, text = _upload(srv, {"amount": "-5"}, files)
    assert status == 422 and "給付額" in text
    status, _, text = _upload(srv, {"threshold": "2"}, files)
    assert status == 422 and "信頼度" in text
    status, _, text = _upload(srv, {}, files[:1])
    assert status == 422 and "両方を選んでください" in text
    assert srv.leftovers() == []


def test_a_mapping_is_applied_as_the_cli_applies_it(srv: Server, pair: Path, tmp_path: Path) -> None:
    with (pair / "applications.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    rows[0] = ["申請者名" if c == "世帯主氏名" else c for c in rows[0]]
    a = tmp_path / "renamed.csv"
    with a.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    m = tmp_path / "map.json"
    m.write_text(json.dumps({"applications": {"世帯主氏名": "申請者名"}}, ensure_ascii=False), encoding="utf-8")
    url, status, _ = _run(srv, _files(applications=a, beneficiaries=pair / "beneficiaries.csv", mapping=m))
    assert status == 200
    served = json.loads(request(srv, "GET", f"{url}/result.json")[2])
    lib = reconcile(pair / "applications.csv", pair / "beneficiaries.csv")
    assert served["summary"] == lib.summary.model_dump(mode="json")
    assert served["audit"]["options"]["mapping"] == {"applications": {"世帯主氏名": "申請者名"}}


@pytest.mark.parametrize("how", ["no cookie", "no token", "other site"])
def test_the_reconcile_forms_need_their_csrf_token(srv: Server, how: str) -> None:
    cookie, token = session(srv)
    body, ctype = multipart({}, [("applications", "a.csv", b"a\n1\n"), ("beneficiaries", "b.csv", b"a\n1\n")])
    path, headers = f"/reconcile/upload?csrf={token}", {"Cookie": cookie, "Content-Type": ctype}
    if how == "no cookie":
        del headers["Cookie"]
    elif how == "no token":
        path = "/reconcile/upload"
    else:
        headers["Origin"] = "http://evil.example"
    status, _, data = request(srv, "POST", path, body, headers)
    assert status == 403 and "CSRF" in data.decode("utf-8")
    assert srv.leftovers() == []


def test_a_discarded_upload_is_deleted_and_the_start_needs_its_token(srv: Server, pair: Path) -> None:
    cookie, token = session(srv)
    status, headers, _ = _upload(srv, {}, _files(applications=pair / "applications.csv",
                                                 beneficiaries=pair / "beneficiaries.csv"), (cookie, token))
    url = headers["location"]
    assert status == 303 and srv.leftovers() != []
    status, _, _ = request(srv, "POST", f"{url}/start", b"encoding=auto",
                           {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 403
    status, _, _ = request(srv, "POST", f"{url}/cancel?csrf={token}", b"", {"Cookie": cookie})
    assert status == 303 and srv.leftovers() == []
    assert "取り消しました" in request(srv, "GET", url)[2].decode("utf-8")


def test_a_run_has_a_time_limit(tmp_path: Path, pair: Path) -> None:
    with serve(tmp_path / "slow", max_seconds=0) as slow:
        _, status, text = _run(slow, _files(applications=pair / "applications.csv",
                                            beneficiaries=pair / "beneficiaries.csv"))
        assert status == 503 and "時間制限" in text and slow.leftovers() == []


def test_the_pages_link_the_reconcile_flow(srv: Server) -> None:
    text = request(srv, "GET", "/")[2].decode("utf-8")
    assert 'href="/reconcile"' in text and "突合（給付の申請と対象者名簿）" in text
    text = request(srv, "GET", "/reconcile")[2].decode("utf-8")
    for field in ('name="applications"', 'name="beneficiaries"', 'name="mapping"', 'name="amount"',
                  'name="threshold"', 'value="100000"'):
        assert field in text
    assert "show_values" not in text and 'name="transfer' not in text
