"""Start-up: a plain ``check`` loads only what it needs (vendors run it in CI on many small files).

Each case runs in a fresh interpreter and looks at ``sys.modules`` afterwards, so that what other tests
imported does not count.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli

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


def _argv_cases() -> list[list[str]]:
    from kikan_std.cli import _OWN_PARSER, COMMANDS

    cases = [[], ["--help"], ["-h", "check"], ["--version"], ["nope"], ["--bogus", "check", "x.csv"],
             ["spec"], ["spec", "import", "--help"], ["spec", "diff", "--help"], ["spec", "diff", "a"],
             ["check"], ["check", "x.csv", "--bogus"], ["check", "x.csv", "--jobs", "0"],
             ["check", "x.csv", "--spec", "a", "--spec-file", "b"], ["serve", "--port", "x"],
             ["generate", "--spec", "jutogai_atena"], ["explain", "A", "B"], ["manifest"]]
    cases += [[name, "--help"] for name in COMMANDS if name not in _OWN_PARSER]
    return cases


@pytest.mark.parametrize("argv", _argv_cases(), ids=" ".join)
def test_only_the_chosen_commands_parser_is_built_and_nothing_reads_differently(
        argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI builds the arguments of the command it runs only; every help text, usage error and exit code
    # must be what the parser with every command built gives.
    import kikan_std.cli

    lazy = run_cli(*argv)
    monkeypatch.setattr(kikan_std.cli, "_command_of", lambda args: None)
    full = run_cli(*argv)
    assert lazy == full
    assert lazy[0] in (0, 2)
