"""Real deliverables: zips written by Japanese Windows, Japanese folder and file names, draft manifests."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest

from kikan_std.deliverable import check_deliverable, recognise, write_draft_manifest
from kikan_std.testing.generators.deliverable import write_deliverable
from tests.conftest import run_cli

JAPANESE_NAMES = {
    "jumin_kiroku__jumin.csv": "01_住民記録/住民.csv",
    "kojin_juminzei__kazeidaicho.csv": "02_個人住民税/課税台帳.csv",
    "kotei_shisanzei__tochi.csv": "03_固定資産税/土地.csv",
    "kotei_shisanzei__kaoku.csv": "03_固定資産税/家屋.csv",
    "kotei_shisanzei__nozeigimusha.csv": "03_固定資産税/納税義務者.csv",
    "kei_jidoshazei__sharyo.csv": "04_軽自動車税/車両.csv",
    "kei_jidoshazei__nozeigimusha.csv": "04_軽自動車税/納税義務者.csv",
    "jido_teate__jukyusha.csv": "05_児童手当/受給者.csv",
    "jido_teate__taishojido.csv": "05_児童手当/対象児童.csv",
    "kaigo_hoken__hihokensha.csv": "06_介護保険/被保険者.csv",
    "kokumin_kenko_hoken__setai.csv": "07_国保/世帯.csv",  # the common abbreviation of 国民健康保険
    "kokumin_kenko_hoken__hihokensha.csv": "07_国保/被保険者.csv",
}


class _Cp932Name(zipfile.ZipInfo):
    """A member whose name is stored in CP932 without the UTF-8 flag (bit 11), as Japanese Windows
    Explorer's "送る → 圧縮 (zip 形式) フォルダー" and Info-ZIP on a CP932 system write it. zipfile would
    otherwise store any non-ASCII name as UTF-8 and set the flag."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("cp932"), self.flag_bits & ~0x800


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("src") / "deliv"
    write_deliverable(d, 200, 7)
    (d / "kikan-manifest.json").unlink()  # no manifest: everything from the names
    return d


def explorer_zip(src: Path, dst: Path, top: str = "移行データ_2024/") -> Path:
    """Zip ``src`` renamed to Japanese folders and files, names in CP932 without the UTF-8 flag, with
    folder entries, as Windows Explorer writes a folder sent to a compressed folder."""
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        folders = sorted({top + n.split("/")[0] + "/" for n in JAPANESE_NAMES.values()})
        for folder in [top, *folders]:
            zf.writestr(_Cp932Name(folder), b"")
        for generated, japanese in JAPANESE_NAMES.items():
            info = _Cp932Name(top + japanese)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, (src / generated).read_bytes())
    return dst


def test_explorer_zip_with_cp932_names_and_japanese_folders_is_fully_checked(source: Path, tmp_path: Path) -> None:
    archive = explorer_zip(source, tmp_path / "納品.zip")
    with zipfile.ZipFile(archive) as zf:  # really written the Windows way: no UTF-8 flag, CP932 bytes
        assert all(not i.flag_bits & 0x800 for i in zf.infolist())
        assert "01_住民記録/住民.csv" not in "".join(zf.namelist())  # zipfile alone reads mojibake
    report = check_deliverable(archive)
    assert report.stats.total_findings == 0, report.stats.findings_by_code
    assert report.valid
    checked = {i.file: (i.spec, i.group) for i in report.inputs}
    assert len(checked) == len(JAPANESE_NAMES)
    assert checked["移行データ_2024/01_住民記録/住民.csv"] == ("jumin_kiroku", "住民")
    assert checked["移行データ_2024/07_国保/世帯.csv"] == ("kokumin_kenko_hoken", "世帯")
    assert checked["移行データ_2024/03_固定資産税/納税義務者.csv"] == ("kotei_shisanzei", "納税義務者")
    assert report.archive is not None and report.archive.name_encodings == {"cp932": len(JAPANESE_NAMES)}
    # The report says how the names were read, in every human format.
    code, out, _ = run_cli("check", str(archive))
    assert code == 0 and "CP932" in out


class _RawName(zipfile.ZipInfo):
    """A member name stored as the given bytes, without the UTF-8 flag."""

    raw = b""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.raw, self.flag_bits & ~0x800


