"""Account checks on applications (口座番号, 口座区分, 口座名義) and the transfer data they yield."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kikan_std.findings import Finding
from kikan_std.jp.zengin import to_zengin_kana
from kikan_std.reconcile.banks import resolve_bank, resolve_branch
from kikan_std.reconcile.normalize import normalize_kana

__all__ = ["ERROR_CODES", "Account", "account_type_code", "check_account", "check_account_holder"]

ERROR_CODES = frozenset({"RCN001", "RCN002", "RCN003", "RCN008"})
"""Account findings that exclude an application from the transfer file."""

_TYPES = {
    "普通": "1",
    "普通預金": "1",
    "総合": "1",
    "総合口座": "1",
    "1": "1",
    "当座": "2",
    "当座預金": "2",
    "2": "2",
}


@lru_cache(maxsize=1 << 10)
def account_type_code(text: str) -> str | None:
    """The 全銀 預金種目 code of a 口座区分 (普通 → "1", 当座 → "2"), or None if not 普通/当座."""
    return _TYPES.get(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))


@dataclass(frozen=True, slots=True)
class Account:
    """The transfer-relevant account data of one application (after conversion)."""

    bank_code: str
    branch_code: str
    bank_name: str
    branch_name: str
    account_type: str
    account_number: str
    name: str
    usable: bool


def check_account(
    record: int,
    *,
    bank_name: str,
    branch_name: str,
    account_type: str,
    account_number: str,
    account_name: str,
    bank_code: str,
    branch_code: str,
    file: str = "",
) -> tuple[Account, list[Finding]]:
    """Check one application's account fields.

    Returns:
        The account (``usable`` False when an :data:`ERROR_CODES` finding was raised) and the findings:
        RCN008 missing account, RCN001 口座番号 not 7 digits, RCN002 口座区分 not 普通/当座,
        RCN003 口座名義 outside the 全銀 set, RCN004 口座名義 converted, RCN006 口座名義 over 30
        characters, RCN007 銀行コード/支店コード missing or malformed.
    """
    out: list[Finding] = []
    if not account_number and not account_name:
        out.append(Finding("RCN008", file=file, record=record, item="口座番号"))
    number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", account_number))
    if account_number and not re.fullmatch(r"[0-9]{7}", number):
        out.append(
            Finding("RCN001", file=file, record=record, item="口座番号", value=account_number, personal=True)
        )
    type_code = account_type_code(account_type)
    if type_code is None:
        out.append(Finding("RCN002", file=file, record=record, item="口座区分", value=account_type))
    name, bad = to_zengin_kana(account_name)
    if account_name and bad:
        out.append(
            Finding(
                "RCN003",
                file=file,
                record=record,
                item="口座名義（カナ）",
                value=account_name,
                params={"chars": "".join(bad)},
                personal=True,
            )
        )
    elif account_name and name != account_name:
        out.append(
            Finding(
                "RCN004",
                file=file,
                record=record,
                item="口座名義（カナ）",
                value=account_name,
                params={"converted": name},
                personal=True,
            )
        )
    if len(name) > 30:
        out.append(
            Finding(
                "RCN006", file=file, record=record, item="口座名義（カナ）", value=account_name, personal=True
            )
        )
    bank = _bank_part(bank_name, branch_name, bank_code, branch_code)
    bcode, scode, codes_ok, bname, sname = bank[:5]
    if bank[5] is not None:
        fcode, item, value, params = bank[5]
        out.append(Finding(fcode, file=file, record=record, item=item, value=value, params=dict(params)))
    usable = codes_ok and not any(f.code in ERROR_CODES for f in out)
    return (
        Account(
            bank_code=bcode,
            branch_code=scode,
            bank_name=bname,
            branch_name=sname,
            account_type=type_code or "",
            account_number=number,
            name=name,
            usable=usable,
        ),
        out,
    )


_BankPart = tuple[str, str, bool, str, str, tuple[str, str | None, str | None, dict[str, Any]] | None]


@lru_cache(maxsize=1 << 14)
def _bank_part(bank_name: str, branch_name: str, bank_code: str, branch_code: str) -> _BankPart:
    """The bank side of :func:`check_account`, which depends only on the four bank values (they repeat).

    Returns:
        (bank code, branch code, codes usable, 全銀 bank name, branch name, the finding as
        (code, item, value, params) or None).
    """
    bcode = unicodedata.normalize("NFKC", bank_code).strip()
    scode = unicodedata.normalize("NFKC", branch_code).strip()
    codes_ok = bool(re.fullmatch(r"[0-9]{4}", bcode) and re.fullmatch(r"[0-9]{3}", scode))
    finding: Finding | None = None
    if not codes_ok and bank_name.strip():
        bcode, scode, finding = _resolve_codes(0, bank_name, branch_name, bcode, scode, "")
        codes_ok = finding.code == "RCN010"
    elif not codes_ok:
        finding = _rcn007(0, bank_code, branch_code, bcode, "")
    bname, bbad = to_zengin_kana(bank_name)
    sname, sbad = to_zengin_kana(branch_name)
    spec = None
    if finding is not None:
        spec = (finding.code, finding.item, finding.value, finding.params)
    return bcode, scode, codes_ok, "" if bbad else bname, "" if sbad else sname, spec


def check_account_holder(record: int, account_name: str, head_kana: str, *, file: str = "") -> Finding | None:
    """RCN005 when the 口座名義 does not read as the 世帯主's kana name (after kana normalisation)."""
    if not account_name or not head_kana:
        return None
    a = normalize_kana(to_zengin_kana(account_name)[0]).text
    b = normalize_kana(to_zengin_kana(head_kana)[0]).text
    if a == b:
        return None
    return Finding(
        "RCN005",
        file=file,
        record=record,
        item="口座名義（カナ）",
        value=account_name,
        params={"expected": head_kana},
        personal=True,
    )


def _rcn007(record: int, bank_code: str, branch_code: str, bcode: str, file: str) -> Finding:
    return Finding(
        "RCN007",
        file=file,
        record=record,
        item="銀行コード" if not re.fullmatch(r"[0-9]{4}", bcode) else "支店コード",
        value=f"{bank_code}/{branch_code}",
    )


def _resolve_codes(
    record: int, bank_name: str, branch_name: str, bcode: str, scode: str, file: str
) -> tuple[str, str, Finding]:
    """Codes from names via :mod:`.banks`: (bank code, branch code, the finding saying how it went)."""
    value = f"{bank_name}/{branch_name}"
    if not re.fullmatch(r"[0-9]{4}", bcode):
        b = resolve_bank(bank_name)
        if b.status == "no_table":
            return bcode, scode, _rcn007(record, "", "", "", file)
        if b.status != "resolved":
            code = "RCN012" if b.status == "ambiguous" else "RCN011"
            cands = "、".join(b.candidates) or "なし"
            return "", "", Finding(code, file=file, record=record, item="銀行名", value=value,
                                   params={"candidates": cands})
        bcode = b.code
    if not re.fullmatch(r"[0-9]{3}", scode):
        s = resolve_branch(bcode, branch_name) if branch_name.strip() else None
        if s is None or s.status != "resolved":
            code = "RCN014" if s is not None and s.status == "ambiguous" else "RCN013"
            cands = "、".join(s.candidates) if s is not None and s.candidates else "なし"
            return bcode, "", Finding(code, file=file, record=record, item="支店名", value=value,
                                      params={"candidates": cands})
        scode = s.code
    return bcode, scode, Finding("RCN010", file=file, record=record, item="銀行名", value=value,
                                 params={"codes": f"{bcode}/{scode}"})
