"""Record models (``Spec.record_model``) check what the engine checks, with catalogue codes as error types,
and the in-memory API (``check_records``, ``check_bytes``) gives the same report as a file."""

from __future__ import annotations

import csv
import functools
import importlib.util
import io
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

import kikan_std
from kikan_std.cli import main
from kikan_std.model.records import RecordModel
from kikan_std.model.spec import Spec
from kikan_std.specs import BUILTIN, load_spec, rules_for
from kikan_std.testing import strategies

ROOT = Path(__file__).resolve().parent.parent
REF = next((p / "shared" / "reference" / "data" for p in ROOT.parents if (p / "shared" / "reference").exists()),
           ROOT.parent / "shared" / "reference" / "data")
OFFICIAL = REF / "digital-agency_jutogai-atena_item-definition.xlsx"


def _model_problems(model: type[RecordModel], record: dict[str, str]) -> list[tuple[str, str | None]]:
    """(code, official item name) of every error the model raises for ``record``."""
    try:
        model.model_validate(record)
    except ValidationError as e:
        b = model.kikan_binding()
        names = {attr: it.name for attr, it, _ in b.fields}
        return sorted((str(err["type"]), names.get(str(err["loc"][0])) if err["loc"] else None) for err in e.errors())
    return []


def _engine_problems(spec: Spec, group: str, record: dict[str, str]) -> list[tuple[str, str | None]]:
    """(code, item) of every error ``check_records`` reports for the one record, except cross-record rules."""
    cross = {c for r in rules_for(spec).dataset_rules for c in r.codes} | {"KEY001"}
    report = kikan_std.check_records([record], spec, group=group, max_findings=None)
    return sorted((f.code, f.item) for f in report.findings if f.severity == "error" and f.code not in cross)


def _cases(spec: Spec) -> st.SearchStrategy[tuple[str, dict[str, str]]]:
    """(group, record): valid records and one-defect mutants, of every group of ``spec``."""
    per_group = []
    for g in spec.groups:
        valid = strategies.records(spec, g.name)
        broken = strategies.broken_records(spec, g.name).map(lambda c: c[0])
        per_group.append(st.tuples(st.just(g.name), st.one_of(valid, broken)))
    return st.one_of(per_group)


def _assert_same(spec: Spec, case: tuple[str, dict[str, str]]) -> None:
    group, record = case
    model = spec.record_model(group)
    assert _model_problems(model, record) == _engine_problems(spec, group, record)


@pytest.mark.parametrize("spec_id", BUILTIN)
def test_model_raises_exactly_what_check_records_reports(spec_id: str) -> None:
    spec = load_spec(spec_id)

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_cases(spec))
    def run(case: tuple[str, dict[str, str]]) -> None:
        _assert_same(spec, case)

    run()


def test_model_of_an_imported_workbook_raises_what_check_records_reports() -> None:
    if not OFFICIAL.exists():
        pytest.skip("shared/reference/data is not present")
    spec = kikan_std.load_workbook(OFFICIAL)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_cases(spec))
    def run(case: tuple[str, dict[str, str]]) -> None:
        _assert_same(spec, case)

    run()


# -- the six values of the issue --------------------------------------------------------------------------

def _valid(spec_id: str) -> dict[str, str]:
    return dict(_valid_once(spec_id))


@functools.cache
def _valid_once(spec_id: str) -> dict[str, str]:
    """A record of ``spec_id`` both paths accept (found once: shrinking takes seconds).

    The strategy draws field-valid records, most of which break a record rule (kaigo_hoken: WEL005–WEL007), so an
    unseeded search could come back empty now and then (it did once on a fresh clone): the search is seeded, so it
    finds the same record every run.
    """
    spec = load_spec(spec_id)
    model = spec.record_model()
    rec: dict[str, str] = find(strategies.records(spec), lambda r: not _model_problems(model, r),
                               settings=settings(max_examples=5000, database=None), random=random.Random(0))
    assert kikan_std.check_records([rec], spec).valid
    return rec


