"""The service over simulated days: a real page on loopback that changes on day 2 and fails on day 3, a real
SMTP server, the real check pipeline; the clock is simulated, so four days take a second."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from service_support import FakeClock, Inbox, email_section, loaded, make_config, smtp_server, utc
from werkzeug import Request, Response

from monitor.models import Outcome, system_clock
from monitor.pipeline.check import Context
from monitor.service.runner import Service
from monitor.store.core import Store
from monitor.store.health import store_status

SHARING_V1 = "We may share your information with partners who help us provide and improve our Products."
SHARING_V2 = "We will share your information with partners who help us provide and improve our Products."
PAGE = """<html><head><title>Privacy Policy</title></head><body><main>
<h1>Privacy Policy</h1>
<h2>How do we use your information?</h2>
<p>{sharing}</p>
<p>We use the information we have to provide, personalise and improve our Products, to keep them safe and
secure, and to communicate with you about them, as the rest of this policy explains in detail.</p>
<h2>Your rights</h2>
<p>You can object to this use of your information at any time in the settings of your account.</p>
</main></body></html>"""


class Site:
    """The watched page: its answer is switched between days."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.status = 200
        self.sharing = SHARING_V1
        self.requests = 0
        server.expect_request("/privacy").respond_with_handler(self._answer)

    def _answer(self, request: Request) -> Response:
        self.requests += 1
        if self.status != 200:
            return Response("Service Unavailable", status=self.status)
        return Response(PAGE.format(sharing=self.sharing), content_type="text/html; charset=utf-8")

    @property
    def url(self) -> str:
        return self.server.url_for("/privacy")


@pytest.fixture
def site(httpserver: HTTPServer) -> Site:
    return Site(httpserver)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    with smtp_server(handler) as port:
        yield handler, port


def service_config(site: Site, smtp_port: int):
    return make_config(
        [{"id": "policy", "url": site.url, "title": "Example Privacy Policy"}],
        fetch={"retries": 0, "timeout": 5, "per_host_min_gap": 0},
        watches=[
            {"id": "sharing", "pages": ["policy"], "kind": "clause", "text": SHARING_V1, "severity": "high"}
        ],
        notify=email_section(smtp_port),
        digest={"time": "08:00", "timezone": "UTC", "grace": "12h"},
        service={"default_schedule": "every 12h", "jitter": "0s", "failing_after": "1d"},
    )


def start_service(config, store_root: Path, clock: FakeClock) -> Service:
    """What `privacy-monitor run` builds, on a simulated clock (a new one is a restart)."""
    store = Store(store_root, clock=clock)
    return Service(Context(loaded(config, store_root.parent), store, clock=clock))


def test_four_simulated_days_give_exactly_the_expected_checks_digests_and_alerts(site, inbox, tmp_path):
    smtp, port = inbox
    config = service_config(site, port)
    clock = FakeClock(utc("2026-03-02 00:00"))
    service = start_service(config, tmp_path / "store", clock)
    while clock() <= utc("2026-03-05 09:00"):
        now = clock()
        if now == utc("2026-03-03 00:00"):
            site.sharing = SHARING_V2  # day 2: the clause changes
        if now == utc("2026-03-04 00:00"):
            site.status = 503  # day 3 on: the page fails
        if now == utc("2026-03-03 13:00"):
            service = start_service(config, tmp_path / "store", clock)  # a restart in the middle
            assert service.tick().checked == [] and service.tick().digests == []  # ... changes nothing
        service.tick()
        clock.advance(hours=1)

    store = Store(tmp_path / "store")
    assert [(r.time, r.outcome, r.reason) for r in store.checks.list("policy")] == [
        ("2026-03-02T00:00:00Z", Outcome.NEW, None),
        ("2026-03-02T12:00:00Z", Outcome.UNCHANGED, None),
        ("2026-03-03T00:00:00Z", Outcome.CHANGED, None),
        ("2026-03-03T12:00:00Z", Outcome.UNCHANGED, None),
        ("2026-03-04T00:00:00Z", Outcome.FAILED, "HTTP 503"),
        ("2026-03-04T12:00:00Z", Outcome.FAILED, "HTTP 503"),
        ("2026-03-05T00:00:00Z", Outcome.FAILED, "HTTP 503"),
    ]
    assert site.requests == 7
    # The alert goes out right after the day-2 check; the digests each morning.
    assert smtp.subjects() == [
        "privacy-monitor 2026-03-02: 1 new page",
        "[privacy-monitor] Example Privacy Policy: sharing changed (high)",
        "privacy-monitor 2026-03-03: 1 change, 1 alert",
        "privacy-monitor 2026-03-04: 1 page in trouble",
        "privacy-monitor 2026-03-05: 1 page in trouble",
    ]
    assert len({m["Message-ID"] for m in smtp.messages}) == 5
    last_digest = smtp.messages[-1].get_body(("plain",)).get_content()
    assert "! Example Privacy Policy (policy): HTTP 503" in last_digest
    assert "failing since 2026-03-04 00:00 UTC (3 failed checks)" in last_digest
    (status,) = store_status(config, store, clock())
    assert (status.failures, status.failing_too_long) == (3, True)
    assert (store.root / "feed.atom").read_text().count("<entry>") == 1


