"""A key index for uniqueness checks that spills to disk.

Keys live in a dict until ``spill_at`` keys. Then they move to temporary files partitioned by the
key's hash (the external hash partitioning of databases and MapReduce): new keys are only
appended, and :meth:`KeyIndex.finish` finds the repeats one partition at a time, so a file of any
size checks in bounded memory at a steady rate. A B-tree on disk (SQLite, used here before) cost
~2–6 µs per key and slows down as it outgrows the page cache; an append costs ~0.1 µs.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, overload

from kikan_std.model import spill

Ref = tuple[int, int]
"""(record, line) of a key's first occurrence."""


PARTITIONS = 256
"""Spill partitions: 10^8 keys make ~400,000 per partition, a dict of ~40 MB at the end."""

_FLUSH_AT = 65_536
"""Buffered (key, ref) pairs written out together."""


def _unpack(p: int) -> Ref:
    return p >> 32, p & 0xFFFFFFFF


class Refs(Sequence[Ref]):
    """(record, line) refs kept packed (``record << 32 | line``): no tuple per key.

    All are shifted by ``offset`` (a packed ref too): what a part of a file split for ``--jobs``
    hands back is its own numbering, shifted by what the earlier parts held (no carry: a line
    number stays below 2**32).
    """

    __slots__ = ("_offset", "_packed")

    def __init__(self, packed: Sequence[int], offset: int = 0) -> None:
        self._packed = packed
        self._offset = offset

    @classmethod
    def of(cls, records: Sequence[int], lines: Sequence[int]) -> Refs:
        """The refs of parallel records and lines; a chunk's are ranges, and then so are its refs."""
        if isinstance(records, range) and isinstance(lines, range) and records.step == lines.step == 1 and records:
            first, last = records[0] << 32 | lines[0], records[-1] << 32 | lines[-1]
            return cls(range(first, last + 1, (1 << 32) + 1))
        return cls([r << 32 | ln for r, ln in zip(records, lines, strict=True)])

    def __len__(self) -> int:
        return len(self._packed)

    @overload
    def __getitem__(self, i: int) -> Ref: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Ref]: ...
    def __getitem__(self, i: int | slice) -> Ref | Sequence[Ref]:
        if isinstance(i, slice):
            return Refs(self._packed[i], self._offset)
        return _unpack(self._packed[i] + self._offset)

    def packed(self) -> Sequence[int]:
        """Each ref as ``record << 32 | line``."""
        if not self._offset:
            return self._packed
        off = self._offset
        return [p + off for p in self._packed]


