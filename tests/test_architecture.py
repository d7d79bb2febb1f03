"""The package's shape, checked: imports point one way (a layers contract) and the facade exports exactly its
public names (as httpx tests its own ``__all__``). docs/architecture.md draws the same layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kikan_std"

# Top to bottom. A module may import its own component and anything in a lower layer; components of one
# layer are independent of each other. Imports under ``if TYPE_CHECKING:`` are not imports at run time and
# do not count; imports inside functions do (they only hide the layering).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("kikan_std.__main__",),
    ("kikan_std.cli",),
    ("kikan_std.web",),
    ("kikan_std.testing",),
    ("kikan_std.api",),
    ("kikan_std.dask",),
    ("kikan_std.deliverable", "kikan_std.migration", "kikan_std.reconcile"),
    ("kikan_std.engine", "kikan_std.writers"),
    ("kikan_std.report",),
    ("kikan_std.specs",),
    ("kikan_std.readers",),
    ("kikan_std.options",),
    ("kikan_std.model",),
    ("kikan_std.jp",),
    ("kikan_std.findings",),
    ("kikan_std.catalogue",),
    ("kikan_std.errors", "kikan_std._version"),
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _component(module: str) -> tuple[int, str] | None:
    """(layer index, component) of a module; None for the facade ``kikan_std`` itself."""
    for i, layer in enumerate(LAYERS):
        for comp in layer:
            if module == comp or module.startswith(comp + "."):
                return i, comp
    return None


def _runtime_imports(tree: ast.Module, module: str) -> list[tuple[int, str]]:
    """(line, imported module) of every import that runs, resolving relative imports."""
    type_checking: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names if a.name.startswith("kikan_std"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: -node.level] if not (PACKAGE / "__init__.py").exists() else module.split(".")
                base = ".".join(pkg[: len(pkg) - node.level + 1]) + ("." + base if base else "")
            if not base.startswith("kikan_std"):
                continue
            for a in node.names:  # `from kikan_std.x import y` may name the submodule y
                sub = f"{base}.{a.name}"
                is_module = (PACKAGE.parent / Path(*sub.split("."))).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*sub.split(".")) / "__init__.py").exists()
                out.append((node.lineno, sub if is_module else base))
    return out


def layer_violations(root: Path = PACKAGE) -> list[str]:
    """Every run-time import that points up the layers or across components of one layer."""
    bad: list[str] = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(path)
        mine = _component(module)
        if mine is None:
            continue  # the facade re-exports from everywhere below it
        for line, target in _runtime_imports(ast.parse(path.read_text(encoding="utf-8")), module):
            theirs = _component(target)
            if theirs is None:
                bad.append(f"{module}:{line} imports the facade {target}")
            elif theirs[0] < mine[0] or (theirs[0] == mine[0] and theirs[1] != mine[1]):
                bad.append(f"{module}:{line} imports {target} (layer {theirs[1]} is not below {mine[1]})")
    return bad


def test_imports_point_one_way() -> None:
    assert layer_violations() == []


def test_the_layers_contract_catches_an_upward_import(tmp_path: Path) -> None:
    # The check itself must be able to fail: a reader that imports the engine is refused.
    fake = tmp_path / "kikan_std"
    (fake / "readers").mkdir(parents=True)
    (fake / "engine").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "engine" / "__init__.py").write_text("")
    (fake / "readers" / "__init__.py").write_text("from kikan_std.engine import run\n")
    (fake / "engine" / "run.py").write_text("from kikan_std.readers import x\n")
    global PACKAGE
    saved, PACKAGE = PACKAGE, fake
    try:
        assert layer_violations(fake) == [
            "kikan_std.readers:1 imports kikan_std.engine.run (layer kikan_std.engine is not below kikan_std.readers)"]
    finally:
        PACKAGE = saved


def test_every_module_is_in_a_layer() -> None:
    stray = [_module_name(p) for p in PACKAGE.rglob("*.py")
             if _component(_module_name(p)) is None and _module_name(p) != "kikan_std"]
    assert stray == []


def test_facade_exports_exactly_its_public_names() -> None:
    # In a fresh interpreter, so that submodules imported by other tests are not bound on the package.
    code = ("import kikan_std, types\n"
            "names = sorted(n for n, v in vars(kikan_std).items() if (not n.startswith('_') or n == '__version__')"
            " and not isinstance(v, types.ModuleType))\n"
            "print(repr(names)); print(repr(kikan_std.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    public, exported = eval(out[0]), eval(out[1])
    assert exported == sorted(exported, key=str.casefold) or exported == sorted(exported)
    # reconcile, 成果物一式, 移行検証 and spec diff are loaded on first use (kikan_std._LAZY); each still resolves
    lazy = {"reconcile", "check_deliverable", "compare", "profile", "SpecDiff", "diff_specs"}
    assert sorted(exported) == sorted(set(public) | lazy)
    import kikan_std

    assert all(getattr(kikan_std, n) is not None for n in lazy)


@pytest.mark.parametrize("name", ["check", "Report", "Finding", "load_spec"])
def test_facade_names_are_documented(name: str) -> None:
    import kikan_std

    assert getattr(kikan_std, name).__doc__
