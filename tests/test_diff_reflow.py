"""Reflow-proof diffs: regrouped blocks (a table become headings and lists, paragraphs split or merged, a list
flattened into a paragraph) must not be reported as new text.

Two measures, both in words (whitespace-separated tokens; the table-cell separator "|" is markup, not a word):

- *words reported*: the words deleted plus the words inserted by the non-equal word operations (`Change.ops`)
  of the substantive changes. An added or removed block reports all its words this way.
- *visible word diff*: the same count for a word-level diff of the two visible texts: each block's line of
  `Document.to_text()` with its markup prefix (`#`, `- `, `| `, `\\`) stripped, lines aligned with difflib,
  then the words of each differing run of lines aligned with difflib (autojunk off). That is what a reader
  comparing the two texts word by word would count.

The target: words reported <= 1.5 x visible word diff + 20, over every consecutive pair of real captures (with
their page's region rules) and of recorded versions, and over constructed regroupings with planted edits.
Recall stays complete: every sentence whose words do not occur in that order in the other text is inside a
substantive change. The measures are in tests/reflow_support.py; the real pairs in tests/test_diff_reflow_corpus.py.
"""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reflow_support import RATIO, SLACK, check, unreported_sentences, visible_word_diff, words_reported

from monitor.diff.core import apply_diff, diff_documents
from monitor.diff.formats import render
from monitor.diff.segments import block_segments, marked
from monitor.models import Block, Document

# --- constructed regroupings --------------------------------------------------------------------------------


def doc(*blocks: tuple[str, str] | tuple[str, str, int]) -> Document:
    return Document([Block(*block) for block in blocks])  # type: ignore[arg-type]


INTRO = ("paragraph", "We explain below how and why we process your information, and on which legal basis.")
OUTRO = ("paragraph", "You can contact our Data Protection Officer about any of this at any time.")
ROWS = doc(
    ("heading", "Legal basis information", 2),
    INTRO,
    ("row", "Providing our Products | Profile information Your activity Content you create | Contract"),
    ("row", "Showing you ads | Ads you see Pages you follow Your location | Legitimate interests"),
    OUTRO,
)
LISTS = doc(
    ("heading", "Legal basis information", 2),
    INTRO,
    ("heading", "Providing our Products", 3),
    ("item", "Profile information"),
    ("item", "Your activity"),
    ("item", "Content you create"),
    ("paragraph", "Contract"),
    ("heading", "Showing you ads", 3),
    ("item", "Ads you see"),
    ("item", "Pages you follow"),
    ("item", "Your location"),
    ("paragraph", "Legitimate interests"),
    OUTRO,
)
LONG = doc(
    INTRO,
    (
        "paragraph",
        "We collect the content you create. We also collect messages you send. We keep them for a year.",
    ),
    OUTRO,
)
SPLIT = doc(
    INTRO,
    ("paragraph", "We collect the content you create."),
    ("paragraph", "We also collect messages you send."),
    ("paragraph", "We keep them for a year."),
    OUTRO,
)
ITEMS = doc(
    INTRO,
    ("paragraph", "We share information with:"),
    ("item", "partners who measure ads"),
    ("item", "vendors who support our business"),
    ("item", "researchers"),
    OUTRO,
)
FLAT = doc(
    INTRO,
    (
        "paragraph",
        "We share information with: partners who measure ads; vendors who support our business; researchers.",
    ),
    OUTRO,
)
REGROUPINGS = {
    "table to lists": (ROWS, LISTS),
    "lists to table": (LISTS, ROWS),
    "paragraph split": (LONG, SPLIT),
    "paragraphs merged": (SPLIT, LONG),
    "list flattened": (ITEMS, FLAT),
    "paragraph to list": (FLAT, ITEMS),
}
# Planted edits: (word in the old text, word in the new text), made on the new side of each regrouping.
EDITS = [("activity", "interactions"), ("year", "decade"), ("researchers", "academics"), ("location", "city")]


def planted(document: Document) -> tuple[Document, list[tuple[str, str]]]:
    text = document.to_text()
    made = [(before, after) for before, after in EDITS if re.search(rf"\b{before}\b", text)]
    for before, after in made:
        text = re.sub(rf"\b{before}\b", after, text)
    return Document.from_text(text), made


