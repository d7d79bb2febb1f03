"""Legacy mappings (旧システムの抽出 → 標準仕様の項目): a TOML file read with the standard library.

A mapping says, for a legacy extract, which column is which standard item, how its codes and values
become standard ones, and how legacy keys map to standard keys::

    [mapping]
    spec = "jumin_kiroku"            # the standard spec of the target
    group = "住民"                 # optional: the spec's group (default: its first)
    encoding = "cp932"               # the legacy extract's encoding (default utf-8)
    provenance = "…"                 # where the mapping comes from (who confirmed it)

    [columns]                        # legacy column = standard item
    ATENA_NO = "宛名番号"

    [codes.住民状態]                  # per standard item: legacy code = standard code
    provenance = "ベンダー資料（旧システム）"
    map = { "1" = "1", "3" = "2", "4" = "3", "9" = "9" }
    exclude = ["2"]                  # legacy rows with these codes are not in the target (住登外)

    [transforms.生年月日]             # applied in this order: trim, width, zero_pad, date
    date = "wareki7"                 # wareki7 (年号コード+YYMMDD) | wareki (昭和45年1月2日, S45.1.2)
                                     # | yyyymmdd | a strptime format such as "%Y/%m/%d"
    [transforms.宛名番号]
    zero_pad = 15
    [transforms.住所_方書]
    trim = true
    width = "full"                   # "full" (半角→全角) | "half" (全角英数→半角)

    [keys]                           # optional: legacy → standard key values (e.g. 宛名番号の振替)
    item = "宛名番号"
    file = "atena_map.csv"           # two columns: legacy, standard (relative to this file)

    [extra_items.通称]                # columns beyond the spec that both sides hold
    personal = true                  # masked like the spec's personal items (the default)
    [extra_items.住民税_年税額]
    personal = false
    amount = true

A legacy value with no entry in its item's code map is passed through unchanged (and shows up as a
difference if the target holds something else), never guessed.
"""

from __future__ import annotations

import csv
import datetime as _dt
import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kikan_std.errors import InputError
from kikan_std.jp.wareki import era_by_code, parse_wareki
from kikan_std.model.spec import DataType, Group, Spec

__all__ = [
    "CodeMap",
    "ExtraItem",
    "KeyMap",
    "Mapping",
    "MappingHead",
    "Transform",
    "draft_mapping",
    "load_mapping",
]


class MappingHead(BaseModel):
    """The ``[mapping]`` table."""

    model_config = ConfigDict(extra="forbid")
    spec: str
    group: str | None = None
    encoding: str = "utf-8"
    provenance: str = ""


class CodeMap(BaseModel):
    """``[codes.ITEM]``: legacy code → standard code for one item."""

    model_config = ConfigDict(extra="forbid")
    map: dict[str, str] = Field(default_factory=dict)
    exclude: list[str] = Field(default_factory=list, description="legacy codes whose rows are not in the target")
    provenance: str = ""
    meanings: dict[str, str] = Field(default_factory=dict, description="legacy code → its legacy meaning")


class Transform(BaseModel):
    """``[transforms.ITEM]``: value transforms, applied in the order trim, width, zero_pad, date."""

    model_config = ConfigDict(extra="forbid")
    trim: bool = False
    width: Literal["full", "half"] | None = None
    zero_pad: int | None = Field(default=None, ge=1, le=100)
    date: str | None = None


class KeyMap(BaseModel):
    """``[keys]``: legacy key value → standard key value of one key item."""

    model_config = ConfigDict(extra="forbid")
    item: str
    file: str | None = None
    map: dict[str, str] = Field(default_factory=dict)


class ExtraItem(BaseModel):
    """``[extra_items.NAME]``: a column beyond the spec (vendor columns; compared like items)."""

    model_config = ConfigDict(extra="forbid")
    personal: bool = True
    amount: bool = False


