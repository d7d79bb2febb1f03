"""Whole-deliverable checks: cross-file rules, manifest and naming, per-business results, hardened zips."""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest

from kikan_std.deliverable import Limits, assign_by_name, check_deliverable
from kikan_std.errors import InputError, UnsafeArchiveError
from kikan_std.testing.generators.deliverable import write_deliverable
from tests.conftest import error_kind, run_cli

ALL_FILES = 12  # 住民記録 + 11 tax/welfare files written by the generator


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("clean") / "deliv"
    write_deliverable(d, 400, 5)
    return d


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("defective") / "deliv"
    write_deliverable(d, 400, 5, defects=True)
    return d


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _zip(src: Path, dst: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.iterdir()):
            zf.write(p, prefix + p.name)
    return dst


@pytest.fixture(autouse=True)
def _private_tempdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A temporary folder of this test's own: other runs on the machine (another test session, a CI job)
    make kikan-deliverable-* folders in the shared one, which the leftover checks below would count."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("tempdir")))


def _temp_areas() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("kikan-deliverable-*")}


def test_generated_deliverable_is_valid_with_every_business(clean: Path) -> None:
    report = check_deliverable(clean)
    assert report.valid and report.stats.findings_by_severity["error"] == 0, report.stats.findings_by_code
    assert report.stats.total_findings == 0
    assert len(report.inputs) == ALL_FILES and all(i.spec for i in report.inputs)
    assert [b.spec.id for b in report.businesses or []] == [
        "jumin_kiroku", "kojin_juminzei", "kotei_shisanzei", "kei_jidoshazei", "jido_teate", "kaigo_hoken",
        "kokumin_kenko_hoken"]
    manifest = json.loads((clean / "kikan-manifest.json").read_text(encoding="utf-8"))
    expected = {f["path"]: f["records"] for f in manifest["files"]}
    got = {f.file: f.records for b in report.businesses or [] for f in b.files}
    assert got == expected  # per-file record counts agree with the manifest (no DLV006)


def test_must_show_orphan_birth_mismatch_and_corrupt_file(defective: Path) -> None:
    report = check_deliverable(defective, max_findings=None)
    assert not report.valid
    by_code = {f.code: f for f in report.findings}
    assert set(report.stats.findings_by_code) == {"DLV001", "DLV002", "CSV009"}, report.stats.findings_by_code

    orphan = by_code["DLV001"]
    assert (orphan.file, orphan.record, orphan.item) == ("kojin_juminzei__kazeidaicho.csv", 1, "宛名番号")
    assert orphan.keys == {"宛名番号": "999999999999999"}
    assert orphan.params["registry"] == "jumin_kiroku__jumin.csv"

    mismatch = by_code["DLV002"]
    assert (mismatch.file, mismatch.record, mismatch.item) == ("jido_teate__taishojido.csv", 1, "児童生年月日")
    assert mismatch.params["other_file"] == "jumin_kiroku__jumin.csv"
    atena = mismatch.keys["児童宛名番号"]
    assert mismatch.params["atena"] == atena and mismatch.related[0]["record"] == mismatch.params["other_record"]
    assert mismatch.value_masked  # 生年月日 is personal

    corrupt = by_code["CSV009"]
    assert corrupt.file == "kei_jidoshazei__nozeigimusha.csv"
    # Every other file was still validated, and the results name each business.
    assert len(report.inputs) == ALL_FILES
    files = {f.file: f for b in report.businesses or [] for f in b.files}
    invalid = {name for name, f in files.items() if not f.valid}
    assert invalid == {"kojin_juminzei__kazeidaicho.csv", "jido_teate__taishojido.csv",
                       "kei_jidoshazei__nozeigimusha.csv"}
    assert files["kaigo_hoken__hihokensha.csv"].records > 0


def test_must_show_in_a_zip_with_a_corrupt_entry(defective: Path, tmp_path: Path) -> None:
    archive = _zip(defective, tmp_path / "deliv.zip", prefix="deliv/")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("deliv/kaigo_hoken__hihokensha.csv")
    # Flip a byte inside the entry's compressed data: its CRC (or inflate) fails.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    before = _temp_areas()
    report = check_deliverable(archive, max_findings=None)
    assert _temp_areas() == before  # the temporary area is gone
    codes = report.stats.findings_by_code
    assert codes.get("DLV005") == 1 and codes.get("DLV001") == 1 and codes.get("DLV002") == 1
    (bad,) = [f for f in report.findings if f.code == "DLV005"]
    assert bad.file == "deliv/kaigo_hoken__hihokensha.csv"
    assert len(report.inputs) == ALL_FILES - 1  # every other file validated (manifest found one level down)
    assert {i.file for i in report.inputs} >= {"deliv/jumin_kiroku__jumin.csv", "deliv/kotei_shisanzei__tochi.csv"}


