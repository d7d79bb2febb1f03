"""The embedded analytical engine behind profile and compare: DuckDB, disk-backed and memory-bounded.

DuckDB is an optional dependency (``pip install 'kikan-std[migration]'``); without it profile and
compare say so in one line, and everything else in the package works as before.

A source becomes one table of VARCHAR columns named ``c0 … cN`` (item names live in Python, so no
Japanese identifier ever needs quoting), blank = NULL. DuckDB reads every CSV itself, once: a file in
another encoding (CP932 …) is first transcoded to UTF-8 byte block by byte block (no CSV parsing in
Python), and a legacy extract's mapping is applied in the same ``CREATE TABLE … AS SELECT`` as SQL
(:mod:`kikan_std.migration.sqlmap`; the Python :meth:`Mapping.row_function` is its reference).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kikan_std.errors import InputError, UsageError
from kikan_std.model.spec import Group, Item, Spec

if TYPE_CHECKING:
    from kikan_std.migration.mapping import ExtraItem, Mapping

MEMORY_LIMIT_ENV = "KIKAN_STD_MIGRATION_MEMORY"
"""Environment variable overriding DuckDB's memory limit (default ``600MB``; it spills to disk beyond)."""


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise UsageError(
            "移行検証（profile / compare）には DuckDB が必要です: pip install 'kikan-std[migration]'"
            " / profile and compare need DuckDB: pip install 'kikan-std[migration]'"
        ) from None
    return duckdb


@contextmanager
def connect(threads: int | None = None, in_memory: bool = False) -> Iterator[tuple[Any, Path]]:
    """A DuckDB connection on a temporary on-disk database (spills to the same folder); removed after.

    ``in_memory``: tables in memory (spilling only what outgrows the limit), for the bounded pieces of
    the Dask path, where writing compressed tables to disk cost a quarter of the time.
    """
    duckdb = _duckdb()
    with tempfile.TemporaryDirectory(prefix="kikan-std-migration-") as tmp:
        # A database file in the temporary folder: tables live on disk and only the working set is held
        # in memory (an in-memory database ran out of its limit on 1,000,000 × 125 columns).
        con = duckdb.connect(":memory:" if in_memory else str(Path(tmp) / "work.duckdb"))
        try:
            con.execute(f"SET memory_limit = '{os.environ.get(MEMORY_LIMIT_ENV, '600MB')}'")
            con.execute(f"SET temp_directory = '{Path(tmp) / 'spill'}'")
            con.execute("SET preserve_insertion_order = false")
            con.execute("SET enable_progress_bar = false")
            n = threads or min(2, os.cpu_count() or 1)
            con.execute(f"SET threads = {int(n)}")
            yield con, Path(tmp)
        finally:
            con.close()


@dataclass
class Column:
    """One column of a loaded table: a spec item, or a column beyond the spec."""

    name: str
    item: Item | None
    personal: bool
    amount: bool = False

    @property
    def is_date(self) -> bool:
        return self.item is not None and self.item.type.value == "DATE"

    @property
    def is_code(self) -> bool:
        return self.item is not None and self.item.code_list is not None

    @property
    def is_number(self) -> bool:
        return self.item is not None and self.item.type.value in ("9", "9V", "S9")

    @property
    def max_length(self) -> int | None:
        if self.item is None or not self.item.length.isdigit():
            return None
        return int(self.item.length)


@dataclass
class Loaded:
    """A source loaded into ``table``: its columns (``c{i}`` ↔ ``columns[i]``) and facts about it."""

    table: str
    path: str
    columns: list[Column]
    records: int = 0
    excluded: int = 0
    unknown_columns: list[str] = field(default_factory=list)

    def index(self) -> dict[str, int]:
        return {c.name: i for i, c in enumerate(self.columns)}

    def provenance(self) -> dict[str, Any]:
        """``bytes`` and ``sha256`` of the file, for the report: which file exactly was compared (an
        auditor's sign-off names it)."""
        p = Path(self.path)
        with p.open("rb") as f:
            return {"bytes": p.stat().st_size, "sha256": hashlib.file_digest(f, "sha256").hexdigest()}


def pick_group(spec: Spec, name: str | None) -> Group:
    if name is None:
        return spec.groups[0]
    for g in spec.groups:
        if g.name == name:
            return g
    raise UsageError(f"仕様 {spec.id} にグループ {name} はありません / no group {name} in {spec.id}")


def is_amount(item: Item) -> bool:
    """Amount items (金額): numeric items whose official name ends in 額 (税額, 評価額, 給付額 …)."""
    return item.type.value in ("9", "9V", "S9") and item.name.endswith("額")