class Mapping(BaseModel):
    """A legacy mapping (see the module docstring for the file format)."""

    model_config = ConfigDict(extra="forbid")
    mapping: MappingHead
    columns: dict[str, str] = Field(default_factory=dict)
    codes: dict[str, CodeMap] = Field(default_factory=dict)
    transforms: dict[str, Transform] = Field(default_factory=dict)
    keys: KeyMap | None = None
    extra_items: dict[str, ExtraItem] = Field(default_factory=dict)
    base_dir: str = Field(default=".", exclude=True)

    @model_validator(mode="after")
    def _dates_known(self) -> Mapping:
        for item, t in self.transforms.items():
            if t.date is not None:
                _date_parser(t.date, item)  # raises ValueError on a bad format
        return self

    def key_map(self) -> dict[str, str]:
        """The key mapping table (inline entries and the CSV file), legacy → standard."""
        if self.keys is None:
            return {}
        out = dict(self.keys.map)
        if self.keys.file:
            path = Path(self.base_dir) / self.keys.file
            try:
                with path.open(encoding="utf-8-sig", newline="") as f:
                    for row in csv.reader(f):
                        if len(row) >= 2 and row[0] and not row[0].startswith("#"):
                            out[row[0]] = row[1]
            except OSError as e:
                raise InputError(f"キー対応表を読めません / cannot read the key map {path}: {e.strerror}") from None
        return out

    def plan(self, header: list[str], items: list[str]
             ) -> list[tuple[int, Transform | None, dict[str, str] | None, frozenset[str]]]:
        """Per target item: its legacy column's position (-1: none), transform, code map and excluded codes.

        Shared by :meth:`row_function` and the SQL mapping, so both read the same columns.

        Raises:
            InputError: a mapped legacy column is missing from the header.
        """
        where = {name: i for i, name in enumerate(header)}
        by_item = {std: legacy for legacy, std in self.columns.items()}
        missing = [legacy for legacy in self.columns if legacy not in where]
        if missing:
            raise InputError(
                "対応表の列が旧データにありません / mapped columns missing from the legacy header: "
                + ", ".join(missing[:10])
            )
        out: list[tuple[int, Transform | None, dict[str, str] | None, frozenset[str]]] = []
        for item in items:
            legacy = by_item.get(item, item if item in where else None)
            if legacy is None:
                out.append((-1, None, None, frozenset()))
                continue
            code = self.codes.get(item)
            out.append((where[legacy], self.transforms.get(item), code.map if code else None,
                        frozenset(code.exclude) if code else frozenset()))
        return out

    def row_function(self, header: list[str], items: list[str]) -> Callable[[list[str]], list[str] | None]:
        """A function turning one legacy row into values of ``items`` (None: the row is excluded).

        The reference semantics of a mapping (the SQL mapping gives the same values).

        Args:
            header: the legacy extract's header.
            items: the target columns, in order (standard item names and extra items).

        Raises:
            InputError: a mapped legacy column is missing from the header.
        """
        steps = [(pos, _transform_function(t, item), codes, exclude)
                 for item, (pos, t, codes, exclude) in zip(items, self.plan(header, items), strict=True)]
        kmap = self.key_map()
        key_pos = items.index(self.keys.item) if self.keys is not None and self.keys.item in items else -1

        def run(row: list[str]) -> list[str] | None:
            out: list[str] = []
            for pos, fn, codes, exclude in steps:
                if pos < 0 or pos >= len(row):
                    out.append("")
                    continue
                v = row[pos]
                if exclude and v in exclude:
                    return None
                if fn is not None and v:
                    v = fn(v)
                if codes is not None and v in codes:
                    v = codes[v]
                out.append(v)
            if key_pos >= 0 and out[key_pos] in kmap:
                out[key_pos] = kmap[out[key_pos]]
            return out

        return run


# ---------------------------------------------------------------------------------------------
# Transforms

_HALF_KANA = re.compile("[\uff61-\uff9f]+")


