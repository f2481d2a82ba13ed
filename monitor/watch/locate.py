"""Find a quoted passage in a document, fuzzily: the clause watch's eyes.

Both sides are compared folded (normalize_text, fold_typography, casefold), so non-breaking spaces,
typographic quotes and letter case never matter. The document is cut into sentences (never across a
block); candidate windows are runs of consecutive sentences, possibly crossing block boundaries (a
clause reflowed into two paragraphs is still one match), of roughly the passage's length. rapidfuzz
scores every window in one C loop; sentences much longer than the passage are scored with
`partial_ratio`, so a passage quoted from the middle of a sentence is found too.

A match is always reported as whole sentences of the page (the exact page text): a qualifier added at
the end of the watched sentence is part of what changed, not something to align around. What a search
gives (`Located`, `Search`) and which occurrence a watch follows (`choose`): located.py.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from rapidfuzz import fuzz, process

from monitor.extract.normalize import fold_typography
from monitor.extract.wording import fold
from monitor.models import Document
from monitor.watch.located import Located, Search

# A sentence ends at . ! ? or … (optionally followed by closing quotes or brackets) before a space.
_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*\s+")
_WORD = re.compile(r"\S+")
_LETTER = re.compile(r"[^\W\d_]")
LONG_SENTENCE = 1.3  # sentences longer than this many passage lengths are scored with partial_ratio
PREFILTER = 60  # token_set_ratio a sentence needs to start a candidate window
PREFILTER_LAST_RESORT = 30  # when nothing passes: still find the best near-match to report
MAX_SPAN_FACTOR = 3
CONTEXT_CHARS = 120  # beyond this many passage lengths, a "sentence" (a run-on table cell) is trimmed


class ClauseIndex:
    """A document prepared once for any number of passages."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._sections = document.sections()
        self._is_heading = [block.kind == "heading" for block in document.blocks]
        self._original: list[str] = []  # per block: the page text
        self._folded: list[str] = []  # per block: folded text
        self._maps: list[list[int] | None] = []  # per block: folded index -> original index (None: identity)
        self._units: list[tuple[int, int, int]] = []  # sentences: (block, folded start, folded end)
        total = 0
        self._block_offset: list[int] = []
        for block_index, block in enumerate(document.blocks):
            original = block.text
            # Block text is already normalized; folding only ever expands (ß -> ss), so an equal length
            # means every character kept its index.
            folded = _fold_each(original)
            mapping = None if len(folded) == len(original) else _char_map(original)
            self._original.append(original)
            self._folded.append(folded)
            self._maps.append(mapping)
            self._block_offset.append(total)
            total += len(folded) + 1
            start = 0
            for end_match in _SENTENCE_END.finditer(folded):
                self._units.append((block_index, start, end_match.start() + len(end_match.group().rstrip())))
                start = end_match.end()
            if start < len(folded):
                self._units.append((block_index, start, len(folded)))
        self._total = max(total, 1)
        # The whole document folded, blocks joined by one space: a window's text is one slice of it.
        self._joined = " ".join(self._folded)
        self._unit_start = [self._block_offset[b] + start for b, start, _ in self._units]
        self._unit_end = [self._block_offset[b] + end for b, _, end in self._units]
        self._unit_texts = [self._joined[a:b] for a, b in zip(self._unit_start, self._unit_end, strict=True)]
        # A heading, or a "sentence" without a letter (a footnote number, a reference label), is no clause's
        # neighbour: footnote lists switch between headings and bare numbers while every sentence stays put.
        self._aside = [
            self._is_heading[block] or not _LETTER.search(text)
            for (block, _, _), text in zip(self._units, self._unit_texts, strict=True)
        ]

    def find(self, passage: str, *, threshold: float) -> Search:
        query = fold(passage)
        if not query or not self._units:
            return Search(None, [])
        starts = self._promising_units(query, PREFILTER)
        if not starts:
            starts = self._promising_units(query, PREFILTER_LAST_RESORT)
        windows = self._windows(starts, len(query))
        texts = [self._window_text(first, last) for first, last in windows]
        scores = [fuzz.ratio(query, text) for text in texts] if len(texts) < 64 else _ratios(query, texts)
        partial: set[int] = set()
        for index, (first, last) in enumerate(windows):
            if first == last and len(texts[index]) > LONG_SENTENCE * len(query):
                score = fuzz.partial_ratio(query, texts[index])
                if score > scores[index]:
                    scores[index] = score
                    partial.add(index)
        # On a tie, a whole-window match beats a passage found inside a longer sentence.
        ranked = sorted(range(len(windows)), key=lambda i: (-scores[i], i in partial, windows[i]))
        found: list[Located] = []
        taken: list[tuple[int, int]] = []
        best: Located | None = None
        for index in ranked:
            first, last = windows[index]
            if any(first <= b and a <= last for a, b in taken):
                continue
            located = self._located(first, last, query, scores[index], trim=index in partial)
            best = best or located
            if located.score < threshold:
                break
            found.append(located)
            taken.append((first, last))
        return Search(best, found)

    def windows_in(self, passage: str, blocks: set[int]) -> list[Located]:
        """Every passage-sized run of sentences inside `blocks` (a paragraph the diff paired with the one that
        held the clause), scored against `passage`, best first: where its successor is looked for."""
        query = fold(passage)
        starts = [unit for unit, (block, _, _) in enumerate(self._units) if block in blocks]
        if not query or not starts:
            return []
        found = []
        for first, last in self._windows(starts, len(query)):
            if self._units[last][0] not in blocks:
                continue
            text = self._window_text(first, last)
            score = fuzz.ratio(query, text)
            if first == last and len(text) > LONG_SENTENCE * len(query):
                score = max(score, fuzz.partial_ratio(query, text))
            found.append(self._located(first, last, query, score, trim=False))
        return sorted(found, key=lambda located: -located.score)

    def between(self, passage: str, context: tuple[str, str]) -> list[Located]:
        """The runs of sentences standing between the two sentences `context` names (as `Located.context`
        gives them), scored against `passage`, best first: what took a clause's place between its neighbours."""
        query = fold(passage)
        if not query or not context[0] or not context[1]:
            return []
        found = []
        for unit, text in enumerate(self._unit_texts):
            if self._aside[unit] or fuzz.ratio(text[:CONTEXT_CHARS], context[0]) < 80:
                continue
            first = unit + 1
            while first < len(self._units) and self._aside[first]:
                first += 1
            for last in range(first, min(first + MAX_SPAN_FACTOR + 3, len(self._units))):
                if (
                    self._is_heading[self._units[last][0]]
                    or self._span_len(first, last) > 3 * len(query) + 200
                ):
                    break
                if fuzz.ratio(self._neighbour(last, +1), context[1]) >= 80:
                    score = fuzz.ratio(query, self._window_text(first, last))
                    found.append(self._located(first, last, query, score, trim=False))
                    break
        return sorted(found, key=lambda located: -located.score)

    def holds(self, folded: str) -> bool:
        """Whether the document has this (folded) text: a sentence it already had is no clause's successor."""
        return bool(folded) and folded in self._joined

    def _promising_units(self, query: str, cutoff: float) -> list[int]:
        """Sentences that share most of their words with the passage, or contain most of it (cheap, in C)."""
        hits = process.extract(
            query, self._unit_texts, scorer=fuzz.token_set_ratio, limit=None, score_cutoff=cutoff
        )
        return sorted(index for _, _, index in hits)

    def occurrences(self, pattern: re.Pattern[str]) -> list[Located]:
        """Each match of `pattern` in the folded text, as the sentence holding it."""
        found = []
        for match in pattern.finditer(self._joined):
            unit = max(0, bisect_right(self._unit_start, match.start()) - 1)
            found.append(self._located(unit, unit, "", 100.0, trim=False))
        return found

    def _windows(self, starts: list[int], length: int) -> list[tuple[int, int]]:
        """Runs of consecutive sentences (first, last unit index) about as long as the passage; a run may
        cross from one paragraph or item into the next (a reflowed clause), never into or out of a heading."""
        low, high = 0.5 * length, 1.5 * length + 20
        windows = []
        for first in starts:
            windows.append((first, first))
            last = first + 1
            while last < len(self._units):
                if self._units[last][0] != self._units[last - 1][0] and (
                    self._is_heading[self._units[last][0]] or self._is_heading[self._units[last - 1][0]]
                ):
                    break
                size = self._span_len(first, last)
                if size > high:
                    break
                if size >= low:
                    windows.append((first, last))
                last += 1
        return windows

    def _span_len(self, first: int, last: int) -> int:
        return self._unit_end[last] - self._unit_start[first]

    def _window_text(self, first: int, last: int) -> str:
        return self._joined[self._unit_start[first] : self._unit_end[last]]

    def _located(self, first: int, last: int, query: str, score: float, *, trim: bool) -> Located:
        block, start, _ = self._units[first]
        last_block, _, end = self._units[last]
        if trim and end - start > MAX_SPAN_FACTOR * len(query) + 200:
            start, end = self._aligned_words(block, start, end, query)
        pieces = []
        for b in range(block, last_block + 1):
            s = start if b == block else 0
            e = end if b == last_block else len(self._folded[b])
            pieces.append(self._original_slice(b, s, e))
        text = " ".join(piece for piece in pieces if piece)
        position = round((self._block_offset[block] + start) / self._total, 6)
        context = (self._neighbour(first, -1), self._neighbour(last, +1))
        return Located(
            text, round(score, 2), self._sections[block], block, last_block - block + 1, position, context
        )

    def _neighbour(self, unit: int, step: int) -> str:
        unit += step
        while 0 <= unit < len(self._units) and self._aside[unit]:
            unit += step
        return self._unit_texts[unit][:CONTEXT_CHARS] if 0 <= unit < len(self._units) else ""

    def _aligned_words(self, block: int, start: int, end: int, query: str) -> tuple[int, int]:
        """The passage-sized part of a run-on sentence that matches best, widened to whole words."""
        folded = self._folded[block]
        alignment = fuzz.partial_ratio_alignment(query, folded[start:end])
        if alignment is None:  # only for empty strings, which the index never holds
            return start, end
        a, b = start + alignment.dest_start, start + alignment.dest_end
        words = [(m.start(), m.end()) for m in _WORD.finditer(folded, start, end)]
        a = max((ws for ws, we in words if ws <= a), default=start)
        b = min((we for ws, we in words if we >= b), default=end)
        return a, b

    def _original_slice(self, block: int, start: int, end: int) -> str:
        mapping = self._maps[block]
        original = self._original[block]
        if mapping is None:
            return original[start:end]
        o_start = mapping[start] if start < len(mapping) else len(original)
        o_end = mapping[end - 1] + 1 if end > 0 else 0
        return original[o_start:o_end]


def _fold_each(text: str) -> str:
    return fold_typography(text).casefold()


def _char_map(original: str) -> list[int]:
    """Folded index -> original index, for a block where folding changed the length (ß -> ss, … -> ...)."""
    mapping: list[int] = []
    for index, ch in enumerate(original):
        mapping.extend([index] * len(_fold_each(ch)))
    return mapping


def _ratios(query: str, texts: list[str]) -> list[float]:
    scores = [0.0] * len(texts)
    for _, score, index in process.extract(query, texts, scorer=fuzz.ratio, limit=None):
        scores[index] = score
    return scores
