"""全銀協 総合振込 fixed-width transfer files: character set, layout, writer and validator.

The layout is the 全銀協規定形式 for 総合振込 (種別コード 21): every record is 120 bytes, encoded as
JIS X 0201 (half-width kana) in the single-byte part of cp932 (Shift_JIS), records optionally
separated by CR LF. Record types (データ区分):

* ``1`` ヘッダー・レコード — one per transfer request;
* ``2`` データ・レコード — one per payee;
* ``8`` トレーラ・レコード — totals of the data records since the header;
* ``9`` エンド・レコード — end of file.

:data:`LAYOUT` holds the layouts as plain data (field name, 1-based start, length, kind) so they can be
rendered as a fixed-width spec for another reader. Kind ``"N"`` is numeric (half-width digits,
right-aligned, zero-padded), ``"C"`` is characters from the 全銀 set (left-aligned, space-padded).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kikan_std.findings import Finding
from kikan_std.jp.chars import ZENGIN_CHARS

__all__ = [
    "LAYOUT",
    "RECORD_LENGTH",
    "ZENGIN_CHARS",
    "FieldSpec",
    "FileStructure",
    "TransferConfig",
    "TransferFileWriter",
    "TransferRecord",
    "iter_transfer_file",
    "to_zengin_kana",
    "transfer_data_record",
    "validate_transfer_file",
    "write_transfer_file",
]

RECORD_LENGTH = 120

_ZENGIN_BYTES: frozenset[int] = frozenset(ch.encode("cp932")[0] for ch in ZENGIN_CHARS)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a fixed-width record.

    Attributes:
        name: Japanese field name.
        start: 1-based byte position in the record.
        length: Length in bytes.
        kind: ``"N"`` numeric or ``"C"`` 全銀 characters.
        fixed: The only allowed value, if any (e.g. データ区分).
        allowed: Allowed values, if restricted (e.g. 預金種目).
        blank_ok: A numeric field that may be all spaces.
    """

    name: str
    start: int
    length: int
    kind: Literal["N", "C"]
    fixed: str | None = None
    allowed: tuple[str, ...] = ()
    blank_ok: bool = False