def _to_full(v: str) -> str:
    v = _HALF_KANA.sub(lambda m: unicodedata.normalize("NFKC", m.group()), v)
    return "".join(chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else ("\u3000" if c == " " else c) for c in v)


def _to_half(v: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if 0xFF01 <= ord(c) <= 0xFF5E else (" " if c == "\u3000" else c) for c in v)


def _wareki7(v: str) -> str:
    """``年号コード`` + ``YYMMDD`` (e.g. ``3450102`` = 昭和45年1月2日); month/day ``00`` = 不詳."""
    if len(v) != 7 or not v.isdigit():
        return v
    try:
        era = era_by_code(v[0])
    except (KeyError, ValueError):
        return v
    try:
        year = era.start.year + int(v[1:3]) - 1
        month, day = int(v[3:5]), int(v[5:7])
    except ValueError:  # digits int() does not read (superscripts …)
        return v
    if month == 0 or day == 0:
        return f"{year:04d}-{month:02d}-{day:02d}" if month else f"{year:04d}-00-00"
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return v


def _wareki_text(v: str) -> str:
    try:
        return parse_wareki(v).isoformat()
    except ValueError:
        return v


def _yyyymmdd(v: str) -> str:
    if len(v) == 8 and v.isdigit():
        return f"{v[:4]}-{v[4:6]}-{v[6:]}"
    return v


def _date_parser(fmt: str, item: str) -> Callable[[str], str]:
    if fmt == "wareki7":
        return _wareki7
    if fmt == "wareki":
        return _wareki_text
    if fmt == "yyyymmdd":
        return _yyyymmdd
    if "%" not in fmt:
        raise ValueError(f"[transforms.{item}] date: unknown format {fmt!r} (wareki7, wareki, yyyymmdd or a %-format)")

    def parse(v: str) -> str:
        try:
            return _dt.datetime.strptime(v, fmt).date().isoformat()
        except ValueError:
            return v

    return parse


def _transform_function(t: Transform | None, item: str) -> Callable[[str], str] | None:
    if t is None:
        return None
    fns: list[Callable[[str], str]] = []
    if t.trim:
        fns.append(lambda v: v.strip(" \u3000\t"))
    if t.width == "full":
        fns.append(_to_full)
    elif t.width == "half":
        fns.append(_to_half)
    if t.zero_pad:
        n = t.zero_pad
        fns.append(lambda v: v.zfill(n) if v.isdigit() else v)
    if t.date:
        fns.append(_date_parser(t.date, item))
    if not fns:
        return None

    def run(v: str) -> str:
        for fn in fns:
            v = fn(v)
        return v

    return run


def load_mapping(path: str | Path) -> Mapping:
    """Read a mapping TOML file.

    Raises:
        InputError: the file cannot be read or is not a valid mapping (message says where).
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"対応表がありません / mapping file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"対応表を読めません / cannot read the mapping {p}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"対応表の TOML が正しくありません / bad TOML in {p}: {e}") from None
    try:
        return Mapping.model_validate({**data, "base_dir": str(p.parent)})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"対応表の内容が正しくありません / invalid mapping {p}: {where}: {first['msg']}") from None


def check_mapping(mapping: Mapping, spec: Spec, group: Group) -> None:
    """Refuse a mapping naming items the spec's group does not have (typos would silently drop columns)."""
    names = {it.name for it in group.items} | set(mapping.extra_items)
    bad = sorted({v for v in mapping.columns.values() if v not in names}
                 | {k for k in (*mapping.codes, *mapping.transforms) if k not in names})
    if bad:
        raise InputError(
            f"仕様 {spec.id} の {group.name} にない項目です / items not in the spec's group: " + ", ".join(bad[:10])
        )


# ---------------------------------------------------------------------------------------------
# mapping draft

