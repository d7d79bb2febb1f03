"""Generated JSON Schema / XSD under schemas/: drift, metaschema, lxml, and what they accept."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest
from lxml import etree

from kikan_std.cli import main
from kikan_std.model.schemas import field_name, record_name, root_name
from kikan_std.specs import all_schema_files, list_specs, load_spec
from kikan_std.testing.generate import iter_jutogai_atena

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


def test_committed_schemas_do_not_drift() -> None:
    expected = all_schema_files()
    assert expected, "no schemas generated"
    for rel, text in expected.items():
        path = SCHEMAS / rel
        assert path.exists(), f"missing {rel}: run `kikan-std export`"
        assert path.read_text(encoding="utf-8") == text, f"{rel} drifted: run `kikan-std export`"
    # No stale files left for a spec/edition/group that no longer exists.
    for spec in list_specs():
        on_disk = {p.relative_to(SCHEMAS) for p in (SCHEMAS / spec.id).rglob("*") if p.is_file()}
        assert on_disk == {r for r in expected if r.parts[0] == spec.id}


def test_every_json_schema_meets_the_metaschema() -> None:
    files = [p for p in SCHEMAS.rglob("*.schema.json")]
    assert files
    for p in files:
        schema = json.loads(p.read_text(encoding="utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_xsd_loads_with_lxml() -> None:
    files = list(SCHEMAS.rglob("*.xsd"))
    assert files
    for p in files:
        etree.XMLSchema(etree.parse(str(p)))


def _records(n: int = 30) -> list[dict[str, str]]:
    spec = load_spec("jutogai_atena")
    g = spec.groups[0]
    it = iter_jutogai_atena(n, seed=5)
    header = next(it)
    names = {i.name: field_name(i) for i in g.items}
    return [{names[h]: v for h, v in zip(header, row, strict=True) if v != ""} for row in it]


def _files() -> tuple[dict[str, object], etree.XMLSchema]:
    spec = load_spec("jutogai_atena")
    base = SCHEMAS / "jutogai_atena" / spec.edition / f"{record_name(spec.groups[0])}"
    schema = json.loads(Path(f"{base}.schema.json").read_text(encoding="utf-8"))
    return schema, etree.XMLSchema(etree.parse(f"{base}.xsd"))


def _xml(records: list[dict[str, str]]) -> etree._Element:
    g = load_spec("jutogai_atena").groups[0]
    root = etree.Element(root_name(g))
    for r in records:
        rec = etree.SubElement(root, record_name(g))
        for k, v in r.items():
            etree.SubElement(rec, k).text = v
    return root


def test_schemas_accept_valid_synthetic_records() -> None:
    schema, xsd = _files()
    records = _records()
    validator = jsonschema.Draft202012Validator(schema)
    for r in records:
        assert list(validator.iter_errors(r)) == []
    assert xsd.validate(_xml(records)), xsd.error_log


@pytest.mark.parametrize(
    ("key", "value"),
    [("atenabango", "1" * 16), ("seibetsu", "9"), ("sosanengappi", "2023/01/01"), ("jusho_yubinbango", "100-0014"),
     ("shimei", "ｻﾄｳ")],
)
def test_schemas_reject_bad_values(key: str, value: str) -> None:
    schema, xsd = _files()
    record = _records(1)[0] | {key: value}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(record))
    assert errors and errors[0].path[0] == key
    assert not xsd.validate(_xml([record]))


def test_schemas_reject_missing_required_and_unknown() -> None:
    schema, xsd = _files()
    record = _records(1)[0]
    del record["sosashaid"]
    v = jsonschema.Draft202012Validator(schema)
    assert any(e.validator == "required" for e in v.iter_errors(record))
    assert not xsd.validate(_xml([record]))
    record = _records(1)[0] | {"unknown_item": "x"}
    assert any(e.validator == "additionalProperties" for e in v.iter_errors(record))
    assert not xsd.validate(_xml([record]))


def test_export_cli_writes_the_same_files(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["export", "--out-dir", str(tmp_path)], stdout=out, stderr=io.StringIO()) == 0
    for rel, text in all_schema_files().items():
        assert (tmp_path / rel).read_text(encoding="utf-8") == text


def test_decimal_without_fraction_digits() -> None:
    # A 9V item of 桁数 "3,0" (a custom spec may say so): no fraction allowed, and no {1,0} quantifier
    # in any pattern (it compiles nowhere: Python re, ECMA-262, XSD).
    from kikan_std.model.fields import FieldChecker
    from kikan_std.model.schemas import json_schema, xsd
    from kikan_std.model.spec import Item, Obligation

    it = Item(name="金額", romaji="kingaku", type="9V", length="3,0", obligation=Obligation.OPTIONAL,
              provenance="modeled")
    assert FieldChecker(it, None).column_clean(["12", "999", ""])
    assert not FieldChecker(it, None).column_clean(["1.5"])
    assert [c for c, _ in FieldChecker(it, None).check_value("1.5")] == ["FLD009"]
    spec = load_spec("jutogai_atena")
    group = spec.groups[0].model_copy(update={"items": (it,), "primary_key": ()})
    schema = json_schema(spec, group)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    key = field_name(it)
    assert validator.is_valid({key: "12"}) and not validator.is_valid({key: "1.5"})
    etree.XMLSchema(etree.fromstring(xsd(spec, group).encode("utf-8")))
