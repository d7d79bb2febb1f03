"""A key index for uniqueness and reference checks that spills to disk.

Keys live in a dict until ``spill_at`` keys, then move to a temporary SQLite database, so a
10-million-row export checks in bounded memory. Each key remembers where it was first seen.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from typing import overload

Ref = tuple[int, int]
"""(record, line) of a key's first occurrence."""

DEFAULT_SPILL_AT = 2_000_000


def _unpack(p: int) -> Ref:
    return p >> 32, p & 0xFFFFFFFF


class Refs(Sequence[Ref]):
    """(record, line) pairs kept as two parallel sequences: no tuple per key.

    A chunk's records and lines are usually ranges; their packed refs then form a range too.
    """

    __slots__ = ("lines", "records")

    def __init__(self, records: Sequence[int], lines: Sequence[int]) -> None:
        self.records = records
        self.lines = lines

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, i: int) -> Ref: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Ref]: ...
    def __getitem__(self, i: int | slice) -> Ref | Sequence[Ref]:
        if isinstance(i, slice):
            return Refs(self.records[i], self.lines[i])
        return self.records[i], self.lines[i]

    def packed(self) -> Sequence[int]:
        """Each ref as ``record << 32 | line``."""
        r, ln = self.records, self.lines
        if isinstance(r, range) and isinstance(ln, range) and r.step == ln.step == 1 and len(r):
            first, last = r[0] << 32 | ln[0], r[-1] << 32 | ln[-1]
            return range(first, last + 1, (1 << 32) + 1)
        return [a << 32 | b for a, b in zip(r, ln, strict=True)]


class KeyIndex:
    """First-occurrence index of string keys."""

    def __init__(self, spill_at: int | None = None, tmpdir: str | None = None) -> None:
        env = os.environ.get("KIKAN_STD_SPILL_AT")
        self._spill_at = spill_at if spill_at is not None else int(env) if env else DEFAULT_SPILL_AT
        self._tmpdir = tmpdir
        # In memory a ref is packed into one int (record << 32 | line): a tuple per key would cost
        # about 60 more bytes each, a third of the index for a million keys.
        self._mem: dict[str, int] | None = {}
        self._db: sqlite3.Connection | None = None
        self._path: str | None = None

    @property
    def spilled(self) -> bool:
        """True once the index lives on disk."""
        return self._db is not None

    def __len__(self) -> int:
        if self._mem is not None:
            return len(self._mem)
        assert self._db is not None
        return int(self._db.execute("SELECT count(*) FROM k").fetchone()[0])

    def add_many(self, keys: Sequence[str], refs: Sequence[Ref]) -> list[tuple[int, Ref]]:
        """Add keys in order; return (position in ``keys``, first ref) for each repeated key."""
        dupes: list[tuple[int, Ref]] = []
        mem = self._mem
        if mem is not None:
            packed = refs.packed() if isinstance(refs, Refs) else [r << 32 | ln for r, ln in refs]
            if mem.keys().isdisjoint(keys):
                # The common case, all new: C-level dict operations instead of a Python loop. A key
                # repeated inside the batch keeps its last ref there: put the first ones back.
                n0 = len(mem)
                mem.update(zip(keys, packed, strict=True))
                if len(mem) != n0 + len(keys):
                    seen: dict[str, int] = {}
                    for i, (k, p) in enumerate(zip(keys, packed, strict=True)):
                        f = seen.setdefault(k, p)
                        if f != p:
                            dupes.append((i, _unpack(f)))
                    mem.update(seen)
                if len(mem) > self._spill_at:
                    self._spill()
                return dupes
            setdefault = mem.setdefault
            for i, (k, p) in enumerate(zip(keys, packed, strict=True)):
                first = setdefault(k, p)
                if first != p:
                    dupes.append((i, _unpack(first)))
            if len(mem) > self._spill_at:
                self._spill()
            return dupes
        return self._add_db(keys, refs)

    def get(self, key: str) -> Ref | None:
        """Where ``key`` was first seen, or None."""
        if self._mem is not None:
            p = self._mem.get(key)
            return None if p is None else _unpack(p)
        assert self._db is not None
        row = self._db.execute("SELECT rec, line FROM k WHERE key = ?", (key,)).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def _spill(self) -> None:
        assert self._mem is not None
        fd, self._path = tempfile.mkstemp(prefix="kikan-keys-", suffix=".sqlite", dir=self._tmpdir)
        os.close(fd)
        db = sqlite3.connect(self._path)
        db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;"
            "CREATE TABLE k (key TEXT PRIMARY KEY, rec INTEGER, line INTEGER) WITHOUT ROWID;"
        )
        db.executemany("INSERT INTO k VALUES (?, ?, ?)", ((k, p >> 32, p & 0xFFFFFFFF) for k, p in self._mem.items()))
        db.commit()
        self._db = db
        self._mem = None

    def _add_db(self, keys: Sequence[str], refs: Sequence[Ref]) -> list[tuple[int, Ref]]:
        assert self._db is not None
        db = self._db
        dupes: list[tuple[int, Ref]] = []
        # Existing keys first (in batches below SQLite's parameter limit), then repeats in the batch.
        seen: dict[str, Ref] = {}
        uniq = list(dict.fromkeys(keys))
        for start in range(0, len(uniq), 500):
            part = uniq[start : start + 500]
            q = "SELECT key, rec, line FROM k WHERE key IN (%s)" % ",".join("?" * len(part))  # noqa: UP031
            for key, rec, line in db.execute(q, part):
                seen[key] = (int(rec), int(line))
        new: list[tuple[str, int, int]] = []
        for i, (k, r) in enumerate(zip(keys, refs, strict=True)):
            first = seen.get(k)
            if first is None:
                seen[k] = r
                new.append((k, r[0], r[1]))
            else:
                dupes.append((i, first))
        db.executemany("INSERT INTO k VALUES (?, ?, ?)", new)
        db.commit()
        return dupes

    def close(self) -> None:
        """Drop the index and its temporary file."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None
        self._mem = {}

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
