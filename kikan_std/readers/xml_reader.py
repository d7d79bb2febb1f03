"""XML interface files: one element per record, one child per item (the layout of the generated XSD).

Hardened against hostile input: the parser never resolves entities, never loads a DTD, never
touches the network and keeps libxml2's limits on depth and text size (``huge_tree=False``). A
file with a DOCTYPE (the only way to declare entities: XXE, billion laughs) is refused before the
parser sees it (finding XML002), so nothing is expanded, read from disk or fetched.

Records are streamed (``iterparse``; memory stays flat) and each record element is validated
against the structural form of the group's generated XSD (:func:`kikan_std.model.schemas.xsd` with
``facets=False``): element names, no nesting inside items, no repeats, no attributes. The root
element is held to the same XSD: no attributes (``xsi:`` ones aside) and no text other than white
space between or around its records (XML005). Values are then checked by the same field rules as
CSV; each record carries its XPath and source line.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, BinaryIO

from kikan_std.findings import Finding
from kikan_std.model.schemas import field_name, record_name, root_name, xsd
from kikan_std.model.spec import Group, Spec
from kikan_std.readers.csv_reader import CHUNK_ROWS, Chunk, CsvSource

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
    """A file wrapper that hashes and counts every byte it hands on."""

    def __init__(self, f: BinaryIO, hasher: Any) -> None:
        self.f = f
        self.hasher = hasher
        self.bytes = 0

    def read(self, n: int = -1) -> bytes:
        b = self.f.read(n if n and n > 0 else 1 << 16)
        self.hasher.update(b)
        self.bytes += len(b)
        return b


# Encodings whose markup characters (< ! - ? > and ASCII letters) are single ASCII bytes that never occur
# inside a multi-byte character, so scanning the prolog byte by byte as Latin-1 sees what libxml2 sees.
# Anything else declared (UTF-7, ISO-2022-JP, EBCDIC …) could hide a DOCTYPE from such a scan: refused.
_ASCII_SAFE = frozenset({
    "ascii", "utf-8", "cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004",
    "euc_jisx0213", "latin-1", "cp1252", *(f"iso8859-{i}" for i in range(2, 17)),
})
_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
_ENCODING_DECL_RE = re.compile(r"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _scan_encoding(head: bytes) -> tuple[str, int]:
    """How to decode the prolog, from the first bytes (XML 1.0 Appendix F), and the BOM's length."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return enc, len(bom)
    for start, enc in ((b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00", "utf-16-le"),
                       (b"\x00<", "utf-16-be")):
        if head.startswith(start):
            return enc, 0
    if head.startswith(b"\x4c\x6f\xa7\x94"):  # '<?xm' in EBCDIC
        return "ebcdic", 0
    return "latin-1", 0


class _PrologGuard:
    """Hands the parser the file block by block, having read each block's prolog first.

    Everything before the root element (XML declaration, comments, processing instructions, white
    space) is scanned as a stream, however long it is; a DOCTYPE there stops the hand-over *before*
    the block that holds it, so libxml2 never sees an entity declaration whatever its own limits are.
    Memory is one block; no sniff window an attacker could step over.
    """

    def __init__(self, f: _HashingReader) -> None:
        self.f = f
        self.doctype_line: int | None = None
        self.refused_encoding: str | None = None
        self.bom = False
        self._scanning = True
        self._decoder: Any = None
        self._buf = ""
        self._state = "prolog"
        self._line = 1
        self._decl: str | None = ""  # text of a leading XML declaration, while it is being read
        self._ascii_compatible = True

    def read(self, n: int = -1) -> bytes:
        b = self.f.read(n)
        if not self._scanning or self.doctype_line is not None or self.refused_encoding is not None:
            return b"" if self._scanning else b
        if self._decoder is None:
            while len(b) < 4:  # the encoding is told by the first four bytes
                more = self.f.read(4 - len(b))
                if not more:
                    break
                b += more
            enc, bom = _scan_encoding(b)
            self.bom = bom > 0
            if enc == "ebcdic":
                self.refused_encoding = "EBCDIC"
                return b""
            self._decoder = codecs.getincrementaldecoder(enc)(errors="replace")
            self._ascii_compatible = enc in ("latin-1", "utf-8")
        self._buf += self._decoder.decode(b, final=not b)
        self._scan(eof=not b)
        if self.doctype_line is not None or self.refused_encoding is not None:
            return b""
        return b

    def _consume(self, k: int) -> None:
        text = self._buf[:k]
        self._line += text.count("\n") + text.count("\r") - text.count("\r\n")
        self._buf = self._buf[k:]

    def _scan(self, eof: bool) -> None:
        while self._scanning:
            buf = self._buf
            if self._state in ("comment", "pi", "decl"):
                close = "-->" if self._state == "comment" else "?>"
                end = buf.find(close)
                upto = end if end >= 0 else max(0, len(buf) - len(close) + 1)
                if self._state == "decl" and self._decl is not None and len(self._decl) < 1024:
                    self._decl += buf[:upto]
                if end < 0:
                    self._consume(upto)
                    return
                self._consume(end + len(close))
                if self._state == "decl" and self._decl is not None:
                    self._check_declared_encoding(self._decl)
                    if self.refused_encoding is not None:
                        return
                self._state = "prolog"
                continue
            if self._decl == "" and buf.startswith("\ufeff"):
                self._consume(1)  # the BOM decoded by a plain (non -sig) decoder
                buf = self._buf
            at_start = self._decl == "" and not buf.startswith((" ", "\t", "\r", "\n"))
            stripped = buf.lstrip(" \t\r\n\ufeff")
            self._consume(len(buf) - len(stripped))
            buf = self._buf
            if len(buf) < 9 and not eof:
                return  # too short to tell "<!--", "<?xml " and "<!DOCTYPE" apart: wait for the next block
            if at_start and buf.startswith("<?xml") and buf[5:6] in (" ", "\t", "\r", "\n", "?"):
                self._consume(5)
                self._state = "decl"
                continue
            self._decl = None  # the XML declaration may only stand first
            if buf.startswith("<?"):
                self._consume(2)
                self._state = "pi"
            elif buf.startswith("<!--"):
                self._consume(4)
                self._state = "comment"
            elif buf[:9].upper() == "<!DOCTYPE":
                self.doctype_line = self._line
                return
            elif not buf and not eof:
                return
            else:  # the root element (or text the parser will refuse): the prolog is over
                self._scanning = False
                self._buf = ""

    def _check_declared_encoding(self, decl: str) -> None:
        m = _ENCODING_DECL_RE.search(decl)
        if m is None or not self._ascii_compatible:
            return
        try:
            name = codecs.lookup(m.group(1)).name
        except LookupError:
            name = m.group(1)
        if name not in _ASCII_SAFE:
            self.refused_encoding = m.group(1)


@cache
def _schema(spec_json: str, group_name: str) -> Any:
    from lxml import etree  # only XML runs pay for lxml's start-up

    spec = Spec.model_validate_json(spec_json)
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


def iter_xml(source: CsvSource, f: BinaryIO, spec: Spec, wanted_group: str | None) -> Iterator[Chunk | Finding]:
    """Read an XML file of one group; set ``source.header`` / ``group_hint`` and yield chunks."""
    from lxml import etree  # only XML runs pay for lxml's start-up

    name = source.display_name
    stats = source.stats
    hasher = hashlib.sha256()
    reader = _HashingReader(f, hasher)
    guard = _PrologGuard(reader)
    stats.encoding = "xml"

    def finish() -> None:
        stats.bom = guard.bom
        while reader.read(1 << 16):  # hash the whole file even when reading stopped early
            pass
        stats.bytes = reader.bytes
        stats.sha256 = hasher.hexdigest()

    wanted = spec.group(wanted_group) if wanted_group is not None else None  # UnknownGroupError

    ctx = etree.iterparse(guard, events=("start", "end"), **PARSER_OPTIONS)
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
                    if doctype:  # defence in depth: the prolog guard stops every DOCTYPE before this
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
                    for attr in elem.attrib:
                        if not attr.startswith(_XSI):  # xsi:schemaLocation … are allowed by every XSD
                            yield Finding("XML005", file=name, line=elem.sourceline, pointer=f"/{root_tag}/@{attr}",
                                          params={"detail": f"@{attr}"})
                continue
            depth -= 1
            if depth == 0:
                # The root has ended: text after its last child, or in a root without children.
                last = elem[-1] if len(elem) else None
                stray = elem.text if last is None else last.tail
                if stray is not None and stray.strip():
                    yield Finding("XML005", file=name, line=elem.sourceline, pointer=f"/{root_tag}/text()",
                                  params={"detail": "text()"})
                continue
            if depth != 1:
                continue
            # Text directly in the root, before this child: the root's text or the previous child's tail.
            prev = elem.getprevious()
            stray = elem.getparent().text if prev is None else prev.tail
            if stray is not None and stray.strip():
                yield Finding("XML005", file=name, line=elem.sourceline, pointer=f"/{root_tag}/text()",
                              params={"detail": "text()"})
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
            elem.clear(keep_tail=True)  # the tail is the root's text: looked at with the next child
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as e:
        if rows:
            yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
            rows = []
        if guard.doctype_line is None and guard.refused_encoding is None:
            yield Finding("XML001", file=name, line=e.lineno, params={"detail": str(e.msg)})
    # The guard cut the file short before its DOCTYPE or an encoding it cannot read safely; whatever the
    # parser then said about the truncated prolog, this is the reason.
    if guard.doctype_line is not None:
        yield Finding("XML002", file=name, line=guard.doctype_line)
    elif guard.refused_encoding is not None:
        yield Finding("XML001", file=name, line=1, params={"detail": f"unsupported encoding: {guard.refused_encoding}"})
    if rows:
        yield Chunk([list(c) for c in zip(*rows, strict=True)], recs, lines, locs)
    stats.records = n
    finish()
