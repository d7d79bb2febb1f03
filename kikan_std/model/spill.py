"""Where state that grows with the data goes once it gets big: the threshold, and a SQLite table
that starts in memory and moves to a temporary file.

Used by the key index (:mod:`kikan_std.engine.keys`) and by dataset rules whose state grows with the
rows (住民記録 histories and households, 固定資産税 co-ownership shares): bounded memory on large
files, the same results either way.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sqlite3
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from kikan_std.errors import SpillThresholdError

DEFAULT_SPILL_AT = 2_000_000
"""Rows or keys kept in memory before spilling, unless ``KIKAN_STD_SPILL_AT`` says otherwise."""


def spill_threshold() -> int:
    """``KIKAN_STD_SPILL_AT`` if set, else :data:`DEFAULT_SPILL_AT`.

    Raises:
        SpillThresholdError: the variable is not a whole number >= 0 (a usage problem, exit 2).
    """
    env = os.environ.get("KIKAN_STD_SPILL_AT")
    if not env:
        return DEFAULT_SPILL_AT
    if not (env.isascii() and env.isdigit()):
        raise SpillThresholdError(value=repr(env))
    return int(env)


def write_batch(f: IO[bytes], batch: Any) -> None:
    """Append ``batch`` (lists, tuples, str, int …) to ``f`` as a length-prefixed marshal record.

    Length-prefixed because ``marshal.load`` on a file reads item by item through Python calls
    (slow), while ``marshal.loads`` on the bytes read at once is one C call.
    """
    data = marshal.dumps(batch)
    f.write(len(data).to_bytes(8, "little") + data)


def read_batches(f: IO[bytes]) -> Iterator[Any]:
    """The batches :func:`write_batch` appended to ``f``, from its current position, in order."""
    while size := f.read(8):
        yield marshal.loads(f.read(int.from_bytes(size, "little")))


class SpillTable:
    """A SQLite database in memory that moves to a temporary file once it holds ``spill_threshold()`` rows."""

    def __init__(self, schema: str) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.executescript(schema)
        self.rows = 0
        self.spill_at = spill_threshold()
        self.path: str | None = None
        self._cleanup: Callable[[], None] | None = None

    @property
    def spilled(self) -> bool:
        """True once the table lives on disk."""
        return self.path is not None

    def insert(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Insert ``rows``; spill to disk when past the threshold."""
        self.db.executemany(sql, rows)
        self.rows += len(rows)
        if self.path is None and self.rows > self.spill_at:
            self._spill()

    def _spill(self) -> None:
        fd, path = tempfile.mkstemp(prefix="kikan-state-", suffix=".sqlite")
        os.close(fd)
        disk = sqlite3.connect(path)
        self.db.commit()
        self.db.backup(disk)
        self.db.close()
        disk.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=FILE;")
        self.db, self.path = disk, path
        # Remove the file even if close() is never reached (a crash elsewhere in the run).
        self._cleanup = weakref.finalize(self, _remove, disk, path)

    def close(self) -> None:
        """Close the table and delete its spill file."""
        if self._cleanup is not None:
            self._cleanup()
        else:
            self.db.close()


def _remove(db: sqlite3.Connection, path: str) -> None:
    db.close()
    with contextlib.suppress(OSError):
        os.unlink(path)
