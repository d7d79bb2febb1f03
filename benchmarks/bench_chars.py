"""Benchmark of the character checks: column fast path vs per-value checks.

Prints values/s for ~200k typical names and addresses (Ｎ) and IDs (X)::

    python benchmarks/bench_chars.py [--values 200000] [--seed 1]

Figures are for comparison on one machine, not promises.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from kikan_std.jp import chars

_FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "渡邊",
    "髙橋",
    "齋藤",
    "﨑山",
]
_GIVEN = [
    "一郎",
    "太郎",
    "花子",
    "陽翔",
    "結菜",
    "蓮",
    "葵",
    "大和",
    "美咲",
    "翔太",
    "さくら",
    "ゆい",
    "健",
    "真由美",
    "智子",
]
_KANA = [
    "サトウ",
    "スズキ",
    "タカハシ",
    "タナカ",
    "イトウ",
    "ワタナベ",
    "イチロウ",
    "タロウ",
    "ハナコ",
    "ユイ",
]
_TOWN = ["霞が関二丁目", "丸の内一丁目", "本町三丁目", "栄町", "緑が丘", "中央四丁目", "大字上野", "字西原"]
_DIGITS = "０１２３４５６７８９"


def _n_value(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"{rng.choice(_FAMILY)}　{rng.choice(_GIVEN)}"
    if kind == 1:
        return f"{rng.choice(_KANA)}　{rng.choice(_KANA)}"
    if kind == 2:
        return rng.choice(_TOWN)
    n = "".join(rng.choice(_DIGITS) for _ in range(rng.randint(1, 4)))
    return f"{n}番{rng.choice(_DIGITS)}号"


def _rate(n: int, fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best, n / best


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--values", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    n_values = [_n_value(rng) for _ in range(args.values)]
    x_values = [f"{rng.randrange(10**15):015d}" for _ in range(args.values)]
    n_chars = sum(len(v) for v in n_values)

    t = time.perf_counter()
    chars.fullwidth_column_clean("")  # loads the MJ table, JIS repertoire and the regex
    print(f"first use (table load + regex build): {time.perf_counter() - t:.3f} s")

    joined = "".join(n_values)
    secs, rate = _rate(args.values, lambda: chars.fullwidth_column_clean("".join(n_values)))
    assert chars.fullwidth_column_clean(joined)
    print(f"Ｎ values: {args.values}, {n_chars} characters")
    print(f"Ｎ fast path (join + search):          {secs * 1000:.1f} ms, {rate:,.0f} values/s")
    secs, rate = _rate(args.values, lambda: [chars.fullwidth_problems(v) for v in n_values], repeat=1)
    print(f"Ｎ per value (clean values):           {secs * 1000:.1f} ms, {rate:,.0f} values/s")
    dirty = [v + " " for v in n_values]  # one half-width space each: forces full classification
    secs, rate = _rate(args.values, lambda: [chars.fullwidth_problems(v) for v in dirty], repeat=1)
    print(f"Ｎ per value (every value has a problem): {secs * 1000:.1f} ms, {rate:,.0f} values/s")

    secs, rate = _rate(args.values, lambda: chars.halfwidth_column_clean("".join(x_values)))
    print(f"X fast path (join + search): {secs * 1000:.1f} ms, {rate:,.0f} values/s")
    secs, rate = _rate(args.values, lambda: [chars.halfwidth_problems(v) for v in x_values], repeat=1)
    print(f"X per value (clean values):  {secs * 1000:.1f} ms, {rate:,.0f} values/s")


if __name__ == "__main__":
    main()
