"""Reflow-proof alignment: the same words regrouped into other blocks are matched as words, not blocks.

Meta turned the "Legal basis information" tables (cells holding lists) into headings and lists on
16 December 2025. Block pairing (monitor.diff.align) compares whole blocks, so each old row came out
"removed" and each new heading or item "added": 1,147 substantive changes for a few hundred changed words.

Here each gap the block alignment left is read again as a reader reads it: the words of its blocks, in
order, on each side (case, typography, punctuation and list numbering folded, as `cosmetic_key` does),
word-aligned with `opcodes`. Wherever a block boundary falls at the same place on both sides of that
alignment the gap is cut, so every piece ("chunk") is a run of whole old blocks against a run of whole new
blocks. A chunk whose words read the same is cosmetic; neighbouring cosmetic chunks become one
`restructured` change; a chunk with different words is a `modified` (or `added`/`removed`) change whose
word operations show only the words that changed. The result replaces the gap's block pairing only when
it reports fewer substantive words, so ordinary edits keep their block-by-block changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import zip_longest

from monitor.diff.align import BlockPairing, EditKind, opcodes
from monitor.diff.classify import classify, cosmetic_key
from monitor.models import Block

Span = tuple[EditKind, list[int], list[int]]


def regroup(pairs: BlockPairing) -> None:
    """Rewrite `pairs.result` gap by gap where the word alignment reports less than the block pairing."""
    gap_of_old = {i: g for g, (olds, _) in enumerate(pairs.regions) for i in olds}
    gap_of_new = {j: g for g, (_, news) in enumerate(pairs.regions) for j in news}
    by_gap: dict[int, list[Span]] = {}
    crossing_old: set[int] = set()  # blocks moved to or from another gap: they stay moves
    crossing_new: set[int] = set()
    for entry in pairs.result:
        kind, olds, news = entry
        gaps = {gap_of_old[i] for i in olds} | {gap_of_new[j] for j in news}
        if len(gaps) == 1:
            by_gap.setdefault(gaps.pop(), []).append(entry)
        else:
            crossing_old.update(olds)
            crossing_new.update(news)
    kept = [entry for entry in pairs.result if set(entry[1]) & crossing_old or set(entry[2]) & crossing_new]
    for gap, entries in by_gap.items():
        replacement = None
        if any(kind in ("added", "removed") for kind, _, _ in entries):
            replacement = _reflow_gap(pairs, gap, entries, crossing_old, crossing_new)
        if replacement is not None:  # the gap's old pairing goes, its positions with it
            for _, olds, _ in entries:
                for i in olds:
                    pairs.new_position.pop(i, None)
        for kind, olds, news in entries if replacement is None else replacement:
            kept.append((kind, olds, news))
            if kind != "moved":
                pairs.new_position.update(zip(olds, news, strict=False))
    pairs.result = kept
    pairs.place_anchors()


def _reflow_gap(
    pairs: BlockPairing, gap: int, current: list[Span], crossing_old: set[int], crossing_new: set[int]
) -> list[Span] | None:
    gap_olds, gap_news = pairs.regions[gap]
    olds = [i for i in gap_olds if i not in crossing_old]
    news = [j for j in gap_news if j not in crossing_new]
    # Only a clear gain: in a small gap a common word ("at", "the") matched across two blocks saves a
    # token or two, and the block pairing then reads better (a reworded sentence, then a new section).
    worth = 0.9 * _cost(pairs, current) - 3
    if _fewest_changed(pairs, olds, news) > worth:
        return None  # no word alignment can gain enough: spared aligning the gap word by word
    chunks, cost = chunk_blocks(pairs.old, pairs.new, olds, news)
    if cost > worth:
        return None
    result: list[Span] = []
    run: list[tuple[list[int], list[int]]] = []  # consecutive cosmetic chunks, to become one change

    def close_run() -> None:
        # Cosmetic edits of single blocks stay what they are; a run that regroups blocks is one change.
        if all(_one_to_one(pairs, o, n) for o, n in run):
            result.extend(("modified", o, n) for o, n in run)
        else:
            result.append(("restructured", [i for o, _ in run for i in o], [j for _, n in run for j in n]))
        run.clear()

    for chunk_olds, chunk_news in chunks:
        old_text = _joined(pairs.old, chunk_olds)
        new_text = _joined(pairs.new, chunk_news)
        if len(chunk_olds) == len(chunk_news) == 1 and pairs.old[chunk_olds[0]] == pairs.new[chunk_news[0]]:
            close_run()  # the very same block: kept, as the line alignment would have kept it
            pairs.unchanged[chunk_olds[0]] = pairs.new_position[chunk_olds[0]] = chunk_news[0]
        elif chunk_olds and chunk_news and _same_words(pairs, chunk_olds, chunk_news, old_text, new_text):
            run.append((chunk_olds, chunk_news))
        else:
            close_run()
            kind: EditKind = (
                "modified" if chunk_olds and chunk_news else ("added" if chunk_news else "removed")
            )
            result.append((kind, chunk_olds, chunk_news))
    close_run()
    return result


def _one_to_one(pairs: BlockPairing, olds: list[int], news: list[int]) -> bool:
    if len(olds) != 1 or len(news) != 1:
        return False
    before, after = pairs.old[olds[0]], pairs.new[news[0]]
    return (before.kind, before.level) == (after.kind, after.level)


def _joined(blocks: Sequence[Block], indices: list[int]) -> str:
    return "\n\n".join(blocks[index].text for index in indices)


def _key(blocks: Sequence[Block], indices: list[int]) -> list[str]:
    # cosmetic_key works each text out once per diff (diff_documents keeps the keys)
    return [token for index in indices for token in cosmetic_key(blocks[index].text)]


def _same_words(pairs: BlockPairing, olds: list[int], news: list[int], old_text: str, new_text: str) -> bool:
    """Cosmetic by the rule of monitor.diff.classify (the per-block keys first: they are at hand)."""
    return _key(pairs.old, olds) == _key(pairs.new, news) and classify(old_text, new_text) == "cosmetic"


def _cost(pairs: BlockPairing, entries: list[Span]) -> int:
    """Folded words the block pairing reports as changed for these changes (a move within the gap counts
    too: the word alignment would have matched those words in place)."""
    total = 0
    for _, olds, news in entries:
        old_key, new_key = _key(pairs.old, olds), _key(pairs.new, news)
        if not (olds and news):
            total += len(old_key) + len(new_key)
        elif classify(_joined(pairs.old, olds), _joined(pairs.new, news)) == "substantive":
            total += changed_tokens(old_key, new_key)
    return total


def _fewest_changed(pairs: BlockPairing, olds: list[int], news: list[int]) -> int:
    """A floor under the cost `chunk_blocks` finds: an alignment matches a word at most as often as it occurs
    on the side where it is rarer, so every other occurrence is deleted or inserted whatever the alignment.
    When every block of a long gap is edited (one gap, nothing unchanged to cut it at), this spares aligning
    the whole document word by word to learn that the block pairing reads better."""
    counts = Counter(_key(pairs.old, olds))
    counts.subtract(_key(pairs.new, news))
    return sum(abs(count) for count in counts.values())


def changed_tokens(old: Sequence[str], new: Sequence[str]) -> int:
    """Tokens deleted plus tokens inserted by the alignment of two token lists."""
    return len(old) + len(new) - 2 * sum(i2 - i1 for tag, i1, i2, _, _ in opcodes(old, new) if tag == "equal")


def chunk_blocks(
    old: Sequence[Block], new: Sequence[Block], olds: list[int], news: list[int]
) -> tuple[list[tuple[list[int], list[int]]], int]:
    """Cut two runs of blocks where a block boundary falls at the same place in both sides' word alignment.
    A block moved to or from elsewhere may sit inside a piece: that piece is cut around it. Also returns
    the number of folded words the alignment found changed."""
    old_tokens, old_starts = _tokens(old, olds)
    new_tokens, new_starts = _tokens(new, news)
    old_cut, new_cut = set(old_starts) | {len(old_tokens)}, set(new_starts) | {len(new_tokens)}
    cuts: list[tuple[int, int]] = [(0, 0)]

    def visit(i: int, j: int) -> None:
        if i in old_cut and j in new_cut and cuts[-1] != (i, j):
            cuts.append((i, j))

    changed = len(old_tokens) + len(new_tokens)
    for tag, i1, i2, j1, j2 in opcodes(old_tokens, new_tokens):
        if tag == "equal":
            changed -= 2 * (i2 - i1)
            for k in range(i2 - i1 + 1):
                visit(i1 + k, j1 + k)
        elif tag == "insert":
            for j in range(j1, j2 + 1):
                visit(i1, j)
        elif tag == "delete":
            for i in range(i1, i2 + 1):
                visit(i, j1)
        else:
            visit(i2, j2)
    visit(len(old_tokens), len(new_tokens))
    if len(cuts) < 2:
        cuts.append((len(old_tokens), len(new_tokens)))
    chunks: list[tuple[list[int], list[int]]] = [([], []) for _ in range(len(cuts) - 1)]
    _assign(olds, old_starts, [i for i, _ in cuts], chunks, 0)
    _assign(news, new_starts, [j for _, j in cuts], chunks, 1)
    result: list[tuple[list[int], list[int]]] = []
    for chunk_olds, chunk_news in chunks:
        # Runs of consecutive blocks on each side, paired in order (a change covers consecutive blocks).
        result.extend(zip_longest(_runs(chunk_olds), _runs(chunk_news), fillvalue=[]))
    return [chunk for chunk in result if chunk[0] or chunk[1]], changed


def _runs(indices: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for index in indices:
        if runs and runs[-1][-1] == index - 1:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def _tokens(blocks: Sequence[Block], indices: list[int]) -> tuple[list[str], list[int]]:
    tokens: list[str] = []
    starts: list[int] = []
    for index in indices:
        starts.append(len(tokens))
        tokens.extend(cosmetic_key(blocks[index].text))
    return tokens, starts


def _assign(
    indices: list[int],
    starts: list[int],
    positions: list[int],
    chunks: list[tuple[list[int], list[int]]],
    side: int,
) -> None:
    """Each block goes to the last chunk starting at or before its first word (a block without words, such
    as a lone bullet, to the chunk that starts where it sits)."""
    last = len(chunks) - 1
    for index, start in zip(indices, starts, strict=True):
        chunk = min(bisect_right(positions, start) - 1, last)
        chunks[chunk][side].append(index)


def describe(old_blocks: Sequence[Block], new_blocks: Sequence[Block]) -> str:
    """'table (12 rows) → 3 headings, 37 list items, same words': what a restructured change regrouped."""
    return f"{_shape(old_blocks)} → {_shape(new_blocks)}, same words"


_NAMES = {
    "row": ("table row", "table rows"),
    "item": ("list item", "list items"),
    "heading": ("heading", "headings"),
}


def _shape(blocks: Sequence[Block]) -> str:
    counts: dict[str, int] = {}
    for block in blocks:
        counts[block.kind] = counts.get(block.kind, 0) + 1
    parts = []
    for kind, count in counts.items():
        one, many = _NAMES.get(kind, ("paragraph", "paragraphs"))
        parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts) or "nothing"
