"""The structural layer of a diff: the section tree (headings) and the document's metadata.

The heading tree of each version becomes nested dicts keyed by heading text; deepdiff tells which
sections appeared or went away. Pairs of those are then read back as what a person would call them:
a heading edited in place is a rename, the same heading under another parent a move. Siblings kept in
a different order are reported as reordered. Metadata: the title and the "last updated" line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from monitor.models import Document

if TYPE_CHECKING:
    from monitor.diff.core import Change

SEPARATOR = " › "

# Short lines that date a legal text, English and German.
_DATE_LINE = re.compile(
    r"(effective( date| as of| from)?|last (updated|modified|revised)|updated|revised|date of last revision"
    r"|zuletzt (aktualisiert|geändert|überarbeitet)|gültig (ab|seit)|stand|in kraft (seit|ab))\b",
    re.IGNORECASE,
)
_DATE_LINE_MAX_WORDS = 12

Tree = dict[str, "Tree"]


def section_tree(document: Document) -> tuple[Tree, list[tuple[str, ...]]]:
    """Nested dicts of heading texts, and every section's path in document order. A heading that repeats
    under the same parent gets a counter ("Highlights (2)") so both stay visible."""
    root: Tree = {}
    stack: list[tuple[int, Tree]] = [(0, root)]
    paths: list[tuple[str, ...]] = []
    names: list[str] = []
    for block in document.blocks:
        if block.kind != "heading":
            continue
        while len(stack) > 1 and stack[-1][0] >= block.level:
            stack.pop()
            names.pop()
        parent = stack[-1][1]
        name, count = block.text, 1
        while name in parent:
            count += 1
            name = f"{block.text} ({count})"
        parent[name] = {}
        stack.append((block.level, parent[name]))
        names.append(name)
        paths.append(tuple(names))
    return root, paths


def metadata(document: Document) -> dict[str, str | None]:
    updated = next(
        (
            block.text
            for block in document.blocks
            if block.kind != "heading"
            and len(block.text.split()) <= _DATE_LINE_MAX_WORDS
            and _DATE_LINE.match(block.text)
        ),
        None,
    )
    return {"title": document.title, "updated": updated}


def section_structure(old: Document, new: Document, changes: Sequence[Change]) -> dict[str, Any]:
    """Only what changed: sections_added/removed/renamed/moved/reordered and metadata (old/new pairs).
    Empty when the structure is the same."""
    old_tree, old_paths = section_tree(old)
    new_tree, new_paths = section_tree(new)
    found: Any = {}
    if old_tree != new_tree:
        # Imported here: it is slow to import (and brings pydantic), and only a changed heading tree needs it.
        from deepdiff import DeepDiff

        # threshold_to_diff_deeper=0: always name the sections, never "this whole subtree changed".
        found = DeepDiff(old_tree, new_tree, view="tree", threshold_to_diff_deeper=0)
    added = [tuple(item.path(output_format="list")) for item in found.get("dictionary_item_added", [])]
    removed = [tuple(item.path(output_format="list")) for item in found.get("dictionary_item_removed", [])]
    added.sort(key=lambda path: _order(path, new_paths))
    removed.sort(key=lambda path: _order(path, old_paths))

    renamed = []
    for change in changes:
        if change.kind == "modified" and len(change.old_blocks) == len(change.new_blocks) == 1:
            before, after = change.old_blocks[0], change.new_blocks[0]
            if before.kind == after.kind == "heading" and before.text != after.text:
                old_path = _heading_path(old_paths, before.text, change.section[:-1])
                new_path = change.section
                if old_path in removed and new_path in added:
                    removed.remove(old_path)
                    added.remove(new_path)
                    renamed.append({"old": _show(old_path), "new": _show(new_path)})
    moved = []
    for path in list(added):
        match = next((other for other in removed if other[-1] == path[-1]), None)
        if match is not None:
            removed.remove(match)
            added.remove(path)
            moved.append({"old": _show(match), "new": _show(path)})

    structure: dict[str, Any] = {
        "sections_added": [_show(path) for path in added],
        "sections_removed": [_show(path) for path in removed],
        "sections_renamed": renamed,
        "sections_moved": moved,
        "sections_reordered": _reordered(old_tree, new_tree, ()),
    }
    old_meta, new_meta = metadata(old), metadata(new)
    # A title is only known for extracted pages (the stored text has none), so None → "X" is not a change.
    structure["metadata"] = {
        key: {"old": old_meta[key], "new": new_meta[key]}
        for key in old_meta
        if old_meta[key] != new_meta[key] and (key != "title" or None not in (old_meta[key], new_meta[key]))
    }
    return {key: value for key, value in structure.items() if value}


def _heading_path(paths: list[tuple[str, ...]], text: str, parent: tuple[str, ...]) -> tuple[str, ...]:
    return next((path for path in paths if path[-1] == text and path[:-1] == parent), (*parent, text))


def _order(path: tuple[str, ...], paths: list[tuple[str, ...]]) -> int:
    return paths.index(path) if path in paths else len(paths)


def _show(path: tuple[str, ...]) -> str:
    return SEPARATOR.join(path)


def _reordered(old: Tree, new: Tree, parent: tuple[str, ...]) -> list[str]:
    """Sections kept under the same parent whose order among their siblings changed."""
    common_old = [name for name in old if name in new]
    common_new = [name for name in new if name in old]
    result: list[str] = []
    if common_old != common_new:
        kept = set()
        for block in SequenceMatcher(None, common_old, common_new, autojunk=False).get_matching_blocks():
            kept.update(common_old[block.a : block.a + block.size])
        result.extend(_show((*parent, name)) for name in common_new if name not in kept)
    for name in common_new:
        result.extend(_reordered(old[name], new[name], (*parent, name)))
    return result