def _read_header(path: Path, encoding: str) -> list[str]:
    try:
        with path.open(encoding=encoding, newline="", errors="strict") as f:
            return next(csv.reader(f), [])
    except FileNotFoundError:
        raise InputError(f"ファイルがありません / file not found: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"文字コード {encoding} で読めません / cannot decode {path} as {encoding}") from None
    except OSError as e:
        raise InputError(f"読めません / cannot read {path}: {e.strerror}") from None


def columns_for(header: list[str], group: Group, mapping: Mapping | None,
                extras: dict[str, ExtraItem] | None = None) -> tuple[list[Column], list[str]]:
    """The columns a source contributes (spec items it holds, extra items the mapping declares) and unknown ones."""
    items = {it.name: it for it in group.items}
    alias = {a: it.name for it in group.items for a in it.aliases}
    extras = dict(extras or {})
    if mapping is not None:
        extras.update(mapping.extra_items)
    names = [mapping.columns.get(h, h) for h in header] if mapping is not None else header
    cols: list[Column] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for raw in names:
        name = alias.get(raw, raw).lstrip("\ufeff")
        if name in seen:
            continue
        seen.add(name)
        if name in items:
            cols.append(Column(name, items[name], items[name].personal, is_amount(items[name])))
        elif name in extras:
            cols.append(Column(name, None, extras[name].personal, extras[name].amount))
        else:  # a column beyond the spec, not declared: compared and counted, treated as personal
            unknown.append(raw)
            cols.append(Column(name, None, True))
    return cols, unknown


def read_encoding(encoding: str) -> str:
    """The codec a source is read with (``utf-8`` as ``utf-8-sig``: a BOM is not part of the first name)."""
    enc = codecs.lookup(encoding).name if encoding != "auto" else "utf-8"
    return "utf-8-sig" if enc == "utf-8" else enc


def source_columns(path: str | Path, group: Group, encoding: str = "utf-8", mapping: Mapping | None = None,
                   extras: dict[str, ExtraItem] | None = None) -> tuple[list[str], list[Column], list[str]]:
    """(header, columns, unknown header names) of a CSV source, from its header alone.

    Raises:
        InputError: the file is missing, its header cannot be decoded, or it has no column of the group.
    """
    p = Path(path)
    header = _read_header(p, read_encoding(encoding))
    cols, unknown = columns_for(header, group, mapping, extras)
    if not any(c.item is not None for c in cols):
        raise InputError(f"仕様の項目の列がありません / no column of {group.name} in {p}")
    return header, cols, unknown


def load(con: Any, tmp: Path, table: str, path: str | Path, *, group: Group, encoding: str = "utf-8",
         mapping: Mapping | None = None, extras: dict[str, ExtraItem] | None = None) -> Loaded:
    """Load one CSV (a standard export, or a legacy extract through ``mapping``) into ``table``.

    Raises:
        InputError: the file is missing, cannot be decoded, or has no column of the spec's group.
    """
    p = Path(path)
    enc = read_encoding(encoding)
    header, cols, unknown = source_columns(p, group, encoding, mapping, extras)
    loaded = Loaded(table, str(p), cols, unknown_columns=unknown)
    src = p if enc == "utf-8-sig" else _transcode(p, enc, tmp / f"{table}.utf8.csv")
    # A standard UTF-8 export is read strictly; a legacy or transcoded one as leniently as Python's csv
    # module read it before (short rows padded with blanks, surplus fields ignored).
    lenient = mapping is not None or src is not p
    all_cols = "{" + ", ".join(f"'h{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    read = (f"read_csv(?, header=true, auto_detect=false, columns={all_cols}, delim=',', quote='\"', escape='\"', "
            + ("strict_mode=false, null_padding=true)" if lenient else "strict_mode=true)"))
    try:
        if mapping is None:
            order = _header_order(header, group, None)
            select = ", ".join(f"h{order[c.name]} AS c{i}" for i, c in enumerate(cols))
            con.execute(f"CREATE TABLE {table} AS SELECT {select} FROM {read}", [str(src)])
        else:
            loaded.excluded = _load_mapped(con, tmp, table, read, str(src), header, cols, mapping)
    except (InputError, UsageError):
        raise
    except Exception as e:  # duckdb.Error: a malformed CSV
        raise InputError(f"CSV を読めません / cannot read the CSV {p}: {str(e).splitlines()[0]}") from None
    finally:
        if src is not p:
            src.unlink(missing_ok=True)
    loaded.records = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return loaded


def _transcode(p: Path, enc: str, out: Path) -> Path:
    """``p`` re-encoded as UTF-8 (bytes in, bytes out: no CSV parsing in Python), for DuckDB to read."""
    dec = codecs.getincrementaldecoder(enc)(errors="strict")
    done = 0
    try:
        with p.open("rb") as f, out.open("wb") as o:
            while chunk := f.read(1 << 22):
                o.write(dec.decode(chunk).encode("utf-8"))
                done += len(chunk)
            o.write(dec.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"文字コード {enc} で読めません / cannot decode {p} as {enc}: byte {done + e.start}") from None
    except OSError as e:
        raise InputError(f"読めません / cannot read {p}: {e.strerror}") from None
    return out


def _load_mapped(con: Any, tmp: Path, table: str, read: str, src: str, header: list[str], cols: list[Column],
                 mapping: Mapping) -> int:
    """Map a legacy extract in SQL into ``table``; return the rows the mapping excluded."""
    from kikan_std.migration.sqlmap import mapped_select, register, write_key_table

    sel = mapped_select(mapping, header, [c.name for c in cols])
    register(con, sel)
    keys = write_key_table(con, tmp, table, sel.key_join[1]) if sel.key_join else None
    query = sel.sql(read, keys)
    names = ", ".join(f"c{i}" for i in range(len(cols)))
    if sel.exclude is None:
        con.execute(f"CREATE TABLE {table} AS SELECT {names} FROM ({query})", [src])
        return 0
    # The excluded rows stay in the stored table, flagged; the view everything reads leaves them out.
    con.execute(f"CREATE TABLE {table}_all AS {query}", [src])
    con.execute(f"CREATE VIEW {table} AS SELECT {names} FROM {table}_all WHERE NOT kk_x")
    return int(con.execute(f"SELECT count(*) FROM {table}_all WHERE kk_x").fetchone()[0])


def _header_order(header: list[str], group: Group, mapping: Mapping | None) -> dict[str, int]:
    alias = {a: it.name for it in group.items for a in it.aliases}
    out: dict[str, int] = {}
    for i, h in enumerate(header):
        name = mapping.columns.get(h, h) if mapping is not None else h
        out.setdefault(alias.get(name, name).lstrip("\ufeff"), i)
    return out