def _evil_zip(path: Path, name: str, data: bytes = b"x", mode: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("jumin_kiroku__jumin.csv", "宛名番号\r\n")
        info = zipfile.ZipInfo(name)
        if mode is not None:
            info.external_attr = mode << 16
        zf.writestr(info, data)
    return path


@pytest.mark.parametrize("name,mode", [("../evil.csv", None), ("../../tmp/evil.csv", None), ("/etc/evil.csv", None),
                                       ("a/../../evil.csv", None), ("link.csv", stat.S_IFLNK | 0o777)])
def test_zip_with_unsafe_entry_is_refused_and_nothing_written(tmp_path: Path, name: str, mode: int | None) -> None:
    work = tmp_path / "work"
    work.mkdir()
    archive = _evil_zip(work / "evil.zip", name, b"/etc/passwd" if mode else b"x", mode)
    before_tmp = _temp_areas()
    listing = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(UnsafeArchiveError):
        check_deliverable(archive)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == listing
    assert not list(Path(tempfile.gettempdir()).glob("evil.csv"))
    assert _temp_areas() == before_tmp
    code, out, err = run_cli("check", str(archive))
    assert code == 2 and out == "" and error_kind(err) == "unsafe_archive" and err.count("\n") == 1


def test_zip_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("jumin_kiroku__jumin.csv", b"0" * (64 * 1024 * 1024))  # compresses ~1000:1
    assert bomb.stat().st_size < 200_000
    before = _temp_areas()
    with pytest.raises(UnsafeArchiveError, match="compression ratio"):
        check_deliverable(bomb)
    assert _temp_areas() == before
    code, _, err = run_cli("check", str(bomb))
    assert code == 2 and error_kind(err) == "unsafe_archive"


def test_total_and_entry_count_limits(clean: Path, tmp_path: Path) -> None:
    archive = _zip(clean, tmp_path / "d.zip")
    with pytest.raises(UnsafeArchiveError, match="expands beyond"):
        check_deliverable(archive, limits=Limits(max_total_bytes=10_000))
    with pytest.raises(UnsafeArchiveError, match="too many entries"):
        check_deliverable(archive, limits=Limits(max_entries=3))
    assert check_deliverable(archive).valid  # the same archive within the default limits


def test_corrupt_archive_is_a_finding(tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(b"PK\x03\x04 this is not really a zip")
    report = check_deliverable(bad)
    assert not report.valid and [(f.code, f.file) for f in report.findings] == [("DLV005", "broken.zip")]


def test_sex_mismatch_names_both_files(clean: Path, tmp_path: Path) -> None:
    d = _copy(clean, tmp_path / "d")
    p = d / "kaigo_hoken__hihokensha.csv"
    lines = p.read_bytes().decode("utf-8").split("\r\n")
    header = lines[0].split(",")
    row = lines[1].split(",")
    i = header.index("性別")
    row[i] = "1" if row[i] == "2" else "2"
    lines[1] = ",".join(row)
    p.write_bytes("\r\n".join(lines).encode("utf-8"))
    report = check_deliverable(d)
    (f,) = [f for f in report.findings if f.code == "DLV003"]
    assert (f.file, f.record, f.item) == ("kaigo_hoken__hihokensha.csv", 1, "性別")
    assert f.params["other_file"] == "jumin_kiroku__jumin.csv" and f.keys["宛名番号"] == row[header.index("宛名番号")]


def test_manifest_counts_missing_unassigned_and_ignored_files(clean: Path, tmp_path: Path) -> None:
    d = _copy(clean, tmp_path / "d")
    m = json.loads((d / "kikan-manifest.json").read_text(encoding="utf-8"))
    m["files"][1]["records"] += 1
    m["files"].append({"path": "kokuho/*.csv", "spec": "kokumin_kenko_hoken"})
    (d / "kikan-manifest.json").write_text(json.dumps(m), encoding="utf-8")
    (d / "税データ.csv").write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    (d / "README.txt").write_text("説明", encoding="utf-8")
    report = check_deliverable(d)
    got = {(f.code, f.file) for f in report.findings}
    assert got == {("DLV006", m["files"][1]["path"]), ("DLV007", ""), ("DLV004", "税データ.csv"),
                   ("DLV008", "README.txt")}
    assert not report.valid


def test_manifest_assigns_spec_group_and_encoding(clean: Path, tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "jumin").mkdir()
    (d / "jumin" / "export.csv").write_bytes(
        (clean / "jumin_kiroku__jumin.csv").read_text(encoding="utf-8").encode("cp932", "replace"))
    shutil.copy(clean / "kaigo_hoken__hihokensha.csv", d / "介護.csv")
    (d / "kikan-manifest.toml").write_text(
        'kikan_manifest = 1\n[[files]]\npath = "jumin/*.csv"\nspec = "jumin_kiroku"\nencoding = "cp932"\n'
        '[[files]]\npath = "介護.csv"\nspec = "kaigo_hoken"\ngroup = "hihokensha"\n', encoding="utf-8")
    report = check_deliverable(d)
    assert {(i.file, i.spec, i.group, i.encoding) for i in report.inputs} == {
        ("jumin/export.csv", "jumin_kiroku", "住民", "cp932"), ("介護.csv", "kaigo_hoken", "被保険者", "utf-8")}
    assert report.valid, report.stats.findings_by_code


def test_bad_manifest_is_an_input_error(clean: Path, tmp_path: Path) -> None:
    d = _copy(clean, tmp_path / "d")
    (d / "kikan-manifest.json").write_text('{"kikan_manifest": 1, "files": [{"path": "*", "spec": "nope"}]}',
                                           encoding="utf-8")
    with pytest.raises(InputError, match="unknown spec"):
        check_deliverable(d)
    code, _, err = run_cli("check", str(d))
    assert code == 2 and "nope" in err and error_kind(err) == "bad_manifest"


def test_without_registry_the_cross_file_rule_is_reported_not_run(clean: Path, tmp_path: Path) -> None:
    d = _copy(clean, tmp_path / "d")
    (d / "jumin_kiroku__jumin.csv").unlink()
    (d / "kikan-manifest.json").unlink()
    report = check_deliverable(d)
    assert not report.valid
    assert [n.rule for n in report.rules_not_run] == ["deliverable_cross_file"]
    assert report.stats.findings_by_code == {"SYS002": 1}


def test_naming_convention() -> None:
    assert assign_by_name("x/kotei_shisanzei__tochi.csv") == ("kotei_shisanzei", "土地")
    assert assign_by_name("kotei_shisanzei__納税義務者.csv") == ("kotei_shisanzei", "納税義務者")
    assert assign_by_name("kaigo_hoken.csv") == ("kaigo_hoken", "被保険者")
    assert assign_by_name("kotei_shisanzei.csv") is None  # several groups: the group must be named
    assert assign_by_name("unknown__x.csv") is None


def test_cli_deliverable_and_usage(clean: Path, tmp_path: Path) -> None:
    code, out, err = run_cli("check", str(clean), "--no-progress", "--output-format", "json")
    assert (code, err) == (0, "")
    doc = json.loads(out)
    assert doc["spec"]["id"] == "deliverable" and len(doc["businesses"]) == 7
    code, _, err = run_cli("check", str(clean / "kaigo_hoken__hihokensha.csv"))
    assert code == 2 and "--spec" in err
    code, out, _ = run_cli("generate", "--spec", "deliverable", "--rows", "50", "-o", str(tmp_path / "g"))
    assert code == 0 and (tmp_path / "g" / "kikan-manifest.json").exists()
    code, _, err = run_cli("generate", "--spec", "deliverable", "--rows", "50", "-o", str(tmp_path / "g"))
    assert code == 2 and error_kind(err) == "output_exists"


def test_zip_needing_an_unknown_version_is_a_corrupt_archive_finding(tmp_path: Path) -> None:
    import io
    import zipfile

    from kikan_std.deliverable import check_deliverable

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("jutogai_atena.csv", "宛名番号\n1\n")
    raw = bytearray(buf.getvalue())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 6] = 77  # "version needed to extract" 7.7: zipfile raises NotImplementedError
    p = tmp_path / "odd.zip"
    p.write_bytes(bytes(raw))
    report = check_deliverable(p)
    assert not report.valid
    assert "DLV005" in report.stats.findings_by_code


def test_jobs_give_the_same_deliverable_report(tmp_path: Path) -> None:
    from kikan_std.deliverable import check_deliverable
    from kikan_std.testing.generators.deliverable import write_deliverable

    out = tmp_path / "d"
    write_deliverable(out, 300, 4, defects=True)
    one = check_deliverable(out, max_findings=None).model_dump()
    two = check_deliverable(out, max_findings=None, jobs=2).model_dump()
    one.pop("generated_at"), two.pop("generated_at")
    assert one["stats"]["findings_by_code"].get("DLV001")  # cross-file findings present in both runs
    assert one == two
