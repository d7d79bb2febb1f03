"""JSON Schema (draft 2020-12) and XSD for each group of a spec, generated from the spec data.

Both describe one record of a group keyed by the items' romaji names (the field names of API連携,
SPEC_FACTS §1.1): the JSON Schema an API payload object, the XSD an XML file with one element per
record. They are committed under ``schemas/<spec>/<edition>/`` for vendors (``kikan-std export``);
a test regenerates them and fails on drift.

The schemas express what a schema language can: type shape, 桁数 as ``maxLength``, closed code
lists as enumerations, 必須 as required and non-empty, content formats as patterns. Check digits,
calendar validity (e.g. 2023-02-30), 条件付き必須 conditions and keys are the checker's job.

XML layout::

    <jutogaisha_atena_kihon_joho_list>          ← root: the record name + "_list"
      <jutogaisha_atena_kihon_joho>             ← one element per record (group romaji)
        <atenabango>000000000000019</atenabango> ← one child per item (romaji), any order
        …

The XML reader validates records against the *structural* form of the same XSD (``facets=False``:
element names, nesting, no repeats, no attributes) and leaves values to the field checks, so one
bad value gives one finding, not a schema error and a field finding.
"""

from __future__ import annotations

import json
import keyword
import re
from pathlib import Path
from typing import Any

from kikan_std.model.formats import FORMATS
from kikan_std.model.spec import DataType, Group, Item, Spec

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
XS = "http://www.w3.org/2001/XMLSchema"

# Value patterns without anchors, in the common subset of XSD and ECMA-262 regular expressions.
_DATE = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_UNKNOWN_DATE = "[0-9]{4}-(0[0-9]|1[0-2])-([0-2][0-9]|3[01])"
_TIME = "([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?"
# 全角: no ASCII, C1 controls or half-width katakana (the full character-set check is the checker's).
_N_CHARS = "[^\\x00-\\x7F\\x80-\\x9F\\uFF61-\\uFF9F]"
# XSD regex has no \\x escapes: a block name for ASCII, literal characters for the rest
# (C1 controls are written as character references by _attr).
_N_CHARS_XSD = "[^\\p{IsBasicLatin}\u0080-\u009f\uff61-\uff9f]"


def record_name(group: Group) -> str:
    """The XML element name of one record (and the JSON Schema title's key) of ``group``."""
    return group.romaji or group.name


def root_name(group: Group) -> str:
    """The XML root element name of a file of ``group``."""
    return record_name(group) + "_list"


def field_name(item: Item) -> str:
    """The JSON key / XML element name of ``item``: its romaji (API field name)."""
    return item.romaji or item.name


def _pattern(item: Item, xsd: bool) -> str | None:
    t = item.type
    n = item.max_length
    if item.format is not None:
        return FORMATS[item.format].pattern(n)
    if t is DataType.X:
        return "[ -~]*"
    if t is DataType.N:
        return (_N_CHARS_XSD if xsd else _N_CHARS) + "*"
    if t is DataType.NUM:
        return f"[0-9]{{1,{n}}}"
    if t is DataType.SIGNED:
        return f"-?[0-9]{{1,{n}}}"
    if t is DataType.DECIMAL:
        frac = item.fraction_digits  # "n,0": no fraction (and {1,0} is no valid quantifier)
        return f"[0-9]{{1,{n}}}" + (f"(\\.[0-9]{{1,{frac}}})?" if frac else "")
    if t is DataType.DATE:
        return _UNKNOWN_DATE if item.allows_unknown_date else _DATE
    if t is DataType.TIME:
        return _TIME
    if t is DataType.YEAR:
        return "[0-9]{4}"
    return None  # BLOB: any text (e.g. base64)


def _length_limited(item: Item) -> bool:
    return item.type not in (DataType.DECIMAL, DataType.SIGNED, DataType.BLOB)


def describe(item: Item) -> str:
    """An item's description: id, official name, type(桁数), obligation and its condition."""
    cond = f"（{item.condition}）" if item.condition else ""
    return f"{item.id or '-'} {item.name} {item.type.value}({item.length}) {item.obligation.value}{cond}"


