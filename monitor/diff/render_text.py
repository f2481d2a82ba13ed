"""The `text` (terminal), `markdown` and `unified` formats of a diff.

text: section headers, then each change as a headline (kind · class · signals) and its word diff, either
colored (deleted red and struck through, added green, signal words bold and underlined) or with plain
markers `[-removed-]{+added+}` (git's word-diff style). Unchanged blocks shown for context are indented
and dimmed. markdown: the same layout; deleted words ~~struck~~, added **bold**, page text escaped.
unified: difflib's line diff of the stored text (one block per line), as `diff -u` shows it.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import click

from monitor.diff.core import DocumentDiff
from monitor.diff.render import (
    PARAGRAPH_BREAK,
    Item,
    Segment,
    block_prefix,
    coalesce,
    headline,
    segments,
    side_label,
    structure_lines,
    summary_line,
)


def render_text(
    diff: DocumentDiff, meta: dict[str, Any], items: list[Item], color: bool, overview: str = ""
) -> str:
    def style(text: str, **styles: Any) -> str:
        return click.style(text, **styles) if color else text

    out = [
        style(f"--- {side_label(meta, 'from')}", bold=True),
        style(f"+++ {side_label(meta, 'to')}", bold=True),
    ]
    if overview:
        out.append(style(overview, bold=True))
    out.append(summary_line(diff))
    out.extend(structure_lines(diff))
    section: tuple[str, ...] | None = None
    marks = {"modified": "~", "added": "+", "removed": "-", "moved": ">", "restructured": "="}
    for item in items:
        if item.kind == "gap":
            out.append(style("    …", dim=True))
            continue
        if item.section != section:
            section = item.section
            out.extend(["", style(f"@@ {' › '.join(section) or '(top)'} @@", fg="cyan", bold=True)])
        if item.kind == "context" and item.block is not None:
            out.append(style("    " + block_prefix(item.block) + item.block.text, dim=True))
            continue
        change = item.change
        assert change is not None
        out.append(
            style(
                f"{marks.get(change.kind, '*')} {headline(change)}",
                fg="yellow" if change.substantive else "white",
            )
        )
        block = (change.new_blocks or change.old_blocks)[0]
        pieces = segments(change) if color else coalesce(segments(change))
        out.append("    " + block_prefix(block) + "".join(mark_segment(s, color) for s in pieces))
    return "\n".join(out) + "\n"


def mark_segment(segment: Segment, color: bool) -> str:
    """One word-diff segment for a terminal: [-deleted-] {+inserted+}, or in colour."""
    text = segment.text.replace("\n\n", PARAGRAPH_BREAK)
    if segment.kind in ("same", "gap"):
        return text
    if not color:
        return f"[-{text}-]" if segment.kind == "del" else f"{{+{text}+}}"
    fg = "red" if segment.kind == "del" else "green"
    signal = segment.signal or None  # None: leave the attribute alone rather than switch it off
    return click.style(
        text, fg=fg, bold=signal, underline=signal, strikethrough=segment.kind == "del" or None
    )


_MARKDOWN_SPECIAL = str.maketrans(
    {char: "\\" + char for char in "\\`*_[]|~"} | {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
)
_MARKDOWN_LINE_START = re.compile(r"^(?=[#+=-]|\d+[.)])")


def _md(text: str) -> str:
    return text.replace("\n\n", PARAGRAPH_BREAK).translate(_MARKDOWN_SPECIAL)


def _md_line(text: str) -> str:
    """A paragraph of Markdown that cannot be read as a heading or list item."""
    return _MARKDOWN_LINE_START.sub("\\\\", text)


def _md_segment(segment: Segment) -> str:
    text = segment.text.replace("\n\n", PARAGRAPH_BREAK)
    core = text.strip()
    if segment.kind == "same" or not core:
        return _md(text) if segment.kind != "del" else ""
    # Emphasis markers must hug the text (CommonMark), so edge whitespace stays outside them.
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    marker = "~~" if segment.kind == "del" else "**"
    return f"{lead}{marker}{_md(core)}{marker}{trail}"


def render_markdown(diff: DocumentDiff, meta: dict[str, Any], items: list[Item], overview: str = "") -> str:
    out = [
        f"# Changes: {_md(side_label(meta, 'from'))} → {_md(side_label(meta, 'to'))}",
        "",
        *([f"**{_md(overview)}**", ""] if overview else []),
        summary_line(diff),
    ]
    out.extend(["", *(f"- {_md(line)}" for line in structure_lines(diff))] if diff.structure else [])
    section: tuple[str, ...] | None = None
    for item in items:
        if item.kind == "gap":
            out.extend(["", "> …"])
            continue
        if item.section != section:
            section = item.section
            out.extend(["", f"## {_md(' › '.join(section) or '(top)')}"])
        if item.kind == "context" and item.block is not None:
            out.extend(["", f"> {_md_line(_md(block_prefix(item.block) + item.block.text))}"])
            continue
        change = item.change
        assert change is not None
        words = "".join(_md_segment(s) for s in coalesce(segments(change)))
        out.extend(["", f"**{_md(headline(change))}**", "", _md_line(words)])
    return "\n".join(out) + "\n"


def render_unified(full: DocumentDiff, shown: DocumentDiff, meta: dict[str, Any], context: int) -> str:
    """difflib's unified diff of the stored text; with filters, only the hunks that touch a shown change."""
    old_lines = full.old.to_text().splitlines(keepends=True)
    new_lines = full.new.to_text().splitlines(keepends=True)
    old_keep = {
        i
        for c in shown.changes
        if c.old_index is not None
        for i in range(c.old_index, c.old_index + len(c.old_blocks))
    }
    new_keep = {
        j
        for c in shown.changes
        if c.new_index is not None
        for j in range(c.new_index, c.new_index + len(c.new_blocks))
    }
    filtered = len(shown.changes) != len(full.changes)
    out = [f"--- {side_label(meta, 'from')}\n", f"+++ {side_label(meta, 'to')}\n"]
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        # Blocks sit on even lines (a blank line between two), so line // 2 is the block index.
        touched = any(
            tag != "equal"
            and (
                any(i // 2 in old_keep for i in range(i1, i2))
                or any(j // 2 in new_keep for j in range(j1, j2))
            )
            for tag, i1, i2, j1, j2 in group
        )
        if filtered and not touched:
            continue
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(" " + line for line in old_lines[i1:i2])
                continue
            out.extend("-" + line for line in old_lines[i1:i2])
            out.extend("+" + line for line in new_lines[j1:j2])
    return "".join(out) if len(out) > 2 else ""


def _range(start: int, stop: int) -> str:
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"
