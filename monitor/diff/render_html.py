"""The `html` format of a diff: one self-contained page from templates/diff.html.j2 (autoescaped)."""

from __future__ import annotations

from typing import Any

from monitor.diff.core import DocumentDiff
from monitor.diff.render import Item, kind_note, segments, side_label, structure_groups, summary_line
from monitor.templating import get_template


def render_html(diff: DocumentDiff, meta: dict[str, Any], items: list[Item], overview: str = "") -> str:
    section: tuple[str, ...] | None = None
    shown: list[dict[str, Any]] = []
    for item in items:
        entry: dict[str, Any] = {"kind": item.kind, "heading": None}
        if item.kind != "gap" and item.section != section:
            section = item.section
            entry["heading"] = " › ".join(section)
        if item.kind == "context" and item.block is not None:
            entry["text"] = item.block.text
        elif item.change is not None:
            entry.update(change=item.change, segments=segments(item.change), note=kind_note(item.change))
        shown.append(entry)
    return get_template("diff.html.j2").render(
        page=meta.get("page"),
        from_label=side_label(meta, "from"),
        to_label=side_label(meta, "to"),
        overview=overview,
        summary=summary_line(diff),
        structure=structure_groups(diff),
        items=shown,
        filtered=bool(meta.get("filtered")),
    )
