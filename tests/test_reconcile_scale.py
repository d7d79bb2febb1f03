"""The scale paths of 突合 give exactly the in-memory, one-process result (differential tests).

* ``--jobs N`` / ``reconcile(jobs=N)`` against one process;
* the streamed outputs (``reconcile_to``, what the command writes) against the in-memory result
  written by ``write_json`` / ``write_csv`` / ``render_html``, byte for byte, masked and shown;
* the compact beneficiary store's candidates against the plain blocking index, including blocks too
  large to use and keys whose hashes collide;
* the pieces written without the standard library's help (JSON text, HMAC tags, the transfer file)
  against the standard library.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from kikan_std.cli.reconcile import reconcile_main
from kikan_std.jp import zengin
from kikan_std.reconcile import ReconcileResult, reconcile, reconcile_to
from kikan_std.reconcile import engine as engine_mod
from kikan_std.reconcile._io import BENEFICIARY_FIELDS, iter_rows
from kikan_std.reconcile.engine import BeneficiaryStore, chunks, encode_beneficiaries
from kikan_std.reconcile.generate import GenConfig, generate_files
from kikan_std.reconcile.match import MAX_BLOCK, BlockIndex, make_household
from kikan_std.reconcile.report import render_html, write_csv, write_json
from kikan_std.reconcile.stream import dumps_indent1
from kikan_std.report.render import value_tag

# More namesakes and variants than the default rates, so every outcome occurs in a small set.
CFG = GenConfig(seed=2026, namesake_rate=0.1, duplicate_rate=0.03, typo=0.05, nonresident_rate=0.03)
_CREATED = re.compile(r'("created": "|実行日時,|実行日時</td><td>)[0-9T:+\-]+')


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("scale")
    bens, apps, _truth = generate_files(3000, d, CFG)
    return apps, bens


def _dump(r: ReconcileResult) -> dict[str, Any]:
    out = r.model_dump()
    assert out["audit"]["created"]
    out["audit"].pop("created")  # the run's time is the only field allowed to differ
    return out


@pytest.fixture(scope="module")
def serial(files: tuple[Path, Path]) -> ReconcileResult:
    return reconcile(*files)


def test_generated_set_has_every_outcome(serial: ReconcileResult) -> None:
    """The differential tests below compare something: every kind of item occurs in the set."""
    s = serial.summary
    assert s.matched and s.review and s.duplicates and s.unmatched_applications and s.unmatched_beneficiaries
    assert s.member_differences and s.transferable and serial.unresolved_banks and s.findings
    assert {"RCN005", "RCN010"} <= set(s.findings)


@pytest.mark.parametrize("jobs", [2, 3])
def test_parallel_result_equals_serial(files: tuple[Path, Path], serial: ReconcileResult, jobs: int) -> None:
    """Matches, review, ambiguous, unmatched, duplicates, banks, findings, summary, audit: all identical."""
    par = reconcile(*files, jobs=jobs)
    assert _dump(par) == _dump(serial)
    assert par.transfer_records() == serial.transfer_records()
    assert par.raw_findings() == serial.raw_findings()


def test_in_memory_rows_give_the_same_result(files: tuple[Path, Path], serial: ReconcileResult) -> None:
    """Rows given as mappings are read like the file (in one or several processes)."""
    apps, bens = (list(csv.DictReader(p.open(encoding="utf-8", newline=""))) for p in files)
    for jobs in (1, 2):
        r = reconcile(apps, bens, jobs=jobs)
        assert r.summary == serial.summary
        assert [m.model_dump() for m in r.matched] == [m.model_dump() for m in serial.matched]
        assert r.model_dump(exclude={"audit", "findings"}) == serial.model_dump(exclude={"audit", "findings"})
        # the findings name no file (rows, not a file), otherwise they are the same
        assert [f.model_dump(exclude={"file"}) for f in r.findings] == [
            f.model_dump(exclude={"file"}) for f in serial.findings]


def _in_memory_text(result: ReconcileResult, fmt: str, show_values: bool) -> str:
    buf = io.StringIO()
    if fmt == "json":
        write_json(result, buf, show_values=show_values)
    elif fmt == "csv":
        write_csv(result, buf, show_values=show_values)
    else:
        buf.write(render_html(result, show_values=show_values))
    return buf.getvalue()


@pytest.mark.parametrize("show_values", [False, True])
@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
@pytest.mark.parametrize("jobs", [1, 2])
def test_streamed_output_equals_in_memory_output(
    files: tuple[Path, Path], serial: ReconcileResult, fmt: str, show_values: bool, jobs: int
) -> None:
    """``reconcile_to`` writes, without holding the result, the text the in-memory writers write."""
    expected = _in_memory_text(serial, fmt, show_values)
    out = io.StringIO()
    summary, audit = reconcile_to(*files, out, output_format=fmt, show_values=show_values, jobs=jobs)
    assert summary == serial.summary and audit.values_shown is show_values
    got = out.getvalue()
    assert _CREATED.sub(r"\1X", got) == _CREATED.sub(r"\1X", expected)
    assert len(got) > 100_000 or fmt == "html"


def test_cli_output_equals_in_memory_output(files: tuple[Path, Path], serial: ReconcileResult,
                                            tmp_path: Path) -> None:
    """The command (temporary file moved into place; standard output copied) writes the same JSON and CSV."""
    for fmt in ("json", "csv"):
        dest = tmp_path / f"r.{fmt}"
        out, err = io.StringIO(), io.StringIO()
        assert reconcile_main([str(files[0]), str(files[1]), "-o", str(dest), "--output-format", fmt, "--jobs", "2"],
                              out, err) == 0
        assert out.getvalue() == err.getvalue() == ""  # nothing printed on success with -o
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left
        raw = dest.read_bytes()
        assert raw.startswith("\ufeff".encode()) is (fmt == "csv")  # BOM for the staff's spreadsheet
        written = raw.decode("utf-8-sig")
        expected = _in_memory_text(serial, fmt, False)
        assert _CREATED.sub(r"\1X", written) == _CREATED.sub(r"\1X", expected)
    stdout = io.StringIO()
    assert reconcile_main([str(files[0]), str(files[1])], stdout, io.StringIO()) == 0
    assert _CREATED.sub(r"\1X", stdout.getvalue()) == _CREATED.sub(r"\1X", _in_memory_text(serial, "json", False))


def test_cli_jobs_option(files: tuple[Path, Path], tmp_path: Path) -> None:
    """``--jobs 2`` writes the same (masked) JSON report as the default."""
    outs = []
    for extra in ([], ["--jobs", "2"]):
        dest = tmp_path / f"r{len(extra)}.json"
        assert reconcile_main([str(files[0]), str(files[1]), "-o", str(dest), *extra], io.StringIO(),
                              io.StringIO()) == 0
        data = json.loads(dest.read_text(encoding="utf-8"))
        data["audit"].pop("created")
        outs.append(data)
    assert outs[0] == outs[1]
    assert outs[0]["summary"]["matched"] > 0


def test_streamed_transfer_file_equals_in_memory_one(files: tuple[Path, Path], serial: ReconcileResult,
                                                     tmp_path: Path) -> None:
    """The transfer file written payee by payee has the bytes of ``write_transfer_file`` on the result."""
    cfg = {"requester_code": "1310300001", "requester_name": "ﾐﾅﾄｸ", "transfer_date": "2020-06-01",
           "bank_code": "0001", "branch_code": "001", "account_number": "1234567"}
    (tmp_path / "cfg.json").write_text(json.dumps(cfg), encoding="utf-8")
    for jobs in ("1", "2"):
        target = tmp_path / f"t{jobs}.txt"
        assert reconcile_main([str(files[0]), str(files[1]), "-o", str(tmp_path / "r.json"), "--transfer-file",
                               str(target), "--transfer-config", str(tmp_path / "cfg.json"), "--jobs", jobs],
                              io.StringIO(), io.StringIO()) == 0
        expected = zengin.write_transfer_file(serial.transfer_records(), zengin.TransferConfig.model_validate(cfg))
        assert target.read_bytes() == expected
        audit = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["audit"]
        assert audit["transfer_file"]["sha256"] == hashlib.sha256(expected).hexdigest()
        assert audit["transfer_file"]["transfers"] == serial.summary.transferable > 0


def test_cli_rejects_bad_jobs(files: tuple[Path, Path]) -> None:
    err = io.StringIO()
    assert reconcile_main([str(files[0]), str(files[1]), "--jobs", "0"], io.StringIO(), err) == 2
    assert "--jobs" in err.getvalue()


def test_worker_input_error_is_reported(files: tuple[Path, Path], tmp_path: Path) -> None:
    """An unreadable applications file is reported with several processes as with one: exit 2, same message."""
    bad = tmp_path / "apps.csv"
    bad.write_text("氏名,x\n山田 太郎,1\n", encoding="utf-8")
    msgs = []
    for extra in ([], ["--jobs", "2"]):
        err = io.StringIO()
        assert reconcile_main([str(bad), str(files[1]), *extra], io.StringIO(), err) == 2
        msgs.append(err.getvalue())
    assert msgs[0] == msgs[1] and "住所, 生年月日" in msgs[0]


def test_error_late_in_the_file_leaves_no_report(files: tuple[Path, Path], tmp_path: Path) -> None:
    """A row that cannot be decoded after thousands of good ones: exit 2 with the same message with one or
    several processes, and neither the report nor a temporary file is left behind."""
    data = files[0].read_bytes().split(b"\n")
    data[2500] = data[2500][:10] + b"\xff\xfe" + data[2500][10:]
    bad = tmp_path / "apps.csv"
    bad.write_bytes(b"\n".join(data))
    msgs = []
    for jobs in ("1", "2"):
        err = io.StringIO()
        dest = tmp_path / "out" / f"r{jobs}.json"
        dest.parent.mkdir(exist_ok=True)
        assert reconcile_main([str(bad), str(files[1]), "-o", str(dest), "--encoding", "utf-8", "--jobs", jobs],
                              io.StringIO(), err) == 2
        msgs.append(err.getvalue())
        assert list(dest.parent.iterdir()) == []
    assert msgs[0] == msgs[1] and "utf-8" in msgs[0]


def test_output_error_leaves_no_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    """A missing output folder is a usage error before any work; a folder as output too."""
    for target in (tmp_path / "missing" / "r.json", tmp_path):
        err = io.StringIO()
        assert reconcile_main([str(files[0]), str(files[1]), "-o", str(target)], io.StringIO(), err) == 2
        assert str(target) in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# --- the compact beneficiary store ------------------------------------------------------------------


def _store(rows: list[dict[str, str]]) -> BeneficiaryStore:
    store = BeneficiaryStore()
    for task in chunks(iter_rows(rows, BENEFICIARY_FIELDS, {}, "auto", "名簿"), [0]):
        store.add(encode_beneficiaries(task))
    store.finish()
    return store


def _index(rows: list[dict[str, str]]) -> BlockIndex:
    index = BlockIndex()
    for record, row, cmap in iter_rows(rows, BENEFICIARY_FIELDS, {}, "auto", "名簿"):
        index.add(make_household(record, cmap.get(row, "世帯主氏名"), cmap.get(row, "住所"),
                                 cmap.get(row, "生年月日"), cmap.members(row)))
    return index


def _list_rows(n: int, seed: int) -> list[dict[str, str]]:
    """A list with crowded blocks: few names, dates and towns, and one date+town shared by 250 households."""
    rnd = random.Random(seed)
    names = ["山田 太郎", "山田 花子", "佐藤 一郎", "渡邊 次郎", "渡辺 次郎", "高橋 三郎"]
    towns = ["東京都港区赤坂", "東京都港区六本木", "大阪府大阪市北区梅田"]
    rows = []
    for i in range(n):
        crowded = i < 250
        rows.append({
            "No": f"{i + 1:06d}",
            "世帯主氏名": f"住民 {i}" if crowded else rnd.choice(names),
            "住所": f"{towns[0] if crowded else rnd.choice(towns)}{rnd.randint(1, 3)}丁目{rnd.randint(1, 9)}番{i}号",
            "生年月日": "1950-01-01" if crowded else f"19{rnd.randint(40, 49)}-0{rnd.randint(1, 2)}-01",
            "世帯員": rnd.choice(["", "山田 花子"]),
        })
    return rows


def _same_candidates(store: BeneficiaryStore, index: BlockIndex, probes: list[dict[str, str]]) -> int:
    total = 0
    for i, p in enumerate(probes, 1):
        app = make_household(i, p["世帯主氏名"], p["住所"], p["生年月日"], [])
        got = sorted(c[0].record for c in store.candidates(app))
        assert got == sorted(h.record for h in index.candidates(app)), p
        total += len(got)
    return total


def test_store_candidates_equal_block_index() -> None:
    """Same candidates as the plain index, a block of more than MAX_BLOCK households skipped."""
    rows = _list_rows(900, 1)
    store, index = _store(rows), _index(rows)
    probes = _list_rows(300, 2) + rows[:20] + rows[260:280]
    assert _same_candidates(store, index, probes) > 300
    crowded = make_household(1, "住民 0", "東京都港区赤坂1丁目1番1号", "1950-01-01", [])
    # the date+town block of the 250 households is too large to use; the name still finds one
    assert MAX_BLOCK < 250
    assert len(index.candidates(crowded)) == 1 == len(store.candidates(crowded))


def test_store_candidates_with_colliding_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Even if every key had the same hash, the store would give exactly the index's candidates."""
    monkeypatch.setattr(engine_mod, "hash", lambda key: 12345, raising=False)
    rows = _list_rows(400, 3)
    store, index = _store(rows), _index(rows)
    assert _same_candidates(store, index, _list_rows(120, 4) + rows[:10] + rows[300:320]) > 100


