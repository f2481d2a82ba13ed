"""Alignment: of token or line sequences (`opcodes`), and of two documents' blocks (`BlockPairing`).

`opcodes` is patience diff with difflib for the small pieces. difflib.SequenceMatcher (without its junk heuristic, which would drop frequent tokens such as spaces) is
quadratic in the worst case: a 37,000-character paragraph of a real Llama terms page took 9 s. Patience
diff (Bram Cohen's; also git's --patience) first matches the elements that occur exactly once on each
side, keeps the longest run of them that is in the same order on both sides, and recurses into the
gaps between those anchors. Gaps small enough for difflib go to difflib.

`BlockPairing` aligns whole blocks with `opcodes`, then pairs what is left over: the same block in another
gap is moved; a similar block in the same gap is modified (grown into a split or merge when one old block
matches several consecutive new ones better, or the reverse); a similar block elsewhere is moved with an
edit. Similarity is rapidfuzz's ratio on case- and typography-folded text (folded once per block), compared
only between blocks whose lengths can reach the threshold; `monitor.diff.candidates` hands the pairs over best
first without collecting them all.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Hashable, Iterator, Sequence
from difflib import SequenceMatcher
from typing import Literal

from rapidfuzz import fuzz

from monitor.diff.candidates import best_pairs
from monitor.extract.normalize import fold_typography
from monitor.models import Block

Opcode = tuple[str, int, int, int, int]
EditKind = Literal["added", "removed", "modified", "moved", "restructured"]  # restructured: monitor.reflow
PAIR_SCORE = 50.0  # two blocks in the same gap at least this similar (rapidfuzz ratio) are one modified block
MOVE_SCORE = 85.0  # a block elsewhere must be this similar to count as moved with an edit
MOVE_MIN_WORDS = 6  # shorter blocks ("Highlights", "Learn more") recur too often to call them moved
SPAN_LIMIT = 4  # at most this many blocks on one side of a split or merge
DIRECT_LIMIT = 20_000  # len(a) * len(b) up to which difflib runs directly


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[Opcode]:
    """Like SequenceMatcher(None, a, b, autojunk=False).get_opcodes(): equal/replace/insert/delete runs."""
    raw: list[Opcode] = []
    _align(a, b, 0, len(a), 0, len(b), raw)
    merged: list[Opcode] = []
    for tag, i1, i2, j1, j2 in raw:
        if i1 == i2 and j1 == j2:
            continue
        if merged and (merged[-1][0] == "equal") == (tag == "equal"):
            last = merged.pop()
            i1, j1 = last[1], last[3]
            if tag != "equal":
                tag = "replace" if (i2 > i1 and j2 > j1) else ("delete" if i2 > i1 else "insert")
        merged.append((tag, i1, i2, j1, j2))
    return merged


def _align(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int, out: list[Opcode]
) -> None:
    prefix = 0
    while alo + prefix < ahi and blo + prefix < bhi and a[alo + prefix] == b[blo + prefix]:
        prefix += 1
    if prefix:
        out.append(("equal", alo, alo + prefix, blo, blo + prefix))
        alo, blo = alo + prefix, blo + prefix
    suffix = 0
    while ahi - suffix > alo and bhi - suffix > blo and a[ahi - 1 - suffix] == b[bhi - 1 - suffix]:
        suffix += 1
    ahi, bhi = ahi - suffix, bhi - suffix
    if alo < ahi or blo < bhi:
        _align_middle(a, b, alo, ahi, blo, bhi, out)
    if suffix:
        out.append(("equal", ahi, ahi + suffix, bhi, bhi + suffix))


def _align_middle(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int, out: list[Opcode]
) -> None:
    if alo == ahi or blo == bhi:
        out.append(("insert" if alo == ahi else "delete", alo, ahi, blo, bhi))
        return
    anchors = [] if (ahi - alo) * (bhi - blo) <= DIRECT_LIMIT else _unique_anchors(a, b, alo, ahi, blo, bhi)
    if not anchors:
        # Small enough, or nothing unique to anchor on: difflib (with its heuristic when it is big).
        big = (ahi - alo) * (bhi - blo) > DIRECT_LIMIT * 50
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=big)
        out.extend(
            (tag, i1 + alo, i2 + alo, j1 + blo, j2 + blo) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        )
        return
    i, j = alo, blo
    for anchor_i, anchor_j in anchors:
        _align(a, b, i, anchor_i, j, anchor_j, out)
        out.append(("equal", anchor_i, anchor_i + 1, anchor_j, anchor_j + 1))
        i, j = anchor_i + 1, anchor_j + 1
    _align(a, b, i, ahi, j, bhi, out)


def _unique_anchors(
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Positions of the elements found exactly once on each side, longest run in the same order on both."""
    once_a: dict[Hashable, int] = {}  # element -> its position, or -1 when it occurs more than once
    for i in range(alo, ahi):
        once_a[a[i]] = -1 if a[i] in once_a else i
    once_b: dict[Hashable, int] = {}
    for j in range(blo, bhi):
        if b[j] in once_a:
            once_b[b[j]] = -1 if b[j] in once_b else j
    pairs = sorted((once_a[item], j) for item, j in once_b.items() if j >= 0 and once_a[item] >= 0)
    return _longest_increasing(pairs)


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of `pairs` (sorted by first) whose second elements increase (patience sorting)."""
    tails: list[int] = []  # tails[k]: the smallest second element ending an increasing run of length k + 1
    tail_at: list[int] = []  # index in `pairs` of that element
    back: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        back[index] = tail_at[k - 1] if k else -1
        if k == len(tails):
            tails.append(j)
            tail_at.append(index)
        else:
            tails[k], tail_at[k] = j, index
    result = []
    index = tail_at[-1] if tail_at else -1
    while index >= 0:
        result.append(pairs[index])
        index = back[index]
    return result[::-1]


# --- blocks -----------------------------------------------------------------------------------------------


def _folded(block: Block) -> str:
    return fold_typography(block.text).casefold()


class BlockPairing:
    """Aligns two block lists and pairs what the alignment left over (see the module docstring)."""

    def __init__(self, old: Sequence[Block], new: Sequence[Block]) -> None:
        self.old, self.new = old, new
        # Folded once, when first compared (most blocks are unchanged and never are): pairing and widening
        # read the same texts many times.
        self._old_folded: dict[int, str] = {}
        self._new_folded: dict[int, str] = {}
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
        self.result: list[tuple[EditKind, list[int], list[int]]] = []
        self._pair_identical(old_lines, new_lines)
        for olds, news in self.regions:
            self._pair_in_gap(olds, news)
        self._pair_moved_with_edit()
        self.result.extend(("removed", [i], []) for i in sorted(self.free_old))
        self.result.extend(("added", [], [j]) for j in sorted(self.free_new))
        self.place_anchors()

    def place_anchors(self) -> None:
        """Recompute where removed blocks sit (again after monitor.reflow rewrote the result)."""
        # For each old block: just after its last kept neighbour in the new text.
        self._anchors: list[float] = []
        last = -0.5
        for index in range(len(self.old)):
            self._anchors.append(last)
            if index in self.new_position:
                last = self.new_position[index] + 0.5

    def anchor(self, old_index: int) -> float:
        """Where a removed block would have been in the new document."""
        return self._anchors[old_index]

    def _take(self, kind: EditKind, olds: list[int], news: list[int]) -> None:
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
        for score, i, j in self._best_pairs(olds, news, PAIR_SCORE):
            old_index, new_index = olds[i], news[j]
            if old_index in self.free_old and new_index in self.free_new:
                old_span, new_span = self._widen([old_index], [new_index], score)
                self._take("modified", old_span, new_span)

    def _widen(self, olds: list[int], news: list[int], score: float) -> tuple[list[int], list[int]]:
        """Grow a pair into a split (one old block ~ several new ones) or a merge, while that fits better.
        Free neighbours are always in the same gap: the alignment never puts two gaps side by side."""
        while len(olds) + len(news) < SPAN_LIMIT + 1:
            candidates = []
            for j in (news[0] - 1, news[-1] + 1):
                if j in self.free_new and len(olds) == 1:
                    candidates.append((olds, sorted([*news, j])))
            for i in (olds[0] - 1, olds[-1] + 1):
                if i in self.free_old and len(news) == 1:
                    candidates.append((sorted([*olds, i]), news))
            # A candidate whose lengths alone keep it from beating the pair by 2 is never scored.
            scored = (
                (self._score(o, n), o, n) for o, n in candidates if self._best_possible(o, n) > score + 2
            )
            best = max(scored, default=None)
            if best is None or best[0] <= score + 2:
                return olds, news
            score, olds, news = best
        return olds, news

    def _best_possible(self, olds: list[int], news: list[int]) -> float:
        """The highest ratio texts of these lengths can have: all of the shorter one matched (a hair above,
        so that rounding never makes a candidate look hopeless that is not)."""
        old_length = sum(len(self._old_text(i)) for i in olds) + len(olds) - 1
        new_length = sum(len(self._new_text(j)) for j in news) + len(news) - 1
        total = old_length + new_length
        return 100.0 if total == 0 else 200.0 * min(old_length, new_length) / total + 1e-6

    def _score(self, olds: list[int], news: list[int]) -> float:
        old_text = " ".join(self._old_text(i) for i in olds)
        new_text = " ".join(self._new_text(j) for j in news)
        return fuzz.ratio(old_text, new_text)

    def _old_text(self, i: int) -> str:
        if i not in self._old_folded:
            self._old_folded[i] = _folded(self.old[i])
        return self._old_folded[i]

    def _new_text(self, j: int) -> str:
        if j not in self._new_folded:
            self._new_folded[j] = _folded(self.new[j])
        return self._new_folded[j]

    def _pair_moved_with_edit(self) -> None:
        olds = [i for i in sorted(self.free_old) if len(self.old[i].text.split()) >= MOVE_MIN_WORDS]
        news = [j for j in sorted(self.free_new) if len(self.new[j].text.split()) >= MOVE_MIN_WORDS]
        if not olds or not news:
            return
        for _, i, j in self._best_pairs(olds, news, MOVE_SCORE):
            if olds[i] in self.free_old and news[j] in self.free_new:
                self._take("moved", [olds[i]], [news[j]])

    def _best_pairs(
        self, olds: list[int], news: list[int], cutoff: float
    ) -> Iterator[tuple[float, int, int]]:
        """Candidate pairs of these old and new blocks, best first, as `monitor.diff.candidates` finds them."""
        return best_pairs(
            [self._old_text(i) for i in olds],
            [self._new_text(j) for j in news],
            cutoff,
            lambda i: olds[i] in self.free_old,
            lambda j: news[j] in self.free_new,
        )
