"""Whole-deliverable checks: one run over a folder or zip of many files from several businesses.

A migration deliverable holds the files of several businesses keyed on the same people. This
module

1. lists the files safely — a folder as it is (symbolic links are not followed), a zip archive
   entry by entry into a private temporary directory under generated names, refusing archives with
   absolute or ``..`` paths, links, too many entries, or an expansion over the limits
   (:class:`UnsafeArchiveError`, a usage problem); a corrupt archive or entry is finding DLV005;
2. assigns each CSV file a spec and group from the manifest (``kikan-manifest.json`` or
   ``kikan-manifest.toml`` at the top level) or the naming convention ``<spec_id>__<group>.csv``
   (group = the group's name or romaji; ``<spec_id>.csv`` for a single-group spec);
3. checks every file with the ordinary engine (:func:`kikan_std.engine.run.run_check`), while a
   collector rule writes (宛名番号, 生年月日, 性別, file, record, line) to a temporary SQLite database;
4. runs the cross-file rules in SQL: every 宛名番号 used by a tax or welfare file exists in the
   住民記録 or 住登外者宛名 files (DLV001), and 生年月日 / 性別 agree with them (DLV002 / DLV003);
5. reports per business and per file (:attr:`Report.businesses`).

Manifest (JSON; TOML has the same keys, ``[[files]]`` tables)::

    {"kikan_manifest": 1,
     "files": [{"path": "jumin/*.csv", "spec": "jumin_kiroku", "group": "住民",
                "encoding": "cp932", "records": 1200}]}

``path`` is a glob over the file's path inside the deliverable (``/`` separators); the first
entry that matches wins; ``group``, ``encoding`` and ``records`` are optional (``records`` is
checked: DLV006; an entry matching no file is DLV007). Files no entry matches fall back to the
naming convention.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import json
import multiprocessing
import shutil
import sqlite3
import stat
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from kikan_std._version import __version__
from kikan_std.catalogue import Lang, entry
from kikan_std.engine.run import run_check
from kikan_std.errors import (
    InputError,
    InputNotFoundError,
    ManifestError,
    NotADeliverableError,
    RuleOptionSpecError,
    UnknownEncodingError,
    UnknownGroupError,
    UnsafeArchiveError,
)
from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule
from kikan_std.model.spec import Group, Spec
from kikan_std.options import Options, ProgressFn, resolve_jobs
from kikan_std.report.model import (
    BusinessResult,
    FileResult,
    FindingOut,
    InputInfo,
    Report,
    RuleNotRunOut,
    SpecRef,
    Stats,
)
from kikan_std.report.render import finding_out
from kikan_std.specs import BUILTIN, load_spec, person_columns, rules_for

MANIFEST_NAMES = ("kikan-manifest.json", "kikan-manifest.toml")
REGISTRY_SPECS = frozenset({"jumin_kiroku", "jutogai_atena"})
"""Specs whose files define the people (宛名番号) the other businesses refer to."""

DELIVERABLE_SPEC = SpecRef(
    id="deliverable", edition="-", title="移行データ一式（業務横断の検査）/ migration deliverable", provenance="modeled"
)


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on a zip archive's expansion. Declared sizes are checked first, then the bytes
    actually read (a forged header cannot get past them)."""

    max_entries: int = 10_000
    max_total_bytes: int = 8 * 1024**3
    max_entry_bytes: int = 4 * 1024**3
    max_ratio: int = 200  # uncompressed / compressed, per entry (plain CSV compresses ~5–20×)


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Columns of a group that name a person: 宛名番号 and, where present, 生年月日 and 性別."""

    atena: str
    birth: str | None = None
    sex: str | None = None


def person_refs(spec_id: str, group: Group) -> tuple[PersonRef, ...]:
    """The person columns of ``group`` used by the cross-file rules (declared by the spec's edition module)."""
    return tuple(PersonRef(p.atena, p.birth, p.sex) for p in person_columns(spec_id, group))


@dataclass(slots=True)
class _Entry:
    display: str  # path inside the deliverable, "/"-separated
    local: Path | None  # readable copy (a folder's own file, or the temporary copy of a zip entry)
    spec: str | None = None
    group: str | None = None
    encoding: str | None = None
    expected_records: int | None = None


@dataclass(slots=True)
class _ManifestEntry:
    pattern: str
    spec: str
    group: str | None
    encoding: str | None
    records: int | None
    used: bool = False


# -- listing ------------------------------------------------------------------------------------


def _list_dir(root: Path, found: list[Finding]) -> list[_Entry]:
    out: list[_Entry] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            found.append(Finding("DLV005", file=rel, params={"reason": "symbolic link not followed / シンボリックリンクは辿りません"}))
            continue
        if p.is_file():
            out.append(_Entry(rel, p))
    return out


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name. Without the UTF-8 flag zipfile reads a name as CP437, but Explorer on Japanese
    Windows stores names in CP932 (where 表 and ソ end in the byte of a backslash): read those as CP932."""
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("cp932")
    except UnicodeError:
        return name


def _safe_member_name(info: zipfile.ZipInfo) -> str:
    name = _member_name(info)
    if "\\" in name:  # a Windows separator would turn into a path on some extractors
        raise UnsafeArchiveError(detail=f"unsafe path in archive (backslash): {name!r}")
    pp = PurePosixPath(name)
    if pp.is_absolute() or (pp.parts and pp.parts[0].endswith(":")):
        raise UnsafeArchiveError(detail=f"unsafe path in archive (absolute): {name!r}")
    if ".." in pp.parts:
        raise UnsafeArchiveError(detail=f"unsafe path in archive (..): {name!r}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchiveError(detail=f"symbolic link in archive: {name!r}")
    return pp.as_posix()


def _list_zip(archive: Path, tmp: Path, limits: Limits, found: list[Finding]) -> list[_Entry]:
    """Vet every entry, then copy the files into ``tmp`` under generated names."""
    name = archive.name
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as e:
        found.append(Finding("DLV005", file=name, params={"reason": f"{type(e).__name__}: {e}"}))
        return []
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise UnsafeArchiveError(detail=f"too many entries in archive: {len(infos)} > {limits.max_entries}")
        total = 0
        members: list[tuple[zipfile.ZipInfo, str]] = []
        for info in infos:
            member = _safe_member_name(info)
            if info.is_dir():
                continue
            if info.file_size > limits.max_entry_bytes:
                raise UnsafeArchiveError(detail=f"entry too large when expanded: {member} ({info.file_size:,} bytes)")
            if info.file_size > limits.max_ratio * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
                raise UnsafeArchiveError(
                    detail=f"compression ratio over {limits.max_ratio}: {member} ({info.compress_size:,} → {info.file_size:,} bytes)"
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise UnsafeArchiveError(detail=f"archive expands beyond {limits.max_total_bytes:,} bytes")
            members.append((info, member))
        out: list[_Entry] = []
        read_total = 0
        for n, (info, member) in enumerate(members):
            # A generated directory and the member's base name only: no member name becomes a path.
            dest_dir = tmp / f"e{n:05d}"
            dest_dir.mkdir()
            base = PurePosixPath(member).name or f"entry{n}"
            dest = dest_dir / base
            written = 0
            try:
                with zf.open(info) as src, dest.open("wb") as dst:
                    while block := src.read(1024 * 1024):
                        written += len(block)
                        read_total += len(block)
                        if written > max(info.file_size, 0) or written > limits.max_entry_bytes:
                            raise UnsafeArchiveError(detail=f"entry expands beyond its declared size: {member}")
                        if read_total > limits.max_total_bytes:
                            raise UnsafeArchiveError(detail=f"archive expands beyond {limits.max_total_bytes:,} bytes")
                        dst.write(block)
            except UnsafeArchiveError:
                dest.unlink(missing_ok=True)
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as e:
                dest.unlink(missing_ok=True)
                found.append(Finding("DLV005", file=member, params={"reason": f"{type(e).__name__}: {e}"}))
                out.append(_Entry(member, None))  # kept so a manifest entry for it is not "missing" too
                continue
            out.append(_Entry(member, dest))
        return out


# -- assignment ---------------------------------------------------------------------------------


def _read_manifest(entries: list[_Entry]) -> tuple[list[_ManifestEntry], str]:
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


def _parse_manifest(doc: Any, name: str) -> list[_ManifestEntry]:
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
            except UnknownGroupError:
                raise ManifestError(path=name, detail=f"files[{i}] unknown group {group!r} of {f['spec']}") from None
        out.append(_ManifestEntry(f["path"], f["spec"], group, f.get("encoding"), records))
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


def _assign(entries: list[_Entry], manifest: list[_ManifestEntry], base: str) -> None:
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


# -- the cross-file collector -------------------------------------------------------------------


PEOPLE_COLUMNS = ("atena", "birth", "sex", "registry", "spec", "file", "record", "line", "atena_item", "birth_item",
                  "sex_item")
"""What the deliverable collects about each reference to a person (one row per record and 宛名番号 item)."""


class _People:
    """A temporary SQLite database of who each file refers to (on disk: large deliverables fit)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE refs (atena TEXT, birth TEXT, sex TEXT, registry INTEGER, spec TEXT, file TEXT,"
            " record INTEGER, line INTEGER, atena_item TEXT, birth_item TEXT, sex_item TEXT);"
        )

    def rule(self, spec_id: str) -> DatasetRule:
        registry = 1 if spec_id in REGISTRY_SPECS else 0
        db = self.db

        class _State:
            def __init__(self, group: Group) -> None:
                self.refs = person_refs(spec_id, group)

            def feed(self, view: ChunkView) -> Iterable[Finding]:
                blank = ("",) * len(view)
                for ref in self.refs:
                    atena = view.col(ref.atena)
                    if atena is None:
                        continue  # the missing column is CSV004 already
                    birth = view.col(ref.birth) if ref.birth else None
                    sex = view.col(ref.sex) if ref.sex else None
                    db.executemany(
                        "INSERT INTO refs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            (a, b, s, registry, spec_id, view.file, r, ln, ref.atena, ref.birth, ref.sex)
                            for a, b, s, r, ln in zip(atena, birth or blank, sex or blank, view.records, view.lines,
                                                      strict=True)
                            if a
                        ],
                    )
                return ()

            def finish(self) -> Iterable[Finding]:
                return ()

        return DatasetRule(name="deliverable_collect_people", codes=(), clause="-", factory=_State)

    def cross_file(self, registry_files: list[str]) -> Iterator[Finding]:
        db = self.db
        db.execute("CREATE INDEX refs_atena ON refs (atena, registry)")
        registry = ", ".join(registry_files)
        for file, record, line, atena, item in db.execute(
            "SELECT file, record, line, atena, atena_item FROM refs u WHERE registry = 0 AND NOT EXISTS"
            " (SELECT 1 FROM refs r WHERE r.registry = 1 AND r.atena = u.atena) ORDER BY file, record, atena_item"
        ):
            yield Finding("DLV001", file=file, record=record, line=line, item=item, value=atena,
                          keys={item: atena}, params={"registry": registry})
        for code, col, item_col, skip in (("DLV002", "birth", "birth_item", ("",)), ("DLV003", "sex", "sex_item", ("", "0"))):
            marks = ", ".join("?" for _ in skip)
            sql = (
                f"SELECT u.file, u.record, u.line, u.atena, u.atena_item, u.{col}, u.{item_col},"
                f" r.file, MIN(r.record), r.line FROM refs u JOIN refs r ON r.atena = u.atena AND r.registry = 1"
                f" WHERE u.registry = 0 AND u.{col} NOT IN ({marks}) AND r.{col} NOT IN ({marks})"
                f" AND NOT EXISTS (SELECT 1 FROM refs r2 WHERE r2.registry = 1 AND r2.atena = u.atena"
                f" AND r2.{col} = u.{col})"
                f" GROUP BY u.file, u.record, u.atena_item ORDER BY u.file, u.record"
            )
            for file, record, line, atena, aitem, value, item, ofile, orec, oline in db.execute(sql, (*skip, *skip)):
                yield Finding(code, file=file, record=record, line=line, item=item, value=value, personal=True,
                              keys={aitem: atena}, related=[(orec, oline)],
                              params={"atena": atena, "other_file": ofile, "other_record": orec, "other_line": oline})

    def merge(self, path: Path) -> None:
        """Add the rows a worker process collected in its own database."""
        self.db.execute("ATTACH DATABASE ? AS part", (str(path),))
        self.db.execute("INSERT INTO refs SELECT * FROM part.refs")
        self.db.commit()
        self.db.execute("DETACH DATABASE part")

    def close(self) -> None:
        self.db.close()


