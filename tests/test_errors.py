"""The error contract: every error type has a stable kind and a Japanese and an English message; the CLI maps
types (never message text) to exit codes, prints Japanese by default and English on request, never a traceback.

Tests assert exit codes and kinds, not wording: the only check on text is which language it is in.
"""

from __future__ import annotations

import inspect
import json
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import pytest

import kikan_std
import kikan_std.errors as errors
from kikan_std.deliverable import check_deliverable
from kikan_std.errors import MESSAGES, KikanStdError
from kikan_std.testing.generate import write_sample
from kikan_std.testing.generators.deliverable import write_deliverable
from kikan_std.writers import SUFFIXES, render, write_reports
from tests.conftest import ROOT, error_kind, run_cli

VALID = ROOT / "conformance" / "jutogai_atena" / "valid_utf8_crlf.csv"
JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")
ERROR_TYPES = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, KikanStdError) and c.__module__ == errors.__name__]


def test_every_error_type_has_its_own_kind_with_japanese_and_english_messages() -> None:
    kinds = [c.kind for c in ERROR_TYPES]
    assert len(kinds) == len(set(kinds)), kinds
    assert set(kinds) == set(MESSAGES)  # no kind without a message, no message without a type
    for kind, (ja, en) in MESSAGES.items():
        free = ja == "{ja}" and en == "{en}"
        assert free or (JAPANESE.search(ja) and not JAPANESE.search(en.replace("{", "").replace("}", ""))), kind
    assert set(errors.__all__) >= {c.__name__ for c in ERROR_TYPES}


def test_the_cli_docs_list_every_kind() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert [k for k in MESSAGES if f"| `{k}` |" not in text] == []


def test_errors_render_both_languages_and_cross_process_boundaries() -> None:
    e = errors.InputNotFoundError(path="a.csv")
    assert (e.kind, e.params) == ("file_not_found", {"path": "a.csv"})
    assert JAPANESE.search(e.message()) and "a.csv" in e.message("ja")
    assert str(e) == e.message("en") and not JAPANESE.search(str(e))
    for err in (e, errors.UnknownSpecError("x", ["a", "b"]), errors.UsageError(ja="ア", en="a")):
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and back.message("ja") == err.message("ja") and str(back) == str(err)
    # Older callers catch the builtin bases.
    assert isinstance(errors.UnknownGroupError(group="g"), KeyError)
    assert isinstance(errors.UnknownSpecError("x"), KeyError)
    assert isinstance(errors.RuleOptionError(option="o", value="v", choices="a"), ValueError)
    assert isinstance(errors.SpecFileError(path="p", detail="d"), ValueError)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _layout(tmp: Path, **fields: object) -> Path:
    doc = {"record_length": 12, "fields": [{"item": "宛名番号", "start": 1, "length": 12}]} | fields
    return _write(tmp / "layout.json", json.dumps(doc, ensure_ascii=False))