# --- pieces written by hand, against the standard library ------------------------------------------


def test_json_text_equals_json_module() -> None:
    rnd = random.Random(5)
    alphabet = ['"', "\\", "\n", "\t", "\x00", "\x1f", "\u2028", "渡", "邊", "a", " ", "/"]

    def value(depth: int) -> Any:
        kind = rnd.randrange(8 if depth < 3 else 5)
        if kind == 0:
            return "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(6)))
        if kind == 1:
            return rnd.choice([0, -3, 10**12, 7])
        if kind == 2:
            return rnd.choice([0.1, 1.0, 0.988, 1e-7, 123456789.125, -0.0])
        if kind == 3:
            return rnd.choice([None, True, False])
        if kind == 4:
            return []
        if kind == 5:
            return [value(depth + 1) for _ in range(rnd.randrange(4))]
        if kind == 6:
            return {}
        return {"".join(rnd.choice(alphabet) for _ in range(3)): value(depth + 1) for _ in range(rnd.randrange(4))}

    for _ in range(2000):
        v = value(0)
        assert dumps_indent1(v) == json.dumps(v, ensure_ascii=False, indent=1)


def test_value_tag_is_hmac_sha256() -> None:
    for key in (b"", b"k", b"x" * 64, b"y" * 65, "鍵".encode() * 40):
        for value in ("", "渡邊 太郎", "1234567", "a" * 500, "\udc80"):
            expected = hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:8]
            assert value_tag(value, key) == expected
