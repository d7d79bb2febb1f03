"""Pydantic record models that check what the engine checks, built from spec data (once, cached).

A record model of a group has one ``str`` field per item (named by romaji; the official name and the
item's aliases are accepted on input, the official name is the serialisation alias). After pydantic
has taken the fields, one model validator runs **the engine's own checks** on the record:

* every field check of :class:`~kikan_std.model.fields.FieldChecker` (type, width class, length as the
  standard counts it — an IVS sequence is one character —, code list, content formats and check
  digits, dates and times, 不詳日 where allowed, required);
* the spec's record rules (:class:`~kikan_std.model.rules.RecordRule`, e.g. 条件付き必須) on a one-record
  :class:`~kikan_std.model.rules.ChunkView`.

Nothing is a second copy: the model calls the same objects the engine calls, so a record fails the
model exactly when :func:`kikan_std.check_records` reports an error for it. Every problem of severity
``error`` becomes one pydantic error whose ``type`` is the catalogue code (``FLD015``, ``CHR004`` …),
``loc`` the item, ``ctx`` the catalogue parameters and ``msg`` the catalogue message. Warnings and
information findings (CHR006, CHR014) do not make a record fail. Personal values are kept out of
errors (``input`` hidden, ``msg``/``ctx`` masked) unless the model is built with ``hide_input=False``.

The spec's record rules live in :mod:`kikan_std.specs`, a layer above this one: that package installs
its rule lookup in :mod:`kikan_std.model.rules` when it is imported
(:func:`~kikan_std.model.rules.install_rule_source`), which the facade always does; this module is
imported only when a record model is first asked for (it costs pydantic model building at import).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, GetJsonSchemaHandler, ValidationError, create_model
from pydantic import model_validator as _model_validator
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError

from kikan_std import catalogue
from kikan_std.errors import RuleNotRun
from kikan_std.findings import Finding
from kikan_std.model.fields import FieldChecker
from kikan_std.model.rules import INSTALLED, ChunkView, RecordRule
from kikan_std.model.schemas import attribute_name, class_name, describe, field_name, json_schema
from kikan_std.model.spec import Group, Item, Spec

Lang = Literal["ja", "en"]

_HIDDEN = "***"


def _masked_params(params: dict[str, Any], value: str) -> dict[str, Any]:
    """Params without anything that could reveal a personal value (a character of it, a fix of it)."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k in ("char", "suggestion") and v not in ("-", "", None):
            out[k] = _HIDDEN
        elif k == "codepoints":
            out[k] = "U+****"
        elif isinstance(v, str) and value and value in v:
            out[k] = v.replace(value, _HIDDEN)
        else:
            out[k] = v
    return out


