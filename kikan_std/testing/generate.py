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
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kikan_std.errors import OutputError, OutputExistsError, UnknownGeneratorError, UsageError
from kikan_std.readers.csv_reader import normalise_encoding
from kikan_std.specs import editions, load_spec
from kikan_std.testing.generators.jumin_kiroku import iter_jumin_kiroku
from kikan_std.testing.generators.jutogai_atena import iter_jutogai_atena
from kikan_std.testing.mutate import TRIGGERS, with_defects

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


@dataclass(frozen=True, slots=True)
class Sample:
    """What :func:`write_sample` wrote."""

    path: Path
    spec_id: str
    rows: int
    encoding: str
    expected_path: Path | None = None
    """``<path>.expected.json`` listing the planted defects (only with a defect rate)."""
    planted: int = 0
    """Number of defects planted (each one finding in :attr:`expected_path`)."""


def write_sample(
    path: str | Path,
    spec_id: str,
    rows: int = 100,
    seed: int = 0,
    *,
    encoding: str = "utf-8",
    defect_rate: float = 0.0,
) -> Sample:
    """Write a synthetic CSV of ``spec_id`` and, with ``defect_rate``, plant defects and list them.

    Each record gets, with probability ``defect_rate``, one defect
    (:func:`kikan_std.testing.mutate.with_defects`); the expected findings ``[code, record, item]`` go to
    ``<path>.expected.json`` with ``"match": "exact"`` when the spec declares which items trigger its
    cross-field rules (those are left alone), else ``"includes"`` (a defect may also fire such a rule).
    This is ``kikan-std generate --spec ID`` in one call.

    Raises:
        UnknownGeneratorError: no generator for ``spec_id`` (see :data:`GENERATORS`).
        UsageError: ``rows`` below 0 or ``defect_rate`` outside 0–1.
        UnknownEncodingError: ``encoding`` is not a codec.
        OutputExistsError: ``path`` exists (nothing is overwritten).
        OutputError: the file cannot be written.
    """
    gen = GENERATORS.get(spec_id)
    if gen is None:
        raise UnknownGeneratorError(spec_id=spec_id, choices=tuple(GENERATORS))
    if rows < 0:
        raise UsageError(ja=f"行数は 0 以上で指定してください: {rows}", en=f"rows must be >= 0: {rows}")
    if not 0.0 <= defect_rate <= 1.0:
        raise UsageError(ja=f"不備の割合は 0〜1 で指定してください: {defect_rate}",
                         en=f"the defect rate must be between 0 and 1: {defect_rate}")
    enc = normalise_encoding(encoding)
    out = Path(path)
    if out.exists():
        raise OutputExistsError(path=out)
    data = gen(rows, seed)
    try:
        if defect_rate <= 0:
            write_csv(out, data, encoding=enc)
            return Sample(out, spec_id, rows, enc)
        data, expected = with_defects(data, load_spec(spec_id), defect_rate, seed)
        write_csv(out, data, encoding=enc)
        exp_path = Path(f"{out}.expected.json")
        match = "exact" if spec_id in TRIGGERS else "includes"
        doc = {"spec": spec_id, "file": out.name, "match": match, "expected": [list(e) for e in expected]}
        exp_path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as e:
        raise OutputError(path=out, reason=e.strerror or type(e).__name__) from None
    return Sample(out, spec_id, rows, enc, exp_path, len(expected))


__all__ = ["GENERATORS", "Generator", "Sample", "csv_text", "iter_jumin_kiroku", "iter_jutogai_atena", "write_csv", "write_sample"]
