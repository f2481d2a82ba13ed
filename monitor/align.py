"""Sequence alignment that stays fast on long inputs: patience diff with difflib for the small pieces.

difflib.SequenceMatcher (without its junk heuristic, which would drop frequent tokens such as spaces) is
quadratic in the worst case: a 37,000-character paragraph of a real Llama terms page took 9 s. Patience
diff (Bram Cohen's; also git's --patience) first matches the elements that occur exactly once on each
side, keeps the longest run of them that is in the same order on both sides, and recurses into the
gaps between those anchors. Gaps small enough for difflib go to difflib.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Hashable, Sequence
from difflib import SequenceMatcher

Opcode = tuple[str, int, int, int, int]
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
