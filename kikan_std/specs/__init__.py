"""Built-in specs: JSON data in the shape of :class:`kikan_std.model.spec.Spec` plus one edition module each.

Each built-in spec is ``<id>.json`` (items, code lists) and a module ``<id>.py`` ending with
``EDITION = Edition(...)`` (:class:`kikan_std.specs.edition.Edition`), which lists everything beyond the
field checks: rules, rule options, person references, mutation triggers, fix-ups and the generator.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path

from kikan_std.errors import (
    SpecFileError,
    SpecFileNotFoundError,
    UnknownSpecError,
)
from kikan_std.model.rules import RecordRule, install_rule_source
from kikan_std.model.schemas import EXPORT_FORMATS, schema_files
from kikan_std.model.spec import Group, Spec
from kikan_std.model.workbook import load_workbook
from kikan_std.specs.edition import Edition, PersonColumns, RuleSet, default_person_columns

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
        WorkbookError: an ``.xlsx`` that does not fit the 基本データリスト layout.
        SpecFileError: no such file (SpecFileNotFoundError), or a JSON file that cannot be read or is not a spec (also a ValueError).
    """
    from pydantic import ValidationError

    p = Path(path)
    if not p.is_file():
        raise SpecFileNotFoundError(path=path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return load_workbook(p)
    try:
        return Spec.model_validate_json(p.read_text(encoding="utf-8"))
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SpecFileError(path=path, detail=f"{where}: {first['msg']}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecFileError(path=path, detail=str(e)) from None


@cache
def edition(spec_id: str) -> Edition:
    """The :class:`Edition` of the built-in spec ``spec_id`` (the ``EDITION`` of its module).

    Raises:
        UnknownSpecError: no such built-in spec.
    """
    if spec_id not in BUILTIN:
        raise UnknownSpecError(spec_id, BUILTIN)
    found = importlib.import_module(f"kikan_std.specs.{spec_id}").EDITION
    if not isinstance(found, Edition) or found.spec_id != spec_id:
        raise TypeError(f"kikan_std.specs.{spec_id}.EDITION is not the Edition of {spec_id}")
    return found


def editions() -> list[Edition]:
    """The editions of all built-in specs, in listing order."""
    return [edition(s) for s in BUILTIN]


def edition_for(spec: Spec) -> Edition | None:
    """The built-in edition whose rules apply to ``spec``, or None.

    A built-in spec has its own; a spec imported from a workbook (id ``wb_<code>_…``) of a business
    code in :data:`RULES_BY_BUSINESS_CODE` gets that built-in spec's; any other spec has none.
    """
    spec_id = spec.id if spec.id in BUILTIN else None
    if spec_id is None and spec.id.startswith("wb_"):
        spec_id = RULES_BY_BUSINESS_CODE.get(spec.business_code)
    return edition(spec_id) if spec_id is not None else None


def rules_for(spec: Spec) -> RuleSet:
    """The built-in rules of ``spec`` (its edition's, see :func:`edition_for`; none beyond the field
    checks and primary key for a spec without one)."""
    found = edition_for(spec)
    return found.rules if found is not None else RuleSet()


def _record_rules(spec: Spec, options: Mapping[str, str] | None) -> tuple[tuple[RecordRule, ...], dict[str, str]]:
    rules = rules_for(spec)
    return rules.record_rules, rules.resolve_options(options)


install_rule_source(_record_rules, load_spec)


def person_columns(spec_id: str, group: Group) -> tuple[PersonColumns, ...]:
    """The columns of ``group`` naming a person (宛名番号 …), as the edition of ``spec_id`` declares them."""
    if spec_id in BUILTIN:
        return edition(spec_id).people(group)
    return default_person_columns(group)


def list_specs() -> list[Spec]:
    """All built-in specs."""
    return [load_spec(s) for s in BUILTIN]


def all_schema_files(formats: tuple[str, ...] = EXPORT_FORMATS) -> dict[Path, str]:
    """Relative path → text for every built-in spec (``formats``: see :data:`EXPORT_FORMATS`)."""
    out: dict[Path, str] = {}
    for spec in list_specs():
        out.update(schema_files(spec, formats))
    return out


def write_schemas(out_dir: Path, formats: tuple[str, ...] = EXPORT_FORMATS) -> list[Path]:
    """Write every built-in spec's schemas (JSON Schema, XSD, pydantic models) under ``out_dir``; return the paths."""
    written = []
    for rel, text in all_schema_files(formats).items():
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


__all__ = [
    "BUILTIN",
    "RULES_BY_BUSINESS_CODE",
    "Edition",
    "PersonColumns",
    "RuleSet",
    "all_schema_files",
    "edition",
    "edition_for",
    "editions",
    "list_specs",
    "load_spec",
    "load_spec_file",
    "person_columns",
    "rules_for",
    "write_schemas",
]
