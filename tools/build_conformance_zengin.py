"""Write the 全銀協 総合振込 conformance cases to conformance/zengin_sogo_furikomi/.

Both files are written by :func:`kikan_std.jp.zengin.write_transfer_file` (synthetic payees);
the corrupted one is then damaged byte by byte (:func:`corrupted`), one defect per record, and the
expected findings are written out by hand below. Run from the repository root:
``python tools/build_conformance_zengin.py [--check]``; the output is committed (``--check`` fails
when the committed files differ, see tests/test_zengin_spec.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kikan_std.jp.zengin import write_transfer_file
from kikan_std.testing.zengin import SAMPLE_CONFIG, SAMPLE_PAYEES

OUT = Path(__file__).resolve().parent.parent / "conformance" / "zengin_sogo_furikomi"
SPEC = "zengin_sogo_furikomi"

CONFIG = SAMPLE_CONFIG
PAYEES = list(SAMPLE_PAYEES)

CRLF = b"\r\n"


def valid() -> bytes:
    """A file exactly as ``reconcile --transfer-file`` writes it."""
    return write_transfer_file(PAYEES, CONFIG)


def corrupted() -> bytes:
    """The valid file with one defect per record (positions are 1-based bytes of the layout).

    1 header (intact) · 2 unknown データ区分 7 · 3 受取人名 with small ｮ · 4 振込金額 with X and
    預金種目 3 · 5 a data record cut to 100 bytes · 6 the end record before the trailer · 7 the
    trailer with 合計件数 9 · then the file ends after a trailer instead of an end record.
    """
    header, d1, d2, d3, trailer, end = valid().split(CRLF)[:-1]
    unknown = b"7" + d1[1:]
    bad_char = d1[:50] + "ｮ".encode("cp932") + d1[51:]  # 受取人名 is bytes 51–80
    bad_num = d2[:42] + b"3" + d2[43:80] + b"X" + d2[81:]  # 預金種目 byte 43, 振込金額 bytes 81–90
    short = d3[:100]
    wrong_count = trailer[:1] + b"000009" + trailer[7:]  # 合計件数 bytes 2–7
    return CRLF.join([header, unknown, bad_char, bad_num, short, end, wrong_count]) + CRLF


def build() -> tuple[dict[str, Any], dict[str, bytes]]:
    clause = "全銀協規定形式 総合振込（120バイト固定長）"
    common = {"spec": SPEC, "clause": clause, "encoding": "cp932", "input_format": "fixed"}
    cases = [
        {"description": "reconcile --transfer-file が書く有効な総合振込ファイル", **common, "file": "valid.txt",
         "valid": True, "expected": []},
        {"description": "レコードごとに1つずつ壊した総合振込ファイル", **common, "file": "corrupted.txt",
         "valid": False, "expected": [
             ["ZGN007", 2, "データ区分"],
             ["ZGN004", 3, "受取人名"],
             ["ZGN003", 4, "振込金額"],
             ["FLD015", 4, "預金種目"],
             ["FIX001", 5, None],
             ["ZGN002", 6, "データ区分"],
             ["ZGN002", 7, "データ区分"],
             ["ZGN005", 7, "合計件数"],
             ["ZGN006", 7, "合計金額"],
             ["ZGN002", 8, "データ区分"],
         ]},
    ]
    return {"$schema": "../cases.schema.json", "spec": SPEC, "cases": cases}, {
        "valid.txt": valid(), "corrupted.txt": corrupted()}


def render() -> dict[str, bytes]:
    """File name → bytes of everything this script writes."""
    doc, files = build()
    return {**files, "cases.json": (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode("utf-8")}


def main(argv: list[str]) -> int:
    out = render()
    if "--check" in argv:
        return 0 if all((OUT / n).is_file() and (OUT / n).read_bytes() == b for n, b in out.items()) else 1
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in out.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(out)} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
