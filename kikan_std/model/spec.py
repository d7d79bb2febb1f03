"""The specification model: the shape of the official 基本データリスト as Pydantic models.

A :class:`Spec` is one business (or common function) edition. A :class:`Group` is one output unit,
which the standard says is one file in file-based exchange. An :class:`Item` is one data item with
its official type, length, code list and output condition. Built-in specs are JSON files holding
exactly this shape (``kikan_std/specs/*.json``), so a spec imported from an official workbook at
run time takes the same path as a built-in one.

Every element carries a :data:`Provenance` label saying how far it can be trusted.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kikan_std.errors import UnknownGroupError

if TYPE_CHECKING:  # records builds on this module's classes
    from kikan_std.model.records import RecordModel
    from kikan_std.model.rules import RecordRule

Provenance = Literal["official", "derived", "municipal", "modeled", "user-supplied"]
"""How an element of a spec is known.

* ``official``: taken from an unmodified Digital Agency / MIC document;
* ``derived``: from a faithful third-party transcription of an official document;
* ``municipal``: from a real municipality's standard-system export;
* ``modeled``: our best model where the official list is not at hand;
* ``user-supplied``: from a workbook or spec file the user passed that is not byte-identical to a
  known official edition (:data:`kikan_std.model.workbook.OFFICIAL_WORKBOOKS`).
"""


class DataType(StrEnum):
    """The data types of the 基本データリスト legend (凡例: データ型)."""

    X = "X"  # 半角文字列
    N = "Ｎ"  # 全角文字列 (the legend writes a full-width N)
    NUM = "9"  # 整数
    DECIMAL = "9V"  # 小数点付き実数, length "n,m"
    SIGNED = "S9"  # 符号付き整数
    DATE = "DATE"  # YYYY-MM-DD
    YEAR = "YEAR"  # YYYY
    TIME = "TIME"  # HH:MM[:SS]
    BLOB = "BLOB"  # 画像


class Obligation(StrEnum):
    """データ出力条件."""

    REQUIRED = "必須"
    CONDITIONAL = "条件付き必須"
    OPTIONAL = "任意"


class Format(StrEnum):
    """Content formats an item's description pins down beyond its type (checked on top of the type)."""

    INDIVIDUAL_NUMBER = "individual_number"  # 個人番号: 12 digits, check digit (総務省令第85号 第5条)
    CORPORATE_NUMBER = "corporate_number"  # 法人番号: 13 digits, leading check digit (国税庁)
    LOCAL_GOVERNMENT_CODE = "local_government_code"  # 全国地方公共団体コード: 6 digits, check digit
    POSTAL_CODE = "postal_code"  # 郵便番号: 7 half-width digits, no hyphen (GIF)
    TOWN_CODE = "town_code"  # ABR 町字ID: 7 digits
    DIGITS = "digits"  # half-width digits only
    # A code as wide as the 桁数 (業務ID: "3桁のコード値"; 独自施策システム等ID: "3桁の半角文字列",
    # 共通機能標準仕様書): "1" or "01" is not the code "001". → FLD022
    CODE_DIGITS = "code_digits"  # half-width digits filling the whole 桁数
    CODE_WIDTH = "code_width"  # exactly 桁数 characters (the type says which)
    # A number written with all its 桁数 in digits: the official sample fills the width (宛名番号
    # 123456789123456 in X(15)), so "1" is most likely 000000000000001 with its zeros lost. The
    # text itself does not say "zero-padded", so a shorter number is a warning (FLD023), not an error.
    PADDED_NUMBER = "padded_number"  # half-width digits filling the whole 桁数 → FLD023
    # 全銀協 fixed-width transfer files (spec zengin_sogo_furikomi). On an X item they replace the
    # printable-ASCII check: the field's own character set is the whole rule.
    ZENGIN_CHARS = "zengin_chars"  # 全銀 character set (半角カナ・英大文字・数字・一部記号) → ZGN004
    ZENGIN_NUMERIC = "zengin_numeric"  # half-width digits filling the whole field (zero-padded) → ZGN003


