"""When things are due: page checks on their schedules and digest periods, as pure functions of the config.

The decisions here are pure functions of the store's facts (last check per page, the digest ledger) and a
moment `now`. The service asks the same questions from APScheduler's jobs in production and from
`Service.tick(now)` in tests that simulate days, so production and tests cannot disagree about what is due.

Coalescing falls out of anchoring on the store: a page is due when the first slot after its last check has
passed, however many slots passed since, so after downtime it runs once, not once per missed slot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from zoneinfo import ZoneInfo

from monitor.config.loading import DigestConfig, parse_duration
from monitor.config.triggers import PageSchedule

_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def next_due(schedule: PageSchedule, last_check: datetime | None, now: datetime) -> datetime:
    """When a page is next due: now if it was never checked, else the first slot after its last check.

    A result in the past means overdue: the page runs once now (coalesced), whatever the number of slots missed.
    The result never overflows (an interval past year 9999 ends there).
    """
    if last_check is None:
        return now
    # A check dated after `now` ran while the wall clock was ahead: counted as done now, or a clock put
    # back would hold the page for as long as the clock was wrong.
    return schedule.next_after(min(last_check, now))


def stable_jitter(key: str, slot: datetime, jitter: timedelta) -> timedelta:
    """A delay in [0, jitter) that is the same for the same key and slot (spreads pages, reproducible)."""
    if jitter <= timedelta(0):
        return timedelta(0)
    digest = hashlib.sha256(f"{key}@{slot.isoformat()}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return timedelta(seconds=int(jitter.total_seconds() * fraction))


# ---------------------------------------------------------------------------------------------------------
# Digest periods


@dataclass(frozen=True, slots=True)
class Period:
    """The stretch of time one digest reports on: [start, end), both UTC; `end` is a digest slot."""

    start: datetime
    end: datetime

    @property
    def key(self) -> str:
        return self.end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def digest_zone(config: DigestConfig) -> ZoneInfo:
    return ZoneInfo(config.timezone)


def slot_on(day: date, config: DigestConfig, *, days: int = 0) -> datetime:
    """The digest time on a local calendar day (`days` after `day`), in UTC (a time skipped by a DST change
    moves forward); at the ends of the calendar, the first or last moment a datetime holds."""
    hour, minute = (int(part) for part in config.time.split(":"))
    try:
        local = datetime.combine(
            day + timedelta(days=days), time_of_day(hour, minute), tzinfo=digest_zone(config)
        )
        # A wall time that does not exist (spring forward) normalizes through UTC to the shifted real time.
        return local.astimezone(UTC)
    except OverflowError:  # a clock set to year 1 or 9999
        return _LATEST if days > 0 or (days == 0 and day.year > 1) else _EARLIEST


def _local_day(moment: datetime, config: DigestConfig) -> date:
    try:
        return moment.astimezone(digest_zone(config)).date()
    except OverflowError:  # within hours of the calendar's ends: no digest slot lies beyond them anyway
        return date.max if moment.year > 1 else date.min


def latest_slot(now: datetime, config: DigestConfig) -> datetime:
    """The last digest slot at or before `now`."""
    today = _local_day(now, config)
    slot = slot_on(today, config)
    return slot if slot <= now else slot_on(today, config, days=-1)


def previous_slot(slot: datetime, config: DigestConfig) -> datetime:
    day = _local_day(slot, config)
    return slot_on(day, config, days=-1)


def next_slot(now: datetime, config: DigestConfig) -> datetime:
    """The first digest slot strictly after `now`."""
    today = _local_day(now, config)
    slot = slot_on(today, config)
    return slot if slot > now else slot_on(today, config, days=1)


def due_period(now: datetime, config: DigestConfig, last_end: datetime | None) -> Period | None:
    """The digest to send at `now`, or None.

    `last_end` is the end of the last period in the ledger (sent or being sent). The latest slot is due when
    the ledger has not reached it and it passed no longer than `grace` ago. A slot missed by more than the
    grace is not sent late; nothing is lost, because the next period starts where the ledger ends.
    """
    slot = latest_slot(now, config)
    if last_end is not None and slot <= last_end:
        return None
    if now - slot > parse_duration(config.grace):
        return None
    return Period(last_end or previous_slot(slot, config), slot)
