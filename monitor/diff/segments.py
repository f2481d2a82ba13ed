"""Word diffs for reading: deleted / inserted / unchanged runs of text, long unchanged runs elided.

The one word-diff model: `diff` in every format, alerts, the digest and the feed all mark these up. Used by the digest, the feed and any page-derived diff shown to a person: the segments carry text only (the
templates escape it), and eliding keeps every edit with a few words of context, so a three-word change in a
2,000-character paragraph stays visible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

CONTEXT_WORDS = 12  # unchanged words kept on each side of an edit; longer unchanged runs are elided
MOVED_WORDS = 30  # words shown of a block that moved unchanged

SegmentKind = Literal["same", "del", "ins", "gap"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text of one kind; `signal` marks a signal word inside an edit (the diff formats stress it)."""

    kind: SegmentKind
    text: str
    signal: bool = False


def block_segments(kind: str, old: str | None, new: str | None, ops: Sequence[Any]) -> list[Segment]:
    """What to show of one block change: an added or removed block whole, an edit as its elided word diff."""
    if kind == "added":
        return [Segment("ins", new or "")]
    if kind == "removed":
        return [Segment("del", old or "")]
    # A restructured change (monitor.reflow) regrouped the same words: show its start, like an unchanged move.
    if kind == "restructured" or (kind == "moved" and not any(_op_tag(op) != "equal" for op in ops)):
        words = (new or old or "").split()  # its block breaks read as spaces: no markup for the same words
        return [Segment("same", " ".join(words[:MOVED_WORDS]))] + (
            [Segment("gap", "…")] if len(words) > MOVED_WORDS else []
        )
    return elide(list(ops_segments(ops)))


def ops_segments(ops: Iterable[Any]) -> Iterable[Segment]:
    """Word-diff operations (Op objects, dicts or [tag, old, new] lists) as deleted/inserted/same text, on one
    line: where an edit moved a block break (a split, a merge, a table become paragraphs) the words are what
    changed, so a break reads as a space, never as markup."""
    for op in ops:
        tag, old, new = _op_fields(op)
        if tag == "equal":
            yield Segment("same", one_line(old))
            continue
        if (plain := regrouped(old, new)) is not None:
            yield Segment("same", plain)
            continue
        if old:
            yield Segment("del", one_line(old))
        if new:
            yield Segment("ins", one_line(new))


_BREAK = re.compile(r"[ \t]*\n\s*")


def one_line(text: str) -> str:
    """`text` with its block breaks (and the spaces around them) as single spaces."""
    return _BREAK.sub(" ", text) if "\n" in text else text


def regrouped(old: str, new: str) -> str | None:
    """An edit of whitespace alone (a block break where a space was: a table cell become a paragraph, a line
    split off) as the plain text to show, so a regrouping never reads as an edit; None for any other edit."""
    if old.strip() or new.strip():
        return None
    return " " if "\n" in old or "\n" in new else new


def _op_fields(op: Any) -> tuple[str, str, str]:
    if isinstance(op, dict):
        return op.get("tag", ""), op.get("old") or "", op.get("new") or ""
    if isinstance(op, list | tuple):
        return op[0], op[1] or "", op[2] or ""
    return op.tag, op.old or "", op.new or ""


def _op_tag(op: Any) -> str:
    return _op_fields(op)[0]


def elide(segments: list[Segment], context: int = CONTEXT_WORDS) -> list[Segment]:
    """Shorten long unchanged runs to `context` words next to each edit, so a 3-word edit stays visible."""
    result: list[Segment] = []
    for index, segment in enumerate(segments):
        words = segment.text.split()
        keep_before = context if index > 0 else 0  # words after the previous edit
        keep_after = context if index < len(segments) - 1 else 0  # words before the next edit
        if segment.kind != "same" or len(words) <= keep_before + keep_after + 3:
            result.append(segment)
            continue
        lead = segment.text[: len(segment.text) - len(segment.text.lstrip())]
        trail = segment.text[len(segment.text.rstrip()) :]
        if keep_before:
            result.append(Segment("same", lead + " ".join(words[:keep_before]) + " "))
        result.append(Segment("gap", "…"))
        if keep_after:
            result.append(Segment("same", " " + " ".join(words[-keep_after:]) + trail))
    return result


def marked(segments: list[Segment]) -> str:
    """Plain-text word diff: [-deleted-]{+inserted+}, unchanged text as is, '…' for elided text."""
    marks = {"del": "[-{}-]", "ins": "{{+{}+}}", "same": "{}", "gap": "{}"}
    return "".join(marks[segment.kind].format(segment.text) for segment in segments)
