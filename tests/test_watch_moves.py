"""When a clause that kept its wording counts as moved: a table of places before and after.

Moved = under another heading AND among other sentences or far (a quarter of the page) from its old place.
A heading renamed, or added or dropped around the clause, is no move while the clause stays near its place or
keeps a neighbour; a clause that leaves its place and all its neighbours behind has moved, even when its new
section path is a parent of the old one (from deep in a section up to the intro).
"""

from __future__ import annotations

from typing import Any

import pytest

from monitor.watch.located import Located
from monitor.watch.moves import moved

BEFORE_NEIGHBOURS = ("we collect the information you give us", "we use it to provide our products")
OTHER_NEIGHBOURS = ("this policy explains what we do", "read on to learn more")


def place(section: tuple[str, ...], position: float, context: tuple[str, str] = BEFORE_NEIGHBOURS) -> Any:
    """A clause's place as a check stores it (`Located.to_json`)."""
    return Located("We share your messages with AIs.", 100.0, section, 10, 1, position, context).to_json()


DEEP = ("What information do we collect?", "Messages you share with AIs")

TABLE = [
    # (what happened, before, after, moved?)
    ("nothing", place(DEEP, 0.8), place(DEEP, 0.8), False),
    ("same section, pushed down by new text", place(DEEP, 0.5), place(DEEP, 0.9, OTHER_NEIGHBOURS), False),
    ("heading reworded only by bold and colon", place(DEEP, 0.8), place(("**What information do we collect?**:", DEEP[1]), 0.8), False),
    ("a heading added around it, in place", place(DEEP, 0.8), place((*DEEP, "Details"), 0.81), False),
    ("a heading dropped around it, in place", place(DEEP, 0.8), place(DEEP[:1], 0.8, OTHER_NEIGHBOURS), False),
    ("a heading dropped, far but beside its old neighbours", place(DEEP, 0.8), place(DEEP[:1], 0.3), False),
    ("from deep in a section up to the intro, among new sentences", place(DEEP, 0.8), place(DEEP[:1], 0.05, OTHER_NEIGHBOURS), True),
    ("to another section, far away", place(DEEP, 0.8), place(("How do we share information?",), 0.2), True),
    ("to another section, near, among new sentences", place(DEEP, 0.5), place(("How do we share information?",), 0.55, OTHER_NEIGHBOURS), True),
    ("to another section, near, beside its old neighbours", place(DEEP, 0.5), place(("How do we share information?",), 0.55), False),
    ("its heading renamed, far, beside its old neighbours", place(DEEP, 0.8), place((DEEP[0], "Messages you share with an AI"), 0.3), False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE]
)
def test_a_clause_has_moved_when_it_left_its_heading_and_its_place_or_neighbours(
    before: dict[str, Any], after: dict[str, Any], expected: bool
) -> None:
    assert moved(before, after) is expected
