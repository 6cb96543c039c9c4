"""The library's layers, as its sub-packages name them: each imports only from the layers below it, and no
module imports itself back through another (no import cycle, function-level imports included).

    read     the files as published, checked at the boundary
    methods  statistical methods (PHEindicatormethods' standard)
    analysis figures, groups, gaps, targets, projections: data in, data out
    page     words, tables, charts and the assembled HTML
    build    papermill, the cache, publishing
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parent.parent / "healthgap"
LAYERS = ("read", "methods", "analysis", "page", "build")
MAY_IMPORT = {
    "read": {"read"},
    "methods": {"methods"},
    "analysis": {"read", "methods", "analysis"},
    "page": {"read", "methods", "analysis", "page"},
    "build": {"read", "methods", "analysis", "page", "build"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every healthgap module ``path`` imports, anywhere in it (type-checking-only imports aside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` blocks are for annotations only
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            skipped.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("healthgap"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("healthgap"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                known = (LIBRARY.parent / candidate.replace(".", "/")).with_suffix(".py").is_file() or \
                    (LIBRARY.parent / candidate.replace(".", "/") / "__init__.py").is_file()
                found.add(candidate if known else node.module)
    return found


MODULES = {module_name(p): p for p in LIBRARY.rglob("*.py")}


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_sits_in_a_layer() -> None:
    outside = sorted(m for m in MODULES if layer(m) is None and m not in ("healthgap", "healthgap.cli"))
    assert outside == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m)))
def test_a_layer_imports_only_from_below(module: str) -> None:
    own = layer(module)
    wrong = sorted(i for i in imports(MODULES[module]) if layer(i) and layer(i) not in MAY_IMPORT[own])
    assert wrong == [], f"{module} ({own}) imports from a higher layer: {wrong}"


def test_no_import_cycles() -> None:
    graph = {m: {i for i in imports(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # a package's __init__ re-exporting its modules is not a cycle of theirs
    for m in graph:
        graph[m] = {i for i in graph[m] if not m.startswith(i + ".")}
    cycles = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for nxt in sorted(graph[node]):
            if nxt == path[0]:
                cycles.append(" -> ".join([*path, nxt]))
            elif nxt not in seen and nxt > path[0]:
                seen.add(nxt)
                visit(nxt, [*path, nxt], seen)

    for start in sorted(graph):
        visit(start, [start], {start})
    assert cycles == []
