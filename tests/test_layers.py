"""The package's layers: module-level imports run downward only, and never in a circle.

A result's ``.explain()`` or ``Events.from_pandas`` reach upward through a one-line import inside
the function (a lazy facade); those are allowed. What is checked is every import that runs when a
module is imported: top-level statements, outside ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "crimeharm"

#: Lowest first. A module may import modules of its own layer or of any layer below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("crimeharm.errors", "crimeharm._optional"),
    ("crimeharm.kernels",),
    ("crimeharm.core",),
    ("crimeharm.builtin", "crimeharm.hookspecs", "crimeharm.plugins"),
    ("crimeharm.io",),
    ("crimeharm.scale",),
    ("crimeharm.research",),
    ("crimeharm.audit",),
    ("crimeharm",),  # the public facade: re-exports, lazily for the upper layers
    ("crimeharm.cli", "crimeharm.testing", "crimeharm.dask", "crimeharm.__main__"),
)


def module_name(path: Path) -> str:
    parts = ("crimeharm", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> int:
    best = (-1, -1)  # (length of the matching prefix, layer)
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best[0]:
                best = (len(prefix), index)
    assert best[1] >= 0, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements run at import: the body, and the branches of if/try (not TYPE_CHECKING)."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            if not _is_type_checking(node):
                out += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            out += _top_level(node.body) + _top_level(node.orelse) + _top_level(node.finalbody)
            for handler in node.handlers:
                out += _top_level(handler.body)
        else:
            out.append(node)
    return out


def imports_of(path: Path) -> set[str]:
    """The crimeharm modules ``path`` imports when it is imported."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _top_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "crimeharm"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != "crimeharm":
                continue
            if not name.startswith(target + "."):  # an ancestor package is imported anyway
                found.add(target)
            for alias in node.names:  # `from . import x` may import the submodule x
                candidate = f"{target}.{alias.name}"
                if candidate in MODULES:
                    found.add(candidate)
    return found


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}
GRAPH = {name: imports_of(path) - {name} for name, path in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_level_imports_run_downward(module: str) -> None:
    upward = sorted(t for t in GRAPH[module] if layer_of(t) > layer_of(module))
    assert not upward, f"{module} (layer {layer_of(module)}) imports upper layers: {upward}"


def test_no_import_cycles() -> None:
    # a package's __init__ re-exporting its own modules is an edge down, not a cycle
    def edges(name: str) -> set[str]:
        return {t for t in GRAPH[name] if t in GRAPH and not name.startswith(t + ".")}

    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for target in sorted(edges(name)):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)


def test_the_core_imports_only_numpy_attrs_and_the_layers_below() -> None:
    allowed = {"numpy", "attrs", "crimeharm", "__future__"}
    for name, path in MODULES.items():
        if layer_of(name) > layer_of("crimeharm.core"):
            continue
        for node in _top_level(ast.parse(path.read_text(encoding="utf-8")).body):
            roots: list[str] = []
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                roots = [node.module.split(".")[0]]
            import sys

            third_party = {r for r in roots if r not in sys.stdlib_module_names} - allowed
            if name == "crimeharm.kernels.compiled":  # the optional extra, imported lazily
                third_party -= {"numba"}
            assert not third_party, f"{name} imports {sorted(third_party)} at module level"
