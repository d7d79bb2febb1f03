"""Streamed multipart uploads with limits, stored under server-made names.

The body is parsed as it arrives (python-multipart's push parser): bytes are counted against the
request's limit and parsing stops at the first byte over it, so an oversize upload is never stored
whole. File parts are written to ``NNNN.part`` files in the run's own folder; the client's file name
is only a label, checked before it is used as the leaf name of a file in a server-made folder.
Folder uploads are packed into a zip whose entry names are the client's relative paths, so the
deliverable module's zip hardening judges them (no client path touches the file system).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import MultipartParser, parse_options_header

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 10_000

_BAD_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


class UploadRefused(Exception):
    """A request refused before anything is checked; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(slots=True)
class UploadedFile:
    """One file part: the form field, the client's name (a label only) and where we stored it."""

    field: str
    label: str
    path: Path
    size: int = 0


@dataclass(slots=True)
class Upload:
    """A parsed form: text fields and the stored file parts."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def of(self, *names: str) -> list[UploadedFile]:
        return [f for f in self.files if f.field in names]


def safe_leaf(name: str) -> str:
    """The client's file name if it is a plain leaf name; else :class:`UploadRefused` (400).

    No separators, no ``.``/``..``, no control or reserved characters, no leading dot, at most 200
    characters. Only such a name is ever used as the last component of a path in a server-made folder.
    """
    leaf = unicodedata.normalize("NFC", name)
    if not leaf or len(leaf) > 200 or leaf in (".", "..") or leaf.startswith(".") or _BAD_CHARS.search(leaf):
        raise UploadRefused(
            400,
            f"ファイル名が不正です（フォルダ区切り・制御文字・.. は使えません）/ bad file name: {name!r}",
        )
    return leaf


def safe_relative(name: str) -> str:
    """A folder upload's relative path (``a/b/c.csv``) whose every component is a plain leaf name."""
    parts = name.split("/")
    if len(parts) > 32:
        raise UploadRefused(400, f"フォルダが深すぎます / folder too deep: {name!r}")
    return "/".join(safe_leaf(p) for p in parts)


async def receive_upload(
    stream: AsyncIterator[bytes], content_type: str, dest: Path, max_bytes: int, folder_fields: tuple[str, ...] = ()
) -> Upload:
    """Parse a multipart body from ``stream`` into ``dest`` (which must exist and be empty).

    Raises:
        UploadRefused: 415 not multipart/form-data, 413 over ``max_bytes`` or too many parts or a text
            field over 64 KiB, 400 a malformed body or a bad file name. Files written so far stay in
            ``dest`` for the caller to delete with the folder.
    """
    ctype, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise UploadRefused(
            415, "multipart/form-data で送信してください / send the files as multipart/form-data"
        )
    out = Upload()
    state: dict[str, object] = {}
    headers: dict[bytes, bytes] = {}
    field_buf = bytearray()
    cur_file: list[IO[bytes] | None] = [None]
    cur_name: list[bytes] = [b""]

    def on_part_begin() -> None:
        headers.clear()
        field_buf.clear()
        state["filename"] = None
        if len(out.files) + len(out.fields) >= MAX_PARTS:
            raise UploadRefused(413, f"ファイルが多すぎます（上限 {MAX_PARTS}）/ too many parts")

    def on_header_field(data: bytes, start: int, end: int) -> None:
        cur_name[0] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        key = cur_name[0].lower()
        headers[key] = headers.get(key, b"") + data[start:end]

    def on_header_end() -> None:
        cur_name[0] = b""

    def on_headers_finished() -> None:
        _, disp = parse_options_header(headers.get(b"content-disposition", b""))
        name = disp.get(b"name", b"").decode("utf-8", "replace")
        state["field"] = name
        if b"filename" in disp:
            raw = disp[b"filename"].decode("utf-8", "replace")
            if raw == "":  # an empty file input sends a part with an empty file name: ignore it
                state["filename"] = ""
                return
            label = safe_relative(raw) if name in folder_fields else safe_leaf(raw)
            path = dest / f"{len(out.files):04d}.part"
            out.files.append(UploadedFile(name, label, path))
            state["filename"] = label
            cur_file[0] = path.open("wb")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        f = cur_file[0]
        if f is not None:
            f.write(data[start:end])
            out.files[-1].size += end - start
        elif state.get("filename") is None:
            field_buf.extend(data[start:end])
            if len(field_buf) > MAX_FIELD_BYTES:
                raise UploadRefused(413, "入力欄の値が長すぎます / form field too long")

    def on_part_end() -> None:
        f = cur_file[0]
        if f is not None:
            f.close()
            cur_file[0] = None
        elif state.get("filename") is None:
            out.fields[str(state.get("field", ""))] = field_buf.decode("utf-8", "replace")

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
        },
    )
    total = 0
    try:
        async for chunk in stream:
            total += len(chunk)
            if total > max_bytes:
                raise UploadRefused(
                    413,
                    f"アップロードが大きすぎます（上限 {max_bytes // (1024 * 1024):,} MiB）/ upload too large",
                )
            parser.write(chunk)
        parser.finalize()
    except UploadRefused:
        raise
    except Exception as e:  # python-multipart raises its own errors on a malformed body
        raise UploadRefused(400, f"送信内容を解釈できません / malformed multipart body: {type(e).__name__}") from None
    finally:
        f = cur_file[0]
        if f is not None:
            f.close()
    return out


def pack_folder(files: list[UploadedFile], target: Path) -> Path:
    """Pack a folder upload into a zip at ``target`` (entries named by the checked relative paths) and
    delete the parts. The common top folder (the one the user picked) is dropped."""
    names = [f.label for f in files]
    tops = {n.split("/", 1)[0] for n in names}
    strip = len(tops) == 1 and all("/" in n for n in names)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for f in files:
            arc = f.label.split("/", 1)[1] if strip else f.label
            zf.write(f.path, arc)
            f.path.unlink()
    return target
