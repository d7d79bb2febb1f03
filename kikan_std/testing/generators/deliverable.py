"""A synthetic multi-business migration deliverable: the same people in every business.

The people come from the 住民記録 generator (:func:`iter_jumin_kiroku`, same seed): its current
residents (最新フラグ 1, 住民状態 1, known birth date) are then taxed, own land and vehicles, receive
児童手当, are 介護 insured and 国保 members as their age and household make plausible. Every value
is invented. Files follow the naming convention ``<spec_id>__<group romaji>.csv`` and a
``kikan-manifest.json`` lists them with their record counts.

``defects=True`` plants exactly three defects for demos and tests (see :data:`DEFECTS`).
"""

from __future__ import annotations

import datetime as _dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kikan_std.errors import OutputExistsError
from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import Format
from kikan_std.specs import load_spec
from kikan_std.specs._taxwel import birthday
from kikan_std.specs.jido_teate import age_limit_month
from kikan_std.testing.generate import write_csv
from kikan_std.testing.generators.jumin_kiroku import iter_jumin_kiroku

_LEVY_YEAR = 2026
_FW = str.maketrans("0123456789", "０１２３４５６７８９")  # Ｎ items take full-width digits
_TODAY = _dt.date(2026, 6, 30)  # the 住民記録 generator's reference date
_PAY_FROM = (2024, 10)  # 児童手当 as amended in 令和6年10月

DEFECTS = (
    "kojin_juminzei__kazeidaicho.csv: the first record's 宛名番号 is replaced by one no registry has (DLV001)",
    "jido_teate__taishojido.csv: the first child's 児童生年月日 differs from 住民記録 by one day (DLV002)",
    "kei_jidoshazei__nozeigimusha.csv: the file is corrupt (bytes that are not UTF-8 and a quote never closed)",
)
"""The defects planted by ``defects=True``, in words (printed by ``make demo``)."""


@dataclass(frozen=True, slots=True)
class Person:
    """A current resident as the 住民記録 export has them."""

    atena: str
    setai: str
    relation: str
    sex: str
    birth: _dt.date
    lg_code: str
    address: str


def people(rows: int, seed: int) -> tuple[list[str], list[list[str]], list[Person]]:
    """The 住民記録 export (header, records) and its current residents."""
    it = iter_jumin_kiroku(rows, seed)
    header = next(it)
    records = list(it)
    ix = {n: i for i, n in enumerate(header)}
    out: list[Person] = []
    for r in records:
        if r[ix["最新フラグ"]] != "1" or r[ix["住民状態"]] != "1" or r[ix["生年月日_不詳フラグ"]] == "1":
            continue
        try:
            birth = _dt.date.fromisoformat(r[ix["生年月日"]])
        except ValueError:
            continue
        out.append(Person(
            atena=r[ix["宛名番号"]], setai=r[ix["世帯番号"]], relation=r[ix["続柄コード1"]], sex=r[ix["性別"]],
            birth=birth, lg_code=r[ix["市区町村コード"]] or r[ix["住所_市区町村コード"]],
            address=(r[ix["住所_市区郡町村名"]] + r[ix["住所_町字"]] + r[ix["住所_番地号表記"]])[:90],
        ))
    return header, records, out


