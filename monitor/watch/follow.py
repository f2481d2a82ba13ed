"""A clause's successor in a new version: the sentence that took its place, found by what it is, not by its
string alone.

The fuzzy search (locate.py) finds a clause that kept most of its words. A clause rewritten more deeply is
still the same clause when the new version puts a new sentence where it stood: the diff paired (or split, or
merged) the block that held it with new blocks, and a sentence in those blocks is new text between the same
neighbours; or, where the diff saw no pairing, a new sentence stands between the same two sentences. The
fuzzy score is then one signal among these (a sentence with few words in common, but the old neighbours on
both sides, is the successor; one with neither a neighbour nor many shared words is not).

Only new text can be a successor: a sentence that was already on the old page (the old neighbour itself, or
a sentence the paragraph kept) is never taken for the clause, so a clause deleted from a paragraph whose
other sentences stay is `removed`, not "changed into its neighbour".

Each successor carries `reason`, the plain words an alert gives for believing the new sentence is the old one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz

from monitor.extract.wording import fold
from monitor.watch.locate import ClauseIndex
from monitor.watch.located import Located, choose

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff

NEIGHBOUR_SCORE = 80.0  # a sentence this similar to the clause's old neighbour is that neighbour
ALIGNED_SCORE = 50.0  # in a block the diff paired with the clause's, a new sentence this similar follows it
SLOT_FLOOR = 20.0  # between the same two sentences, even a sentence this unlike the clause follows it
# A clause already reported removed comes back only as a sentence this like it: a version went by with nothing
# in its place, so new text there later is as likely new content as the clause returning.
RETURN_FLOOR = 50.0
RELOCATE_SCORE = 90.0  # the followed wording found this closely in the old version: that is where it stood
SAME_SENTENCE = 97.0  # a sentence this close to one the old version had elsewhere is that other sentence


@dataclass(frozen=True, slots=True)
class Successor:
    located: Located
    reason: str  # "same place in section “X”, between the same two sentences"


def successor(
    before: dict[str, Any],
    old: ClauseIndex | None,
    new: ClauseIndex,
    diff: DocumentDiff | None,
    *,
    origin: Located,
    returning: bool = False,
) -> Successor | None:
    """The sentence of `new` that took the place of the clause `before` followed (`origin`: where it stood),
    or None when nothing did. `returning`: the clause was gone from `old`; only its old place between its
    old neighbours is looked at."""
    wording = str(before.get("wording") or "")
    if not wording:
        return None
    if old is not None and not returning:
        origin = where_it_stood(old, wording, origin)
    fresh = _fresh(old)
    aligned = _aligned_blocks(diff, origin) if old is not None and not returning else set()
    best: tuple[tuple[int, float], Located] | None = None
    for candidate in new.windows_in(wording, aligned):
        if not fresh(candidate.text):
            continue
        sides = _same_neighbours(origin.context, candidate.context)
        if sum(sides) == 0 and candidate.score < ALIGNED_SCORE:
            continue
        key = (sum(sides), candidate.score)
        if best is None or key > best[0]:
            best = (key, candidate)
    if best is not None:
        located = best[1]
        return Successor(located, reason(origin, located, aligned=True))
    floor = RETURN_FLOOR if returning else SLOT_FLOOR
    for candidate in new.between(wording, origin.context):
        if fresh(candidate.text) and candidate.score >= floor:
            return Successor(candidate, reason(origin, candidate, aligned=False))
    return None


def own_wording(
    before: dict[str, Any], old: ClauseIndex, new: ClauseIndex, *, threshold: float, origin: Located
) -> Located | None | bool:
    """Whether the sentence the fuzzy search chose in `new` is the clause's own: True when it is, the clause's
    occurrence to follow instead, or None when every near match is a sentence that already stood elsewhere on
    the old page (a near-twin in another section is another sentence, never the clause reworded)."""
    wording = str(before.get("wording") or "")
    stood = where_it_stood(old, wording, origin)
    candidates = new.find(wording, threshold=threshold).matches
    own = [m for m in candidates if not _stood_elsewhere(old, m.text, stood)]
    if len(own) == len(candidates):
        return True
    return choose(own, near=origin)


def twin_places(
    wording: str,
    found: Located,
    old: ClauseIndex,
    diff: Callable[[], DocumentDiff | None],
    *,
    origin: Located,
) -> set[int]:
    """The new blocks where the followed wording's twins stand, when `found` (the wording met again unchanged)
    is one of them: the old page had the wording twice, and the diff paired a place that was not the clause's
    own with the blocks `found` lies in. Empty when `found` is no twin (a clause that only moved is no twin:
    the twins' places are paired with where they still stand). A reworded clause must not go unreported
    because the same sentence also stands elsewhere."""
    places = old.find(wording, threshold=RELOCATE_SCORE).matches
    if len(places) < 2:
        return set()
    own = choose(places, near=origin) or origin
    twins = [place for place in places if place.block != own.block]
    # the diff only now: a replay of stored versions (watches --history) has none and makes it on demand
    document_diff = diff()
    blocks = set().union(*(_aligned_blocks(document_diff, twin) for twin in twins))
    # a block that took both the clause and a twin (paragraphs merged) is the clause's too
    blocks -= _aligned_blocks(document_diff, own)
    return blocks if blocks.intersection(range(found.block, found.block + found.blocks)) else set()


def stood_before(old: ClauseIndex, text: str) -> bool:
    """Whether the old version already had `text` (a sentence met by a clause that was gone is then another
    sentence that stood there all along, not the clause coming back)."""
    return bool(old.find(text, threshold=SAME_SENTENCE).matches)


def _stood_elsewhere(old: ClauseIndex, text: str, stood: Located) -> bool:
    span = range(stood.block, stood.block + stood.blocks)
    return any(
        not set(span).intersection(range(m.block, m.block + m.blocks))
        for m in old.find(text, threshold=SAME_SENTENCE).matches
    )


def where_it_stood(old: ClauseIndex, wording: str, near: Located) -> Located:
    """The followed wording's place in the old version (the baseline's own record when it is not there)."""
    found = choose(old.find(wording, threshold=RELOCATE_SCORE).matches, near=near)
    return found or near


def reason(origin: Located, found: Located, *, aligned: bool) -> str:
    """Why `found` is taken for the clause that stood at `origin`, in plain words (no scores)."""
    where = f"in section “{' › '.join(found.section)}”" if found.section else "on the page"
    moved = origin.section != found.section
    before, after = _same_neighbours(origin.context, found.context)
    if before and after:
        between = "between the same two sentences"
        return f"{between} {where}" if moved else f"same place {where}, {between}"
    if before or after:
        return f"same place {where}, {'after' if before else 'before'} the same sentence"
    if aligned:
        return f"it stands in the passage that took the place of the one that held it, {where}"
    return f"most of its words are the same, {where}"


def _same_neighbours(old: tuple[str, str], new: tuple[str, str]) -> tuple[bool, bool]:
    return (
        bool(old[0] and new[0] and fuzz.ratio(old[0], new[0]) >= NEIGHBOUR_SCORE),
        bool(old[1] and new[1] and fuzz.ratio(old[1], new[1]) >= NEIGHBOUR_SCORE),
    )


def _fresh(old: ClauseIndex | None) -> Callable[[str], bool]:
    """A test: is this text new in the new version (not a sentence the old version already had)?"""
    if old is None:
        return lambda text: True
    return lambda text: not old.holds(fold(text))


def _aligned_blocks(diff: DocumentDiff | None, origin: Located) -> set[int]:
    """The new blocks the diff paired, split or merged the clause's old blocks into."""
    if diff is None:
        return set()
    span = set(range(origin.block, origin.block + origin.blocks))
    blocks: set[int] = {new for old, new in diff.unchanged if old in span}
    for change in diff.changes:
        if change.old_index is None or change.new_index is None:
            continue
        olds = range(change.old_index, change.old_index + len(change.old_blocks))
        if span.intersection(olds):
            blocks.update(range(change.new_index, change.new_index + len(change.new_blocks)))
    return blocks
