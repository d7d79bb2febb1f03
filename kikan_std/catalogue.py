"""The one catalogue of finding codes: code → severity, Japanese/English templates, clause, docs.

The catalogue is data: TOML files under ``kikan_std/data/catalogue/``, listed explicitly in
:data:`CATALOGUE_FILES`. Each top-level table is one code::

    [FLD001]
    slug = "required-missing"
    severity = "error"            # error | warning | info
    clause = "基本データリスト 凡例 データ出力条件"
    title   = { ja = "…", en = "…" }
    message = { ja = "必須項目「{item}」が空です。", en = "…" }   # str.format fields
    what    = { ja = "…", en = "…" }   # what it checks
    why     = { ja = "…", en = "…" }   # why it matters
    example = { ja = "…", en = "…" }   # a minimal example
    fix     = { ja = "…", en = "…" }   # how to fix it

Messages, ``kikan-std explain`` and the docs pages are all rendered from here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import string
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from kikan_std.errors import CatalogueError, UnknownCodeError

Lang = Literal["ja", "en"]
Severity = Literal["error", "warning", "info"]

CATALOGUE_FILES: tuple[str, ...] = (
    "reader.toml",
    "field.toml",
    "record.toml",
    "jumin.toml",
    "atena.toml",
    "taxwel.toml",
    "deliverable.toml",
    "engine.toml",
    "chars.toml",
    "formats.toml",
    "reconcile.toml",
)
"""Catalogue files, in display order. Add a file here to add a family of codes."""

API_ERRORS_FILE = "api_errors.toml"
"""Which codes correspond to the API error codes E0001–E0004 (住登外者宛名番号付番API 第2.0版)."""

HINTS_FILE = "hints.toml"
"""Hints: a sentence added to a finding's message when the value has a recognisable shape (see :class:`Hint`)."""

PARSED_FILE = "catalogue.json"
"""The TOML files parsed, with the digest of their bytes (written by ``tools/gen_docs.py``).

Parsing the TOML costs ~50 ms per process, a visible share of a short run; the JSON loads in a
few ms. It is used only while its digest matches the TOML files, so an edited TOML file is never
shadowed by a stale copy (and a test keeps the committed copy current).
"""

_DOC_PARTS = ("what", "why", "example", "fix")


@dataclass(frozen=True, slots=True)
class Entry:
    """One catalogue entry."""

    code: str
    slug: str
    severity: Severity
    clause: str
    title: dict[str, str]
    message: dict[str, str]
    what: dict[str, str]
    why: dict[str, str]
    example: dict[str, str]
    fix: dict[str, str]
    family: str
    api_error: str | None = None  # E0001–E0004 where the finding corresponds to an API error code
    # Message parameters that carry a value of a personal item other than the finding's own (the
    # 生年月日 an era is compared with, the 世帯主's 氏名): masked unless values are shown.
    personal_params: tuple[str, ...] = ()

    def render(self, lang: Lang, params: dict[str, Any]) -> str:
        """Render the message template in ``lang`` with ``params``; missing fields render as '?'.

        A ``hint`` parameter (the name of a :class:`Hint`) adds the hint's sentence after the message.
        """
        text = _FORMATTER.vformat(self.message[lang], (), _Params(params))
        name = params.get("hint")
        if isinstance(name, str) and name:
            text += ("" if lang == "ja" else " ") + hint(name).text[lang]
        return text


@dataclass(frozen=True, slots=True)
class Hint:
    """A hint: what the offending value's shape suggests happened to it (e.g. a spreadsheet took it for a number).

    A finding carries a hint by name (``params["hint"]``, ``FindingOut.hint`` in the report); its text
    is appended to the message. The text has no parameters: it names the shape, never the value.
    """

    name: str
    title: dict[str, str]
    text: dict[str, str]
    shape: dict[str, str]
    applies: dict[str, str]


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


class _Formatter(string.Formatter):
    def get_value(self, key: int | str, args: Any, kwargs: Any) -> Any:
        if isinstance(key, int):
            return "?"
        return kwargs[key]

    def format_field(self, value: Any, format_spec: str) -> Any:
        if value is None:
            return "-"
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def sources() -> tuple[str, dict[str, str]]:
    """(digest, text by file name) of the catalogue's TOML files (what :data:`PARSED_FILE` is checked against)."""
    base = resources.files("kikan_std") / "data" / "catalogue"
    texts = {f: (base / f).read_text(encoding="utf-8") for f in (*CATALOGUE_FILES, API_ERRORS_FILE, HINTS_FILE)}
    h = hashlib.sha256()
    for f, text in texts.items():
        h.update(f"{f}\0{text}\0".encode())
    return h.hexdigest(), texts


