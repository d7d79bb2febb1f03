"""Readers and runs that never give a false valid, never crash, and agree with themselves.

* ``--jobs 1``, ``2`` and ``3`` give identical reports on any bytes (a differential fuzz test over
  hostile CSV: CR / LF / CRLF mixes, BOMs anywhere, bare and doubled quotes, quoted line breaks);
* arbitrary bytes through the CLI for every input format end with exit 0, 1 or 2, never 3;
* one regression test per class the adversarial review found (see docs/guarantees-readers.md).

The fuzzers are bounded for ``make test``; ``KIKAN_STD_FUZZ_EXAMPLES=2000`` runs them longer (release
checks, docs/guarantees-readers.md).
"""

from __future__ import annotations

import codecs
import gc
import json
import os
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.engine import parallel
from kikan_std.readers import csv_reader
from tests.conftest import error_kind, run_cli

FUZZ_EXAMPLES = int(os.environ.get("KIKAN_STD_FUZZ_EXAMPLES", "0")) or None
"""Examples per fuzz test: the bounded default of each test, or this many (release checks)."""

HEADER = ["宛名番号", "氏名", "性別", "住所_方書"]


def _examples(default: int) -> int:
    return FUZZ_EXAMPLES or default


class SerialPool:
    """Stands in for ProcessPoolExecutor: the same worker functions, run one after another in this
    process (process start-up would make a fuzz test of hundreds of examples take minutes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self) -> SerialPool:
        return self

    def __exit__(self, *exc: object) -> None:
        gc.enable()  # the workers turn the collector off, as a worker process may

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        fut.set_result(fn(*args))
        return fut

    def map(self, fn: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
        return iter([fn(*a) for a in zip(*iterables, strict=True)])


def comparable(report: kikan_std.Report) -> dict[str, object]:
    d = report.model_dump()
    d.pop("generated_at")
    return d


def _reports(path: Path, jobs: tuple[int, ...] = (1, 2, 3), **kw: Any) -> list[dict[str, object]]:
    return [comparable(kikan_std.check(path, spec="jutogai_atena", max_findings=None, jobs=j, **kw)) for j in jobs]


def _split(path: Path, jobs: int) -> bool:
    """True when ``--jobs`` really cuts this file into parts (and the parts agree)."""
    spec = kikan_std.load_spec("jutogai_atena")
    from kikan_std.options import Options
    from kikan_std.report.collect import Sink
    from kikan_std.specs import rules_for

    rules = rules_for(spec)
    return parallel.check_in_parts(spec, path, str(path), Options(jobs=jobs), Sink(cap=None),
                                   rules.record_rules, rules.dataset_rules, []) is not None


@pytest.fixture
def serial_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", SerialPool)


# -- hostile CSV ---------------------------------------------------------------------------------

_LINE_ENDS = ["\n", "\r\n", "\r"]
_PLAIN = st.sampled_from(["", "1", "A12", "佐藤", " ", "\u3000", "ｱｲ", "\ufeff", "x\ufeffy", "1,2"])
_QUOTED = st.builds(lambda body, eol: '"' + body.replace("|", eol).replace('"', '""') + '"',
                    st.sampled_from(["a", "|", "a|b", "\"", "x\"|\"y", "", "\ufeff"]), st.sampled_from(_LINE_ENDS))
_HOSTILE = st.sampled_from(['a"b', ' "x"', '"x"y', '"', '""', '"\n', '\ufeff"q"', 'a""'])
_FIELD = st.one_of(_PLAIN, _QUOTED, _HOSTILE)


@st.composite
def hostile_csv(draw: st.DrawFn) -> bytes:
    """A CSV file an attacker or a careless vendor might write."""
    bom = draw(st.sampled_from(["", "\ufeff"]))
    header = ",".join(HEADER) + draw(st.sampled_from(_LINE_ENDS))
    # Some files are hostile only in their line ends and BOMs, so that --jobs really splits them
    # (a bare quote makes the cuts disagree and the file is checked whole, which is also tested).
    field = _FIELD if draw(st.booleans()) else st.one_of(_PLAIN, _QUOTED)
    rows = draw(st.lists(st.tuples(st.lists(field, min_size=1, max_size=6), st.sampled_from(_LINE_ENDS),
                                   st.booleans()), min_size=1, max_size=40))
    body = "".join(("\ufeff" if lead_bom else "") + ",".join(fields) + eol for fields, eol, lead_bom in rows)
    text = bom + header + body
    if draw(st.booleans()):
        text = text.rstrip("\r\n")  # no line end after the last record
    return text.encode("utf-8")


@settings(max_examples=_examples(40), deadline=None, suppress_health_check=list(HealthCheck))
@given(data=hostile_csv(), min_part=st.sampled_from([8, 16, 40, 120]), block=st.sampled_from([16, 61, 4096]))
def test_jobs_identical_on_hostile_csv(tmp_path_factory: pytest.TempPathFactory, serial_parts: None,
                                       data: bytes, min_part: int, block: int) -> None:
    """--jobs 1, 2 and 3 give the same report for any bytes, at many cut positions and block sizes."""
    p = tmp_path_factory.mktemp("hostile") / "hostile.csv"
    p.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "MIN_PART_BYTES", min_part)
        mp.setattr(csv_reader, "BLOCK_SIZE", block)
        one, two, three = _reports(p)
    assert one == two == three


def test_jobs_identical_with_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same differential with real worker processes, on a few fixed hostile files."""
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 64)
    rows = "".join(f"\ufeff{i:05d},佐藤,1,\"a\r\nb\"\r\n" if i % 3 else f'{i:05d},a"b,1,x\n' for i in range(60))
    p = tmp_path / "h.csv"
    p.write_bytes((",".join(HEADER) + "\r" + rows).encode())
    one, two, three = _reports(p)
    assert one == two == three
    rows = "".join(f"\ufeff{i:05d},佐藤,1,\"a\r\nb\"\r\n" if i % 3 else f"{i:05d},,1,x\n" for i in range(60))
    p.write_bytes((",".join(HEADER) + "\n" + rows).encode())
    assert _split(p, 2)
    one, two, three = _reports(p)
    assert one == two == three


