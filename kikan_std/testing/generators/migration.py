"""Synthetic migration pairs (移行検証) built on the 住民記録 generator; never real people.

``write_migration_pair(DIR, rows, seed, defects=…)`` writes:

* ``legacy.csv`` — a legacy-style extract: CP932, legacy column names, legacy 住民状態 codes
  (1 住民 / 2 住登外 / 3 転出者 / 4 死亡者 / 9 消除者, with a few 住登外 rows the standard 住民記録
  does not hold), 和暦 dates as 年号コード+YYMMDD, numbers without leading zeros, half-width
  フリガナ, 方書 padded with spaces;
* ``mapping.toml`` — the mapping that turns it into the standard items (same as
  ``examples/mapping_jumin_legacy.toml``);
* ``standard.csv`` — the matching standard export (UTF-8);
* ``v1.csv`` / ``v2.csv`` — two deliveries of the same standard data (v2: other row and column order);
* some households write 渡辺 as 渡邊 in every file (the 縮退 defect needs the original character);
* with ``defects``: ``standard.csv`` carries the planted migration defects, ``planted.json`` lists
  each with the difference compare must report (item, kind, count), and ``expected-differences.toml``
  documents the one by-design difference.

The pair holds two columns beyond the built-in 住民記録 model, declared in the mapping's
``[extra_items]``: ``通称`` (personal; the model has no 通称 item) and ``住民税_年税額`` (an amount
carried by the legacy 総合宛名 database; the 住民記録 model has no amount item).
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from kikan_std.jp.wareki import era_of
from kikan_std.specs import load_spec
from kikan_std.testing.generators.jumin_kiroku import _SURNAMES, iter_jumin_kiroku

__all__ = ["DEFECTS", "LEGACY_NAMES", "mapping_toml", "write_migration_pair"]

EXTRA_COLUMNS = ("通称", "住民税_年税額")

LEGACY_NAMES = {
    "宛名番号": "ATENA_NO", "世帯番号": "SETAI_NO", "住民状態": "JUMIN_JOTAI", "氏名": "SHIMEI_KANJI",
    "氏名_フリガナ": "SHIMEI_KANA", "生年月日": "BIRTH_YMD", "住所_方書": "KATAGAKI", "異動届出年月日": "TODOKE_YMD",
    "通称": "TSUSHO", "住民税_年税額": "ZEIGAKU",
}
"""Legacy column names of some items; the others use the item's romaji in capitals."""

_PADDED = ("宛名番号", "世帯番号")
_KANA = ("氏名_フリガナ", "氏_日本人_フリガナ", "名_日本人_フリガナ")
_STATE_TO_LEGACY = {"1": "1", "2": "3", "3": "4", "9": "9"}
_LONG_KATAGAKI = ("グランドメゾン十勝中央第二ハイツＡ棟１２０３号室", "サンライズコーポ芽室駅前通り南館３０５号室",
                  "ハイツ本町一丁目", "コーポ緑町２０１")

DEFECTS = (
    "届出日（異動届出年月日）の30%が「年月日不詳」(0000-00-00) に",
    "1% のレコードが欠落",
    "住民状態コード 2 と 3 の入れ替わり",
    "続柄コード1 の先頭ゼロ落ち（02 → 2）",
    "住所_方書 が20文字で切り詰め",
    "外国人住民の 通称 が欠落",
    "1世帯が2世帯に分割",
    "住民税_年税額 が100円未満切り捨てで合計が変化",
    "（想定どおり）転入前住所_郵便番号 を移行しない",
    "氏名 の「邊」が MJ 縮退の「辺」に（渡邊 → 渡辺）",
)


def _legacy_header() -> tuple[list[str], list[str]]:
    items = load_spec("jumin_kiroku").groups[0].items
    names = [it.name for it in items] + list(EXTRA_COLUMNS)
    romaji = {it.name: it.romaji.upper() for it in items}
    return names, [LEGACY_NAMES.get(n, romaji.get(n, n)) for n in names]


