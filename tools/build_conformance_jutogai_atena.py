"""Write the jutogai_atena conformance cases (data files + cases.json) from synthetic rows.

The output is committed; this script documents how it was made and can regenerate it. Each case
names the clause of the official item definition it exercises.
"""

from __future__ import annotations

import json
from pathlib import Path

from kikan_std.testing.generate import csv_text, iter_jutogai_atena

OUT = Path(__file__).resolve().parent.parent / "conformance" / "jutogai_atena"


def base_rows(n: int, seed: int = 7) -> tuple[list[str], list[list[str]]]:
    it = iter_jutogai_atena(n, seed)
    header = next(it)
    rows = list(it)
    for r in rows:  # a stable, simple baseline for mutation: Japanese, calendar birth date, flag 0
        r[1] = r[1] or "123456789018"
        r[24], r[25] = "0", ""
        r[11], r[12] = "1980-04-01", ""
        r[14], r[17] = "0011002", "霞が関二丁目"
        r[13], r[15], r[16] = "131016", "東京都", "千代田区"
    return header, rows


# (record number, item, new value, expected code, expected item, clause, description)
MUTATIONS: list[tuple[int, str, str, str, str, str, str]] = [
    (2, "宛名番号", "1234567890123456", "FLD002", "宛名番号", "03100001 桁数15", "宛名番号が16文字"),
    (3, "個人番号", "123456789010", "FLD016", "個人番号", "03100002 / 総務省令第85号 第5条", "個人番号の検査用数字の誤り"),
    (4, "氏名", "佐藤\u3000A郎", "CHR003", "氏名", "03100003 型Ｎ", "全角項目に半角英字"),
    (5, "氏_日本人", "ｻﾄｳ", "CHR004", "氏_日本人", "03100004 型Ｎ", "全角項目に半角カタカナ"),
    (6, "性別", "3", "FLD015", "性別", "03100011 コード1", "性別コードにない値"),
    (7, "操作年月日", "2023-02-29", "FLD012", "操作年月日", "03100028 型DATE", "平年の2月29日"),
    (8, "生年月日", "1975/01/01", "FLD011", "生年月日", "03100012 型DATE", "日付をスラッシュ区切りで出力"),
    (9, "操作時刻", "25:00:00", "FLD014", "操作時刻", "03100029 型TIME", "存在しない時刻"),
    (10, "操作者ID", "", "FLD001", "操作者ID", "03100027 必須", "必須項目が空"),
    (11, "住所_市区町村コード", "131017", "FLD018", "住所_市区町村コード", "03100014 全国地方公共団体コード", "団体コードの検査数字の誤り"),
    (12, "住所_郵便番号", "１０００００１", "CHR016", "住所_郵便番号", "03100022 型X", "郵便番号が全角"),
    (13, "住所_町字コード", "12345", "FLD020", "住所_町字コード", "03100015 町字ID 7桁", "町字コードが5桁"),
    (14, "代表宛名フラグ", "２", "FLD008", "代表宛名フラグ", "03100025 型9", "整数項目に全角数字"),
    (15, "代表宛名フラグ", "2", "FLD015", "代表宛名フラグ", "03100025 コード2", "代表宛名フラグにない値"),
    (16, "住所_方書", "あ" * 301, "FLD002", "住所_方書", "03100020 桁数300", "方書が301文字"),
    (17, "代表宛名フラグ", "1", "REC001", "名寄せ先宛名番号", "03100026 ※※名寄せ元", "非代表宛名なのに名寄せ先宛名番号が空"),
    (18, "生年月日", "1950-00-00", "REC001", "生年月日_不詳表記", "03100013 ※※生年月日が不詳", "不詳日なのに不詳表記が空"),
    (19, "操作者ID", "OP\t01", "CHR001", "操作者ID", "文字要件 制御文字", "操作者IDにタブ"),
    (20, "業務ID", "1", "FLD022", "業務ID", "03100023 3桁のコード値", "業務IDの先頭の0が落ちて1桁"),
    (21, "住所_町字", "", "REC001", "住所_町字", "03100018 ※※町字が存在する場合", "町字コードがあるのに町字が空"),
    (22, "住所_都道府県", "東京都東京", "FLD002", "住所_都道府県", "03100016 桁数4", "都道府県が5文字"),
    (23, "操作者ID", "ｵﾍﾟﾚｰﾀ", "CHR015", "操作者ID", "03100027 型X", "半角項目に半角カタカナ"),
    (24, "住所_郵便番号", "100-0014", "FLD019", "住所_郵便番号", "GIF 郵便番号", "郵便番号にハイフン"),
    (26, "宛名番号", "26", "FLD023", "宛名番号", "03100001 サンプル値 123456789123456（桁数15）",
     "宛名番号の先頭の0が落ちて2桁（表計算ソフトで数値として扱われた）"),
]


