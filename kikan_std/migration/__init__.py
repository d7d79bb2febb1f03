"""移行検証 (migration checks): profile an extract, compare two extracts, map a legacy extract.

Conformance is not correctness: an export where a 99 %-filled column became 100 % 不詳 still
conforms. :func:`profile` shows what an extract holds item by item; :func:`compare` reports what
changed between a legacy extract (through a :class:`Mapping`) and the standard export, or between
two deliveries of the same spec. Both run on DuckDB (the ``migration`` extra), disk-backed.
"""

from kikan_std.migration.mapping import Mapping, draft_mapping, load_mapping
from kikan_std.migration.model import CompareReport, Difference, ProfileReport
from kikan_std.migration.profile import profile

__all__ = [
    "CompareReport",
    "Difference",
    "Mapping",
    "ProfileReport",
    "draft_mapping",
    "load_mapping",
    "profile",
]