def _age(birth: _dt.date, on: _dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _header(spec_id: str, group: str) -> list[str]:
    return [it.name for it in load_spec(spec_id).group(group).items]


def _row(header: list[str], values: dict[str, str]) -> list[str]:
    unknown = set(values) - set(header)
    if unknown:
        raise KeyError(f"not items: {sorted(unknown)}")
    return [values.get(h, "") for h in header]


def _corporate_number(rng: random.Random) -> str:
    return FORMATS[Format.CORPORATE_NUMBER].valid.sample(rng)


def _juminzei(ps: list[Person], rng: random.Random) -> Iterator[dict[str, str]]:
    for p in ps:
        if _age(p.birth, _dt.date(_LEVY_YEAR, 1, 1)) < 20 or rng.random() < 0.3:
            continue
        revenue = rng.randrange(1_000, 8_000) * 1_000
        income = revenue * 7 // 10
        deductions = 430_000 + rng.randrange(0, 50) * 10_000
        standard = max(0, income - deductions) // 1_000 * 1_000
        shotoku = standard // 10 // 100 * 100
        kubun = rng.choices(("1", "2"), (0.85, 0.15))[0]
        kinto = 5_000
        if kubun == "2":
            shotoku = kinto = 0
        elif shotoku == 0:
            kubun = "3"
        special = rng.random() < 0.6 and kubun != "2"
        yield {
            "市区町村コード": p.lg_code, "宛名番号": p.atena, "賦課年度": str(_LEVY_YEAR), "課税区分": kubun,
            "徴収区分": "1" if special else "2",
            "特別徴収義務者指定番号": f"{rng.randrange(10**9):010d}" if special else "",
            "特別徴収義務者_法人番号": _corporate_number(rng) if special else "",
            "特別徴収義務者_名称": "株式会社架空商事" if special else "",
            "給与収入額": str(revenue), "給与所得額": str(income), "総所得金額等": str(income),
            "所得控除合計額": str(deductions), "課税標準額": str(standard), "所得割額": str(shotoku),
            "均等割額": str(kinto), "年税額": str(shotoku + kinto), "控除対象配偶者の有無": str(rng.randrange(2)),
            "扶養親族数": str(rng.randrange(3)), "年少扶養親族数": str(rng.randrange(2)),
        }


def _kotei(ps: list[Person], rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]],
                                                         list[dict[str, str]]]:
    land: list[dict[str, str]] = []
    house: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    households: dict[str, list[Person]] = {}
    for p in ps:
        households.setdefault(p.setai, []).append(p)
    n = 0
    for members in households.values():
        adults = [p for p in members if _age(p.birth, _TODAY) >= 20]
        if not adults or rng.random() < 0.4:
            continue
        n += 1
        value = rng.randrange(100, 5_000) * 10_000
        kubun = rng.choice(("0", "1", "2"))
        cap = {"0": 1.0, "1": 1 / 6, "2": 1 / 3}[kubun]
        land.append({
            "物件番号": f"L{n:014d}", "賦課年度": str(_LEVY_YEAR), "所在": members[0].address or "本町",
            "地番": f"{rng.randrange(1, 999)}番{rng.randrange(1, 30)}".translate(_FW), "登記地目": "03", "現況地目": "03",
            "登記地積": f"{rng.randrange(80, 600)}.{rng.randrange(100):02d}",
            "現況地積": f"{rng.randrange(80, 600)}.{rng.randrange(100):02d}", "住宅用地区分": kubun,
            "評価額": str(value), "課税標準額": str(int(value * cap) // 1_000 * 1_000),
        })
        hvalue = rng.randrange(100, 3_000) * 10_000
        house.append({
            "物件番号": f"H{n:014d}", "賦課年度": str(_LEVY_YEAR), "所在": members[0].address or "本町",
            "家屋番号": f"{rng.randrange(1, 999)}番{rng.randrange(1, 30)}".translate(_FW), "種類": "01",
            "構造": rng.choice(("01", "02", "04")), "床面積": f"{rng.randrange(50, 250)}.{rng.randrange(100):02d}",
            "建築年": str(rng.randrange(1970, _LEVY_YEAR)), "評価額": str(hvalue), "課税標準額": str(hvalue),
        })
        co = adults[:2] if len(adults) >= 2 and rng.random() < 0.4 else adults[:1]
        for kind, no in (("1", f"L{n:014d}"), ("2", f"H{n:014d}")):
            for j, p in enumerate(co):
                owners.append({
                    "物件区分": kind, "物件番号": no, "賦課年度": str(_LEVY_YEAR), "宛名番号": p.atena,
                    "持分_分子": "1", "持分_分母": str(len(co)), "代表者フラグ": "1" if j == 0 else "0",
                })
    return land, house, owners


_KEI = (("21", 10_800), ("23", 5_000), ("01", 2_000), ("11", 3_600))


def _kei(ps: list[Person], rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    cars: list[dict[str, str]] = []
    owners: list[dict[str, str]] = []
    for p in ps:
        if _age(p.birth, _TODAY) < 18 or rng.random() < 0.75:
            continue
        kind, tax = _KEI[rng.randrange(len(_KEI))]
        no = f"K{len(cars) + 1:014d}"
        first = f"{rng.randrange(2008, 2026)}-{rng.randrange(1, 13):02d}" if kind in ("21", "23") else ""
        acquired = _dt.date(rng.randrange(2010, 2026), rng.randrange(1, 13), rng.randrange(1, 29))
        cars.append({
            "車両番号": no, "標識番号": f"帯広　{rng.randrange(100, 999)}　あ　{rng.randrange(1, 99)}\u2212{rng.randrange(10, 99)}".translate(_FW),
            "車種区分": kind, "初度検査年月": first, "定置場": p.address or "本町",
            "取得年月日": acquired.isoformat(), "廃車年月日": "", "年税額": str(tax),
        })
        owners.append({"車両番号": no, "宛名番号": p.atena, "所有区分": rng.choice(("1", "1", "2"))})
    return cars, owners


def _month_after(d: _dt.date) -> tuple[int, int]:
    return (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)


def _jido(ps: list[Person], rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    receivers: list[dict[str, str]] = []
    children: list[dict[str, str]] = []
    households: dict[str, list[Person]] = {}
    for p in ps:
        households.setdefault(p.setai, []).append(p)
    n = 0
    for members in households.values():
        head = next((p for p in members if p.relation == "02" and _age(p.birth, _TODAY) >= 18), None)
        kids = sorted((p for p in members if p.relation == "20" and age_limit_month(p.birth) >= (2026, 6)),
                      key=lambda p: p.birth)
        if head is None or not kids:
            continue
        n += 1
        starts = [max(_PAY_FROM, _month_after(k.birth)) for k in kids]
        receivers.append({
            "宛名番号": head.atena, "認定番号": f"{n:010d}", "認定日": "2024-10-15", "受給者区分": "1",
            "支給開始年月": "{:04d}-{:02d}".format(*min(starts)), "支給終了年月": "",
        })
        for rank, (k, start) in enumerate(zip(kids, starts, strict=True), 1):
            under3 = start < (k.birth.year + 3, k.birth.month)
            kubun = "3" if rank >= 3 else "1" if under3 else "2"
            children.append({
                "受給者宛名番号": head.atena, "児童宛名番号": k.atena, "児童生年月日": k.birth.isoformat(),
                "児童性別": k.sex, "支給区分": kubun, "手当月額": str({"1": 15_000, "2": 10_000, "3": 30_000}[kubun]),
                "支給開始年月": "{:04d}-{:02d}".format(*start),
            })
    return receivers, children


def _kaigo(ps: list[Person], rng: random.Random) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for p in ps:
        b65 = birthday(p.birth, 65)
        if b65 > _TODAY:
            continue
        acquired = max(b65 - _dt.timedelta(days=1), _dt.date(2000, 4, 1))
        certified = rng.random() < 0.2
        out.append({
            "被保険者番号": f"{len(out) + 1:010d}", "宛名番号": p.atena, "被保険者区分": "1",
            "生年月日": p.birth.isoformat(), "性別": p.sex, "資格取得年月日": acquired.isoformat(),
            "資格取得事由": "002" if acquired == b65 - _dt.timedelta(days=1) else "006",
            "要介護状態区分": rng.choice(("12", "21", "23")) if certified else "",
            "認定年月日": "2025-03-20" if certified else "",
            "認定有効期間_開始年月日": "2025-04-01" if certified else "",
            "認定有効期間_終了年月日": "2026-03-31" if certified else "",
            "住所地特例フラグ": "0",
        })
    return out


def _kokuho(ps: list[Person], rng: random.Random) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    setai_rows: list[dict[str, str]] = []
    insured: list[dict[str, str]] = []
    households: dict[str, list[Person]] = {}
    for p in ps:
        households.setdefault(p.setai, []).append(p)
    for setai, members in households.items():
        young = [p for p in members if birthday(p.birth, 75) > _TODAY]
        head = next((p for p in members if p.relation == "02"), None)
        if not young or head is None or rng.random() < 0.6:
            continue
        no = f"{len(setai_rows) + 1:08d}"
        setai_rows.append({
            "世帯番号": setai, "世帯主宛名番号": head.atena, "擬制世帯主フラグ": "0" if head in young else "1",
            "被保険者記号": "KH01", "世帯資格取得年月日": "2020-04-01", "世帯資格喪失年月日": "",
        })
        for j, p in enumerate(young, 1):
            born_later = p.birth > _dt.date(2020, 4, 1)
            insured.append({
                "宛名番号": p.atena, "世帯番号": setai, "被保険者番号": no, "被保険者番号_枝番": f"{j:02d}",
                "生年月日": p.birth.isoformat(), "性別": p.sex,
                "資格取得年月日": p.birth.isoformat() if born_later else "2020-04-01",
                "資格取得事由": "03" if born_later else "01", "資格喪失年月日": "", "資格喪失事由": "",
            })
    return setai_rows, insured


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    write_csv(path, iter([header, *rows]))


def write_deliverable(out_dir: str | Path, rows: int = 300, seed: int = 0, *, defects: bool = False) -> dict[str, int]:
    """Write a deliverable of ``rows`` 住民記録 records and the businesses built on them into ``out_dir``.

    Returns the record count per file name. ``out_dir`` must not exist or be empty (nothing is
    overwritten). With ``defects``, the three defects of :data:`DEFECTS` are planted.

    Raises:
        OutputExistsError: ``out_dir`` exists and is not empty.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise OutputExistsError(path=out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    jheader, jrecords, ps = people(rows, seed)
    files: dict[str, tuple[list[str], list[list[str]]]] = {"jumin_kiroku__jumin.csv": (jheader, jrecords)}

    def add(spec_id: str, group: str, romaji: str, dicts: list[dict[str, str]]) -> None:
        h = _header(spec_id, group)
        files[f"{spec_id}__{romaji}.csv"] = (h, [_row(h, d) for d in dicts])

    add("kojin_juminzei", "課税台帳", "kazeidaicho", list(_juminzei(ps, rng)))
    land, house, owners = _kotei(ps, rng)
    add("kotei_shisanzei", "土地", "tochi", land)
    add("kotei_shisanzei", "家屋", "kaoku", house)
    add("kotei_shisanzei", "納税義務者", "nozeigimusha", owners)
    cars, kowners = _kei(ps, rng)
    add("kei_jidoshazei", "車両", "sharyo", cars)
    add("kei_jidoshazei", "納税義務者", "nozeigimusha", kowners)
    receivers, children = _jido(ps, rng)
    add("jido_teate", "受給者", "jukyusha", receivers)
    add("jido_teate", "対象児童", "taishojido", children)
    add("kaigo_hoken", "被保険者", "hihokensha", _kaigo(ps, rng))
    setai, insured = _kokuho(ps, rng)
    add("kokumin_kenko_hoken", "世帯", "setai", setai)
    add("kokumin_kenko_hoken", "被保険者", "hihokensha", insured)

    if defects:
        h, recs = files["kojin_juminzei__kazeidaicho.csv"]
        recs[0][h.index("宛名番号")] = "999999999999999"
        h, recs = files["jido_teate__taishojido.csv"]
        i = h.index("児童生年月日")
        d = _dt.date.fromisoformat(recs[0][i])
        recs[0][i] = (d + _dt.timedelta(days=1 if d.day < 28 else -1)).isoformat()
    counts: dict[str, int] = {}
    for name, (h, recs) in files.items():
        _write(out / name, h, recs)
        counts[name] = len(recs)
    if defects:
        (out / "kei_jidoshazei__nozeigimusha.csv").write_bytes(
            "車両番号,宛名番号,所有区分\r\n".encode() + b"K00000000000001,\xff\xfe\x00\x81,\"1\r\n"
        )
    manifest = {
        "kikan_manifest": 1,
        "files": [
            {"path": name, "spec": name.split("__")[0], "group": name.split("__")[1][:-4], "encoding": "utf-8",
             **({} if defects else {"records": n})}
            for name, n in counts.items()
        ],
    }
    (out / "kikan-manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                             encoding="utf-8")
    return counts
