"""Waivers: findings a municipality has accepted, each with a reason, an owner and an expiry date.

A waiver file is TOML (read with the standard library's ``tomllib``; no extra dependency)::

    [[waiver]]
    code = "FLD005"                  # required: the finding code
    file = "atena*.csv"              # optional (default "*"): fnmatch pattern on the file name
    item = "氏名"                     # optional: the item name
    key = "000000000000012"          # optional: a business key value (e.g. 宛名番号) …
    # key = { 宛名番号 = "000000000000012" }   # … or a table of key item = value
    # fingerprint = "3f2a9c0d1b7e4a65"        # optional: one finding's fingerprint (as in the JSON report)
    reason = "旧姓併記のため移行後に修正"   # required
    owner = "住民課 山田"               # required
    expires = 2027-03-31             # required: a TOML date; the waiver applies up to this day

A ``fingerprint`` waiver accepts exactly the findings with that fingerprint (code, file, item and the
keyed hashes of the business keys, as the JSON report and ``--baseline`` show it; see
:mod:`kikan_std.report.baseline`), computed with the run's mask key from the file as reported or from
its file name alone — so a waiver written from one report (or from the web app's history) matches the
same finding whichever folder the file is checked from. It never needs a personal value in clear.

A finding matching an active waiver is reported with status ``waived`` and does not fail the run.
A waiver past its expiry date stops applying (its findings count again) and the report lists it as
expired, with how many findings it would have covered. A waiver that matched no finding of the run is
listed as *stale* (the defect was fixed, or the waiver never fitted): remove it. ``expires`` must be a
TOML date (``2027-03-31``, unquoted); a quoted string or a date-time is refused, so a typo cannot
silently become a different day.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from collections import defaultdict
from fnmatch import fnmatchcase
from pathlib import Path, PurePath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kikan_std.catalogue import catalogue
from kikan_std.errors import WaiverError
from kikan_std.findings import Finding
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.model import WaiverOut, WaiverRef, WaiverSummary
from kikan_std.report.render import fingerprint, value_tag

_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


class Waiver(BaseModel):
    """One waiver entry."""

    # Validators are built when a waiver file is first read, not at import (start-up time of a plain check).
    model_config = ConfigDict(extra="forbid", defer_build=True)

    code: str
    file: str = "*"
    item: str | None = None
    key: str | dict[str, str] | None = None
    fingerprint: str | None = None
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: _dt.date

    @field_validator("expires", mode="before")
    @classmethod
    def _toml_date(cls, v: object) -> object:
        if isinstance(v, _dt.datetime) or not isinstance(v, _dt.date):
            raise ValueError(f"expires must be a TOML date such as 2027-03-31 (unquoted), not {v!r}")
        return v

    @field_validator("code")
    @classmethod
    def _known_code(cls, v: str) -> str:
        if v not in catalogue():
            raise ValueError(f"unknown finding code {v!r}")
        return v

    @field_validator("fingerprint")
    @classmethod
    def _fingerprint_form(cls, v: str | None) -> str | None:
        if v is not None and not _FINGERPRINT.fullmatch(v):
            raise ValueError(f"a fingerprint is 16 lower-case hex digits, not {v!r}")
        return v

    def matches(self, f: Finding, fingerprints: frozenset[str] = frozenset()) -> bool:
        """Whether this waiver covers ``f`` (ignoring expiry); ``fingerprints`` are those of ``f``
        (see :func:`finding_fingerprints`), needed only by a ``fingerprint`` waiver."""
        if f.code != self.code:
            return False
        if not (fnmatchcase(f.file, self.file) or fnmatchcase(PurePath(f.file).name, self.file)):
            return False
        if self.item is not None and f.item != self.item:
            return False
        if self.fingerprint is not None and self.fingerprint not in fingerprints:
            return False
        if isinstance(self.key, str):
            return self.key in f.keys.values()
        if isinstance(self.key, dict):
            return all(f.keys.get(k) == v for k, v in self.key.items())
        return True

    def key_text(self) -> str | None:
        """The key condition as one line of text."""
        if isinstance(self.key, dict):
            return ", ".join(f"{k}={v}" for k, v in self.key.items())
        return self.key


def finding_fingerprints(f: Finding, key: bytes = DEFAULT_MASK_KEY) -> frozenset[str]:
    """The fingerprints a ``fingerprint`` waiver accepts for ``f``: with the file as reported and with
    its file name alone (the same finding checked from another folder)."""
    tags = {k: value_tag(v, key) for k, v in f.keys.items()}
    vtag = None if f.value is None else value_tag(f.value, key)
    name = PurePath(f.file).name
    return frozenset({fingerprint(f.code, f.file, f.item, tags, vtag), fingerprint(f.code, name, f.item, tags, vtag)})


class _WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    waiver: list[Waiver] = Field(default_factory=list)


class Waivers:
    """The waivers of one file, matched against every finding of a run."""

    def __init__(self, entries: list[Waiver], file: str, sha256: str, today: _dt.date | None = None,
                 mask_key: bytes = DEFAULT_MASK_KEY) -> None:
        self.entries = entries
        self.mask_key = mask_key  # of the run: fingerprint waivers are matched with it
        self.file = file
        self.sha256 = sha256
        self.today = today or _dt.date.today()
        self.matched = [0] * len(entries)
        self._by_code: dict[str, list[int]] = defaultdict(list)
        for i, w in enumerate(entries):
            self._by_code[w.code].append(i)

    @classmethod
    def load(cls, path: str | Path, today: _dt.date | None = None) -> Waivers:
        """Read a waiver file.

        Raises:
            WaiverError: the file cannot be read, is not TOML, or an entry is malformed.
        """
        p = Path(path)
        try:
            raw = p.read_bytes()
        except OSError as e:
            raise WaiverError(detail=f"cannot read waiver file {path}: {e.strerror}") from None
        import tomllib  # only when a waiver file is given (start-up time of a plain check)

        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise WaiverError(detail=f"waiver file {path} is not valid UTF-8 TOML: {e}") from None
        try:
            wf = _WaiverFile.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise WaiverError(detail=f"waiver file {path}: {loc}: {err['msg']}") from None
        return cls(wf.waiver, str(path), hashlib.sha256(raw).hexdigest(), today)

    def expired(self, i: int) -> bool:
        """Whether waiver ``i`` is past its expiry date."""
        return self.entries[i].expires < self.today

    def match(self, f: Finding) -> int | None:
        """The index of the active waiver covering ``f``, or None.

        A finding covered only by expired waivers is counted against the first of them (so the
        report can say what an expired waiver would still hide) but is not waived.
        """
        candidates = self._by_code.get(f.code)
        if not candidates:
            return None
        expired_hit: int | None = None
        fps: frozenset[str] | None = None
        for i in candidates:
            if fps is None and self.entries[i].fingerprint is not None:
                fps = finding_fingerprints(f, self.mask_key)
            if self.entries[i].matches(f, fps or frozenset()):
                if not self.expired(i):
                    self.matched[i] += 1
                    return i
                if expired_hit is None:
                    expired_hit = i
        if expired_hit is not None:
            self.matched[expired_hit] += 1
        return None

    def ref(self, i: int) -> WaiverRef:
        """The report's reference to waiver ``i``."""
        w = self.entries[i]
        return WaiverRef(index=i, reason=w.reason, owner=w.owner, expires=w.expires.isoformat())

    def summary(self, waived: int) -> WaiverSummary:
        """The report's waiver section."""
        return WaiverSummary(
            file=self.file,
            sha256=self.sha256,
            today=self.today.isoformat(),
            waived=waived,
            waivers=[
                WaiverOut(
                    index=i,
                    code=w.code,
                    file=w.file,
                    item=w.item,
                    key=w.key_text(),
                    reason=w.reason,
                    owner=w.owner,
                    expires=w.expires.isoformat(),
                    expired=self.expired(i),
                    matched=self.matched[i],
                    stale=self.matched[i] == 0,
                )
                for i, w in enumerate(self.entries)
            ],
        )
