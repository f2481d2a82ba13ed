"""The `html` format of a diff: one self-contained page from templates/diff.html.j2 (autoescaped)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from monitor.diff import DocumentDiff
from monitor.render import Item, kind_note, segments, side_label, structure_groups, summary_line

TEMPLATES = Path(__file__).parent / "templates"


def _breaks(text: str) -> Markup:
    """A blank line inside a word diff (a split or merged paragraph) shown as a pilcrow and a line break."""
    return Markup("¶<br>").join(escape(part) for part in text.split("\n\n"))


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["breaks"] = _breaks
    return environment


def render_html(diff: DocumentDiff, meta: dict[str, Any], items: list[Item]) -> str:
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
    return (
        _environment()
        .get_template("diff.html.j2")
        .render(
            page=meta.get("page"),
            from_label=side_label(meta, "from"),
            to_label=side_label(meta, "to"),
            summary=summary_line(diff),
            structure=structure_groups(diff),
            items=shown,
            filtered=bool(meta.get("filtered")),
        )
    )
