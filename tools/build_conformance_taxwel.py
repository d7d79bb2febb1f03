"""Write the conformance cases of the six tax/welfare specs and of whole-deliverable checks.

``conformance/<spec_id>/``: one valid file per group (the first records of a generated deliverable)
and one file per rule violation (record 1 mutated). ``conformance/deliverable/``: a valid
deliverable folder, the must-show defective folder, and zips (corrupt entry, corrupt archive).
The output is committed; this script documents how it was made and can regenerate it.

Usage: python tools/build_conformance_taxwel.py
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from kikan_std.specs import load_spec
from kikan_std.testing.generators.deliverable import write_deliverable

ROOT = Path(__file__).resolve().parent.parent / "conformance"
SEED, ROWS = 21, 300

# spec, group, mutation of record 1, expected code, expected item, clause
MUTATIONS: list[tuple[str, str, dict[str, str], str, str, str]] = [
    ("kojin_juminzei", "課税台帳", {"課税区分": "1", "所得割額": "100000", "均等割額": "5000", "年税額": "104000"},
     "TAX001", "年税額", "年税額 = 所得割額 + 均等割額"),
    ("kojin_juminzei", "課税台帳", {"課税区分": "1", "所得割額": "12345", "均等割額": "5000", "年税額": "17345"},
     "TAX002", "所得割額", "地方税法第20条の4の2 第3項"),
    ("kojin_juminzei", "課税台帳", {"給与収入額": "3000000", "給与所得額": "3500000"}, "TAX003", "給与所得額",
     "所得税法第28条"),
    ("kojin_juminzei", "課税台帳", {"課税区分": "2", "所得割額": "0", "均等割額": "5000", "年税額": "5000"},
     "TAX004", "課税区分", "地方税法第295条"),
    ("kojin_juminzei", "課税台帳", {"徴収区分": "1", "特別徴収義務者指定番号": ""}, "REC001", "特別徴収義務者指定番号",
     "地方税法第321条の3"),
    ("kotei_shisanzei", "土地", {"住宅用地区分": "0", "評価額": "1000000", "課税標準額": "2000000"}, "TAX005",
     "課税標準額", "地方税法第349条"),
    ("kotei_shisanzei", "土地", {"住宅用地区分": "1", "評価額": "6000000", "課税標準額": "3000000"}, "TAX006",
     "課税標準額", "地方税法第349条の3の2"),
    ("kotei_shisanzei", "家屋", {"建築年": "2030"}, "TAX007", "建築年", "地方税法第359条"),
    ("kotei_shisanzei", "納税義務者", {"持分_分子": "3", "持分_分母": "2"}, "TAX008", "持分_分子", "民法第249条"),
    ("kotei_shisanzei", "納税義務者", {"持分_分母": "7"}, "TAX009", "持分_分子", "民法第249条・地方税法第10条の2"),
    ("kei_jidoshazei", "車両", {"初度検査年月": "2015/04"}, "TAX010", "初度検査年月", "道路運送車両法第58条"),
    ("kei_jidoshazei", "車両", {"取得年月日": "2024-05-01", "廃車年月日": "2023-03-31"}, "TAX011", "廃車年月日",
     "取得年月日 ≤ 廃車年月日"),
    ("jido_teate", "対象児童", {"児童生年月日": "2005-06-01", "支給開始年月": "2024-10"}, "WEL001", "児童生年月日",
     "児童手当法第3条第1項"),
    ("jido_teate", "受給者", {"支給開始年月": "2024-13"}, "WEL002", "支給開始年月", "児童手当法第8条"),
    ("jido_teate", "対象児童", {"支給区分": "1", "手当月額": "10000"}, "WEL003", "手当月額", "児童手当法第6条"),
    ("kaigo_hoken", "被保険者", {"資格喪失年月日": "1999-01-01", "資格喪失事由": "202"}, "WEL004", "資格喪失年月日",
     "介護保険法第10条・第11条"),
    ("kaigo_hoken", "被保険者", {"被保険者番号": "123456789"}, "WEL005", "被保険者番号", "被保険者番号 10桁"),
    ("kaigo_hoken", "被保険者", {"資格取得事由": "209"}, "WEL006", "資格取得事由", "中間標準レイアウト 介護 異動事由"),
    ("kaigo_hoken", "被保険者", {"被保険者区分": "1", "生年月日": "1970-05-01", "資格取得年月日": "2024-04-01"},
     "WEL007", "資格取得年月日", "介護保険法第9条"),
    ("kokumin_kenko_hoken", "被保険者", {"生年月日": "1945-01-10", "資格取得年月日": "2024-04-01"}, "WEL008",
     "資格取得年月日", "国民健康保険法第6条第8号"),
    # Field checks that only these specs reach (9V, YEAR, 法人番号 items).
    ("kotei_shisanzei", "土地", {"登記地積": "123.456"}, "FLD009", "登記地積", "基本データリスト 凡例 9V（桁数 10,2）"),
    ("kotei_shisanzei", "家屋", {"建築年": "R08"}, "FLD013", "建築年", "基本データリスト 凡例 YEAR"),
    ("kojin_juminzei", "課税台帳", {"徴収区分": "1", "特別徴収義務者指定番号": "0000000001",
                                 "特別徴収義務者_法人番号": "1000020131016"},
     "FLD017", "特別徴収義務者_法人番号", "国税庁 法人番号の検査用数字"),
    ("kaigo_hoken", "被保険者", {"被保険者番号": "12345678AB"}, "FLD021", "被保険者番号", "被保険者番号 半角数字"),
]


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _case(spec: str, file: str, valid: bool, expected: list[list[Any]], clause: str, description: str) -> dict[str, Any]:
    return {"description": description, "spec": spec, "clause": clause, "file": file, "encoding": "utf-8",
            "valid": valid, "match": "includes" if expected else "exact", "expected": expected}


def build_specs(src: Path) -> None:
    by_spec: dict[str, list[dict[str, Any]]] = {}
    for spec_id in ("kojin_juminzei", "kotei_shisanzei", "kei_jidoshazei", "jido_teate", "kaigo_hoken",
                    "kokumin_kenko_hoken"):
        out = ROOT / spec_id
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        cases = by_spec.setdefault(spec_id, [])
        for g in load_spec(spec_id).groups:
            header, rows = _read(src / f"{spec_id}__{g.romaji}.csv")
            name = f"valid_{g.romaji}.csv"
            _write(out / name, header, rows[:8] if g.name != "納税義務者" else rows)
            cases.append(_case(spec_id, name, True, [], "生成した有効データ（モデル仕様）", f"有効なデータ（{g.name}）"))
    for n, (spec_id, group, change, code, item, clause) in enumerate(MUTATIONS, 1):
        g = load_spec(spec_id).group(group)
        header, rows = _read(src / f"{spec_id}__{g.romaji}.csv")
        rows = rows[:8] if g.name != "納税義務者" else rows
        rec = dict(zip(header, rows[0], strict=True))
        rec.update(change)
        rows = [[rec[h] for h in header], *rows[1:]]
        name = f"{code.lower()}_{n:02d}_{g.romaji}.csv"
        _write(ROOT / spec_id / name, header, rows)
        by_spec[spec_id].append(_case(spec_id, name, False, [[code, 1, item]], clause,
                                      f"{code}: 1件目を {', '.join(f'{k}={v!r}' for k, v in change.items())} に変更"))
    for spec_id, cases in by_spec.items():
        doc = {"$schema": "../cases.schema.json", "spec": spec_id, "cases": cases}
        (ROOT / spec_id / "cases.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                                   encoding="utf-8")


def _zip(folder: Path, dst: Path) -> None:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)


def build_deliverable(tmp: Path) -> None:
    out = ROOT / "deliverable"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    write_deliverable(out / "valid", 60, SEED)
    write_deliverable(out / "defects", 60, SEED, defects=True)
    # A zip whose 介護 entry is corrupt (one byte of its compressed data flipped).
    _zip(out / "valid", tmp / "c.zip")
    data = bytearray((tmp / "c.zip").read_bytes())
    with zipfile.ZipFile(tmp / "c.zip") as zf:
        info = zf.getinfo("kaigo_hoken__hihokensha.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    (out / "corrupt_entry.zip").write_bytes(bytes(data))
    (out / "corrupt_archive.zip").write_bytes(b"PK\x03\x04 not really a zip archive")
    # 性別 differs from 住民記録 for the first 介護 insured (DLV003).
    shutil.copytree(out / "valid", out / "sex_mismatch")
    kaigo = out / "sex_mismatch" / "kaigo_hoken__hihokensha.csv"
    header, rows = _read(kaigo)
    i = header.index("性別")
    rows[0][i] = "1" if rows[0][i] == "2" else "2"
    _write(kaigo, header, rows)
    # Manifest problems: a wrong count (DLV006), an entry matching nothing (DLV007), an unassigned CSV
    # (DLV004) and a non-CSV file (DLV008).
    shutil.copytree(out / "valid", out / "manifest_problems")
    mp = out / "manifest_problems"
    manifest = json.loads((mp / "kikan-manifest.json").read_text(encoding="utf-8"))
    manifest["files"][0]["records"] += 1
    manifest["files"].append({"path": "kokuho/*.csv", "spec": "kokumin_kenko_hoken"})
    (mp / "kikan-manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
    (mp / "税データ.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (mp / "README.txt").write_bytes("合成データの説明\n".encode())
    # Nothing checked is never conformant: an empty zip, and a zip holding only a zip (not opened).
    with zipfile.ZipFile(out / "empty.zip", "w"):
        pass
    _zip(out / "valid", tmp / "data.zip")
    with zipfile.ZipFile(out / "nested_only.zip", "w") as zf:
        zf.write(tmp / "data.zip", "data.zip")
    spec = "deliverable"
    cases = [
        {**_case(spec, "sex_mismatch", False, [["DLV003", 1, "性別"]], "宛名の一元管理（性別）", "性別の業務間の不一致"),
         "match": "exact"},
        {**_case(spec, "manifest_problems", False,
                 [["DLV004", None, None], ["DLV006", None, None], ["DLV007", None, None], ["DLV008", None, None]],
                 "成果物の構成（マニフェスト）", "件数の不一致・ないファイル・割り当てられないファイル・CSV 以外"),
         "match": "exact"},
        _case(spec, "valid", True, [], "成果物一式（マニフェスト・ファイル名規約）", "有効な成果物一式（フォルダ）"),
        {**_case(spec, "defects", False, [["DLV001", 1, "宛名番号"], ["DLV002", 1, "児童生年月日"], ["CSV009", 1, None]],
                 "宛名番号の業務間連携", "孤立した宛名番号・生年月日の不一致・壊れたファイル"), "match": "exact"},
        {**_case(spec, "corrupt_entry.zip", False, [["DLV005", None, None]], "成果物の完全性", "CRC の壊れたエントリ"),
         "match": "exact"},
        {**_case(spec, "corrupt_archive.zip", False, [["DLV005", None, None]], "成果物の完全性", "壊れた ZIP 書庫"),
         "match": "exact"},
        {**_case(spec, "empty.zip", False, [["DLV009", None, None]], "成果物の構成", "空の ZIP 書庫（何も検査していない）"),
         "match": "exact"},
        {**_case(spec, "nested_only.zip", False, [["DLV009", None, None], ["DLV010", None, None]], "成果物の構成",
                 "ZIP の中の ZIP だけ（入れ子のアーカイブは開かない）"), "match": "exact"},
    ]
    doc = {"$schema": "../cases.schema.json", "spec": spec, "cases": cases}
    (out / "cases.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        write_deliverable(tmp / "src", ROWS, SEED)
        build_specs(tmp / "src")
        build_deliverable(tmp)
    print(f"wrote {ROOT}")


if __name__ == "__main__":
    main()
