"""The CSV reader on messy real-world bytes: encodings, line ends, quoting, structure."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import kikan_std
from kikan_std.readers.csv_reader import Chunk, CsvSource, fast_columns, iter_csv
from tests.conftest import atena_rows, error_kind, run_cli


def read(data: bytes, encoding: str = "utf-8") -> tuple[CsvSource, list[Chunk], list[tuple[str, int | None, int | None]]]:
    src = CsvSource(path=Path("x.csv"), display_name="x.csv", encoding=encoding)
    chunks, findings = [], []
    for x in iter_csv(src, io.BytesIO(data)):
        if isinstance(x, Chunk):
            chunks.append(x)
        else:
            findings.append((x.code, x.record, x.line))
    return src, chunks, findings


def rows_of(chunks: list[Chunk]) -> list[list[str]]:
    out: list[list[str]] = []
    for c in chunks:
        out.extend([list(r) for r in zip(*c.columns, strict=True)])
    return out


def test_lf_crlf_cr_and_bom_give_the_same_rows() -> None:
    base = [["a", "b"], ["1", "2"], ["3", "4"]]
    texts = ["a,b\n1,2\n3,4\n", "a,b\r\n1,2\r\n3,4\r\n", "a,b\r1,2\r3,4\r", "\ufeffa,b\r\n1,2\r\n3,4", "a,b\n1,2\r\n3,4\n"]
    for t in texts:
        src, chunks, findings = read(t.encode("utf-8"))
        assert findings == []
        assert [src.header, *rows_of(chunks)] == base, repr(t)
    assert read("\ufeffa,b\n1,2\n".encode())[0].stats.bom


def test_quoted_fields_multiline_and_line_numbers() -> None:
    data = b'a,b\n1,"x\ny"\n"3","4"\n5,"q""uote"\n'
    _src, chunks, findings = read(data)
    assert findings == []
    assert rows_of(chunks) == [["1", "x\ny"], ["3", "4"], ["5", 'q"uote']]
    lines = [ln for c in chunks for ln in c.lines]
    records = [r for c in chunks for r in c.records]
    assert records == [1, 2, 3]
    assert lines == [2, 4, 5]


def test_fully_quoted_fast_path_equals_csv_module() -> None:
    data = b'"a","b","c"\r\n"1","","x,y"\r\n"2","3","4"\r\n'
    _, chunks, findings = read(data)
    assert findings == []
    assert rows_of(chunks) == [["1", "", "x,y"], ["2", "3", "4"]]


def test_ragged_rows_and_blank_lines_are_findings() -> None:
    _, chunks, findings = read(b"a,b\n1,2\n1,2,3\n\n4\n5,6\n")
    assert ("CSV002", 2, 3) in findings
    assert ("CSV012", None, 4) in findings
    assert ("CSV002", 3, 5) in findings
    assert [r for c in chunks for r in c.records] == [1, 4]


def test_empty_and_header_only() -> None:
    assert read(b"")[2] == [("CSV007", None, None)]
    assert read(b"a,b\n")[2] == [("CSV008", None, 1)]


def test_unterminated_quote_reports_the_record_start() -> None:
    _, _, findings = read(b'a,b\n1,2\n3,"open\n4,5\n')
    assert findings == [("CSV009", 2, 3)]


def test_malformed_quoting_and_recovery() -> None:
    _, chunks, findings = read(b'a,b\n1,"2"x\n3,4\n')
    assert findings == [("CSV011", 1, 2)]
    assert rows_of(chunks) == [["3", "4"]]


def test_cp932_bytes_in_utf8_are_kept_as_surrogates() -> None:
    data = b"a,b\n" + "佐藤,1\n".encode("cp932")
    _, chunks, _ = read(data)
    value = rows_of(chunks)[0][0]
    assert all(0xDC80 <= ord(c) <= 0xDCFF for c in value)
    _, chunks, findings = read(data, "cp932")
    assert rows_of(chunks) == [["佐藤", "1"]] and findings == []


def test_large_blocks_and_quoted_field_across_block_boundary(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import kikan_std.readers.csv_reader as r

    monkeypatch.setattr(r, "BLOCK_SIZE", 64)
    lines = ["a,b"] + [f'{i},"v\n{i}"' if i % 7 == 0 else f"{i},v{i}" for i in range(1, 200)]
    data = ("\n".join(lines) + "\n").encode()
    _, chunks, findings = read(data)
    assert findings == []
    rows = rows_of(chunks)
    assert len(rows) == 199
    assert rows[6] == ["7", "v\n7"]
    lines_seen = [ln for c in chunks for ln in c.lines]
    assert lines_seen[:8] == [2, 3, 4, 5, 6, 7, 8, 10]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_reader(data: bytes) -> None:
    read(b"a,b\n" + data)
    read(data, "cp932")
    read(data, "shift_jis")  # the CP932-fallback error handler, incl. a lone lead byte at the end
    read(b"a,b\n1," + data + b"\x81", "shift_jis")


def test_valid_data_in_every_encoding_and_line_end(write_csv) -> None:  # type: ignore[no-untyped-def]
    header, rows = atena_rows(50)
    from kikan_std.testing.generate import csv_text

    text = csv_text(iter([header, *rows]))
    variants = {
        "utf8.csv": (text.encode("utf-8"), "utf-8"),
        "bom.csv": (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8"),
        "lf.csv": (text.replace("\r\n", "\n").encode("utf-8"), "utf-8"),
        "cp932.csv": (text.encode("cp932"), "cp932"),
        "sjis.csv": (text.encode("shift_jis"), "shift_jis"),
    }
    for name, (data, enc) in variants.items():
        report = kikan_std.check(write_csv(data, name), spec="jutogai_atena", encoding=enc)
        assert report.valid, (name, report.flatten())
        assert report.stats.findings_by_severity["error"] == 0


def test_shift_jis_contract_flags_cp932_only_characters(write_csv) -> None:  # type: ignore[no-untyped-def]
    header, rows = atena_rows(5)
    i = header.index("住所_方書")
    rows[2][i] = "ハイツ①号"
    from kikan_std.testing.generate import csv_text

    p = write_csv(csv_text(iter([header, *rows])).encode("cp932"), "s.csv")
    report = kikan_std.check(p, spec="jutogai_atena", encoding="shift_jis")
    assert ("ENC001", 3, "住所_方書") in report.flatten()
    assert kikan_std.check(p, spec="jutogai_atena", encoding="cp932").valid


def test_bom_contract(write_csv) -> None:  # type: ignore[no-untyped-def]
    header, rows = atena_rows(3)
    from kikan_std.testing.generate import csv_text

    text = csv_text(iter([header, *rows])).encode()
    with_bom = write_csv(b"\xef\xbb\xbf" + text, "b.csv")
    without = write_csv(text, "n.csv")
    assert [f.code for f in kikan_std.check(with_bom, spec="jutogai_atena", bom="forbid").findings] == ["ENC002"]
    assert [f.code for f in kikan_std.check(without, spec="jutogai_atena", bom="require").findings] == ["ENC003"]
    assert kikan_std.check(with_bom, spec="jutogai_atena", bom="require").valid


def test_auto_encoding_reports_its_choice(write_csv) -> None:  # type: ignore[no-untyped-def]
    header, rows = atena_rows(200)
    from kikan_std.testing.generate import csv_text

    p = write_csv(csv_text(iter([header, *rows])).encode("cp932"), "auto.csv")
    report = kikan_std.check(p, spec="jutogai_atena", encoding="auto")
    assert report.inputs[0].encoding_detected
    assert report.inputs[0].encoding == "cp932"
    assert report.valid
    ascii_only = write_csv(b"a,b\n1,2\n", "ascii.csv")
    weak = kikan_std.check(ascii_only, spec="jutogai_atena", encoding="auto")
    assert "ENC004" in weak.stats.findings_by_code


def test_bad_inputs_never_traceback_and_never_exit_0(tmp_path: Path) -> None:
    header, rows = atena_rows(3)
    from kikan_std.testing.generate import csv_text

    good = csv_text(iter([header, *rows]))
    nul_rows = [list(r) for r in rows]
    nul_rows[1][header.index("住所_都道府県")] = "東京\x00都"
    cases = {
        "garbage.csv": bytes(range(256)) * 20,
        "nul.csv": csv_text(iter([header, *nul_rows])).encode(),
        "empty.csv": b"",
        "unterminated.csv": (good + '000000000000099,"abc\r\n').encode(),
        "bigcell.csv": (good + "000000000000099," + "x" * 10_000_000 + "\r\n").encode(),
    }
    for name, data in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        code, out, err = run_cli("check", str(p), "--spec", "jutogai_atena")
        assert code == 1, (name, code, err)
        assert "Traceback" not in out + err
    for kind, argv in (("file_not_found", ["check", str(tmp_path / "missing.csv"), "--spec", "jutogai_atena"]),
                       ("unknown_spec", ["check", str(tmp_path / "empty.csv"), "--spec", "no_such_spec"]),
                       ("unknown_encoding", ["check", str(tmp_path / "empty.csv"), "--spec", "jutogai_atena",
                                             "--encoding", "nope"]),
                       ("bad_arguments", ["check", "--spec", "jutogai_atena"]),
                       ("is_a_directory", ["check", str(tmp_path), "--spec", "jutogai_atena"]),
                       ("bad_arguments", ["bogus"])):
        code, out, err = run_cli(*argv)
        assert code == 2, argv
        assert err.startswith("kikan-std: エラー [") and err.count("\n") == 1, err
        assert error_kind(err) == kind, err
        assert "Traceback" not in err


_PLAIN = st.text(alphabet="ab あ", max_size=3)
_ANY = st.text(alphabet='ab,"\r\n あ', max_size=3)


@st.composite
def _blocks(draw: st.DrawFn) -> tuple[str, int]:
    """CSV-ish blocks: mostly well-formed rows, some with stray separators, quotes or line ends."""
    ncols = draw(st.integers(min_value=1, max_value=4))
    field = st.one_of(*[_PLAIN] * 12, _ANY)
    row = st.one_of(*[st.lists(field, min_size=ncols, max_size=ncols)] * 6,
                    st.lists(field, min_size=ncols - 1, max_size=ncols + 1))
    rows = draw(st.lists(row, min_size=1, max_size=5))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = eol.join(",".join(r) for r in rows) + draw(st.sampled_from(["", eol, "\n"]))
    return text, ncols


@settings(max_examples=1500, deadline=None)
@given(_blocks())
def test_fast_split_declines_or_agrees_with_the_csv_module(block: tuple[str, int]) -> None:
    """The block splitter either hands the block to csv.reader or gives exactly its rows."""
    text, ncols = block
    fast = fast_columns(text, ncols)
    if fast is None:
        return
    columns, n = fast
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert n == len(rows)
    assert all(len(r) == ncols for r in rows)
    assert [list(r) for r in zip(*columns, strict=True)] == rows


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.text(alphabet='ab,"\r\n あ', max_size=4), min_size=3, max_size=3), min_size=1, max_size=12),
       st.sampled_from(["\n", "\r\n"]), st.sampled_from([16, 64, 1 << 16]))
def test_reader_gives_the_rows_that_were_written(rows: list[list[str]], eol: str, block: int) -> None:
    """Any RFC 4180 text (quotes, separators, line breaks in values), read back in blocks of any
    size, gives the same rows with the right record and line numbers."""
    import kikan_std.readers.csv_reader as r

    def field(v: str) -> str:  # RFC 4180 (csv.writer leaves a lone CR unquoted when the line end is LF)
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\r\n') else v

    text = "".join(",".join(map(field, row)) + eol for row in [["h1", "h2", "h3"], *rows])
    saved = r.BLOCK_SIZE
    r.BLOCK_SIZE = block
    try:
        _src, chunks, findings = read(text.encode("utf-8"))
    finally:
        r.BLOCK_SIZE = saved
    # A row of blank fields is a line of commas (never a blank line with 3 columns).
    assert findings == []
    assert rows_of(chunks) == rows
    expected_lines, line = [], 2
    for row in rows:
        expected_lines.append(line)
        line += 1 + sum(len(_LINE_BREAKS.findall(v)) for v in row)
    assert [ln for c in chunks for ln in c.lines] == expected_lines
    assert [rec for c in chunks for rec in c.records] == list(range(1, len(rows) + 1))


_LINE_BREAKS = __import__("re").compile(r"\r\n|\r|\n")
