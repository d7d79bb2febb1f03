"""Which spec and group each file of a deliverable is: the manifest, else the naming convention.

Manifest (``kikan-manifest.json`` or ``kikan-manifest.toml`` at the top level; JSON shown, TOML has the
same keys as ``[[files]]`` tables)::

    {"kikan_manifest": 1,
     "files": [{"path": "jumin/*.csv", "spec": "jumin_kiroku", "group": "住民",
                "encoding": "cp932", "records": 1200}]}

``path`` is a glob over the file's path inside the deliverable (``/`` separators); the first entry that
matches wins; ``group``, ``encoding`` and ``records`` are optional. Files no entry matches fall back to
the naming convention ``<spec_id>__<group name or romaji>.csv`` (``<spec_id>.csv`` for a single-group spec),
then to the Japanese names deliverables arrive with: a folder or file named after the business (official
name or a common abbreviation: ``01_住民記録/住民.csv``, ``個人住民税/課税台帳.csv``, ``固資/土地.csv``) and
a file named after the group (:func:`recognise`). :func:`draft_manifest` writes the draft manifest an
auditor confirms (``kikan-std manifest DIR``).
"""

from __future__ import annotations

import csv
import fnmatch
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kikan_std.deliverable.archive import Entry
from kikan_std.errors import ManifestError, UnknownGroupError
from kikan_std.specs import BUILTIN, load_spec

MANIFEST_NAMES = ("kikan-manifest.json", "kikan-manifest.toml")


@dataclass(slots=True)
class ManifestEntry:
    pattern: str
    spec: str
    group: str | None
    encoding: str | None
    records: int | None
    used: bool = False


def read_manifest(entries: list[Entry]) -> tuple[list[ManifestEntry], str]:
    """The shallowest manifest (a zip of a folder has it one level down) and the folder it is in."""
    candidates = sorted((e for e in entries if PurePosixPath(e.display).name in MANIFEST_NAMES and e.local),
                        key=lambda e: (e.display.count("/"), e.display))
    if not candidates:
        return [], ""
    e = candidates[0]
    assert e.local is not None
    try:
        raw = e.local.read_bytes().decode("utf-8-sig")
        doc: Any = json.loads(raw) if e.display.endswith(".json") else tomllib.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as err:
        raise ManifestError(path=e.display, detail=str(err)) from None
    parent = str(PurePosixPath(e.display).parent)
    return _parse_manifest(doc, e.display), "" if parent == "." else parent + "/"


def _parse_manifest(doc: Any, name: str) -> list[ManifestEntry]:
    if not isinstance(doc, dict) or doc.get("kikan_manifest") != 1 or not isinstance(doc.get("files"), list):
        raise ManifestError(path=name, detail="expected kikan_manifest = 1 and a list 'files'")
    out = []
    for i, f in enumerate(doc["files"]):
        if not isinstance(f, dict) or not isinstance(f.get("path"), str) or not isinstance(f.get("spec"), str):
            raise ManifestError(path=name, detail=f"files[{i}] needs 'path' and 'spec' strings")
        unknown = set(f) - {"path", "spec", "group", "encoding", "records"}
        if unknown:
            raise ManifestError(path=name, detail=f"files[{i}] unknown keys {sorted(unknown)}")
        if f["spec"] not in BUILTIN:
            raise ManifestError(path=name, detail=f"files[{i}] unknown spec {f['spec']!r} ({', '.join(BUILTIN)})")
        records = f.get("records")
        if records is not None and (not isinstance(records, int) or isinstance(records, bool) or records < 0):
            raise ManifestError(path=name, detail=f"files[{i}] records must be a non-negative integer")
        group = f.get("group")
        if group is not None:
            try:
                load_spec(f["spec"]).group(str(group))
            except KeyError:
                raise ManifestError(path=name, detail=f"files[{i}] unknown group {group!r} of {f['spec']}") from None
        out.append(ManifestEntry(f["path"], f["spec"], group, f.get("encoding"), records))
    return out


