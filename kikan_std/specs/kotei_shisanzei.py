"""Rules of 固定資産税 課税台帳 (spec kotei_shisanzei, modeled): 土地, 家屋, 納税義務者.

課税標準額 ≤ 評価額 (地方税法第349条: 課税標準は価格、特例・負担調整は下げる方向のみ), the 住宅用地 caps
(第349条の3の2: 小規模 1/6, 一般 1/3), the 賦課期日 (第359条: 1月1日), and co-ownership shares
that add up to exactly 1 per property (民法第249条以下の共有; 地方税法第10条の2 連帯納税義務).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from fractions import Fraction

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule, RecordRule
from kikan_std.model.spec import Group
from kikan_std.model.spill import SpillTable
from kikan_std.specs._taxwel import to_int
from kikan_std.specs.edition import Edition

_CAP = {"1": Fraction(1, 6), "2": Fraction(1, 3)}


def _standard_le_value(view: ChunkView) -> Iterator[Finding]:
    value, std = view.need("評価額", "課税標準額")
    for i, (v, s) in enumerate(zip(value, std, strict=True)):
        vi, si = to_int(v), to_int(s)
        if vi is not None and si is not None and si > vi:
            yield view.finding("TAX005", i, item="課税標準額", value=s, valuation=v)


def _housing_cap(view: ChunkView) -> Iterator[Finding]:
    kubun = view.col("住宅用地区分")
    if kubun is None:
        return
    value, std = view.need("評価額", "課税標準額")
    for i, (k, v, s) in enumerate(zip(kubun, value, std, strict=True)):
        cap = _CAP.get(k)
        vi, si = to_int(v), to_int(s)
        if cap is not None and vi is not None and si is not None and si > vi * cap:
            yield view.finding("TAX006", i, item="課税標準額", value=s, ratio=str(cap), valuation=v)


def _built_before_levy(view: ChunkView) -> Iterator[Finding]:
    built, year = view.need("建築年", "賦課年度")
    for i, (b, y) in enumerate(zip(built, year, strict=True)):
        bi, yi = to_int(b), to_int(y)
        if bi is not None and yi is not None and bi > yi:
            yield view.finding("TAX007", i, item="建築年", value=b, levy_year=y)


def _share_shape(view: ChunkView) -> Iterator[Finding]:
    num, den = view.need("持分_分子", "持分_分母")
    for i, (n, d) in enumerate(zip(num, den, strict=True)):
        ni, di = to_int(n), to_int(d)
        if ni is not None and di is not None and (di == 0 or ni == 0 or ni > di):
            yield view.finding("TAX008", i, item="持分_分子", value=f"{n}/{d}")


class _SharesState:
    """Per property (物件区分, 物件番号, 賦課年度): the shares of all owners add up to exactly 1."""

    def __init__(self, group: Group) -> None:
        self.file = ""
        self.table = SpillTable(
            "CREATE TABLE s (k TEXT, num INTEGER, den INTEGER, rec INTEGER, line INTEGER, kubun TEXT, no TEXT, yr TEXT);"
        )

    def feed(self, view: ChunkView) -> Iterable[Finding]:
        self.file = view.file
        kubun, no, yr, num, den = view.need("物件区分", "物件番号", "賦課年度", "持分_分子", "持分_分母")
        rows = []
        for i in range(len(view)):
            ni, di = to_int(num[i]), to_int(den[i])
            if not no[i]:
                continue
            # An unreadable share makes the property's sum unknown: recorded as NULL, then skipped.
            ok = ni is not None and di is not None and di > 0
            rows.append((f"{kubun[i]}\x1f{no[i]}\x1f{yr[i]}", ni if ok else None, di if ok else None,
                         view.records[i], view.lines[i], kubun[i], no[i], yr[i]))
        self.table.insert("INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return ()

    def finish(self) -> Iterator[Finding]:
        try:
            db = self.table.db
            db.execute("CREATE INDEX s_k ON s (k)")
            cur = db.execute("SELECT k, num, den, rec, line, kubun, no, yr FROM s ORDER BY k, rec")
            key: str | None = None
            total: Fraction | None = Fraction(0)
            refs: list[tuple[int, int]] = []
            first: tuple[str, str, str] = ("", "", "")
            for k, num, den, rec, line, kubun, no, yr in [*cur, (None,) * 8]:
                if k != key:
                    if key is not None and total is not None and total != 1:
                        yield Finding(
                            "TAX009", file=self.file, record=refs[0][0], line=refs[0][1], item="持分_分子",
                            value=str(total), params={"owners": len(refs), "sum": str(total)},
                            keys={"物件区分": first[0], "物件番号": first[1], "賦課年度": first[2]},
                            related=[(r, ln) for r, ln in refs[1:]],
                        )
                    key, total, refs, first = k, Fraction(0), [], (kubun, no, yr)
                if k is None:
                    break
                refs.append((rec, line))
                if total is not None:
                    total = None if num is None else total + Fraction(num, den)
        finally:
            self.table.close()


RECORD_RULES: tuple[RecordRule, ...] = (
    RecordRule("standard_not_above_value", ("TAX005",), "地方税法第349条（課税標準は価格）・第349条の3の2・附則の負担調整",
               _standard_le_value, groups=("土地", "家屋")),
    RecordRule("housing_land_cap", ("TAX006",), "地方税法第349条の3の2（小規模住宅用地 1/6・一般住宅用地 1/3）",
               _housing_cap, groups=("土地",)),
    RecordRule("built_before_levy_date", ("TAX007",), "地方税法第359条（賦課期日は当該年度の初日の属する年の1月1日）",
               _built_before_levy, groups=("家屋",)),
    RecordRule("share_is_proper_fraction", ("TAX008",), "民法第249条以下（共有持分）: 0 < 分子 ≤ 分母",
               _share_shape, groups=("納税義務者",)),
)

DATASET_RULES: tuple[DatasetRule, ...] = (
    DatasetRule("shares_add_up", ("TAX009",), "共有物件の持分の合計は 1（民法第249条以下・地方税法第10条の2）",
                _SharesState, groups=("納税義務者",)),
)

EDITION = Edition(
    "kotei_shisanzei",
    record_rules=RECORD_RULES,
    dataset_rules=DATASET_RULES,
)
