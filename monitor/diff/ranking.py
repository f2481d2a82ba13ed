"""Which changes a reader reads first: the order of the summary's highlights ("Read first").

What a person must read is what is new to them, so every change is weighed by its new words
(monitor.diff.novelty), never by the words it only regrouped or moved:
1. changes that touch a watched clause, term or section;
2. new sections, then passages new in substance (added text, half of it or more in words the old version
   never had);
3. reworded sentences whose new or lost words carry a signal word (may, not, all ...) or a topic (AI,
   sharing, objection ...);
4. the rest.
A change with no new word at all (a table that became paragraphs, a list that became lines, a footnote that
moved with its sentence, a label repeated over regrouped rows) is never among them; a block moved unchanged
under another heading is, among the rest. Within a group, edits about more topics and signal words come
first, then those with more new words, then the earlier. The same new words edited in several places are
read once, and each section gives one highlight before any gives a second. The date line is the summary's
own (`ChangeSummary.effective`), not a highlight.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from monitor.diff.core import Change, DocumentDiff
from monitor.diff.novelty import Novel, Novelty, tokens
from monitor.diff.signals import changed_spans, find_signals, signals_in
from monitor.diff.topics import topics_in

SECTION, PASSAGE, REWORDED, REST = 4, 3, 2, 1  # the groups, most urgent first (watched ones above all)


@dataclass(frozen=True, slots=True)
class Candidate:
    order: int  # place in the diff
    change: Change
    novel: Novel
    rank: tuple[int, ...]

    @property
    def topics(self) -> tuple[str, ...]:
        """The topics of the new words, else of the text around them."""
        change = self.change
        return topics_in(self.novel.text(change.old or "", change.new or "")) or topics_in(
            change.new or change.old or ""
        )

    @property
    def signals(self) -> tuple[str, ...]:
        """The signal words among the new words, each once (a block moved unchanged: those it was given)."""
        seen: dict[str, str] = {}
        for word, _ in _signal_words(self.change, self.novel):
            seen.setdefault(word.casefold(), word)
        return tuple(seen.values())


def read_first(
    diff: DocumentDiff, changes: Sequence[Change], watched: Callable[[Change], int], limit: int
) -> list[Candidate]:
    """At most `limit` of `changes` (the substantive ones of `diff`) to read first, in document order.
    `watched(change)`: how many watches the change touches."""
    if limit <= 0:
        return []
    novelty = Novelty(diff.old, diff.new)
    added = tuple(diff.structure.get("sections_added", ()))
    updated = diff.structure.get("metadata", {}).get("updated") or {}
    # Best first: each change waits with a rank its new words cannot beat, and its words are weighed only
    # when it comes up, so a big update weighs the few changes that can be read first, not all of them.
    waiting: list[tuple[tuple[int, ...], int, Candidate | None]] = []
    for order, change in enumerate(changes):
        if (change.old, change.new) != (updated.get("old"), updated.get("new")):  # the date line: said first
            waiting.append((_negated(_bound(order, change, watched(change), added)), order, None))
    heapq.heapify(waiting)

    def ranked() -> Iterator[Candidate]:
        while waiting:
            _, order, weighed = heapq.heappop(waiting)
            if weighed is not None:
                yield weighed
                continue
            change = changes[order]
            novel = novelty.of(change.kind, change.old, change.new, change.ops)
            moved_away = change.kind == "moved" and change.section != change.old_section
            if novel or moved_away:
                candidate = _weigh(order, change, novel, watched(change), added)
                heapq.heappush(waiting, (_negated(candidate.rank), order, candidate))

    return sorted(_spread(ranked(), limit), key=lambda candidate: candidate.order)


def _negated(rank: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-value for value in rank)


def _bound(order: int, change: Change, watches: int, added: tuple[str, ...]) -> tuple[int, ...]:
    """A rank `_weigh` cannot exceed for this change, whatever of its edited words are new: as if all were."""
    edited = " ".join(_edited(change))
    topics = len(topics_in(edited))
    strong = sum(1 for word in change.signals if _category(word) not in _WEAK)
    weight = 3 * topics + len(topics_in(change.new or change.old or "")) + strong + _SLACK
    if change.kind == "added":
        path = change.section_path
        if any(path == section or path.startswith(section + " › ") for section in added):
            return (watches, SECTION, 1, weight, 60, -order)
        return (watches, PASSAGE, 1, weight, 60, -order)
    group = REWORDED if topics or strong else REST
    return (watches, group, _kind_rank(change), weight, 60, -order)


_SLACK = 2  # a signal word's category read alone may differ from the one it has in its sentence


def _edited(change: Change) -> list[str]:
    if change.kind in ("added", "removed") or not change.ops:
        return [change.new or change.old or ""]
    old_spans, new_spans = changed_spans(change.ops)
    old, new = change.old or "", change.new or ""
    return [*(old[a:b] for a, b in old_spans), *(new[a:b] for a, b in new_spans)]


def _weigh(order: int, change: Change, novel: Novel, watches: int, added: tuple[str, ...]) -> Candidate:
    text = novel.text(change.old or "", change.new or "")
    topics = len(topics_in(text))
    strong = {word.casefold() for word, category in _signal_words(change, novel) if category not in _WEAK}
    weight = 3 * topics + len(topics_in(change.new or change.old or "")) + len(strong)
    new = change.kind == "added" and 2 * len(novel) >= len(tokens(change.new or ""))
    path = change.section_path
    if new and any(path == section or path.startswith(section + " › ") for section in added):
        # a new section is read from a passage that says something, not from its heading
        rank = (SECTION, int(_sentence(change)), weight)
    elif new and (topics or strong) and (_sentence(change) or change.new_blocks[0].kind == "item"):
        rank = (PASSAGE, 0, weight)  # a new label (no sentence) is not a passage
    else:
        rank = (REWORDED if topics or strong else REST, _kind_rank(change), weight)
    return Candidate(order, change, novel, (watches, *rank, min(len(novel), 60), -order))


def _kind_rank(change: Change) -> int:
    """A sentence edited in place reads best; then text that came or went, or was edited while regrouped
    (split, merged, a table become paragraphs); a block moved elsewhere last."""
    if change.kind == "modified" and len(change.old_blocks) == len(change.new_blocks) == 1:
        return 2
    return 1 if change.kind in ("modified", "added", "removed") else 0


# The end of a sentence, before closing quotes, brackets and footnote references: "... shared[44]."
_SENTENCE_END = re.compile(r"[.!?:;…][\s\"'”’)\]]*(?:\[\d{1,3}\][\s\"'”’)\]]*)?$")


def _sentence(change: Change) -> bool:
    """Whether the change's text ends as a sentence does (a heading or a label does not)."""
    blocks = change.new_blocks or change.old_blocks
    return bool(blocks) and blocks[-1].kind != "heading" and bool(_SENTENCE_END.search(blocks[-1].text))