def _check_file(spec_id: str, local: Path, display: str, opts: Options, people_path: Path | None,
                people: _People | None = None, progress: ProgressFn | None = None) -> Report | str:
    """Check one file of the deliverable, collecting who it refers to; an input error as text."""
    spec = load_spec(spec_id)
    rules = rules_for(spec)
    own = people is None
    if people is None:
        assert people_path is not None
        people = _People(people_path)
    try:
        return run_check([local], spec, rules.record_rules, (*rules.dataset_rules, people.rule(spec_id)), opts,
                         progress, displays=[display])
    except UnknownEncodingError:
        raise  # the run's own setting, not this file's problem: the whole check stops (exit 2)
    except InputError as err:
        return str(err)
    finally:
        if own:
            people.db.commit()
            people.close()


Task = tuple["_Entry", str, Options]
"""(entry, spec id, options) of one file to check."""


class Backend(Protocol):
    """Where the files of a deliverable are checked and its cross-file rules run."""

    def run_files(self, tasks: list[Task], people: _People, tmp: Path, progress: ProgressFn | None) -> list[Report | str]:
        """Each file's report (or input error text), in task order; who they refer to goes to ``people``
        (or wherever :meth:`cross_file` finds it)."""
        ...

    def cross_file(self, people: _People, registry_files: list[str]) -> Iterable[Finding]:
        """DLV001–DLV003 over everything the files referred to."""
        ...


