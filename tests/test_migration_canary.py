"""Canary: no personal value from the inputs appears in any profile or compare output (text, JSON, HTML)
unless --show-values is given — and with it, values do appear (the canary can see them)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest

from kikan_std.specs import load_spec
from tests.conftest import run_cli
from tests.migration_pairs import pair

# Personal columns of the generated pair: the spec's personal items, 通称 (declared personal), and their
# legacy spellings (half-width フリガナ, padded 方書) so a leak of the raw legacy value is caught too.
LEGACY_PERSONAL = ("SHIMEI_KANJI", "SHIMEI_KANA", "KATAGAKI", "TSUSHO", "BIRTH_YMD")


def _values(path: Path, encoding: str, columns: set[str]) -> tuple[set[str], set[str]]:
    """(personal values, all other values) of a CSV."""
    personal: set[str] = set()
    other: set[str] = set()
    with path.open(encoding=encoding, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        for row in r:
            for h, v in zip(header, row, strict=True):
                (personal if h in columns else other).add(v.strip())
    return personal, other


@cache
def canaries() -> frozenset[str]:
    spec_personal = {it.name for it in load_spec("jumin_kiroku").groups[0].items if it.personal} | {"通称"}
    found: set[str] = set()
    others: set[str] = set()
    for d in (pair(True),):
        p, o = _values(d / "standard.csv", "utf-8", spec_personal)
        found |= p
        others |= o
        p, o = _values(d / "legacy.csv", "cp932", spec_personal | set(LEGACY_PERSONAL))
        found |= p
        others |= o
    # Short values and values that also occur in non-personal columns (a date that is also an 異動年月日,
    # a prefecture name) are not distinctive enough to prove a leak.
    return frozenset(v for v in found if len(v) >= 5 and v not in others)


def _outputs(tmp_path: Path, *extra: str, formats: tuple[str, ...] = ("text", "json", "html")) -> str:
    texts: list[str] = []
    for d in (pair(True),):  # the pair with defects: every kind of difference, with examples
        mapping = ("--mapping", str(d / "mapping.toml"))
        expected = ("--expected", str(d / "expected-differences.toml")) if (d / "planted.json").exists() else ()
        runs = [
            ("profile", str(d / "standard.csv"), "--spec", "jumin_kiroku"),
            ("profile", str(d / "legacy.csv"), "--spec", "jumin_kiroku", *mapping),
            ("compare", str(d / "legacy.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku", *mapping, *expected),
            ("compare", str(d / "v1.csv"), str(d / "standard.csv"), "--spec", "jumin_kiroku"),
        ]
        for argv in runs:
            for fmt in formats:
                code, out, err = run_cli(*argv, "--output-format", fmt, *extra)
                assert code in (0, 1), err
                texts.append(out)
    return "\n".join(texts)


def test_no_personal_value_without_show_values(tmp_path: Path) -> None:
    values = canaries()
    assert len(values) > 1000  # names, 個人番号, 住民票コード, 方書, 通称 …
    text = _outputs(tmp_path)
    leaked = sorted(v for v in values if v in text)
    assert leaked == []


def test_show_values_does_show_them(tmp_path: Path) -> None:
    values = canaries()
    text = _outputs(tmp_path, "--show-values", formats=("json",))
    assert any(v in text for v in values)


@pytest.mark.parametrize("name", ["氏名", "個人番号", "住所_方書", "通称", "生年月日"])
def test_personal_items_are_flagged_personal_in_the_profile(name: str) -> None:
    import kikan_std

    d = pair(False)
    r = kikan_std.profile(d / "standard.csv", "jumin_kiroku")
    it = next(i for i in r.items if i.name == name)
    assert it.personal and it.min is None and it.values is None
