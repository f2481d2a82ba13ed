"""The service's decisions: when a page is due, which digest period is due, and per-host politeness."""

from __future__ import annotations

import threading
from datetime import timedelta
from time import monotonic as _monotonic
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from service_support import utc

from monitor.config.loading import DigestConfig
from monitor.config.timing import Period, due_period, latest_slot, next_due, next_slot
from monitor.config.triggers import PageSchedule, _cron_day_names
from monitor.errors import ConfigError
from monitor.fetch.gate import HostGate, Stopping

UTC_ZONE = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")

# schedule, zone, last check, expected next due (all UTC)
NEXT_DUE = [
    ("every 6h", UTC_ZONE, "2026-03-02 00:00", "2026-03-02 06:00"),
    ("every 6h", UTC_ZONE, "2026-03-02 00:03:10", "2026-03-02 06:03:10"),  # interval: after the last check
    ("every 1d", UTC_ZONE, "2026-03-02 07:59", "2026-03-03 07:59"),
    ("0 */6 * * *", UTC_ZONE, "2026-03-02 06:00", "2026-03-02 12:00"),  # a check on the slot: the next slot
    ("0 */6 * * *", UTC_ZONE, "2026-03-02 06:04", "2026-03-02 12:00"),  # late (jitter): still the next slot
    ("30 8 * * 1", UTC_ZONE, "2026-03-02 09:00", "2026-03-09 08:30"),  # cron day 1 is Monday
    ("30 8 * * 0", UTC_ZONE, "2026-03-02 09:00", "2026-03-08 08:30"),  # cron day 0 is Sunday
    ("30 8 * * 7", UTC_ZONE, "2026-03-02 09:00", "2026-03-08 08:30"),  # and so is 7
    ("0 8 * * 1-5", UTC_ZONE, "2026-03-06 08:00", "2026-03-09 08:00"),  # Friday -> Monday
    ("0 8 * * *", BERLIN, "2026-03-02 08:00", "2026-03-03 07:00"),  # 08:00 in Berlin is 07:00 UTC in winter
    ("0 8 * * *", BERLIN, "2026-03-28 08:00", "2026-03-29 06:00"),  # ... and 06:00 UTC after spring forward
]


@pytest.mark.parametrize(("text", "zone", "last", "expected"), NEXT_DUE)
def test_next_due_is_the_first_slot_after_the_last_check(text, zone, last, expected) -> None:
    schedule = PageSchedule.parse(text, zone)
    assert next_due(schedule, utc(last), utc(last)) == utc(expected)


def test_a_page_never_checked_is_due_now() -> None:
    now = utc("2026-03-02 10:00")
    assert next_due(PageSchedule.parse("every 6h", UTC_ZONE), None, now) == now


def test_after_downtime_an_overdue_page_runs_once_not_once_per_missed_slot() -> None:
    schedule = PageSchedule.parse("every 6h", UTC_ZONE)
    last, now = utc("2026-03-02 00:00"), utc("2026-03-05 00:00")  # 11 slots missed
    assert next_due(schedule, last, now) <= now  # due: one catch-up run now
    assert next_due(schedule, now, now) == utc("2026-03-05 06:00")  # after it, the normal rhythm


CRON_DAYS = [
    ("*", "*"),
    ("mon-fri", "mon-fri"),
    ("sat,sun", "sat,sun"),
    ("1-5", "mon,tue,wed,thu,fri"),
    ("0", "sun"),
    ("7", "sun"),
    ("0,6", "sun,sat"),
    ("5-7", "fri,sat,sun"),
    ("*/2", "sun,tue,thu,sat"),
    ("1/3", "mon,thu"),
]


@pytest.mark.parametrize(("field", "expected"), CRON_DAYS)
def test_cron_days_of_week_keep_their_standard_meaning(field, expected) -> None:
    assert _cron_day_names(field) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0 8 * * 9", "pages (id 'p').schedule: '0 8 * * 9' is not a valid cron expression"),
        ("61 * * * *", "pages (id 'p').schedule: '61 * * * *' is not a valid cron expression"),
        ("every 0s", "pages (id 'p').schedule: 'every 0s' is not a positive interval"),
    ],
)
def test_a_bad_schedule_names_the_page(text, message) -> None:
    with pytest.raises(
        ConfigError, match="^" + message.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")
    ):
        PageSchedule.parse(text, UTC_ZONE, where="pages (id 'p').schedule")


# --- digest periods ----------------------------------------------------------------------------------------

DAILY = DigestConfig(time="08:00", timezone="UTC", grace="12h")
BERLIN_DAILY = DigestConfig(time="08:00", timezone="Europe/Berlin", grace="12h")

# now, end of the last period in the ledger, expected period (start, end) or None
DUE_PERIODS = [
    ("2026-03-02 07:59", None, None),  # the latest slot (yesterday 08:00) passed more than the grace ago
    ("2026-03-02 08:00", None, ("2026-03-01 08:00", "2026-03-02 08:00")),
    ("2026-03-02 08:00", "2026-03-02 08:00", None),  # already in the ledger
    ("2026-03-02 19:59", "2026-03-01 08:00", ("2026-03-01 08:00", "2026-03-02 08:00")),  # late, within grace
    ("2026-03-02 20:01", "2026-03-01 08:00", None),  # missed by more than the grace: not sent late ...
    (
        "2026-03-03 08:00",
        "2026-03-01 08:00",
        ("2026-03-01 08:00", "2026-03-03 08:00"),
    ),  # ... the next covers it
]


