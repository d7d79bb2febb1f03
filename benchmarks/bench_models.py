"""Benchmark the record models: ``TypeAdapter(list[Record]).validate_python`` next to ``check()``.

On the same valid 住登外者宛名 records (the synthetic generator's), prints records/s of

* the record model through a ``TypeAdapter(list[Record])`` (model construction cached: built once,
  outside the timing), i.e. what a FastAPI endpoint taking a list of records does;
* :func:`kikan_std.check_records` over the same dicts (the engine, column by column);
* :func:`kikan_std.check` over the same records as a CSV file.

Best of ``--repeat`` runs each. Usage: python benchmarks/bench_models.py [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import TypeAdapter

import kikan_std
from kikan_std.testing.generate import iter_jutogai_atena, write_csv


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    rows = iter_jutogai_atena(args.rows, seed=1)
    header = next(rows)
    records = [dict(zip(header, r, strict=True)) for r in rows]
    spec = kikan_std.load_spec("jutogai_atena")
    model = spec.record_model()
    adapter = TypeAdapter(list[model])  # type: ignore[valid-type]
    adapter.validate_python(records[:10])  # warm: the model and its checkers exist before timing

    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "atena.csv", iter_jutogai_atena(args.rows, seed=1))
        assert kikan_std.check(path).valid
        results = {
            "TypeAdapter(list[Record]).validate_python": best(lambda: adapter.validate_python(records), args.repeat),
            "check_records(records)": best(lambda: kikan_std.check_records(records), args.repeat),
            "check(csv file)": best(lambda: kikan_std.check(path), args.repeat),
        }
    print(f"{args.rows:,} valid 住登外者宛名 records, best of {args.repeat}")
    for name, seconds in results.items():
        print(f"  {name:45s} {args.rows / seconds:>12,.0f} records/s  ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
