"""The bundled list of 全国地方公共団体コード (6 digits with check digit) and where it comes from.

``data/lgcodes.tsv`` is written by ``tools/build_lgcodes.py`` from code4fukui/localgovjp (CC0),
snapshot 2026-07-09: 47 prefectures and 1,916 municipalities and designated-city wards. It is a
snapshot, not the official MIC list: codes created after it (e.g. 浜松市 中央区・浜名区, 2024) are
missing and abolished ones are not marked, so membership findings say which snapshot they used.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class CodeListInfo:
    """The bundled list: codes → names, plus its snapshot date, source and known staleness."""

    codes: dict[str, str]
    snapshot: str
    source: str
    note: str

    def __contains__(self, code: object) -> bool:
        return code in self.codes


@cache
def local_government_codes() -> CodeListInfo:
    """The bundled 全国地方公共団体コード list (loaded once)."""
    text = (resources.files("kikan_std") / "data" / "lgcodes.tsv").read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    codes: dict[str, str] = {}
    for line in text.splitlines():
        if not line:
            continue
        key, _, value = line.partition("\t")
        if key.startswith("# "):
            meta[key[2:]] = value
        else:
            codes[key] = value
    return CodeListInfo(codes=codes, snapshot=meta["snapshot"], source=meta["source"], note=meta["note"])
