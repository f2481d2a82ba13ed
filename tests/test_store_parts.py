"""The store is made of named parts, each owning its SQL; the `Store` keeps only what spans them.

Call sites read as what they ask: `store.versions.current(page)`, `store.checks.last(page, good=True)`,
`store.blobs.text_path(page, version)`, `store.state.read_json(rel)`. No part inherits queries from another,
no part reaches into another's private names, and no stage calls a private name of the store.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import monitor.store
from monitor.store.core import Store

ROOT = Path(__file__).resolve().parent.parent
PARTS = {
    "versions", "checks", "blobs", "imported", "state",
    "baselines", "outbox", "ledger", "objections", "timestamps",
}  # fmt: skip
SPANNING = {
    "page_state", "commit_check", "commit_checks", "transaction", "verify", "damaged", "close", "clock", "root", "db",
}  # fmt: skip


def test_the_store_is_its_parts_and_what_spans_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    public = {name for name in vars(store) | vars(Store) if not name.startswith("_")}
    assert public == PARTS | SPANNING
    for name in PARTS:
        part = type(getattr(store, name))
        assert part.__bases__ == (object,), f"store.{name} ({part.__name__}) inherits {part.__bases__}"


def test_a_part_uses_only_the_public_names_of_the_others() -> None:
    # in a part, `self._blobs.read(...)` is fine; `self._blobs._referenced(...)` would not be
    for path in sorted(Path(monitor.store.__file__).parent.glob("*.py")):
        found = re.findall(r"self\._\w+\._\w+", path.read_text())
        assert not found, f"{path}: {found}"


def test_no_stage_calls_a_private_name_of_the_store() -> None:
    store_folder = Path(monitor.store.__file__).parent
    for path in sorted([*(ROOT / "monitor").rglob("*.py"), *(ROOT / "tests").glob("*.py")]):
        if store_folder in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                receiver = ast.unparse(node.value)
                assert not re.search(r"(^|\.)_?store$", receiver), (
                    f"{path}:{node.lineno}: {ast.unparse(node)}"
                )
