"""The edition modules: each built-in spec's module ends with one Edition naming everything that defines
the edition, and every consumer (rules, deliverable person references, test-data helpers) reads it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kikan_std
from kikan_std.deliverable import PersonRef, person_refs
from kikan_std.specs import BUILTIN, Edition, edition, edition_for, editions, load_spec, rules_for
from kikan_std.testing.generate import GENERATORS
from kikan_std.testing.mutate import TRIGGERS

SPECS = Path(kikan_std.__file__).parent / "specs"


@pytest.mark.parametrize("spec_id", BUILTIN)
def test_each_module_ends_with_its_edition(spec_id: str) -> None:
    tree = ast.parse((SPECS / f"{spec_id}.py").read_text(encoding="utf-8"))
    last = tree.body[-1]
    assert isinstance(last, ast.Assign) and [ast.unparse(t) for t in last.targets] == ["EDITION"]
    assert isinstance(edition(spec_id), Edition)
    assert edition(spec_id).spec_id == spec_id


@pytest.mark.parametrize("spec_id", BUILTIN)
def test_the_edition_names_only_what_the_spec_has(spec_id: str) -> None:
    ed, spec = edition(spec_id), load_spec(spec_id)
    groups = {g.name: g for g in spec.groups}
    items = {it.name for g in spec.groups for it in g.items}
    for rule in (*ed.record_rules, *ed.dataset_rules):
        assert set(rule.groups or ()) <= set(groups), rule.name
    assert ed.mutation_triggers <= items
    for group, refs in ed.person_refs.items():
        names = {it.name for it in groups[group].items}
        for ref in refs:
            assert {ref.atena, ref.birth or ref.atena, ref.sex or ref.atena} <= names, (group, ref)
    assert len({o.name for o in ed.rule_options}) == len(ed.rule_options)


def test_rules_come_from_the_edition() -> None:
    for ed in editions():
        rules = rules_for(load_spec(ed.spec_id))
        assert rules.record_rules == ed.record_rules
        assert rules.dataset_rules == ed.dataset_rules
        assert rules.file_rules == ed.file_rules
        assert rules.options == ed.rule_options
    assert rules_for(load_spec("jumin_kiroku")).options  # the 宛名番号 check-digit options
    assert rules_for(load_spec("zengin_sogo_furikomi")).file_rules  # order and totals, once per file


def test_an_imported_workbook_of_a_known_business_takes_that_edition() -> None:
    wb = load_spec("jutogai_atena").model_copy(update={"id": "wb_031_x"})
    assert edition_for(wb) is edition("jutogai_atena")
    other = load_spec("jutogai_atena").model_copy(update={"id": "custom"})
    assert edition_for(other) is None
    assert rules_for(other).record_rules == ()


def test_generators_are_the_editions_own() -> None:
    assert list(GENERATORS) == [e.spec_id for e in editions() if e.generator is not None]
    assert {"jutogai_atena", "jumin_kiroku"} <= set(GENERATORS)
    for spec_id, gen in GENERATORS.items():
        header = next(gen(3, 0))
        assert header == [it.name for it in load_spec(spec_id).groups[0].items]


def test_mutation_triggers_are_the_editions_own() -> None:
    assert {e.spec_id: e.mutation_triggers for e in editions() if e.mutation_triggers} == TRIGGERS
    # 宛名番号 and 名寄せ先宛名番号 decide ATN002/ATN003 (a 名寄せ先 names another record's 宛名番号).
    assert TRIGGERS["jutogai_atena"] == {"生年月日", "住所_町字コード", "代表宛名フラグ", "宛名番号", "名寄せ先宛名番号"}


def test_deliverable_person_references_come_from_the_edition() -> None:
    jido = load_spec("jido_teate")
    assert person_refs("jido_teate", jido.group("対象児童")) == (
        PersonRef("児童宛名番号", "児童生年月日", "児童性別"), PersonRef("受給者宛名番号"))
    kokuho = load_spec("kokumin_kenko_hoken")
    assert person_refs("kokumin_kenko_hoken", kokuho.group("世帯")) == (PersonRef("世帯主宛名番号"),)
    # Groups with the common names need no declaration.
    atena = load_spec("jutogai_atena").groups[0]
    assert person_refs("jutogai_atena", atena) == (PersonRef("宛名番号", "生年月日", "性別"),)
