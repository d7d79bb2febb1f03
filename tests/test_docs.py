"""Docs made from data must match the data; every finding code has a Japanese message and a page."""

from __future__ import annotations

import sys

from kikan_std.catalogue import catalogue
from tests.conftest import ROOT


def test_generated_pages_are_up_to_date() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from gen_docs import all_pages
    finally:
        sys.path.pop(0)
    stale = [str(p.relative_to(ROOT)) for p, text in all_pages().items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    assert stale == [], f"run `make docs-gen`: {stale}"


def test_every_code_has_japanese_and_english_texts_and_a_page() -> None:
    for code, e in catalogue().items():
        assert e.message["ja"] and e.message["en"] and e.fix["ja"]
        assert (ROOT / "docs" / "rules" / f"{code}.md").exists(), code