# (record, item, value, expected code) — one 文字要件 problem per record (docs/chars.md).
CHAR_MUTATIONS: list[tuple[int, str, str, str]] = [
    (2, "氏名", "佐藤\u200b一郎", "CHR002"),
    (3, "氏名", "佐藤\ue000郎", "CHR005"),
    (4, "氏名", "佐藤\U00100000郎", "CHR006"),
    (5, "氏名_読み仮名", "サトウ\u3000カ\u3099", "CHR008"),
    (6, "氏名", "佐藤ア\u20dd", "CHR009"),
    (7, "氏名", "\U000e0100佐藤", "CHR010"),
    (8, "氏名", "佐藤\U000e01ef", "CHR011"),
    (9, "氏名", "张伟", "CHR012"),
    (10, "住所_方書", "ハイツ\uffe0", "CHR013"),
    (11, "住所_番地号表記", "１\uff5e２", "CHR014"),
    (12, "操作者ID", "OP\u00e9", "CHR017"),
]


def _case(description: str, clause: str, file: str, valid: bool, expected: list[list[object]], **extra: object) -> dict[str, object]:
    return {"description": description, "spec": "jutogai_atena", "clause": clause, "file": file,
            "encoding": extra.pop("encoding", "utf-8"), "valid": valid, "expected": expected, **extra}