@pytest.fixture(scope="module")
def deliverable(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("dl") / "d"
    write_deliverable(d, 30, 1)
    return d


# (kind, a function of the temp folder giving argv). Every argument is ASCII, so an English message
# has no Japanese at all.
CASES: list[tuple[str, Callable[[Path], list[str]]]] = [
    ("bad_arguments", lambda t: ["bogus"]),
    ("bad_arguments", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--jobs", "0"]),
    ("unknown_spec", lambda t: ["check", str(VALID), "--spec", "nope"]),
    ("file_not_found", lambda t: ["check", str(t / "missing.csv"), "--spec", "jutogai_atena"]),
    ("is_a_directory", lambda t: ["check", str(t), "--spec", "jutogai_atena"]),
    ("unknown_encoding", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--encoding", "nope"]),
    ("cannot_open", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--layout", str(t)]),
    ("invalid_layout", lambda t: ["check", str(VALID), "--spec", "jutogai_atena",
                                  "--layout", str(_write(t / "l.json", "{}"))]),
    ("layout_required", lambda t: ["check", str(_write(t / "x.dat", "x\n")), "--spec", "jutogai_atena"]),
    ("layout_group_missing", lambda t: ["check", str(_write(t / "x.dat", "x\n")), "--spec", "kotei_shisanzei",
                                        "--layout", str(_layout(t))]),
    ("layout_item_not_in_group", lambda t: ["check", str(_write(t / "x.dat", "x\n")), "--spec", "jutogai_atena",
                                            "--layout", str(_layout(t, fields=[{"item": "nope", "start": 1,
                                                                                "length": 2}]))]),
    ("unknown_group", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--group", "nope"]),
    ("unknown_group", lambda t: ["check", str(_write(t / "x.dat", "x\n")), "--spec", "jutogai_atena",
                                 "--layout", str(_layout(t)), "--group", "nope"]),
    ("unknown_rule_option", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--rule-option", "nope=1"]),
    ("bad_rule_option", lambda t: ["check", str(VALID), "--spec", "jumin_kiroku",
                                   "--rule-option", "atena_check_digit=maybe"]),
    ("unknown_output_format", lambda t: ["check", str(VALID), "--spec", "jutogai_atena", "--output-format", "yaml"]),
    ("cannot_write", lambda t: ["check", str(VALID), "--spec", "jutogai_atena",
                                "-o", str(_write(t / "file", "x") / "r.txt")]),
    ("spec_file_not_found", lambda t: ["check", str(VALID), "--spec-file", str(t / "nope.json")]),
    ("bad_spec_file", lambda t: ["check", str(VALID), "--spec-file", str(_write(t / "s.json", "{}"))]),
    ("bad_baseline", lambda t: ["check", str(VALID), "--spec", "jutogai_atena",
                                "--baseline", str(_write(t / "b.json", "x"))]),
    ("bad_waivers", lambda t: ["check", str(VALID), "--spec", "jutogai_atena",
                               "--waivers", str(_write(t / "w.toml", "x = ["))]),
    ("unknown_code", lambda t: ["explain", "NOPE1"]),
    ("unknown_generator", lambda t: ["generate", "--spec", "kaigo_hoken", "-o", str(t / "g.csv")]),
    ("usage", lambda t: ["generate", "--spec", "jutogai_atena", "--rows", "-1", "-o", str(t / "g.csv")]),
    ("output_exists", lambda t: ["generate", "--spec", "jutogai_atena", "-o", str(VALID)]),
    ("bad_gj_table", lambda t: ["chars", "abc", "--gj-table", str(_write(t / "gj.txt", "nope\n"))]),
]


@pytest.mark.parametrize(("kind", "argv_of"), CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CASES)])
def test_each_error_exits_2_with_its_kind_in_japanese_or_english(
    kind: str, argv_of: Callable[[Path], list[str]], tmp_path: Path
) -> None:
    argv = argv_of(tmp_path)
    code, out, err = run_cli(*argv)
    assert (code, error_kind(err)) == (2, kind), err
    assert err.count("\n") == 1 and "Traceback" not in err and out == ""
    assert JAPANESE.search(err), err
    code, _, err = run_cli(*argv, "--lang", "en")
    assert (code, error_kind(err)) == (2, kind), err
    english = err.replace("住登外者宛名基本情報", "")  # a group name given as a parameter stays as it is
    assert err.startswith(("kikan-std: error [", "kikan-std chars: error [")) and not JAPANESE.search(english), err


def test_bad_spill_threshold_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIKAN_STD_SPILL_AT", "2M")
    code, _, err = run_cli("check", str(VALID), "--spec", "jutogai_atena")
    assert (code, error_kind(err)) == (2, "bad_spill_threshold") and JAPANESE.search(err)
    monkeypatch.setenv("KIKAN_STD_LANG", "en")  # the environment asks for English as --lang en does
    code, _, err = run_cli("check", str(VALID), "--spec", "jutogai_atena")
    assert (code, error_kind(err)) == (2, "bad_spill_threshold") and not JAPANESE.search(err)


def test_deliverable_errors(deliverable: Path, tmp_path: Path) -> None:
    code, _, err = run_cli("check", str(deliverable), "--rule-option", "nope:x=1", "--lang", "en")
    assert (code, error_kind(err)) == (2, "rule_option_unknown_spec") and not JAPANESE.search(err)
    bad = tmp_path / "d"
    bad.mkdir()
    _write(bad / "kikan-manifest.json", '{"kikan_manifest": 2}')
    code, _, err = run_cli("check", str(bad))
    assert (code, error_kind(err)) == (2, "bad_manifest") and JAPANESE.search(err)
    with pytest.raises(errors.NotADeliverableError):
        check_deliverable(VALID)
    with pytest.raises(errors.InputNotFoundError):
        check_deliverable(tmp_path / "nope.zip")


def test_library_raises_the_specific_types() -> None:
    with pytest.raises(errors.UnknownInputFormatError) as e:
        kikan_std.check(VALID, spec="jutogai_atena", input_format="yaml")  # type: ignore[arg-type]
    assert e.value.kind == "unknown_input_format"
    with pytest.raises(errors.UnknownGroupError):
        kikan_std.load_spec("jutogai_atena").group("nope")
    with pytest.raises(errors.UnknownCodeError):
        kikan_std.explain("NOPE1")


@pytest.mark.parametrize("exc", [KeyError("boom"), ValueError("boom"), errors.InternalError("boom")])
def test_a_bug_inside_the_engine_is_an_internal_error_not_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    import kikan_std.engine.file

    def boom(*a: object, **k: object) -> None:
        raise exc

    # Deep inside a run: where a group is chosen for a file (a KeyError here used to be "unknown group", exit 2).
    monkeypatch.setattr(kikan_std.engine.file, "choose_group", boom)
    code, out, err = run_cli("check", str(VALID), "--spec", "jutogai_atena")
    assert code == 3 and out == "" and error_kind(err) == "internal" and "Traceback" not in err, err
    code, _, err = run_cli("check", str(VALID), "--spec", "jutogai_atena", "--lang", "en")
    assert code == 3 and err.startswith("kikan-std: internal error [internal]:") and not JAPANESE.search(err), err


def test_write_reports_writes_every_format_at_once(tmp_path: Path) -> None:
    report = kikan_std.check(VALID, spec="jutogai_atena")
    written = write_reports(report, "json,html,csv", tmp_path / "out" / "r", lang="en")
    assert [f for f, _ in written] == ["json", "html", "csv"]
    for fmt, path in written:
        assert path == tmp_path / "out" / f"r{SUFFIXES[fmt]}"
        assert path is not None and path.read_bytes().decode("utf-8") == render(report, fmt, "en")
    with pytest.raises(errors.UsageError):
        write_reports(report, ["json", "html"])  # several formats need a prefix
    with pytest.raises(errors.UnknownOutputFormatError):
        write_reports(report, "json,yaml", tmp_path / "x")


def test_write_sample_plants_exactly_the_findings_it_lists(tmp_path: Path) -> None:
    s = write_sample(tmp_path / "s.csv", "jutogai_atena", 300, 7, defect_rate=0.1)
    assert s.expected_path is not None and s.planted > 10
    expected = json.loads(s.expected_path.read_text(encoding="utf-8"))
    assert expected["match"] == "exact" and len(expected["expected"]) == s.planted
    report = kikan_std.check(s.path, spec="jutogai_atena", max_findings=None, max_findings_total=None)
    assert sorted([f.code, f.record, f.item] for f in report.findings) == sorted(expected["expected"])
    with pytest.raises(errors.OutputExistsError):
        write_sample(s.path, "jutogai_atena")
