"""The run history (``--data-dir``): reports kept in SQLite (never the uploaded data), listed on a page,
and two runs compared v1 → v2 — the same classification as the library's ``--baseline``."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from kikan_std import check
from kikan_std.cli import main
from kikan_std.writers import render
from tests.web_server import post_check, request, serve


def _version(tmp: Path, folder: str, rate: float) -> Path:
    target = tmp / folder / "atena.csv"
    target.parent.mkdir()
    assert main(["generate", "--spec", "jutogai_atena", "--rows", "300", "--seed", "4", "--defect-rate", str(rate),
                 "-o", str(target)]) == 0
    return target


def test_history_keeps_reports_only_and_compares_two_deliveries_like_the_baseline(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v1, v2 = _version(tmp_path, "v1", 0.08), _version(tmp_path, "v2", 0.05)
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
