"""An alert as people read it: subject, plain text and HTML (Jinja2; autoescape on for HTML, so every
page-derived string is escaped), shared by every notifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.config.loading import PageConfig
from monitor.diff.segments import ops_segments
from monitor.templating import get_template
from monitor.watch.alerts import Alert

SUBJECT_PREFIX = "[privacy-monitor]"


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
        text=get_template("alert.txt.j2").render(**context),
        html=get_template("alert.html.j2").render(**context),
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
        "segments": list(ops_segments(alert.ops)),
        "changed_ops": any(op.tag != "equal" for op in alert.ops),
        "near": near,
        "near_section": " › ".join((near or {}).get("section") or ()),
        "count": alert.details.get("count"),
        "version": alert.version[:12],
        "previous": (alert.previous or "")[:12],
    }


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def render_alerts(alerts: Sequence[Alert], page: PageConfig | None = None) -> Rendered:
    """One mail for every alert one check of one page raised, most severe first; the subject names the
    page's title and the most severe watch."""
    if not alerts:
        raise ValueError("render_alerts needs at least one alert")
    ordered = sorted(alerts, key=lambda alert: (SEVERITY_ORDER.get(alert.severity, 3), alert.watch))
    if len(ordered) == 1:
        return render_alert(ordered[0], page)
    parts = [render_alert(alert, page) for alert in ordered]
    first = ordered[0]
    title = (page.title if page else None) or first.page
    more = len(ordered) - 1
    return Rendered(
        subject=f"{SUBJECT_PREFIX} {title}: {first.headline} and {more} more {'alert' if more == 1 else 'alerts'}",
        text="\n\n".join(part.text for part in parts),
        html="\n<hr>\n".join(part.html for part in parts),
    )