def _layout(
    fields: list[tuple[str, int, Literal["N", "C"]]], extra: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[FieldSpec, ...]:
    out: list[FieldSpec] = []
    pos = 1
    for name, length, kind in fields:
        kw = (extra or {}).get(name, {})
        out.append(FieldSpec(name, pos, length, kind, **kw))
        pos += length
    if pos - 1 != RECORD_LENGTH:
        raise AssertionError(f"layout length {pos - 1} != {RECORD_LENGTH}")
    return tuple(out)


LAYOUT: dict[str, tuple[FieldSpec, ...]] = {
    "1": _layout(
        [
            ("データ区分", 1, "N"),
            ("種別コード", 2, "N"),
            ("コード区分", 1, "N"),
            ("振込依頼人コード", 10, "N"),
            ("振込依頼人名", 40, "C"),
            ("取組日", 4, "N"),
            ("仕向銀行番号", 4, "N"),
            ("仕向銀行名", 15, "C"),
            ("仕向支店番号", 3, "N"),
            ("仕向支店名", 15, "C"),
            ("預金種目（依頼人）", 1, "N"),
            ("口座番号（依頼人）", 7, "N"),
            ("ダミー", 17, "C"),
        ],
        {
            "データ区分": {"fixed": "1"},
            "種別コード": {"allowed": ("21", "11", "12")},
            "コード区分": {"allowed": ("0", "1")},
            "預金種目（依頼人）": {"allowed": ("1", "2", "4", "9")},
        },
    ),
    "2": _layout(
        [
            ("データ区分", 1, "N"),
            ("被仕向銀行番号", 4, "N"),
            ("被仕向銀行名", 15, "C"),
            ("被仕向支店番号", 3, "N"),
            ("被仕向支店名", 15, "C"),
            ("手形交換所番号", 4, "N"),
            ("預金種目", 1, "N"),
            ("口座番号", 7, "N"),
            ("受取人名", 30, "C"),
            ("振込金額", 10, "N"),
            ("新規コード", 1, "N"),
            ("顧客コード1", 10, "C"),
            ("顧客コード2", 10, "C"),
            ("振込指定区分", 1, "N"),
            ("識別表示", 1, "C"),
            ("ダミー", 7, "C"),
        ],
        {
            "データ区分": {"fixed": "2"},
            "手形交換所番号": {"blank_ok": True},
            "預金種目": {"allowed": ("1", "2", "4", "9")},
            "新規コード": {"allowed": ("0", "1", "2")},
            "振込指定区分": {"blank_ok": True, "allowed": ("7", "8", " ")},
            "識別表示": {"allowed": (" ", "Y")},
        },
    ),
    "8": _layout(
        [("データ区分", 1, "N"), ("合計件数", 6, "N"), ("合計金額", 12, "N"), ("ダミー", 101, "C")],
        {"データ区分": {"fixed": "8"}},
    ),
    "9": _layout([("データ区分", 1, "N"), ("ダミー", 119, "C")], {"データ区分": {"fixed": "9"}}),
}
"""Record layouts by データ区分."""

RECORD_NAMES = {
    "1": "ヘッダー・レコード",
    "2": "データ・レコード",
    "8": "トレーラ・レコード",
    "9": "エンド・レコード",
}

# --- 全銀 kana conversion ------------------------------------------------------------------------


def _full_to_half() -> dict[str, str]:
    table: dict[str, str] = {}
    halves = [chr(c) for c in range(0xFF61, 0xFFA0)]
    for h in halves:
        table.setdefault(unicodedata.normalize("NFKC", h), h)
    for h in halves:
        for mark in "ﾞﾟ":
            full = unicodedata.normalize("NFKC", h + mark)
            if len(full) == 1:
                table.setdefault(full, h + mark)
    table["ヴ"] = "ｳﾞ"
    return table


_F2H = _full_to_half()
_SMALL_TO_LARGE = str.maketrans("ァィゥェォッャュョヮヵヶヰヱ", "アイウエオツヤユヨワカケイエ")
_HIRA_TO_KATA = {i: i + 0x60 for i in range(0x3041, 0x3097)}
_SYMBOLS = str.maketrans(
    {
        "ー": "-",
        "‐": "-",
        "−": "-",
        "—": "-",
        "―": "-",
        "・": " ",
        "、": ",",
        "。": ".",
        "「": "｢",
        "」": "｣",
        "¥": "\\",
        "￥": "\\",
        "　": " ",
    }
)


@lru_cache(maxsize=1 << 14)
def _convert(text: str) -> tuple[str, tuple[str, ...]]:
    s = unicodedata.normalize("NFKC", text).translate(_HIRA_TO_KATA)
    s = s.translate(_SMALL_TO_LARGE).translate(_SYMBOLS).upper()
    s = _WS_RE.sub(" ", s).strip()
    out: list[str] = []
    bad: list[str] = []
    for ch in s:
        h = ch if ch in ZENGIN_CHARS else _F2H.get(ch, ch)
        h = h.translate(_HALF_SMALL)
        if any(c not in ZENGIN_CHARS for c in h) and ch not in bad:
            bad.append(ch)
        out.append(h)
    return "".join(out), tuple(bad)


_WS_RE = re.compile(r"\s+")
_HALF_SMALL = str.maketrans("ｧｨｩｪｫｯｬｭｮｰ", "ｱｲｳｴｵﾂﾔﾕﾖ-")


def to_zengin_kana(text: str) -> tuple[str, list[str]]:
    """Convert a name to the 全銀 character set.

    Hiragana and full-width katakana → half-width katakana (ガ → ｶﾞ), small kana → full-size
    (ｷｮｳｺ → ｷﾖｳｺ), long-vowel mark → ``-``, Latin → upper case, full-width → half-width,
    ・ → space, runs of spaces collapsed.

    Returns:
        The converted text, and the characters that cannot be represented (kanji, lower-case
        symbols such as ``&``…), which are kept in the text unchanged.
    """
    converted, bad = _convert(text)
    return converted, list(bad)


# --- writer -------------------------------------------------------------------------------------


class TransferConfig(BaseModel):
    """The 依頼人 (paying municipality) side of a 総合振込 file, read from ``--transfer-config``."""

    model_config = ConfigDict(extra="forbid")

    requester_code: str = Field(description="振込依頼人コード, up to 10 digits")
    requester_name: str = Field(description="振込依頼人名 (converted to half-width kana, ≤ 40)")
    transfer_date: date = Field(description="取組日 (振込指定日)")
    bank_code: str = Field(description="仕向銀行番号, 4 digits")
    bank_name: str = ""
    branch_code: str = Field(description="仕向支店番号, 3 digits")
    branch_name: str = ""
    account_type: str = Field(default="1", description="預金種目 1 普通 / 2 当座")
    account_number: str = Field(description="口座番号, 7 digits")
    kind_code: str = Field(default="21", description="種別コード, 21 総合振込")

    @field_validator("requester_code", "bank_code", "branch_code", "account_number", "account_type")
    @classmethod
    def _digits(cls, v: str) -> str:
        v = unicodedata.normalize("NFKC", v).strip()
        if not v.isascii() or not v.isdigit():
            raise ValueError(f"digits expected: {v!r}")
        return v


@dataclass(frozen=True, slots=True)
class TransferRecord:
    """One payee of a 総合振込 file (one data record)."""

    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    name: str
    amount: int
    bank_name: str = ""
    branch_name: str = ""
    customer_code1: str = ""
    customer_code2: str = ""


def _num(value: str | int, length: int) -> str:
    s = str(value)
    if not s.isdigit() or len(s) > length:
        raise ValueError(f"numeric value {s!r} does not fit {length} digits")
    return s.zfill(length)


def _chars(value: str, length: int) -> str:
    s, _bad = to_zengin_kana(value)
    s = "".join(ch if ch in ZENGIN_CHARS else " " for ch in s)
    return s[:length].ljust(length)


def _record(kind: str, values: dict[str, str | int]) -> bytes:
    parts: list[str] = []
    for f in LAYOUT[kind]:
        v = values.get(f.name, f.fixed if f.fixed is not None else "")
        if f.kind == "N":
            parts.append(" " * f.length if v == "" and f.blank_ok else _num(v if v != "" else 0, f.length))
        else:
            parts.append(_chars(str(v), f.length))
    data = "".join(parts).encode("cp932")
    if len(data) != RECORD_LENGTH:
        raise AssertionError(f"record length {len(data)}")
    return data


def write_transfer_file(
    records: Iterable[TransferRecord], config: TransferConfig, *, newline: bool = True
) -> bytes:
    """Build a 総合振込 file (header, data, trailer, end) as cp932 bytes.

    Args:
        records: The payees; names are converted with :func:`to_zengin_kana` (characters outside the
            set become spaces, so check them first with the account checks).
        config: The 依頼人 side.
        newline: Separate records with CR LF (most banks' PC upload accepts both).

    Raises:
        ValueError: a numeric value does not fit its field (e.g. an 8-digit 口座番号).
    """
    return b"".join(iter_transfer_file(records, config, newline=newline))


class TransferFileWriter:
    """Writes a 総合振込 file to a binary stream record by record (the bytes of :func:`write_transfer_file`).

    The header is written at once, each :meth:`write` adds a data record, :meth:`close` the trailer
    and the end record; the payees are never held in memory.
    """

    def __init__(self, out: IO[bytes], config: TransferConfig, *, newline: bool = True) -> None:
        self._out = out
        self._sep = b"\r\n" if newline else b""
        self.count = self.total = 0
        out.write(_header_record(config) + self._sep)

    def write(self, record: TransferRecord) -> None:
        """Add one payee.

        Raises:
            ValueError: a numeric value does not fit its field.
        """
        self._out.write(transfer_data_record(record) + self._sep)
        self.count += 1
        self.total += record.amount

    def close(self) -> None:
        """Write the trailer (合計件数, 合計金額) and the end record (the stream stays open)."""
        self._out.write(_record("8", {"合計件数": self.count, "合計金額": self.total}) + self._sep)
        self._out.write(_record("9", {}) + self._sep)


def _header_record(config: TransferConfig) -> bytes:
    return _record(
        "1",
        {
            "種別コード": config.kind_code,
            "コード区分": "0",
            "振込依頼人コード": config.requester_code,
            "振込依頼人名": config.requester_name,
            "取組日": config.transfer_date.strftime("%m%d"),
            "仕向銀行番号": config.bank_code,
            "仕向銀行名": config.bank_name,
            "仕向支店番号": config.branch_code,
            "仕向支店名": config.branch_name,
            "預金種目（依頼人）": config.account_type,
            "口座番号（依頼人）": config.account_number,
        },
    )


def iter_transfer_file(
    records: Iterable[TransferRecord], config: TransferConfig, *, newline: bool = True
) -> Iterator[bytes]:
    """The bytes of :func:`write_transfer_file` record by record (each with its separator).

    The header is yielded before the first payee is read, so a long run of records can be written
    to a file as it is produced.

    Raises:
        ValueError: a numeric value does not fit its field (e.g. an 8-digit 口座番号).
    """
    sep = b"\r\n" if newline else b""
    yield _header_record(config) + sep
    count = total = 0
    for r in records:
        count += 1
        total += r.amount
        yield transfer_data_record(r) + sep
    yield _record("8", {"合計件数": count, "合計金額": total}) + sep
    yield _record("9", {}) + sep


def transfer_data_record(r: TransferRecord) -> bytes:
    """The data record (データ区分 2) of one payee, without a separator.

    Raises:
        ValueError: a numeric value does not fit its field.
    """
    return _record(
        "2",
        {
            "被仕向銀行番号": r.bank_code,
            "被仕向銀行名": r.bank_name,
            "被仕向支店番号": r.branch_code,
            "被仕向支店名": r.branch_name,
            "手形交換所番号": "",
            "預金種目": r.account_type,
            "口座番号": r.account_number,
            "受取人名": r.name,
            "振込金額": r.amount,
            "新規コード": "0",
            "顧客コード1": r.customer_code1,
            "顧客コード2": r.customer_code2,
            "振込指定区分": "7",
            "識別表示": " ",
        },
    )


# --- validator ----------------------------------------------------------------------------------


def _split(data: bytes) -> list[tuple[int, bytes]]:
    """(offset, record bytes) pairs; CR LF / LF separated, or fixed 120-byte blocks."""
    if data.endswith(b"\x1a"):
        data = data[:-1]
    if b"\n" not in data:
        return [(i, data[i : i + RECORD_LENGTH]) for i in range(0, len(data), RECORD_LENGTH)]
    out: list[tuple[int, bytes]] = []
    pos = 0
    for line in data.split(b"\n"):
        start = pos
        pos += len(line) + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if start >= len(data):
            break
        out.append((start, line))
    if out and out[-1][1] == b"" and data.endswith(b"\n"):
        out.pop()
    return out


_NEXT: dict[str, tuple[str, ...]] = {"": ("1",), "1": ("2", "8"), "2": ("2", "8"), "8": ("1", "9"), "9": ()}


def _field(kind: str, name: str) -> FieldSpec:
    return next(f for f in LAYOUT[kind] if f.name == name)


def _number(rec: bytes, f: FieldSpec) -> int | None:
    """The value of numeric field ``f`` of ``rec``; None if it is cut off or not all digits."""
    raw = rec[f.start - 1 : f.start - 1 + f.length]
    if len(raw) < f.length or not all(0x30 <= b <= 0x39 for b in raw):
        return None  # the field check reports it; the totals compare only readable numbers
    return int(raw)


class FileStructure:
    """The file-level rules of a 総合振込 file, fed one record at a time in file order.

    Record order 1 2… 8 (1 2… 8)… 9 (ZGN002), unknown データ区分 (ZGN007), and the trailer's
    合計件数 / 合計金額 against the data records since the header (ZGN005 / ZGN006). The per-field
    checks are not here: :func:`validate_transfer_file` runs its own, and the
    ``zengin_sogo_furikomi`` spec runs them through the fixed-width reader; both use this class for
    what no single record shows.
    """

    def __init__(self, file: str = "") -> None:
        self.file = file
        self._state = ""
        self._count = 0
        self._total = 0

    def feed(self, no: int, offset: int, rec: bytes, line: int | None = None) -> list[Finding]:
        """Findings of record ``no`` (1-based position in the file) starting at byte ``offset``."""
        out: list[Finding] = []
        kind = rec[:1].decode("latin-1")
        if kind not in LAYOUT:
            out.append(Finding("ZGN007", file=self.file, record=no, line=line, offset=offset,
                               item="データ区分", value=kind or "(空)"))
            return out
        if kind not in _NEXT[self._state]:
            out.append(Finding("ZGN002", file=self.file, record=no, line=line, offset=offset, item="データ区分",
                               value=kind, params={"expected": "/".join(_NEXT[self._state]) or "(ファイル終端)",
                                                   "record_name": RECORD_NAMES[kind]}))
        self._state = kind
        if kind == "1":
            self._count = self._total = 0
        elif kind == "2":
            self._count += 1
            self._total += _number(rec, _field("2", "振込金額")) or 0
        elif kind == "8":
            for name, expected, code in (("合計件数", self._count, "ZGN005"), ("合計金額", self._total, "ZGN006")):
                f = _field("8", name)
                got = _number(rec, f)
                if got is not None and got != expected:
                    out.append(Finding(code, file=self.file, record=no, line=line, offset=offset + f.start - 1,
                                       item=name, value=str(got), params={"expected": expected}))
        return out

    def finish(self, no: int, offset: int, line: int | None = None) -> list[Finding]:
        """ZGN002 at the end of the file (record ``no`` = one past the last) unless it ended with 9."""
        if self._state == "9":
            return []
        expected = "9" if self._state == "8" else "/".join(_NEXT[self._state]) or "1"
        return [Finding("ZGN002", file=self.file, record=no, line=line, offset=offset, item="データ区分",
                        value="(ファイル終端)", params={"expected": expected, "record_name": "-"})]


def validate_transfer_file(data: bytes, *, file: str = "") -> list[Finding]:
    """Check a 総合振込 file; every finding carries record number, byte offset and field.

    Checks: record length (ZGN001), record order 1 2… 8 (1 2… 8)… 9 (ZGN002), unknown データ区分
    (ZGN007), numeric fields (ZGN003), characters outside the 全銀 set (ZGN004), trailer count and
    amount against the data records (ZGN005, ZGN006), fixed and enumerated values (ZGN008).

    The same file is checked by ``kikan-std check --spec zengin_sogo_furikomi`` through the
    fixed-width reader (see docs/reconcile.md); the file-level rules are shared
    (:class:`FileStructure`).

    Args:
        data: The file's bytes.
        file: File name for the findings.
    """
    findings: list[Finding] = []
    structure = FileStructure(file)
    records = _split(data)
    for no, (offset, rec) in enumerate(records, start=1):
        if len(rec) != RECORD_LENGTH:
            findings.append(Finding("ZGN001", file=file, record=no, offset=offset,
                                    params={"length": len(rec), "expected": 120}))
        found = structure.feed(no, offset, rec)
        kind = rec[:1].decode("latin-1")
        if kind in LAYOUT:
            _check_fields(rec, kind, no, offset, file, findings)
        findings += found
    findings += structure.finish(len(records) + 1, len(data))
    return findings


def _check_fields(rec: bytes, kind: str, no: int, offset: int, file: str, findings: list[Finding]) -> None:
    """Check the fields of one record (numbers, characters, fixed and enumerated values)."""
    for f in LAYOUT[kind]:
        raw = rec[f.start - 1 : f.start - 1 + f.length]
        if len(raw) < f.length:
            break  # short record, already reported
        text = raw.decode("cp932", errors="replace")
        if f.kind == "N":
            if f.blank_ok and raw.strip(b" ") == b"":
                continue
            if not all(0x30 <= b <= 0x39 for b in raw):
                bad = next(i for i, b in enumerate(raw) if not 0x30 <= b <= 0x39)
                findings.append(
                    Finding(
                        "ZGN003",
                        file=file,
                        record=no,
                        offset=offset + f.start - 1 + bad,
                        item=f.name,
                        value=text,
                    )
                )
                continue
        else:
            bad_at = next((i for i, b in enumerate(raw) if b not in _ZENGIN_BYTES), None)
            if bad_at is not None:
                findings.append(
                    Finding(
                        "ZGN004",
                        file=file,
                        record=no,
                        offset=offset + f.start - 1 + bad_at,
                        item=f.name,
                        value=text.rstrip(),
                        params={"byte": f"0x{raw[bad_at]:02X}"},
                    )
                )
        if (f.fixed is not None and text != f.fixed) or (f.allowed and text not in f.allowed):
            findings.append(
                Finding(
                    "ZGN008",
                    file=file,
                    record=no,
                    offset=offset + f.start - 1,
                    item=f.name,
                    value=text,
                    params={"allowed": f.fixed or "/".join(a.strip() or "空白" for a in f.allowed)},
                )
            )