def parsed_sources() -> str:
    """The JSON text of :data:`PARSED_FILE` for the TOML files as they are now."""
    import tomllib  # only the docs generator and the drift test write the parsed copy

    digest, texts = sources()
    data = {"sha256": digest, "files": {f: tomllib.loads(t) for f, t in texts.items()}}
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def parsed() -> dict[str, dict[str, Any]]:
    """The catalogue's TOML files as data, by file name: from :data:`PARSED_FILE` when its digest
    matches the TOML files (no TOML parsing at start-up), else parsed from the TOML text itself."""
    digest, texts = sources()
    try:
        cached = json.loads((resources.files("kikan_std") / "data" / PARSED_FILE).read_text(encoding="utf-8"))
        if cached.get("sha256") == digest:
            return dict(cached["files"])
    except (OSError, ValueError):
        pass
    import tomllib  # only when the parsed copy is missing or stale

    return {f: tomllib.loads(t) for f, t in texts.items()}


@cache
def catalogue() -> dict[str, Entry]:
    """All catalogue entries keyed by code, in display order."""
    out: dict[str, Entry] = {}
    files = parsed()
    for fname in CATALOGUE_FILES:
        data = files[fname]
        family = fname.removesuffix(".toml")
        for code, raw in data.items():
            if code in out:
                raise CatalogueError(f"{fname}: duplicate code {code}")
            out[code] = _entry(code, raw, family)
    api = files[API_ERRORS_FILE]
    for api_code, spec in api.items():
        for code in spec["codes"]:
            if code not in out:
                raise CatalogueError(f"{API_ERRORS_FILE}: {api_code} lists unknown code {code}")
            if out[code].api_error is not None:
                raise CatalogueError(f"{API_ERRORS_FILE}: {code} is listed twice")
            out[code] = dataclasses.replace(out[code], api_error=api_code)
    return out


@cache
def hints() -> dict[str, Hint]:
    """All hints keyed by name, in the order of :data:`HINTS_FILE`."""
    out: dict[str, Hint] = {}
    for name, raw in parsed()[HINTS_FILE].items():
        texts: dict[str, dict[str, str]] = {}
        for part in ("title", "text", "shape", "applies"):
            t = raw.get(part)
            if not (isinstance(t, dict) and t.get("ja") and t.get("en")):
                raise CatalogueError(f"{HINTS_FILE}: {name}: {part} needs non-empty ja and en")
            texts[part] = {"ja": str(t["ja"]), "en": str(t["en"])}
        out[name] = Hint(name=name, **texts)
    return out


def hint(name: str) -> Hint:
    """The hint called ``name``.

    Raises:
        KeyError: unknown hint.
    """
    return hints()[name]


def _entry(code: str, raw: dict[str, Any], family: str) -> Entry:
    try:
        severity = raw["severity"]
        if severity not in ("error", "warning", "info"):
            raise CatalogueError(f"{code}: bad severity {severity!r}")
        texts = {}
        for part in ("title", "message", *_DOC_PARTS):
            t = raw[part]
            if not (isinstance(t, dict) and t.get("ja") and t.get("en")):
                raise CatalogueError(f"{code}: {part} needs non-empty ja and en")
            texts[part] = {"ja": str(t["ja"]), "en": str(t["en"])}
        return Entry(
            code=code,
            slug=str(raw["slug"]),
            severity=severity,
            clause=str(raw["clause"]),
            family=family,
            title=texts["title"],
            message=texts["message"],
            what=texts["what"],
            why=texts["why"],
            example=texts["example"],
            fix=texts["fix"],
            personal_params=tuple(str(p) for p in raw.get("personal_params", ())),
        )
    except KeyError as e:
        raise CatalogueError(f"{code}: missing key {e}") from None


def entry(code: str) -> Entry:
    """The catalogue entry for ``code``.

    Raises:
        KeyError: unknown code.
    """
    return catalogue()[code]


def explain(code: str, lang: Lang = "ja") -> str:
    """The documentation of ``code`` as Markdown (the same text as its docs page).

    Raises:
        UnknownCodeError: no such code (a usage problem; also a KeyError).
    """
    if code.upper() not in catalogue():
        raise UnknownCodeError(code=code)
    e = entry(code.upper())
    labels = {
        "ja": ("重大度", "根拠", "何を検査するか", "なぜ重要か", "例", "直し方", "メッセージ"),
        "en": ("Severity", "Clause", "What it checks", "Why it matters", "Example", "How to fix", "Message"),
    }[lang]
    sev = {"ja": {"error": "エラー", "warning": "警告", "info": "情報"}, "en": {}}[lang].get(e.severity, e.severity)
    lines = [
        f"# {e.code} {e.slug}: {e.title[lang]}",
        "",
        f"- **{labels[0]}**: {sev}",
        f"- **{labels[1]}**: {e.clause}",
        f"- **{labels[6]}**: {e.message[lang]}",
    ]
    if e.api_error is not None:
        api = "API エラーコード" if lang == "ja" else "API error code"
        lines.append(f"- **{api}**: {e.api_error}（住登外者宛名番号付番API）" if lang == "ja" else
                     f"- **{api}**: {e.api_error} (住登外者宛名番号付番API)")
    lines.append("")
    for label, part in zip(labels[2:6], _DOC_PARTS, strict=True):
        lines += [f"## {label}", "", getattr(e, part)[lang].strip(), ""]
    return "\n".join(lines)
