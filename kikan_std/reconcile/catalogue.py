"""Catalogue entries of the reconcile codes (RCN…, ZGN…).

Uses :func:`kikan_std.catalogue.entry` when the full catalogue loads; falls back to reading
``data/catalogue/reconcile.toml`` alone so this package also works when it is used on its own.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from kikan_std import catalogue as _catalogue
from kikan_std.errors import CatalogueError

__all__ = ["entry", "reconcile_entries"]


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
