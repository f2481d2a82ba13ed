"""What a clause search finds: a `Located` place (the page's own wording, its section, where it stands, its
neighbouring sentences), a `Search` (the matches, and the closest near-match), and which occurrence a watch
follows when there are several (`choose`). locate.py does the searching.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Located:
    """One place the passage was found. `text` is the page's own wording (blocks joined by one space)."""

    text: str
    score: float  # 0-100, similarity of the passage to `text` (or to its best part, for a long sentence)
    section: tuple[str, ...]
    block: int  # index of the first block it covers
    blocks: int  # how many blocks it covers
    position: float  # 0-1: where in the document it starts
    context: tuple[str, str] = (
        "",
        "",
    )  # the sentences just before and after it (folded; headings and bare labels skipped)

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "score": self.score,
            "section": list(self.section),
            "block": self.block,
            "blocks": self.blocks,
            "position": self.position,
            "context": list(self.context),
        }


@dataclass(frozen=True, slots=True)
class Search:
    best: Located | None  # the closest span, even below the threshold (the "near-match")
    matches: list[Located]  # non-overlapping spans at or above the threshold, best first


def choose(matches: list[Located], *, near: Located | None, band: float = 10.0) -> Located | None:
    """The occurrence to follow: the best, or - among those nearly as good - the one nearest the baseline."""
    if not matches:
        return None
    if near is None:
        return matches[0]
    top = matches[0].score
    contenders = [m for m in matches if m.score >= top - band]
    return min(
        contenders, key=lambda m: (m.section != near.section, abs(m.position - near.position), -m.score)
    )