def test_a_missed_digest_is_sent_on_start_and_overdue_pages_run_once(site, inbox, tmp_path):
    smtp, port = inbox
    config = service_config(site, port)
    clock = FakeClock(utc("2026-03-02 00:00"))
    start_service(config, tmp_path / "store", clock).tick()
    # Down from 00:00 to 10:00 on day 2: two check slots and the 08:00 digest passed meanwhile.
    clock.set(utc("2026-03-03 10:00"))
    report = start_service(config, tmp_path / "store", clock).tick()
    assert [r.record.time for r in report.checked] == ["2026-03-03T10:00:00Z"]  # once, not once per slot
    assert report.digests == ["2026-03-03T08:00:00Z"]
    # The period the service slept through is reported as such: silence must not look like "no change".
    assert smtp.subjects() == ["privacy-monitor 2026-03-03: 1 page in trouble"]
    assert smtp.messages[0]["X-Privacy-Monitor-Period"] == "2026-03-02T08:00:00Z/2026-03-03T08:00:00Z"
    body = smtp.messages[0].get_body(("plain",)).get_content()
    assert "(policy): not checked in this period (last checked 2026-03-02 00:00 UTC)" in body


def test_production_jobs_follow_the_same_decisions(site, inbox, tmp_path):
    """`serve` hands APScheduler one job per page (first run now when overdue), the digest, and retries."""
    from apscheduler.schedulers.background import BackgroundScheduler

    _, port = inbox
    config = service_config(site, port)
    now = system_clock().replace(microsecond=0)  # APScheduler reads the wall clock
    clock = FakeClock(now - timedelta(hours=5))
    start_service(config, tmp_path / "store", clock).tick()  # the last check: 5 hours ago
    clock.set(now)
    scheduler = BackgroundScheduler(timezone="UTC")
    start_service(config, tmp_path / "store", clock).schedule_jobs(scheduler, now)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == ["check:policy", "digest", "retry"]
        assert jobs["check:policy"].next_run_time == now + timedelta(hours=7)  # 12 h after the last check
        assert jobs["digest"].next_run_time == now  # a digest missed while down goes out at start
    finally:
        scheduler.shutdown(wait=False)


def test_serve_stops_cleanly_when_asked(site, inbox, tmp_path):
    """The real scheduler on the real clock: the overdue first check runs, then a stop ends the service."""
    _, port = inbox
    config = service_config(site, port)
    store = Store(tmp_path / "store")
    service = Service(Context(loaded(config, tmp_path), store))
    ready = threading.Event()
    runner = threading.Thread(target=service.serve, kwargs={"handle_signals": False, "ready": ready})
    runner.start()
    try:
        assert ready.wait(10)
        deadline = threading.Event()
        for _ in range(100):  # the first check runs at start; wait for it, not for time to pass
            if store.checks.last("policy") is not None:
                break
            deadline.wait(0.05)
        assert store.checks.last("policy").outcome == Outcome.NEW
    finally:
        service.stop.set()
        runner.join(timeout=timedelta(seconds=20).total_seconds())
    assert not runner.is_alive()
    assert store.verify().ok


def test_a_server_asking_to_come_back_tomorrow_is_not_asked_sooner_even_after_a_restart(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "86400"})])

    def answer(request: Request) -> Response:
        return next(answers, None) or Response(PAGE.format(sharing=SHARING_V1), content_type="text/html")

    httpserver.expect_request("/privacy").respond_with_handler(answer)
    config = make_config(
        [{"id": "policy", "url": httpserver.url_for("/privacy")}],
        fetch={"retries": 1, "timeout": 5, "per_host_min_gap": 0},
        digest={"enabled": False},
        service={"default_schedule": "every 1h", "jitter": "0s"},
    )
    clock = FakeClock(utc("2026-03-02 08:00"))
    service = start_service(config, tmp_path / "snapshots", clock)
    (result,) = service.tick().checked
    assert (result.record.outcome, result.record.reason) == (Outcome.FAILED, "HTTP 429: retry after 1d")
    page = config.pages[0]
    asked = utc("2026-03-03 08:00")
    assert abs((service.next_due(page, clock()) - asked).total_seconds()) < 5

    # A restart an hour later: the page's hourly schedule says "due", the server's word still holds.
    clock.advance(hours=1)
    restarted = start_service(config, tmp_path / "snapshots", clock)
    assert restarted.tick().checked == []
    assert abs((restarted.next_due(page, clock()) - asked).total_seconds()) < 5

    clock.set(asked + timedelta(seconds=5))
    (result,) = restarted.tick().checked
    assert result.record.outcome == Outcome.NEW
    # Answered: the page is back on its schedule, in this process and the next.
    assert start_service(config, tmp_path / "snapshots", clock).next_due(
        page, clock()
    ) == clock() + timedelta(hours=1)