def _individual_number_with_bad_check_digit() -> str:
    base = "12345678901"
    weights = [6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
    r = sum(int(d) * w for d, w in zip(base, weights, strict=True)) % 11
    good = 0 if r <= 1 else 11 - r
    return base + str((good + 1) % 10)


SIX = [
    ("jutogai_atena", "氏名", "ﾔﾏﾀﾞ\u3000ﾀﾛｳ", "CHR004"),
    ("jutogai_atena", "性別", "9", "FLD015"),
    # 住登外者宛名の生年月日は不詳日を許す（2023-02-30 は不詳日として有効）: 不詳日のない生年月日と操作年月日で。
    ("kaigo_hoken", "生年月日", "2023-02-30", "FLD012"),
    ("jutogai_atena", "操作年月日", "2023-02-30", "FLD012"),
    ("jutogai_atena", "個人番号", _individual_number_with_bad_check_digit(), "FLD016"),
    ("jutogai_atena", "操作時刻", "25:00:00", "FLD014"),
    ("jutogai_atena", "住所_市区町村コード", "271005", "FLD018"),
]


@pytest.mark.parametrize(("spec_id", "item", "value", "code"), SIX)
def test_issue_values_raise_the_catalogue_code(spec_id: str, item: str, value: str, code: str) -> None:
    spec = load_spec(spec_id)
    model = spec.record_model()
    rec = {**_valid(spec_id), item: value}
    attr = next(a for a, it, _ in model.kikan_binding().fields if it.name == item)
    # The engine agrees (so the model is no stricter than check()).
    assert (code, item) in _engine_problems(spec, spec.groups[0].name, rec)
    with pytest.raises(ValidationError) as e:
        model.model_validate(rec)
    assert [(err["type"], err["loc"]) for err in e.value.errors()] == [(code, (attr,))]
    with pytest.raises(ValidationError) as e:
        TypeAdapter(list[model]).validate_python([_valid(spec_id), rec])  # type: ignore[valid-type]
    assert [(err["type"], err["loc"]) for err in e.value.errors()] == [(code, (1, attr))]
    with pytest.raises(ValidationError) as e:
        model.model_validate_json(json.dumps(rec, ensure_ascii=False))
    assert [err["type"] for err in e.value.errors()] == [code]
    err = e.value.errors()[0]
    assert err["msg"] and "ctx" in err


def test_personal_values_are_not_echoed_unless_asked() -> None:
    spec = load_spec("jutogai_atena")
    rec = {**_valid("jutogai_atena"), "氏名": "ﾔﾏﾀﾞ\u3000ﾀﾛｳ"}
    with pytest.raises(ValidationError) as e:
        spec.record_model().model_validate(rec)
    text = str(e.value) + json.dumps(e.value.errors(), ensure_ascii=False, default=str) + e.value.json()
    assert "ﾔ" not in text and "ﾀﾛｳ" not in text
    assert "input_value" not in str(e.value)
    with pytest.raises(ValidationError) as e:
        spec.record_model(hide_input=False).model_validate(rec)
    assert e.value.errors()[0]["input"] == "ﾔﾏﾀﾞ\u3000ﾀﾛｳ"
    assert "ﾔ" in e.value.errors()[0]["ctx"]["char"]


def test_ivs_name_of_50_characters_is_valid_in_both_paths() -> None:
    spec = load_spec("jutogai_atena")
    name = ("葛\U000e0102" * 25) + ("辻\U000e0103" * 25)  # 50 characters as the standard counts, 100 code points
    rec = {**_valid("jutogai_atena"), "氏_日本人": name}
    assert len(name) == 100
    model = spec.record_model()
    assert model.model_validate(rec).uji_nihonjin == name  # type: ignore[attr-defined]
    assert kikan_std.check_records([rec]).valid
    longer = {**rec, "氏_日本人": name + "葛\U000e0102"}
    assert _model_problems(model, longer) == _engine_problems(spec, spec.groups[0].name, longer) == [
        ("FLD002", "氏_日本人")]


def test_romaji_official_names_and_model_instances_are_accepted() -> None:
    spec = load_spec("jutogai_atena")
    model = spec.record_model()
    rec = _valid("jutogai_atena")
    by_romaji = {it.romaji: v for it in spec.groups[0].items for k, v in rec.items() if k == it.name}
    m = model.model_validate(by_romaji)
    assert m.model_dump(by_alias=True) == {it.name: rec.get(it.name, "") for it in spec.groups[0].items}
    report = kikan_std.check_records([m, rec, by_romaji])
    # The same record three ways: only its key repeats.
    assert [(f.code, f.record) for f in report.findings] == [("KEY001", 2), ("KEY001", 3)]
    with pytest.raises(ValidationError) as e:
        spec.record_model(loc_by_alias=True).model_validate({**rec, "性別": "9"})
    assert e.value.errors()[0]["loc"] == ("性別",)


def test_check_records_reports_like_a_json_file(tmp_path: Path) -> None:
    good = _valid("jutogai_atena")
    bad = {**good, "性別": "9", "宛名番号": "000000000000999", "余分": "x"}
    path = tmp_path / "atena.json"
    path.write_text(json.dumps([good, bad], ensure_ascii=False), encoding="utf-8")
    from_file = kikan_std.check(path)
    in_memory = kikan_std.check_records(iter([good, bad]))
    assert not in_memory.valid
    assert sorted((f.code, f.record, f.item) for f in in_memory.findings) == sorted(
        (f.code, f.record, f.item) for f in from_file.findings)
    assert {f.pointer for f in in_memory.findings if f.code == "FLD015"} == {"/1/seibetsu"}
    assert [f.code for f in kikan_std.iter_findings([bad]) if f.code == "FLD015"] == ["FLD015"]
    assert kikan_std.is_valid([good]) and not kikan_std.is_valid([bad])


def test_check_bytes_is_check_of_a_file(tmp_path: Path) -> None:
    good = _valid("jutogai_atena")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(good), lineterminator="\r\n")
    w.writeheader()
    w.writerow(good)
    w.writerow({**good, "操作時刻": "25:00:00"})
    data = buf.getvalue().encode("utf-8")
    (tmp_path / "a.csv").write_bytes(data)
    from_file = kikan_std.check(tmp_path / "a.csv")
    in_memory = kikan_std.check_bytes(data, name="a.csv")
    assert [(f.code, f.record, f.line, f.item) for f in in_memory.findings] == [
        (f.code, f.record, f.line, f.item) for f in from_file.findings]
    assert [f.code for f in in_memory.findings] == ["FLD014", "KEY001"]
    assert in_memory.inputs[0].sha256 == from_file.inputs[0].sha256
    with pytest.raises(kikan_std.InputError):
        kikan_std.check_bytes(data, input_format="yaml")


