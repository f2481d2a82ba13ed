"""Headings a page styles as body text, found as a reader finds them, one rule for HTML and for Markdown: a short
bold line, or a list item's first line, is a heading when body text follows it. The readers keep such lines
pending and ask `settle` when the next block is known."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# A heading line is short and is not a sentence; body text is a sentence or a longer line.
HEADING_MAX_WORDS = 12
BODY_MIN_WORDS = 8
_NO_HEADING_END = frozenset(".!?;:,")
_SENTENCE_END = re.compile(r"[.!?:;][\"'\u201d\u2019)\]]*\Z")


def reads_as_heading(text: str) -> bool:
    return (
        text[-1] not in _NO_HEADING_END
        and len(text) <= 150
        and len(text.split()) <= HEADING_MAX_WORDS
        and any(c.isalpha() for c in text)
    )


def is_body(text: str) -> bool:
    return len(text.split()) >= BODY_MIN_WORDS or _SENTENCE_END.search(text) is not None


class Sectioned(Protocol):
    sections: (
        bool  # an item of the list was found to be a section: its siblings' first lines are headings too
    )


@dataclass(slots=True)
class ListState:
    """A list, as far as found headings go: whether one of its items was found to be a section."""

    sections: bool = False


@dataclass(slots=True)
class Candidate:
    """A line that reads as a heading if body text follows it (before `scope`, its list item, closes)."""

    index: int  # where the reader put its block
    level: int
    scope: object | None
    in_list: Sectioned | None


def settle(
    pending: list[Candidate],
    text: str,
    paragraph: bool,
    candidate: Candidate | None,
    promote: Callable[[Candidate], None],
) -> None:
    """The pending heading lines, now that the block after them is known: body text makes them headings
    (`promote`); a deeper heading line keeps them waiting (a section whose first subsection opens at once)."""
    last = pending[-1]
    if candidate is not None:
        if candidate.level <= last.level:
            pending.clear()
        return
    if paragraph and (is_body(text) or (last.in_list is not None and last.in_list.sections)):
        for found in pending:
            promote(found)
            if found.in_list is not None:
                found.in_list.sections = True
    pending.clear()