@dataclass(slots=True)
class LocalBackend:
    """This machine: ``jobs`` processes, the cross-file rules in SQLite."""

    jobs: int = 1

    def run_files(self, tasks: list[Task], people: _People, tmp: Path, progress: ProgressFn | None) -> list[Report | str]:
        return _run_files(tasks, people, tmp, self.jobs, progress)

    def cross_file(self, people: _People, registry_files: list[str]) -> Iterable[Finding]:
        return people.cross_file(registry_files)


def check_file_rows(spec_id: str, local: Path, display: str, opts: Options) -> tuple[Report | str, list[tuple[Any, ...]]]:
    """Check one file in this process (e.g. on a Dask worker); return its report and the rows of
    who it refers to (the columns of :data:`PEOPLE_COLUMNS`)."""
    with tempfile.TemporaryDirectory(prefix="kikan-people-") as d:
        path = Path(d) / "people.sqlite"
        result = _check_file(spec_id, local, display, opts, path)
        db = sqlite3.connect(path)
        try:
            rows = db.execute("SELECT * FROM refs").fetchall()
        finally:
            db.close()
    return result, rows


def _local(e: _Entry) -> Path:
    assert e.local is not None  # entries without a readable file never become tasks
    return e.local


def _run_files(tasks: list[tuple[_Entry, str, Options]], people: _People, tmp: Path, jobs: int,
               progress: ProgressFn | None) -> list[Report | str]:
    """Each file's report (or input error) in task order, checked in ``jobs`` processes at once.

    Workers collect into databases of their own, merged afterwards in task order, so the
    cross-file findings do not depend on how the work was split.
    """
    if jobs <= 1 or len(tasks) <= 1:
        return [_check_file(spec_id, _local(e), e.display, opts, None, people, progress) for e, spec_id, opts in tasks]
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    paths = [tmp / f"people-{n:05d}.sqlite" for n in range(len(tasks))]
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        futures = [pool.submit(_check_file, spec_id, _local(e), e.display, opts, path)
                   for (e, spec_id, opts), path in zip(tasks, paths, strict=True)]
        results = [f.result() for f in futures]
    for path in paths:
        if path.exists():
            people.merge(path)
            path.unlink()
    return results