def test_a_generator_is_read_once_in_chunks() -> None:
    good = _valid("jutogai_atena")
    seen: list[int] = []

    def gen() -> Any:
        for i in range(20_000):
            seen.append(i)
            yield {**good, "宛名番号": f"{i:015d}"}

    report = kikan_std.check_records(gen(), max_findings=10)
    assert report.inputs[0].records == 20_000 and len(seen) == 20_000


# -- one JSON Schema, typed static models ----------------------------------------------------------------

SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize("spec_id", BUILTIN)
def test_model_json_schema_is_the_exported_schema(spec_id: str) -> None:
    spec = load_spec(spec_id)
    for g in spec.groups:
        committed = SCHEMAS / spec.id / spec.edition / f"{g.romaji or g.name}.schema.json"
        assert spec.record_model(g.name).model_json_schema() == json.loads(committed.read_text(encoding="utf-8"))


def _generated(spec_id: str) -> Any:
    spec = load_spec(spec_id)
    path = SCHEMAS / spec.id / spec.edition / f"{spec.id}_models.py"
    mod_spec = importlib.util.spec_from_file_location(f"generated_{spec_id}_models", path)
    assert mod_spec is not None and mod_spec.loader is not None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


def test_generated_models_are_typed_and_check_like_the_spec_model() -> None:
    module = _generated("jutogai_atena")
    static = module.JutogaishaAtenaKihonJoho
    spec = load_spec("jutogai_atena")
    dynamic = spec.record_model()
    assert list(static.model_fields) == list(dynamic.model_fields)
    assert static.model_fields["atenabango"].description.startswith("03100001 宛名番号")
    rec = _valid("jutogai_atena")
    assert static.model_validate(rec).model_dump() == dynamic.model_validate(rec).model_dump()
    for _, item, value, code in (s for s in SIX if s[0] == "jutogai_atena"):
        with pytest.raises(ValidationError) as e:
            TypeAdapter(list[static]).validate_python([{**rec, item: value}])  # type: ignore[valid-type]
        assert [err["type"] for err in e.value.errors()] == [code]
    assert static.model_json_schema() == dynamic.model_json_schema()


def test_generated_models_pass_mypy_strict() -> None:
    files = sorted(str(p) for p in SCHEMAS.glob("*/*/*_models.py"))
    assert len(files) == len(BUILTIN)
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", *files],
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_export_pydantic_writes_the_models(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["export", "--format", "pydantic", "--out-dir", str(tmp_path)], stdout=out, stderr=io.StringIO()) == 0
    written = sorted(Path(line) for line in out.getvalue().split())
    assert [p.name for p in written] == sorted(f"{s}_models.py" for s in BUILTIN)
    spec = load_spec("jutogai_atena")
    assert (tmp_path / spec.id / spec.edition / "jutogai_atena_models.py").read_text(encoding="utf-8") == (
        SCHEMAS / spec.id / spec.edition / "jutogai_atena_models.py").read_text(encoding="utf-8")
