"""Shared test helpers."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from kikan_std.cli import main
from kikan_std.generate import csv_text, iter_jutogai_atena

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


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
