"""Pydantic record models built from spec data (once per group, cached)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field, create_model

from kikan_std.model.spec import Spec


@cache
def _build(spec_json: str, group_name: str) -> type[BaseModel]:
    spec = Spec.model_validate_json(spec_json)
    group = spec.group(group_name)
    fields: dict[str, object] = {}
    for it in group.items:
        constraints: dict[str, object] = {"alias": it.name, "description": f"{it.id or ''} {it.type.value}({it.length})"}
        if it.type.value not in ("9V", "S9"):
            constraints["max_length"] = it.max_length
        if it.required:
            fields[it.romaji] = (str, Field(min_length=1, **constraints))  # type: ignore[call-overload]
        else:
            fields[it.romaji] = (str, Field(default="", **constraints))  # type: ignore[call-overload]
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        f"{spec.id}_{group.romaji or 'record'}",
        __config__=ConfigDict(populate_by_name=True, extra="forbid", str_strip_whitespace=False),
        **fields,
    )
    return model


def record_model(spec: Spec, group_name: str) -> type[BaseModel]:
    """A Pydantic model of one record of ``group_name`` (lexical strings, aliases = official names)."""
    return _build(spec.model_dump_json(), group_name)
