"""XML interface files: one element per record, one child per item (the layout of the generated XSD).

Hardened against hostile input: the parser never resolves entities, never loads a DTD, never
touches the network and keeps libxml2's limits on depth and text size (``huge_tree=False``). A
file with a DOCTYPE (the only way to declare entities: XXE, billion laughs) is refused before the
parser sees it (finding XML002), so nothing is expanded, read from disk or fetched.

Records are streamed (``iterparse``; memory stays flat) and each record element is validated
against the structural form of the group's generated XSD (:func:`kikan_std.schemas.xsd` with
``facets=False``): element names, no nesting inside items, no repeats, no attributes. Values are
then checked by the same field rules as CSV; each record carries its XPath and source line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, BinaryIO

from kikan_std.findings import Finding
from kikan_std.model import Group, Spec
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource, InputError
from kikan_std.schemas import field_name, record_name, root_name, xsd

SNIFF_BYTES = 1 << 16
_DOCTYPE_RE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_DOCTYPE_U16_RE = re.compile("<!DOCTYPE".encode("utf-16-le"), re.IGNORECASE)
_DOCTYPE_U16BE_RE = re.compile("<!DOCTYPE".encode("utf-16-be"), re.IGNORECASE)

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}
"""The only options XML is ever parsed with."""


class _HashingReader:
    """A file wrapper that hashes and counts what the parser reads, starting with a sniffed prefix."""

    def __init__(self, f: BinaryIO, prefix: bytes, hasher: Any) -> None:
        self.f = f
        self.prefix = prefix
        self.hasher = hasher
        self.bytes = 0
        hasher.update(prefix)
        self.bytes += len(prefix)

    def read(self, n: int = -1) -> bytes:
        if self.prefix:
            out, self.prefix = self.prefix, b""
            return out
        b = self.f.read(n if n and n > 0 else 1 << 16)
        self.hasher.update(b)
        self.bytes += len(b)
        return b


@cache
def _schema(spec_json: str, group_name: str) -> Any:
    from lxml import etree

    from kikan_std.model import Spec as _Spec

    spec = _Spec.model_validate_json(spec_json)
    text = xsd(spec, spec.group(group_name), facets=False)
    return etree.XMLSchema(etree.fromstring(text.encode("utf-8"), etree.XMLParser(**PARSER_OPTIONS)))


def _group_for_root(spec: Spec, tag: str, wanted: str | None) -> Group | None:
    if wanted is not None:
        g = spec.group(wanted)
        return g if tag == root_name(g) else None
    for g in spec.groups:
        if tag == root_name(g):
            return g
    return None


def _doctype_line(prefix: bytes) -> int | None:
    for rx in (_DOCTYPE_RE, _DOCTYPE_U16_RE, _DOCTYPE_U16BE_RE):
        m = rx.search(prefix)
        if m is not None:
            nl = b"\n" if rx is _DOCTYPE_RE else "\n".encode("utf-16-le" if rx is _DOCTYPE_U16_RE else "utf-16-be")
            return prefix[: m.start()].count(nl) + 1
    return None


def iter_xml(source: CsvSource, f: BinaryIO, spec: Spec, wanted_group: str | None) -> Iterator[Chunk | Finding]:
    """Read an XML file of one group; set ``source.header`` / ``group_hint`` and yield chunks."""
    from lxml import etree

    name = source.display_name
    stats = source.stats
    hasher = hashlib.sha256()
    prefix = f.read(SNIFF_BYTES)
    reader = _HashingReader(f, prefix, hasher)
    stats.encoding = "xml"
    stats.bom = prefix.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))

    def finish() -> None:
        while reader.read(1 << 16):  # hash the whole file even when reading stopped early
            pass
        stats.bytes = reader.bytes
        stats.sha256 = hasher.hexdigest()

    line = _doctype_line(prefix)
    if line is not None:
        yield Finding("XML002", file=name, line=line)
        finish()
        return
    try:
        wanted = spec.group(wanted_group) if wanted_group is not None else None
    except KeyError:
        raise InputError(f"unknown group: {wanted_group}") from None

    ctx = etree.iterparse(reader, events=("start", "end"), **PARSER_OPTIONS)
    group: Group | None = None
    schema: Any = None
    depth = 0
    rec_tag = ""
    root_tag = ""
    header: list[str] = []
    index: dict[str, int] = {}
    n = 0
    rows: list[list[str]] = []
    recs: list[int] = []
    lines: list[int] = []
    locs: list[str] = []
    try:
        for event, elem in ctx:
            if event == "start":
                depth += 1
                if depth == 1:
                    doctype = elem.getroottree().docinfo.doctype
                    if doctype:  # a DOCTYPE the sniff window did not reach: refuse just the same
                        yield Finding("XML002", file=name, line=1)
                        break
                    root_tag = elem.tag if isinstance(elem.tag, str) else ""
                    group = _group_for_root(spec, root_tag, wanted_group)
                    if group is None:
                        expected = [root_name(g) for g in ([wanted] if wanted else spec.groups)]
                        yield Finding("XML004", file=name, line=elem.sourceline, pointer="/" + root_tag,
                                      params={"found": root_tag, "expected": " / ".join(expected)})
                        break
                    source.group_hint = group.name
                    rec_tag = record_name(group)
                    header = [field_name(it) for it in group.items]
                    index = {h: i for i, h in enumerate(header)}
                    source.header = header
                    source.header_line = elem.sourceline or 1
                    schema = _schema(spec.model_dump_json(), group.name)
                continue
            depth -= 1
            if depth != 1:
                continue
            # A direct child of the root has ended: one record (or a stray element).
            if not isinstance(elem.tag, str):
                continue
            n += 1
            xpath = f"/{root_tag}/{elem.tag}[{n}]"
            line_no = elem.sourceline or 0
            if elem.tag != rec_tag:
                yield Finding("XML003", file=name, record=n, line=line_no, pointer=xpath,
                              params={"detail": f"Element '{elem.tag}': expected '{rec_tag}'"})
            else:
                if not schema.validate(elem):
                    for err in schema.error_log:
                        yield Finding("XML003", file=name, record=n, line=err.line or line_no, pointer=xpath,
                                      params={"detail": err.message})
                row = [""] * len(header)
                for child in elem.iterchildren(tag=etree.Element):
                    pos = index.get(child.tag)
                    if pos is not None and len(child) == 0:
                        row[pos] = child.text or ""
                rows.append(row)
                recs.append(n)
                lines.append(line_no)
                locs.append(xpath)
                if len(rows) == CHUNK_ROWS:
                    yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
                    rows, recs, lines, locs = [], [], [], []
            elem.clear()
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as e:
        if rows:
            yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
            rows = []
        yield Finding("XML001", file=name, line=e.lineno, params={"detail": str(e.msg)})
    if rows:
        yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
    stats.records = n
    finish()
