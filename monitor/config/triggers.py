"""A schedule's text to the APScheduler trigger that fires it: 'every 6h' or five-field cron.

One implementation for both of its users: the config schema validates every schedule with it (so `config
check` rejects what the service could not run), and the service schedules its jobs with it. It imports
nothing of the config, so the schema can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from monitor.durations import parse_duration
from monitor.errors import ConfigError

if TYPE_CHECKING:  # APScheduler loads only for a cron schedule or the service: not for every command
    from apscheduler.triggers.base import BaseTrigger

# Standard cron numbers days of the week from Sunday (0 or 7); APScheduler 3 numbers them from Monday.
# Names mean the same in both, so numbers are rewritten as names.
_CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
SCHEDULE_HINT = "write 'every 6h' or a cron expression like '0 */6 * * *'"
# The longest interval a schedule may have (the config's bound on every duration): a longer one is a typo,
# and date arithmetic with it overflows.
MAX_INTERVAL = timedelta(days=3653)
_LATEST = datetime.max.replace(tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)


def add_clamped(moment: datetime, delta: timedelta) -> datetime:
    """`moment + delta`, held at the last (or first) moment a datetime can hold instead of overflowing: a
    back-off or interval this long means "not in this program's life", never an OverflowError in the service."""
    try:
        return moment + delta
    except OverflowError:
        return _LATEST if delta > timedelta(0) else _EARLIEST


def schedule_from_text(text: str, timezone: tzinfo) -> PageSchedule:
    """The schedule `text` names; ValueError with a one-line reason when it does not parse or never fires."""
    stripped = text.strip()
    if stripped.startswith("every "):
        try:
            interval = parse_duration(stripped.removeprefix("every "))
        except OverflowError:  # more days than a timedelta holds
            interval = timedelta.max
        if interval <= timedelta(0):
            raise ValueError(f"{text!r} is not a positive interval (write e.g. 'every 6h')")
        if interval > MAX_INTERVAL:
            raise ValueError(f"{text[:40]!r} is longer than ten years (write at most 'every 3650d')")
        return PageSchedule(stripped, interval=interval)
    if len(stripped.split()) != 5:
        raise ValueError(f"not a schedule: {text!r} ({SCHEDULE_HINT})")
    try:
        cron = cron_trigger(stripped, timezone)
    except ValueError as error:
        raise ValueError(f"{text!r} is not a valid cron expression ({error})") from None
    # A date that does not exist ('0 0 31 2 *') parses but never comes: the page would never be checked.
    if cron.get_next_fire_time(None, datetime.now(UTC)) is None:
        raise ValueError(f"{text!r} never fires (no such date: check the day of month and the month)")
    return PageSchedule(stripped, cron=cron)


@dataclass(frozen=True, slots=True)
class PageSchedule:
    """'every 6h' (an interval after the last check) or a five-field cron expression (standard day numbers, and
    standard cron's either-day rule when both day fields are restricted: see cron_trigger)."""

    text: str
    interval: timedelta | None = None
    cron: BaseTrigger | None = None

    @classmethod
    def parse(cls, text: str, timezone: tzinfo, *, where: str = "schedule") -> PageSchedule:
        try:
            return schedule_from_text(text, timezone)
        except ValueError as error:
            raise ConfigError(f"{where}: {error}") from None

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after `moment` (UTC)."""
        if self.interval is not None:
            return add_clamped(moment, self.interval)
        assert self.cron is not None
        try:
            following = self.cron.get_next_fire_time(None, add_clamped(moment, timedelta(microseconds=1)))
        except OverflowError:  # no slot left before the year 9999 ends
            following = None
        return following.astimezone(UTC) if following is not None else _LATEST

    def trigger(self, *, start: datetime, jitter: float, timezone: tzinfo) -> BaseTrigger:
        """The APScheduler trigger that fires this schedule in production, first at `start` (UTC)."""
        from apscheduler.triggers.interval import IntervalTrigger

        whole_jitter = int(jitter) or None
        if self.interval is not None:
            return IntervalTrigger(
                seconds=self.interval.total_seconds(), start_date=start, timezone=UTC, jitter=whole_jitter
            )
        return cron_trigger(self.text, timezone, jitter=whole_jitter)


def cron_trigger(expression: str, timezone: tzinfo, *, jitter: int | None = None) -> BaseTrigger:
    """The trigger that fires a five-field cron expression as standard cron does.

    APScheduler requires every field to match, but cron (crontab(5)) runs a line whose day of month and day of
    week are both restricted (neither starts with '*') on a day matching EITHER: '0 6 1 * 1' is every 1st and
    every Monday. That is two triggers, one per day field, fired at the first of their times."""
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    minute, hour, day, month, day_of_week = fields
    weekdays = _cron_day_names(day_of_week)

    def on_days(month_days: str, week_days: str, own_jitter: int | None) -> CronTrigger:
        return CronTrigger(
            minute=minute, hour=hour, day=month_days, month=month, day_of_week=week_days, timezone=timezone,
            jitter=own_jitter,
        )  # fmt: skip

    # A day field starting with "*" ("*", "*/2") counts as unrestricted (crontab(5)): all fields must match.
    if day.startswith("*") or day_of_week.startswith("*"):
        return on_days(day, weekdays, jitter)
    # Jitter once, on the combination: each part's own would be a second delay drawn for the same run.
    return OrTrigger([on_days(day, "*", None), on_days("*", weekdays, None)], jitter=jitter)


def _cron_day_names(field: str) -> str:
    """'1-5' -> 'mon,tue,wed,thu,fri'; '0,6' -> 'sun,sat'; names and '*' pass through unchanged."""
    if not any(ch.isdigit() for ch in field) or any(ch.isalpha() for ch in field):
        return field  # '*', or names, which mean the same to both
    days: list[int] = []
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            first, last = (int(n) for n in span.split("-", 1))
        else:
            first = last = int(span)
            if step_text:
                last = 6
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last and step >= 1):
            raise ValueError(f"day of week {part!r} is out of range 0-7")
        days.extend(range(first, last + 1, step))
    names = dict.fromkeys(_CRON_DAY_NAMES[day] for day in days)  # ordered, without the duplicate of 0 and 7
    return ",".join(names)
