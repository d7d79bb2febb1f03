"""Baselines: compare a run with a previous JSON report and classify findings as new, existing or fixed.

A baseline is any kikan-std JSON report (``--output-format json``). Findings are matched by their
*fingerprint* — code, file, item and the record's business keys (e.g. 宛名番号), never the row
number — so inserting or deleting rows does not turn old findings into new ones. A finding without
business keys (header, encoding or structure problems) is matched by code, file, item and a keyed
hash of its value. Matching counts: if the baseline had a fingerprint twice and the run has it
three times, two are existing and one is new.

The file in a fingerprint is the file's path relative to the checked root — the member path inside a
deliverable, and for files given on the command line the path below their common folder (one file: its
name) — so a baseline taken in one directory matches the same files checked from another
(:func:`root_relative`).

Fingerprints hash key values with the mask key, so a baseline and the run compared with it must
use the same ``--mask-key`` (or both the default). Reports of version 1.0 carry no fingerprints;
they are recomputed from the findings' fields.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from kikan_std.errors import BaselineError
from kikan_std.findings import Finding
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.model import BaselineSummary, FixedFinding, Status
from kikan_std.report.render import finding_fingerprint, fingerprint, mask_value, masked_tag, value_tag
from kikan_std.report.waivers import Waivers


def root_relative(files: Iterable[str]) -> dict[str, str]:
    """Each path as written, mapped to its path below the common folder of all of them (``/``-separated).

    ``data/a.csv`` alone → ``a.csv``; ``x/d1/a.csv`` and ``x/d2/b.csv`` → ``d1/a.csv`` and ``d2/b.csv``,
    whatever the working directory or how the paths were typed (relative, absolute, Windows).
    """
    names = list(dict.fromkeys(files))
    parts = {n: PurePath(n.replace("\\", "/")).parts for n in names}
    if not parts:
        return {}
    dirs = [p[:-1] for p in parts.values()]
    common = 0
    while all(len(d) > common for d in dirs) and len({d[common] for d in dirs}) == 1:
        common += 1
    return {n: "/".join(p[common:]) for n, p in parts.items()}


def _tag(shown: str, key: bytes) -> str:
    """The keyed hash of a value as shown in a report: read from a masked value, or computed."""
    return masked_tag(shown) or value_tag(shown, key)


def fingerprint_of_dict(f: dict[str, Any], key: bytes = DEFAULT_MASK_KEY, file: str | None = None,
                        recompute: bool = False) -> str:
    """The fingerprint of a finding as it appears in a JSON report (recomputed for reports before 1.3,
    whose fingerprints named the file as typed; ``file`` is its name relative to the checked root)."""
    fp = f.get("fingerprint")
    if isinstance(fp, str) and fp and not recompute:
        return fp
    keys = f.get("keys") or {}
    value = f.get("value")
    return fingerprint(
        str(f["code"]),
        file or str(f["file"]),
        f.get("item"),
        {str(k): _tag(str(v), key) for k, v in keys.items()},
        None if value is None else _tag(str(value), key),
    )


class Baseline:
    """The findings of a previous report, as a multiset of fingerprints."""

    def __init__(
        self, data: dict[str, Any], file: str, sha256: str, mask_key: bytes = DEFAULT_MASK_KEY
    ) -> None:
        try:
            findings = data["findings"]
            self.report_version = str(data["report_version"])
            if not isinstance(findings, list):
                raise TypeError("findings is not a list")
            self.counts: Counter[str] = Counter()
            self.samples: dict[str, list[dict[str, Any]]] = {}
            self.files = {str(i.get("file")) for i in data.get("inputs", []) if isinstance(i, dict)}
            self.relative = root_relative(sorted(self.files)) if data.get("businesses") is None else {}
            """The baseline's files by their path relative to its checked root (runs over files)."""
            old = self.report_version in ("1.0", "1.1", "1.2")
            for f in findings:
                fp = fingerprint_of_dict(f, mask_key, self.relative.get(str(f.get("file"))), recompute=old)
                self.counts[fp] += 1
                self.samples.setdefault(fp, []).append(f)
        except (KeyError, TypeError, AttributeError) as e:
            raise BaselineError(detail=f"baseline {file} is not a kikan-std JSON report ({e})") from None
        self.file = file
        self.sha256 = sha256
        self.generated_at = data.get("generated_at")
        self.capped = bool((data.get("stats") or {}).get("capped", False))

    @classmethod
    def load(cls, path: str | Path, mask_key: bytes = DEFAULT_MASK_KEY) -> Baseline:
        """Read a previous JSON report.

        Raises:
            BaselineError: unreadable, not JSON, or not a kikan-std report.
        """
        try:
            raw = Path(path).read_bytes()
        except OSError as e:
            raise BaselineError(detail=f"cannot read baseline {path}: {e.strerror}") from None
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BaselineError(detail=f"baseline {path} is not JSON: {e}") from None
        if not isinstance(data, dict) or data.get("tool", {}).get("name") != "kikan-std":
            raise BaselineError(detail=f"baseline {path} is not a kikan-std JSON report")
        return cls(data, str(path), hashlib.sha256(raw).hexdigest(), mask_key)


