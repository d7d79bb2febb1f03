"""The offline bundle for closed networks (``make dist``) and what Windows users meet: a CP932 console,
paths with spaces and Japanese names, long paths inside zips, CRLF where Windows tools need it.

The bundle test builds the Linux wheelhouse for the running Python (the network is needed for that,
as for ``make dist``), then installs it into a fresh virtual environment with pip's index disabled and
no pip configuration, and checks the bundled sample with the installed ``kikan-std``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "jutogai_atena_sample.csv"
BIN = Path(sys.executable).parent
PY = f"{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(ROOT / "packaging" / "build_dist.py"), "--out", str(out),
                    "--platforms", "linux", "--pythons", PY], check=True, capture_output=True, timeout=900)
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def offline_env(**extra: str) -> dict[str, str]:
    """No index, no pip configuration (no find-links or mirror of this machine): only the bundle."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "KIKAN_STD_"))}
    env.update(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, **extra)
    return env


@pytest.mark.network
def test_bundle_installs_with_the_index_disabled_and_checks_the_sample(bundle: Path, tmp_path: Path) -> None:
    wheels = sorted(p.name for p in (bundle / "wheels").glob("*.whl"))
    for dist in ("kikan_std-", "pydantic-", "pydantic_core-", "charset_normalizer-", "jinja2-", "markupsafe-",
                 "lxml-", "openpyxl-", "et_xmlfile-"):
        assert any(w.startswith(dist) for w in wheels), f"no {dist} wheel in the bundle"
    # The checksum list covers every file of the bundle, and matches.
    sums = dict(reversed(line.split("  ", 1)) for line in (bundle / "SHA256SUMS").read_text().splitlines())
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(sums) == files
    for name, digest in sums.items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest
    target = tmp_path / "監査 端末" / "kikan-std"  # a space and Japanese in the install path
    proc = subprocess.run(["sh", str(bundle / "install.sh"), str(target)], env=offline_env(PYTHON=sys.executable),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "インストールしました" in proc.stdout
    exe = target / "bin" / "kikan-std"
    check = subprocess.run([str(exe), "check", str(bundle / "examples" / "jutogai_atena_sample.csv"),
                            "--spec", "jutogai_atena", "--output-format", "json"],
                           env=offline_env(), capture_output=True, text=True, timeout=300)
    assert check.returncode == 1, check.stderr
    report = json.loads(check.stdout)
    assert report["valid"] is False and report["stats"]["findings_by_severity"]["error"] == 6
    helptext = subprocess.run([str(exe), "--help"], env=offline_env(), capture_output=True, text=True).stdout
    if " serve" in helptext:  # the web app, once it has landed
        assert subprocess.run([str(exe), "serve", "--help"], env=offline_env(), capture_output=True).returncode == 0


@pytest.mark.network
def test_bundle_refuses_a_damaged_copy_and_keeps_windows_files_windows(bundle: Path, tmp_path: Path) -> None:
    bat = (bundle / "install.bat").read_bytes()
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")  # cmd.exe wants CRLF
    assert b"--no-index --find-links" in bat and b"--require-hashes" in bat
    assert bat.isascii()  # cmd.exe reads .bat files in the console code page
    readme = (bundle / "README.txt").read_bytes()
    assert readme.startswith(b"\xef\xbb\xbf") and b"\n" not in readme.replace(b"\r\n", b"")
    archive = bundle.parent / f"{bundle.name}.zip"
    with zipfile.ZipFile(archive) as z:
        assert f"{bundle.name}/install.bat" in z.namelist() and f"{bundle.name}/SHA256SUMS" in z.namelist()
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    wheel = next((copy / "wheels").glob("openpyxl-*.whl"))
    wheel.write_bytes(wheel.read_bytes()[:-10])  # a truncated copy from a USB stick
    proc = subprocess.run(["sh", str(copy / "install.sh"), str(tmp_path / "venv")],
                          env=offline_env(PYTHON=sys.executable), capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and not (tmp_path / "venv" / "bin" / "kikan-std").exists()


def test_make_dist_targets_linux_and_windows_for_python_3_11_to_3_13() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "packaging/build_dist.py --out dist --platforms linux,windows --pythons 3.11,3.12,3.13" in makefile
    script = (ROOT / "packaging" / "build_dist.py").read_text(encoding="utf-8")
    assert '"--only-binary=:all:"' in script and '"win_amd64"' in script


# --- Windows-proofing that can be tested here -------------------------------------------------------------

def test_cp932_console_prints_japanese_without_crashing(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONIOENCODING="cp932")
    for argv, code in (([str(SAMPLE), "--spec", "jutogai_atena"], 1),
                       ([str(SAMPLE), "--spec", "jutogai_atena", "--lang", "en"], 1),
                       ([str(tmp_path / "ない.csv"), "--spec", "jutogai_atena"], 2)):
        proc = subprocess.run([str(BIN / "kikan-std"), "check", *argv], env=env, capture_output=True)
        assert proc.returncode == code, proc.stderr.decode("cp932", "replace")
        out, err = proc.stdout.decode("cp932"), proc.stderr.decode("cp932")
        assert "internal error" not in err
        if code == 1:
            assert "KEY001" in out and ("不適合" in out or "NOT CONFORMANT" in out)
        else:
            assert "ファイルが見つかりません" in err and "ない.csv" in err


def test_paths_with_spaces_and_japanese_names(tmp_path: Path) -> None:
    folder = tmp_path / "住民 データ" / "令和6年度 出力"
    folder.mkdir(parents=True)
    data = folder / "住登外 宛名一覧.csv"
    shutil.copy(SAMPLE, data)
    prefix = tmp_path / "出力 先" / "検査 結果"
    code, _, err = run_cli("check", str(data), "--spec", "jutogai_atena", "--no-progress",
                           "--output-format", "text,json,sarif,junit,html,csv", "-o", str(prefix))
    assert code == 1, err
    report = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))
    assert report["inputs"][0]["file"].endswith("住登外 宛名一覧.csv")
    assert {f["file"] for f in report["findings"]} == {report["inputs"][0]["file"]}
    sarif = json.loads(Path(f"{prefix}.sarif").read_text(encoding="utf-8"))
    uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert " " not in uri and uri.endswith("%E4%BD%8F%E7%99%BB%E5%A4%96%20%E5%AE%9B%E5%90%8D%E4%B8%80%E8%A6%A7.csv")
    # The findings CSV is RFC 4180: CRLF line ends, written as rendered (never CR CR LF).
    raw = Path(f"{prefix}.csv").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 1 and b"\r\r" not in raw


