"""Write the interface-format conformance cases (JSON, XML, fixed-width) to conformance/formats/.

Each case has the jutogai_atena case shape plus ``input_format`` (and ``layout`` for fixed-width,
a layout file next to the data). The data is synthetic. Run from the repository root:
``python tools/build_conformance_formats.py``; the output is committed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "conformance" / "formats"
SPEC = "jutogai_atena"

RECORD = {
    "atenabango": "000000000000019",
    "shimei": "佐藤　一郎",
    "seibetsu": "1",
    "daihyoatenafuragu": "0",
    "sosashaid": "OP0001",
    "sosanengappi": "2023-01-01",
    "sosajikoku": "09:00:00",
}


def _json(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _xml(records: list[dict[str, str]], root: str = "jutogaisha_atena_kihon_joho_list", prolog: str = "") -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', *([prolog] if prolog else []), f"<{root}>"]
    for r in records:
        lines.append("  <jutogaisha_atena_kihon_joho>")
        lines += [f"    <{k}>{v}</{k}>" for k, v in r.items()]
        lines.append("  </jutogaisha_atena_kihon_joho>")
    lines.append(f"</{root}>")
    return ("\n".join(lines) + "\n").encode("utf-8")


LAYOUT = {
    "encoding": "cp932",
    "record_length": 64,
    "fields": [
        {"item": "宛名番号", "start": 1, "length": 15},
        {"item": "氏名", "start": 16, "length": 20},
        {"item": "操作者ID", "start": 36, "length": 10},
        {"item": "代表宛名フラグ", "start": 46, "length": 1},
        {"item": "操作年月日", "start": 47, "length": 10},
        {"item": "操作時刻", "start": 57, "length": 8},
    ],
}


def _fixed(atena: str, name: bytes, op: str, flag: str) -> bytes:
    return atena.encode() + name.ljust(20) + op.encode().ljust(10) + flag.encode() + b"2023-01-0109:00:00"


def build() -> list[dict[str, Any]]:
    files: dict[str, bytes] = {}
    cases: list[dict[str, Any]] = []

    def case(desc: str, clause: str, file: str, data: bytes, fmt: str, valid: bool,
             expected: list[list[Any]], **extra: Any) -> None:
        files[file] = data
        cases.append({"description": desc, "spec": SPEC, "clause": clause, "file": file,
                      "encoding": extra.pop("encoding", "utf-8"), "input_format": fmt, "valid": valid,
                      "expected": expected, **extra})

    # JSON ---------------------------------------------------------------------------------------
    case("有効な API リクエスト本文（1レコード）", "住登外者宛名番号付番API リクエスト", "valid_request.json",
         _json(RECORD), "json", True, [])
    case("有効な API レスポンス（result 配列）", "住登外者宛名番号付番API レスポンス", "valid_response.json",
         _json({"metadata": {"title": "x", "detail": ""}, "result": [RECORD, RECORD | {"atenabango": "000000000000027"}]}),
         "json", True, [])
    case("項目違反のある API リクエスト（E0001/E0002/E0004 相当）", "API エラーコード E0001–E0004", "bad_request.json",
         _json(RECORD | {"seibetsu": "3", "sosashaid": "", "daihyoatenafuragu": "1"}), "json", False,
         [["FLD015", 1, "性別"], ["FLD001", 1, "操作者ID"], ["REC001", 1, "名寄せ先宛名番号"]])
    case("JSON の構文誤り", "RFC 8259", "syntax.json", b'{"atenabango": "000000000000019",}\n', "json", False,
         [["JSN001", None, None]])
    case("値が文字列でない（数値）", "API リクエスト データ型", "not_string.json",
         _json(RECORD | {"daihyoatenafuragu": 0}), "json", False, [["JSN002", 1, None]])
    case("レコードがオブジェクトでない", "API リクエスト構造", "not_object.json", _json([RECORD, "x"]), "json", False,
         [["JSN003", 2, None]])
    case("同じキーが2回", "RFC 8259 4", "duplicate_key.json",
         b'{"atenabango": "000000000000019", "atenabango": "000000000000027", "daihyoatenafuragu": "0",'
         b' "sosashaid": "OP1", "sosanengappi": "2023-01-01", "sosajikoku": "09:00"}\n', "json", False,
         [["JSN004", 1, None]])
    case("レコードが見つからない", "API レスポンス構造", "no_records.json", _json({"metadata": {"title": "x"}}),
         "json", False, [["JSN005", None, None]])
    case("レコードが0件（警告）", "API レスポンス result", "empty.json", _json({"result": []}), "json", True,
         [["JSN006", None, None]])

    # XML ----------------------------------------------------------------------------------------
    case("有効な XML", "生成 XSD", "valid.xml", _xml([RECORD]), "xml", True, [])
    case("値の違反と構造の違反のある XML", "生成 XSD / 項目定義書", "bad.xml",
         _xml([RECORD, RECORD | {"atenabango": "000000000000027", "seibetsu": "5", "atena_bango": "x"}]), "xml", False,
         [["FLD015", 2, "性別"], ["XML003", 2, None]])
    case("XML の構文誤り", "XML 1.0", "syntax.xml", b"<jutogaisha_atena_kihon_joho_list><a>\n", "xml", False,
         [["XML001", None, None]])
    case("外部実体（XXE）は展開しない", "安全な XML 処理", "xxe.xml",
         _xml([RECORD | {"shimei": "&xxe;"}],
              prolog='<!DOCTYPE jutogaisha_atena_kihon_joho_list [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'),
         "xml", False, [["XML002", None, None]])
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    case("実体の指数展開（billion laughs）は展開しない", "安全な XML 処理", "billion_laughs.xml",
         _xml([RECORD | {"shimei": "&l9;"}], prolog=f'<!DOCTYPE r [<!ENTITY l0 "ha">{lol}]>'),
         "xml", False, [["XML002", None, None]])
    case("ルート要素が違う", "生成 XSD ルート要素", "wrong_root.xml", _xml([RECORD], root="records"), "xml", False,
         [["XML004", None, None]])

    # Fixed-width --------------------------------------------------------------------------------
    files["layout.json"] = _json(LAYOUT)
    good = _fixed("000000000000019", "佐藤　一郎".encode("cp932"), "OP1", "0")
    ko = "こ".encode("cp932")
    split = _fixed("000000000000027", "あいうえおかきくけ".encode("cp932") + b" " + ko[:1], "", "0")
    split = split[:35] + ko[1:] + b"OP1".ljust(9) + split[45:]
    short = _fixed("000000000000035", "鈴木".encode("cp932"), "OP1", "0")[:-3]
    assert len(good) == len(split) == 64
    case("有効な固定長（CP932）", "固定長レイアウト", "valid_cp932.dat", good + b"\r\n", "fixed", True, [],
         encoding="cp932", layout="layout.json", match="includes")
    case("項目境界で分断された全角文字と短いレコード（各1件）", "固定長レイアウト", "split_short.dat",
         b"\r\n".join([good, split, short]) + b"\r\n", "fixed", False,
         [["FIX002", 2, "氏名"], ["FIX001", 3, None]], encoding="cp932", layout="layout.json", match="includes")

    for name, data in files.items():
        (OUT / name).write_bytes(data)
    return cases


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cases = build()
    doc = {"$schema": "../cases.schema.json", "spec": SPEC, "cases": cases}
    (OUT / "cases.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
