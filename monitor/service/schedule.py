"""When things are due: page checks on their schedules, digest periods, and per-host politeness.

The decisions here are pure functions of the store's facts (last check per page, the digest ledger) and a
moment `now`. The service asks the same questions from APScheduler's jobs in production and from
`Service.tick(now)` in tests that simulate days, so production and tests cannot disagree about what is due.

Coalescing falls out of anchoring on the store: a page is due when the first slot after its last check has
passed, however many slots passed since, so after downtime it runs once, not once per missed slot.
"""

from __future__ import annotations

import hashlib
import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from monitor.config.loading import DigestConfig, parse_duration
from monitor.service.triggers import (  # noqa: F401 - re-exported: the service's callers import them from here
    MAX_INTERVAL,
    PageSchedule,
    _cron_day_names,
    add_clamped,
    cron_trigger,
)

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


# ---------------------------------------------------------------------------------------------------------
# Politeness


class Stopping(Exception):
    """The service is shutting down: a check waiting for its turn gives up before it starts."""


class HostGate:
    """At most `concurrency` checks at a time per host, and starts at least `min_gap` seconds apart.

    Waiting uses `stop.wait`, so a shutdown ends every wait at once (raising Stopping). A check that has to
    wait inside its turn (a fetch retrying after a backoff) waits through `sleep`, which gives the host's
    slot back for the wait: other pages of the host go ahead meanwhile, and the retry queues like a new start.
    """

    def __init__(
        self,
        concurrency: int,
        min_gap: float,
        *,
        stop: threading.Event | None = None,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self.min_gap = min_gap
        self.stop = stop or threading.Event()
        self._monotonic = monotonic
        self._guard = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._held = threading.local()  # the host whose slot this thread holds, if any

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or url).lower()
        self._enter(host)
        try:
            yield
        finally:
            if getattr(self._held, "host", None) == host:
                self._held.host = None
                self._slots[host].release()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` out of this thread's turn (when it holds one); Stopping when the service stops."""
        host = getattr(self._held, "host", None)
        if host is not None:
            self._held.host = None
            self._slots[host].release()
        if self.stop.wait(max(seconds, 0.0)):
            raise Stopping(host or "")
        if host is not None:
            self._enter(host)

    def _enter(self, host: str) -> None:
        """Take a slot of `host` and wait for its gap since the last start; Stopping when the service stops."""
        with self._guard:
            slots = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        while not slots.acquire(timeout=0.2):
            if self.stop.is_set():
                raise Stopping(host)
        try:
            with self._guard:
                now = self._monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_gap
            if (start > now and self.stop.wait(start - now)) or self.stop.is_set():
                raise Stopping(host)
        except BaseException:
            slots.release()
            raise
        self._held.host = host


# ---------------------------------------------------------------------------------------------------------
# Clock steps and shutdown

CLOCK_TOLERANCE = 2.0  # seconds the wall clock may move against the monotonic one before it counts as a step
# On SIGTERM: running jobs get STOP_GRACE seconds to finish, then their fetches are cancelled and they get
# CANCEL_GRACE more; what still runs then is abandoned (an interrupted fetch is not recorded), so the service
# is gone well within 10 s whatever a server does.
STOP_GRACE = 4.0
CANCEL_GRACE = 2.0


class ClockWatch:
    """Notices a step of the wall clock (NTP putting it right, an administrator, a resumed virtual machine).

    While both clocks run, the wall clock minus the monotonic clock stays the same; a change of more than
    `tolerance` is a step. APScheduler measures its waits from the wall clock but sleeps them on the monotonic
    one, so after a step its sleep is wrong by the step: the service re-arms its jobs when this says so.
    """

    def __init__(
        self,
        wall: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] = _time.monotonic,
        tolerance: float = CLOCK_TOLERANCE,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self.tolerance = tolerance
        self._offset = self._read()

    def _read(self) -> float:
        return self._wall().timestamp() - self._monotonic()

    def step(self) -> float:
        """Seconds the wall clock jumped since the last look (forward > 0, back < 0), 0.0 when it did not."""
        offset = self._read()
        jumped, self._offset = offset - self._offset, offset  # a slow slew is followed, never a step
        return jumped if abs(jumped) > self.tolerance else 0.0


class Running:
    """The jobs in progress, so that a shutdown can wait for them a bounded time."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def job(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def wait(self, seconds: float) -> int:
        """Wait at most `seconds` for every job to end; the number still running."""
        with self._changed:
            self._changed.wait_for(lambda: self._count == 0, timeout=max(seconds, 0.0))
            return self._count

    def wind_down(self, grace: float = STOP_GRACE, cancel_grace: float = CANCEL_GRACE) -> int:
        """Wait `grace` seconds for the jobs, then cancel every fetch in flight and wait `cancel_grace` more;
        the number of jobs still running."""
        if not self.wait(grace):
            return 0
        _fetch_switch("cancel_all")
        return self.wait(cancel_grace)


def fetches_allowed() -> None:
    """Undo an earlier cancel of every fetch (a service started again in the same process)."""
    _fetch_switch("reset")


def _fetch_switch(name: str) -> None:
    # The fetchers' process-wide switch (monitor.fetch.deadline), when this version of them has one.
    from monitor.fetch import deadline

    switch = getattr(deadline, name, None)
    if callable(switch):
        switch()
