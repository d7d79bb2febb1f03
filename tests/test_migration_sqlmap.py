"""Differential tests: the legacy mapping applied in DuckDB SQL gives, row for row, what the Python reference
(:meth:`Mapping.row_function`) gives — on a generated legacy extract with every transform the mapping file
supports, and on random values built to hit the edges (half-width kana with (半)濁点, full-width and other
Unicode digits, unknown 年号コード, impossible dates, blanks and spaces)."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kikan_std.migration import load_mapping
from kikan_std.migration._db import columns_for, connect, load, pick_group
from kikan_std.migration.mapping import Mapping
from kikan_std.specs import load_spec
from kikan_std.testing.generators.migration import mapping_toml
from tests.migration_pairs import pair

SPEC = load_spec("jumin_kiroku")
GROUP = pick_group(SPEC, None)

# Extra columns beyond the generator's legacy extract, one per transform the generator does not use.
EXTRA = {
    "X_HALF": ("半角化", 'width = "half"'),
    "X_WAREKI": ("和暦文字", 'date = "wareki"'),
    "X_YMD": ("年月日8桁", 'date = "yyyymmdd"'),
    "X_SLASH": ("年月日スラッシュ", 'date = "%Y/%m/%d"'),
    "X_ALL": ("全部", 'trim = true\nwidth = "full"\nzero_pad = 6'),
    "X_W7": ("和暦7桁", 'trim = true\ndate = "wareki7"'),
    "X_CODE": ("区分", "trim = true\nzero_pad = 2"),
}
KEY_MAP = {"000000000002631": "K00000000002631", "": "空の宛名番号"}  # 2631: the first generated record


def _mapping(tmp: Path) -> Mapping:
    text = mapping_toml()
    text += "".join(f'\n[extra_items."{name}"]\npersonal = false\n' for name, _ in EXTRA.values())
    text = text.replace("[columns]\n", "[columns]\n" + "".join(f'{k} = "{n}"\n' for k, (n, _) in EXTRA.items()))
    text += "".join(f'\n[transforms."{n}"]\n{t}\n' for n, t in EXTRA.values())
    text += ('\n[codes."区分"]\nmap = { "01" = "A", "" = "空", "７" = "seven" }\nexclude = ["XX"]\n'
             '\n[keys]\nitem = "宛名番号"\nfile = "keys.csv"\n')
    (tmp / "keys.csv").write_text("".join(f"{k},{v}\n" for k, v in KEY_MAP.items() if k), encoding="utf-8")
    (tmp / "m.toml").write_text(text, encoding="utf-8")
    m = load_mapping(tmp / "m.toml")
    assert m.keys is not None
    m.keys.map[""] = KEY_MAP[""]  # an inline entry for a blank key: the join must match blanks too
    return m


_ODD = ["", " ", "\u3000", " 12 ", "１２", "²", "٣", "01", "7", "７", "XX", "ｶﾞｯｺｳ", "ﾊﾟﾋﾟﾌﾟ", "ｳﾞ", "ﾞ", "ｱﾞ",
        "ABC１２３　ｘ", "3450102", "3450000", "3451300", "3450230", "9450102", "0450102", "３４５０１０２",
        "3²50102", "昭和45年1月2日", "S45.1.2", "令和元年5月1日", "19700102", "1970010", "2024/4/1", "2024/13/1",
        "a,b", 'q"uote', "  ﾊﾝｶｸ ｶﾅ  "]


def _cp932(v: str) -> bool:
    try:
        v.encode("cp932")
    except UnicodeEncodeError:
        return False
    return True


def _values(rng: random.Random) -> dict[str, str]:
    return {k: rng.choice([v for v in _ODD if _cp932(v)]) for k in EXTRA}


def _write_legacy(src: Path, out: Path, rows: int | None, rng: random.Random,
                  values: list[dict[str, str]] | None = None, encoding: str = "cp932") -> None:
    with src.open(encoding="cp932", newline="") as f, out.open("w", encoding=encoding, newline="") as o:
        r, w = csv.reader(f), csv.writer(o, lineterminator="\r\n")
        header = next(r)
        w.writerow([*header, *EXTRA])
        for n, row in enumerate(r):
            if rows is not None and n >= rows:
                break
            v = values[n % len(values)] if values else _values(rng)
            w.writerow([*row, *(v[k] for k in EXTRA)])


def _python_rows(path: Path, m: Mapping, encoding: str = "cp932") -> list[tuple[str, ...]]:
    with path.open(encoding=encoding, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        cols, _ = columns_for(header, GROUP, m)
        fn = m.row_function(header, [c.name for c in cols])
        return sorted(tuple(x) for row in r if (x := fn(row)) is not None)


def _sql_rows(path: Path, m: Mapping, encoding: str = "cp932") -> tuple[list[tuple[str, ...]], int]:
    with connect() as (con, tmp):
        loaded = load(con, tmp, "t", path, group=GROUP, encoding=encoding, mapping=m)
        rows = con.execute("SELECT * FROM t").fetchall()
    return sorted(tuple("" if v is None else v for v in row) for row in rows), loaded.excluded


def test_sql_mapping_equals_python_mapping_on_a_generated_legacy_extract(tmp_path: Path) -> None:
    m = _mapping(tmp_path)
    legacy = tmp_path / "legacy.csv"
    _write_legacy(pair(False) / "legacy.csv", legacy, None, random.Random(1))
    expected = _python_rows(legacy, m)
    got, excluded = _sql_rows(legacy, m)
    assert len(got) == len(expected) > 2000
    assert excluded > 0  # 住登外 rows and the XX codes
    assert got == expected
    # every transform changed something, so the comparison above is not vacuous
    with legacy.open(encoding="cp932", newline="") as f:
        header = next(csv.reader(f))
    cols, _ = columns_for(header, GROUP, m)
    names = [c.name for c in cols]
    for item in ["宛名番号", "生年月日", "氏名_フリガナ", "住所_方書", "住民状態", *(n for n, _ in EXTRA.values())]:
        i = names.index(item)
        assert any(r[i] for r in got), item
    assert any(r[names.index("宛名番号")] == KEY_MAP["000000000002631"] for r in got)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.fixed_dictionaries({k: st.one_of(st.sampled_from(_ODD), st.text(
    alphabet=st.sampled_from(list("0123456789０１２３４５²٣ ｱｶｻﾀﾊﾞﾟﾞｰ｡ \u3000AbZ/年月日昭和平成元.-")), max_size=9))
    for k in EXTRA}), min_size=1, max_size=40))
def test_sql_mapping_equals_python_mapping_on_edge_values(tmp_path_factory, values) -> None:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("sqlmap")
    m = _mapping(tmp)
    legacy = tmp / "legacy.csv"
    _write_legacy(pair(False) / "legacy.csv", legacy, len(values), random.Random(0), values, "utf-8")
    assert _sql_rows(legacy, m, "utf-8")[0] == _python_rows(legacy, m, "utf-8")


_WIDTH_CHARS = [chr(c) for c in range(0xFF61, 0xFFA0)] + list("アカガハパウ\u3099\u309a ｘ１A~!\u3000漢ー")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_WIDTH_CHARS), max_size=12))
def test_width_folding_used_from_sql_equals_the_reference(v: str) -> None:
    from kikan_std.migration.mapping import _to_full, _to_half
    from kikan_std.migration.sqlmap import _full_fast, _half_fast

    assert _full_fast(v) == _to_full(v)
    assert _half_fast(v) == _to_half(v)
