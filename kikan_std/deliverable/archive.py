"""Listing a deliverable's files safely: a folder as it is, a zip archive entry by entry.

A folder is listed as it is (symbolic links are not followed: DLV005). A zip archive is vetted entry
by entry and copied into a private temporary directory under generated names, refusing archives with
absolute or ``..`` paths, links, too many entries, or an expansion over the limits
(:class:`~kikan_std.errors.UnsafeArchiveError`, a usage problem); a corrupt archive or entry is DLV005.
Every entry is named by its path inside the deliverable (``/``-separated), which is what findings,
reports and baseline fingerprints carry — never the path typed on the command line.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kikan_std.errors import UnsafeArchiveError
from kikan_std.findings import Finding


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on a zip archive's expansion. Declared sizes are checked first, then the bytes
    actually read (a forged header cannot get past them)."""

    max_entries: int = 10_000
    max_total_bytes: int = 8 * 1024**3
    max_entry_bytes: int = 4 * 1024**3
    max_ratio: int = 200  # uncompressed / compressed, per entry (plain CSV compresses ~5–20×)


@dataclass(slots=True)
class Entry:
    """One file of the deliverable: its path inside it, a readable copy, and what it is checked as."""

    display: str  # path inside the deliverable, "/"-separated
    local: Path | None  # readable copy (a folder's own file, or the temporary copy of a zip entry)
    spec: str | None = None
    group: str | None = None
    encoding: str | None = None
    expected_records: int | None = None
    name_encoding: str | None = None  # how a zip member's name was decoded (:func:`member_name`)


def list_dir(root: Path, found: list[Finding]) -> list[Entry]:
    out: list[Entry] = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            found.append(Finding("DLV005", file=rel, params={"reason": "symbolic link not followed / シンボリックリンクは辿りません"}))
            continue
        if p.is_file():
            out.append(Entry(rel, p))
    return out


NameEncoding = str
"""How a zip member's name was decoded: ``ascii``, ``utf-8`` (the UTF-8 flag), ``cp932`` or ``cp437``."""


def member_name(info: zipfile.ZipInfo) -> tuple[str, NameEncoding]:
    """The member's name and how it was decoded, the way real tools read them.

    With the UTF-8 flag (bit 11) the name is UTF-8. Without it, zipfile reads the raw bytes as CP437,
    but Japanese Windows Explorer and Info-ZIP store names in CP932 (where 表 and ソ end in the byte
    of a backslash): the raw bytes are decoded as CP932 strictly, and only when they are not valid
    CP932 is the CP437 reading kept.
    """
    name = info.filename
    if info.flag_bits & 0x800:
        return name, "ascii" if name.isascii() else "utf-8"
    if name.isascii():
        return name, "ascii"
    try:  # zipfile decoded the raw bytes as CP437, which maps every byte: encoding gives them back
        return name.encode("cp437").decode("cp932", errors="strict"), "cp932"
    except UnicodeDecodeError:
        return name, "cp437"


def _safe_member_name(info: zipfile.ZipInfo) -> tuple[str, NameEncoding]:
    name, how = member_name(info)
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
    return pp.as_posix(), how


def list_zip(archive: Path, tmp: Path, limits: Limits, found: list[Finding]) -> list[Entry]:
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
        members: list[tuple[zipfile.ZipInfo, str, str]] = []
        seen: dict[str, int] = {}
        for info in infos:
            member, how = _safe_member_name(info)
            if info.is_dir():
                continue
            seen[member] = seen.get(member, 0) + 1
            if seen[member] > 1:
                # Two members of one name: the later one is named "name#2" so that findings and
                # verdicts blame the member they are about, and the duplicate itself is a finding.
                first = member
                member = f"{member}#{seen[first]}"
                found.append(Finding("DLV013", file=member, params={"name": first, "n": seen[first]}))
            if info.file_size > limits.max_entry_bytes:
                raise UnsafeArchiveError(detail=f"entry too large when expanded: {member} ({info.file_size:,} bytes)")
            if info.file_size > limits.max_ratio * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
                raise UnsafeArchiveError(detail=f"compression ratio over {limits.max_ratio}: {member} ({info.compress_size:,} → {info.file_size:,} bytes)"
                )
            total += info.file_size
            if total > limits.max_total_bytes:
                raise UnsafeArchiveError(detail=f"archive expands beyond {limits.max_total_bytes:,} bytes")
            members.append((info, member, how))
        out: list[Entry] = []
        read_total = 0
        for n, (info, member, how) in enumerate(members):
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
                out.append(Entry(member, None, name_encoding=how))  # kept: a manifest entry for it is not "missing" too
                continue
            out.append(Entry(member, dest, name_encoding=how))
        return out


__all__ = ["Entry", "Limits", "NameEncoding", "list_dir", "list_zip", "member_name"]
