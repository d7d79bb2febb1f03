from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.jp import cn, in_

from kikan_std.jp import checkdigits as cd


@pytest.mark.parametrize("number,valid", [
    ("123456789018", True), ("923456789014", True), ("983205673214", True), ("123456789010", False),
    ("12345678901", False), ("１２３４５６７８９０１８", False), ("12345678901a", False),
])
def test_my_number_examples(number: str, valid: bool) -> None:
    assert cd.my_number_valid(number) is valid


@pytest.mark.parametrize("number,valid", [
    ("7000012050002", True), ("7000020010006", True), ("8000020130001", True), ("8000020131016", True),
    ("9000020011002", True), ("1180301018771", True), ("1000020131016", False), ("800002013101", False),
])
def test_corporate_number_examples(number: str, valid: bool) -> None:
    assert cd.corporate_number_valid(number) is valid


@pytest.mark.parametrize("code,valid", [
    ("131016", True), ("011002", True), ("011011", True), ("011070", True), ("010006", True),
    ("130001", True), ("012025", True), ("131017", False), ("13101", False), ("13101６", False),
])
def test_local_government_code_examples(code: str, valid: bool) -> None:
    assert cd.local_government_code_valid(code) is valid


def test_local_government_codes_of_every_municipality(shared_reference: object) -> None:
    import csv
    from pathlib import Path

    path = Path(str(shared_reference)) / "data" / "localgovjp-utf8.csv"
    with path.open(encoding="utf-8-sig") as f:
        codes = [r["lgcode"] for r in csv.DictReader(f)]
    assert len(codes) > 1900
    assert all(cd.local_government_code_valid(c) for c in codes)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_my_number_agrees_with_stdnum(number: str) -> None:
    assert cd.my_number_valid(number) == in_.is_valid(number)


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_corporate_number_agrees_with_stdnum(number: str) -> None:
    assert cd.corporate_number_valid(number) == cn.is_valid(number)


@pytest.mark.parametrize("kind,width,oracle", [("individual_number", 12, in_.is_valid), ("corporate_number", 13, cn.is_valid)])
def test_batch_check_agrees_with_oracle(kind: str, width: int, oracle) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    values = [f"{rng.randrange(10**width):0{width}d}" for _ in range(5000)]
    valid_only = [v for v in values if oracle(v)]
    assert cd.all_valid(valid_only, kind)
    for v in values[:300]:
        assert cd.all_valid([*valid_only[:50], v], kind) == oracle(v)


def test_batch_check_rejects_malformed() -> None:
    assert not cd.all_valid(["12345678901"], "individual_number")
    assert not cd.all_valid(["１２３４５６７８９０１８"], "individual_number")
    assert cd.all_valid([], "individual_number")


@pytest.mark.parametrize("body,expected", [("0000001", 9), ("0000100", 7), ("1234567", 4)])
def test_modulus11_w2_7(body: str, expected: int) -> None:
    assert cd.modulus11_w2_7_check_digit(body) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="0123456789", min_size=15, max_size=15) | st.text(alphabet="0123456789a１", max_size=16),
                max_size=40), st.sampled_from([0, -1]))
def test_m11_batch_suspects_cover_every_failure(values: list[str], r1: int) -> None:
    # The batch may only skip values that pass one by one (宛名番号・世帯番号, JUM005).
    def fails(v: str) -> bool:
        if len(v) < 2 or not (v.isascii() and v.isdigit()):
            return True
        return cd.modulus11_w2_7_check_digit(v[:-1], remainder_one=r1) != int(v[-1])

    suspects = set(cd.m11_w2_7_suspects(values, r1))
    assert {v for v in values if fails(v)} <= suspects
    # ...and well-formed valid numbers are not sent for a close look.
    assert not {v for v in suspects if len(v) == 15 and not fails(v)}


def test_m11_batch_with_valid_numbers_only() -> None:
    bodies = [f"{n:014d}" for n in range(0, 3000, 7)]
    valid = [b + str(d) for b in bodies if (d := cd.modulus11_w2_7_check_digit(b, remainder_one=-1)) is not None]
    assert cd.m11_w2_7_suspects(valid, -1) == []
    bad = valid[5][:-1] + str((int(valid[5][-1]) + 1) % 10)
    assert cd.m11_w2_7_suspects([*valid, bad], -1) == [bad]


def test_batch_check_rejects_numbers_of_other_lengths_that_add_up() -> None:
    # 11 + 13 digits are 24 = 2 × 12, and may even read as two valid misaligned numbers: still malformed.
    assert cd.all_valid(["54766744227", "2036847410471"], "individual_number") is False
    assert cd.all_valid(["0" * 12, "0" * 14], "corporate_number") is False
