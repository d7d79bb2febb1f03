"""A synthetic 全銀協 総合振込 requester (依頼人) and payees for tests, conformance cases and benchmarks.

Every value is invented (a fictitious ward's benefit account at bank 0001); the names are the kinds
of kana a transfer file carries (full-width, half-width, with a space between family and given name)::

    from kikan_std.jp.zengin import write_transfer_file
    from kikan_std.testing.zengin import SAMPLE_CONFIG, SAMPLE_PAYEES

    data = write_transfer_file(SAMPLE_PAYEES, SAMPLE_CONFIG)
"""

from __future__ import annotations

from datetime import date

from kikan_std.jp.zengin import TransferConfig, TransferRecord

SAMPLE_CONFIG = TransferConfig(
    requester_code="1310300001",
    requester_name="ミナトク キュウフキン",
    transfer_date=date(2020, 6, 1),
    bank_code="0001",
    bank_name="ミズホ",
    branch_code="001",
    branch_name="トウキョウ",
    account_number="1234567",
)
"""The 依頼人 side of a synthetic transfer file."""

SAMPLE_PAYEES: tuple[TransferRecord, ...] = (
    TransferRecord("0005", "123", "1", "7654321", "ワタナベ タロウ", 300_000, customer_code1="1"),
    TransferRecord("0009", "456", "2", "0000001", "ｻｲﾄｳ ｷｮｳｺ", 100_000, customer_code1="2"),
    TransferRecord("0010", "789", "1", "0000002", "スズキ ハナコ", 50_000, customer_code1="3"),
)
"""Three synthetic payees (ordinary and current accounts; full- and half-width kana names)."""

__all__ = ["SAMPLE_CONFIG", "SAMPLE_PAYEES"]
