"""When a clause that kept its wording has moved: under another heading, and among other sentences or far
from its old place. Headings are compared by their words alone, and a heading added or removed around the
clause (a level dropped from the path, a table become headed paragraphs, footnote lists that switch between
headings and bare numbers) leaves it in its section."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz

from monitor.extract.wording import fold

SECTION_MOVE_SCORE = 85.0  # section paths less similar than this: the clause moved to another section
NEIGHBOUR_SCORE = 80.0  # a sentence next to the clause this similar to the old neighbour: it did not move
FAR_AWAY = 0.25  # under another heading and this far (a share of the page) from its old place: moved
_WORDS = re.compile(r"\w+")


def moved(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Moved = under another heading AND among other sentences or far from its old place; a renamed
    heading, or one added or removed around the clause, is not a move unless the clause also left its place
    and every neighbour behind."""
    old, new = _headings(before.get("section", [])), _headings(after.get("section", []))
    far = abs(float(after.get("position", 0.0)) - float(before.get("position", 0.0))) >= FAR_AWAY
    kept_neighbour = _kept_neighbour(before.get("context"), after.get("context"))
    stayed = not far or kept_neighbour
    if stayed and (_within(old, new) or _within(new, old)):  # a heading added or removed around it
        return False
    if fuzz.ratio(" > ".join(old), " > ".join(new)) >= SECTION_MOVE_SCORE:
        return False
    renamed = bool(old and new) and fuzz.ratio(old[-1], new[-1]) >= SECTION_MOVE_SCORE
    if far and not renamed:
        return True  # a paragraph moved whole keeps its inner neighbours, not its place
    return not kept_neighbour


def _kept_neighbour(before: Sequence[str] | None, after: Sequence[str] | None) -> bool:
    """A sentence next to the clause is (nearly) the one that was next to it before, on the same side."""
    old_context, new_context = before or ["", ""], after or ["", ""]
    return any(
        a and b and fuzz.ratio(a, b) >= NEIGHBOUR_SCORE for a, b in zip(old_context, new_context, strict=True)
    )


def _headings(path: Sequence[str]) -> list[str]:
    """A section path by its words alone (bold markers or a trailing colon do not rename a heading)."""
    return [" ".join(_WORDS.findall(fold(heading))) for heading in path]


def _within(shorter: list[str], longer: list[str]) -> bool:
    """Every heading of `shorter` is in `longer`, in order."""
    rest = iter(longer)
    return all(heading in rest for heading in shorter)
