"""Structured diff of two Documents: which blocks changed, where, how, and whether it matters.

Blocks are aligned first (difflib over whole lines, so unchanged text is found in linear-ish time), then
the leftovers are paired: an identical block elsewhere is `moved`; a similar block in the same gap is
`modified` (a block split in two, or two merged into one, is one `modified` change spanning several
blocks); a similar block elsewhere is `moved` with an edit; the rest is `added` or `removed`. Each change
carries word-level operations (monitor.classify), its class and the signal words it touches.
The section layer (headings, title, "last updated" line) is in monitor.structure.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from rapidfuzz import fuzz, process

from monitor.align import opcodes
from monitor.classify import ChangeClass, Op, change_signals, classify, word_diff
from monitor.errors import UsageError
from monitor.models import Block, Document
from monitor.normalize import fold_typography
from monitor.structure import section_structure

__all__ = ["Change", "DocumentDiff", "Op", "apply_diff", "classify", "diff_documents", "word_diff"]

ChangeKind = Literal["added", "removed", "modified", "moved"]
KINDS: tuple[ChangeKind, ...] = ("modified", "added", "removed", "moved")
PAIR_SCORE = 50.0  # two blocks in the same gap at least this similar (rapidfuzz ratio) are one modified block
MOVE_SCORE = 85.0  # a block elsewhere must be this similar to count as moved with an edit
MOVE_MIN_WORDS = 6  # shorter blocks ("Highlights", "Learn more") recur too often to call them moved
SPAN_LIMIT = 4  # at most this many blocks on one side of a split or merge


@dataclass(slots=True)
class Change:
    """One edit. `old_index`/`new_index` point at the first block on each side (None when absent);
    `old_blocks`/`new_blocks` hold the blocks themselves (several for a split or merged paragraph,
    whose `old`/`new` text joins them with a blank line)."""

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
        }


@dataclass(slots=True)
class DocumentDiff:
    changes: list[Change]
    structure: dict[str, Any]
    old: Document
    new: Document
    unchanged: list[tuple[int, int]] = field(default_factory=list)  # (old index, new index) of kept blocks

    def summary(self) -> dict[str, Any]:
        """{"by_kind": {kind: n}, "by_class": {"substantive": n, "cosmetic": n}, "total": n}, every key present."""
        by_kind = dict.fromkeys(KINDS, 0)
        by_class = dict.fromkeys(("substantive", "cosmetic"), 0)
        for change in self.changes:
            by_kind[change.kind] += 1
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
    pairs = _Pairing(old.blocks, new.blocks)
    old_sections, new_sections = old.sections(), new.sections()
    changes: list[tuple[tuple[float, int], Change]] = []
    for kind, old_span, new_span in pairs.edits():
        old_blocks = tuple(old.blocks[i] for i in old_span)
        new_blocks = tuple(new.blocks[j] for j in new_span)
        old_text = "\n\n".join(block.text for block in old_blocks) if old_blocks else None
        new_text = "\n\n".join(block.text for block in new_blocks) if new_blocks else None
        ops = word_diff(old_text or "", new_text or "")
        section = new_sections[new_span[0]] if new_span else old_sections[old_span[0]]
        cls = classify(old_text or "", new_text or "")
        if kind == "moved" and cls == "cosmetic" and old_sections[old_span[0]] != section:
            cls = "substantive"  # the same words now sit under another heading
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


def _folded(block: Block) -> str:
    return fold_typography(block.text).casefold()


class _Pairing:
    """Aligns two block lists and pairs what the alignment left over (see the module docstring)."""

    def __init__(self, old: Sequence[Block], new: Sequence[Block]) -> None:
        self.old, self.new = old, new
        old_lines = [block.to_line() for block in old]
        new_lines = [block.to_line() for block in new]
        ids: dict[str, int] = {}
        old_ids = [ids.setdefault(line, len(ids)) for line in old_lines]
        new_ids = [ids.setdefault(line, len(ids)) for line in new_lines]
        self.unchanged: dict[int, int] = {}  # old index -> new index of the blocks the alignment kept
        self.new_position: dict[int, int] = {}  # ... and of the blocks modified in place
        self.regions: list[tuple[list[int], list[int]]] = []  # the gaps between unchanged runs
        for tag, i1, i2, j1, j2 in opcodes(old_ids, new_ids):
            if tag == "equal":
                self.unchanged.update(zip(range(i1, i2), range(j1, j2), strict=True))
            else:
                self.regions.append((list(range(i1, i2)), list(range(j1, j2))))
        self.new_position.update(self.unchanged)
        self.free_old = {i for olds, _ in self.regions for i in olds}
        self.free_new = {j for _, news in self.regions for j in news}
        self.result: list[tuple[ChangeKind, list[int], list[int]]] = []
        self._pair_identical(old_lines, new_lines)
        for olds, news in self.regions:
            self._pair_in_gap(olds, news)
        self._pair_moved_with_edit()
        self.result.extend(("removed", [i], []) for i in sorted(self.free_old))
        self.result.extend(("added", [], [j]) for j in sorted(self.free_new))

    def edits(self) -> list[tuple[ChangeKind, list[int], list[int]]]:
        return self.result

    def anchor(self, old_index: int) -> float:
        """Where a removed block would have been in the new document (just after its kept neighbour)."""
        if not hasattr(self, "_anchors"):
            self._anchors: list[float] = []
            last = -0.5
            for index in range(len(self.old)):
                self._anchors.append(last)
                if index in self.new_position:
                    last = self.new_position[index] + 0.5
        return self._anchors[old_index]

    def _take(self, kind: ChangeKind, olds: list[int], news: list[int]) -> None:
        self.free_old.difference_update(olds)
        self.free_new.difference_update(news)
        self.result.append((kind, olds, news))
        if kind == "modified":
            self.new_position.update(zip(olds, news, strict=False))

    def _pair_identical(self, old_lines: list[str], new_lines: list[str]) -> None:
        """The same line in another gap: a move (only for text distinctive enough to be the same block)."""
        old_count: dict[str, int] = defaultdict(int)
        new_count: dict[str, int] = defaultdict(int)
        for line in old_lines:
            old_count[line] += 1
        for line in new_lines:
            new_count[line] += 1
        waiting: dict[str, list[int]] = defaultdict(list)
        for i in sorted(self.free_old):
            waiting[old_lines[i]].append(i)
        for j in sorted(self.free_new):
            line = new_lines[j]
            distinctive = len(line.split()) >= MOVE_MIN_WORDS or old_count[line] == new_count[line] == 1
            if waiting.get(line) and distinctive:
                self._take("moved", [waiting[line].pop(0)], [j])

    def _pair_in_gap(self, olds: list[int], news: list[int]) -> None:
        olds = [i for i in olds if i in self.free_old]
        news = [j for j in news if j in self.free_new]
        if not olds or not news:
            return
        for score, i, j in _best_pairs(
            [_folded(self.old[i]) for i in olds], [_folded(self.new[j]) for j in news], PAIR_SCORE
        ):
            old_index, new_index = olds[i], news[j]
            if old_index in self.free_old and new_index in self.free_new:
                old_span, new_span = self._widen([old_index], [new_index], score)
                self._take("modified", old_span, new_span)

    def _widen(self, olds: list[int], news: list[int], score: float) -> tuple[list[int], list[int]]:
        """Grow a pair into a split (one old block ~ several new ones) or a merge, while that fits better.
        Free neighbours are always in the same gap: difflib never puts two gaps side by side."""
        while len(olds) + len(news) < SPAN_LIMIT + 1:
            candidates = []
            for j in (news[0] - 1, news[-1] + 1):
                if j in self.free_new and len(olds) == 1:
                    candidates.append((olds, sorted([*news, j])))
            for i in (olds[0] - 1, olds[-1] + 1):
                if i in self.free_old and len(news) == 1:
                    candidates.append((sorted([*olds, i]), news))
            best = max(((self._score(o, n), o, n) for o, n in candidates), default=None)
            if best is None or best[0] <= score + 2:
                return olds, news
            score, olds, news = best
        return olds, news

    def _score(self, olds: list[int], news: list[int]) -> float:
        old_text = " ".join(_folded(self.old[i]) for i in olds)
        new_text = " ".join(_folded(self.new[j]) for j in news)
        return fuzz.ratio(old_text, new_text)

    def _pair_moved_with_edit(self) -> None:
        olds = [i for i in sorted(self.free_old) if len(self.old[i].text.split()) >= MOVE_MIN_WORDS]
        news = [j for j in sorted(self.free_new) if len(self.new[j].text.split()) >= MOVE_MIN_WORDS]
        if not olds or not news:
            return
        for _, i, j in _best_pairs(
            [_folded(self.old[i]) for i in olds], [_folded(self.new[j]) for j in news], MOVE_SCORE
        ):
            if olds[i] in self.free_old and news[j] in self.free_new:
                self._take("moved", [olds[i]], [news[j]])


def _best_pairs(olds: list[str], news: list[str], cutoff: float) -> list[tuple[float, int, int]]:
    """All (score, old, new) pairs at or above `cutoff`, best first (ties: nearest positions first).

    Only lengths that can reach the cutoff are compared: ratio = 2·matches / (len a + len b) <= 2·shorter /
    (sum), so a block more than (200 - cutoff) / cutoff times longer than another cannot match it."""
    by_length = sorted(range(len(news)), key=lambda j: len(news[j]))
    lengths = [len(news[j]) for j in by_length]
    texts = [news[j] for j in by_length]
    stretch = (200 - cutoff) / cutoff
    found: list[tuple[float, int, int]] = []
    for i, text in enumerate(olds):
        low = bisect_left(lengths, len(text) / stretch)
        high = bisect_right(lengths, len(text) * stretch)
        for _, score, k in process.extract_iter(text, texts[low:high], scorer=fuzz.ratio, score_cutoff=cutoff):
            found.append((score, i, by_length[low + k]))
    found.sort(key=lambda item: (-item[0], abs(item[1] / len(olds) - item[2] / len(news)), item[1]))
    return found