def mapping_toml() -> str:
    """The mapping of the generated legacy extract (also shipped as examples/mapping_jumin_legacy.toml)."""
    spec = load_spec("jumin_kiroku")
    names, legacy = _legacy_header()
    dates = [it.name for it in spec.groups[0].items if it.type.value == "DATE"]
    lines = [
        "# 旧住基システムの抽出 → 住民記録（標準仕様）の対応表 / legacy extract → standard 住民記録 items",
        "# kikan-std compare legacy.csv standard.csv --spec jumin_kiroku --mapping このファイル",
        "# 列名・コードは合成データ生成器（kikan-std generate --spec migration）の旧システムのもの。",
        "# Column names are those of the synthetic generator's legacy system; adapt them to your extract.",
        "",
        "[mapping]",
        'spec = "jumin_kiroku"',
        'group = "住民"',
        'encoding = "cp932"',
        'provenance = "合成データの旧システム（kikan-std generate --spec migration）/ synthetic legacy system"',
        "",
        "[columns]",
        *(f'{lg} = "{n}"' for n, lg in zip(names, legacy, strict=True)),
        "",
        "# 住民状態: ある旧ベンダーシステムは 1 住民 / 2 住登外 / 3 転出者 / 4 死亡者 / 9 消除者、標準の出力は",
        "# 1 住民 / 2 転出者 / 3 死亡者 / 9 その他消除者。住登外者は住民記録ではなく住登外者宛名番号管理へ移る。",
        '[codes."住民状態"]',
        'provenance = "ベンダーのソースコード・自治体資料（第三者情報、公式のコード表ではない）'
        ' / vendor source code and municipal material, not an official code table"',
        'map = { "1" = "1", "3" = "2", "4" = "3", "9" = "9" }',
        'exclude = ["2"]',
        'meanings = { "1" = "住民", "2" = "住登外", "3" = "転出者", "4" = "死亡者", "9" = "消除者" }',
        "",
        *(line for n in _PADDED for line in (f'[transforms."{n}"]', "zero_pad = 15", "")),
        *(line for n in _KANA for line in (f'[transforms."{n}"]', 'width = "full"', "")),
        '[transforms."住所_方書"]',
        "trim = true",
        "",
        *(line for n in dates for line in (f'[transforms."{n}"]', 'date = "wareki7"', "")),
        '[extra_items."通称"]',
        "personal = true",
        "",
        '[extra_items."住民税_年税額"]',
        "personal = false",
        "amount = true",
    ]
    return "\n".join(lines) + "\n"


def _half_kana_table() -> dict[str, str]:
    out: dict[str, str] = {}
    singles = [chr(c) for c in range(0xFF61, 0xFFA0)]
    for h in singles:
        full = unicodedata.normalize("NFKC", h)
        if len(full) == 1:
            out.setdefault(full, h)
        for mark in ("\uff9e", "\uff9f"):
            f2 = unicodedata.normalize("NFKC", h + mark)
            if len(f2) == 1:
                out.setdefault(f2, h + mark)
    out["\u3000"] = " "
    return out


_HALF = _half_kana_table()


def _wareki7(iso: str) -> str:
    y, m, d = int(iso[:4]), int(iso[5:7]), int(iso[8:10])
    era = era_of(_dt.date(y, m or 12, d or (31 if not m else 28)))
    return f"{era.code}{y - era.start.year + 1:02d}{m:02d}{d:02d}"