def test_deliverable_zip_with_japanese_names_and_long_paths(tmp_path: Path) -> None:
    src = tmp_path / "src"
    code, _, err = run_cli("generate", "--spec", "deliverable", "--rows", "40", "--seed", "3", "-o", str(src))
    assert code == 0, err
    # Windows' 260-character MAX_PATH: members nested deeper than that, under Japanese folder names.
    deep = "/".join(["令和6年度 基幹業務システム 標準準拠 移行データ 納品物 第1回"] * 8)
    assert len(deep) > 260
    archive = tmp_path / "納品物 一式（第1回）.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(src.iterdir()):
            z.write(p, f"{deep}/{p.name}")
    code, out, err = run_cli("check", str(archive), "--no-progress", "--output-format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["valid"] is True and len(report["inputs"]) >= 8
    assert all(i["file"].startswith(deep + "/") for i in report["inputs"])


def test_deliverable_zip_made_by_japanese_windows_explorer(tmp_path: Path) -> None:
    """Explorer stores member names in CP932 without the UTF-8 flag; 表 and ソ end in the byte 0x5C."""
    src = tmp_path / "src"
    assert run_cli("generate", "--spec", "deliverable", "--rows", "30", "--seed", "5", "-o", str(src))[0] == 0
    folder = "移行データ表 ソート済"
    encoded = folder.encode("cp932")
    assert b"\\" in encoded
    placeholder = "Q" * len(encoded)
    archive = tmp_path / "納品物.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(src.iterdir()):
            z.write(p, f"{placeholder}/{p.name}")  # ASCII: no UTF-8 flag, as Explorer writes
    archive.write_bytes(archive.read_bytes().replace(placeholder.encode(), encoded))
    code, out, err = run_cli("check", str(archive), "--no-progress", "--output-format", "json")
    assert code == 0, out + err
    report = json.loads(out)
    assert report["valid"] is True
    assert {i["file"].split("/")[0] for i in report["inputs"]} == {folder}