# Item 1: the three ways the cuts went wrong, each a file that --jobs really splits (or refuses to).

def test_header_ending_with_lone_cr_keeps_record_one(tmp_path: Path, serial_parts: None,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 32)
    p = tmp_path / "cr.csv"
    p.write_bytes((",".join(HEADER) + "\r" + "".join(f"{i:05d},,9,\n" for i in range(40))).encode())
    one, two, three = _reports(p)
    assert one == two == three
    assert list(one["stats"]["records"].values()) == [40]  # type: ignore[index,attr-defined]


def test_bom_at_a_part_start_is_data(tmp_path: Path, serial_parts: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 32)
    p = tmp_path / "bom.csv"
    p.write_bytes((",".join(HEADER) + "\n" + "".join(f"\ufeff{i:05d},,1,\n" for i in range(40))).encode())
    assert _split(p, 3)
    one, two, three = _reports(p)
    assert one == two == three
    assert one["stats"]["findings_by_code"]  # type: ignore[index]


def test_bare_quote_cannot_move_a_cut_into_a_quoted_field(tmp_path: Path, serial_parts: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", 32)
    p = tmp_path / "q.csv"
    rows = "".join(f'{i:05d},a"b,1,x\n{i + 100:05d},,1,"ハイツ\n101"\n' for i in range(30))
    p.write_bytes((",".join(HEADER) + "\n" + rows).encode())
    one, two, three = _reports(p)
    assert one == two == three
    assert one["stats"]["findings_by_code"]["CSV013"] == 30  # type: ignore[index]


# -- no exit 3 on any bytes ----------------------------------------------------------------------

_LAYOUT = {"group": "住登外者宛名基本情報", "encoding": "cp932", "record_length": 11,
           "fields": [{"item": "宛名番号", "start": 1, "length": 10}, {"item": "性別", "start": 11, "length": 1}]}


@st.composite
def any_input(draw: st.DrawFn) -> tuple[str, bytes]:
    fmt = draw(st.sampled_from(["csv", "json", "xml", "fixed"]))
    prefix = {
        "csv": ",".join(HEADER) + "\n",
        "json": '{"atenabango": ',
        "xml": "<?xml version='1.0'?><jutogaisha_atena_kihon_joho_list><jutogaisha_atena_kihon_joho>",
        "fixed": "",
    }[fmt]
    raw = draw(st.binary(max_size=300))
    tail = draw(st.sampled_from(["", "9" * 5000, '"', "\r", "\ufeff", "]", "</x>", "\x00"]))
    return fmt, draw(st.sampled_from([b"", prefix.encode()])) + raw + tail.encode()


@settings(max_examples=_examples(60), deadline=None, suppress_health_check=list(HealthCheck))
@given(case=any_input(), encoding=st.sampled_from(["utf-8", "cp932", "shift_jis", "auto", "euc_jp", "iso2022_jp"]))
def test_no_exit_3_on_any_bytes(tmp_path_factory: pytest.TempPathFactory, case: tuple[str, bytes],
                                encoding: str) -> None:
    """Arbitrary bytes in every input format: exit 0, 1 or 2 with a message, never a traceback."""
    fmt, data = case
    d = tmp_path_factory.mktemp("bytes")
    p = d / f"in.{fmt}"
    p.write_bytes(data)
    argv = ["check", str(p), "--spec", "jutogai_atena", "--no-progress", "--input-format", fmt,
            "--encoding", encoding, "--output-format", "json"]
    if fmt == "fixed":
        lay = d / "layout.json"
        lay.write_text(json.dumps(_LAYOUT, ensure_ascii=False), encoding="utf-8")
        argv += ["--layout", str(lay)]
    code, out, err = run_cli(*argv)
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert error_kind(err) is not None, err
    else:
        assert json.loads(out)["valid"] is (code == 0)


# -- one regression test per class ----------------------------------------------------------------

def _check(tmp_path: Path, name: str, data: bytes, **kw: Any) -> kikan_std.Report:
    p = tmp_path / name
    p.write_bytes(data)
    return kikan_std.check(p, spec="jutogai_atena", max_findings=None, **kw)


def test_csv_bare_quote_is_a_finding(tmp_path: Path) -> None:
    """Item 5: RFC 4180 2.5, a quote inside an unquoted field (also after a leading space)."""
    r = _check(tmp_path, "q.csv", f'{",".join(HEADER)}\n00001,佐藤"太郎,1,\n00002, "x",1,\n00003,"a""b",1,\n'.encode())
    found = [(f.code, f.record, f.params.get("position")) for f in r.findings if f.code == "CSV013"]
    assert found == [("CSV013", 1, 2), ("CSV013", 2, 2)]
    assert not r.valid
    header_quote = _check(tmp_path, "h.csv", '宛名番号,氏"名\n00001,佐藤\n'.encode())
    assert [f.line for f in header_quote.findings if f.code == "CSV013"] == [1]


def test_unsupported_encodings_are_refused_up_front(tmp_path: Path) -> None:
    """Item 15: UTF-16/32 and non-text codecs are a usage error (exit 2), not an internal error."""
    p = tmp_path / "a.csv"
    p.write_bytes(",".join(HEADER).encode("utf-16"))
    for enc in ("utf-16", "utf-32", "base64", "rot13", "idna", "hex", "zlib", "utf-16-le"):
        code, _, err = run_cli("check", str(p), "--spec", "jutogai_atena", "--encoding", enc, "--no-progress")
        assert code == 2, (enc, err)
        assert error_kind(err) == "unsupported_encoding", err
        assert "utf-8" in err and "cp932" in err  # the message lists what is supported
    code, _, err = run_cli("check", str(p), "--spec", "jutogai_atena", "--encoding", "no-such", "--no-progress")
    assert (code, error_kind(err)) == (2, "unknown_encoding")
    with pytest.raises(kikan_std.errors.UnsupportedEncodingError):
        kikan_std.check(tmp_path / "missing.csv", spec="jutogai_atena", encoding="utf-16")


def test_utf16_file_detected_as_such_is_refused(tmp_path: Path) -> None:
    """Item 15: ``--encoding auto`` on a UTF-16 file: a clear input error, not exit 3."""
    p = tmp_path / "a.csv"
    p.write_bytes((",".join(HEADER) + "\n00001,,1,\n").encode("utf-16"))
    code, _, err = run_cli("check", str(p), "--spec", "jutogai_atena", "--encoding", "auto", "--no-progress")
    assert (code, error_kind(err)) == (2, "unsupported_encoding"), err


def test_utf8_sig_is_held_to_the_bom_contract(tmp_path: Path) -> None:
    """Item 10: ``utf-8-sig`` is UTF-8: the BOM is seen and ``--bom forbid`` / ``require`` apply."""
    body = (",".join(HEADER) + "\n00001,,1,\n").encode()
    with_bom = _check(tmp_path, "b.csv", codecs.BOM_UTF8 + body, encoding="utf-8-sig", bom="forbid")
    assert "ENC002" in {f.code for f in with_bom.findings} and not with_bom.valid
    without = _check(tmp_path, "n.csv", body, encoding="utf-8-sig", bom="require")
    assert "ENC003" in {f.code for f in without.findings} and not without.valid
    assert with_bom.inputs[0].bom and with_bom.inputs[0].encoding == "utf-8"


def test_json_huge_number_is_a_finding(tmp_path: Path) -> None:
    """Item 15: a 5,000-digit number (beyond Python's int-from-string limit) is a finding, not exit 3."""
    p = tmp_path / "n.json"
    p.write_text('{"atenabango": ' + "9" * 5000 + ', "seibetsu": 1e999999}', encoding="utf-8")
    code, out, err = run_cli("check", str(p), "--spec", "jutogai_atena", "--no-progress", "--output-format", "json")
    assert code == 1, err
    codes = {f["code"] for f in json.loads(out)["findings"]}
    assert codes & {"JSN001", "JSN002"}


def test_json_every_array_of_records_is_read(tmp_path: Path) -> None:
    """Item 4: a later array of records is not silently skipped."""
    doc = {"result": [{"atenabango": "00001"}], "more": [{"atenabango": "00002", "seibetsu": "9"}]}
    r = _check(tmp_path, "a.json", json.dumps(doc).encode())
    assert not r.valid
    assert "JSN007" in {f.code for f in r.findings}
    f = next(f for f in r.findings if f.code == "JSN007")
    assert f.pointer == "/more"


def _xml(inner: str, root_attrs: str = "") -> bytes:
    return (f"<?xml version='1.0' encoding='UTF-8'?><jutogaisha_atena_kihon_joho_list{root_attrs}>{inner}"
            "</jutogaisha_atena_kihon_joho_list>").encode()


@pytest.mark.parametrize(("inner", "attrs"), [
    ("stray text<jutogaisha_atena_kihon_joho><atenabango>00001</atenabango></jutogaisha_atena_kihon_joho>", ""),
    ("<jutogaisha_atena_kihon_joho><atenabango>00001</atenabango></jutogaisha_atena_kihon_joho>tail text", ""),
    ("<jutogaisha_atena_kihon_joho><atenabango>00001</atenabango></jutogaisha_atena_kihon_joho>", " version='2'"),
    ("only text", ""),
])
def test_xml_root_text_and_attributes_are_findings(tmp_path: Path, inner: str, attrs: str) -> None:
    """Item 3: what the published XSD rejects at the root is a finding here too."""
    r = _check(tmp_path, "x.xml", _xml(inner, attrs))
    assert not r.valid
    assert "XML005" in {f.code for f in r.findings}


def test_xml_root_whitespace_and_comments_pass(tmp_path: Path) -> None:
    good = _check(tmp_path, "g.xml", _xml("\n  <!-- c -->\n  "))
    assert "XML005" not in {f.code for f in good.findings}


@pytest.mark.parametrize("blank", [" ", "   ", "\u3000", " \u3000 "])
@pytest.mark.parametrize("fmt", ["csv", "json", "xml"])
def test_required_item_blank_in_substance_is_blank(tmp_path: Path, blank: str, fmt: str) -> None:
    """Item 9: spaces only (U+0020 / U+3000) in a 必須 item are FLD001 in every reader."""
    if fmt == "csv":
        data = f"宛名番号,性別\n{blank},1\n".encode()
    elif fmt == "json":
        data = json.dumps({"atenabango": blank, "seibetsu": "1"}).encode()
    else:
        data = _xml(f"<jutogaisha_atena_kihon_joho><atenabango>{blank}</atenabango></jutogaisha_atena_kihon_joho>")
    r = _check(tmp_path, f"b.{fmt}", data)
    assert [f.code for f in r.findings if f.item == "宛名番号"] == ["FLD001"]


def test_required_item_blank_in_substance_fixed_width(tmp_path: Path) -> None:
    p = tmp_path / "f.dat"
    p.write_bytes("　　      1\r\n".encode("cp932"))
    lay = tmp_path / "l.json"
    lay.write_text(json.dumps(_LAYOUT, ensure_ascii=False), encoding="utf-8")
    r = kikan_std.check(p, spec="jutogai_atena", layout=lay, input_format="fixed")
    assert "FLD001" in {f.code for f in r.findings}


def test_weak_auto_guess_is_never_valid(tmp_path: Path) -> None:
    """Item 8: a CP932 file of half-width kana may be guessed as EUC-JP; a weak guess is not valid."""
    rows = "".join(f"{i:05d},ｱｲ,1\n" for i in range(1, 3))
    p = tmp_path / "k.csv"
    p.write_bytes(("atenabango,shimei_yomigana,seibetsu\n" + rows).encode("cp932"))
    r = kikan_std.check(p, spec="jutogai_atena", encoding="auto")
    assert r.inputs[0].encoding == "euc_jp"  # the wrong guess the review found
    assert "ENC004" in {f.code for f in r.findings}
    assert not r.valid
    code, _, _ = run_cli("check", str(p), "--spec", "jutogai_atena", "--encoding", "auto", "--no-progress")
    assert code == 1


def _peak(path: Path) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        kikan_std.check(path, spec="jutogai_atena")
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _rows_file(path: Path, rows: int, eol: str) -> Path:
    # No key column: a primary-key index grows with the records by design (and spills to disk).
    text = "氏名,性別,住所_方書" + eol + ("佐藤,1," + eol) * rows
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_memory_bounded_whatever_the_line_ends(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Item 16: memory is bounded by the block size for CR-only line ends as for LF (tracemalloc
    peaks, not timings; benchmarks/bench_line_ends.py prints peak RSS at full size)."""
    monkeypatch.setattr(csv_reader, "BLOCK_SIZE", 16 * 1024)
    _peak(_rows_file(tmp_path / "warm.csv", 1000, "\n"))  # first-use imports and caches
    lf = _peak(_rows_file(tmp_path / "lf.csv", 40_000, "\n"))
    cr = _peak(_rows_file(tmp_path / "cr.csv", 40_000, "\r"))
    cr_big = _peak(_rows_file(tmp_path / "cr4.csv", 160_000, "\r"))
    assert cr < 1.2 * lf
    assert cr_big < 1.2 * cr  # four times the file, not four times the memory
    assert cr_big < (tmp_path / "cr4.csv").stat().st_size  # before the fix: several times the file size


@settings(max_examples=_examples(300), deadline=None)
@given(rows=st.lists(st.lists(st.one_of(st.sampled_from(["", " ", "\u3000", "  \u3000", "a", "a b", " a", "\u3000a"]),
                                        st.text(alphabet=' \u3000a,"\r\n', max_size=4)), min_size=2, max_size=2),
                     min_size=1, max_size=6),
       eol=st.sampled_from(["\n", "\r\n", "\r"]), quote_all=st.booleans())
def test_block_prefilter_never_misses_a_value_of_spaces(rows: list[list[str]], eol: str, quote_all: bool) -> None:
    """Item 9: the reader's C-level pre-filter may say "maybe" wrongly, never "no" wrongly."""
    def field(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if quote_all or any(c in v for c in ',"\r\n') else v

    text = eol.join(",".join(field(v) for v in r) for r in rows) + eol
    fast = csv_reader.fast_columns(text, 2)
    if fast is None:
        return  # the slow path never skips the engine's own look
    columns, _ = fast
    if any(v and not v.strip(" \u3000") for col in columns for v in col):
        assert csv_reader.may_hold_spaces_only(text)
