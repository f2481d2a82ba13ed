"""Invariants of the diff, for random documents built from a small vocabulary (so that blocks repeat, move,
split, merge and get edited by chance)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff.classify import word_diff
from monitor.diff.core import apply_diff, diff_documents
from monitor.diff.formats import render
from monitor.models import Block, Document

WORDS = [
    "we",
    "may",
    "will",
    "not",
    "share",
    "data",
    "Meta",
    "AI",
    "all",
    "some",
    "30",
    "days",
    "“x”",
    "-",
    ",",
]

texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
blocks = st.one_of(
    st.builds(Block, st.just("heading"), texts, st.integers(1, 3)),
    st.builds(Block, st.just("paragraph"), texts),
    st.builds(Block, st.just("item"), texts, st.integers(0, 2)),
    st.builds(Block, st.just("row"), texts),
)
documents = st.builds(Document, st.lists(blocks, max_size=12))


@st.composite
def edited(draw: st.DrawFn, document: Document) -> Document:
    """`document` after a few random edits: insert, delete, move, replace a word, split, merge."""
    result = list(document.blocks)
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["insert", "delete", "move", "word", "split", "merge"]))
        if action == "insert" or not result:
            result.insert(draw(st.integers(0, len(result))), draw(blocks))
            continue
        at = draw(st.integers(0, len(result) - 1))
        block = result[at]
        if action == "delete":
            del result[at]
        elif action == "move":
            result.insert(draw(st.integers(0, len(result) - 1)), result.pop(at))
        elif action == "word":
            words = block.text.split(" ")
            words[draw(st.integers(0, len(words) - 1))] = draw(st.sampled_from(WORDS))
            result[at] = Block(block.kind, " ".join(words), block.level)
        elif action == "split" and " " in block.text:
            words = block.text.split(" ")
            cut = draw(st.integers(1, len(words) - 1))
            result[at : at + 1] = [
                Block(block.kind, " ".join(words[:cut]), block.level),
                Block(block.kind, " ".join(words[cut:]), block.level),
            ]
        elif action == "merge" and at + 1 < len(result):
            result[at : at + 2] = [Block(block.kind, block.text + " " + result[at + 1].text, block.level)]
    return Document(result)


@st.composite
def document_pairs(draw: st.DrawFn) -> tuple[Document, Document]:
    old = draw(documents)
    new = draw(st.one_of(edited(old), documents))
    return old, new


@settings(max_examples=300, deadline=None)
@given(document_pairs())
def test_applying_the_diff_to_the_old_document_gives_the_new_one(pair: tuple[Document, Document]) -> None:
    old, new = pair
    assert apply_diff(old, diff_documents(old, new)) == new


@settings(max_examples=200, deadline=None)
@given(document_pairs())
def test_every_change_is_consistent(pair: tuple[Document, Document]) -> None:
    old, new = pair
    result = diff_documents(old, new)
    for change in result.changes:
        assert "".join(op.old for op in change.ops) == (change.old or "")
        assert "".join(op.new for op in change.ops) == (change.new or "")
        assert (change.old is None) == (change.kind == "added") == (change.old_index is None)
        assert (change.new is None) == (change.kind == "removed") == (change.new_index is None)
        assert change.cls in ("cosmetic", "substantive")
        assert not change.signals or change.cls == "substantive"
    counts = result.summary()
    assert (
        counts["total"]
        == len(result.changes)
        == sum(counts["by_class"].values())
        == sum(counts["by_kind"].values())
    )
    for fmt in ("text", "unified", "markdown", "html", "json"):
        # Every format renders every diff; only `unified` is empty when nothing changed, as diff -u is.
        assert render(result, fmt, context=1) or (fmt == "unified" and not result.changes)


@settings(max_examples=100, deadline=None)
@given(documents)
def test_a_document_has_no_changes_against_itself(document: Document) -> None:
    result = diff_documents(document, Document(list(document.blocks)))
    assert (result.changes, result.structure) == ([], {})


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=60))
def test_word_diff_sides_reassemble_the_inputs(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert "".join(op.old for op in ops) == old
    assert "".join(op.new for op in ops) == new
    for op in ops:
        assert op.tag in ("equal", "insert", "delete", "replace")
        assert (op.tag == "equal") == (op.old == op.new)
        assert (op.tag == "insert") == (op.old == "" and op.new != "")
        assert (op.tag == "delete") == (op.new == "" and op.old != "")
    assert all(a.tag == "equal" or b.tag == "equal" for a, b in zip(ops, ops[1:], strict=False))


def apply_unified(text: str, patch: str) -> str:
    """Apply a unified diff to `text` using only its hunks: context and removed lines must be where the
    hunk says, added lines go in their place (what `patch` does, without fuzz)."""
    lines = text.splitlines(keepends=True)
    result: list[str] = []
    at = 0  # the next line of `lines` not copied yet
    for line in patch.splitlines(keepends=True)[2:]:
        if line.startswith("@@ -"):
            old_range = line[4:].split(" ")[0]
            first, _, length = old_range.partition(",")
            start = int(first) if length == "0" else int(first) - 1  # "-S,0": the hunk goes after line S
            assert start >= at, (start, at)
            result.extend(lines[at:start])
            at = start
            continue
        tag, content = line[0], line[1:]
        if tag in " -":
            assert lines[at] == content, (at, lines[at], content)
            at += 1
        if tag in " +":
            result.append(content)
    return "".join(result + lines[at:])


@settings(max_examples=200, deadline=None)
@given(document_pairs())
def test_the_unified_diff_applied_to_the_old_text_gives_the_new_one(pair: tuple[Document, Document]) -> None:
    old, new = pair
    patch = render(diff_documents(old, new), "unified", context=1)
    assert apply_unified(old.to_text(), patch) == new.to_text()


def test_five_hundred_edited_paragraphs_give_a_unified_diff_that_applies() -> None:
    # Every other line of the stored text is blank: difflib alone took 5 s on this (quadratic), now instant.
    old = Document([Block("paragraph", f"Paragraph {n} says what we collect.") for n in range(500)])
    new = Document([Block("paragraph", f"Paragraph {n} says what we share.") for n in range(500)])
    patch = render(diff_documents(old, new), "unified", context=3)
    assert apply_unified(old.to_text(), patch) == new.to_text()
    assert patch.count("\n-Paragraph") == patch.count("\n+Paragraph") == 500
