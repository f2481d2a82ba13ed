"""A DocumentDiff as text for people and programs: text (terminal), unified, markdown, html, json.

`render(diff, fmt, color=..., context=..., meta=...)`. `context` is the number of unchanged blocks shown
around each change (text, markdown, html) or of unchanged lines (unified, as `diff -U`). `meta` names
the two sides: {"page": ..., "from": {"id", "label", ...}, "to": {...}}; it is copied into the json.
Every string taken from a page is escaped for the target format (HTML via Jinja2 autoescape).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from monitor.diff.core import Change, DocumentDiff
from monitor.diff.segments import Segment, one_line, regrouped
from monitor.diff.signals import changed_spans, signals_in
from monitor.diff.wording import touches
from monitor.models import Block

PARAGRAPH_BREAK = " ¶ "  # how a split or merged paragraph's blank line is shown inside a word diff
RESTRUCTURED_WORDS = 30  # words shown of a restructured change (its words did not change)
SUMMARY_KINDS = ("modified", "added", "removed", "moved", "restructured")


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of the rendered sequence: a change, an unchanged block shown as context, or a gap."""

    kind: Literal["change", "context", "gap"]
    change: Change | None = None
    block: Block | None = None
    section: tuple[str, ...] = ()


# --- shared pieces ----------------------------------------------------------------------------------------


def segments(change: Change) -> list[Segment]:
    """The change's word diff as pieces to show, with the signal words of the edited parts marked.
    A restructured change has the same words on both sides: the start of its new text is enough."""
    if change.kind == "restructured":
        words = (change.new or "").split()  # the same words: its block breaks read as spaces, no markup
        return [
            Segment(
                "same",
                " ".join(words[:RESTRUCTURED_WORDS]) + (" …" if len(words) > RESTRUCTURED_WORDS else ""),
            )
        ]
    old_spans, new_spans = changed_spans(change.ops)
    old_signals = (
        [(s.start, s.end) for s in signals_in(change.old or "", old_spans)] if change.signals else []
    )
    new_signals = (
        [(s.start, s.end) for s in signals_in(change.new or "", new_spans)] if change.signals else []
    )
    result: list[Segment] = []
    old_at = new_at = 0
    for op in change.ops:
        if op.tag == "equal":
            result.append(Segment("same", op.new))
        elif (plain := regrouped(op.old, op.new)) is not None:
            result.append(Segment("same", plain))
        else:
            result.extend(_marked("del", op.old, old_at, old_signals))
            result.extend(_marked("ins", op.new, new_at, new_signals))
        old_at += len(op.old)
        new_at += len(op.new)
    if change.kind in ("added", "removed"):
        return result  # whole blocks: their breaks are where the page has them
    # An edit that moved a block break (a split, a merge, a table become paragraphs) changed words, not
    # layout: its breaks read as spaces, never as markup.
    return [Segment(part.kind, one_line(part.text), part.signal) for part in result]


def coalesce(parts: list[Segment]) -> list[Segment]:
    """Join neighbouring pieces of the same kind (for formats that do not mark signal words inline)."""
    result: list[Segment] = []
    for part in parts:
        if result and result[-1].kind == part.kind:
            result[-1] = Segment(part.kind, result[-1].text + part.text)
        else:
            result.append(Segment(part.kind, part.text))
    return result


def _marked(
    tag: Literal["del", "ins"], text: str, offset: int, spans: list[tuple[int, int]]
) -> Iterator[Segment]:
    """Cut `text` (starting at `offset` in its side) at the signal spans."""
    at = 0
    for start, end in spans:
        start, end = max(start - offset, at), min(end - offset, len(text))
        if start >= end:
            continue
        if start > at:
            yield Segment(tag, text[at:start])
        yield Segment(tag, text[start:end], signal=True)
        at = end
    if at < len(text):
        yield Segment(tag, text[at:])


def layout(diff: DocumentDiff, context: int) -> Iterator[Item]:
    """Changes in document order with up to `context` unchanged blocks around each, and gaps between."""
    new_of_old = dict(diff.unchanged)
    kept_new = sorted(new_of_old.values())
    kept_before: list[float] = []  # for each old index: the new index of the last kept block before it
    last = -1.0
    for index in range(len(diff.old.blocks)):
        kept_before.append(last)
        last = new_of_old.get(index, last)
    sections = diff.new.sections()
    entries: list[tuple[float, int, float, Item]] = []  # (start, order, end, item)
    wanted: set[int] = set()
    for order, change in enumerate(diff.changes):
        if change.new_index is not None:
            start, end = float(change.new_index), float(change.new_index + len(change.new_blocks) - 1)
        else:
            start = end = kept_before[change.old_index or 0] + 0.5
        entries.append((start, order, end, Item("change", change=change, section=change.section)))
        if context:
            before = bisect.bisect_left(kept_new, start)
            after = bisect.bisect_right(kept_new, end)
            wanted.update(j for j in kept_new[max(0, before - context) : before] if j >= start - context)
            wanted.update(j for j in kept_new[after : after + context] if j <= end + context)
    entries.extend((j, -1, j, Item("context", block=diff.new.blocks[j], section=sections[j])) for j in wanted)
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    previous: float | None = None
    for start, _, end, item in entries:
        if previous is not None and item.kind == "context" and start - previous > 1:
            yield Item("gap")
        previous = end if previous is None else max(previous, end)
        yield item