@dataclass(frozen=True, slots=True)
class Binding:
    """What a record model checks: the spec's items with their field checkers, and its record rules."""

    spec: Spec
    group: Group
    fields: tuple[tuple[str, Item, FieldChecker], ...]
    """(attribute name, item, checker) per item, in the group's order."""
    rules: tuple[RecordRule, ...]
    options: Mapping[str, str]
    hide_input: bool
    loc_by_alias: bool
    lang: Lang
    item_names: tuple[str, ...] = ()
    items: dict[str, Item] = field(default_factory=dict)
    by_name: dict[str, tuple[str, Item]] = field(default_factory=dict)
    """Official item name → (attribute, item); with :attr:`item_names` and :attr:`items`, made once."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "item_names", tuple(it.name for _, it, _ in self.fields))
        object.__setattr__(self, "items", {it.name: it for _, it, _ in self.fields})
        object.__setattr__(self, "by_name", {it.name: (attr, it) for attr, it, _ in self.fields})

    def _loc(self, attr: str, item: Item) -> tuple[str, ...]:
        return (item.name,) if self.loc_by_alias else (attr,)

    def _error(self, code: str, attr: str | None, item: Item | None, value: str,
               params: dict[str, Any]) -> InitErrorDetails:
        hidden = self.hide_input and item is not None and item.personal
        shown = params if not hidden else _masked_params(params, value)
        shown_value = (_HIDDEN if value else "") if hidden else value
        tmpl = {"item": item.name if item is not None else "-", "value": shown_value, "file": "-",
                "record": "-", "line": "-", **shown}
        message = catalogue.entry(code).render(self.lang, tmpl).replace("{", "(").replace("}", ")")
        ctx = {k: v for k, v in shown.items() if isinstance(v, str | int | float | bool)}
        loc = self._loc(attr, item) if attr is not None and item is not None else ()
        # Not even errors() (which a web framework may send back) carries a hidden personal value.
        return {"type": PydanticCustomError(code, message, ctx), "loc": loc, "input": shown_value}

    def problems(self, values: Sequence[str]) -> list[InitErrorDetails]:
        """The errors of one record given its values in field order (empty when it conforms)."""
        errors: list[InitErrorDetails] = []
        for (attr, item, checker), value in zip(self.fields, values, strict=True):
            for code, params in checker.check_value(value):
                if catalogue.entry(code).severity == "error":
                    errors.append(self._error(code, attr, item, value, params))
        if self.rules:
            errors += self._rule_problems(values)
        return errors

    def _rule_problems(self, values: Sequence[str]) -> list[InitErrorDetails]:
        view = ChunkView(
            file="",
            group=self.group,
            columns=dict(zip(self.item_names, [(v,) for v in values], strict=True)),
            records=(1,),
            lines=(1,),
            _items=self.items,
            options=self.options,
        )
        found: list[Finding] = []
        for rule in self.rules:
            try:
                found += rule.check(view)
            except RuleNotRun as e:  # never a false valid: a rule that cannot run fails the record
                found.append(Finding("SYS002", params={"rule": rule.name, "reason": str(e)}))
            except Exception as e:
                found.append(Finding("SYS001", params={"rule": rule.name, "reason": f"{type(e).__name__}: {e}"}))
        out: list[InitErrorDetails] = []
        for f in found:
            if (f.severity or catalogue.entry(f.code).severity) != "error":
                continue
            attr, item = self.by_name.get(f.item or "", (None, None))
            out.append(self._error(f.code, attr, item, f.value or "", dict(f.params)))
        return out


def bind(spec: Spec, group_name: str, attrs: Mapping[str, str] | None = None, *,
         rules: Sequence[RecordRule] | None = None, rule_options: Mapping[str, str] | None = None,
         gj_table: frozenset[str] | None = None, hide_input: bool = True, loc_by_alias: bool = False,
         lang: Lang = "ja") -> Binding:
    """The checks of one group of ``spec`` (``attrs``: item name → attribute name; default romaji).

    ``rules``: the record rules to apply; None for the spec's own (its built-in edition's).
    """
    group = spec.group(group_name)
    if rules is not None:
        options: Mapping[str, str] = dict(rule_options or {})
    elif INSTALLED.rules is not None:
        rules, options = INSTALLED.rules(spec, rule_options)
    else:  # only when kikan_std.specs was never imported, i.e. never through the package
        rules, options = (), dict(rule_options or {})
    fields = []
    for it in group.items:
        cl = spec.code_list(it.code_list) if it.code_list is not None else None
        attr = attrs[it.name] if attrs is not None else attribute_name(it)
        # A record model validates API payloads, not spreadsheet exports: no Excel hints.
        fields.append((attr, it, FieldChecker(it, cl, gj_table=gj_table, hints=False)))
    return Binding(spec, group, tuple(fields),
                   tuple(r for r in rules if r.groups is None or group.name in r.groups),
                   dict(options), hide_input, loc_by_alias, lang)


class RecordModel(BaseModel):
    """Base of every record model: fields are lexical strings, checked by the engine's checks.

    A subclass is bound to one group of a spec, either when :func:`record_model` creates it or, for a
    class written in a generated module (``kikan-std export --format pydantic``), by its class
    variables ``__kikan_spec__`` (a built-in spec id) and ``__kikan_group__`` on first use.
    """

    model_config = ConfigDict(
        populate_by_name=True, extra="forbid", hide_input_in_errors=True, loc_by_alias=False,
        str_strip_whitespace=False,
    )

    __kikan_spec__: ClassVar[str] = ""
    __kikan_group__: ClassVar[str] = ""
    __kikan_binding__: ClassVar[Binding | None] = None

    @classmethod
    def kikan_binding(cls) -> Binding:
        """The spec checks this model applies."""
        found = cls.__dict__.get("__kikan_binding__")
        if found is None:
            if not cls.__kikan_spec__ or INSTALLED.loader is None:
                raise TypeError(f"{cls.__name__} is not bound to a spec group")
            spec = INSTALLED.loader(cls.__kikan_spec__)
            attrs = {}
            for attr, info in cls.model_fields.items():
                alias = info.serialization_alias or attr
                attrs[alias] = attr
            found = bind(spec, cls.__kikan_group__, attrs)
            cls.__kikan_binding__ = found
        return found

    @_model_validator(mode="after")
    def _kikan_check(self) -> Self:
        b = type(self).kikan_binding()
        values = [getattr(self, attr) for attr, _, _ in b.fields]
        errors = b.problems(values)
        if errors:
            # Raised inside a validator, the line errors join the outer validation (TypeAdapter of a
            # list, model_validate_json) with their locations under the record's own.
            raise ValidationError.from_exception_data(type(self).__name__, errors, hide_input=b.hide_input)
        return self

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        # One JSON Schema: the one `kikan-std export` writes (patterns, enums, romaji keys).
        b = cls.__dict__.get("__kikan_binding__")
        if b is None and not cls.__kikan_spec__:
            return dict(handler(core_schema))
        b = cls.kikan_binding()
        return json_schema(b.spec, b.group)


def field_definition(item: Item, attr: str) -> tuple[type[str], Any]:
    """The pydantic field of ``item``: a string, blank by default (a required blank is FLD001)."""
    names = list(dict.fromkeys([attr, field_name(item), item.name, *item.aliases]))
    return (str, Field(default="", validation_alias=AliasChoices(*names), serialization_alias=item.name,
                       description=describe(item)))


@functools.cache
def _base(hide_input: bool, loc_by_alias: bool) -> type[RecordModel]:
    if hide_input and not loc_by_alias:
        return RecordModel
    config = ConfigDict(hide_input_in_errors=hide_input, loc_by_alias=loc_by_alias)
    return type("ConfiguredRecordModel", (RecordModel,), {"model_config": config, "__module__": __name__})


_MODELS: dict[tuple[Any, ...], tuple[Spec, type[RecordModel]]] = {}


def record_model(
    spec: Spec,
    group_name: str,
    *,
    rules: Sequence[RecordRule] | None = None,
    rule_options: Mapping[str, str] | None = None,
    gj_table: frozenset[str] | None = None,
    hide_input: bool = True,
    loc_by_alias: bool = False,
    lang: Lang = "ja",
) -> type[RecordModel]:
    """A Pydantic model of one record of ``group_name`` that checks what the engine checks (cached).

    Args:
        rules: record rules to apply instead of the spec's own (e.g. for a spec of your own: rules
            built with :func:`kikan_std.model.rules.required_when`).
        rule_options: the spec's rule options (as ``check(rule_options=...)``).
        gj_table: 追加文字 (GJ) characters accepted in Ｎ items.
        hide_input: keep personal values out of errors (pydantic's ``hide_input_in_errors``, and the
            messages and ``ctx`` of personal items masked).
        loc_by_alias: error locations by official item name instead of romaji.
        lang: message language.
    """
    key = (id(spec), group_name, None if rules is None else tuple(rules), tuple(sorted((rule_options or {}).items())), gj_table, hide_input, loc_by_alias,
           lang)
    cached = _MODELS.get(key)
    if cached is not None and cached[0] is spec:
        return cached[1]
    binding = bind(spec, group_name, rules=rules, rule_options=rule_options, gj_table=gj_table, hide_input=hide_input,
                   loc_by_alias=loc_by_alias, lang=lang)
    fields = {attr: field_definition(it, attr) for attr, it, _ in binding.fields}
    model: type[RecordModel] = create_model(  # type: ignore[call-overload]
        class_name(binding.group),
        __base__=_base(hide_input, loc_by_alias),
        __module__=__name__,
        **fields,
    )
    model.__kikan_binding__ = binding
    if len(_MODELS) > 256:
        _MODELS.clear()
    _MODELS[key] = (spec, model)
    return model

