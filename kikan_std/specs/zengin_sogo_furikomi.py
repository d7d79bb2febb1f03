"""Rules of the 全銀協 総合振込 transfer file (spec ``zengin_sogo_furikomi``) beyond the field checks.

The four groups are the four record types (データ区分 1 / 2 / 8 / 9) of one fixed-width file; each
group's layout selects its records by the データ区分 byte, so the field checks run per record type.
What no single record shows — record order, an unknown データ区分, the trailer's 合計件数 / 合計金額
against the data records — is one :class:`~kikan_std.model.rules.FileRule`, run once per file with the
same logic as :func:`kikan_std.jp.zengin.validate_transfer_file`
(:class:`~kikan_std.jp.zengin.FileStructure`).

A record of the wrong length is FIX001 from the fixed-width reader (reported by the group its
データ区分 selects, so once); a record of an unknown データ区分 is read by no group and is ZGN007 here.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import BinaryIO

from kikan_std.findings import Finding
from kikan_std.model.rules import DatasetRule, FileRule, RecordRule
from kikan_std.model.spec import FixedWidthLayout
from kikan_std.specs.edition import Edition


@cache
def _layout() -> FixedWidthLayout:
    from kikan_std.specs import load_spec

    layout = load_spec("zengin_sogo_furikomi").groups[0].fixed_width
    assert layout is not None  # every group of the spec has one (tools/build_zengin_spec.py)
    return layout


def _structure(f: BinaryIO, file: str) -> Iterator[Finding]:
    # Imported here: the 突合 package is loaded only when a transfer file is checked.
    from kikan_std.jp.zengin import FileStructure
    from kikan_std.readers.csv_reader import ReadStats
    from kikan_std.readers.fixed_reader import read_records

    structure = FileStructure(file)
    stats = ReadStats()
    no = last_line = 0
    # Read in blocks, as the groups' readers do: a transfer file is never held whole.
    for line, offset, rec, _ in read_records(f, _layout(), stats):
        no += 1
        last_line = line
        yield from structure.feed(no, offset, rec, line)
    yield from structure.finish(no + 1, stats.bytes, last_line + 1)


RECORD_RULES: tuple[RecordRule, ...] = ()
DATASET_RULES: tuple[DatasetRule, ...] = ()
FILE_RULES: tuple[FileRule, ...] = (
    FileRule(
        "zengin_record_order_and_totals",
        ("ZGN002", "ZGN005", "ZGN006", "ZGN007"),
        "全銀協規定形式 総合振込: ヘッダー(1)→データ(2)…→トレーラ(8)→エンド(9)、トレーラの合計件数・合計金額",
        _structure,
    ),
)

EDITION = Edition(
    "zengin_sogo_furikomi",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
    file_rules=FILE_RULES,
)
