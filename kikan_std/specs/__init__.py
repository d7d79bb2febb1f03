"""Built-in specs: JSON data in the shape of :class:`kikan_std.model.spec.Spec` plus explicit rule lists.

Each built-in spec is ``<id>.json`` (items, code lists) and a module ``<id>.py`` whose
``RECORD_RULES`` and ``DATASET_RULES`` tuples list everything beyond the field checks.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from kikan_std.errors import RuleOptionError, UnknownSpecError
from kikan_std.model.rules import DatasetRule, FileRule, RecordRule, RuleOption
from kikan_std.model.schemas import schema_files
from kikan_std.model.spec import Spec
from kikan_std.model.workbook import load_workbook

BUILTIN: tuple[str, ...] = (
    "jutogai_atena",
    "jumin_kiroku",
    "kojin_juminzei",
    "kotei_shisanzei",
    "kei_jidoshazei",
    "jido_teate",
    "kaigo_hoken",
    "kokumin_kenko_hoken",
    "zengin_sogo_furikomi",
)
"""Ids of the built-in specs, in listing order."""

RULES_BY_BUSINESS_CODE: dict[str, str] = {"031": "jutogai_atena"}
"""Which built-in rule module applies to a spec imported from a workbook of a business code.

An imported workbook (:func:`kikan_std.model.workbook.load_workbook`) is a newer or older edition of a
business we know; its 条件付き必須 rules are written against official item names, which the
editions keep, so they apply to it too.
"""


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
            RuleOptionError: an unknown option name or a value outside its choices.
        """
        given = dict(given or {})
        out: dict[str, str] = {}
        for opt in self.options:
            value = str(given.pop(opt.name, opt.default))
            if value not in opt.choices:
                raise RuleOptionError(
                    f"規則オプション {opt.name} の値が不正です / bad value for rule option {opt.name}: "
                    f"{value!r} ({' | '.join(opt.choices)})"
                )
            out[opt.name] = value
        if given:
            known = ", ".join(o.name for o in self.options) or "-"
            raise RuleOptionError(
                f"未知の規則オプション / unknown rule option: {', '.join(sorted(given))} (known: {known})"
            )
        return out


@cache
def load_spec(spec_id: str) -> Spec:
    """The built-in spec ``spec_id``.

    Raises:
        UnknownSpecError: no such built-in spec.
    """
    if spec_id not in BUILTIN:
        raise UnknownSpecError(spec_id, BUILTIN)
    text = (resources.files("kikan_std.specs") / f"{spec_id}.json").read_text(encoding="utf-8")
    return Spec.model_validate_json(text)


def load_spec_file(path: str | Path) -> Spec:
    """A spec from a JSON file in the built-in format, or from an official workbook (``.xlsx``).

    Raises:
        kikan_std.model.workbook.WorkbookError: an ``.xlsx`` that does not fit the 基本データリスト layout.
        pydantic.ValidationError / OSError: a JSON file that is not a spec, or cannot be read.
    """
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return load_workbook(p)
    return Spec.model_validate_json(p.read_text(encoding="utf-8"))


def rules_for(spec: Spec) -> RuleSet:
    """The built-in rules of ``spec``.

    A built-in spec has its own module; a spec imported from a workbook (id ``wb_<code>_…``) of a
    business code in :data:`RULES_BY_BUSINESS_CODE` gets that built-in spec's rules; any other
    spec has none beyond the field checks and primary key.
    """
    module = spec.id if spec.id in BUILTIN else None
    if module is None and spec.id.startswith("wb_"):
        module = RULES_BY_BUSINESS_CODE.get(spec.business_code)
    if module is None:
        return RuleSet()
    mod = importlib.import_module(f"kikan_std.specs.{module}")
    return RuleSet(tuple(mod.RECORD_RULES), tuple(mod.DATASET_RULES), tuple(getattr(mod, "RULE_OPTIONS", ())),
                   tuple(getattr(mod, "FILE_RULES", ())))


def list_specs() -> list[Spec]:
    """All built-in specs."""
    return [load_spec(s) for s in BUILTIN]


def all_schema_files() -> dict[Path, str]:
    """Relative path → text for every built-in spec."""
    out: dict[Path, str] = {}
    for spec in list_specs():
        out.update(schema_files(spec))
    return out


def write_schemas(out_dir: Path) -> list[Path]:
    """Write every built-in spec's schemas under ``out_dir``; return the paths written."""
    written = []
    for rel, text in all_schema_files().items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