def assign_by_name(display: str) -> tuple[str, str] | None:
    """(spec id, group name) from the naming convention ``<spec_id>__<group name or romaji>.csv``
    (or ``<spec_id>.csv`` for a single-group spec), or None."""
    stem = PurePosixPath(display).stem
    spec_id, sep, group = stem.partition("__")
    if spec_id not in BUILTIN:
        return None
    spec = load_spec(spec_id)
    if not sep:
        return (spec_id, spec.groups[0].name) if len(spec.groups) == 1 else None
    try:
        return spec_id, spec.group(group).name
    except UnknownGroupError:
        return None


BUSINESS_NAMES: dict[str, tuple[str, ...]] = {
    "jumin_kiroku": ("住民記録", "住民基本台帳", "住基", "住記"),
    "jutogai_atena": ("住登外者宛名番号管理", "住登外者宛名", "住登外者", "住登外"),
    "kojin_juminzei": ("個人住民税", "住民税", "個人住"),
    "kotei_shisanzei": ("固定資産税", "固定資産", "固資"),
    "kei_jidoshazei": ("軽自動車税", "軽自動車", "軽自"),
    "jido_teate": ("児童手当", "児手"),
    "kaigo_hoken": ("介護保険", "介護"),
    "kokumin_kenko_hoken": ("国民健康保険", "国保"),
    "zengin_sogo_furikomi": ("全銀総合振込", "総合振込", "全銀"),
}
"""Japanese names of each built-in business as folders and files are named: the official business name
first, then common abbreviations (the longest name found in a path wins)."""

_NUMBERING = re.compile(r"^[\s\d０-９①-⑳.．_＿\-－、)）(（]+")


def _words(display: str) -> list[str]:
    """The path's folder names and file stem, NFKC-normalised, without leading numbering (``01_``)."""
    p = PurePosixPath(display)
    parts = [*p.parent.parts, p.stem] if str(p.parent) != "." else [p.stem]
    return [_NUMBERING.sub("", unicodedata.normalize("NFKC", w)) for w in parts]


def _business_of(words: list[str]) -> tuple[str, str] | None:
    """(spec id, the name found) of the longest business name in ``words``, None if none or two differ."""
    hits: list[tuple[int, str, str]] = []
    for spec_id, names in BUSINESS_NAMES.items():
        for n in names:
            if any(n in w for w in words):
                hits.append((len(n), spec_id, n))
                break
    if not hits:
        return None
    hits.sort(reverse=True)
    if len(hits) > 1 and hits[1][0] == hits[0][0] and hits[1][1] != hits[0][1]:
        return None  # two businesses named as strongly: do not guess
    return hits[0][1], hits[0][2]


def _group_of(spec_id: str, words: list[str]) -> str | None:
    """The group of ``spec_id`` the file stem (else a folder) names; the only group of a one-group spec."""
    spec = load_spec(spec_id)
    if len(spec.groups) == 1:
        return spec.groups[0].name
    for w in reversed(words):
        found = [g.name for g in spec.groups if g.name in w or (g.romaji and g.romaji in w.lower())]
        found.sort(key=len, reverse=True)
        if found:
            return found[0]
    return None


def recognise(display: str) -> tuple[str | None, str | None, str]:
    """(spec id, group, why) from a file's path inside the deliverable: the naming convention first,
    then the Japanese business and group names of its folders and file name. Either may be None."""
    by_name = assign_by_name(display)
    if by_name is not None:
        return by_name[0], by_name[1], "ファイル名規約 / naming convention"
    words = _words(display)
    biz = _business_of(words)
    if biz is None:
        # A file named after a group only one spec has (住登外者宛名基本情報.csv, 対象児童.csv).
        stem = words[-1]
        owners = [(s, g.name) for s in BUILTIN for g in load_spec(s).groups if g.name == stem]
        if len(owners) == 1:
            return owners[0][0], owners[0][1], f"グループ名「{stem}」/ group name"
        return None, None, ""
    spec_id, name = biz
    return spec_id, _group_of(spec_id, words), f"業務名「{name}」/ business name"


