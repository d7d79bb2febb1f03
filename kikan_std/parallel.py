"""Checking one big CSV file on several cores (``--jobs N``) with findings identical to one core.

The file is cut into byte ranges at record boundaries; each range is checked in its own process
(field checks and record rules), the primary keys of every range come back to the caller, and the
caller merges: record and line numbers are shifted by what the earlier ranges held, statistics are
added, stored findings are chosen by position (not by arrival), and key uniqueness is checked over
the ranges in file order — exactly what one process does.

A cut must not fall inside a quoted field. RFC 4180 quotes come in pairs (an escaped quote is
doubled), so a line start is a record start when the number of quote bytes before it is even; the
byte ``"`` (0x22) never occurs inside a multi-byte character in UTF-8 or CP932/Shift_JIS.

Files that cannot be split this way are checked in one process: inputs other than CSV, files
smaller than a few megabytes, line ends without ``\\n``, other encodings, and groups with dataset
rules (their state must see the whole file in order).
"""

from __future__ import annotations

import itertools
import mmap
from pathlib import Path

from kikan_std.engine import Part

MIN_PART_BYTES = 4 << 20
_SPLITTABLE_ENCODINGS = ("utf-8", "utf_8", "utf-8-sig", "cp932", "shift_jis", "ms932", "sjis")


def _record_start_after(data: mmap.mmap, pos: int, quotes_before: int, last: int) -> tuple[int, int] | None:
    """The first line start at or after ``pos`` outside quotes, and the quote count before it."""
    while True:
        nl = data.find(b"\n", pos)
        if nl < 0:
            return None
        cut = nl + 1
        quotes = quotes_before + data[last:cut].count(b'"')
        if quotes % 2 == 0:
            return cut, quotes
        pos, last, quotes_before = cut, cut, quotes


def plan_parts(path: Path, encoding: str, jobs: int, header: list[str]) -> list[Part] | None:
    """Byte ranges of records for ``jobs`` processes, or None when the file should not be split.

    ``header`` is the file's header row (already read by the caller); the first range starts after
    the header record.
    """
    if jobs <= 1 or encoding.lower() not in _SPLITTABLE_ENCODINGS:
        return None
    size = path.stat().st_size
    if size < 2 * MIN_PART_BYTES:
        return None
    with path.open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        first = _record_start_after(data, 0, 0, 0)  # the header record ends at the first such line end
        if first is None:
            return None
        start, quotes = first
        n = min(jobs, max(1, (size - start) // MIN_PART_BYTES))
        if n <= 1:
            return None
        cuts = [start]
        last = start
        for k in range(1, n):
            target = start + (size - start) * k // n
            if target <= cuts[-1]:
                continue
            found = _record_start_after(data, target, quotes, last)
            if found is None or found[0] >= size:
                break
            cut, quotes = found
            cuts.append(cut)
            last = cut
        cuts.append(size)
    if len(cuts) < 3:
        return None
    return [Part(a, b, header) for a, b in itertools.pairwise(cuts)]
