"""The seams between stages are typed: no `Any` in a public signature or dataclass field of the pipeline,
store, watch, present and notify stages, so the type checker sees through every hand-over.

A JSON value is the one place `Any` stays: the values of a `dict[str, Any]` (or `Mapping[str, Any]`) are
whatever the JSON holds. Read from the source with `ast`, as tests/test_imports.py reads imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "monitor"
STAGES = ("pipeline", "store", "watch", "present", "notify", "service", "imports")
JSON_OBJECTS = {"dict", "Mapping", "MutableMapping"}


def bare_any(annotation: ast.expr | None) -> bool:
    """Whether `annotation` uses `Any` anywhere but as the value type of a str-keyed mapping."""
    if annotation is None:
        return False
    allowed: set[int] = set()
    for node in ast.walk(annotation):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id in JSON_OBJECTS
        ):
            key_value = node.slice
            if isinstance(key_value, ast.Tuple) and len(key_value.elts) == 2:
                key, value = key_value.elts
                if isinstance(key, ast.Name) and key.id == "str" and isinstance(value, ast.Name):
                    allowed.add(id(value))
    return any(
        isinstance(n, ast.Name) and n.id == "Any" and id(n) not in allowed for n in ast.walk(annotation)
    )


def seams(path: Path, root: Path = PACKAGE.parent) -> list[str]:
    """`file:line name` for each public signature or dataclass field that uses a bare `Any`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(root)
    found = []

    def function(node: ast.FunctionDef | ast.AsyncFunctionDef, owner: str = "") -> None:
        if node.name.startswith("_") and node.name != "__init__":
            return
        arguments = node.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        for argument in every:
            if bare_any(argument.annotation):
                found.append(f"{where}:{argument.lineno} {owner}{node.name}({argument.arg})")
        if bare_any(node.returns):
            found.append(f"{where}:{node.lineno} {owner}{node.name} -> ...")

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            function(node)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    function(member, f"{node.name}.")
                elif (
                    isinstance(member, ast.AnnAssign)
                    and isinstance(member.target, ast.Name)
                    and not member.target.id.startswith("_")
                    and bare_any(member.annotation)
                ):
                    found.append(f"{where}:{member.lineno} {node.name}.{member.target.id}")
    return found


@pytest.mark.parametrize("stage", STAGES)
def test_the_public_seams_of_a_stage_name_their_types(stage: str) -> None:
    found = [seam for path in sorted((PACKAGE / stage).glob("*.py")) for seam in seams(path)]
    assert found == []


def test_a_bare_any_is_found_and_a_json_value_is_not(tmp_path: Path) -> None:
    module = tmp_path / "monitor" / "pipeline" / "planted_for_test.py"
    module.parent.mkdir(parents=True)
    source = (
        "from typing import Any\n"
        "def ok(data: dict[str, Any], rows: list[dict[str, Any]]) -> Mapping[str, Any]: ...\n"
        "def bad(store: Any, *, diff: Any | None = None) -> list[Any]: ...\n"
        "def _private(x: Any) -> Any: ...\n"
        "class Result:\n    delivery: Any = None\n    _cache: Any = None\n"
    )
    module.write_text(source)
    assert seams(module, tmp_path) == [
        "monitor/pipeline/planted_for_test.py:3 bad(store)",
        "monitor/pipeline/planted_for_test.py:3 bad(diff)",
        "monitor/pipeline/planted_for_test.py:3 bad -> ...",
        "monitor/pipeline/planted_for_test.py:6 Result.delivery",
    ]