class KeyIndex:
    """First-occurrence index of string keys.

    In memory, :meth:`add_many` reports each repeated key at once. Once spilled, repeats are
    reported by :meth:`finish` (call it once, after the last :meth:`add_many`), still each with the
    ref where the key was first seen. (Their findings then carry no JSON pointer / XPath: the
    chunk that held them is gone.)
    """

    def __init__(self, spill_at: int | None = None, tmpdir: str | None = None) -> None:
        self._spill_at = spill_at if spill_at is not None else spill.spill_threshold()
        self._tmpdir = tmpdir
        # In memory a ref is packed into one int (record << 32 | line): a tuple per key would cost
        # about 60 more bytes each, a third of the index for a million keys.
        self._mem: dict[str, int] | None = {}
        self._dir: Path | None = None
        self._files: list[BinaryIO] = []
        self._buffers: list[list[str | int]] = []
        self._buffered = 0

    @property
    def spilled(self) -> bool:
        """True once the index lives on disk."""
        return self._mem is None

    def __len__(self) -> int:
        if self._mem is not None:
            return len(self._mem)
        return sum(len(firsts) for firsts, _ in self._partitions())

    def add_many(self, keys: Sequence[str], refs: Sequence[Ref]) -> list[tuple[int, Ref]]:
        """Add keys in order; return (position in ``keys``, first ref) for each repeated key.

        Once spilled, nothing is returned: :meth:`finish` reports the repeats.
        """
        dupes: list[tuple[int, Ref]] = []
        packed = refs.packed() if isinstance(refs, Refs) else [r << 32 | ln for r, ln in refs]
        mem = self._mem
        if mem is None:
            self._append(keys, packed)
            return dupes
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
        else:
            setdefault = mem.setdefault
            for i, (k, p) in enumerate(zip(keys, packed, strict=True)):
                first = setdefault(k, p)
                if first != p:
                    dupes.append((i, _unpack(first)))
        if len(mem) > self._spill_at:
            self._spill()
        return dupes

    def finish(self) -> list[tuple[str, Ref, Ref]]:
        """(key, ref, first ref) of every repeat added since the index spilled, in file order.

        :meth:`add_many` reported the repeats before the spill; call this once, at the end.
        """
        if self._mem is not None:
            return []
        out: list[tuple[int, str, Ref, Ref]] = []
        for firsts, repeats in self._partitions():
            out += [(p, k, _unpack(p), _unpack(firsts[k])) for k, p in repeats]
        out.sort(key=lambda t: t[0])  # packed refs grow with the position in the file
        return [(k, ref, first) for _, k, ref, first in out]

    def get(self, key: str) -> Ref | None:
        """Where ``key`` was first seen, or None."""
        if self._mem is not None:
            p = self._mem.get(key)
            return None if p is None else _unpack(p)
        self._flush()
        firsts, _ = self._partition(hash(key) % PARTITIONS)
        p = firsts.get(key)
        return None if p is None else _unpack(p)

    def contains_many(self, keys: Sequence[str]) -> list[bool]:
        """Whether each of ``keys`` has been added (a :class:`~kikan_std.model.rules.KeyLookup`).

        Once spilled, each partition that holds a looked-up key is read once per call: ask for many
        keys at a time.
        """
        mem = self._mem
        if mem is not None:
            return [k in mem for k in keys]
        self._flush()
        wanted: dict[int, list[int]] = {}
        for i, k in enumerate(keys):
            wanted.setdefault(hash(k) % PARTITIONS, []).append(i)
        found = [False] * len(keys)
        for part, positions in wanted.items():
            firsts, _ = self._partition(part)
            for i in positions:
                found[i] = keys[i] in firsts
        return found

    def _spill(self) -> None:
        assert self._mem is not None
        self._dir = Path(tempfile.mkdtemp(prefix="kikan-keys-", dir=self._tmpdir))
        self._files = [(self._dir / f"{i:03d}").open("w+b") for i in range(PARTITIONS)]
        self._buffers = [[] for _ in range(PARTITIONS)]
        mem, self._mem = self._mem, None
        items = iter(mem.items())
        while batch := list(itertools.islice(items, _FLUSH_AT)):  # no full copy of the keys
            keys, packed = zip(*batch, strict=True)
            self._append(keys, packed)

    def _append(self, keys: Sequence[str], packed: Sequence[int]) -> None:
        buffers = self._buffers
        # The partition is the key's hash: str hashes differ between processes, but one index
        # lives in one process.
        for k, p in zip(keys, packed, strict=True):
            b = buffers[hash(k) % PARTITIONS]
            b.append(k)
            b.append(p)
        self._buffered += len(keys)
        if self._buffered >= _FLUSH_AT:
            self._flush()

    def _flush(self) -> None:
        for f, b in zip(self._files, self._buffers, strict=True):
            if b:
                spill.write_batch(f, b)
                b.clear()
        self._buffered = 0

    def _partition(self, i: int) -> tuple[dict[str, int], list[tuple[str, int]]]:
        """(first packed ref per key, later (key, packed ref)) of partition ``i``, in order."""
        f = self._files[i]
        f.seek(0)
        firsts: dict[str, int] = {}
        repeats: list[tuple[str, int]] = []
        setdefault = firsts.setdefault
        for batch in spill.read_batches(f):
            for k, p in zip(batch[0::2], batch[1::2], strict=True):
                if setdefault(k, p) != p:
                    repeats.append((k, p))
        f.seek(0, 2)  # back to the end for later appends
        return firsts, repeats

    def _partitions(self) -> Iterator[tuple[dict[str, int], list[tuple[str, int]]]]:
        self._flush()
        for i in range(PARTITIONS):
            yield self._partition(i)

    def close(self) -> None:
        """Drop the index and its temporary files."""
        for f in self._files:
            f.close()
        self._files, self._buffers, self._buffered = [], [], 0
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        self._mem = {}

    def __enter__(self) -> KeyIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
