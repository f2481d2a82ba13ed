"""Alerts as people read them: subject, plain text and HTML (Jinja2; autoescape on for HTML, so every
page-derived string is escaped), shared by every notifier.

One mail per page check: `render_alerts(alerts, page)` lists every alert the check raised, most severe first,
under the page's title and (when given) the change's summary line. Excerpts are clause-sized whatever the
change: a section watch on a section with hundreds of edits shows its first few changed passages, each
bounded (monitor.diff.summary.bounded), and says how many more there are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from monitor.config.loading import PageConfig
from monitor.config.schema import is_published
from monitor.diff.segments import Segment, block_segments, elide, ops_segments
from monitor.diff.summary import ChangeSummary, bounded
from monitor.objections.words import objection_lines
from monitor.present.links import change_link
from monitor.present.words import human_time, plural
from monitor.templating import get_template
from monitor.watch.alerts import Alert, severity_rank

SUBJECT_PREFIX = "[privacy-monitor]"
PASSAGES = 3  # changed passages shown of a section watch's alert
MAX_ALERTS = 20  # alerts shown in full in one mail; the rest are named
# What cannot stand in a mail header: controls (C0, DEL, C1: CR and LF would start a new header), the line
# separators the email package splits at (it refuses such a value outright), lone surrogates.
_NOT_IN_HEADER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")


# The last line of every mail: how a reader changes what they receive (never a command to run).
ALERT_FOOTER = (
    "You receive these alerts because your address is on this privacy-monitor's alert list; to change what "
    "you receive (which wordings are watched, from which severity, at which address), ask whoever runs it to "
    "change [[watches]], [notify] min_severity or [notify.email] to in its config."
)
DIGEST_FOOTER = (
    "You receive this digest because your address is on this privacy-monitor's digest list; to change what "
    "you receive (which pages and wordings, at what time, at which address), ask whoever runs it to change "
    "[[pages]], [[watches]], [digest] time or [digest] to in its config."
)

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
_NOT_FOUND = {
    "clause": "The wording you watch was not found on the first check (check the watch's text in the config).",
    "term": "The term you watch was not found on the first check (check the watch's text in the config).",
    "section": "No heading matched the section you watch on the first check (check the watch's text).",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def header_text(value: str) -> str:
    """`value` as one header line: every run of control characters folded into one space. The config refuses
    them in titles and addresses; this is for what it could not check (a store written before, a notifier's
    title), so that no stored alert can make its mail unsendable."""
    return " ".join(_NOT_IN_HEADER.sub(" ", value).split())


def subject(alert: Alert, page: PageConfig | None = None) -> str:
    """'[privacy-monitor] KI bei Meta (Facebook, Deutsch): accounts-center-scope changed (high)'."""
    return header_text(f"{SUBJECT_PREFIX} {_title(alert, page)}: {alert.headline}")


def what_happened(alert: Alert) -> str:
    if alert.label == "not found":
        return _NOT_FOUND.get(alert.watch_kind, _NOT_FOUND["clause"])
    table = {"term": _WHAT_TERM, "section": _WHAT_SECTION}.get(alert.watch_kind, {})
    return table.get(alert.kind) or _WHAT.get(alert.kind) or f"The watch reports: {alert.kind}."


def render_alert(
    alert: Alert,
    page: PageConfig | None = None,
    *,
    summary: ChangeSummary | None = None,
    base_url: str | None = None,
    include_private: bool = False,
    zone: tzinfo = UTC,
) -> Rendered:
    return render_alerts(
        [alert], page, summary=summary, base_url=base_url, include_private=include_private, zone=zone
    )


def render_alerts(
    alerts: Sequence[Alert],
    page: PageConfig | None = None,
    *,
    summary: ChangeSummary | None = None,
    base_url: str | None = None,
    include_private: bool = False,
    zone: tzinfo = UTC,
) -> Rendered:
    """One mail for every alert one check of one page raised, most severe first; the subject names the
    page's title and the most severe watch. `summary`: the change's summary, shown first; `base_url`: where the
    report site is published, for a link to the change's page (none for a private page the site leaves out:
    `include_private` is `[report] include_private`); `zone`: the digest's time zone, for every time
    the mail shows."""
    if not alerts:
        raise ValueError("render_alerts needs at least one alert")
    ordered = sorted(alerts, key=lambda alert: (-severity_rank(alert.severity), alert.watch))
    first = ordered[0]
    if summary is None and first.details.get("change"):  # stored with the alert at check time
        summary = ChangeSummary.from_json(first.details["change"])
    more = len(ordered) - 1
    title = subject(first, page) + (f" and {plural(more, 'more alert')}" if more else "")
    context = {
        "subject": title,
        "page_title": _title(first, page),
        "page_url": page.url if page else None,
        "summary": summary.line() if summary else None,
        "link": change_link(
            base_url,
            first.page,
            first.previous,
            first.version,
            published=is_published(page, include_private=include_private),
        ),
        "items": [_item(alert, zone) for alert in ordered[:MAX_ALERTS]],
        "unshown": [alert.headline for alert in ordered[MAX_ALERTS:]],
        "footer": ALERT_FOOTER,
        "count": plural,
    }
    return Rendered(
        subject=title,
        text=get_template("alert.txt.j2").render(**context),
        html=get_template("alert.html.j2").render(**context),
    )


def _title(alert: Alert, page: PageConfig | None) -> str:
    return (page.title if page else None) or alert.page


def _item(alert: Alert, zone: tzinfo) -> dict[str, Any]:
    near = alert.details.get("near") or None
    passages = _passages(alert)
    count = alert.details.get("count")
    return {
        "alert": alert,
        "what": what_happened(alert),
        "section": " › ".join(alert.section),
        "moved_from": " › ".join(alert.details.get("moved_from") or ()),
        "passages": passages,
        "more_passages": max(0, (count or 0) - len(passages)) if alert.watch_kind == "section" else 0,
        "now_reads": _excerpt(alert.new) if alert.watch_kind != "section" else None,
        "last_seen": _excerpt(alert.old) if alert.old and not alert.new else None,
        "near": near,
        "why": alert.details.get("reason") if alert.kind in ("changed", "moved", "reappeared") else None,
        "near_text": _excerpt(near["text"]) if near else None,
        "near_section": " › ".join((near or {}).get("section") or ()),
        "found": _found(alert),
        "checked": human_time(alert.time, zone),
        "objections": objection_lines(alert),
        "version": alert.version[:12],
        "previous": (alert.previous or "")[:12],
    }


def _passages(alert: Alert) -> list[tuple[str, list[Segment]]]:
    """(section, word diff) of what changed: a section watch's first few edits, or the one clause."""
    changes = alert.details.get("changes") if alert.watch_kind == "section" else None
    if changes:
        return [
            (
                " › ".join(c.get("section") or ()),
                bounded(block_segments(c.get("kind", ""), c.get("old"), c.get("new"), c.get("ops") or ())),
            )
            for c in changes[:PASSAGES]
        ]
    if any(op.tag != "equal" for op in alert.ops):
        return [("", bounded(elide(list(ops_segments(alert.ops)))))]
    return []


def _excerpt(text: str | None) -> str | None:
    if not text:
        return None
    return "".join(segment.text for segment in bounded([Segment("same", text)]))


def _found(alert: Alert) -> str | None:
    """How many: of a clause or term, its occurrences; of a section, its substantive changes (the same
    numbers `privacy-monitor watches` shows, under the same names)."""
    count = alert.details.get("count")
    if not isinstance(count, int):
        return None
    if alert.watch_kind == "section":
        if alert.kind != "changed":
            return None
        return f"{plural(count, 'substantive change')} in the watched section"
    if count > 1:
        return f"{count} occurrences on the page (this alert follows the one nearest its last place)"
    return None