@pytest.mark.parametrize("name", REGROUPINGS)
def test_a_regrouping_alone_is_one_cosmetic_change(name: str) -> None:
    old, new = REGROUPINGS[name]
    diff = diff_documents(old, new)
    (change,) = diff.changes
    assert change.cls == "cosmetic"
    if name.startswith("paragraph"):
        # A paragraph split in up to four (or merged) is what block pairing already reads as one edit.
        assert change.kind in ("modified", "restructured")
    else:
        assert change.kind == "restructured"
        assert change.note.endswith("same words")
        assert diff.summary()["by_kind"]["restructured"] == 1
        assert change.to_json()["restructured"] == change.note
    assert apply_diff(old, diff) == new


@pytest.mark.parametrize("name", REGROUPINGS)
def test_planted_edits_in_a_regrouping_are_each_reported(name: str) -> None:
    old, regrouped = REGROUPINGS[name]
    new, made = planted(regrouped)
    assert made
    diff = diff_documents(old, new)
    edits = [(op.old, op.new) for c in diff.changes if c.substantive for op in c.ops if op.tag != "equal"]
    for before, after in made:
        assert any(before in deleted and after in inserted for deleted, inserted in edits), (before, after)
    reported, visible = check(old, new)
    assert reported <= 2 * len(made) + 2, edits  # only the edited words, not the regrouped text


def test_every_format_shows_a_restructured_change() -> None:
    old, new = REGROUPINGS["table to lists"]
    diff = diff_documents(old, new)
    note = diff.changes[0].note
    assert note == "2 table rows → 2 headings, 6 list items, 2 paragraphs, same words"
    for fmt in ("text", "markdown", "html"):
        shown = render(diff, fmt)
        assert "1 restructured" in shown and "same words" in shown, fmt
    assert "= restructured · cosmetic · 2 table rows" in render(diff, "text")
    assert "restructured" not in render(diff, "text", substantive_only=True)  # regrouping alone is cosmetic
    assert json.loads(render(diff, "json"))["changes"][0]["restructured"] == note
    change = diff.changes[0]
    assert marked(block_segments(change.kind, change.old, change.new, change.ops)).startswith("Providing our")


WORDS = [
    "we",
    "may",
    "share",
    "data",
    "with",
    "partners",
    "for",
    "ads",
    "and",
    "research",
    "about",
    "30",
    "days",
    "Meta",
    "AI",
]
sentences = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)


@st.composite
def regrouped(draw: st.DrawFn) -> tuple[Document, Document]:
    """A document, and the same after regrouping a run of blocks (into one row, one paragraph, or items) and a
    few word edits."""
    texts = draw(st.lists(sentences, min_size=2, max_size=10))
    kind = draw(st.sampled_from(["paragraph", "item", "row"]))
    old = Document([Block(kind, text) for text in texts])
    start = draw(st.integers(0, len(texts) - 2))
    end = draw(st.integers(start + 2, len(texts)))
    into = draw(st.sampled_from(["row", "paragraph", "items"]))
    run = texts[start:end]
    middle = (
        [Block("item", t) for t in run]
        if into == "items"
        else [Block(into, (" | " if into == "row" else " ").join(run))]
    )
    blocks = [Block(kind, t) for t in texts[:start]] + middle + [Block(kind, t) for t in texts[end:]]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(blocks) - 1))
        words = blocks[at].text.split(" ")
        words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(["never", "sell", "1 year"]))
        blocks[at] = Block(blocks[at].kind, " ".join(words), blocks[at].level)
    return old, Document(blocks)


@settings(max_examples=150)
@given(regrouped())
def test_random_regroupings_apply_back_and_report_every_changed_sentence(
    pair: tuple[Document, Document],
) -> None:
    old, new = pair
    diff = diff_documents(old, new)
    assert apply_diff(old, diff) == new
    assert not unreported_sentences(diff)
    assert words_reported(diff) <= RATIO * visible_word_diff(old, new) + SLACK


def test_a_move_next_to_a_regrouping_stays_a_move() -> None:
    moved = ("paragraph", "We keep your information for as long as we need it to provide our Products.")
    old = Document([Block(*moved), *ROWS.blocks])
    new = Document([*LISTS.blocks, Block(*moved)])
    diff = diff_documents(old, new)
    # Substantive: the paragraph now sits under another heading (the rule for every move).
    kinds = sorted((c.kind, c.cls) for c in diff.changes)
    assert kinds == [("moved", "substantive"), ("restructured", "cosmetic")]
    assert apply_diff(old, diff) == new
