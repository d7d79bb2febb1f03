"""Bank and branch names → 全銀 codes, from the ``zengin-code`` table (never guessed).

The table is the data of the ``zengin-code`` package (MIT licence, refreshed monthly; the
``reconcile`` extra installs it). Only its JSON files are read, lazily: the bank list once, and a
bank's branches when a name of that bank is first resolved.

Names are compared by keys that fold the usual differences of hand-typed names: width (NFKC, so
ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ and 三菱ＵＦＪ fold like the table's), hiragana → katakana, small kana → full-size
(as the table writes kana), long-vowel look-alikes, spaces, and the legal-form suffixes (銀行,
信用金庫 → 信金, 信用組合 → 信組, 労働金庫 → 労金, 支店, 出張所 …). A name resolves when its keys
point at exactly one code; several codes are *ambiguous* and none is *unknown* — both are reported
with the candidates, and the application is left out of the transfer file.
"""

from __future__ import annotations

import importlib.util
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kikan_std.reconcile.normalize import (
    address_ke_no,
    hiragana_to_katakana,
    kana_long_vowel,
    kana_small,
    kanji_variant,
)

__all__ = ["ALIASES", "Resolution", "resolve_bank", "resolve_branch", "table_info"]

ALIASES: dict[str, str] = {
    "UFJ": "0005",
    "MUFG": "0005",
    "三菱東京UFJ": "0005",
    "東京三菱": "0005",
    "SMBC": "0009",
    "住友": "0009",
    "郵便局": "9900",
    "ゆうちょ銀行": "9900",
    "JPバンク": "9900",
}
"""Common abbreviations and former names → bank code (keys are folded like the input)."""

_BANK_SUFFIXES = (
    ("信用金庫", "信金"),
    ("しんきん", "信金"),
    ("信用組合", "信組"),
    ("労働金庫", "労金"),
    ("ろうきん", "労金"),
    ("銀行", ""),
    ("ギンコウ", ""),
    ("シンヨウキンコ", "シンキン"),
    ("(株)", ""),
    ("株式会社", ""),
)
_BRANCH_SUFFIXES = ("支店", "シテン", "出張所", "シユツチヨウジヨ", "営業部", "エイギヨウブ", "支所", "店")


def _fold(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"[\s\u3000・･]+", "", s)
    s = kana_small(kana_long_vowel(hiragana_to_katakana(address_ke_no(kanji_variant(s)))))
    return s.upper()


def _bank_keys(text: str) -> set[str]:
    k = _fold(text)
    keys = {k}
    for suffix, repl in _BANK_SUFFIXES:
        f = _fold(suffix)
        if k.endswith(f) and len(k) > len(f):
            keys.add(k[: -len(f)] + _fold(repl))
    if k.startswith("JA") and len(k) > 2:
        keys.add(k[2:])
    return {x for x in keys if x}


def _branch_keys(text: str) -> set[str]:
    k = _fold(text)
    keys = {k}
    for suffix in _BRANCH_SUFFIXES:
        f = _fold(suffix)
        if k.endswith(f) and len(k) > len(f):
            keys.add(k[: -len(f)])
    return {x for x in keys if x}


def _data_dir() -> Path | None:
    spec = importlib.util.find_spec("zengin_code")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(next(iter(spec.submodule_search_locations))) / "source-data" / "data"
    return d if (d / "banks.json").is_file() else None


@cache
def table_info() -> dict[str, str] | None:
    """The table's package, version and data date (for the audit trail); None if not installed."""
    d = _data_dir()
    if d is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        ver = version("zengin-code")
    except PackageNotFoundError:  # pragma: no cover - data present without metadata
        ver = "unknown"
    updated = (d / "updated_at").read_text(encoding="utf-8").strip() if (d / "updated_at").is_file() else ""
    date = f"{updated[:4]}-{updated[4:6]}-{updated[6:8]}" if len(updated) >= 8 else updated
    return {"package": "zengin-code", "version": ver, "data_date": date}


@cache
def _banks() -> tuple[dict[str, str], dict[str, set[str]]]:
    """(code → name, key → codes) of every bank."""
    d = _data_dir()
    if d is None:
        return {}, {}
    raw: dict[str, dict[str, str]] = json.loads((d / "banks.json").read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    index: dict[str, set[str]] = {}
    for code, b in raw.items():
        names[code] = b["name"]
        for field in ("name", "kana", "hira"):
            for k in _bank_keys(b.get(field, "")):
                index.setdefault(k, set()).add(code)
    for alias, code in ALIASES.items():
        if code in names:
            index.setdefault(_fold(alias), set()).add(code)
    return names, index


@cache
def _branches(bank_code: str) -> tuple[dict[str, str], dict[str, set[str]]]:
    d = _data_dir()
    path = d / "branches" / f"{bank_code}.json" if d is not None else None
    if path is None or not path.is_file():
        return {}, {}
    raw: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    index: dict[str, set[str]] = {}
    for code, b in raw.items():
        names[code] = b["name"]
        for field in ("name", "kana", "hira"):
            for k in _branch_keys(b.get(field, "")):
                index.setdefault(k, set()).add(code)
    return names, index


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving one name.

    Attributes:
        code: The code when exactly one matched, else "".
        status: ``resolved``, ``ambiguous``, ``unknown`` or ``no_table`` (zengin-code not installed).
        candidates: ``code:name`` of the candidates (ambiguous: the matches; unknown: names starting
            with the input, as a hint for the officer — never used).
    """

    code: str
    status: str
    candidates: tuple[str, ...] = ()


def _resolve(keys: set[str], names: dict[str, str], index: dict[str, set[str]]) -> Resolution:
    codes: set[str] = set()
    for k in keys:
        codes |= index.get(k, set())
    if len(codes) == 1:
        return Resolution(next(iter(codes)), "resolved")
    if codes:
        return Resolution("", "ambiguous", tuple(f"{c}:{names[c]}" for c in sorted(codes)))
    hint = sorted({c for k in keys for key, cs in index.items() if len(k) >= 2 and key.startswith(k) for c in cs})
    return Resolution("", "unknown", tuple(f"{c}:{names[c]}" for c in hint[:5]))


@cache
def resolve_bank(name: str) -> Resolution:
    """Resolve a bank name (三菱UFJ銀行, ﾐﾂﾋﾞｼﾕｰｴﾌｼﾞｪｲ, みずほ …) to its 4-digit code."""
    names, index = _banks()
    if not index:
        return Resolution("", "no_table")
    return _resolve(_bank_keys(name), names, index)


@cache
def resolve_branch(bank_code: str, name: str) -> Resolution:
    """Resolve a branch name of the bank ``bank_code`` (本店, 丸の内支店, ﾏﾙﾉｳﾁ …) to its 3-digit code."""
    names, index = _branches(bank_code)
    if not index:
        return Resolution("", "no_table" if _data_dir() is None else "unknown")
    return _resolve(_branch_keys(name), names, index)


def bank_name(code: str) -> str:
    """The table's name of bank ``code`` ("" if unknown)."""
    return _banks()[0].get(code, "")


def branch_name(bank_code: str, code: str) -> str:
    """The table's name of branch ``code`` of bank ``bank_code`` ("" if unknown)."""
    return _branches(bank_code)[0].get(code, "")