class Classifier:
    """Classifies every finding of a run (not only the stored ones) against a baseline and waivers."""

    def __init__(
        self,
        baseline: Baseline | None,
        waivers: Waivers | None,
        mask_key: bytes = DEFAULT_MASK_KEY,
    ) -> None:
        self.baseline = baseline
        self.waivers = waivers
        self.mask_key = mask_key
        self.remaining: Counter[str] = Counter(baseline.counts) if baseline else Counter()
        self.new = 0
        self.existing = 0
        self.names: dict[str, str] = {}
        """The name each file has in fingerprints (its path relative to the checked root), when it
        differs from the name in findings (a run over files named as typed)."""

    def classify(self, f: Finding) -> tuple[Status | None, int | None, str | None]:
        """(status, waiver index, fingerprint) of ``f``; the fingerprint only when computed.

        A waived finding still consumes its baseline match, so it is never reported as fixed.
        """
        status: Status | None = None
        fp: str | None = None
        if self.baseline is not None:
            fp = finding_fingerprint(f, self.mask_key, self.names.get(f.file))
            if self.remaining[fp] > 0:
                self.remaining[fp] -= 1
                status = "existing"
            else:
                status = "new"
        widx = self.waivers.match(f) if self.waivers is not None else None
        if widx is not None:
            return "waived", widx, fp
        if status == "existing":
            self.existing += 1
        elif status == "new":
            self.new += 1
        return status, None, fp

    def baseline_summary(
        self,
        files_checked: set[str],
        cap: int | None,
        personal_items: frozenset[str],
        show_values: bool,
    ) -> BaselineSummary | None:
        """The report's baseline section: counts, and the fixed findings of the files checked.

        A baseline finding in a file this run did not check is neither fixed nor existing: it is
        left out. Keys of personal items are masked again (the baseline may have shown values).
        """
        b = self.baseline
        if b is None:
            return None
        relative_checked = {self.names.get(f, f) for f in files_checked}
        fixed: list[FixedFinding] = []
        n_fixed = 0
        for fp, n in self.remaining.items():
            if n <= 0:
                continue
            samples = b.samples[fp]
            was = str(samples[0].get("file"))
            if was not in files_checked and b.relative.get(was, was) not in relative_checked:
                continue
            n_fixed += n
            for f in samples[:n]:
                if cap is not None and len(fixed) >= cap:
                    break
                keys = {
                    str(k): (
                        mask_value(str(v), self.mask_key)
                        if not show_values and k in personal_items and v and masked_tag(str(v)) is None
                        else str(v)
                    )
                    for k, v in (f.get("keys") or {}).items()
                }
                fixed.append(
                    FixedFinding(
                        code=str(f["code"]),
                        severity=f.get("severity", "error"),
                        file=str(f["file"]),
                        record=f.get("record"),
                        line=f.get("line"),
                        item=f.get("item"),
                        keys=keys,
                        fingerprint=fp,
                    )
                )
        return BaselineSummary(
            file=b.file,
            sha256=b.sha256,
            baseline_generated_at=b.generated_at,
            baseline_report_version=b.report_version,
            baseline_capped=b.capped,
            new=self.new,
            existing=self.existing,
            fixed=n_fixed,
            fixed_findings=fixed,
        )
