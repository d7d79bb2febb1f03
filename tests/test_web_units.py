"""The web app's pieces a user relies on, without a server: a cancelled run leaves nothing and says so;
a client file name either is refused or is a plain leaf name (property test); the report CSP names
exactly the report's own inline code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("starlette", reason="the web extra is not installed")

from kikan_std import check
from kikan_std.specs import load_spec
from kikan_std.web.runs import Plan, Run, execute
from kikan_std.web.security import report_csp
from kikan_std.web.uploads import UploadRefused, safe_leaf, safe_relative
from kikan_std.writers import render


def _run(tmp: Path) -> Run:
    folder = tmp / "run"
    (folder / "in").mkdir(parents=True)
    data = folder / "in" / "a.csv"
    data.write_text("宛名番号\n1\n", encoding="utf-8")
    return Run("r1", folder, Plan("files", [data], {str(data): "a.csv"}, load_spec("jutogai_atena")), [])


def test_a_cancelled_run_says_so_and_deletes_its_upload(tmp_path: Path) -> None:
    run = _run(tmp_path)
    run.cancel.set()
    execute(run, encoding="utf-8", lang="ja", show_values=False, max_findings=10, max_seconds=60)
    assert run.state == "cancelled" and run.report is None and "取り消しました" in (run.error or "")
    assert not run.folder.exists()


def test_an_unusable_input_fails_with_a_message_and_no_server_path(tmp_path: Path) -> None:
    run = _run(tmp_path)
    (run.folder / "in" / "a.csv").unlink()
    execute(run, encoding="utf-8", lang="ja", show_values=False, max_findings=10, max_seconds=60)
    assert run.state == "failed" and run.report is None
    assert str(tmp_path) not in (run.error or "") and "a.csv" in (run.error or "")
    assert not run.folder.exists()


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=40))
def test_a_client_file_name_is_refused_or_a_plain_leaf(name: str) -> None:
    try:
        leaf = safe_leaf(name)
    except UploadRefused as e:
        assert e.status == 400 and "ファイル名が不正です" in e.message
        return
    assert leaf not in ("", ".", "..") and not leaf.startswith(".")
    assert not re.search(r'[/\\:\x00-\x1f]', leaf)
    assert Path("base", leaf).parent == Path("base")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "..", ".", "", "b.csv", "c\\d", "/", "e:f"]), min_size=1, max_size=5))
def test_a_folder_path_is_refused_or_stays_inside(parts: list[str]) -> None:
    try:
        rel = safe_relative("/".join(parts))
    except UploadRefused:
        return
    assert (Path("/base") / rel).resolve().is_relative_to(Path("/base"))


def test_the_report_csp_allows_exactly_its_inline_code(tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    data.write_text("宛名番号\n1\n", encoding="utf-8")
    page = render(check(data, spec="jutogai_atena"), "html")
    csp = report_csp(page)
    n_inline = len(re.findall(r"<script>", page)) + len(re.findall(r"<style>", page))
    n_attrs = len(set(re.findall(r'\s(?:style|on[a-z]+)="([^"]*)"', page)))
    assert csp.count("'sha256-") <= n_inline + n_attrs and csp.count("'sha256-") >= n_inline
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