class CodeValue(BaseModel):
    """One value of a code list (コード値 and コード値の内容)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: str
    meaning: str


class CodeList(BaseModel):
    """A code list (コード一覧). ``open`` lists (e.g. 999 自治体固有コード) accept any value."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    values: tuple[CodeValue, ...] = ()
    open: bool = False
    note: str = ""
    provenance: Provenance

    @cached_property
    def allowed(self) -> frozenset[str]:
        """The set of allowed lexical values."""
        return frozenset(v.value for v in self.values)


_LENGTH_RE = re.compile(r"^(\d+)(?:,(\d+))?$")


class Item(BaseModel):
    """One data item (データ項目) of a group."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = Field(default=None, description="8-digit データ項目ID (3-digit business code + 5-digit item code)")
    name: str = Field(description="official Japanese item name (データ項目), used as the CSV header")
    romaji: str = Field(description="データ項目（ローマ字）, the field name in API連携")
    aliases: tuple[str, ...] = Field(default=(), description="other header spellings accepted")
    type: DataType
    length: str = Field(description="桁数: characters, or 'n,m' for 9V")
    code_list: str | None = None
    repetition: int | None = None
    obligation: Obligation
    condition: str = Field(default="", description="the ※※ condition text of 条件付き必須")
    primary_key: bool = False
    foreign_key: bool = False
    format: Format | None = None
    allows_unknown_date: bool = Field(default=False, description="項目説明 allows 不詳日 (DATE only)")
    personal: bool = Field(default=False, description="holds personal data; masked in reports")
    description: str = ""
    sample: str = ""
    provenance: Provenance

    @field_validator("id")
    @classmethod
    def _id_shape(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d{8}", v):
            raise ValueError(f"データ項目ID must be 8 digits: {v!r}")
        return v

    @model_validator(mode="after")
    def _length_shape(self) -> Item:
        m = _LENGTH_RE.match(self.length)
        if not m:
            raise ValueError(f"{self.name}: 桁数 must be 'n' or 'n,m': {self.length!r}")
        if (m.group(2) is not None) != (self.type is DataType.DECIMAL):
            raise ValueError(f"{self.name}: 桁数 'n,m' is for type 9V only: {self.length!r}")
        if self.allows_unknown_date and self.type is not DataType.DATE:
            raise ValueError(f"{self.name}: allows_unknown_date applies to DATE items only")
        return self

    @property
    def max_length(self) -> int:
        """Maximum characters (for 9V: integer digits)."""
        return int(self.length.split(",")[0])

    @property
    def fraction_digits(self) -> int:
        """Maximum fraction digits of a 9V item (0 otherwise)."""
        parts = self.length.split(",")
        return int(parts[1]) if len(parts) == 2 else 0

    @property
    def required(self) -> bool:
        """True for 必須 items."""
        return self.obligation is Obligation.REQUIRED


class ForeignKey(BaseModel):
    """A reference from items of this group to the key of another group."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    items: tuple[str, ...]
    group: str
    target_items: tuple[str, ...]


class FixedField(BaseModel):
    """One field of a fixed-width (固定長) record: an item at a byte position."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str = Field(description="item name (official name or romaji)")
    start: int = Field(ge=1, description="1-based start byte within the record")
    length: int = Field(ge=1, description="length in bytes (a full-width character is 2 bytes in CP932)")


class RecordType(BaseModel):
    """Selects the records of one record type in a file holding several (e.g. 全銀 データ区分)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int = Field(ge=1, description="1-based start byte of the selector within the record")
    length: int = Field(ge=1, description="length of the selector in bytes")
    value: str = Field(min_length=1, description="the selector's value for this layout's records (ASCII)")

    @model_validator(mode="after")
    def _value_fits(self) -> RecordType:
        if len(self.value.encode("ascii", "replace")) != self.length:
            raise ValueError(f"record_type value {self.value!r} is not {self.length} bytes")
        return self


