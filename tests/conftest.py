"""Shared test helpers. Every JSON report the tests produce is validated against schemas/report.schema.json."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kikan_std.cli import main
from kikan_std.report.model import Report
from kikan_std.testing.generate import csv_text, iter_jutogai_atena

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = ROOT / "schemas" / "report.schema.json"


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def error_kind(err: str) -> str | None:
    """The error kind of a CLI error line (``kikan-std: エラー [kind]: …``), or None without one."""
    m = re.match(r"kikan-std(?: [a-z-]+)?: (?:エラー|error|内部エラー|internal error) \[([a-z_]+)\]: ", err)
    return m.group(1) if m else None


def atena_rows(n: int = 20, seed: int = 3) -> tuple[list[str], list[list[str]]]:
    """Header and n valid synthetic 住登外者宛名 rows."""
    it: Iterator[list[str]] = iter_jutogai_atena(n, seed)
    header = next(it)
    return header, list(it)


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write rows (or raw bytes) to a temp file and return its path."""

    def _write(rows: list[list[str]] | bytes, name: str = "data.csv", encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        if isinstance(rows, bytes):
            p.write_bytes(rows)
        else:
            p.write_bytes(csv_text(iter(rows)).encode(encoding))
        return p

    return _write


@pytest.fixture
def shared_reference() -> Path:
    """The shared reference folder (present in CI); tests that need it skip elsewhere."""
    p = ROOT.parent / "shared" / "reference"
    if not p.exists():
        pytest.skip("shared/reference is not present")
    return p


# -- JSON report schema -----------------------------------------------------------------------


@cache
def _report_validator() -> Any:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_report_json(text: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """Validate a JSON report (text or parsed) against the committed schema; return it parsed."""
    data = json.loads(text) if isinstance(text, str | bytes) else text
    _report_validator().validate(data)
    return data


@pytest.fixture(autouse=True)
def _validate_every_json_report(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wrap ``Report.model_dump_json`` so any JSON report serialised during a test is validated.

    The CLI's JSON writer, the API and the tests all serialise through it, so no JSON report a test
    produces escapes the schema check.
    """
    original = Report.model_dump_json

    def checked(self: Report, *args: Any, **kwargs: Any) -> str:
        text = original(self, *args, **kwargs)
        if not kwargs.get("include") and not kwargs.get("exclude"):
            validate_report_json(text)
        return text

    monkeypatch.setattr(Report, "model_dump_json", checked)
    yield


@pytest.fixture
def report_schema_validator() -> Callable[[str | bytes | dict[str, Any]], dict[str, Any]]:
    """The validator of JSON reports, for tests that read reports from files."""
    return validate_report_json


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for the page tests (one per test module), from tests/test_html_browser.py."""
    from tests.test_html_browser import Browser, _chromium

    b = Browser(_chromium())
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A local Dask cluster of two worker processes (one thread each) for the Dask tests of a module."""
    distributed = pytest.importorskip("dask.distributed", reason="the dask extra is installed by `make test`")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()