def kind_note(change: Change) -> str:
    """'paragraph → heading 2' when the blocks' kinds or levels changed (not shown by a word diff)."""
    if change.kind == "restructured":
        return change.note
    if change.kind not in ("modified", "moved") or [(b.kind, b.level) for b in change.old_blocks] == [
        (b.kind, b.level) for b in change.new_blocks
    ]:
        return ""
    return f"{_describe(change.old_blocks)} → {_describe(change.new_blocks)}"


def _describe(blocks: tuple[Block, ...]) -> str:
    if len(blocks) > 1:
        return f"{len(blocks)} blocks"
    block = blocks[0]
    return {"heading": f"heading {block.level}", "item": f"list item (level {block.level})"}.get(
        block.kind, block.kind
    )


def headline(change: Change) -> str:
    """'modified · substantive · signals: may, will' (plus where a moved block came from)."""
    parts: list[str] = [change.kind, change.cls]
    if change.kind == "moved":
        moved_from = " › ".join(change.old_section) or "(top)"
        parts.append("within the section" if change.old_section == change.section else f"from {moved_from}")
    note = kind_note(change)
    if note:
        parts.append(note)
    about = touches((), change.signals)
    if about:
        parts.append("touches: " + about)
    return " · ".join(parts)


def summary_line(diff: DocumentDiff) -> str:
    counts = diff.summary()
    if not counts["total"]:
        return "No changes."
    by_kind, by_class = counts["by_kind"], counts["by_class"]
    kinds = ", ".join(f"{by_kind[kind]} {kind}" for kind in SUMMARY_KINDS if by_kind.get(kind))
    plural = "s" if counts["total"] != 1 else ""
    return (
        f"{counts['total']} change{plural} ({by_class['substantive']} substantive, {by_class['cosmetic']} cosmetic): "
        + kinds
    )


def structure_groups(diff: DocumentDiff) -> list[tuple[str, list[str]]]:
    """The structural changes as (title, entries): metadata first, then sections added, removed, ..."""
    structure = diff.structure
    groups = [
        (_METADATA_LABELS.get(key, key.capitalize()), [_before_after(value.get("old"), value.get("new"))])
        for key, value in structure.get("metadata", {}).items()
    ]
    for key in ("added", "removed", "renamed", "moved", "reordered"):
        entries = structure.get(f"sections_{key}", [])
        shown = [f"{e['old']} → {e['new']}" if isinstance(e, dict) else e for e in entries]
        if shown:
            groups.append((f"Sections {key}", shown))
    return groups


def structure_lines(diff: DocumentDiff, limit: int = 3) -> list[str]:
    """One line per kind of structural change, naming at most `limit` sections (the json has them all)."""
    lines = []
    for title, entries in structure_groups(diff):
        more = f" (and {len(entries) - limit} more)" if len(entries) > limit else ""
        lines.append(f"{title}: " + "; ".join(entries[:limit]) + more)
    return lines


_METADATA_LABELS = {"title": "Title", "updated": "Dated"}


def _before_after(old: str | None, new: str | None) -> str:
    """'Effective June 16, 2025 → Effective December 16, 2025'; a side that is absent is said so, never 'None'."""
    if old and new:
        return f"{old} → {new}"
    if new:
        return f"{new} (none before)"
    return f"none any more (was: {old})" if old else "none"


def side_label(meta: Mapping[str, Any], side: str) -> str:
    info = meta.get(side) or {}
    label = info.get("label") or " ".join(str(info[key]) for key in ("id", "since") if info.get(key))
    page = meta.get("page")
    return " ".join(part for part in (page, label or ("old" if side == "from" else "new")) if part)


def block_prefix(block: Block) -> str:
    return {"heading": "#" * block.level + " ", "item": "  " * block.level + "- ", "row": "| "}.get(
        block.kind, ""
    )


# --- formats --------------------------------------------------------------------------------------------
