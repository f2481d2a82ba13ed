"""An alert as people read it: subject, plain text and HTML (Jinja2; autoescape on for HTML, so every
page-derived string is escaped), shared by every notifier."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.alerts import Alert
from monitor.config import PageConfig

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SUBJECT_PREFIX = "[privacy-monitor]"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def marked(ops: list[Any]) -> str:
    """Plain-text word diff: unchanged text as is, [-removed-] and {+added+} (git's markers)."""
    out = []
    for op in ops:
        if op.tag == "equal":
            out.append(op.old)
            continue
        if op.old:
            out.append(f"[-{op.old}-]")
        if op.new:
            out.append(f"{{+{op.new}+}}")
    return "".join(out)


def indent_wrap(text: str, width: int = 76, indent: str = "    ") -> str:
    """Each paragraph wrapped and indented (quoted page text stands out from the alert's own words)."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    wrap = textwrap.TextWrapper(
        width, initial_indent=indent, subsequent_indent=indent, break_long_words=False
    )
    return "\n\n".join(wrap.fill(" ".join(p.split())) for p in paragraphs)


_environment.filters["marked"] = marked
_environment.filters["indent_wrap"] = indent_wrap

_WHAT = {
    "changed": "The wording you watch changed.",
    "removed": "The wording you watch is no longer on the page.",
    "moved": "The wording you watch moved to another section.",
    "appeared": "The wording you watch appeared on the page.",
    "reappeared": "The wording you watch is back on the page.",
    "disappeared": "The wording you watch is no longer on the page.",
    "cosmetic": "The wording you watch changed in form only (punctuation, case, typography).",
}
_WHAT_TERM = {
    "removed": "The term you watch no longer occurs on the page.",
    "appeared": "The term you watch now occurs on the page.",
    "reappeared": "The term you watch occurs on the page again.",
}
_WHAT_SECTION = {
    "changed": "The section you watch changed substantively.",
    "removed": "No heading on the page matches the section you watch any more.",
    "appeared": "A heading matching the section you watch appeared.",
    "reappeared": "A heading matching the section you watch is back.",
}
_NOT_FOUND = "The wording you watch was not found on the page (check the watch's text in the config)."


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def subject(alert: Alert) -> str:
    """'[privacy-monitor] facebook-ai-objection-de: accounts-center-scope changed (high)'."""
    return f"{SUBJECT_PREFIX} {alert.page}: {alert.headline}"


def what_happened(alert: Alert) -> str:
    if alert.kind == "removed" and alert.details.get("first"):
        return _NOT_FOUND
    table = {"term": _WHAT_TERM, "section": _WHAT_SECTION}.get(alert.watch_kind, {})
    return table.get(alert.kind) or _WHAT.get(alert.kind, f"Watch hit: {alert.kind}.")


def render_alert(alert: Alert, page: PageConfig | None = None) -> Rendered:
    context = _context(alert, page)
    return Rendered(
        subject=subject(alert),
        text=_environment.get_template("alert.txt.j2").render(**context),
        html=_environment.get_template("alert.html.j2").render(**context),
    )


def _context(alert: Alert, page: PageConfig | None) -> dict[str, Any]:
    near = alert.details.get("near") or None
    return {
        "alert": alert,
        "subject": subject(alert),
        "what": what_happened(alert),
        "page_title": (page.title if page else None) or alert.page,
        "page_url": page.url if page else None,
        "section": " › ".join(alert.section),
        "moved_from": " › ".join(alert.details.get("moved_from") or ()),
        "ops": [op for op in alert.ops],
        "changed_ops": any(op.tag != "equal" for op in alert.ops),
        "near": near,
        "near_section": " › ".join((near or {}).get("section") or ()),
        "count": alert.details.get("count"),
        "version": alert.version[:12],
        "previous": (alert.previous or "")[:12],
    }