# -- the run ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Acc:
    findings: list[FindingOut] = field(default_factory=list)
    by_code: dict[str, int] = field(default_factory=dict)
    by_severity: dict[str, int] = field(default_factory=lambda: {"error": 0, "warning": 0, "info": 0})
    capped: bool = False
    not_run: list[RuleNotRunOut] = field(default_factory=list)
    file_severity: dict[tuple[str, str], int] = field(default_factory=dict)  # complete, not capped

    def add_report(self, r: Report) -> None:
        self.findings.extend(r.findings)
        for k, v in r.stats.findings_by_severity.items():
            key = (r.inputs[0].file, k)
            self.file_severity[key] = self.file_severity.get(key, 0) + v
        for k, v in r.stats.findings_by_code.items():
            self.by_code[k] = self.by_code.get(k, 0) + v
        for k, v in r.stats.findings_by_severity.items():
            self.by_severity[k] = self.by_severity.get(k, 0) + v
        self.capped |= r.stats.capped
        self.not_run.extend(r.rules_not_run)

    def add(self, f: Finding, lang: Lang, show_values: bool, cap: int | None) -> None:
        n = self.by_code.get(f.code, 0) + 1
        self.by_code[f.code] = n
        sev = f.severity or entry(f.code).severity
        self.by_severity[sev] = self.by_severity.get(sev, 0) + 1
        self.file_severity[(f.file, sev)] = self.file_severity.get((f.file, sev), 0) + 1
        if cap is None or n <= cap:
            self.findings.append(finding_out(f, lang, show_values))
        else:
            self.capped = True


