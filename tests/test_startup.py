"""Start-up: a plain ``check`` loads only what it needs (vendors run it in CI on many small files).

Each case runs in a fresh interpreter and looks at ``sys.modules`` afterwards, so that what other tests
imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

VALID = ROOT / "conformance" / "jutogai_atena" / "valid_utf8_crlf.csv"

NOT_FOR_A_PLAIN_CHECK = (
    "kikan_std.deliverable",
    "kikan_std.migration",
    "kikan_std.reconcile",
    "kikan_std.web",
    "kikan_std.model.diff",
    "kikan_std.report.editions",
)
"""Packages a ``check FILE --spec ID`` (CLI or library) must not import."""

_PROBE = """
import io, json, sys
{run}
loaded = sorted(m for m in sys.modules
                if any(m == p or m.startswith(p + ".") for p in {forbidden!r}))
print(json.dumps({{"result": result, "loaded": loaded}}))
"""

_CLI = """
from kikan_std.cli import main
out, err = io.StringIO(), io.StringIO()
code = main(["check", {path!r}, "--spec", "jutogai_atena"], out, err)
result = [code, "適合" in out.getvalue()]
"""

_LIBRARY = """
import kikan_std
report = kikan_std.check({path!r}, spec="jutogai_atena")
result = [report.valid, sum(report.stats.records.values())]
"""


def _probe(run: str) -> dict[str, list[object]]:
    code = _PROBE.format(run=run.format(path=str(VALID)), forbidden=NOT_FOR_A_PLAIN_CHECK)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    out: dict[str, list[object]] = json.loads(proc.stdout.splitlines()[-1])
    return out


@pytest.mark.parametrize(("run", "expected"), [(_CLI, [0, True]), (_LIBRARY, [True, 40])], ids=["cli", "library"])
def test_a_plain_check_does_not_import_the_other_parts(run: str, expected: list[object]) -> None:
    got = _probe(run)
    assert got["result"] == expected  # the check really ran, and passed
    assert got["loaded"] == []


def test_the_probe_sees_a_part_used_on_first_use() -> None:
    # The same probe does see the parts once a public name needs them (so the test above can fail).
    got = _probe(_LIBRARY + "kikan_std.check_deliverable, kikan_std.diff_specs\n")
    assert "kikan_std.deliverable" in got["loaded"] and "kikan_std.model.diff" in got["loaded"]
