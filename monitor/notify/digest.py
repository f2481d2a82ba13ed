"""What one digest reports, built from the store for a period [start, end).

Each page that changed (substantive changes first; cosmetic ones grouped and collapsed), each alert, each page
in trouble (failing, or not checked at all: silence must never look like "no change"), and translation lag
between the language versions of one document. Rendering to mail lives in digest_render.py; this module only
gathers facts, so `privacy-monitor digest --print`, the HTML file and the email all show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config.loading import Config, PageConfig
from monitor.diff.segments import Segment, block_segments, elide, ops_segments
from monitor.models import CheckRecord, Outcome
from monitor.notify.base import has_notifier
from monitor.present.changes import PageChange, page_change
from monitor.present.lag import Lag, translation_lag
from monitor.present.words import human_time, plural
from monitor.store.core import Store
from monitor.store.health import PageStatus, period_facts


@dataclass(slots=True)
class AlertLine:
    watch: str
    kind: str
    severity: str
    page: str
    section: str
    segments: list[Segment]
    title: str = ""  # the page's title as configured (the id when it has none)
    watch_kind: str = "clause"
    more: int = 0  # of a section watch: changed passages not shown

    @property
    def what(self) -> str:
        """'changed', 'no longer on the page', ... in words (the alert kinds of monitor.watch.alerts)."""
        return ALERT_WORDS.get(self.kind, self.kind.replace("_", " "))


@dataclass(slots=True)
class Trouble:
    page: str
    title: str
    url: str
    reason: str
    since: str | None  # first failed check of the current run of failures; None: not checked in the period
    failures: int
    last_success: str | None


@dataclass(slots=True)
class Digest:
    start: datetime
    end: datetime
    timezone: str
    pages: int  # configured pages
    pages_checked: int  # pages with at least one check in the period
    checks: int
    new_pages: list[tuple[str, str, str]]  # page, title, time of its first capture
    changes: list[PageChange]  # substantive first, then cosmetic-only
    alerts: list[AlertLine]
    trouble: list[Trouble]
    lag: list[Lag]
    undelivered: list[AlertLine] = field(default_factory=list)  # alerts the outbox could not deliver (yet)
    objections: list[str] = field(
        default_factory=list
    )  # one line per objection in force: what its clauses say

    @property
    def quiet(self) -> bool:
        return not (self.changes or self.alerts or self.trouble or self.new_pages or self.undelivered)

    @property
    def substantive_changes(self) -> list[PageChange]:
        return [change for change in self.changes if not change.cosmetic_only]

    @property
    def cosmetic_changes(self) -> list[PageChange]:
        return [change for change in self.changes if change.cosmetic_only]

    def local(self, moment: datetime | str | None) -> str:
        """A time as the reader sees it: in the digest's time zone, to the minute."""
        return human_time(moment, ZoneInfo(self.timezone), none="never")

    def subject(self) -> str:
        day = self.end.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d")
        if self.quiet:
            return f"privacy-monitor {day}: all quiet ({self.pages_checked} of {plural(self.pages, 'page')} checked)"
        parts = []
        if self.changes:
            parts.append(_count(len(self.changes), "change"))
        if self.new_pages:
            parts.append(_count(len(self.new_pages), "new page"))
        if self.alerts:
            parts.append(_count(len(self.alerts), "alert"))
        if self.trouble:
            parts.append(_count(len(self.trouble), "page") + " in trouble")
        if self.undelivered:
            parts.append(_count(len(self.undelivered), "alert") + " not delivered")
        return f"privacy-monitor {day}: " + ", ".join(parts)


ALERT_WORDS = {
    "changed": "changed",
    "removed": "no longer on the page",
    "disappeared": "no longer on the page",
    "moved": "moved to another section",
    "appeared": "appeared",
    "reappeared": "is back on the page",
    "cosmetic": "changed in form only",
    "not_found": "not found on the first check",
}


def _count(number: int, noun: str) -> str:
    return plural(number, noun)


