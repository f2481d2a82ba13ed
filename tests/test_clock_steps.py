"""The scheduler and the wall clock: a clock stepped back or forward is noticed within one tick of the service's
loop and the jobs are re-armed from the store, so no page waits for as long as the clock was wrong; schedule
arithmetic never overflows (a schedule longer than ten years is a config error naming the page and the key).

The service tests run the real APScheduler on loopback; the wall clock both it and the service read is the
real one shifted by an offset the test sets (the one fault no real component here can make: a clock step)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import apscheduler.schedulers.base
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config, record_check

from monitor.cli.main import State, main
from monitor.config.loading import DigestConfig
from monitor.config.timing import due_period, next_due, next_slot
from monitor.config.triggers import PageSchedule, add_clamped
from monitor.models import Outcome
from monitor.pipeline.check import Context
from monitor.service.lifecycle import ClockWatch
from monitor.service.runner import Service
from monitor.store.core import Store

LAST = datetime.max.replace(tzinfo=UTC)
PAGE = """<html><body><main><h1>Privacy Policy</h1>
<p>We will share your information with partners who help us provide and improve our Products.</p>
<p>We use the information we have to provide, personalise and improve our Products, to keep them safe and
secure, and to communicate with you about them, as the rest of this policy explains in detail.</p>
</main></body></html>"""


class SteppedClock:
    """The real wall clock plus `offset`: what a machine whose clock an administrator or NTP steps reads."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> SteppedClock:
    clock = SteppedClock()

    class SteppedDatetime(datetime):
        @classmethod
        def now(cls, tz: object = None) -> datetime:  # type: ignore[override]
            return clock().astimezone(tz)  # type: ignore[arg-type]

    monkeypatch.setattr(apscheduler.schedulers.base, "datetime", SteppedDatetime)
    return clock


@pytest.fixture
def running_service(httpserver: HTTPServer, tmp_path: Path, wall: SteppedClock) -> Iterator[Service]:
    httpserver.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    config = make_config(
        [{"id": "policy", "url": httpserver.url_for("/privacy")}],
        fetch={"retries": 0, "timeout": 5, "per_host_min_gap": 0},
        digest={"enabled": False},
        service={"default_schedule": "every 1h", "jitter": "0s"},
    )
    store = Store(tmp_path / "store")
    service = Service(Context(loaded(config, tmp_path), store, clock=wall))
    yield service
    service.stop.set()


def serve(service: Service) -> threading.Thread:
    ready = threading.Event()
    runner = threading.Thread(target=service.serve, kwargs={"handle_signals": False, "ready": ready})
    runner.start()
    assert ready.wait(10)
    return runner


def wait_for_checks(store: Store, count: int, within: float) -> list[Outcome]:
    """Poll the store for the service's check (this waits for an event, bounded, not for time to pass)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if len(checks := store.checks.list("policy")) >= count:
            return [check.outcome for check in checks]
        time.sleep(0.05)
    return [check.outcome for check in store.checks.list("policy")]


def test_a_clock_put_right_after_running_an_hour_behind_does_not_stall_the_service(
    running_service: Service, wall: SteppedClock
) -> None:
    store = running_service.store
    url = running_service.config.pages[0].url
    record_check(store, "policy", datetime.now(UTC) - timedelta(hours=1, seconds=-3), text="# Old", url=url)
    wall.offset = -timedelta(
        hours=1
    )  # the service starts on a clock an hour behind: its wait is an hour long
    runner = serve(running_service)
    try:
        wall.offset = timedelta(0)  # NTP puts it right: the page is due in 3 s of real time
        assert wait_for_checks(store, 2, within=10) == [Outcome.NEW, Outcome.CHANGED]
    finally:
        running_service.stop.set()
        runner.join(20)
    assert not runner.is_alive()


def test_a_clock_stepped_forward_runs_the_pages_that_became_due_within_a_tick(
    running_service: Service, wall: SteppedClock
) -> None:
    store = running_service.store
    url = running_service.config.pages[0].url
    record_check(store, "policy", datetime.now(UTC), text="# Old", url=url)  # next due in an hour
    runner = serve(running_service)
    try:
        assert wait_for_checks(store, 2, within=1.5) == [Outcome.NEW]
        wall.offset = timedelta(hours=1, minutes=1)  # a resumed virtual machine: an hour passed at once
        assert wait_for_checks(store, 2, within=8) == [Outcome.NEW, Outcome.CHANGED]
    finally:
        running_service.stop.set()
        runner.join(20)
    assert not runner.is_alive()


def test_the_clock_watch_tells_a_step_from_a_slew() -> None:
    wall = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    monotonic = [1000.0]
    watch = ClockWatch(wall, monotonic=lambda: monotonic[0], tolerance=2.0)

    monotonic[0] += 60
    wall.advance(seconds=60)
    assert watch.step() == 0.0  # both ran a minute
    for _ in range(10):  # NTP slewing: half a second a minute, ten minutes long, never a step
        monotonic[0] += 60
        wall.advance(seconds=60.5)
        assert watch.step() == 0.0
    monotonic[0] += 1
    wall.advance(hours=-1)
    assert watch.step() == pytest.approx(-3601)
    monotonic[0] += 1
    wall.advance(hours=2)
    assert watch.step() == pytest.approx(7199)
    assert watch.step() == 0.0


def test_a_check_dated_after_now_counts_as_done_now_once_the_clock_is_put_back() -> None:
    """Checks run while the clock was a year ahead would otherwise hold the page for that year."""
    schedule = PageSchedule.parse("every 6h", UTC)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert next_due(schedule, now + timedelta(days=365), now) == now + timedelta(hours=6)
    assert next_due(schedule, now - timedelta(hours=1), now) == now + timedelta(hours=5)


@pytest.mark.parametrize("schedule", ["every 99999999999d", "every 3654d", "every 99999999999999w"])
def test_a_schedule_over_ten_years_is_a_config_error_naming_the_page_and_key(
    tmp_path: Path, schedule: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[[pages]]\nid = "policy"\nurl = "https://example.org/"\nschedule = "{schedule}"\n')
    clock = FakeClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    for command in (["config", "check"], ["status"]):
        result = CliRunner().invoke(main, ["-c", str(config), *command], obj=State(clock=clock))
        assert result.exit_code == 2, result.output
        assert result.output.startswith(f"Error: {config}: pages[0] (id 'policy').schedule: '"), result.output
        assert "is longer than ten years" in result.output and result.output.count("\n") == 1


def test_ten_years_is_still_a_schedule() -> None:
    assert PageSchedule.parse("every 3650d", UTC).interval == timedelta(days=3650)


def test_schedule_arithmetic_ends_at_the_last_moment_instead_of_overflowing() -> None:
    late = datetime(9999, 6, 1, tzinfo=UTC)
    assert PageSchedule.parse("every 3650d", UTC).next_after(late) == LAST
    assert PageSchedule.parse("0 0 * * *", UTC).next_after(datetime(9999, 12, 31, 12, tzinfo=UTC)) == LAST
    assert next_due(PageSchedule.parse("every 3650d", UTC), late, late) == LAST
    assert add_clamped(late, timedelta.max) == LAST
    assert add_clamped(datetime(1, 1, 2, tzinfo=UTC), -timedelta(days=30)) == datetime.min.replace(tzinfo=UTC)


def test_digest_slots_at_the_ends_of_the_calendar_do_not_overflow() -> None:
    config = DigestConfig(time="08:00", timezone="Europe/Berlin")
    end = datetime.combine(date.max, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    assert next_slot(end, config) == LAST
    assert due_period(end, config, None) is None  # the day's slot passed 16 h ago, past the grace