def more_cases(header: list[str], rows: list[list[str]], idx: dict[str, int], valid_text: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    chars = [list(r) for r in rows]
    for rec, item, value, _ in CHAR_MUTATIONS:
        chars[rec - 1][idx[item]] = value
    (OUT / "characters.csv").write_bytes(csv_text(iter([header, *chars])).encode("utf-8", "surrogatepass"))
    out.append(_case("文字要件: 1レコードに1つの文字の問題", "データ要件・連携要件標準仕様書 文字要件 / 行政事務標準文字",
                     "characters.csv", False, [[c, r, i] for r, i, _, c in CHAR_MUTATIONS]))

    gj = [list(r) for r in rows[:3]]
    gj[0][idx["氏名"]] = "佐藤\U00100000郎"
    gj[1][idx["氏名"]] = "佐藤\U00100001郎"
    (OUT / "gj.csv").write_bytes(csv_text(iter([header, *gj])).encode("utf-8"))
    (OUT / "gj_table.txt").write_text("# GJ table for the conformance case\nU+100001\n", encoding="utf-8")
    out.append(_case("GJ 表にない面16の私用領域の文字", "文字要件 追加文字（GJ）", "gj.csv", False,
                     [["CHR007", 1, "氏名"]], gj_table="gj_table.txt"))

    no_kana = [[v for i, v in enumerate(r) if i != idx["住所_方書_フリガナ"]] for r in [header, *rows[:3]]]
    (OUT / "missing_optional_column.csv").write_bytes(csv_text(iter(no_kana)).encode("utf-8"))
    out.append(_case("任意項目の列がない（警告）", "03100021 任意", "missing_optional_column.csv", True,
                     [["CSV005", None, "住所_方書_フリガナ"]]))

    dup = [[*r, r[idx["氏名"]]] for r in [header, *rows[:3]]]
    dup[0][-1] = "shimei"
    (OUT / "duplicate_column.csv").write_bytes(csv_text(iter(dup)).encode("utf-8"))
    out.append(_case("同じ項目の列が重複（氏名と shimei）", "データ項目（ローマ字）", "duplicate_column.csv", False,
                     [["CSV006", None, "氏名"]]))

    lines = valid_text.split("\r\n")
    big = [*lines[:3], '000000000000099,' + "x" * 200000, *lines[3:]]
    (OUT / "field_too_large.csv").write_bytes("\r\n".join(big).encode("utf-8"))
    out.append(_case("読み取り上限を超える値", "RFC 4180 / 桁数", "field_too_large.csv", False, [["CSV010", 3, None]]))

    bad_quote = [*lines[:3], '000000000000099,"佐藤"一郎', *lines[3:]]
    (OUT / "malformed_quote.csv").write_bytes("\r\n".join(bad_quote).encode("utf-8"))
    out.append(_case("閉じ引用符の後に文字", "RFC 4180 2.5–2.7", "malformed_quote.csv", False, [["CSV011", 3, None]]))

    blank = [*lines[:3], "", *lines[3:]]
    (OUT / "blank_line.csv").write_bytes("\r\n".join(blank).encode("utf-8"))
    out.append(_case("レコードの間の空行（警告）", "RFC 4180 2.1", "blank_line.csv", True, [["CSV012", None, None]]))

    sj = [list(r) for r in rows[:3]]
    sj[1][idx["住所_方書"]] = "ハイツ①号"
    (OUT / "shift_jis_with_cp932_char.csv").write_bytes(csv_text(iter([header, *sj])).encode("cp932"))
    out.append(_case("Shift_JIS と取り決めたファイルに CP932 独自文字", "文字要件（文字コード）",
                     "shift_jis_with_cp932_char.csv", False, [["ENC001", 2, "住所_方書"]], encoding="shift_jis"))

    small = csv_text(iter([header, *rows[:3]])).encode("utf-8")
    (OUT / "bom_forbidden.csv").write_bytes(b"\xef\xbb\xbf" + small)
    out.append(_case("BOM なしの取り決めに BOM", "ファイル連携の取り決め（BOM）", "bom_forbidden.csv", False,
                     [["ENC002", None, None]], bom="forbid"))
    (OUT / "bom_required.csv").write_bytes(small)
    out.append(_case("BOM 付きの取り決めに BOM がない（警告）", "ファイル連携の取り決め（BOM）", "bom_required.csv", True,
                     [["ENC003", None, None]], bom="require"))

    from kikan_std.specs import load_spec

    romaji = [it.romaji for it in load_spec("jutogai_atena").groups[0].items]
    ascii_rows = []
    for n in range(1, 4):
        r = [""] * len(romaji)
        r[idx["宛名番号"]] = f"{n:015d}"
        r[idx["代表宛名フラグ"]] = "0"
        r[idx["操作者ID"]] = "OP01"
        r[idx["操作年月日"]] = "2025-01-01"
        r[idx["操作時刻"]] = "09:00:00"
        ascii_rows.append(r)
    (OUT / "ascii_only.csv").write_bytes(csv_text(iter([romaji, *ascii_rows])).encode("utf-8"))
    out.append(_case("文字コード推定の根拠が弱い（ASCII のみ）: 推定が誤りうるため適合としない", "文字要件（文字コード）", "ascii_only.csv", False,
                     [["ENC004", None, None]], encoding="auto"))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    header, rows = base_rows(40)
    idx = {name: i for i, name in enumerate(header)}
    cases = []

    valid_text = csv_text(iter([header, *rows]))
    variants = [
        ("valid_utf8_crlf.csv", valid_text.encode("utf-8"), "utf-8", "UTF-8、CRLF"),
        ("valid_utf8_bom.csv", b"\xef\xbb\xbf" + valid_text.encode("utf-8"), "utf-8", "UTF-8 BOM付き"),
        ("valid_utf8_lf.csv", valid_text.replace("\r\n", "\n").encode("utf-8"), "utf-8", "UTF-8、LF"),
        ("valid_cp932.csv", valid_text.encode("cp932"), "cp932", "CP932（--encoding cp932）"),
    ]
    for fname, data, enc, desc in variants:
        (OUT / fname).write_bytes(data)
        cases.append({"description": f"有効なデータ（{desc}）", "spec": "jutogai_atena", "clause": "共通機能 ファイル連携 CSV",
                      "file": fname, "encoding": enc, "valid": True, "expected": []})

    bad = [list(r) for r in rows]
    expected = []
    for rec, item, value, code, exp_item, _clause, _desc in MUTATIONS:
        bad[rec - 1][idx[item]] = value
        expected.append([code, rec, exp_item])
    # A duplicate key: record 25 repeats record 1's 宛名番号.
    bad[24][idx["宛名番号"]] = bad[0][idx["宛名番号"]]
    expected.append(["KEY001", 25, "宛名番号"])
    (OUT / "violations.csv").write_bytes(csv_text(iter([header, *bad])).encode("utf-8"))
    cases.append({
        "description": "1項目ずつの違反23件と主キー重複（他のレコードは有効）",
        "spec": "jutogai_atena",
        "clause": "項目定義書（住登外者宛名番号管理）各項目の型・桁数・コード・出力条件・主キー",
        "file": "violations.csv", "encoding": "utf-8", "valid": False,
        "expected": sorted(expected, key=lambda e: e[1]),
        "mutations": [{"record": m[0], "item": m[1], "code": m[3], "clause": m[5], "description": m[6]} for m in MUTATIONS],
    })

    # Structural cases.
    (OUT / "empty.csv").write_bytes(b"")
    cases.append({"description": "空ファイル", "spec": "jutogai_atena", "clause": "ファイル連携 CSV", "file": "empty.csv",
                  "encoding": "utf-8", "valid": False, "expected": [["CSV007", None, None]]})
    (OUT / "header_only.csv").write_bytes(csv_text(iter([header])).encode("utf-8"))
    cases.append({"description": "ヘッダ行のみ（警告）", "spec": "jutogai_atena", "clause": "ファイル連携 CSV",
                  "file": "header_only.csv", "encoding": "utf-8", "valid": True, "expected": [["CSV008", None, None]]})
    ragged = valid_text.split("\r\n")
    ragged[3] = ragged[3] + ",extra"
    (OUT / "ragged.csv").write_bytes("\r\n".join(ragged).encode("utf-8"))
    cases.append({"description": "列数の多い行", "spec": "jutogai_atena", "clause": "RFC 4180 2.4", "file": "ragged.csv",
                  "encoding": "utf-8", "valid": False, "expected": [["CSV002", 3, None]]})
    sjis_in_utf8 = valid_text.split("\r\n")
    (OUT / "undecodable.csv").write_bytes(
        "\r\n".join(sjis_in_utf8[:2]).encode("utf-8") + b"\r\n" + sjis_in_utf8[2].encode("cp932") + b"\r\n"
        + "\r\n".join(sjis_in_utf8[3:]).encode("utf-8"))
    first_bad = next(name for name, v in zip(header, rows[1], strict=True) if not v.isascii())
    cases.append({"description": "UTF-8 と宣言したファイルに CP932 の行", "spec": "jutogai_atena", "clause": "文字要件（文字コード）",
                  "file": "undecodable.csv", "encoding": "utf-8", "valid": False, "expected": [["CSV001", 2, first_bad]],
                  "match": "includes"})
    missing = [[v for i, v in enumerate(r) if i != idx["操作時刻"]] for r in [header, *rows[:3]]]
    (OUT / "missing_column.csv").write_bytes(csv_text(iter(missing)).encode("utf-8"))
    cases.append({"description": "必須項目の列がない", "spec": "jutogai_atena", "clause": "03100029 必須", "file": "missing_column.csv",
                  "encoding": "utf-8", "valid": False, "expected": [["CSV004", None, "操作時刻"]]})
    unknown = [[*r, "x"] for r in [header, *rows[:3]]]
    unknown[0][-1] = "備考欄"
    (OUT / "unknown_column.csv").write_bytes(csv_text(iter(unknown)).encode("utf-8"))
    cases.append({"description": "仕様にない列", "spec": "jutogai_atena", "clause": "基本データリスト データ項目", "file": "unknown_column.csv",
                  "encoding": "utf-8", "valid": False, "expected": [["CSV003", None, None]]})
    (OUT / "unterminated_quote.csv").write_bytes((csv_text(iter([header, *rows[:2]])) + '000000000000099,"abc,def\r\n').encode("utf-8"))
    cases.append({"description": "閉じられていない引用符", "spec": "jutogai_atena", "clause": "RFC 4180 2.5", "file": "unterminated_quote.csv",
                  "encoding": "utf-8", "valid": False, "expected": [["CSV009", 3, None]]})
    romaji = [[it for it in r] for r in [header, *rows[:5]]]
    from kikan_std.specs import load_spec
    romaji[0] = [it.romaji for it in load_spec("jutogai_atena").groups[0].items]
    (OUT / "valid_romaji_header.csv").write_bytes(csv_text(iter(romaji)).encode("utf-8"))
    cases.append({"description": "ローマ字名のヘッダ", "spec": "jutogai_atena", "clause": "データ項目（ローマ字）", "file": "valid_romaji_header.csv",
                  "encoding": "utf-8", "valid": True, "expected": []})
    cases += more_cases(header, rows, idx, valid_text)
    # Cases written by hand (their files are not made here) are kept, in their order, after the built ones.
    built = {(c["file"], c["encoding"]) for c in cases}
    old = OUT / "cases.json"
    if old.exists():
        cases += [c for c in json.loads(old.read_text(encoding="utf-8"))["cases"]
                  if (c["file"], c["encoding"]) not in built and (OUT / c["file"]).exists()]
    doc = {"$schema": "../cases.schema.json", "spec": "jutogai_atena", "cases": cases}
    (OUT / "cases.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
