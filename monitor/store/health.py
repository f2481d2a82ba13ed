"""Page health, computed from the store's check logs (the only record of what happened), for the digest,
`status` and the service.

For each page: the last check, the last good one, the last change, the run of consecutive failures with its
reason and start, and the next run its schedule gives. A page failing for longer than `service.failing_after`
is `failing_too_long`; a page whose next run is late by more than one period of its schedule is `overdue`.
`verdict` is the one exit rule of `privacy-monitor status` (exit code 3 for monitoring systems): a page failing
too long, or, while no service runs, a page overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor import fsutil
from monitor.config.loading import Config, PageConfig, parse_duration
from monitor.config.timing import digest_zone, next_due
from monitor.config.triggers import PageSchedule
from monitor.errors import ExitStatus, StoreDamaged
from monitor.models import CheckRecord, Outcome, isoformat
from monitor.store.core import Store
from monitor.store.timeline import STARTS_VERSION, parse_time

SERVICE_LOCK = "service.lock"


@dataclass(frozen=True, slots=True)
class PageStatus:
    page: str
    url: str
    title: str | None
    document: str | None
    last_check: str | None
    last_outcome: str | None
    last_success: str | None
    last_change: str | None  # when the current version arrived (a `new` or `changed` check)
    version: str | None
    checks: int
    failures: int  # consecutive failed checks up to the last one
    failing_since: str | None  # time of the first of them
    last_reason: str | None  # reason of the last failed check, or a warning of the last good one
    next_run: str | None
    failing_too_long: bool
    overdue: bool = False  # its next run is later than one period of its schedule
    imported_change: str | None = None  # the latest imported version, when no live check changed it since

    def change_shown(self, show_time: Callable[[str | None], str]) -> str:
        """The last change as `pages` and `status` show it: imported history is said to be history."""
        if self.last_change is None and self.imported_change is not None:
            return f"{show_time(self.imported_change)} (imported)"
        return show_time(self.last_change)

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def page_status(
    page: PageConfig,
    records: Sequence[CheckRecord],
    *,
    schedule: PageSchedule | None,
    now: datetime,
    failing_after: str,
) -> PageStatus:
    """The health of one page from its check records (oldest first, all before `now`)."""
    last = records[-1] if records else None
    success = next((r for r in reversed(records) if r.outcome != Outcome.FAILED), None)
    change = next((r for r in reversed(records) if r.outcome in STARTS_VERSION), None)
    failures = 0
    for record in reversed(records):
        if record.outcome != Outcome.FAILED:
            break
        failures += 1
    failing_since = records[-failures].time if failures else None
    too_long = bool(failing_since and now - parse_time(failing_since) > parse_duration(failing_after))
    next_run = None
    overdue = False
    if schedule is not None:
        due = next_due(schedule, parse_time(last.time) if last else None, now)
        next_run = isoformat(due)
        overdue = now - due > schedule_period(schedule, due)
    return PageStatus(
        page=page.id,
        url=page.url,
        title=page.title,
        document=page.document,
        last_check=last.time if last else None,
        last_outcome=str(last.outcome) if last else None,
        last_success=success.time if success else None,
        last_change=change.time if change else None,
        version=success.version if success else None,
        checks=len(records),
        failures=failures,
        failing_since=failing_since,
        last_reason=last.reason if last else None,
        next_run=next_run,
        failing_too_long=too_long,
        overdue=overdue,
    )


def schedule_period(schedule: PageSchedule, slot: datetime) -> timedelta:
    """One period of a schedule: its interval, or for a cron expression the gap from `slot` to the next slot."""
    if schedule.interval is not None:
        return schedule.interval
    return schedule.next_after(slot) - slot


def verdict(statuses: Sequence[PageStatus], *, service_running: bool) -> tuple[ExitStatus, list[PageStatus]]:
    """`status`'s exit rule: 3 when a page failed for longer than failing_after, or when no service runs and a
    page is overdue by more than its schedule; with the pages that make it so (failing ones first)."""
    failing = [s for s in statuses if s.failing_too_long]
    overdue = [] if service_running else [s for s in statuses if s.overdue and not s.failing_too_long]
    culprits = failing + overdue
    return (ExitStatus.PAGE_FAILED if culprits else ExitStatus.OK), culprits


def page_schedule(config: Config, page: PageConfig) -> PageSchedule:
    return PageSchedule.parse(
        page.schedule or config.service.default_schedule,
        digest_zone(config.digest),
        where=f"pages (id {page.id!r}).schedule",
    )


def store_status(config: Config, store: Store, now: datetime) -> list[PageStatus]:
    """Every configured page's health at `now`, in config order."""
    return [
        stored_page_status(
            page,
            store,
            schedule=page_schedule(config, page),
            now=now,
            failing_after=config.service.failing_after,
        )
        for page in config.pages
    ]


def period_facts(
    page: PageConfig, store: Store, start: datetime, end: datetime, failing_after: str
) -> tuple[str | None, list[CheckRecord], PageStatus | None]:
    """For a digest of [start, end): what is damaged in the page's data (naming the file to restore) or None,
    the page's checks in the period, and its status at `end` (none of them when damaged)."""
    try:
        if damage := store.damaged(page.id):
            return damage, [], None
        in_period = store.checks.list(page.id, since=isoformat(start), before=isoformat(end))
        status = stored_page_status(
            page, store, schedule=None, now=end, failing_after=failing_after, before=True
        )
    except StoreDamaged as error:
        return str(error), [], None
    return None, in_period, status


def stored_page_status(
    page: PageConfig, store: Store, *, schedule: PageSchedule | None, now: datetime, failing_after: str,
    before: bool = False,
) -> PageStatus:  # fmt: skip
    """`page_status` from the store's indexed queries (the same cost after 20,000 checks as after one):
    the checks up to `now` (with `before`, strictly before it)."""
    until = isoformat(now) if not before else isoformat(now - timedelta(seconds=1))
    last = store.checks.last(page.id, until=until)
    success = store.checks.last(page.id, until=until, good=True)
    change = store.checks.last_change(page.id, until=until)
    failures = store.checks.failures(page.id, until=until)
    # The few records page_status looks at, in order: the last change, the last success, the failures after.
    records = [change] if change else []
    if success and (change is None or success.to_json() != change.to_json()):
        records.append(success)
    records += failures
    if last and not records:
        records = [last]
    status = page_status(page, records, schedule=schedule, now=now, failing_after=failing_after)
    imported = store.imported.last_change(page.id, until=until) if change is None else None
    return replace(status, checks=store.checks.count(page.id, until=until), imported_change=imported)


def service_holder(store_root: Path) -> int | None:
    """The pid of the `privacy-monitor run` serving this store (-1 if unreadable), None when none runs."""
    return fsutil.WriterLock.holder(store_root / SERVICE_LOCK)
