"""The package's modules import each other without cycles (module-level and function-level imports alike;
imports under `if TYPE_CHECKING:` are for type checkers only and do not count).

The graph is built from the source with `ast`, so an import hidden inside a function is still an edge.
Importing `monitor.a.b` counts as an edge to `monitor.a.b` only (not to the package `monitor.a`, which
Python loads first but which never imports its modules back: every `__init__.py` is a docstring).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(tree: ast.AST, modules: set[str]) -> set[str]:
    """Every module of `modules` that `tree` imports, at any depth, outside `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    found.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                if child in modules:  # `from monitor.fetch import browser` imports the module
                    found.add(child)
                elif node.module in modules:
                    found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    modules = set(paths)
    return {
        name: imported_modules(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
        for name, path in paths.items()
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None (depth-first search, white/grey/black)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph(PACKAGE))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_planted_cycle_is_found_and_named(tmp_path: Path) -> None:
    root = tmp_path / "monitor"
    (root / "fetch").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "fetch" / "__init__.py").write_text('"""Fetch."""\n')
    (root / "fetch" / "http.py").write_text("from monitor.fetch.browser import Browser\n")
    (root / "fetch" / "browser.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from monitor.fetch.http import Http\n"  # allowed
        "def late():\n    from monitor.fetch import http\n"  # a function-level import counts
    )
    assert find_cycle(import_graph(root)) == [
        "monitor.fetch.browser",
        "monitor.fetch.http",
        "monitor.fetch.browser",
    ]


def test_type_checking_imports_alone_make_no_cycle(tmp_path: Path) -> None:
    root = tmp_path / "monitor"
    root.mkdir()
    (root / "__init__.py").write_text("")
    (root / "a.py").write_text("from monitor.b import B\n")
    (root / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from monitor.a import A\n"
    )
    assert find_cycle(import_graph(root)) is None


@pytest.mark.parametrize("init", sorted(PACKAGE.glob("*/**/__init__.py")), ids=lambda p: p.parent.name)
def test_every_stage_package_says_what_it_takes_and_gives(init: Path) -> None:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    docstring = ast.get_docstring(tree)
    assert docstring and docstring != "TODO", f"{init} needs a docstring"
    assert all(isinstance(node, ast.Expr) for node in tree.body), f"{init} holds code: keep it a docstring"


# -- the stages, in the order a page travels ------------------------------------------------------------------

# A stage may import the stages before it, never one after it: the import graph between stage packages is a
# DAG in this order, and docs/architecture.md lists the folders in the same order.
STAGES = [
    "config",  # config.toml -> validated models, schedules and digest periods
    "extract",  # HTML -> Document
    "fetch",  # URL -> HTML (its wall test reads the extraction)
    "store",  # versions, checks, baselines, outbox, page health
    "diff",  # two Documents -> DocumentDiff, summaries
    "watch",  # DocumentDiff + watches -> alerts and baselines
    "objections",  # objections on record -> the clauses they depend on, then and now
    "present",  # a change as readers see it: read back, linked, languages that lag
    "notify",  # alerts -> outbox -> mail; digest; feed
    "pipeline",  # one check, start to end; a run of checks; delivery after it
    "imports",  # a page's public history -> records
    "evidence",  # a version -> a bundle others can check
    "report",  # the store -> a static site
    "service",  # schedules and the background loop
    "demo",  # the offline walk-through
    "cli",  # the only code that prints or exits
]


def stage_edges(graph: dict[str, set[str]]) -> dict[tuple[str, str], list[str]]:
    """Edges between stage packages (monitor.<stage>...), each with the module imports that make it."""
    edges: dict[tuple[str, str], list[str]] = {}
    for source, targets in graph.items():
        for target in targets:
            a, b = source.split(".")[1:2], target.split(".")[1:2]
            if a and b and a != b and (PACKAGE / a[0]).is_dir() and (PACKAGE / b[0]).is_dir():
                edges.setdefault((a[0], b[0]), []).append(f"{source} -> {target}")
    return edges


def test_every_stage_package_is_in_the_stage_table() -> None:
    packages = sorted(path.parent.name for path in PACKAGE.glob("*/__init__.py"))
    assert packages == sorted(STAGES)


def test_a_stage_imports_only_the_stages_before_it() -> None:
    backwards = [
        f"{a} imports {b}, a later stage ({', '.join(sorted(imports)[:2])})"
        for (a, b), imports in sorted(stage_edges(import_graph(PACKAGE)).items())
        if STAGES.index(b) > STAGES.index(a)
    ]
    assert backwards == []


def test_the_architecture_doc_lists_the_stages_in_their_order() -> None:
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = [
        line.split("/")[0].strip("├└─│ ") for line in doc.splitlines() if line.startswith(("├── ", "└── "))
    ]
    assert listed == STAGES
