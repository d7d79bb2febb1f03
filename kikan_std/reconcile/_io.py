"""Reading the two CSV inputs: encoding detection, column mapping, 世帯員 columns."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kikan_std.errors import ReconcileInputError, UsageError

__all__ = [
    "APPLICATION_FIELDS",
    "BENEFICIARY_FIELDS",
    "ColumnMap",
    "ReconcileInputError",
    "Source",
    "iter_rows",
    "load_mapping",
    "split_members",
]

Source = str | os.PathLike[str] | Iterable[Mapping[str, str]]
"""A CSV file path, or rows as header-keyed mappings (record numbers are 1-based positions)."""


def load_mapping(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The column mapping of ``reconcile --mapping``: a JSON object read from ``path`` (UTF-8).

    Raises:
        UsageError: the file is missing, unreadable, not JSON, or not a JSON object.
    """
    name = os.fspath(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(ja=f"列名の対応表がありません: {name}", en=f"column mapping not found: {name}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(ja=f"列名の対応表を読めません: {name} ({e})",
                         en=f"cannot read the column mapping: {name} ({e})") from None
    if not isinstance(data, dict):
        raise UsageError(ja="列名の対応表はJSONオブジェクトで書いてください", en="the column mapping must be a JSON object")
    return data


APPLICATION_FIELDS: dict[str, tuple[str, ...]] = {
    "世帯主氏名": ("世帯主氏名", "世帯主名", "申請者氏名", "氏名"),
    "住所": ("住所", "現住所", "申請者住所"),
    "生年月日": ("生年月日", "世帯主生年月日", "申請者生年月日"),
    "世帯員": ("世帯員", "世帯員氏名", "給付対象者"),
    "銀行名": ("銀行名", "金融機関名"),
    "支店名": ("支店名", "支店名称"),
    "口座区分": ("口座区分", "預金種目", "口座種別"),
    "口座番号": ("口座番号",),
    "口座名義（カナ）": ("口座名義（カナ）", "口座名義カナ", "口座名義", "口座名義人カナ"),
    "銀行コード": ("銀行コード", "金融機関コード", "銀行番号"),
    "支店コード": ("支店コード", "支店番号", "店番"),
    "世帯主氏名（カナ）": ("世帯主氏名（カナ）", "世帯主カナ", "世帯主フリガナ", "フリガナ", "氏名カナ"),
}
"""Logical application columns and the header spellings recognised for each."""

BENEFICIARY_FIELDS: dict[str, tuple[str, ...]] = {
    "No": ("No", "NO", "番号", "整理番号", "No."),
    "世帯主氏名": APPLICATION_FIELDS["世帯主氏名"],
    "住所": APPLICATION_FIELDS["住所"],
    "生年月日": APPLICATION_FIELDS["生年月日"],
    "世帯員": APPLICATION_FIELDS["世帯員"],
    "世帯主氏名（カナ）": APPLICATION_FIELDS["世帯主氏名（カナ）"],
}
"""Logical beneficiary-list columns and the header spellings recognised for each."""

REQUIRED = ("世帯主氏名", "住所", "生年月日")


def _key(header: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).lower()


_MEMBER_COL_RE = re.compile(r"^(?:世帯員|給付対象者)(?:氏名)?\(?(\d+)\)?(?:氏名)?$")


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each logical column is in a file's header."""

    index: dict[str, int]
    member_columns: tuple[int, ...]
    member_split: bool

    @classmethod
    def build(
        cls, header: list[str], fields: dict[str, tuple[str, ...]], mapping: Mapping[str, str], what: str
    ) -> ColumnMap:
        """Resolve ``header`` against ``fields`` (aliases) and ``mapping`` (logical → header).

        Raises:
            ReconcileInputError: a required column is missing, or a mapped header is absent.
        """
        keys = {_key(h): i for i, h in enumerate(header)}
        index: dict[str, int] = {}
        for logical, aliases in fields.items():
            if logical in mapping:
                k = _key(mapping[logical])
                if k not in keys:
                    raise ReconcileInputError(
                        f"{what}: 対応表で指定した列「{mapping[logical]}」がありません"
                        " (mapped column missing)"
                    )
                index[logical] = keys[k]
                continue
            for a in aliases:
                if _key(a) in keys:
                    index[logical] = keys[_key(a)]
                    break
        member_cols: list[tuple[int, int]] = []
        for i, h in enumerate(header):
            m = _MEMBER_COL_RE.match(_key(h).replace("(", "(").replace(")", ")"))
            if m and m.group(1):
                member_cols.append((int(m.group(1)), i))
        missing = [f for f in REQUIRED if f not in index]
        if missing:
            raise ReconcileInputError(
                f"{what}: 必須の列がありません: {', '.join(missing)} (required columns missing; "
                f"use --mapping)"
            )
        if member_cols:
            return cls(index, tuple(i for _, i in sorted(member_cols)), False)
        return cls(index, (index["世帯員"],) if "世帯員" in index else (), True)

    def get(self, row: list[str], logical: str) -> str:
        """The raw value of ``logical`` in ``row`` ("" when the column is absent or short)."""
        i = self.index.get(logical)
        return row[i].strip() if i is not None and i < len(row) else ""

    def members(self, row: list[str]) -> list[str]:
        """The 世帯員 names of ``row``."""
        out: list[str] = []
        for i in self.member_columns:
            if i < len(row):
                v = row[i]
                out.extend(split_members(v) if self.member_split else ([v.strip()] if v.strip() else []))
        return out


_SEP_RE = re.compile(r"[、,，;；/／\n]")


def split_members(cell: str) -> list[str]:
    """Split a one-column 世帯員 list.

    On 、 , ; / or new lines when present. Otherwise on spaces: when every part has at least three
    characters each part is a name (渡辺花子 渡辺次郎); when some part is shorter and the count is
    even, parts are paired as surname + given name (渡辺 花子 渡辺 次郎); else the cell is one name.
    """
    cell = cell.strip()
    if not cell:
        return []
    if _SEP_RE.search(cell):
        return [p.strip() for p in _SEP_RE.split(cell) if p.strip()]
    parts = re.split(r"[\s\u3000]+", cell)
    if len(parts) == 1 or all(len(p) >= 3 for p in parts):
        return parts
    if len(parts) % 2 == 0:
        return [f"{parts[i]} {parts[i + 1]}" for i in range(0, len(parts), 2)]
    return [cell]


def _detect_encoding(path: Path, encoding: str) -> str:
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ReconcileInputError(f"未知の文字コードです: {encoding} (unknown encoding)") from None
        return encoding
    with path.open("rb") as f:
        head = f.read(1 << 16)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        dec = codecs.getincrementaldecoder("utf-8")()
        try:
            dec.decode(head, final=False)
            while chunk := f.read(1 << 20):
                dec.decode(chunk, final=False)
            dec.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            return "cp932"


def _open_text(path: Path, encoding: str) -> IO[str]:
    enc = _detect_encoding(path, encoding)
    return open(path, encoding=enc, newline="", errors="strict")


def iter_rows(
    source: Source, fields: dict[str, tuple[str, ...]], mapping: Mapping[str, str], encoding: str, what: str
) -> Iterator[tuple[int, list[str], ColumnMap]]:
    """Yield (1-based record number, row, column map) for each data record of ``source``.

    Raises:
        ReconcileInputError: file missing/unreadable, bad encoding, empty, required columns missing.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.is_file():
            raise ReconcileInputError(f"{what}: ファイルがありません: {path} (file not found)")
        try:
            with _open_text(path, encoding) as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if header is None:
                    raise ReconcileInputError(f"{what}: 空のファイルです: {path} (empty file)")
                if header and header[0].startswith("\ufeff"):
                    header[0] = header[0][1:]
                cmap = ColumnMap.build(header, fields, mapping, what)
                for no, row in enumerate(reader, start=1):
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    yield no, row, cmap
        except UnicodeDecodeError as e:
            raise ReconcileInputError(
                f"{what}: 文字コード {encoding} で読めません: {path} (cannot decode: {e.reason})"
            ) from None
        except csv.Error as e:
            raise ReconcileInputError(f"{what}: CSVとして読めません: {path} ({e})") from None
        return
    rows = iter(source)
    first = next(rows, None)
    if first is None:
        return
    header = list(first.keys())
    cmap = ColumnMap.build(header, fields, mapping, what)
    yield 1, [str(first.get(h, "") or "") for h in header], cmap
    for no, r in enumerate(rows, start=2):
        yield no, [str(r.get(h, "") or "") for h in header], cmap


def read_text_rows(text: str) -> list[dict[str, str]]:
    """Parse CSV text into header-keyed rows (a convenience for tests and small inputs)."""
    return list(csv.DictReader(io.StringIO(text)))
