"""Edges where the production jobs could disagree with the store about when a page is due: a server's
Retry-After past a cron slot across a restart, a check recorded by another process meanwhile, and cron's rule
for a day of month and a day of week both given. Real Service, real schedule_jobs, a page on loopback; the
jobs are run as APScheduler runs them (`job.func(*job.args)`) on a simulated clock, so nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config, utc
from werkzeug import Request, Response

from monitor.config.fields import check_schedule
from monitor.config.loading import Config
from monitor.config.triggers import PageSchedule
from monitor.models import Outcome, system_clock
from monitor.pipeline.check import Context, check_page
from monitor.service.runner import Service
from monitor.store.core import Store

PAGE = """<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>
<p>We may share your information with partners who help us provide and improve our Products, and we use it
to keep them safe and secure and to communicate with you about them, as the rest of this policy explains.</p>
</main></body></html>"""


class Site:
    """The watched page on loopback: each request counted, answered by the next queued answer or with PAGE."""

    def __init__(self, server: HTTPServer) -> None:
        self.requests = 0
        self.answers: list[Response] = []
        self.url = server.url_for("/privacy")
        server.expect_request("/privacy").respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        self.requests += 1
        if self.answers:
            return self.answers.pop(0)
        return Response(PAGE, content_type="text/html; charset=utf-8")


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    return Site(httpserver)


def page_config(site: Site, schedule: str) -> Config:
    return make_config(
        [{"id": "policy", "url": site.url, "schedule": schedule}],
        fetch={"retries": 1, "timeout": 5, "per_host_min_gap": 0},
        digest={"enabled": False},
        service={"jitter": "0s"},
    )


def start_service(config: Config, root: Path, clock: FakeClock) -> Service:
    """What `privacy-monitor run` builds, on a simulated clock (a new one is a restart)."""
    return Service(Context(loaded(config, root.parent), Store(root, clock=clock), clock=clock))


@contextmanager
def scheduled(service: Service, now: datetime) -> Iterator[BaseScheduler]:
    """The service's production jobs on a paused scheduler: nothing runs unless the test runs it."""
    scheduler = BackgroundScheduler(timezone=UTC)
    service.schedule_jobs(scheduler, now)
    scheduler.start(paused=True)
    try:
        yield scheduler
    finally:
        scheduler.shutdown(wait=False)


def run_page_job(scheduler: BaseScheduler) -> None:
    job = scheduler.get_job("check:policy")
    job.func(*job.args)


def next_run(scheduler: BaseScheduler) -> datetime:
    return scheduler.get_job("check:policy").next_run_time.astimezone(UTC)


# --- 1. Retry-After past a cron slot, then a restart ----------------------------------------------------------


def test_after_a_restart_a_cron_page_is_checked_when_the_server_said_not_a_cron_period_later(
    site: Site, tmp_path: Path
) -> None:
    config = page_config(site, "0 6 * * *")
    now = system_clock().replace(microsecond=0)  # APScheduler's own times come from the wall clock
    slot = PageSchedule.parse("0 6 * * *", UTC).next_after(now)  # the next 06:00
    clock = FakeClock(slot - timedelta(days=1))
    # Yesterday's 06:00 check is answered "come back in a day and 5 s": 5 s past the next slot.
    site.answers.append(Response("slow down", status=429, headers={"Retry-After": "86405"}))
    (result,) = start_service(config, tmp_path / "store", clock).tick().checked
    assert result.record.outcome == Outcome.FAILED

    clock.set(now)
    restarted = start_service(config, tmp_path / "store", clock)
    asked = restarted.not_before.get("policy")
    assert asked is not None and timedelta(0) < asked - slot <= timedelta(seconds=5)
    with scheduled(restarted, now) as scheduler:
        assert next_run(scheduler) == asked  # not the slot (where the job skipped), then the next day's
        clock.set(asked)
        run_page_job(scheduler)
    assert (site.requests, restarted.store.checks.last("policy").outcome) == (2, Outcome.NEW)


# --- 2. A check recorded by another process while the service runs -------------------------------------------


