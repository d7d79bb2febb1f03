"""The catalogue, the docs pages, ``kikan-std explain`` and the conformance cases must not drift apart.

* every catalogue code has ``docs/rules/CODE.md`` whose content is exactly the generated page, and
  that page contains the ``explain`` text in Japanese and English (one source for both);
* no page exists for a code the catalogue does not have;
* ``kikan-std explain CODE`` prints the catalogue's text;
* every code is exercised by a conformance case, or is in :data:`NOT_REACHABLE` (no built-in spec
  can produce it — checked below, so the list cannot hide a reachable code) or in
  :data:`KNOWN_GAPS` (reachable, case still to be written — the test fails as soon as a case
  exists, so the list only shrinks).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from kikan_std.catalogue import catalogue, explain
from kikan_std.cli import main
from kikan_std.model.spec import DataType, Format
from kikan_std.specs import list_specs
from tests.conftest import ROOT

_RECONCILE = "突合 (kikan-std reconcile) account finding, not a `check` finding; covered by tests/test_reconcile_*.py"
_ZENGIN = (
    "only kikan_std.jp.zengin.validate_transfer_file reports it; the zengin_sogo_furikomi spec reports "
    "{} instead (tests/test_zengin_spec.py, tests/test_reconcile_zengin.py)"
)

NOT_REACHABLE: dict[str, str] = {
    **{f"RCN{i:03d}": _RECONCILE for i in range(1, 15)},
    # ZGN002–ZGN007 are covered by conformance/zengin_sogo_furikomi.
    "ZGN001": _ZENGIN.format("FIX001 (record length, fixed-width reader)"),
    "ZGN008": _ZENGIN.format("FLD015 (code list)"),
    # No item of a built-in spec has the type or format these codes check.
    "FLD010": "no S9 (signed integer) item in any built-in spec",
    # Engine failures: a rule that crashes or cannot run. Data alone cannot cause them with the
    # current rules (required_when treats a missing column as blank); tests/test_engine.py covers them.
    "SYS001": "only a defective rule raises it",
}
"""Codes no built-in spec can produce from data, with the reason."""

KNOWN_GAPS: frozenset[str] = frozenset()
"""Reachable codes still missing a conformance case."""


def _covered() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "conformance").glob("*/cases.json"):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            codes.update(e[0] for e in case["expected"])
    return codes


def _rule_pages() -> dict[Path, str]:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from gen_docs import rule_pages
    finally:
        sys.path.pop(0)
    return rule_pages()  # type: ignore[no-any-return]


def test_every_code_has_its_generated_page() -> None:
    pages = _rule_pages()
    for code in catalogue():
        path = ROOT / "docs" / "rules" / f"{code}.md"
        assert path in pages, code
        assert path.read_text(encoding="utf-8") == pages[path], f"{code}: run `make docs-gen`"


def test_pages_show_the_explain_text() -> None:
    for code in catalogue():
        page = (ROOT / "docs" / "rules" / f"{code}.md").read_text(encoding="utf-8")
        assert explain(code, "ja") in page, code
        # The English half is the same text with its title demoted one level.
        assert explain(code, "en").replace("# ", "## ", 1) in page, code


def test_no_page_for_an_unknown_code() -> None:
    pages = {p.stem for p in (ROOT / "docs" / "rules").glob("*.md")} - {"index"}
    assert pages <= set(catalogue()), sorted(pages - set(catalogue()))


@pytest.mark.parametrize("code", ["FLD016", "CHR001", "KEY001"])
def test_explain_command_prints_the_catalogue(code: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["explain", code, "--markdown"], out, err) == 0
    assert out.getvalue() == explain(code, "ja") + "\n"
    out = io.StringIO()
    assert main(["explain", code.lower(), "--lang", "en", "--markdown"], out, err) == 0
    assert out.getvalue() == explain(code, "en") + "\n"


def test_unknown_code_is_a_usage_error() -> None:
    err = io.StringIO()
    assert main(["explain", "NOPE999"], io.StringIO(), err) == 2
    assert err.getvalue().count("\n") == 1


def test_every_code_has_a_conformance_case_or_a_stated_reason() -> None:
    cat = set(catalogue())
    covered = _covered()
    unexplained = cat - covered - set(NOT_REACHABLE) - KNOWN_GAPS
    assert unexplained == set(), f"add a conformance case for {sorted(unexplained)}"
    # The lists stay honest: nothing in them is covered already, and all are real codes.
    assert (set(NOT_REACHABLE) | KNOWN_GAPS) <= cat
    assert not (set(NOT_REACHABLE) & covered), "remove covered codes from NOT_REACHABLE"
    assert not (KNOWN_GAPS & covered), f"remove covered codes from KNOWN_GAPS: {sorted(KNOWN_GAPS & covered)}"


def _spec_path_codes() -> list[tuple[str, int | None, str | None]]:
    """Codes the zengin_sogo_furikomi spec reports on its corrupted conformance file."""
    import kikan_std

    folder = ROOT / "conformance" / "zengin_sogo_furikomi"
    report = kikan_std.check(folder / "corrupted.txt", spec="zengin_sogo_furikomi", max_findings=None)
    return [(f.code, f.record, f.item) for f in report.findings]


def test_not_reachable_codes_really_are_unreachable() -> None:
    items = [it for spec in list_specs() for g in spec.groups for it in g.items]
    types = {it.type for it in items}
    formats = {it.format for it in items}
    assert DataType.DECIMAL not in types or "FLD009" not in NOT_REACHABLE
    assert DataType.SIGNED not in types or "FLD010" not in NOT_REACHABLE
    assert DataType.YEAR not in types or "FLD013" not in NOT_REACHABLE
    assert Format.CORPORATE_NUMBER not in formats or "FLD017" not in NOT_REACHABLE
    # The spec path maps these two to FIX001 / FLD015; a spec path emitting them must drop them here.
    assert not {"ZGN001", "ZGN008"} & {c for c, *_ in _spec_path_codes()}


def test_parsed_catalogue_is_current_and_a_stale_copy_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from kikan_std import catalogue as cat

    parsed = ROOT / "kikan_std" / "data" / cat.PARSED_FILE
    assert parsed.read_text(encoding="utf-8") == cat.parsed_sources(), "run `make docs-gen`"
    # A TOML file edited after the JSON was written: the digest no longer matches, so the
    # catalogue comes from the TOML text itself.
    real = cat.sources

    def edited() -> tuple[str, dict[str, str]]:
        _, texts = real()
        texts["field.toml"] = texts["field.toml"].replace('severity = "error"', 'severity = "warning"', 1)
        return "edited", texts

    monkeypatch.setattr(cat, "sources", edited)
    assert cat.parsed()["field.toml"] != json.loads(parsed.read_text(encoding="utf-8"))["files"]["field.toml"]
