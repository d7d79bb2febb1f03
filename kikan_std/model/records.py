"""Pydantic record models built from spec data (once per group, cached)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, create_model

if TYPE_CHECKING:  # Spec calls record_model; at run time this module needs only the items' facts
    from kikan_std.model.spec import Spec

_FieldFacts = tuple[str, str, str, int | None, bool]
"""(romaji, official name, description, maximum length or None, required) of one item."""


@cache
def _build(model_name: str, facts: tuple[_FieldFacts, ...]) -> type[BaseModel]:
    fields: dict[str, object] = {}
    for romaji, name, description, max_length, required in facts:
        constraints: dict[str, object] = {"alias": name, "description": description}
        if max_length is not None:
            constraints["max_length"] = max_length
        if required:
            fields[romaji] = (str, Field(min_length=1, **constraints))  # type: ignore[call-overload]
        else:
            fields[romaji] = (str, Field(default="", **constraints))  # type: ignore[call-overload]
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        model_name,
        __config__=ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=False),
        **fields,
    )
    return model


def record_model(spec: Spec, group_name: str) -> type[BaseModel]:
    """A Pydantic model of one record of ``group_name`` (lexical strings, aliases = official names)."""
    group = spec.group(group_name)
    facts = tuple(
        (it.romaji, it.name, f"{it.id or ''} {it.type.value}({it.length})",
         None if it.type.value in ("9V", "S9") else it.max_length, it.required)
        for it in group.items
    )
    return _build(f"{spec.id}_{group.romaji or 'record'}", facts)
