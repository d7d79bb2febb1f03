"""The JSON contract of ``kikan-std profile`` and ``kikan-std compare`` (Pydantic models).

``schemas/profile.schema.json`` and ``schemas/compare.schema.json`` are generated from these models
(``make schemas``). Personal items never carry values here: only counts and rates; examples of
differences carry record keys (masked if a key item is personal) and values only with ``--show-values``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kikan_std._version import __version__

__all__ = [
    "CodeCount",
    "CompareReport",
    "Difference",
    "Example",
    "Households",
    "ItemProfile",
    "ProfileReport",
    "Side",
    "migration_json_schemas",
]


class CodeCount(BaseModel):
    """How many records hold one code value."""

    value: str
    meaning: str | None = Field(default=None, description="the code's meaning from the spec's code list")
    count: int
    rate: float


class ItemProfile(BaseModel):
    """The profile of one item (column)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="official Japanese item name (or a column beyond the spec)")
    in_spec: bool = True
    personal: bool = Field(description="personal item: counts and rates only, never values")
    type: str | None = None
    length: str | None = None
    filled: int
    blank: int
    unknown_date: int | None = Field(default=None, description="不詳日 values (DATE items: month or day 00)")
    filled_rate: float
    blank_rate: float
    unknown_rate: float | None = None
    distinct: int
    min: str | None = Field(default=None, description="smallest value (dates, numbers; never personal items)")
    max: str | None = None
    max_length: int | None = None
    at_max_length: int | None = Field(default=None, description="values exactly at the maximum length (truncation?)")
    lengths: list[tuple[int, int]] = Field(default_factory=list, description="(characters, records) pairs")
    values: list[CodeCount] | None = Field(default=None, description="code items: count per code value")
    sum: str | None = Field(default=None, description="amount items: sum of the values (decimal text)")


class Households(BaseModel):
    """Households (世帯) seen through the 世帯番号 item."""

    item: str
    households: int
    persons: int | None = None
    sizes: list[tuple[int, int]] = Field(default_factory=list, description="(persons, households) pairs")


class ProfileReport(BaseModel):
    """``kikan-std profile``: what one extract holds, item by item."""

    model_config = ConfigDict(extra="forbid")
    tool: Literal["kikan-std"] = "kikan-std"
    version: str = __version__
    kind: Literal["profile"] = "profile"
    spec: str
    group: str
    file: str
    bytes: int | None = Field(default=None, description="size of the file read (provenance)")
    sha256: str | None = Field(default=None, description="SHA-256 of the file read (provenance)")
    records: int
    excluded: int = Field(default=0, description="legacy rows the mapping excludes (e.g. 住登外)")
    mapping: str | None = None
    unknown_columns: list[str] = Field(default_factory=list, description="header names beyond the spec")
    missing_items: list[str] = Field(default_factory=list, description="items of the spec's group not in the file")
    items: list[ItemProfile]
    categories: list[str] = Field(default_factory=list, description="category items (code items beyond yes/no flags)")
    households: Households | None = None
    show_values: bool = False


class Side(BaseModel):
    """One side of a comparison."""

    file: str
    bytes: int | None = Field(default=None, description="size of the file read (provenance)")
    sha256: str | None = Field(default=None, description="SHA-256 of the file read (provenance)")
    records: int
    excluded: int = 0
    duplicate_keys: int = 0
    mapping: str | None = None


class Example(BaseModel):
    """One affected record: its key, and its values only with ``--show-values``."""

    key: dict[str, str]
    before: str | None = None
    after: str | None = None


DifferenceKind = Literal[
    "records_missing", "records_added",
    "filled_to_blank", "blank_to_filled", "became_unknown", "truncated", "width_changed",
    "leading_zeros_lost", "code_remapped", "date_shifted_day", "date_shifted_year",
    "degraded_geta", "degraded_shrink", "changed",
    "fill_rate_dropped", "unknown_rate_rose", "code_share_changed", "households_changed", "sum_changed",
    "column_missing", "column_added",
]


class Difference(BaseModel):
    """One difference between the two extracts."""

    model_config = ConfigDict(extra="forbid")
    kind: DifferenceKind
    item: str | None = Field(description="official item name, or null for record-level differences")
    count: int = Field(description="records affected (for distribution kinds: records the shift amounts to)")
    rate: float = Field(description="count / records compared (distribution kinds: size of the shift)")
    status: Literal["unexplained", "expected", "within_tolerance"] = "unexplained"
    reason: str | None = Field(default=None, description="the expected-differences entry that explains it")
    detail: dict[str, str | int | float | None] = Field(default_factory=dict)
    examples: list[Example] = Field(default_factory=list)


class CompareReport(BaseModel):
    """``kikan-std compare``: what changed between two extracts of the same data."""

    model_config = ConfigDict(extra="forbid")
    tool: Literal["kikan-std"] = "kikan-std"
    version: str = __version__
    kind: Literal["compare"] = "compare"
    spec: str
    group: str
    key: list[str]
    before: Side
    after: Side
    matched: int = Field(description="records present on both sides (by key)")
    items_compared: int
    verdict: Literal["no_difference", "explained", "differences"]
    valid: bool = Field(description="True when no difference is left unexplained (exit 0)")
    tolerance: dict[str, float]
    expected_file: str | None = None
    expired_expectations: list[str] = Field(default_factory=list)
    differences: list[Difference]
    show_values: bool = False


def migration_json_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schemas of the profile and compare outputs (``schemas/profile.schema.json``, ``compare.schema.json``)."""
    out: dict[str, dict[str, Any]] = {}
    for name, model in (("profile", ProfileReport), ("compare", CompareReport)):
        schema = model.model_json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://kikan-std.invalid/schemas/{name}.schema.json"
        schema["title"] = f"kikan-std {name}"
        out[f"{name}.schema.json"] = schema
    return out