def write_migration_pair(out_dir: str | Path, rows: int, seed: int = 0, *, defects: bool = False) -> dict[str, int]:
    """Write a migration pair into ``out_dir`` (must not exist or be empty); return rows per file.

    Streams household by household (a million records fit in a few MB of memory).
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(str(out))
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed * 7919 + 1)
    it = iter_jumin_kiroku(rows, seed)
    header = next(it)
    full_header = [*header, *EXTRA_COLUMNS]
    idx = {n: i for i, n in enumerate(full_header)}
    names, legacy_names = _legacy_header()
    if names != full_header:
        raise RuntimeError("legacy header out of step with the 住民記録 model")
    dates = {i for i, it_ in enumerate(load_spec("jumin_kiroku").groups[0].items) if it_.type.value == "DATE"}
    perm = list(range(len(full_header)))
    rng.shuffle(perm)
    planter = _Planter(idx, random.Random(seed * 7919 + 2)) if defects else None
    counts = {"v1.csv": 0, "v2.csv": 0, "legacy.csv": 0, "standard.csv": 0}
    shuffle_buf: list[list[str]] = []
    with _Csv(out / "v1.csv", full_header, "utf-8") as v1, \
            _Csv(out / "v2.csv", [full_header[i] for i in perm], "utf-8") as v2, \
            _Csv(out / "legacy.csv", legacy_names, "cp932") as legacy, \
            _Csv(out / "standard.csv", full_header, "utf-8") as std:
        tsusho: dict[str, str] = {}
        n_jutogai = 0
        for block in _households(it, header.index("世帯番号")):
            katagaki = _LONG_KATAGAKI[rng.randrange(len(_LONG_KATAGAKI))]
            rows_std: list[list[str]] = []
            # Some households write 渡辺 as 渡邊 (every file holds it; the 縮退 defect degrades it back).
            old_form = int(block[0][idx["世帯番号"]] or 0) % 4 == 0
            for r in block:
                if old_form:
                    r[:] = [v.replace("渡辺", "渡邊") if "渡辺" in v else v for v in r]
                atena = r[idx["宛名番号"]]
                if r[idx["住所_方書"]]:
                    r[idx["住所_方書"]] = katagaki
                if r[idx["住民種別"]] == "2" and atena not in tsusho:
                    tsusho[atena] = (f"{_SURNAMES[rng.randrange(len(_SURNAMES))]}\u3000{'一二三四'[rng.randrange(4)]}郎"
                                     if rng.random() < 0.6 else "")
                tax = str(rng.randrange(1000, 400_000)) if rng.random() < 0.6 else ""
                rows_std.append([*r, tsusho.get(atena, ""), tax])
            for r in rows_std:
                v1.write(r)
                legacy.write(_to_legacy(r, idx, dates))
                if rng.random() < 0.01:  # a 住登外 row of the legacy database: the mapping excludes it
                    extra = list(r)
                    extra[idx["宛名番号"]] = f"9{n_jutogai:014d}"
                    n_jutogai += 1
                    lr = _to_legacy(extra, idx, dates)
                    lr[idx["住民状態"]] = "2"
                    legacy.write(lr)
            shuffle_buf.extend(rows_std)
            if len(shuffle_buf) >= 5000:
                rng.shuffle(shuffle_buf)
                for r in shuffle_buf:
                    v2.write([r[i] for i in perm])
                shuffle_buf.clear()
            for r in (planter.household([list(x) for x in rows_std]) if planter else rows_std):
                std.write(r)
        rng.shuffle(shuffle_buf)
        for r in shuffle_buf:
            v2.write([r[i] for i in perm])
        counts = {"v1.csv": v1.rows, "v2.csv": v2.rows, "legacy.csv": legacy.rows, "standard.csv": std.rows}
    (out / "mapping.toml").write_text(mapping_toml(), encoding="utf-8")
    if planter is not None:
        (out / "planted.json").write_text(json.dumps(planter.planted(), ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
        (out / "expected-differences.toml").write_text(
            "# 想定どおりの差異 / differences by design (kikan-std compare --expected このファイル)\n"
            "[[expected]]\n"
            'item = "転入前住所_郵便番号"\n'
            'kind = "*"\n'
            'reason = "旧システムに転入前住所の郵便番号の履歴がなく、移行しない（移行方針による）"\n'
            'owner = "住民課（合成例）"\n'
            "expires = 2099-03-31\n",
            encoding="utf-8",
        )
    return counts


def _households(rows: Iterator[list[str]], s: int) -> Iterator[list[list[str]]]:
    """Consecutive rows of one 世帯番号 (the 住民記録 generator writes household by household)."""
    block: list[list[str]] = []
    for r in rows:
        if block and r[s] != block[0][s]:
            yield block
            block = []
        block.append(r)
    if block:
        yield block


class _Csv:
    """A CSV file written row by row (CRLF), counting its records."""

    def __init__(self, path: Path, header: list[str], encoding: str) -> None:
        self.f = path.open("w", encoding=encoding, newline="")
        self.w = csv.writer(self.f, lineterminator="\r\n")
        self.w.writerow(header)
        self.rows = 0

    def write(self, row: list[str]) -> None:
        self.w.writerow(row)
        self.rows += 1

    def __enter__(self) -> _Csv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.f.close()


_PADDED_SET, _KANA_SET = frozenset(_PADDED), frozenset(_KANA)


def _to_legacy(r: list[str], idx: dict[str, int], dates: set[int]) -> list[str]:
    out = list(r)
    for i in dates:
        v = out[i]
        if len(v) == 10 and v[4] == "-":
            out[i] = _wareki7(v)
    for n in _PADDED:
        out[idx[n]] = out[idx[n]].lstrip("0") or out[idx[n]]
    for n in _KANA:
        out[idx[n]] = "".join(_HALF.get(c, c) for c in out[idx[n]])
    j = idx["住民状態"]
    out[j] = _STATE_TO_LEGACY.get(out[j], out[j])
    k = idx["住所_方書"]
    if out[k]:
        out[k] += "  "
    return out


class _Planter:
    """Plants the migration defects household by household and counts what compare must report."""

    def __init__(self, idx: dict[str, int], rng: random.Random) -> None:
        self.idx, self.rng = idx, rng
        self.n: dict[int, int] = dict.fromkeys(range(len(DEFECTS)), 0)
        self.split_done = False

    def planted(self) -> list[dict[str, object]]:
        where = (("異動届出年月日", "became_unknown"), (None, "records_missing"), ("住民状態", "code_remapped"),
                 ("続柄コード1", "leading_zeros_lost"), ("住所_方書", "truncated"), ("通称", "filled_to_blank"),
                 ("世帯番号", "households_changed"), ("住民税_年税額", "sum_changed"),
                 ("転入前住所_郵便番号", "filled_to_blank"), ("氏名", "degraded_shrink"))
        return [{"defect": DEFECTS[i], "item": item, "kind": kind, "count": self.n[i], "expected": i == 8}
                for i, (item, kind) in enumerate(where) if self.n[i]]

    def household(self, rows: list[list[str]]) -> list[list[str]]:
        idx, rng, n = self.idx, self.rng, self.n
        # 2. about 1 % of the records dropped (first: every other count is over records both sides hold).
        kept = [r for r in rows if rng.random() >= 0.01]
        n[1] += len(rows) - len(kept)
        rows = kept
        s, z = idx["世帯番号"], idx["続柄コード1"]
        # 7. one household split into two: the members other than the head get a new 世帯番号.
        if not self.split_done and len({r[idx["宛名番号"]] for r in rows}) >= 3 and any(r[z] == "02" for r in rows):
            for r in rows:
                if r[z] != "02":
                    r[s] = "999999999999990"
            self.split_done = True
            n[6] = 1
        for r in rows:
            # 1. 届出日 → 年月日不詳 for about 30 % of the records holding one.
            t = idx["異動届出年月日"]
            if r[t] and rng.random() < 0.3:
                r[t] = "0000-00-00"
                n[0] += 1
            # 3. 住民状態 2 ↔ 3.
            j = idx["住民状態"]
            if r[j] in ("2", "3"):
                r[j] = "3" if r[j] == "2" else "2"
                n[2] += 1
            # 4. leading zeros lost in a code item.
            if r[z] == "02":
                r[z] = "2"
                n[3] += 1
            # 5. 方書 truncated to 20 characters.
            k = idx["住所_方書"]
            if len(r[k]) > 20:
                r[k] = r[k][:20]
                n[4] += 1
            # 6. 通称 missing for foreign residents.
            c = idx["通称"]
            if r[c]:
                r[c] = ""
                n[5] += 1
            # 8. an amount rounded down to 100 yen: its sum changes.
            a = idx["住民税_年税額"]
            if r[a] and int(r[a]) % 100:
                r[a] = str(int(r[a]) // 100 * 100)
                n[7] += 1
            # 9. by design: 転入前住所_郵便番号 not migrated (covered by expected-differences.toml).
            p = idx["転入前住所_郵便番号"]
            if r[p]:
                r[p] = ""
                n[8] += 1
            # 10. a character degraded to its MJ 縮退 form (邊 → 辺) in 氏名 only.
            m = idx["氏名"]
            if "邊" in r[m]:
                r[m] = r[m].replace("邊", "辺")
                n[9] += 1
        return rows
