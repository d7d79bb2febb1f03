"""One finding as the report shows it: messages rendered, personal values masked, fingerprints."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from hashlib import sha256
from typing import Any

from kikan_std.catalogue import Lang, entry
from kikan_std.findings import Finding
from kikan_std.jp.chars import count_chars
from kikan_std.options import DEFAULT_MASK_KEY
from kikan_std.report.model import FindingOut, Status, WaiverRef

_MASKED_RE = re.compile(r"\**\d{0,2} #([0-9a-f]{8})")


def value_tag(value: str, key: bytes = DEFAULT_MASK_KEY) -> str:
    """A short keyed hash of ``value``: the same value gives the same tag under the same key.

    HMAC-SHA256 (RFC 2104), the bytes of ``hmac.new(key, value, sha256)``: the padded key is hashed
    once per key and copied for each value, which is several times faster than a new HMAC object
    (a reconcile run masks millions of values).
    """
    inner, outer = _hmac_pads(key)
    i = inner.copy()
    i.update(value.encode("utf-8", "surrogatepass"))
    o = outer.copy()
    o.update(i.digest())
    return o.hexdigest()[:8]


@lru_cache(maxsize=16)
def _hmac_pads(key: bytes) -> tuple[hashlib._Hash, hashlib._Hash]:
    """The SHA-256 states after the inner and the outer padded key of HMAC (RFC 2104)."""
    k = sha256(key).digest() if len(key) > _BLOCK else key
    k = k.ljust(_BLOCK, b"\0")
    return sha256(bytes(b ^ 0x36 for b in k)), sha256(bytes(b ^ 0x5C for b in k))


_BLOCK = 64  # SHA-256 block size


def mask_value(value: str, key: bytes = DEFAULT_MASK_KEY) -> str:
    """Mask a personal value, keeping only what helps locate the problem.

    Digit strings keep their last two digits (enough to tell two numbers apart on a screen);
    anything else becomes asterisks. A short keyed hash lets the same value be recognised across
    findings and runs without revealing it.
    """
    tag = value_tag(value, key)
    if value.isascii() and value.isdigit() and len(value) >= 6:
        return f"{'*' * (len(value) - 2)}{value[-2:]} #{tag}"
    return f"{'*' * min(len(value), 8)} #{tag}"


def masked_tag(shown: str) -> str | None:
    """The hash tag of a masked value as :func:`mask_value` writes it, or None if not masked."""
    m = _MASKED_RE.fullmatch(shown)
    return m[1] if m else None


def visible(text: str) -> str:
    """``text`` with undecodable input bytes (lone surrogates) shown as ``\\xNN``, so it serialises."""
    if text.isascii() or not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02X}" if ord(m.group()) >= 0xDC80 else "\ufffd", text)


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _visible_any(v: Any) -> Any:
    return visible(v) if isinstance(v, str) else v


def fingerprint(
    code: str, file: str, item: str | None, key_tags: dict[str, str], value_tag: str | None
) -> str:
    """The identity of a finding across runs: code, file, item and business keys — no row number.

    ``key_tags`` are the keyed hashes of the business key values; a finding without business keys
    falls back to the hash of its value (``value_tag``), so edits elsewhere in the file do not
    change it. Inserting or deleting rows therefore leaves fingerprints unchanged.
    """
    keyed = "k:" + "|".join(f"{k}={v}" for k, v in sorted(key_tags.items()))
    ident = keyed if key_tags else "v:" + (value_tag or "")
    raw = "\x1f".join((code, file, item or "", ident))
    return sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def finding_fingerprint(f: Finding, key: bytes = DEFAULT_MASK_KEY, file: str | None = None) -> str:
    """:func:`fingerprint` of a raw finding; ``file`` is its file's name relative to the checked root
    when that differs from the name in the finding (see :func:`kikan_std.report.baseline.root_relative`)."""
    tags = {k: value_tag(v, key) for k, v in f.keys.items()}
    return fingerprint(f.code, file or f.file, f.item, tags, None if f.value is None else value_tag(f.value, key))


def is_personal(f: Finding, personal_items: frozenset[str]) -> bool:
    """Whether a finding's value is personal: its item is, or it is keyed only by personal keys."""
    if f.personal or (f.item is not None and f.item in personal_items):
        return True
    return f.item is None and any(k in personal_items for k in f.keys)


def _is_blank_or_control(text: str) -> bool:
    return all(unicodedata.category(c)[0] in "CZ" for c in text)


def _keeps_char(codepoints: str) -> bool:
    """Control and space characters reveal nothing about a person and are what needs fixing."""
    try:
        chars = [chr(int(cp.removeprefix("U+"), 16)) for cp in codepoints.split()]
    except ValueError:
        return False
    return bool(chars) and all(unicodedata.category(c)[0] in "CZ" for c in chars)