def test_utf8_flag_cp932_and_cp437_names(tmp_path: Path) -> None:
    p = tmp_path / "a.zip"
    odd = _RawName("x")
    odd.raw = b"\x81 \xfd.txt"  # not valid CP932: the CP437 reading is kept
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("01_住民記録/メモ.txt", b"x")  # zipfile sets the UTF-8 flag for a non-ASCII name
        zf.writestr(_Cp932Name("表ソ.txt"), b"x")  # 表 and ソ end in the byte of a backslash in CP932
        zf.writestr(odd, b"x")
        zf.writestr("readme.txt", b"x")
    report = check_deliverable(p)
    assert report.archive is not None
    assert report.archive.name_encodings == {"ascii": 1, "cp437": 1, "cp932": 1, "utf-8": 1}
    assert {f.file for f in report.findings} == {"01_住民記録/メモ.txt", "表ソ.txt", "\u00fc \u00b2.txt", "readme.txt"}


def test_unplaced_file_shows_a_ready_to_edit_manifest_line(source: Path, tmp_path: Path) -> None:
    d = tmp_path / "d"
    d.mkdir()
    (d / "税データ.csv").write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    (d / "固定資産税").mkdir()
    (d / "固定資産税" / "その他.csv").write_text("a,b\r\n1,2\r\n", encoding="utf-8")
    report = check_deliverable(d)
    msgs = {f.file: f.message for f in report.findings if f.code == "DLV004"}
    assert '{"path": "税データ.csv", "spec": "<spec_id>", "group": "<グループ名>"}' in msgs["税データ.csv"]
    # The business is known from the folder; only the group is left to fill in.
    assert '"spec": "kotei_shisanzei", "group": "<グループ名>"' in msgs["固定資産税/その他.csv"]
    assert not report.valid


@pytest.mark.parametrize(("path", "expected"), [
    ("01_住民記録/住民.csv", ("jumin_kiroku", "住民")),
    ("個人住民税/課税台帳.csv", ("kojin_juminzei", "課税台帳")),
    ("固資/家屋.csv", ("kotei_shisanzei", "家屋")),
    ("軽自動車税_車両.csv", ("kei_jidoshazei", "車両")),
    ("住登外者宛名基本情報.csv", ("jutogai_atena", "住登外者宛名基本情報")),
    ("介護保険/被保険者.csv", ("kaigo_hoken", "被保険者")),
    ("kotei_shisanzei__tochi.csv", ("kotei_shisanzei", "土地")),
    ("被保険者.csv", (None, None)),  # 介護保険 or 国民健康保険: not guessed
    ("税データ.csv", (None, None)),
])
def test_recognise_japanese_names(path: str, expected: tuple[str | None, str | None]) -> None:
    assert recognise(path)[:2] == expected


def test_draft_manifest_places_files_and_counts_records(source: Path, tmp_path: Path) -> None:
    archive = explorer_zip(source, tmp_path / "納品.zip")
    text, placed, unplaced = write_draft_manifest(archive)
    assert (placed, unplaced) == (len(JAPANESE_NAMES), 0)
    doc = tomllib.loads(text)
    by_path = {f["path"]: f for f in doc["files"]}
    jumin = by_path["移行データ_2024/01_住民記録/住民.csv"]
    assert jumin["spec"] == "jumin_kiroku" and jumin["records"] == 200
    # The CLI writes the same draft; with it placed in the folder the record counts are checked (DLV006).
    folder = tmp_path / "folder"
    folder.mkdir()
    for generated, japanese in JAPANESE_NAMES.items():
        (folder / japanese).parent.mkdir(exist_ok=True)
        (folder / japanese).write_bytes((source / generated).read_bytes())
    code, _, err = run_cli("manifest", str(folder), "-o", str(folder / "kikan-manifest.toml"))
    assert code == 0, err
    assert "12 ファイルを割り当て" in err
    assert check_deliverable(folder).valid
    f = folder / "01_住民記録" / "住民.csv"
    f.write_bytes(f.read_bytes() + f.read_bytes().splitlines(keepends=True)[-1])  # one record more
    report = check_deliverable(folder)
    dlv006 = [x for x in report.findings if x.code == "DLV006"]
    assert [(x.file, x.params) for x in dlv006] == [("01_住民記録/住民.csv", {"records": 201, "expected": 200})]


def test_duplicate_member_blames_only_the_duplicate(source: Path, tmp_path: Path) -> None:
    p = tmp_path / "dup.zip"
    good = (source / "jumin_kiroku__jumin.csv").read_bytes()
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("jumin_kiroku__jumin.csv", good)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("jumin_kiroku__jumin.csv", good.replace(b"\r\n", b"\r\n,,\r\n", 1))
    report = check_deliverable(p)
    verdicts = {f.file: f.valid for f in report.files}
    assert verdicts == {"jumin_kiroku__jumin.csv": True, "jumin_kiroku__jumin.csv#2": False}
    assert ("DLV013", "jumin_kiroku__jumin.csv#2") in {(f.code, f.file) for f in report.findings}
    assert all(f.file != "jumin_kiroku__jumin.csv" for f in report.findings)