@pytest.mark.parametrize(("now", "last_end", "expected"), DUE_PERIODS)
def test_due_period(now, last_end, expected) -> None:
    period = due_period(utc(now), DAILY, utc(last_end) if last_end else None)
    assert period == (Period(utc(expected[0]), utc(expected[1])) if expected else None)


def test_digest_slots_follow_the_local_clock_across_daylight_saving() -> None:
    # Europe/Berlin springs forward on 2026-03-29: that day's period is 23 hours long.
    assert latest_slot(utc("2026-03-29 06:30"), BERLIN_DAILY) == utc("2026-03-29 06:00")
    period = due_period(utc("2026-03-29 06:30"), BERLIN_DAILY, None)
    assert period == Period(utc("2026-03-28 07:00"), utc("2026-03-29 06:00"))
    assert next_slot(utc("2026-03-29 06:00"), BERLIN_DAILY) == utc("2026-03-30 06:00")


@given(
    st.datetimes(
        min_value=utc("2020-01-01 00:00").replace(tzinfo=None),
        max_value=utc("2035-01-01 00:00").replace(tzinfo=None),
    )
)
def test_latest_and_next_slot_bracket_every_moment(naive) -> None:
    now = naive.replace(tzinfo=utc("2026-01-01 00:00").tzinfo)
    before, after = latest_slot(now, BERLIN_DAILY), next_slot(now, BERLIN_DAILY)
    assert before <= now < after
    assert timedelta(hours=23) <= after - before <= timedelta(hours=25)


# --- politeness --------------------------------------------------------------------------------------------


class SimulatedTime:
    """A monotonic clock and a stop event whose wait() lets simulated time pass instead of sleeping."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []
        self._stop = threading.Event()

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(round(seconds, 3))
        self.now += seconds
        return self._stop.is_set()

    def is_set(self) -> bool:
        return self._stop.is_set()

    def set(self) -> None:
        self._stop.set()


def test_starts_on_one_host_are_spaced_by_the_minimum_gap() -> None:
    time = SimulatedTime()
    gate = HostGate(1, 2.0, stop=time, monotonic=time.monotonic)  # type: ignore[arg-type]
    for url in ["https://a.example/1", "https://a.example/2", "https://b.example/1", "https://a.example/3"]:
        with gate.turn(url):
            time.now += 0.5  # the fetch takes half a second
    # a.example/2 waits 1.5 s after /1 (started 0.5 s ago); b.example is another host; a/3 waits 0.5 s more.
    assert time.waits == [1.5, 1.0]


def test_no_more_than_the_allowed_checks_run_at_once_on_one_host() -> None:
    gate = HostGate(2, 0.0)
    running, most = 0, 0
    guard = threading.Lock()
    release = threading.Event()
    entered = threading.Semaphore(0)

    def fetch() -> None:
        nonlocal running, most
        with gate.turn("https://a.example/x"):
            with guard:
                running += 1
                most = max(most, running)
            entered.release()
            release.wait(5)
            with guard:
                running -= 1

    threads = [threading.Thread(target=fetch) for _ in range(5)]
    for thread in threads:
        thread.start()
    assert entered.acquire(timeout=5) and entered.acquire(timeout=5)  # two got in
    assert not entered.acquire(timeout=0.3)  # the third waits for a slot
    release.set()
    for thread in threads:
        thread.join(5)
    assert most == 2


def test_a_shutdown_ends_the_wait_for_a_turn() -> None:
    time = SimulatedTime()
    gate = HostGate(1, 60.0, stop=time, monotonic=time.monotonic)  # type: ignore[arg-type]
    with gate.turn("https://a.example/1"):
        pass
    time.set()
    with pytest.raises(Stopping), gate.turn("https://a.example/2"):
        pytest.fail("a check started during shutdown")


def test_a_retry_wait_gives_the_hosts_turn_to_another_check() -> None:
    """`gate.sleep` (the fetcher's wait between attempts, in the service) leaves the turn for the wait."""
    gate = HostGate(1, 0.0)
    waiting, other_ran = threading.Event(), threading.Event()

    def retrying_check() -> None:
        with gate.turn("https://a.example/1"):
            waiting.set()
            gate.sleep(0.5)  # a backoff: the other page of the host goes meanwhile

    thread = threading.Thread(target=retrying_check)
    thread.start()
    assert waiting.wait(5)
    with gate.turn("https://a.example/2"):
        other_ran.set()
    thread.join(5)
    assert other_ran.is_set() and not thread.is_alive()
    with gate.turn("https://a.example/3"):  # every slot was given back
        pass


def test_a_shutdown_ends_a_retry_wait_at_once() -> None:
    stop = threading.Event()
    gate = HostGate(1, 0.0, stop=stop)
    threading.Timer(0.1, stop.set).start()
    started = _monotonic()
    with pytest.raises(Stopping), gate.turn("https://a.example/1"):
        gate.sleep(30)
    assert _monotonic() - started < 5
    stop.clear()
    with gate.turn("https://a.example/2"):  # the slot was not lost
        pass