_SHOWN_CHAR_MIN_LENGTH = 4
"""A value's offending character is shown only when the value has at least this many characters."""


def _shows_offending_char(params: dict[str, Any], raw: str | None) -> bool:
    """True when the one offending character of a character finding may be shown.

    A character check reports the first offending character of a value once per code, with its position:
    that one character and its code point are what the auditor must fix and say little on their own
    (issue: masking hid what needed fixing). In a value of fewer than four characters one character is
    too much of the value, so it stays masked there.
    """
    if not raw or "position" not in params:
        return False
    return count_chars(raw) >= _SHOWN_CHAR_MIN_LENGTH


def _mask_params(params: dict[str, Any], raw: str | None, key: bytes) -> dict[str, Any]:
    """Params of a personal finding with anything that could reveal the value masked.

    ``suggestion`` is usually the whole corrected value; ``char``/``codepoints`` name a character
    of it (kept for control and space characters, which are the problem itself, and for the one
    offending character of a value of four or more characters — see :func:`_shows_offending_char`);
    ``bytes`` are undecodable bytes of it (a name in another encoding reads back from its hex); any
    other text parameter containing the value is masked too.
    """
    out = dict(params)
    shown = _shows_offending_char(out, raw) and len(str(out.get("char", ""))) <= 2
    if out.get("bytes"):
        out["bytes"] = "**"
    sug = out.get("suggestion")
    if shown and sug is not None and len(str(sug)) <= 2:
        pass  # the replacement of the one shown character (ﾔ → ヤ) says no more than the character itself
    elif sug not in (None, "-", "") and not _is_blank_or_control(str(sug)):
        # A one-character suggestion gets no hash: a hash of one character is trivially reversed.
        out["suggestion"] = mask_value(str(sug), key) if len(str(sug)) > 1 else "*"
    if "char" in out and not shown and not _keeps_char(str(out.get("codepoints", ""))):
        out["char"] = "*"
        if "codepoints" in out:
            out["codepoints"] = "U+****"
    if raw:
        for k, v in out.items():
            if isinstance(v, str) and k not in ("char", "codepoints") and raw in v:
                out[k] = v.replace(raw, mask_value(raw, key))
    return out


def finding_out(
    f: Finding,
    lang: Lang,
    show_values: bool,
    mask_key: bytes = DEFAULT_MASK_KEY,
    personal_items: frozenset[str] = frozenset(),
    status: Status | None = None,
    waiver: WaiverRef | None = None,
    fp: str | None = None,
) -> FindingOut:
    """Render one finding: severity and message from the catalogue, values masked as needed.

    Masking covers the value, the message parameters and business keys of personal items, so no
    output format (they are all rendered from this) can show a personal value unless
    ``show_values``.
    """
    e = entry(f.code)
    personal = not show_values and is_personal(f, personal_items)
    masked = personal and f.value is not None and f.value != ""
    value = mask_value(f.value, mask_key) if masked and f.value is not None else f.value
    # The hint is a name from the catalogue (the value's shape, never the value): kept out of the
    # masking and out of ``params``; the report has it as its own field.
    hint = f.params.get("hint")
    raw_params = {k: v for k, v in f.params.items() if k != "hint"} if hint is not None else f.params
    params = _mask_params(raw_params, f.value, mask_key) if personal else dict(raw_params)
    if not show_values:
        for name in e.personal_params:
            v = params.get(name)
            if isinstance(v, str) and v not in ("", "-"):
                params[name] = mask_value(v, mask_key)
    keys = dict(f.keys)
    if not show_values:
        keys = {k: mask_value(v, mask_key) if k in personal_items and v else v for k, v in keys.items()}
    tmpl = {"item": f.item or "-", "value": value, "file": f.file, "record": f.record, "line": f.line}
    tmpl.update(params)
    if isinstance(hint, str):
        tmpl["hint"] = hint
    return FindingOut(
        code=f.code,
        severity=f.severity or e.severity,  # type: ignore[arg-type]
        file=f.file,
        record=f.record,
        line=f.line,
        item=f.item,
        item_id=f.item_id,
        message=visible(e.render(lang, tmpl)),
        value=None if value is None else visible(value),
        value_masked=masked,
        keys={k: visible(v) for k, v in keys.items()},
        related=[{"record": r, "line": ln} for r, ln in f.related],
        pointer=f.pointer,
        offset=f.offset,
        api_error=e.api_error,
        params={k: _visible_any(v) for k, v in params.items() if isinstance(v, str | int | float | bool) or v is None},
        hint=hint if isinstance(hint, str) else None,
        status=status,
        fingerprint=fp if fp is not None else finding_fingerprint(f, mask_key),
        waiver=waiver,
    )
