"""What defines a built-in edition: the :class:`Edition` object that ends each ``kikan_std/specs/<id>.py``.

A built-in spec is ``<id>.json`` (groups, items, code lists — the 基本データリスト as data) and the module
``<id>.py``, whose last statement is ``EDITION = Edition(...)`` naming everything else the package knows
about the edition: the rules beyond the field checks, their options, which columns name a person in a
deliverable, which items a one-defect mutation must leave alone, how a random field-valid record is made
to satisfy the cross-field rules, and which synthetic-data generator writes files of it. Everything that
reads those facts (:func:`kikan_std.specs.rules_for`, the deliverable's cross-file rules,
:mod:`kikan_std.testing`) reads them from here, so one module tells the whole story of an edition.

Editions share rule shapes by composition (plain functions building rules, e.g. ``specs/_taxwel.py``),
never by subclassing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kikan_std.errors import RuleOptionError, UnknownRuleOptionError
from kikan_std.model.rules import DatasetRule, FileRule, RecordRule, RuleOption
from kikan_std.model.spec import Group

Record = dict[str, str]
"""One record keyed by official item name (the shape :mod:`kikan_std.testing.strategies` draws)."""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules of a spec beyond the field checks."""

    record_rules: tuple[RecordRule, ...] = ()
    dataset_rules: tuple[DatasetRule, ...] = ()
    options: tuple[RuleOption, ...] = ()
    file_rules: tuple[FileRule, ...] = ()  # once per file (multi-record fixed-width specs)

    def resolve_options(self, given: Mapping[str, str] | None) -> dict[str, str]:
        """Every option of this rule set with its value for a run (defaults filled in).

        Raises:
            RuleOptionError: a value outside its choices; UnknownRuleOptionError (a subclass): an unknown name.
        """
        given = dict(given or {})
        out: dict[str, str] = {}
        for opt in self.options:
            value = str(given.pop(opt.name, opt.default))
            if value not in opt.choices:
                raise RuleOptionError(option=opt.name, value=repr(value), choices=" | ".join(opt.choices))
            out[opt.name] = value
        if given:
            known = ", ".join(o.name for o in self.options) or "-"
            raise UnknownRuleOptionError(options=sorted(given), known=known)
        return out


@dataclass(frozen=True, slots=True)
class PersonColumns:
    """Columns of a group that name a person: 宛名番号 and, where present, 生年月日 and 性別."""

    atena: str
    birth: str | None = None
    sex: str | None = None


def default_person_columns(group: Group) -> tuple[PersonColumns, ...]:
    """The person columns of a group that uses the common names 宛名番号 / 生年月日 / 性別 (none without 宛名番号)."""
    names = {i.name for i in group.items}
    if "宛名番号" not in names:
        return ()
    return (PersonColumns("宛名番号", "生年月日" if "生年月日" in names else None, "性別" if "性別" in names else None),)


@dataclass(frozen=True, slots=True)
class Edition:
    """Everything that defines one built-in edition beyond its JSON data.

    Attributes:
        spec_id: the spec's id (the module's and the JSON file's name).
        record_rules: rules over the records of one chunk (条件付き必須, value relations …).
        dataset_rules: rules over all records of a file (history, households, keys across records).
        file_rules: rules over a file's bytes, once per file (record order and totals of fixed-width files).
        rule_options: the options a user may set for these rules (``--rule-option name=value``).
        person_refs: by group name, the columns naming a person in a deliverable's cross-file rules,
            for groups that do not use the common 宛名番号 / 生年月日 / 性別 (see :meth:`people`).
        mutation_triggers: items whose value decides a cross-field rule; a one-defect mutation
            (``kikan-std generate --defect-rate``, ``strategies.broken_records``) leaves them alone so
            that it breaks exactly one rule.
        fixup: makes a field-valid record satisfy the edition's decidable cross-field rules
            (``strategies.records``).
        generator: ``"module:function"`` of the synthetic-data generator, ``(rows, seed)`` → header
            then records, under :mod:`kikan_std.testing.generators`; a name, not an import, because
            the test helpers sit above the specs in the layers (resolved by
            :mod:`kikan_std.testing.generate`).
    """

    spec_id: str
    record_rules: tuple[RecordRule, ...] = ()
    dataset_rules: tuple[DatasetRule, ...] = ()
    file_rules: tuple[FileRule, ...] = ()
    rule_options: tuple[RuleOption, ...] = ()
    person_refs: Mapping[str, tuple[PersonColumns, ...]] = field(default_factory=dict)
    mutation_triggers: frozenset[str] = frozenset()
    fixup: Callable[[Record], Record] | None = None
    generator: str | None = None

    @property
    def rules(self) -> RuleSet:
        """The edition's rules as the engine runs them."""
        return RuleSet(self.record_rules, self.dataset_rules, self.rule_options, self.file_rules)

    def people(self, group: Group) -> tuple[PersonColumns, ...]:
        """The person columns of ``group`` (the edition's own, else the common names)."""
        special = self.person_refs.get(group.name)
        return special if special is not None else default_person_columns(group)


__all__ = ["Edition", "PersonColumns", "Record", "RuleSet", "default_person_columns"]
