"""全銀協 総合振込: character set, layout, writer round trip, located findings on corruption."""

from __future__ import annotations

import pytest

from kikan_std.jp.zengin import (
    LAYOUT,
    RECORD_LENGTH,
    TransferRecord,
    to_zengin_kana,
    validate_transfer_file,
    write_transfer_file,
)
from kikan_std.reconcile.catalogue import reconcile_entries
from kikan_std.testing.zengin import SAMPLE_CONFIG, SAMPLE_PAYEES

CONFIG = SAMPLE_CONFIG
RECORDS = list(SAMPLE_PAYEES[:2])


@pytest.mark.parametrize(
    ("text", "expected", "bad"),
    [
        ("わたなべ きょうこ", "ﾜﾀﾅﾍﾞ ｷﾖｳｺ", []),
        ("ワタナベ　タロウ", "ﾜﾀﾅﾍﾞ ﾀﾛｳ", []),
        ("ヨーコ", "ﾖ-ｺ", []),
        ("ｷｮｳｺ", "ｷﾖｳｺ", []),
        ("ヴィ", "ｳﾞｲ", []),
        ("smith john", "SMITH JOHN", []),
        ("パン", "ﾊﾟﾝ", []),
        ("渡辺タロウ", "渡辺ﾀﾛｳ", ["渡", "辺"]),
    ],
)
def test_to_zengin_kana(text: str, expected: str, bad: list[str]) -> None:
    assert to_zengin_kana(text) == (expected, bad)


def test_layout_lengths() -> None:
    for kind, fields in LAYOUT.items():
        assert sum(f.length for f in fields) == RECORD_LENGTH, kind
        pos = 1
        for f in fields:
            assert f.start == pos
            pos += f.length


def test_round_trip_valid() -> None:
    data = write_transfer_file(RECORDS, CONFIG)
    assert validate_transfer_file(data) == []
    lines = data.split(b"\r\n")[:-1]
    assert [len(x) for x in lines] == [120] * 5
    assert [x[:1] for x in lines] == [b"1", b"2", b"2", b"8", b"9"]
    assert lines[3][1:19] == b"000002000000400000"
    assert "ﾜﾀﾅﾍﾞ ﾀﾛｳ".encode("cp932") in lines[1]
    assert validate_transfer_file(write_transfer_file(RECORDS, CONFIG, newline=False)) == []


def _located(data: bytes) -> list[tuple[str, int | None, int | None, str | None]]:
    return [(f.code, f.record, f.offset, f.item) for f in validate_transfer_file(data)]


def test_corrupted_amount_and_trailer() -> None:
    data = bytearray(write_transfer_file(RECORDS, CONFIG))
    rec2 = 122  # second record starts after 120 bytes + CR LF
    data[rec2 + 80] = ord("X")  # 振込金額 starts at byte 81
    found = _located(bytes(data))
    assert ("ZGN003", 2, rec2 + 80, "振込金額") in found
    assert any(code == "ZGN006" and rec == 4 for code, rec, _, _ in found)


def test_corrupted_charset() -> None:
    data = bytearray(write_transfer_file(RECORDS, CONFIG))
    small = "ｮ".encode("cp932")
    data[122 + 50] = small[0]  # inside 受取人名 (51..80)
    assert ("ZGN004", 2, 122 + 50, "受取人名") in _located(bytes(data))


def test_corrupted_length_and_order() -> None:
    lines = write_transfer_file(RECORDS, CONFIG).split(b"\r\n")[:-1]
    lines[1] = lines[1] + b" "
    found = _located(b"\r\n".join(lines) + b"\r\n")
    assert ("ZGN001", 2, 122, None) in found
    lines = write_transfer_file(RECORDS, CONFIG).split(b"\r\n")[:-1]
    del lines[3]  # trailer
    found = _located(b"\r\n".join(lines) + b"\r\n")
    assert any(code == "ZGN002" and rec == 4 for code, rec, _, _ in found)


def test_trailer_count() -> None:
    lines = write_transfer_file(RECORDS, CONFIG).split(b"\r\n")[:-1]
    del lines[2]
    found = _located(b"\r\n".join(lines) + b"\r\n")
    assert ("ZGN005", 3, 2 * 122 + 1, "合計件数") in found
    assert any(code == "ZGN006" for code, *_ in found)


def test_unknown_type_and_field_value() -> None:
    lines = write_transfer_file(RECORDS, CONFIG).split(b"\r\n")[:-1]
    lines[1] = b"7" + lines[1][1:]
    lines[2] = lines[2][:42] + b"3" + lines[2][43:]  # 預金種目 (byte 43) = 3
    found = _located(b"\r\n".join(lines) + b"\r\n")
    assert ("ZGN007", 2, 122, "データ区分") in found
    assert ("ZGN008", 3, 2 * 122 + 42, "預金種目") in found


def test_missing_end() -> None:
    data = write_transfer_file(RECORDS, CONFIG)
    found = _located(data[:-122])
    assert found and found[-1][0] == "ZGN002"


def test_writer_rejects_overflow() -> None:
    with pytest.raises(ValueError):
        write_transfer_file([TransferRecord("0005", "123", "1", "76543210", "ｱ", 1)], CONFIG)


def test_catalogue_entries() -> None:
    entries = reconcile_entries()
    codes = set(entries)
    assert {f"RCN{i:03d}" for i in range(1, 10)} <= codes
    assert {f"ZGN{i:03d}" for i in range(1, 9)} <= codes
    for e in entries.values():
        assert e.render("ja", {}) and e.render("en", {})


def test_catalogue_file_listed() -> None:
    from kikan_std.catalogue import CATALOGUE_FILES

    assert "reconcile.toml" in CATALOGUE_FILES
