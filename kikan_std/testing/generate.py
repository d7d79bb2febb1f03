"""Synthetic, valid data for demos, tests and benchmarks. Never real personal data.

Each edition names its generator (``Edition.generator``, a function under
:mod:`kikan_std.testing.generators`); :data:`GENERATORS` collects them. Generators draw names,
addresses and numbers from small invented lists with a seeded RNG, so the same seed always gives the
same file.
"""

from __future__ import annotations

import csv
import importlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path

from kikan_std.specs import editions
from kikan_std.testing.generators.jumin_kiroku import iter_jumin_kiroku
from kikan_std.testing.generators.jutogai_atena import iter_jutogai_atena

Generator = Callable[[int, int], Iterator[list[str]]]
"""(rows, seed) → the header, then the records."""

_GENERATOR_PACKAGE = "kikan_std.testing.generators."


def _resolve(reference: str) -> Generator:
    """The generator an edition names as ``"module:function"`` (a module under the generators package)."""
    module, _, name = reference.partition(":")
    if not module.startswith(_GENERATOR_PACKAGE) or not name:
        raise ValueError(f"a generator is a function under {_GENERATOR_PACKAGE[:-1]}: {reference!r}")
    found: Generator = getattr(importlib.import_module(module), name)
    return found


GENERATORS: dict[str, Generator] = {e.spec_id: _resolve(e.generator) for e in editions() if e.generator is not None}
"""Synthetic data generators by spec id, as the editions name them (in listing order)."""


def write_csv(
    path: str | Path, rows: Iterator[list[str]], *, encoding: str = "utf-8", newline: str = "\r\n"
) -> Path:
    """Write rows as CSV (RFC 4180, CRLF by default) in ``encoding``; return the path."""
    p = Path(path)
    with p.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f, lineterminator=newline)
        buf: list[list[str]] = []
        for r in rows:
            buf.append(r)
            if len(buf) >= 10_000:
                w.writerows(buf)
                buf.clear()
        w.writerows(buf)
    return p


def csv_text(rows: Iterator[list[str]], newline: str = "\r\n") -> str:
    """Rows as CSV text (for tests)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator=newline).writerows(rows)
    return buf.getvalue()


__all__ = ["GENERATORS", "Generator", "csv_text", "iter_jumin_kiroku", "iter_jutogai_atena", "write_csv"]
