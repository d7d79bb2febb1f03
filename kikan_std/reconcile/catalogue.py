"""Catalogue entries of the reconcile codes (RCN…, ZGN…).

Uses :func:`kikan_std.catalogue.entry` when the full catalogue loads; falls back to reading
``data/catalogue/reconcile.toml`` alone so this package also works when it is used on its own.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from kikan_std import catalogue as _catalogue
from kikan_std.errors import CatalogueError

__all__ = ["entry", "reconcile_entries", "render_message"]


@cache
def reconcile_entries() -> dict[str, _catalogue.Entry]:
    """The entries of ``reconcile.toml``, parsed and checked like the main catalogue."""
    path = Path(__file__).resolve().parent.parent / "data" / "catalogue" / "reconcile.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {code: _catalogue._entry(code, raw, "reconcile") for code, raw in data.items()}


@cache
def _full() -> dict[str, _catalogue.Entry]:
    try:
        full = _catalogue.catalogue()
    except (OSError, CatalogueError, TypeError, ModuleNotFoundError):
        return reconcile_entries()
    return full if all(code in full for code in reconcile_entries()) else {**full, **reconcile_entries()}


def entry(code: str) -> _catalogue.Entry:
    """The catalogue entry for ``code``.

    Raises:
        KeyError: unknown code.
    """
    return _full()[code]


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@cache
def _plain_template(code: str) -> str | None:
    """The Japanese message of ``code`` when it only has plain ``{name}`` fields, else None."""
    text = entry(code).message["ja"]
    for _literal, name, spec, conversion in string.Formatter().parse(text):
        if name is not None and (spec or conversion or not name.isidentifier()):
            return None
    return text


def render_message(code: str, params: dict[str, Any]) -> str:
    """``entry(code).render("ja", params)``, faster for the plain templates of the reconcile codes.

    Same text: a missing field renders as ``?`` and a None value as ``-`` (as the catalogue's formatter).
    """
    text = _plain_template(code)
    if text is None:
        return entry(code).render("ja", params)
    return text.format_map(_Params({k: "-" if v is None else v for k, v in params.items()}))
