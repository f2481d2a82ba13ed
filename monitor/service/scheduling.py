"""The service's production driver: a Service's page checks, digest and alert retries as APScheduler jobs, run
until SIGTERM/SIGINT.

Each page gets a job on its schedule (IntervalTrigger or a cron trigger with jitter; the first run now when
overdue, else when the store says it is due), the digest a job at `[digest] time` and one now (a digest missed
while down goes out at start), and the outbox a retry job. The jobs take every decision from the Service and
the store (runner.py), so they may be re-armed at any moment: after a step of the wall clock, when a server
asks a page to wait (Retry-After), and when a page job fires before the store says the page is due (a check
recorded meanwhile by another process): it moves itself to that moment instead of checking.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor.config.loading import PageConfig, parse_duration
from monitor.config.timing import next_slot
from monitor.config.triggers import MAX_INTERVAL
from monitor.errors import MonitorError
from monitor.present.words import human_time, plural
from monitor.service.lifecycle import ClockWatch, fetches_allowed, service_lock

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

    from monitor.service.runner import Service

log = logging.getLogger("monitor.service.runner")  # the service's one log, whichever module writes it

MAX_WORKERS = 8  # checks running at once across hosts (per host: fetch.per_host_concurrency)
TICK = 1.0  # seconds between the service loop's looks at the stop flag and the wall clock


def serve(service: Service, *, handle_signals: bool = True, ready: threading.Event | None = None) -> None:
    """Run `service` until its `stop` is set (SIGTERM/SIGINT set it); see Service.serve."""
    with service_lock(service.store):
        workers = min(MAX_WORKERS, max(1, len(service.config.pages)))
        scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        fetches_allowed()  # a service started again in this process fetches again after a cancel
        schedule_jobs(service, scheduler, service.clock())
        if handle_signals:

            def on_signal(signum: int, frame: FrameType | None) -> None:
                log.info("received %s: stopping", signal.Signals(signum).name)
                service.stop.set()

            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, on_signal)
        scheduler.start()
        log.info(
            "service started: %s, store %s; next digest %s",
            plural(len(service.config.pages), "page"), service.store.root, _next_digest_text(service),
        )  # fmt: skip
        if ready is not None:
            ready.set()
        watch = ClockWatch(service.clock)
        try:
            while not service.stop.wait(TICK):
                if jumped := watch.step():
                    log.warning("the clock jumped %+.0fs: jobs re-armed from the store", jumped)
                    rearm(service, scheduler, service.clock())
        finally:
            _shut_down(service, scheduler)


def _shut_down(service: Service, scheduler: BaseScheduler) -> None:
    service.stop.set()
    scheduler.shutdown(wait=False)  # no new jobs; a queued one sees `stop` and returns at once
    if service.running.wait(0.0):
        log.info("service stopping: waiting a few seconds for running checks")
    service.abandoned = service.running.wind_down()
    if service.abandoned:  # closing their fetchers under them could record a half-made check: left as is
        log.warning(
            "service stopped: %s abandoned mid-fetch, not recorded", plural(service.abandoned, "check")
        )
        return
    service.ctx.close()
    log.info("service stopped")


def schedule_jobs(service: Service, scheduler: BaseScheduler, now: datetime) -> None:
    """One job per page (first run: now when overdue, else when the store says it is due), the digest at its
    time and now, and a retry job. The page jobs re-arm themselves on `scheduler`."""
    service._scheduler = scheduler
    config = service.config
    jitter = parse_duration(config.service.jitter).total_seconds()
    for page in config.pages:
        due = service.next_due(page, now)
        trigger = service.schedules[page.id].trigger(
            start=max(due, now), jitter=jitter, timezone=service.zone
        )
        scheduler.add_job(
            _page_job, trigger, args=[service, page.id], id=_page_job_id(page.id),
            next_run_time=_first_run(trigger, due, now),
        )  # fmt: skip
    hour, minute = (int(part) for part in config.digest.time.split(":"))
    scheduler.add_job(
        _digest_job,
        CronTrigger(hour=hour, minute=minute, timezone=service.zone),
        args=[service],
        id="digest",
        next_run_time=now,
    )
    retry = min(max(parse_duration(config.notify.retry_backoff), timedelta(minutes=1)), MAX_INTERVAL)
    scheduler.add_job(
        _retry_job, IntervalTrigger(seconds=retry.total_seconds(), timezone=UTC), args=[service], id="retry"
    )


def rearm(service: Service, scheduler: BaseScheduler, now: datetime) -> None:
    """After a clock step: each page's job at the time the store says it is due (now when overdue), the digest
    and retry jobs now (both decide for themselves what is due), and APScheduler's wait anew."""
    for page in service.config.pages:
        job = scheduler.get_job(_page_job_id(page.id))
        if job is not None:
            job.modify(next_run_time=max(service.next_due(page, now), now))
    for job_id in ("digest", "retry"):
        if (job := scheduler.get_job(job_id)) is not None:
            job.modify(next_run_time=now)
    scheduler.wakeup()


def postpone(scheduler: BaseScheduler | None, page_id: str, until: datetime) -> None:
    """Move the page's job to `until` when it would run sooner (its server asked it to wait)."""
    job = scheduler.get_job(_page_job_id(page_id)) if scheduler is not None else None
    if job is not None and (job.next_run_time is None or job.next_run_time < until):
        job.modify(next_run_time=until)


def _first_run(trigger: BaseTrigger, due: datetime, now: datetime) -> datetime:
    """The page's first run: now when overdue; else its trigger's first time (jitter included), but never
    before `due`. A cron trigger knows only its slots: a server's Retry-After past a slot (kept across a
    restart in `due`) would otherwise wait for the slot after that, a whole period late."""
    if due <= now:
        return now
    first = trigger.get_next_fire_time(None, now)
    return max(first, due) if first is not None else due


def _page_job_id(page_id: str) -> str:
    return f"check:{page_id}"


def _page_job(service: Service, page_id: str) -> None:
    with service.running.job():
        if service.stop.is_set():
            return
        page = service.config.page(page_id)
        now = service.clock()
        if (due := _due_later(service, page, now)) is not None:
            # The store says later than the trigger did: a check recorded meanwhile (a manual `privacy-monitor
            # check`, in any process) or a server's Retry-After. The job runs again when it is due, as tick()
            # decides, instead of checking early or waiting for its next slot.
            log.debug("%s: not due before %s: job moved there", page_id, human_time(due, service.zone))
            _move(service._scheduler, page_id, due)
            return
        service.check(page)


def _due_later(service: Service, page: PageConfig, now: datetime) -> datetime | None:
    """When the store says `page` is due, if later than `now`; None when due, or when the store cannot say
    (the check reports the damage)."""
    try:
        due = service.next_due(page, now)
    except MonitorError:
        return None
    return due if due > now else None


def _move(scheduler: BaseScheduler | None, page_id: str, at: datetime) -> None:
    """The page's job next at `at`, sooner or later than its trigger would say."""
    job = scheduler.get_job(_page_job_id(page_id)) if scheduler is not None else None
    if job is not None:
        job.modify(next_run_time=at)


def _digest_job(service: Service) -> None:
    with service.running.job():
        if not service.stop.is_set():
            service.send_digests()


def _retry_job(service: Service) -> None:
    with service.running.job():
        if not service.stop.is_set():
            service.retry_alerts()
            service.send_digests()


def _next_digest_text(service: Service) -> str:
    digest = service.config.digest
    if not digest.enabled:
        return "none (digest.enabled = false)"
    return human_time(next_slot(service.clock(), digest), service.zone)