def test_a_job_firing_before_a_check_recorded_meanwhile_is_due_waits_until_it_is(
    site: Site, tmp_path: Path
) -> None:
    config = page_config(site, "every 30s")
    clock = FakeClock(utc("2026-03-02 08:00:00"))
    service = start_service(config, tmp_path / "store", clock)
    service.tick()  # the service's own check at 08:00:00
    with scheduled(service, clock()) as scheduler:  # the job's next slot: 08:00:30
        # `privacy-monitor check` by hand at 08:00:25, in another process with its own store handle.
        manual = utc("2026-03-02 08:00:25")
        other = Context(
            loaded(config, tmp_path), Store(tmp_path / "store", clock=lambda: manual), clock=lambda: manual
        )
        try:
            check_page(other, config.pages[0])
        finally:
            other.close()
        assert site.requests == 2

        clock.set(utc("2026-03-02 08:00:30"))
        run_page_job(scheduler)  # the job's slot: 5 s after the manual check, 25 s early by the store
        assert site.requests == 2
        assert next_run(scheduler) == utc("2026-03-02 08:00:55")

        clock.set(utc("2026-03-02 08:00:55"))
        run_page_job(scheduler)
        assert site.requests == 3
    assert service.store.checks.last("policy").time == "2026-03-02T08:00:55Z"


# --- 3. Day of month and day of week both restricted ----------------------------------------------------------


def fire_times(schedule: PageSchedule, after: str, count: int) -> list[str]:
    moment, times = utc(after), []
    for _ in range(count):
        moment = schedule.next_after(moment)
        times.append(moment.strftime("%a %Y-%m-%d %H:%M"))
    return times


# crontab(5): when both day fields are restricted (neither starts with '*'), a day matching EITHER runs.
CRON_DAYS = [
    (
        "0 6 1 * 1",  # every 1st and every Monday (2026-03-01 is a Sunday)
        [
            "Sun 2026-03-01 06:00", "Mon 2026-03-02 06:00", "Mon 2026-03-09 06:00", "Mon 2026-03-16 06:00",
            "Mon 2026-03-23 06:00", "Mon 2026-03-30 06:00", "Wed 2026-04-01 06:00", "Mon 2026-04-06 06:00",
        ],
    ),
    (
        "30 7 13 * 5",  # every 13th and every Friday, 07:30
        ["Fri 2026-03-06 07:30", "Fri 2026-03-13 07:30", "Fri 2026-03-20 07:30", "Fri 2026-03-27 07:30",
         "Fri 2026-04-03 07:30", "Fri 2026-04-10 07:30", "Mon 2026-04-13 07:30", "Fri 2026-04-17 07:30"],
    ),
    (
        "0 6 1 * *",  # day of week '*': the 1st only
        ["Sun 2026-03-01 06:00", "Wed 2026-04-01 06:00", "Fri 2026-05-01 06:00"],
    ),
    (
        "0 6 * * 1",  # day of month '*': Mondays only
        ["Mon 2026-03-02 06:00", "Mon 2026-03-09 06:00", "Mon 2026-03-16 06:00"],
    ),
    (
        "0 6 */10 * 1",  # a field starting with '*' counts as unrestricted: Mondays on days 1, 11, 21, 31
        ["Mon 2026-05-11 06:00", "Mon 2026-06-01 06:00", "Mon 2026-08-31 06:00"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), CRON_DAYS)
def test_cron_days_of_month_and_of_week_fire_as_standard_cron_does(text: str, expected: list[str]) -> None:
    schedule = PageSchedule.parse(text, UTC)
    assert fire_times(schedule, "2026-02-28 12:00", len(expected)) == expected
    # The production trigger fires on the same days.
    trigger = schedule.trigger(start=utc("2026-02-28 12:00"), jitter=0, timezone=UTC)
    moment, fired = utc("2026-02-28 12:00"), []
    for _ in expected:
        moment = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
        fired.append(moment.strftime("%a %Y-%m-%d %H:%M"))
    assert fired == expected
    assert check_schedule(text) == text  # `config check` accepts it


def test_a_date_that_never_comes_still_fires_on_its_day_of_week() -> None:
    """'0 0 31 2 1': no 31 February, but standard cron runs it on every Monday of February."""
    schedule = PageSchedule.parse("0 0 31 2 1", UTC)
    assert fire_times(schedule, "2026-03-01 00:00", 2) == ["Mon 2027-02-01 00:00", "Mon 2027-02-08 00:00"]
