"""Structured diff of two Documents: which blocks changed, where, how, and whether it matters.

Blocks are aligned first (patience diff over whole lines, monitor.diff.align), then the leftovers are paired:
an identical block elsewhere is `moved`; a similar block in the same gap is `modified` (a block split in
two, or two merged into one, is one `modified` change spanning several blocks); a similar block elsewhere
is `moved` with an edit; the rest is `added` or `removed`. Where blocks were regrouped (a table become
lists, paragraphs split or merged), monitor.diff.reflow reads a gap word by word instead: the same words
regrouped are one cosmetic `restructured` change, and only changed words are reported (as `modified`,
`added` or `removed` pieces of whole blocks). Each change carries word-level operations and
its class (monitor.diff.classify) and the signal words it touches (monitor.diff.signals). The section layer
(headings, title, "last updated" line) is in monitor.diff.structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from monitor.collector import collection_paused
from monitor.diff.align import BlockPairing
from monitor.diff.classify import ChangeClass, Op, classify, cosmetic_key, keys_kept, word_diff
from monitor.diff.reflow import describe, regroup
from monitor.diff.signals import change_signals
from monitor.diff.structure import section_structure
from monitor.errors import UsageError
from monitor.models import Block, Document

__all__ = ["Change", "DocumentDiff", "Op", "apply_diff", "classify", "diff_documents", "word_diff"]

ChangeKind = Literal["added", "removed", "modified", "moved", "restructured"]  # = monitor.diff.align.EditKind
KINDS: tuple[ChangeKind, ...] = ("modified", "added", "removed", "moved")
# Counted in summaries only when present, so summaries of diffs without regrouping keep their keys.
RESTRUCTURED: ChangeKind = "restructured"


@dataclass(slots=True)
class Change:
    """One edit. `old_index`/`new_index` point at the first block on each side (None when absent);
    `old_blocks`/`new_blocks` hold the blocks themselves (several for a split or merged paragraph,
    whose `old`/`new` text joins them with a blank line). A `restructured` change regrouped the same words
    into other blocks (`note` says how); its ops still rebuild its new blocks, as every change's do."""

    kind: ChangeKind
    cls: ChangeClass
    section: tuple[str, ...]
    old: str | None
    new: str | None
    ops: list[Op]
    old_index: int | None
    new_index: int | None
    signals: list[str] = field(default_factory=list)
    old_blocks: tuple[Block, ...] = ()
    new_blocks: tuple[Block, ...] = ()
    old_section: tuple[str, ...] = ()  # where the old text was (differs from `section` for a moved block)

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)

    @property
    def substantive(self) -> bool:
        return self.cls == "substantive"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "class": self.cls,
            "section": list(self.section),
            "section_path": self.section_path,
            "old": self.old,
            "new": self.new,
            "ops": [{"tag": op.tag, "old": op.old, "new": op.new} for op in self.ops],
            "signals": list(self.signals),
            "old_index": self.old_index,
            "new_index": self.new_index,
            "old_section": list(self.old_section),
        } | ({"restructured": self.note} if self.kind == RESTRUCTURED else {})

    @property
    def note(self) -> str:
        """What a restructured change regrouped ('3 table rows → 3 headings, 12 list items, same words')."""
        return describe(self.old_blocks, self.new_blocks) if self.kind == RESTRUCTURED else ""


@dataclass(slots=True)
class DocumentDiff:
    changes: list[Change]
    structure: dict[str, Any]
    old: Document
    new: Document
    unchanged: list[tuple[int, int]] = field(default_factory=list)  # (old index, new index) of kept blocks

    def summary(self) -> dict[str, Any]:
        """{"by_kind": {kind: n}, "by_class": {"substantive": n, "cosmetic": n}, "total": n}, every key present
        ("restructured" only when the diff has such a change)."""
        by_kind = dict.fromkeys(KINDS, 0)
        by_class = dict.fromkeys(("substantive", "cosmetic"), 0)
        for change in self.changes:
            by_kind[change.kind] = by_kind.get(change.kind, 0) + 1
            by_class[change.cls] += 1
        return {"by_kind": by_kind, "by_class": by_class, "total": len(self.changes)}

    @property
    def substantive(self) -> bool:
        return any(change.substantive for change in self.changes)

    @property
    def cosmetic_only(self) -> bool:
        return bool(self.changes) and not self.substantive

    def filtered(self, *, substantive_only: bool = False, section: str | None = None) -> DocumentDiff:
        """The changes a reader asked for: substantive ones only, and/or those whose section path
        contains `section` (case-insensitive)."""
        needle = (section or "").casefold()
        kept = [
            change
            for change in self.changes
            if (change.substantive or not substantive_only) and needle in change.section_path.casefold()
        ]
        return replace(self, changes=kept)