def build_digest(store: Store, config: Config, start: datetime, end: datetime) -> Digest:
    """Gather the digest of [start, end) from the store's check logs and versions."""
    from monitor.objections.clause import digest_lines  # here: it costs the service's start ~70 ms

    new_pages: list[tuple[str, str, str]] = []
    changes: list[PageChange] = []
    alerts: list[AlertLine] = []
    trouble: list[Trouble] = []
    changed_substantively: dict[str, str] = {}
    pages_checked = checks = 0
    pages = {page.id: page for page in config.pages}
    notified = has_notifier(config.notify)
    for page in config.pages:
        damage, in_period, status = period_facts(page, store, start, end, config.service.failing_after)
        checks += len(in_period)
        pages_checked += bool(in_period)
        for record in in_period:
            if record.outcome == Outcome.NEW:
                new_pages.append((page.id, page.title or page.id, record.time))
            elif record.outcome == Outcome.CHANGED and record.previous and record.version:
                change = page_change(
                    store, page, record, config.watches, include_private=config.report.include_private
                )
                changes.append(change)
                if not change.cosmetic_only:
                    changed_substantively[page.id] = record.time
            alerts.extend(_alert_line(alert, page) for alert in record.alerts)
        if problem := _trouble(page, status, in_period, damage, ZoneInfo(config.digest.timezone)):
            trouble.append(problem)
    # Substantive first; the language versions of one document next to each other.
    documents = {page.id: page.document or page.id for page in config.pages}
    changes.sort(key=lambda change: (change.cosmetic_only, documents[change.page], change.time, change.page))
    alerts.sort(key=lambda alert: ({"high": 0, "medium": 1, "low": 2}.get(alert.severity, 3), alert.page))
    return Digest(
        start=start,
        end=end,
        timezone=config.digest.timezone,
        pages=len(config.pages),
        pages_checked=pages_checked,
        checks=checks,
        new_pages=new_pages,
        changes=changes,
        alerts=alerts,
        trouble=trouble,
        lag=translation_lag(store, config.pages, changed_substantively, {t.page: t.reason for t in trouble}),
        undelivered=[
            _alert_line(alert, pages[alert["page"]])
            for alert in _undelivered(store, start, end)
            if alert.get("page") in pages and notified  # without a notifier the digest is the alerts' channel
        ],
        objections=digest_lines(store, config),
    )


def _undelivered(store: Store, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The alerts (as stored) of the messages still being tried, and of those that gave up in [start, end):
    one given up earlier was said then, and `outbox` lists it; saying it every day would make no digest quiet."""
    from monitor.store.timeline import parse_time

    def gave_up_now(targets: dict[str, dict[str, Any]]) -> bool:
        tries = [parse_time(t["last_attempt"]) for t in targets.values() if t.get("last_attempt")]
        return bool(tries) and start <= max(tries) < end

    return store.outbox.undelivered(keep=lambda row: row.status == "pending" or gave_up_now(row.targets))


def _alert_line(alert: dict[str, Any], page: PageConfig) -> AlertLine:
    from monitor.diff.summary import bounded

    section = alert.get("section") or ()
    if isinstance(section, list | tuple):
        section = " › ".join(section)
    ops = alert.get("ops") or []
    details = alert.get("details") or {}
    kind = str(alert.get("kind") or "changed")
    if kind == "removed" and details.get("first"):  # stored before `not_found` was its own kind
        kind = "not_found"
    passages = details.get("changes") or [] if alert.get("watch_kind") == "section" else []
    more = 0
    if passages:  # a section watch: its first changed passage (the alert mail shows a few)
        first = passages[0]
        segments = block_segments(
            first.get("kind", ""), first.get("old"), first.get("new"), first.get("ops") or ()
        )
        more = max(0, int(details.get("count") or len(passages)) - 1)
    elif ops:
        segments = elide(list(ops_segments(ops)))
    elif kind == "not_found" and (details.get("near") or {}).get("text"):
        segments = [Segment("same", details["near"]["text"])]  # the closest sentence, as the mail names it
    else:
        segments = [Segment("del", alert["old"])] if alert.get("old") else []
        segments += [Segment("ins", alert["new"])] if alert.get("new") else []
    return AlertLine(
        watch=str(alert.get("watch") or "(unnamed watch)"),
        kind=kind,
        severity=str(alert.get("severity") or "medium"),
        page=str(alert.get("page") or page.id),
        section=str(section),
        segments=bounded(segments),  # a section watch's alert holds every edit of the section
        title=page.title or page.id,
        watch_kind=str(alert.get("watch_kind") or "clause"),
        more=more,
    )


def _trouble(
    page: PageConfig,
    status: PageStatus | None,
    in_period: list[CheckRecord],
    damage: str | None,
    zone: ZoneInfo,
) -> Trouble | None:
    title = page.title or page.id
    if damage:  # damage stays local: this page is in trouble, the reason names the file to restore
        return Trouble(page.id, title, page.url, damage, None, 0, None)
    assert status is not None  # only a damaged page has none
    if status.failing:
        return Trouble(
            page.id, title, page.url, status.last_reason or "failed", status.failing_since, status.failures,
            status.last_success,
        )  # fmt: skip
    if not in_period:
        since = (
            f"last checked {human_time(status.last_check, zone)}" if status.last_check else "never checked"
        )
        return Trouble(
            page.id, title, page.url, f"not checked in this period ({since})", None, 0, status.last_success
        )
    return None
