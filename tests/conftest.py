"""Shared fixtures. Every JSON report the tests produce is validated against schemas/report.schema.json."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kikan_std.report import Report

ROOT = Path(__file__).resolve().parent.parent
REPORT_SCHEMA = ROOT / "schemas" / "report.schema.json"


@cache
def _report_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)  # type: ignore[no-any-return]


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