class FixedWidthLayout(BaseModel):
    """The layout of a fixed-width legacy export (see docs/formats.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    encoding: str = Field(default="cp932", description="declared encoding of the bytes")
    record_length: int = Field(ge=1, description="bytes per record, line terminator excluded")
    line_terminator: Literal["auto", "crlf", "lf", "none"] = Field(
        default="auto", description="records separated by CRLF/LF ('auto': either), or back to back ('none')"
    )
    fields: tuple[FixedField, ...]
    group: str | None = Field(default=None, description="the group the file holds (default: the spec's only group)")
    record_type: RecordType | None = Field(
        default=None,
        description="read only the records whose selector bytes equal this value (the others belong to other "
        "groups of the same file)",
    )

    @model_validator(mode="after")
    def _fields_fit(self) -> FixedWidthLayout:
        spans = sorted((f.start, f.start + f.length - 1, f.item) for f in self.fields)
        for (_, end, a), (start, _, b) in itertools.pairwise(spans):
            if start <= end:
                raise ValueError(f"fields {a!r} and {b!r} overlap")
        if spans and spans[-1][1] > self.record_length:
            raise ValueError(f"field {spans[-1][2]!r} ends after byte {self.record_length} (record_length)")
        return self


class Group(BaseModel):
    """A group (グループ): one file in file-based exchange."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="グループ_名称")
    romaji: str = ""
    items: tuple[Item, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    fixed_width: FixedWidthLayout | None = Field(default=None, description="optional 固定長 layout of the group")

    @model_validator(mode="after")
    def _keys_exist(self) -> Group:
        names = [i.name for i in self.items]
        if len(set(names)) != len(names):
            dupes = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"group {self.name}: duplicate item names {dupes}")
        for k in self.primary_key:
            if k not in names:
                raise ValueError(f"group {self.name}: primary key item {k!r} is not an item")
        return self

    def item(self, name: str) -> Item:
        """The item called ``name`` (official name)."""
        for it in self.items:
            if it.name == name:
                return it
        raise KeyError(name)


class Spec(BaseModel):
    """One edition of a standard specification (one business or common function)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="kikan-std spec id, e.g. 'jutogai_atena'")
    business_code: str = Field(description="3-digit 基幹業務コード (e.g. '031')")
    title: str = Field(description="Japanese title")
    edition: str = Field(description="版, e.g. '第2.0版'")
    published: str = Field(description="publication date YYYY-MM-DD (or YYYY-MM)")
    applies_from: str | None = Field(
        default=None,
        description="application date (施行日・適用開始日) YYYY-MM-DD (or YYYY-MM); None when the source does not state "
        "it. Since 2024-12 a revision is published at least a year before it applies",
    )
    source: str = ""
    provenance: Provenance
    groups: tuple[Group, ...]
    code_lists: tuple[CodeList, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _code_lists_exist(self) -> Spec:
        ids = {c.id for c in self.code_lists}
        for g in self.groups:
            for it in g.items:
                if it.code_list is not None and it.code_list not in ids:
                    raise ValueError(f"{g.name}/{it.name}: code list {it.code_list!r} is not defined")
        return self

    def group(self, name: str) -> Group:
        """The group called ``name``."""
        for g in self.groups:
            if g.name == name or (g.romaji and g.romaji == name):
                return g
        raise UnknownGroupError(group=name, choices=[g.name for g in self.groups])

    def code_list(self, list_id: str) -> CodeList:
        """The code list with id ``list_id``."""
        for c in self.code_lists:
            if c.id == list_id:
                return c
        raise KeyError(list_id)

    def record_model(
        self,
        group: str | None = None,
        *,
        rules: Sequence[RecordRule] | None = None,
        rule_options: Mapping[str, str] | None = None,
        gj_table: frozenset[str] | None = None,
        hide_input: bool = True,
        loc_by_alias: bool = False,
        lang: Literal["ja", "en"] = "ja",
    ) -> type[RecordModel]:
        """A Pydantic model of one record of ``group`` (default: the first group), cached.

        Fields keep the lexical string the vendor wrote (``str``, empty string for blank), named by
        romaji; the official Japanese name (and the item's aliases) is accepted on input and is the
        serialisation alias, so ``Model.model_validate(csv_row_dict)`` works on a header-keyed row.
        The model applies every field check of the engine and the spec's record rules: a record fails
        exactly when :func:`kikan_std.check_records` reports an error for it, with the catalogue code
        as the pydantic error ``type`` (see :mod:`kikan_std.model.records`).
        """
        from kikan_std.model.records import record_model  # records imports this module

        return record_model(
            self, self.groups[0].name if group is None else group, rules=rules, rule_options=rule_options,
            gj_table=gj_table, hide_input=hide_input, loc_by_alias=loc_by_alias, lang=lang,
        )


def json_schema_of_spec() -> dict[str, Any]:
    """JSON Schema of the spec file format itself."""
    return Spec.model_json_schema()