def json_schema(spec: Spec, group: Group) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one record object of ``group``."""
    props: dict[str, Any] = {}
    for it in group.items:
        p: dict[str, Any] = {"type": "string", "title": it.name, "description": describe(it)}
        if _length_limited(it):
            p["maxLength"] = it.max_length
        pat = _pattern(it, xsd=False)
        if pat is not None:
            p["pattern"] = f"^({pat})$" if it.required else f"^({pat})?$"
        if it.code_list is not None:
            cl = spec.code_list(it.code_list)
            if not cl.open:
                p["enum"] = [v.value for v in cl.values] + ([] if it.required else [""])
        if it.required:
            p["minLength"] = 1
        props[field_name(it)] = p
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:kikan-std:{spec.id}:{spec.edition}:{record_name(group)}",
        "title": f"{spec.title} {group.name}",
        "description": f"{spec.business_code} {spec.edition} ({spec.provenance}) — kikan-std generated",
        "type": "object",
        "properties": props,
        "required": [field_name(it) for it in group.items if it.required],
        "additionalProperties": False,
    }


def xsd(spec: Spec, group: Group, facets: bool = True) -> str:
    """XSD of a file of ``group`` (root element with record elements).

    Args:
        facets: With False, the structural form used by the XML reader: every child is an optional
            ``xs:string`` (values are left to the field checks).
    """
    rec, root = record_name(group), root_name(group)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<xs:schema xmlns:xs="{XS}" elementFormDefault="unqualified">',
        "  <xs:annotation><xs:documentation>"
        + _esc(f"{spec.id} {spec.edition} {spec.title} {group.name} — kikan-std generated")
        + "</xs:documentation></xs:annotation>",
        f"  <xs:element name={quoteattr(root)}>",
        "    <xs:complexType>",
        "      <xs:sequence>",
        f'        <xs:element ref={quoteattr(rec)} minOccurs="0" maxOccurs="unbounded"/>',
        "      </xs:sequence>",
        "    </xs:complexType>",
        "  </xs:element>",
        f"  <xs:element name={quoteattr(rec)}>",
        "    <xs:complexType>",
        "      <xs:all>",
    ]
    for it in group.items:
        name = quoteattr(field_name(it))
        min_occurs = "1" if (facets and it.required) else "0"
        if not facets:
            out.append(f'        <xs:element name={name} type="xs:string" minOccurs="{min_occurs}"/>')
            continue
        out.append(f'        <xs:element name={name} minOccurs="{min_occurs}">')
        out.append("          <xs:annotation><xs:documentation>" + _esc(describe(it)) + "</xs:documentation>"
                   "</xs:annotation>")
        out.append("          <xs:simpleType>")
        out.append('            <xs:restriction base="xs:string">')
        if it.required:
            out.append('              <xs:minLength value="1"/>')
        if _length_limited(it):
            out.append(f'              <xs:maxLength value="{it.max_length}"/>')
        pat = _pattern(it, xsd=True)
        if pat is not None:
            pat = pat if it.required else f"({pat})?"
            out.append(f"              <xs:pattern value={_attr(pat)}/>")
        if it.code_list is not None:
            cl = spec.code_list(it.code_list)
            if not cl.open:
                for v in [*(v.value for v in cl.values), *([] if it.required else [""])]:
                    out.append(f"              <xs:enumeration value={_attr(v)}/>")
        out.append("            </xs:restriction>")
        out.append("          </xs:simpleType>")
        out.append("        </xs:element>")
    out += ["      </xs:all>", "    </xs:complexType>", "  </xs:element>", "</xs:schema>", ""]
    return "\n".join(out)


def quoteattr(text: str) -> str:
    """:func:`xml.sax.saxutils.quoteattr`, imported on first use (it pulls in urllib and ssl: ~8 ms of start-up)."""
    from xml.sax.saxutils import quoteattr as _quoteattr

    return _quoteattr(text)


def _attr(text: str) -> str:
    """A quoted attribute value; C1 control characters as character references (readable file)."""
    return "".join(f"&#x{ord(c):X};" if 0x80 <= ord(c) <= 0x9F else c for c in quoteattr(text))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_name(group: Group) -> str:
    """The Python class name of a record model of ``group`` (CamelCase of its record name)."""
    name = record_name(group)
    out = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^0-9A-Za-z]+", name) if p)
    return out if out.isidentifier() and out[:1].isalpha() else "Record"


def attribute_name(item: Item) -> str:
    """The Python attribute of ``item`` in a record model: its romaji when that is an identifier."""
    name = field_name(item)
    return name if name.isidentifier() and not name.startswith("_") and not keyword.iskeyword(name) else (
        "f_" + re.sub(r"\W", "_", name))


def pydantic_module(spec: Spec) -> str:
    """A typed Python module of record models of ``spec`` (``kikan-std export --format pydantic``).

    One class per group, one ``str`` field per item (romaji; the official name and aliases accepted on
    input, the official name the serialisation alias; descriptions with item id and official name), each
    a :class:`kikan_std.model.records.RecordModel` bound to the built-in spec, so it checks what
    :func:`kikan_std.check` checks. ``mypy --strict`` clean; IDEs complete the field names.
    """
    classes = [class_name(g) for g in spec.groups]
    out = [
        f'"""{spec.title} ({spec.id} {spec.edition}, {spec.provenance}): record models.',
        "",
        "Generated by `kikan-std export --format pydantic` from the spec data; do not edit. Every class checks",
        "what `kikan_std.check` checks (field checks and the spec's record rules; see kikan_std.model.records).",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import ClassVar",
        "",
        "from pydantic import AliasChoices, Field",
        "",
        "from kikan_std.model.records import RecordModel",
        "",
        "__all__ = [" + ", ".join(json.dumps(c) for c in sorted(classes)) + "]",
    ]
    for g, cls in zip(spec.groups, classes, strict=True):
        out += ["", "", f"class {cls}(RecordModel):", f'    """{g.name}（{spec.title} {spec.edition}）."""', "",
                f"    __kikan_spec__: ClassVar[str] = {json.dumps(spec.id)}",
                f"    __kikan_group__: ClassVar[str] = {json.dumps(g.name, ensure_ascii=False)}", ""]
        for it in g.items:
            attr = attribute_name(it)
            names = list(dict.fromkeys([attr, field_name(it), it.name, *it.aliases]))
            choices = ", ".join(json.dumps(n, ensure_ascii=False) for n in names)
            out += [
                f"    {attr}: str = Field(",
                '        default="",',
                f"        validation_alias=AliasChoices({choices}),",
                f"        serialization_alias={json.dumps(it.name, ensure_ascii=False)},",
                f"        description={json.dumps(describe(it), ensure_ascii=False)},",
                "    )",
            ]
    return "\n".join(out) + "\n"


def models_file(spec: Spec) -> Path:
    """Where the record models of ``spec`` are committed, relative to ``schemas/``."""
    return Path(spec.id) / spec.edition / f"{spec.id}_models.py"


EXPORT_FORMATS: tuple[str, ...] = ("json-schema", "xsd", "pydantic")
"""What ``kikan-std export --format`` can write (all of them by default)."""


def schema_files(spec: Spec, formats: tuple[str, ...] = EXPORT_FORMATS) -> dict[Path, str]:
    """Relative path → text of every schema file of ``spec`` (JSON Schema, XSD, pydantic models)."""
    files: dict[Path, str] = {}
    base = Path(spec.id) / spec.edition
    for g in spec.groups:
        name = record_name(g)
        if "json-schema" in formats:
            files[base / f"{name}.schema.json"] = json.dumps(json_schema(spec, g), ensure_ascii=False, indent=1) + "\n"
        if "xsd" in formats:
            files[base / f"{name}.xsd"] = xsd(spec, g)
    if "pydantic" in formats:
        files[models_file(spec)] = pydantic_module(spec)
    return files