def _spread(ranked: Iterator[Candidate], limit: int) -> list[Candidate]:
    """The first `limit` by rank, each section (by its heading) once before any twice; a change whose every
    run of new words is already chosen (the same edit made in several places) is left out. Watched changes
    are taken whatever their section."""
    chosen: list[Candidate] = []
    seen: set[tuple[str, ...]] = set()
    headings: set[str] = set()

    def take(candidates: Iterable[Candidate], *, spread: bool) -> list[Candidate]:
        passed = []
        for candidate in candidates:
            if len(chosen) == limit:
                break
            runs = candidate.novel.runs
            if runs and seen.issuperset(runs):
                continue
            heading = candidate.change.section[-1] if candidate.change.section else ""
            if spread and heading in headings and not candidate.rank[0]:
                passed.append(candidate)
                continue
            chosen.append(candidate)
            seen.update(runs)
            headings.add(heading)
        return passed

    take(take(ranked, spread=True), spread=False)
    return chosen


def _signal_words(change: Change, novel: Novel) -> list[tuple[str, str]]:
    """(word, category) of the signals among the new words (of a block moved unchanged: its own signals)."""
    if not novel:
        return [(word, _category(word)) for word in change.signals]
    found = [
        *(signals_in(change.old or "", novel.old_spans) if novel.old_spans else ()),
        *(signals_in(change.new or "", novel.new_spans) if novel.new_spans else ()),
    ]
    return [(" ".join(signal.word.split()), signal.category) for signal in found]


def _category(word: str) -> str:
    found = find_signals(word)
    return found[0].category if found else "number"


# A number or a date changes often and says little until read in its sentence: not enough to read first.
_WEAK = frozenset({"number", "date"})
