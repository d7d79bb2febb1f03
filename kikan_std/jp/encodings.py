"""Encoding helpers: a detection hint for undeclared encodings, and CP932-only characters.

The engine uses the declared (contracted) encoding first; :func:`detect_encoding` is only a
fallback hint, and it says when its evidence is weak (``ENC004``). :func:`cp932_only_chars` finds
the characters that make a file CP932 rather than Shift_JIS (``ENC001``).

``charset_normalizer`` is imported inside :func:`detect_encoding`, so importing this module is cheap.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

__all__ = [
    "SUPPORTED_ENCODINGS",
    "WEAK_REASONS",
    "Detection",
    "cp932_only_chars",
    "detect_encoding",
    "supported_codec",
]

SUPPORTED_ENCODINGS: tuple[str, ...] = (
    "utf-8",
    "cp932",
    "shift_jis",
    "shift_jis_2004",
    "shift_jisx0213",
    "euc_jp",
    "euc_jis_2004",
    "euc_jisx0213",
    "iso2022_jp",
    "iso2022_jp_2004",
    "ascii",
)
"""The Python codec names an input may be read with (``--encoding`` and layouts): UTF-8 and the
encodings Japanese municipal systems export. Each is a text encoding in which the line feed, the
comma and the double quote are single ASCII bytes. ``utf-8-sig`` means ``utf-8`` (the BOM is the
``--bom`` contract's business, not the codec's); UTF-16/UTF-32 and non-text codecs (base64, rot13,
idna …) are refused before any file is read."""

_ALIASES = {"utf-8-sig": "utf-8"}


def supported_codec(name: str) -> str | None:
    """The codec name of a supported encoding ``name`` (any Python alias), or None.

    Raises:
        LookupError: Python knows no codec called ``name``.
    """
    codec = codecs.lookup(name).name
    codec = _ALIASES.get(codec, codec)
    return codec if codec in SUPPORTED_ENCODINGS else None

WEAK_REASONS: dict[str, dict[Literal["ja", "en"], str]] = {
    "empty": {"ja": "標本が空", "en": "the sample is empty"},
    "ascii-only": {"ja": "標本が ASCII のみ", "en": "the sample is ASCII only"},
    "few-non-ascii": {"ja": "非 ASCII の文字が少ない", "en": "the sample has few non-ASCII characters"},
    "low-confidence": {"ja": "候補の確からしさが低い", "en": "the best candidate has low confidence"},
    "ambiguous": {"ja": "複数の文字コードで読める", "en": "several encodings decode the sample"},
    "user-defined-area": {
        "ja": "CP932 のユーザー定義領域（外字）または Shift_JIS-2004 の第2面を含む",
        "en": "the sample has CP932 user-defined (gaiji) codes or Shift_JIS-2004 plane 2 codes",
    },
    "undecodable": {"ja": "どの候補でも正しく読めない", "en": "no candidate decodes the sample cleanly"},
}
"""Texts for :attr:`Detection.reason` keys."""

_FEW_NON_ASCII = 16  # fewer non-ASCII bytes than this is weak evidence
_MAX_SAMPLE = 256 * 1024
_CANDIDATES = ["utf_8", "cp932", "euc_jp", "euc_jis_2004", "iso2022_jp"]
_NAMES = {
    "utf_8": "utf-8",
    "utf-8": "utf-8",
    "ascii": "utf-8",
    "shift_jis": "cp932",
    "cp932": "cp932",
    "shift_jis_2004": "shift_jis_2004",
    "shift_jisx0213": "shift_jis_2004",
    "euc_jp": "euc_jp",
    "euc_jis_2004": "euc_jis_2004",
    "euc_jisx0213": "euc_jis_2004",
    "iso2022_jp": "iso2022_jp",
    "iso2022_jp_2004": "iso2022_jp_2004",
}


@dataclass(frozen=True, slots=True)
class Detection:
    """The result of :func:`detect_encoding`.

    Attributes:
        encoding: A Python codec name: ``utf-8``, ``utf-8-sig`` (UTF-8 with BOM), ``utf-16``,
            ``utf-32``, ``cp932``, ``euc_jp``, ``euc_jis_2004``, ``shift_jis_2004``, ``iso2022_jp``.
        confidence: 0.0–1.0.
        weak: True when the evidence is weak; then ``reason`` is set.
        reason: A key of :data:`WEAK_REASONS`, or None.
        bom: True when the sample starts with a byte order mark.
    """

    encoding: str
    confidence: float
    weak: bool
    reason: str | None = None
    bom: bool = False

    def reason_text(self, lang: Literal["ja", "en"] = "ja") -> str | None:
        """The reason in ``lang``, or None."""
        return WEAK_REASONS[self.reason][lang] if self.reason else None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _cut_at_line(sample: bytes) -> bytes:
    """The sample up to and including its last LF (a sample cut mid-line may end mid-character)."""
    nl = sample.rfind(b"\n")
    return sample[: nl + 1] if nl > 0 else sample


def _decodes(sample: bytes, encoding: str) -> bool:
    """True when ``sample`` decodes strictly, allowing one incomplete character at the very end."""
    try:
        sample.decode(encoding)
        return True
    except UnicodeDecodeError as e:
        return e.start >= len(sample) - 3 and "end of data" in str(e.reason)
    except LookupError:
        return False


def detect_encoding(sample: bytes) -> Detection:
    """Guess the encoding of ``sample`` (the first bytes of a file) among the encodings Japanese
    municipal systems use.

    Order: a BOM decides; an empty or ASCII-only sample is ``utf-8`` and weak; a sample that is
    valid UTF-8 is ``utf-8``; otherwise charset-normalizer chooses among CP932, EUC-JP and
    ISO-2022-JP. Shift_JIS is reported as ``cp932`` (its superset, the way legacy files should be
    read). The sample is cut at its last line break first.
    """
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return Detection(name, 1.0, False, None, bom=True)
    sample = _cut_at_line(sample[:_MAX_SAMPLE])
    if not sample:
        return Detection("utf-8", 0.0, True, "empty")
    non_ascii = sum(1 for b in sample if b >= 0x80)
    if non_ascii == 0:
        if b"\x1b$" in sample and _decodes(sample, "iso2022_jp_2004"):
            name = "iso2022_jp" if _decodes(sample, "iso2022_jp") else "iso2022_jp_2004"
            return Detection(name, 1.0, False)
        return Detection("utf-8", 0.5, True, "ascii-only")
    few = non_ascii < _FEW_NON_ASCII
    if _decodes(sample, "utf-8"):
        return Detection("utf-8", 0.9 if few else 1.0, few, "few-non-ascii" if few else None)

    from charset_normalizer import from_bytes  # only for inputs that are not UTF-8 (it is slow to import)

    matches = from_bytes(sample, cp_isolation=_CANDIDATES)
    best = matches.best()
    if best is None:
        for name in ("cp932", "euc_jp", "euc_jis_2004", "shift_jis_2004"):
            if _decodes(sample, name):
                gaiji = name == "cp932" and _has_user_defined(sample)
                return Detection(name, 0.3, True, "user-defined-area" if gaiji else "low-confidence")
        return Detection("cp932", 0.0, True, "undecodable")
    encoding = _NAMES.get(best.encoding, best.encoding)
    if encoding == "euc_jis_2004" and _decodes(sample, "euc_jp"):
        encoding = "euc_jp"
    confidence = round(max(0.0, 1.0 - best.chaos), 3)
    reason: str | None = None
    if encoding == "cp932" and _has_user_defined(sample):
        reason = "user-defined-area"
    elif few:
        reason = "few-non-ascii"
    elif confidence < 0.8:
        reason = "low-confidence"
    elif encoding != "cp932" and _decodes(sample, "cp932"):
        # Half-width kana in CP932 are single bytes 0xA1-0xDF, which pair up as valid EUC-JP
        # characters: a CP932 file that also reads as something else is never a sure guess.
        reason = "ambiguous"
    elif len({_NAMES.get(m.encoding, m.encoding) for m in matches if m.chaos <= best.chaos + 0.05}) > 1:
        reason = "ambiguous"
    return Detection(encoding, confidence, reason is not None, reason)


def _has_user_defined(sample: bytes) -> bool:
    text = sample.decode("cp932", errors="ignore")
    return any(0xE000 <= ord(c) <= 0xE757 for c in text)


# ---------------------------------------------------------------------------------------------

_CP932_ONLY_LEADS = (0x87, 0xED, 0xEE, 0xFA, 0xFB, 0xFC)


@cache
def _cp932_only() -> re.Pattern[str]:
    chars: set[str] = set()
    for lead in _CP932_ONLY_LEADS:
        for trail in range(0x40, 0xFD):
            try:
                c = bytes((lead, trail)).decode("cp932")
            except UnicodeDecodeError:
                continue
            if c.encode("cp932")[0] in _CP932_ONLY_LEADS:
                chars.add(c)
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")


def cp932_only_chars(text: str) -> list[tuple[int, str]]:
    """Characters of ``text`` that CP932 has but Shift_JIS (JIS X 0208) does not.

    These are the NEC special characters (row 13: ①, ㈱, ⅰ, ㍉ …), the NEC-selected IBM extensions
    (0xED/0xEE) and the IBM extensions (0xFA–0xFC). Characters that differ only by the mapping table
    (～ U+FF5E for 0x8160, ￢ U+FFE2 …) are valid Shift_JIS bytes and are not listed; neither are
    user-defined (gaiji) codes, which :mod:`kikan_std.jp.chars` reports as private use.

    Returns:
        ``(position, char)`` pairs, ``position`` being 1-based (index + 1), in text order.
    """
    if text.isascii():
        return []
    return [(m.start() + 1, m.group()) for m in _cp932_only().finditer(text)]
