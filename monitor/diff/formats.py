"""`render(diff, fmt)`: a diff in one of the output formats (text, unified, markdown, html, json)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff

Format = Literal["text", "unified", "markdown", "html", "json"]
FORMATS: tuple[Format, ...] = ("text", "unified", "markdown", "html", "json")
DEFAULT_CONTEXT = {"text": 1, "markdown": 1, "html": 1, "unified": 3, "json": 0}


def render(
    diff: DocumentDiff,
    fmt: Format = "text",
    *,
    color: bool = False,
    context: int | None = None,
    meta: Mapping[str, Any] | None = None,
    substantive_only: bool = False,
    section: str | None = None,
) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown diff format {fmt!r} (one of {', '.join(FORMATS)})")
    # The renderers load when a diff is shown: `check` and the other commands start without them; Jinja only
    # for the html format.
    from monitor.diff.render import layout
    from monitor.diff.render_text import render_markdown, render_text, render_unified
    from monitor.diff.summary import summarize

    shown = diff.filtered(substantive_only=substantive_only, section=section)
    meta = dict(meta or {})
    lines = DEFAULT_CONTEXT[fmt] if context is None else max(0, context)
    if fmt == "unified":  # diff -u has no summary above it
        return render_unified(diff, shown, meta, lines)
    overview = summarize(diff)  # of the whole change, whatever the filters show of it
    line = overview.line() if shown.changes else ""  # "No changes." needs no summary above it
    if fmt == "json":
        return _json(shown, meta, overview.to_json())
    if fmt == "html":
        from monitor.diff.render_html import render_html

        return render_html(shown, meta, list(layout(shown, lines)), line)
    if fmt == "markdown":
        return render_markdown(shown, meta, list(layout(shown, lines)), line)
    return render_text(shown, meta, list(layout(shown, lines)), color, line)


def _json(diff: DocumentDiff, meta: dict[str, Any], overview: dict[str, Any]) -> str:
    data = {
        "overview": overview,  # what a reader sees first: monitor.diff.summary.ChangeSummary.to_json
        "page": meta.get("page"),
        "from": meta.get("from"),
        "to": meta.get("to"),
        "summary": diff.summary(),
        "structure": diff.structure,
        "changes": [change.to_json() for change in diff.changes],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
