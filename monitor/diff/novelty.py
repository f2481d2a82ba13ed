"""What a change says that the other version does not say anywhere: the words a reader has not read before.

A table that became headings and lists, a column label repeated over every regrouped row, a paragraph that
moved with its renumbered footnote: every word such a change inserts is in the old version already, in the
same order, and every word it deletes is still in the new one. Reading it tells nothing new. `Novelty(old,
new).of(change)` keeps, of the words a change inserted, those not found in the old version within a run of
RUN words (the word with its neighbours), and of the words it deleted, those not found so in the new version:
a regrouping keeps none, a reworded sentence its new and its lost words, a new section all of its own.
Footnote references and labels ("[12]", a line "12") are never words here (monitor.diff.classify).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate

from monitor.diff.classify import Op
from monitor.diff.signals import changed_spans
from monitor.models import Document

RUN = 5  # words around a word that must read the same elsewhere for the word to be known

_WORD = re.compile(r"\w+")
_NOTE = re.compile(r"\[\d{1,3}\]|^[ \t]*[\[(]?\d{1,3}[\])]?[ \t]*$", re.MULTILINE)

Span = tuple[int, int]
Token = tuple[int, int, str]  # start, end, folded word


@dataclass(frozen=True, slots=True)
class Novel:
    """The new words of one change: character spans on each side (runs of neighbouring new words) and, for
    each run, its folded words, deleted runs then inserted ones (the same edit made in two places reads the
    same)."""

    old_spans: tuple[Span, ...] = ()
    new_spans: tuple[Span, ...] = ()
    runs: tuple[tuple[str, ...], ...] = ()

    def __len__(self) -> int:
        return sum(len(run) for run in self.runs)

    def text(self, old: str, new: str) -> str:
        """The new words as they read, deleted then inserted."""
        return " ".join([*(old[a:b] for a, b in self.old_spans), *(new[a:b] for a, b in self.new_spans)])


def tokens(text: str) -> list[Token]:
    """The words of `text` with their places; footnote references and labels left out."""
    if "[" in text or "\n" in text or len(text) <= 7:
        text = _NOTE.sub(lambda match: " " * len(match.group()), text)  # blanked: the places stay right
    folded = text.casefold()
    if len(folded) == len(text):  # folding kept every place ("ß" would not): fold once, not word by word
        return [(match.start(), match.end(), match.group()) for match in _WORD.finditer(folded)]
    return [(match.start(), match.end(), match.group().casefold()) for match in _WORD.finditer(text)]


class Novelty:
    """The words of one version, to tell the changes of a diff between the two what is new in them."""

    def __init__(self, old: Document, new: Document) -> None:
        self._documents = {"old": old, "new": new}
        self._joined: dict[str, tuple[str, list[int]]] = {}
        self._runs: dict[tuple[str, int], set[str]] = {}
        self._asked: dict[tuple[str, int], int] = {}
        self._block_words: dict[str, set[str]] = {}
        self._texts: dict[str, str] = {}

    def of(self, kind: str, old: str | None, new: str | None, ops: Sequence[Op]) -> Novel:
        """The words of a change (its kind, texts and word operations) that the other version lacks."""
        if kind in ("added", "removed"):
            old_spans, new_spans = [(0, len(old or ""))], [(0, len(new or ""))]
        elif ops:
            old_spans, new_spans = changed_spans(ops)
        else:
            return Novel()  # no word operations to tell (a regrouping): nothing new to read
        lost, lost_runs = self._unknown(old or "", old_spans, "new")
        gained, gained_runs = self._unknown(new or "", new_spans, "old")
        return Novel(tuple(lost), tuple(gained), tuple(lost_runs + gained_runs))

    def _unknown(
        self, text: str, spans: Sequence[Span], other: str
    ) -> tuple[list[Span], list[tuple[str, ...]]]:
        """Of the words of `text` inside `spans`, the runs of those that `other` lacks: a word is known when
        one of the runs of RUN words of its block that hold it is somewhere in `other` (a block shorter than
        that: the whole block). A change's blocks are joined by blank lines."""
        spans_left = list(spans)
        result: list[Span] = []
        runs: list[tuple[str, ...]] = []
        offset = 0
        for block in text.split("\n\n") if spans_left else ():
            start_of_block = offset
            offset += len(block) + 2
            while spans_left and spans_left[0][1] <= start_of_block:
                spans_left.pop(0)
            if not spans_left:
                break
            if spans_left[0][0] >= offset:
                continue  # no edit in this block: its words are not asked about
            words = [
                (start + start_of_block, end + start_of_block, word) for start, end, word in tokens(block)
            ]
            size = min(RUN, len(words))
            if not size:
                continue
            folded = [word for _, _, word in words]
            edited = []
            for index, (start, end, _) in enumerate(words):
                while spans_left and spans_left[0][1] <= start:
                    spans_left.pop(0)
                if spans_left and spans_left[0][0] < end:
                    edited.append(index)
            known = self._known_edits(other, folded, edited, size)
            waiting = set(edited) - known
            for at in range(max(0, edited[0] - size + 1) if edited else 0, len(words) - size + 1):
                if not waiting or at > edited[-1]:
                    break
                window = range(at, at + size)
                if any(index in waiting for index in window) and self._has(
                    other, tuple(folded[at : at + size])
                ):
                    waiting.difference_update(window)  # each window asked once, for all its words
            last = -2
            for index in edited:
                if index not in waiting:
                    continue
                start, end, word = words[index]
                if last == index - 1:
                    result[-1] = (result[-1][0], end)
                    runs[-1] += (word,)
                else:
                    result.append((start, end))
                    runs.append((word,))
                last = index
        return result, runs

    def _known_edits(self, other: str, folded: list[str], edited: list[int], size: int) -> set[int]:
        """The edited words that form, with the edited words next to them, a run shorter than `size` that is
        a whole block of `other`: a table cell become a heading ("Providing our Products"). A word swapped
        for another ("may" for "will") is never known so, however common the word."""
        result: set[int] = set()
        at = 0
        while at < len(edited):
            end = at
            while end + 1 < len(edited) and edited[end + 1] == edited[end] + 1:
                end += 1
            run = edited[at : end + 1]
            if len(run) < size and " ".join(folded[run[0] : run[-1] + 1]) in self._blocks(other):
                result.update(run)
            at = end + 1
        return result

    def _has(self, side: str, run: Sequence[str]) -> bool:
        """Whether the words of `run` follow each other somewhere in one version (across its blocks). The
        first few questions of a length search its text; after that, every run of that length is indexed,
        so a one-clause change costs a few searches and an update of hundreds of edits a few sets (of
        strings: a diff makes no garbage for the collector to walk)."""
        wanted = " ".join(run)
        key = (side, len(run))
        runs = self._runs.get(key)
        if runs is not None:
            return wanted in runs
        joined, starts = self._document(side)
        asked = self._asked[key] = self._asked.get(key, 0) + 1
        if asked <= (_SEARCHES if len(run) == RUN else _SHORT_SEARCHES):
            return f" {wanted} " in joined
        size = len(run)
        runs = self._runs[key] = {
            joined[starts[at] : starts[at + size] - 1] for at in range(len(starts) - size)
        }
        return wanted in runs

    def _blocks(self, side: str) -> set[str]:
        """The folded words of each block of one version, joined by spaces."""
        blocks = self._block_words.get(side)
        if blocks is None:
            lines = self._folded(side).split("\n")
            blocks = self._block_words[side] = {" ".join(_WORD.findall(line)) for line in lines}
        return blocks

    def _document(self, side: str) -> tuple[str, list[int]]:
        """The folded words of one version joined by spaces (with one before and after), and where each word
        starts in it (and where the next would)."""
        known = self._joined.get(side)
        if known is None:
            words = _WORD.findall(self._folded(side))
            starts = list(accumulate((len(word) + 1 for word in words), initial=1))
            known = self._joined[side] = (" " + " ".join(words) + " ", starts)
        return known

    def _folded(self, side: str) -> str:
        """The text of one version, a block a line, folded, its footnote references and labels blanked."""
        folded = self._texts.get(side)
        if folded is None:
            text = "\n".join(block.text for block in self._documents[side].blocks)
            folded = self._texts[side] = _NOTE.sub(" ", text).casefold()
        return folded


# Questions of one length answered by searching the text before its runs are indexed. Shorter runs are asked
# only of short blocks and short edits: a few dozen questions even in a big update.
_SEARCHES, _SHORT_SEARCHES = 16, 400
