"""Write the jumin_kiroku conformance cases (data files + cases.json) from synthetic rows.

The output is committed; this script documents how it was made. ``violations.csv`` holds one defect
per rule code (JUM001–JUM015) and a few field defects, each in otherwise valid synthetic data; the
cross-record defects (history, households) change several rows of one person or household.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kikan_std.testing.generate import csv_text, iter_jumin_kiroku

OUT = Path(__file__).resolve().parent.parent / "conformance" / "jumin_kiroku"
Row = dict[str, str]


def _rows(n: int, seed: int) -> tuple[list[str], list[Row]]:
    it = iter_jumin_kiroku(n, seed)
    header = next(it)
    return header, [dict(zip(header, r, strict=True)) for r in it]


def _text(header: list[str], rows: list[Row]) -> str:
    return csv_text(iter([header, *([r[h] for h in header] for r in rows)]))


def _municipal_case(header: list[str], rows: list[Row]) -> dict[str, object]:
    """household_municipal.csv: the municipal household checks (JUM016 記載順位, JUM017 no 世帯主)."""
    rows = [dict(r) for r in rows[:200]]
    current = [r for r in rows if r["最新フラグ"] == "1" and r["住民状態"] == "1"]
    by_household: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        if r in current:
            by_household.setdefault(r["世帯番号"], []).append(i)
    big = [m for m in by_household.values() if len(m) >= 2]
    ordered, repeated, headless = big[0], big[1], big[2]
    for n, j in enumerate(ordered, start=1):
        rows[j]["記載順位"] = str(n)  # 1..n: valid
    for j in repeated:
        rows[j]["記載順位"] = "1"  # 1, 1, …: JUM016 on the second member
    for j in headless:
        if rows[j]["続柄表記"] == "世帯主":
            rows[j]["続柄コード1"], rows[j]["続柄表記"] = "96", "縁故者"  # JUM017 (warning)
    (OUT / "household_municipal.csv").write_text(_text(header, rows), encoding="utf-8")
    first_head = min(headless)
    return {
        "description": "世帯の規則（自治体の検証、出典区分 municipal）: 記載順位の重複、世帯主のいない世帯（警告）",
        "spec": "jumin_kiroku", "clause": "[municipal] 記載順位は世帯ごとに 1 から連続 / 世帯主は世帯に1人",
        "file": "household_municipal.csv", "encoding": "utf-8", "valid": False,
        "expected": [["JUM016", repeated[1] + 1, "記載順位"], ["JUM017", first_head + 1, "続柄コード1"]],
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    header, rows = _rows(1000, 5)
    cases: list[dict[str, object]] = []
    (OUT / "valid.csv").write_text(_text(header, rows), encoding="utf-8")
    cases.append({"description": "有効な合成データ（世帯・履歴・外国人・不詳日を含む）", "spec": "jumin_kiroku",
                  "clause": "住民記録システム標準仕様書 第1.0版 第3章", "file": "valid.csv", "encoding": "utf-8",
                  "valid": True, "expected": []})

    bad = [dict(r) for r in rows]
    used: set[str] = set()  # 宛名番号 already mutated: one defect per person
    expected: list[list[object]] = []
    mutations: list[dict[str, object]] = []

    def pick(pred: Callable[[Row], bool]) -> int:
        i = next(i for i, r in enumerate(bad) if r["宛名番号"] not in used and r["世帯番号"] not in used and pred(r))
        used.add(bad[i]["宛名番号"])
        used.add(bad[i]["世帯番号"])
        return i

    def person(i: int) -> list[int]:
        return [j for j, r in enumerate(bad) if r["宛名番号"] == bad[i]["宛名番号"]]

    def note(code: str, i: int, item: str, clause: str, desc: str) -> None:
        expected.append([code, i + 1, item])
        mutations.append({"record": i + 1, "item": item, "code": code, "clause": clause, "description": desc})

    single = lambda r: sum(x["宛名番号"] == r["宛名番号"] for x in bad) == 1  # noqa: E731
    current = lambda r: r["最新フラグ"] == "1" and r["住民状態"] == "1"  # noqa: E731

    i = pick(lambda r: r["住民種別"] == "1" and single(r) and current(r))
    bad[i]["本籍"] = ""
    note("JUM001", i, "本籍", "1.1.6", "日本人住民の本籍が空")
    i = pick(lambda r: r["第30条45規定区分"] == "1" and single(r) and current(r))
    bad[i]["在留カード等番号"] = ""
    note("JUM001", i, "在留カード等番号", "1.1.6", "中長期在留者（除票でない）の在留カード等番号が空")
    i = pick(lambda r: single(r))
    bad[i]["住民票コード"] = "1234567890"
    note("JUM002", i, "住民票コード", "住基法施行規則第1条", "住民票コードが10桁")
    i = pick(lambda r: single(r) and r["生年月日_元号"] == "3")
    bad[i]["生年月日"], bad[i]["生年月日_不詳フラグ"] = "1950-02-30", "0"
    note("JUM003", i, "生年月日", "1.1.8", "暦にない生年月日で不詳フラグが0")
    i = pick(lambda r: single(r) and r["生年月日_元号"] == "4" and r["生年月日_不詳フラグ"] == "0")
    bad[i]["生年月日_元号"] = "5"
    note("JUM004", i, "生年月日_元号", "1.1.1", "平成の生年月日に令和の元号")
    i = pick(lambda r: single(r))
    cd_body = bad[i]["宛名番号"]
    bad[i]["宛名番号"] = cd_body[:-1] + str((int(cd_body[-1]) + 1) % 10)
    note("JUM005", i, "宛名番号", "1.1.13", "宛名番号の検査数字の誤り（警告）")
    i = pick(lambda r: single(r) and r["続柄表記"] == "子")
    bad[i]["続柄表記"] = "孫"
    note("JUM006", i, "続柄表記", "1.1.11", "使用できない続柄「孫」")
    i = pick(lambda r: single(r) and r["続柄表記"] == "妻")
    bad[i]["続柄コード1"] = "20"
    note("JUM007", i, "続柄コード1", "1.1.11", "続柄コード（子）と続柄表記（妻）の不一致（警告）")

    # Households: pick a household whose rows are all single-row people.
    def household(pred: Callable[[Row], bool]) -> list[int]:
        for r in bad:
            s = r["世帯番号"]
            if s in used:
                continue
            members = [j for j, x in enumerate(bad) if x["世帯番号"] == s]
            if len(members) >= 2 and all(single(bad[j]) and current(bad[j]) for j in members) and pred(r):
                used.add(s)
                used.update(bad[j]["宛名番号"] for j in members)
                return members
        raise SystemExit("no household found")

    hh = household(lambda r: True)
    second = next(j for j in hh if bad[j]["続柄表記"] != "世帯主")
    bad[second]["続柄コード1"], bad[second]["続柄表記"] = "02", "世帯主"
    note("JUM008", second, "続柄コード1", "1.1.1 / 1.1.11", "同じ世帯の現住者に世帯主が2人")
    hh = household(lambda r: True)
    member = next(j for j in hh if bad[j]["続柄表記"] != "世帯主")
    bad[member]["世帯主氏名"] = "別人\u3000太郎"
    note("JUM009", member, "世帯主氏名", "1.1.1", "世帯主氏名が世帯主の氏名と違う")

    def multi(n: int) -> Callable[[Row], bool]:
        return lambda r: sum(x["宛名番号"] == r["宛名番号"] for x in bad) >= n and r["個人履歴番号"] == "1"

    i = pick(multi(2))
    rows_of = person(i)
    bad[rows_of[-1]]["個人履歴番号"] = str(len(rows_of) + 1)
    note("JUM010", rows_of[0], "個人履歴番号", "1.2.1", "個人履歴番号に欠番")
    i = pick(multi(2))
    for j in person(i):
        bad[j]["最新フラグ"] = "1"
    note("JUM011", i, "最新フラグ", "1.2.1", "最新フラグ1の行が2行")
    i = pick(multi(2))
    rows_of = person(i)
    bad[rows_of[0]]["最新フラグ"], bad[rows_of[-1]]["最新フラグ"] = "1", "0"
    note("JUM012", rows_of[0], "最新フラグ", "1.2.1", "最新フラグが最大の履歴番号の行にない")
    i = pick(lambda r: single(r) and r["生年月日_不詳フラグ"] == "0")
    bad[i]["住民となった年月日"] = "1800-01-01"
    note("JUM013", i, "住民となった年月日", "1.1.1", "住民となった年月日が生年月日より前")
    i = pick(lambda r: single(r) and r["住民状態"] == "1")
    bad[i]["消除の事由"] = "B01"
    note("JUM014", i, "消除の事由", "1.1.1 除票固有", "住民なのに消除の事由がある")
    i = pick(lambda r: single(r))
    bad[i]["住所_市区町村コード"] = "999997"
    note("JUM015", i, "住所_市区町村コード", "全国地方公共団体コード", "一覧にない団体コード（警告）")
    i = pick(lambda r: single(r))
    bad[i]["本籍_市区町村コード"] = "131017"
    note("FLD018", i, "本籍_市区町村コード", "全国地方公共団体コード 検査数字", "団体コードの検査数字の誤り")
    i = pick(lambda r: single(r))
    bad[i]["住所_郵便番号"] = "９９９０００１"
    note("CHR016", i, "住所_郵便番号", "郵便番号 半角7桁", "全角の郵便番号（半角7桁を修正候補に）")
    # A duplicate history key: a copy of a single-row person's row, not flagged latest.
    i = pick(lambda r: single(r))
    bad.append(dict(bad[i], 最新フラグ="0"))
    note("KEY001", len(bad) - 1, "", "1.2.1 宛名番号 + 履歴番号", "宛名番号と個人履歴番号の重複")
    expected[-1][2] = None

    (OUT / "violations.csv").write_text(_text(header, bad), encoding="utf-8")
    cases.append({
        "description": "規則ごとに1件の違反（他のレコードは有効）",
        "spec": "jumin_kiroku",
        "clause": "住民記録システム標準仕様書 第1.0版 第3章 1.1.1, 1.1.6, 1.1.8, 1.1.11, 1.1.13, 1.2.1",
        "file": "violations.csv", "encoding": "utf-8", "valid": False,
        "expected": sorted(expected, key=lambda e: (int(e[1]), str(e[0]))),  # type: ignore[call-overload]
        "mutations": mutations,
    })
    missing = [h for h in header if h != "住民状態"]
    (OUT / "missing_state_column.csv").write_text(
        csv_text(iter([missing, *([r[h] for h in missing] for r in rows[:30])])), encoding="utf-8")
    cases.append({"description": "住民状態の列がない（規則を実行できない）", "spec": "jumin_kiroku",
                  "clause": "1.1.1 住民状態", "file": "missing_state_column.csv", "encoding": "utf-8", "valid": False,
                  "expected": [["CSV004", None, "住民状態"], ["SYS002", None, None]], "match": "includes"})
    optional = [h for h in header if h != "個人番号"]
    (OUT / "missing_optional_column.csv").write_text(
        csv_text(iter([optional, *([r[h] for h in optional] for r in rows[:30])])), encoding="utf-8")
    cases.append({"description": "任意項目（個人番号）の列がない（警告のみ）", "spec": "jumin_kiroku",
                  "clause": "基本データリスト データ出力条件 任意", "file": "missing_optional_column.csv",
                  "encoding": "utf-8", "valid": True, "expected": [["CSV005", None, "個人番号"]]})
    cases.append(_municipal_case(header, rows))
    doc = {"$schema": "../cases.schema.json", "spec": "jumin_kiroku", "cases": cases}
    (OUT / "cases.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
