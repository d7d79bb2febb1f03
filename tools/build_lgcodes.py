"""Build kikan_std/data/lgcodes.tsv, the bundled 全国地方公共団体コード list, from code4fukui/localgovjp.

Source (CC0): ``localgovjp-utf8.csv`` (municipalities and designated-city wards, column ``lgcode``)
and ``prefjp-utf8.csv`` (prefectures; ``lgcode`` has its leading zero dropped), snapshot of
2026-07-09 (commit cd94f84). The snapshot is stale for 浜松市: it still lists the seven wards
abolished on 2024-01-01 and lacks 中央区 / 浜名区. The header of the output says so, and every
finding made from this list carries the snapshot date and the note.

Every code is checked against the statutory check digit before it is written.

Usage: python tools/build_lgcodes.py [REFERENCE_DATA_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REF = next(
    (p / "shared" / "reference" / "data" for p in ROOT.parents if (p / "shared" / "reference" / "data").is_dir()),
    ROOT.parent / "shared" / "reference" / "data",
)
OUT = ROOT / "kikan_std" / "data" / "lgcodes.tsv"
SNAPSHOT = "2026-07-09"
NOTE = "浜松市の2024年区再編（中央区・浜名区の新設）は未反映 / stale for 浜松市 2024 ward reorganisation"

sys.path.insert(0, str(ROOT))
from kikan_std.jp.checkdigits import local_government_code_valid  # noqa: E402


def build(ref: Path) -> list[tuple[str, str]]:
    rows: dict[str, str] = {}
    with (ref / "prefjp-utf8.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            rows[r["lgcode"].strip().zfill(6)] = r["pref"].strip()
    with (ref / "localgovjp-utf8.csv").open(encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            rows[r["lgcode"].strip().zfill(6)] = f"{r['pref'].strip()}{r['city'].strip().replace(' ', '')}"
    bad = [c for c in rows if not local_government_code_valid(c)]
    if bad:
        raise SystemExit(f"check digit fails for {bad[:5]}")
    return sorted(rows.items())


def main() -> None:
    ref = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_REF
    codes = build(ref)
    lines = [
        f"# snapshot\t{SNAPSHOT}",
        "# source\tcode4fukui/localgovjp localgovjp-utf8.csv + prefjp-utf8.csv (commit cd94f84), CC0",
        f"# note\t{NOTE}",
        *(f"{c}\t{n}" for c, n in codes),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(codes)} codes to {OUT}")


if __name__ == "__main__":
    main()
