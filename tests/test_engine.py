"""Engine behaviour: rules that cannot run or crash, key index spilling, record models, public API."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.engine.keys import KeyIndex, Refs
from kikan_std.engine.run import run_check
from kikan_std.errors import RuleNotRun
from kikan_std.model.rules import ChunkView, RecordRule
from kikan_std.testing.generate import csv_text, iter_jutogai_atena


def _file(tmp_path: Path, rows: int = 20) -> Path:
    p = tmp_path / "a.csv"
    p.write_text(csv_text(iter_jutogai_atena(rows, 1)), encoding="utf-8")
    return p


def test_a_crashing_rule_makes_the_report_invalid(tmp_path: Path) -> None:
    def crash(view: ChunkView) -> list[kikan_std.Finding]:
        raise ZeroDivisionError("x")

    spec = kikan_std.load_spec("jutogai_atena")
    report = run_check([_file(tmp_path)], spec, [RecordRule("crashy", ("X",), "test", crash)])
    assert not report.valid
    assert [f.code for f in report.findings] == ["SYS001"]
    assert report.rules_not_run[0].rule == "crashy"


def test_a_rule_that_cannot_run_makes_the_report_invalid(tmp_path: Path) -> None:
    def needs(view: ChunkView) -> list[kikan_std.Finding]:
        view.need("存在しない項目")
        return []

    spec = kikan_std.load_spec("jutogai_atena")
    report = run_check([_file(tmp_path)], spec, [RecordRule("needy", ("X",), "test", needs)])
    assert not report.valid and report.findings[0].code == "SYS002"
    with pytest.raises(RuleNotRun):
        ChunkView("f", spec.groups[0], {}, [1], [2]).need("a")


def test_key_index_spills_and_still_finds_duplicates(tmp_path: Path) -> None:
    def tmp_dir_entries() -> list[Path]:
        return list(tmp_path.iterdir())

    with KeyIndex(spill_at=100, tmpdir=str(tmp_path)) as idx:
        keys = [f"k{i}" for i in range(1000)]
        refs = [(i, i + 1) for i in range(1, 1001)]
        assert idx.add_many(keys[:500], refs[:500]) == []
        assert idx.spilled
        # Once spilled, repeats come from finish(), with where each key was first seen, in order.
        assert idx.add_many([*keys[500:], "k3", "k999", "k3"], [*refs[500:], (2000, 2001), (2001, 2002), (2002, 2003)]) == []
        assert len(idx) == 1000
        assert idx.get("k10") == (11, 12) and idx.get("k999") == (1000, 1001) and idx.get("nope") is None
        assert idx.finish() == [("k3", (2000, 2001), (4, 5)), ("k999", (2001, 2002), (1000, 1001)),
                                ("k3", (2002, 2003), (4, 5))]
        assert idx.add_many(["k3"], [(3000, 3001)]) == []  # still usable after a look
        assert idx.finish()[-1] == ("k3", (3000, 3001), (4, 5))
    assert not list(tmp_dir_entries())


def test_key_index_repeats_inside_one_batch_keep_the_first_ref() -> None:
    with KeyIndex() as idx:
        refs = Refs.of(range(1, 6), range(2, 7))
        assert list(refs.packed()) == [r << 32 | ln for r, ln in zip(range(1, 6), range(2, 7), strict=True)]
        # None of these exist yet: the all-new fast path must still report the repeats in order.
        assert idx.add_many(["a", "b", "a", "c", "a"], refs) == [(2, (1, 2)), (4, (1, 2))]
        assert idx.get("a") == (1, 2) and idx.get("c") == (4, 5)
        assert idx.add_many(["c", "d"], Refs.of([9, 12], [20, 30])) == [(0, (4, 5))]
        assert idx.get("d") == (12, 30)


def test_duplicate_keys_across_chunks_with_spilling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "50")
    it = iter_jutogai_atena(300, 2)
    header = next(it)
    rows = [list(r) for r in it]
    rows[250][0] = rows[10][0]
    p = tmp_path / "d.csv"
    p.write_text(csv_text(iter([header, *rows])), encoding="utf-8")
    report = kikan_std.check(p, spec="jutogai_atena")
    assert report.flatten() == [("KEY001", 251, "宛名番号")]
    assert report.findings[0].related == [{"record": 11, "line": 12}]


def test_record_model_from_spec() -> None:
    spec = kikan_std.load_spec("jutogai_atena")
    model = spec.record_model()
    header, *rows = list(iter_jutogai_atena(2, 1))
    rec = model.model_validate(dict(zip(header, rows[0], strict=True)))
    assert rec.atenabango == rows[0][0]  # type: ignore[attr-defined]
    with pytest.raises(ValueError):
        model.model_validate({**dict(zip(header, rows[0], strict=True)), "宛名番号": ""})


def test_public_api_is_sorted_and_importable() -> None:
    assert kikan_std.__all__ == sorted(kikan_std.__all__)
    for name in kikan_std.__all__:
        assert hasattr(kikan_std, name)


def test_every_builtin_spec_item_has_provenance_and_known_code_lists() -> None:
    for spec in kikan_std.list_specs():
        for g in spec.groups:
            for it in g.items:
                assert it.provenance in ("official", "derived", "municipal", "modeled")
                if it.code_list:
                    spec.code_list(it.code_list)


def test_official_items_match_the_reference(shared_reference: Path) -> None:
    import csv

    with (shared_reference / "data" / "jutogai_atena_item_definition.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    items = kikan_std.load_spec("jutogai_atena").groups[0].items
    assert len(items) == len(rows) == 29
    for it, r in zip(items, rows, strict=True):
        assert (it.id, it.name, it.romaji, it.type.value, it.length, it.obligation.value) == (
            r["データ項目ID(8桁)"], r["データ項目"], r["データ項目_ローマ字"], r["データ型"], r["桁数"], r["データ出力条件"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "あ", "\x1f"]), min_size=0, max_size=3)
                .map("".join), max_size=60),
       st.integers(min_value=0, max_value=70), st.integers(min_value=1, max_value=9))
def test_key_index_reports_what_a_plain_dict_does(keys: list[str], spill_at: int, batch: int) -> None:
    """In memory or spilled at any point, in batches of any size: every repeat with its first ref."""
    expected, first = [], {}
    for i, k in enumerate(keys):
        ref = (i + 1, i + 2)
        if k in first:
            expected.append((k, ref, first[k]))
        else:
            first[k] = ref
    got = []
    with KeyIndex(spill_at=spill_at) as idx:
        for start in range(0, len(keys), batch):
            part = keys[start : start + batch]
            refs = Refs.of(range(start + 1, start + 1 + len(part)), range(start + 2, start + 2 + len(part)))
            got += [(part[j], refs[j], f) for j, f in idx.add_many(part, refs)]
        got += idx.finish()
        assert len(idx) == len(first)
    assert got == expected
