"""Build the offline bundle (``make dist``): the kikan-std wheel, a wheelhouse of every runtime dependency
for each target platform and Python, install scripts, a hashed requirements file and a checksum list.

The bundle is for machines without PyPI (closed municipal networks): copy the zip across, unpack, run
``install.sh`` or ``install.bat`` (docs/offline.md). Dependency versions follow ``requirements/dev.lock``
(the versions our tests ran with); every wheel is a binary wheel (``--only-binary=:all:``), so nothing
is compiled on the target machine. Needs the network (PyPI) and the project's dev environment.

Usage: ``python packaging/build_dist.py [--out dist] [--platforms linux,windows] [--pythons 3.11,3.12,3.13]``
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORMS = {
    # Earlier tags are preferred: manylinux_2_17 (glibc 2.17+) where a project still publishes it.
    "linux": ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64"],
    "windows": ["win_amd64"],
}
PYTHONS = ["3.11", "3.12", "3.13"]
CRLF_FILES = ("install.bat", "README.txt")


def version() -> str:
    text = (ROOT / "kikan_std" / "_version.py").read_text(encoding="utf-8")
    m = re.search(r'__version__\s*=\s*"([^"]+)"', text)
    assert m, "kikan_std/_version.py has no __version__"
    return m.group(1)


def run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def build_wheel(dest: Path, tmp: Path) -> Path:
    """The kikan-std wheel, built from a clean copy of the sources (no build/ left in the checkout)."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "NOTICE"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "kikan_std", src / "kikan_std", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dest), str(src)])
    wheels = sorted(dest.glob("kikan_std-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def constraints(tmp: Path) -> Path:
    """``requirements/dev.lock`` without hashes: pins the dependency versions to the tested ones."""
    out: list[str] = []
    for line in (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].rstrip().rstrip("\\").strip()
        if line and not line.startswith("--"):
            out.append(line)
    path = tmp / "constraints.txt"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def download(wheel: Path, wheels: Path, cons: Path, platform: str, python: str) -> None:
    abi = "cp" + python.replace(".", "")
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "--implementation", "cp",
           "--python-version", python, "--abi", abi, "-d", str(wheels), "-c", str(cons)]
    for tag in PLATFORMS[platform]:
        cmd += ["--platform", tag]
    run([*cmd, str(wheel)])


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def requirements(wheels: Path) -> str:
    """``name==version --hash=…`` for every distribution in the wheelhouse (all platforms' hashes)."""
    hashes: dict[tuple[str, str], list[str]] = {}
    for w in sorted(wheels.glob("*.whl")):
        name, ver = w.name.split("-")[:2]
        hashes.setdefault((name.lower().replace("_", "-"), ver), []).append(sha256(w))
    names = [n for n, _ in hashes]
    dup = sorted({n for n in names if names.count(n) > 1})
    assert not dup, f"two versions of {dup} in the wheelhouse"
    lines = ["# pip install --no-index --find-links wheels --require-hashes -r requirements.txt"]
    for (name, ver), hs in sorted(hashes.items()):
        lines.append(f"{name}=={ver} " + " ".join(f"--hash=sha256:{h}" for h in hs))
    return "\n".join(lines) + "\n"


def build(out: Path, platforms: list[str], pythons: list[str]) -> Path:
    """Build ``out/kikan-std-<version>-offline/`` and its zip; return the bundle folder."""
    name = f"kikan-std-{version()}-offline"
    bundle = out / name
    if bundle.exists():
        shutil.rmtree(bundle)
    wheels = bundle / "wheels"
    wheels.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        wheel = build_wheel(wheels, tmp)
        cons = constraints(tmp)
        for platform in platforms:
            for python in pythons:
                download(wheel, wheels, cons, platform, python)
    (bundle / "requirements.txt").write_text(requirements(wheels), encoding="utf-8")
    for f in ("install.sh", "install.bat", "README.txt"):
        text = (ROOT / "packaging" / f).read_text(encoding="utf-8")
        data = text.replace("\r\n", "\n").replace("@VERSION@", version())
        if f in CRLF_FILES:  # cmd.exe and Notepad users: Windows line endings
            data = data.replace("\n", "\r\n")
        (bundle / f).write_bytes(data.encode("utf-8-sig" if f == "README.txt" else "utf-8"))
    (bundle / "install.sh").chmod(0o755)
    (bundle / "examples").mkdir()
    shutil.copy2(ROOT / "examples" / "jutogai_atena_sample.csv", bundle / "examples")
    shutil.copy2(ROOT / "NOTICE", bundle / "NOTICE")
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    sums = "".join(f"{sha256(p)}  {p.relative_to(bundle).as_posix()}\n" for p in files)
    (bundle / "SHA256SUMS").write_text(sums, encoding="utf-8")
    archive = out / f"{name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for p in sorted(bundle.rglob("*")):
            if p.is_file():
                info = zipfile.ZipInfo.from_file(p, f"{name}/{p.relative_to(bundle).as_posix()}")
                with p.open("rb") as f:
                    z.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    print(f"== {bundle} ({len(list(wheels.glob('*.whl')))} wheels, {size / 1e6:.1f} MB); {archive} "
          f"({archive.stat().st_size / 1e6:.1f} MB)")
    return bundle


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Build the kikan-std offline bundle.")
    p.add_argument("--out", default=str(ROOT / "dist"))
    p.add_argument("--platforms", default="linux,windows", help="comma-separated: linux, windows")
    p.add_argument("--pythons", default=",".join(PYTHONS), help="comma-separated, e.g. 3.11,3.12,3.13")
    a = p.parse_args(argv)
    platforms = [x for x in a.platforms.split(",") if x]
    unknown = [x for x in platforms if x not in PLATFORMS]
    if unknown:
        p.error(f"unknown platform {unknown} (choose from {', '.join(PLATFORMS)})")
    build(Path(a.out), platforms, [x for x in a.pythons.split(",") if x])
    return 0


if __name__ == "__main__":
    sys.exit(main())
