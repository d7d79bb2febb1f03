"""Who the files of a deliverable refer to, and the cross-file rules over it (DLV001–DLV003).

While each file is checked, a collector rule writes (宛名番号, 生年月日, 性別, file, record, line) to a
temporary SQLite database; afterwards SQL finds every 宛名番号 used by a tax or welfare file that no
住民記録 or 住登外者宛名 file has (DLV001), 生年月日 / 性別 that disagree with them (DLV002 / DLV003), a
住登外者宛名番号 equal to a 住民 宛名番号 (DLV011) and one 宛名番号 in two files of the same registry (DLV012).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kikan_std.findings import Finding
from kikan_std.model.rules import ChunkView, DatasetRule
from kikan_std.model.spec import Group
from kikan_std.specs import person_columns

REGISTRY_SPECS = frozenset({"jumin_kiroku", "jutogai_atena"})
"""Specs whose files define the people (宛名番号) the other businesses refer to."""


@dataclass(frozen=True, slots=True)
class PersonRef:
    """Columns of a group that name a person: 宛名番号 and, where present, 生年月日 and 性別."""

    atena: str
    birth: str | None = None
    sex: str | None = None


def person_refs(spec_id: str, group: Group) -> tuple[PersonRef, ...]:
    """The person columns of ``group`` used by the cross-file rules (declared by the spec's edition module)."""
    return tuple(PersonRef(p.atena, p.birth, p.sex) for p in person_columns(spec_id, group))


PEOPLE_COLUMNS = ("atena", "birth", "sex", "registry", "spec", "file", "record", "line", "atena_item", "birth_item",
                  "sex_item")
"""What the deliverable collects about each reference to a person (one row per record and 宛名番号 item)."""


class People:
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
        yield from registry_conflicts(db)
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


def _other(value: str) -> tuple[str, int, int]:
    file, record, line = value.split("\x00")
    return file, int(record), int(line)


def registry_conflicts(db: sqlite3.Connection) -> Iterator[Finding]:
    """DLV011 / DLV012 over the ``refs`` table (:data:`PEOPLE_COLUMNS`) of a deliverable.

    * DLV011 (official, 共通機能標準仕様書 第2.1版 §2.3.5): a 住登外者宛名番号 equal to a 住民 宛名番号 —
      the two are numbered by the same method and must not collide;
    * DLV012 (official, §2.3.5 / §2.4.6): the same 宛名番号 in two files of the same registry (two legacy
      systems' exports): duplicates must be removed before migration. One finding per later file and number.
    """
    first = (
        "SELECT {pick} FROM refs j WHERE j.registry = 1 AND j.atena = t.atena AND {cond} "
        "ORDER BY j.file, j.record LIMIT 1"
    )
    pick = "j.file || char(0) || j.record || char(0) || j.line"
    sql = (
        "SELECT * FROM (SELECT t.file, t.record, t.line, t.atena, t.atena_item, ("
        + first.format(pick=pick, cond="j.spec = 'jumin_kiroku'")
        + ") AS other FROM refs t WHERE t.registry = 1 AND t.spec = 'jutogai_atena') WHERE other IS NOT NULL "
        "ORDER BY file, record, atena_item"
    )
    for file, record, line, atena, item, other in db.execute(sql):
        ofile, orec, oline = _other(other)
        yield Finding("DLV011", file=file, record=record, line=line, item=item, value=atena, keys={item: atena},
                      related=[(orec, oline)], params={"other_file": ofile, "other_record": orec})
    sql = (
        "SELECT * FROM (SELECT t.file, min(t.record), min(t.line), t.atena, t.atena_item, t.spec, ("
        + first.format(pick=pick, cond="j.spec = t.spec AND j.file < t.file")
        + ") AS other FROM refs t WHERE t.registry = 1 GROUP BY t.file, t.atena, t.atena_item)"
        " WHERE other IS NOT NULL ORDER BY file, 2, atena_item"
    )
    for file, record, line, atena, item, _spec, other in db.execute(sql):
        ofile, orec, oline = _other(other)
        yield Finding("DLV012", file=file, record=record, line=line, item=item, value=atena, keys={item: atena},
                      related=[(orec, oline)], params={"other_file": ofile, "other_record": orec})


__all__ = ["PEOPLE_COLUMNS", "REGISTRY_SPECS", "People", "PersonRef", "person_refs", "registry_conflicts"]