def check_deliverable(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    lang: Lang = "ja",
    show_values: bool = False,
    max_findings: int | None = 1000,
    limits: Limits | None = None,
    progress: ProgressFn | None = None,
    rule_options: Mapping[str, Mapping[str, str]] | None = None,
    jobs: int | Literal["auto"] = 1,
    backend: Backend | None = None,
) -> Report:
    """Check a whole deliverable (a folder or a .zip) and return one report.

    Args:
        path: The deliverable folder or zip archive.
        encoding: Encoding of files the manifest gives none for.
        lang: Message language.
        show_values: Show personal values unmasked.
        max_findings: Findings stored per code and file (statistics stay complete).
        limits: Bounds on a zip's expansion (:class:`Limits`).
        progress: Called with (file, records so far).
        rule_options: Per-spec rule options, ``{spec_id: {name: value}}``.
        jobs: Files checked at once in separate processes (``"auto"``: as many as this process may use
            CPUs); the report is the same as with 1.
        backend: Where files are checked and the cross-file rules run (default: this machine,
            ``jobs`` processes, SQLite); :func:`kikan_std.dask.check_deliverable` passes a Dask one.

    Raises:
        InputError: the path does not exist (InputNotFoundError) or is neither a folder nor a zip
            (NotADeliverableError); a bad manifest (ManifestError); an unknown encoding (UnknownEncodingError).
        UnsafeArchiveError: a zip archive with unsafe paths or links, or over the limits.
        RuleOptionError: a bad rule option, or options for a spec that is not built in (RuleOptionSpecError).
    """
    root = Path(path)
    if not root.exists():
        raise InputNotFoundError(path=path)
    if not root.is_dir() and not zipfile.is_zipfile(root) and root.suffix.lower() != ".zip":
        raise NotADeliverableError(path=path)
    lim = limits or Limits()
    backend = backend or LocalBackend(resolve_jobs(jobs))
    cap = max_findings
    found: list[Finding] = []
    acc = _Acc()
    inputs: list[InputInfo] = []
    options_by_spec = {k: dict(v) for k, v in (rule_options or {}).items()}
    for sid in options_by_spec:
        if sid not in BUILTIN:
            raise RuleOptionSpecError(spec_id=sid)
    with tempfile.TemporaryDirectory(prefix="kikan-deliverable-") as tmpname:
        tmp = Path(tmpname)
        try:
            if root.is_dir():
                entries = _list_dir(root, found)
            else:
                (tmp / "files").mkdir()
                entries = _list_zip(root, tmp / "files", lim, found)
            manifest, base = _read_manifest(entries)
            _assign(entries, manifest, base)
            people = _People(tmp / "people.sqlite")
            try:
                registry_files: list[str] = []
                tasks: list[tuple[_Entry, str, Options]] = []
                for e in entries:
                    if PurePosixPath(e.display).name in MANIFEST_NAMES or e.local is None:
                        continue  # the manifest itself; an unreadable entry (DLV005 already)
                    if e.spec is None:
                        csv_like = e.display.lower().endswith((".csv", ".tsv"))
                        found.append(Finding("DLV004" if csv_like else "DLV008", file=e.display))
                        continue
                    rules = rules_for(load_spec(e.spec))
                    opts = Options(encoding=e.encoding or encoding, lang=lang, show_values=show_values,
                                   max_findings=max_findings, group=e.group,
                                   rule_options=rules.resolve_options(options_by_spec.get(e.spec)))
                    tasks.append((e, e.spec, opts))
                results = backend.run_files(tasks, people, tmp, progress)
                for (e, spec_id, _), result in zip(tasks, results, strict=True):
                    if isinstance(result, str):
                        found.append(Finding("DLV005", file=e.display, params={"reason": result}))
                        continue
                    rep = result
                    acc.add_report(rep)
                    info = rep.inputs[0].model_copy(update={"spec": spec_id})
                    inputs.append(info)
                    if spec_id in REGISTRY_SPECS:
                        registry_files.append(e.display)
                    if e.expected_records is not None and info.records != e.expected_records:
                        found.append(Finding("DLV006", file=e.display,
                                             params={"records": info.records, "expected": e.expected_records}))
                for m in manifest:
                    if not m.used:
                        found.append(Finding("DLV007", file="", params={"pattern": m.pattern}))
                users = any(i.spec not in REGISTRY_SPECS for i in inputs)
                if users and not registry_files:
                    reason = ("住民記録・住登外者宛名のファイルがないため宛名番号を照合できません / "
                              "no 住民記録 or 住登外者宛名 file: 宛名番号 cannot be cross-checked")
                    acc.not_run.append(RuleNotRunOut(rule="deliverable_cross_file", file=root.name, reason=reason))
                    found.append(Finding("SYS002", file=root.name,
                                         params={"rule": "deliverable_cross_file", "reason": reason}))
                elif users:
                    found.extend(backend.cross_file(people, registry_files))
            finally:
                if "people" in locals():
                    people.close()
        finally:
            shutil.rmtree(tmp / "files", ignore_errors=True)
    for f in found:
        acc.add(f, lang, show_values, cap)
    acc.findings.sort(key=lambda f: (f.file, f.record or 0, f.line or 0, f.code))
    businesses = _businesses(inputs, acc.file_severity)
    errors = acc.by_severity.get("error", 0)
    return Report(
        tool={"name": "kikan-std", "version": __version__},
        valid=errors == 0 and not acc.not_run,
        spec=DELIVERABLE_SPEC,
        generated_at=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        lang=lang,
        values_shown=show_values,
        inputs=inputs,
        rules_not_run=acc.not_run,
        stats=Stats(
            records={i.file: i.records for i in inputs},
            findings_by_code=dict(sorted(acc.by_code.items())),
            findings_by_severity={k: acc.by_severity.get(k, 0) for k in ("error", "warning", "info")},
            total_findings=sum(acc.by_code.values()),
            stored_findings=len(acc.findings),
            capped=acc.capped,
        ),
        findings=acc.findings,
        businesses=businesses,
    )


def _businesses(inputs: list[InputInfo], sev: dict[tuple[str, str], int]) -> list[BusinessResult]:
    """Per business, per file: records and error/warning counts (cross-file findings included)."""
    out: list[BusinessResult] = []
    for sid in BUILTIN:
        mine = [i for i in inputs if i.spec == sid]
        if not mine:
            continue
        spec: Spec = load_spec(sid)
        files = [
            FileResult(file=i.file, group=i.group, records=i.records, errors=sev.get((i.file, "error"), 0),
                       warnings=sev.get((i.file, "warning"), 0), valid=sev.get((i.file, "error"), 0) == 0)
            for i in mine
        ]
        out.append(BusinessResult(
            spec=SpecRef(id=spec.id, edition=spec.edition, title=spec.title, provenance=spec.provenance),
            files=files, records=sum(f.records for f in files), errors=sum(f.errors for f in files),
            warnings=sum(f.warnings for f in files), valid=all(f.valid for f in files),
        ))
    return out


__all__ = ["Limits", "PersonRef", "UnsafeArchiveError", "assign_by_name", "check_deliverable", "person_refs"]