def manifest_line(display: str, spec_id: str | None, group: str | None) -> str:
    """A ready-to-edit manifest entry for one file (JSON, as in ``kikan-manifest.json``)."""
    entry = {"path": display, "spec": spec_id or "<spec_id>", "group": group or "<グループ名>"}
    return json.dumps(entry, ensure_ascii=False)


def assign(entries: list[Entry], manifest: list[ManifestEntry], base: str) -> None:
    for e in entries:
        rel = e.display[len(base):] if e.display.startswith(base) else None
        for m in manifest:
            if rel is not None and fnmatch.fnmatchcase(rel, m.pattern):
                m.used = True
                spec = load_spec(m.spec)
                e.spec = m.spec
                e.group = spec.group(m.group).name if m.group else None
                e.encoding, e.expected_records = m.encoding, m.records
                if e.group is None:
                    by_name = assign_by_name(e.display)
                    e.group = by_name[1] if by_name and by_name[0] == m.spec else None
                break
        else:
            spec_id, group, _ = recognise(e.display)
            if spec_id is not None and (group is not None or len(load_spec(spec_id).groups) == 1):
                e.spec, e.group = spec_id, group


def count_records(path: Path, encoding: str = "utf-8") -> int | None:
    """Data records of a CSV file (the header row is not one; quoted line breaks kept), None if unreadable."""
    try:
        with path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
            rows = sum(1 for row in csv.reader(f) if row)
    except (OSError, LookupError, csv.Error):
        return None
    return max(rows - 1, 0)


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def draft_manifest(entries: list[Entry], encoding: str = "utf-8") -> tuple[str, int, int]:
    """A draft ``kikan-manifest.toml`` for the deliverable's files, and (files placed, files not placed).

    Every data file gets an entry with the spec and group recognised from its name and its record
    count as found, so the auditor confirms what is there (and DLV006 checks the count from then on);
    a file that cannot be placed is listed commented out, to be completed by hand.
    """
    lines = [
        "# kikan-std の成果物マニフェスト（下書き）。内容を確認し、必要なら直してください。",
        "# Draft deliverable manifest written by kikan-std manifest: confirm every entry before use.",
        "# records は下書き作成時に数えた件数です。納品書の件数と照らしてください。",
        "# records are the counts found when drafting: compare them with the delivery note.",
        "kikan_manifest = 1",
        "",
    ]
    placed = unplaced = 0
    for e in entries:
        if PurePosixPath(e.display).name in MANIFEST_NAMES:
            continue
        spec_id, group, why = recognise(e.display)
        records = count_records(e.local, encoding) if e.local is not None and spec_id != "zengin_sogo_furikomi" else None
        body = ["[[files]]", f"path = {_toml_str(e.display)}"]
        if spec_id is not None:
            body.append(f"spec = {_toml_str(spec_id)}")
        if group is not None:
            body.append(f"group = {_toml_str(group)}")
        if encoding.lower() not in ("utf-8", "utf8"):
            body.append(f"encoding = {_toml_str(encoding)}")
        if records is not None and spec_id is not None:
            body.append(f"records = {records}")
        if spec_id is not None and group is not None:
            placed += 1
            title = load_spec(spec_id).title
            lines.append(f"# {title}（{why}）")
            lines.extend(body)
        else:
            unplaced += 1
            lines.append("# 未割り当て: spec と group を記入して # を外してください / not placed: fill in spec and group")
            if spec_id is None:
                body.append('spec = "<spec_id>"')
            body.append('group = "<グループ名>"')
            lines.extend("# " + b for b in body)
        lines.append("")
    return "\n".join(lines), placed, unplaced


__all__ = [
    "BUSINESS_NAMES",
    "MANIFEST_NAMES",
    "ManifestEntry",
    "assign",
    "assign_by_name",
    "count_records",
    "draft_manifest",
    "manifest_line",
    "read_manifest",
    "recognise",
]
