"""Which spec and group each file of a deliverable is: the manifest, else the naming convention.

Manifest (``kikan-manifest.json`` or ``kikan-manifest.toml`` at the top level; JSON shown, TOML has the
same keys as ``[[files]]`` tables)::

    {"kikan_manifest": 1,
     "files": [{"path": "jumin/*.csv", "spec": "jumin_kiroku", "group": "住民",
                "encoding": "cp932", "records": 1200}]}

``path`` is a glob over the file's path inside the deliverable (``/`` separators); the first entry that
matches wins; ``group``, ``encoding`` and ``records`` are optional. Files no entry matches fall back to
the naming convention ``<spec_id>__<group name or romaji>.csv`` (``<spec_id>.csv`` for a single-group spec).
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath
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
            by_name = assign_by_name(e.display)
            if by_name is not None:
                e.spec, e.group = by_name


__all__ = ["MANIFEST_NAMES", "ManifestEntry", "assign", "assign_by_name", "read_manifest"]