_DATE_SHAPES = (
    (re.compile(r"[1-5]\d{6}"), "wareki7"),
    (re.compile(r"(明治|大正|昭和|平成|令和|[MTSHR])\s*(\d{1,2}|元)[.年/].*"), "wareki"),
    (re.compile(r"(19|20)\d{6}"), "yyyymmdd"),
    (re.compile(r"\d{4}/\d{1,2}/\d{1,2}"), "%Y/%m/%d"),
)


def _norm_name(s: str) -> str:
    return re.sub(r"[\s_\-・（）()]", "", unicodedata.normalize("NFKC", s)).lower()


def draft_mapping(header: list[str], samples: Iterable[list[str]], spec: Spec, group: Group, encoding: str) -> str:
    """Propose a mapping TOML from a legacy header and sample rows, for a person to confirm.

    Columns are matched by name (official name, aliases, romaji; width and punctuation ignored);
    the value shapes of the samples suggest date formats, zero padding and trimming. Unmatched
    columns are listed as comments. Nothing is guessed silently: every proposal is marked 要確認.
    """
    rows = [r for _, r in zip(range(2000), samples, strict=False)]
    by_name: dict[str, str] = {}
    for it in group.items:
        for n in (it.name, it.romaji, *it.aliases):
            if n:
                by_name.setdefault(_norm_name(n), it.name)
    items = {it.name: it for it in group.items}
    lines = [
        "# kikan-std mapping draft — 自動提案です。すべての行を確認してから使ってください。",
        "# A draft: confirm every line before use.",
        "",
        "[mapping]",
        f'spec = "{spec.id}"',
        f'group = "{group.name}"',
        f'encoding = "{encoding}"',
        'provenance = "mapping draft（要確認 / to be confirmed）"',
        "",
        "[columns]",
    ]
    matched: dict[int, str] = {}
    unmatched: list[str] = []
    for i, col in enumerate(header):
        std = by_name.get(_norm_name(col))
        if std is None:
            unmatched.append(col)
        else:
            matched[i] = std
            lines.append(f"{_toml_key(col)} = {_toml_str(std)}")
    for col in unmatched:
        lines.append(f"# {_toml_key(col)} = \"?\"   # 対応する項目が見つかりません / no matching item")
    tlines: list[str] = []
    for i, std in matched.items():
        values = [r[i] for r in rows if i < len(r) and r[i]]
        if not values:
            continue
        it = items[std]
        parts: list[str] = []
        if any(v != v.strip(" \u3000") for v in values):
            parts.append("trim = true")
        if it.type == DataType.DATE:
            for pattern, fmt in _DATE_SHAPES:
                if all(pattern.fullmatch(v) for v in values[:200]):
                    parts.append(f'date = "{fmt}"')
                    break
        elif it.length.isdigit() and all(v.isdigit() for v in values[:200]):
            width = int(it.length)
            if it.type == DataType.X and any(len(v) < width for v in values) and len({len(v) for v in values}) > 1:
                parts.append(f"zero_pad = {width}")
        if it.type == DataType.N and any(_HALF_KANA.search(v) for v in values[:200]):
            parts.append('width = "full"')
        if parts:
            tlines += ["", f"[transforms.{_toml_key(std)}]  # 要確認", *parts]
    lines += tlines
    for i, std in matched.items():
        it = items[std]
        if it.code_list is None:
            continue
        cl = next((c for c in spec.code_lists if c.id == it.code_list), None)
        if cl is None:
            continue
        legal = {v.value for v in cl.values}
        seen = sorted({r[i] for r in rows if i < len(r) and r[i]})
        odd = [v for v in seen if v not in legal]
        if odd:
            lines += ["", f"[codes.{_toml_key(std)}]  # 標準にないコードがあります / codes outside the standard list",
                      'provenance = "要確認"', "map = { " + ", ".join(f"{_toml_str(v)} = \"?\"" for v in odd[:30]) + " }"]
    return "\n".join(lines) + "\n"


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _toml_key(s: str) -> str:
    return s if re.fullmatch(r"[A-Za-z0-9_-]+", s) else _toml_str(s)