def diff_documents(old: Document, new: Document) -> DocumentDiff:
    with keys_kept(), collection_paused():
        return _diff_documents(old, new)


def _diff_documents(old: Document, new: Document) -> DocumentDiff:
    pairs = BlockPairing(old.blocks, new.blocks)
    regroup(pairs)  # regrouped blocks (a table become a list, ...) matched word by word
    old_sections, new_sections = old.sections(), new.sections()
    changes: list[tuple[tuple[float, int], Change]] = []
    for kind, old_span, new_span in pairs.result:
        old_blocks = tuple(old.blocks[i] for i in old_span)
        new_blocks = tuple(new.blocks[j] for j in new_span)
        old_text = "\n\n".join(block.text for block in old_blocks) if old_blocks else None
        new_text = "\n\n".join(block.text for block in new_blocks) if new_blocks else None
        ops = word_diff(old_text or "", new_text or "")
        section = new_sections[new_span[0]] if new_span else old_sections[old_span[0]]
        cls = classify(old_text or "", new_text or "")
        moved_away = kind == "moved" and old_sections[old_span[0]] != section
        if moved_away and cls == "cosmetic" and cosmetic_key(new_text or ""):
            cls = "substantive"  # the same words now sit under another heading (a footnote label has none)
        change = Change(
            kind=kind,
            cls=cls,
            section=section,
            old=old_text,
            new=new_text,
            ops=ops,
            old_index=old_span[0] if old_span else None,
            new_index=new_span[0] if new_span else None,
            signals=change_signals(ops) if cls == "substantive" else [],
            old_blocks=old_blocks,
            new_blocks=new_blocks,
            old_section=old_sections[old_span[0]] if old_span else (),
        )
        order = (new_span[0], 1) if new_span else (pairs.anchor(old_span[0]), 0)
        changes.append(((order[0], old_span[0] if old_span else -1), change))
    changes.sort(key=lambda item: item[0])
    structure = section_structure(old, new, [change for _, change in changes])
    unchanged = sorted(pairs.unchanged.items())
    return DocumentDiff([change for _, change in changes], structure, old, new, unchanged)


def apply_diff(old: Document, diff: DocumentDiff) -> Document:
    """Rebuild the new document from the old one and the diff's operations."""
    covered: set[int] = set()
    placed: dict[int, list[Block]] = {}
    for change in diff.changes:
        if change.old_index is not None:
            span = range(change.old_index, change.old_index + len(change.old_blocks))
            if tuple(old.blocks[i] for i in span if i < len(old.blocks)) != change.old_blocks:
                raise UsageError(f"the diff does not apply: block {change.old_index} of the old text differs")
            covered.update(span)
        if change.new_index is not None:
            texts = "".join(op.new for op in change.ops).split("\n\n")
            if len(texts) != len(change.new_blocks):
                raise UsageError(
                    f"the diff does not apply: change at block {change.new_index} is inconsistent"
                )
            placed[change.new_index] = [
                Block(block.kind, text, block.level)
                for block, text in zip(change.new_blocks, texts, strict=True)
            ]
    unchanged = iter([block for index, block in enumerate(old.blocks) if index not in covered])
    total = len(old.blocks) - len(covered) + sum(len(blocks) for blocks in placed.values())
    blocks: list[Block] = []
    while len(blocks) < total:
        blocks.extend(placed.get(len(blocks)) or [next(unchanged)])
    # The title is metadata outside the text (the stored form has none); the diff carries it as it is.
    return Document(blocks, title=diff.new.title)
