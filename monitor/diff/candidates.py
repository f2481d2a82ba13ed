"""Candidate pairs for block pairing, best first, without ever collecting every pair.

`BlockPairing` takes pairs greedily, best first: a pair is taken when both of its blocks are still free. Collecting
and sorting every pair above the cutoff made that quadratic in memory and time (2,000 similar blocks, all
edited: 2.7 million candidates, 25 s). Here each old block keeps only its best few candidates (`BATCH`), in one
heap for all blocks; only when all of an old block's candidates were taken by others, and it is still free, are
its next best fetched, among the new blocks still free. The pairs come out in exactly the order the full sort
gave them, so the pairing is the same.

Scoring every pair (rapidfuzz's ratio, in C) is itself quadratic: fine up to `EXACT_LIMIT` comparisons per
call, 2 s on 2,000 x 2,000 blocks of 200 characters. Above it an index on word shingles (words and word
pairs, the rarest first), and the blocks at the same relative position, names each old block's likeliest candidates and only those are scored: a block
that shares no distinctive words with another is not its edit.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from itertools import islice

from rapidfuzz import fuzz, process

BATCH = 4  # candidates kept per old block at a time
EXACT_LIMIT = 400_000  # comparisons up to which every pair within reach of the cutoff is scored
SCAN_BUDGET = 256  # index postings read per old block (rarest shingles first) when the index is used
INDEX_CANDIDATES = 12  # candidates the index names per old block at a time, scored exactly
NEIGHBOURS = 2  # new blocks either side of an old block's relative position, always candidates with the index
NEAR_ENOUGH = 90.0  # a neighbour this similar is taken as the edit in place without reading the index
NEAR_EDIT = 24  # ... or one this few characters away (short blocks: a word added to a heading)

Pair = tuple[float, int, int]  # (score, old, new)


def best_pairs(
    olds: Sequence[str],
    news: Sequence[str],
    cutoff: float,
    old_free: Callable[[int], bool],
    new_free: Callable[[int], bool],
) -> Iterator[Pair]:
    """(score, old, new) pairs at or above `cutoff`, best first (ties: nearest relative positions first, then
    the lower old index, then the shorter new text), as the consumer takes them: `old_free`/`new_free` say
    which blocks (by index into `olds`/`news`) the consumer has not taken yet; they are asked between pairs.

    Only lengths that can reach the cutoff are compared: ratio = 2·matches / (len a + len b) <= 2·shorter /
    (sum), so a block more than (200 - cutoff) / cutoff times longer than another cannot match it."""
    if not olds or not news:
        return
    by_length = sorted(range(len(news)), key=lambda j: len(news[j]))
    rank = [0] * len(news)
    for r, j in enumerate(by_length):
        rank[j] = r
    lengths = [len(news[j]) for j in by_length]
    stretch = (200 - cutoff) / cutoff
    windows = [
        (bisect_left(lengths, len(text) / stretch), bisect_right(lengths, len(text) * stretch))
        for text in olds
    ]
    exact = sum(high - low for low, high in windows) <= EXACT_LIMIT
    index = None if exact else _ShingleIndex(news)

    def key(score: float, i: int, j: int) -> tuple[float, float, int, int]:
        return (-score, abs(i / len(olds) - j / len(news)), i, rank[j])

    rankings: dict[int, Iterator[int]] = {}  # per old block, with the index: the candidates not yet scored

    def batch(i: int, skip: set[int]) -> list[tuple[float, int]]:
        """The next best (score, new) of old block `i`: all of those scoring at least the BATCH-th best."""
        low, high = windows[i]
        if index is not None:
            first: list[int] = []
            if i not in rankings:
                near = round(i * (len(news) - 1) / max(1, len(olds) - 1))
                around = range(max(0, near - NEIGHBOURS), min(len(news), near + NEIGHBOURS + 1))
                first = [j for j in around if low <= rank[j] < high]
                rankings[i] = index.ranking(olds[i], around)
            usable = (j for j in rankings[i] if low <= rank[j] < high and new_free(j))
            found: list[tuple[float, int]] = []
            # The blocks around its position first: when one of them is nearly the same block (an edit in
            # place), the shingles are not read for this batch.
            for stage in (first, None):
                choices = stage if stage is not None else list(islice(usable, INDEX_CANDIDATES))
                texts = [news[j] for j in choices]
                scored = process.extract(olds[i], texts, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
                found.extend((score, choices[k]) for _, score, k in scored)
                if any(near_enough(olds[i], news[j], score) for score, j in found):
                    break
            if not found and choices:  # none of these: the next ones of the ranking
                return batch(i, skip)
            return found
        if skip:
            choices = [j for j in by_length[low:high] if j not in skip and new_free(j)]
        else:  # the first batch: every new block is still free
            choices = by_length[low:high]
        texts = [news[j] for j in choices]
        top = process.extract(olds[i], texts, scorer=fuzz.ratio, score_cutoff=cutoff, limit=BATCH + 1)
        if len(top) > BATCH:
            floor = top[BATCH - 1][1]
            if top[BATCH][1] == floor:  # a tie across the cut: take every candidate of that score
                # (a little below it: rapidfuzz's batch cutoff is not exact at the score itself)
                ties = process.extract_iter(olds[i], texts, scorer=fuzz.ratio, score_cutoff=floor - 0.01)
                top = [item for item in ties if item[1] >= floor]
            else:
                top = top[:BATCH]
        return [(score, choices[k]) for _, score, k in top]

    heap: list[tuple[tuple[float, float, int, int], int, bool]] = []
    seen: dict[int, set[int]] = defaultdict(set)

    def push(i: int) -> None:
        entries = sorted((key(score, i, j), j) for score, j in batch(i, seen[i]))
        seen[i].update(j for _, j in entries)
        for position, (entry_key, j) in enumerate(entries):
            heapq.heappush(heap, (entry_key, j, position == len(entries) - 1))

    for i in range(len(olds)):
        push(i)
    while heap:
        entry_key, j, last = heapq.heappop(heap)
        i = entry_key[2]
        yield -entry_key[0], i, j
        # Every candidate of `i` so far is taken (or `i` is): the next ones score lower than all of them.
        if last and old_free(i):
            push(i)


def near_enough(old: str, new: str, score: float) -> bool:
    """Nearly the same block: a ratio of NEAR_ENOUGH, or (a short block) at most NEAR_EDIT characters
    inserted or deleted."""
    return score >= NEAR_ENOUGH or (100 - score) / 100 * (len(old) + len(new)) <= NEAR_EDIT


class _ShingleIndex:
    """New blocks by their words and word pairs: which blocks share an old block's rarest ones."""

    def __init__(self, news: Sequence[str]) -> None:
        self.postings: dict[str, list[int]] = defaultdict(list)
        for j, text in enumerate(news):
            for shingle in _shingles(text):
                self.postings[shingle].append(j)

    def ranking(self, text: str, skip: range) -> Iterator[int]:
        """New blocks (but those in `skip`) in the order they are worth scoring against `text`: those sharing
        the most of its rarest shingles first. Read only when first asked for."""
        lists = sorted((self.postings[s] for s in _shingles(text) if s in self.postings), key=len)
        read: list[int] = []
        for posting in lists:
            if len(read) >= SCAN_BUDGET:
                break
            read.extend(posting[: SCAN_BUDGET - len(read)] if read else posting[:SCAN_BUDGET])
        yield from (j for j, _ in Counter(read).most_common() if j not in skip)


def _shingles(text: str) -> set[str]:
    """Words and word pairs: the pairs are the rarer, the words match a short block's edit."""
    words = text.split()
    return {*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))}
