"""The measures of the reflow tests (see tests/test_diff_reflow.py for their definitions): words reported by a
diff's substantive changes, the visible word diff of two texts, and sentences no substantive change shows."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache

from monitor.diff.classify import cosmetic_key, hyphens_joined
from monitor.diff.core import DocumentDiff, apply_diff, diff_documents
from monitor.models import Document

RATIO, SLACK = 1.5, 20
PREFIX = re.compile(r"^(?:#{1,6} |(?:  )*- |\| |\\)")
MARKER = re.compile(r"\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]", re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+| \| ")


def visible_words(document: Document) -> list[list[str]]:
    """Each block's visible words (its stored line without the markup)."""
    lines = [PREFIX.sub("", line.strip("\n")) for line in document.to_text().split("\n\n") if line.strip()]
    return [[word for word in line.removesuffix(" |").split() if word != "|"] for line in lines]


def visible_word_diff(old: Document, new: Document) -> int:
    a, b = visible_words(old), visible_words(new)
    lines = SequenceMatcher(None, [" ".join(x) for x in a], [" ".join(x) for x in b], autojunk=False)
    total = 0
    for tag, i1, i2, j1, j2 in lines.get_opcodes():
        if tag == "equal":
            continue
        old_words = [word for line in a[i1:i2] for word in line]
        new_words = [word for line in b[j1:j2] for word in line]
        words = SequenceMatcher(None, old_words, new_words, autojunk=False)
        total += len(old_words) + len(new_words) - 2 * sum(m.size for m in words.get_matching_blocks())
    return total


def words_reported(diff: DocumentDiff) -> int:
    return sum(
        len([w for w in (op.old + " " + op.new).split() if w != "|"])
        for change in diff.changes
        if change.substantive
        for op in change.ops
        if op.tag != "equal"
    )


@cache
def _key(text: str) -> str:
    return " " + " ".join(cosmetic_key(text)) + " "


def _joined_key(text: str) -> str:
    """The key with hyphenated words written as one: classify counts "live-stream"/"livestream" cosmetic."""
    return _key(hyphens_joined(text))


def unreported_sentences(diff: DocumentDiff) -> list[str]:
    """Sentences of either side whose words are not found in that order in the other side and that no
    substantive change shows (blocks the diff kept unchanged are skipped: their sentences are on both sides)."""
    missing = []
    kept_old = {i for i, _ in diff.unchanged}
    kept_new = {j for _, j in diff.unchanged}
    sides = ((diff.new, diff.old, "new", kept_new), (diff.old, diff.new, "old", kept_old))
    for side, other, text_of, kept in sides:
        other_key = " " + " ".join(_key(block.text).strip() for block in other.blocks) + " "
        other_joined = " " + " ".join(_joined_key(block.text).strip() for block in other.blocks) + " "
        shown = "\x00".join(_key(getattr(c, text_of) or "") for c in diff.changes if c.substantive)
        for index, block in enumerate(side.blocks):
            if index in kept:
                continue
            for sentence in SENTENCE_END.split(block.text):
                key = _key(sentence)
                # A list marker cut off as a "sentence" ("3.", "iv.") is numbering, which never counts.
                if (
                    not MARKER.fullmatch(sentence)
                    and key.strip()
                    and key not in other_key
                    and _joined_key(sentence) not in other_joined
                    and key not in shown
                ):
                    missing.append(sentence)
    return missing


def check(old: Document, new: Document) -> tuple[int, int]:
    diff = diff_documents(old, new)
    reported, visible = words_reported(diff), visible_word_diff(old, new)
    assert reported <= RATIO * visible + SLACK, f"{reported} words reported for a visible diff of {visible}"
    assert not unreported_sentences(diff)
    assert apply_diff(old, diff) == new
    return reported, visible
