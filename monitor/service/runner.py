"""`privacy-monitor run`: check each page on its schedule, send the daily digest, keep the feed current.

Two drivers share one set of decisions (monitor/schedule.py) and one set of actions (`check`, `send_digests`):
- production: `serve()` puts each page on an APScheduler job (IntervalTrigger or CronTrigger with jitter),
  plus a digest job at the digest time and a retry job, and runs until SIGTERM/SIGINT;
- tests: `tick(now)` runs whatever is due at a simulated moment, so days pass without sleeping.

State lives only in the store: the last check of each page (its check log) and the digest ledger. A restart
therefore picks up where the last run stopped; an overdue page runs once, a missed digest is sent when its
time passed no longer than `digest.grace` ago. One service per store (`service.lock`, held for the service's
life); the store's writer lock is taken per write only, so `privacy-monitor check` by hand can run alongside.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from monitor import fsutil
from monitor.config.loading import PageConfig, parse_duration
from monitor.config.timing import digest_zone, next_due, next_slot
from monitor.config.triggers import MAX_INTERVAL, add_clamped
from monitor.errors import Interrupted, MonitorError, StoreLocked, UsageError
from monitor.fetch.gate import HostGate, Stopping
from monitor.models import Clock, Outcome
from monitor.notify.base import has_notifier, kept_for_digest
from monitor.notify.digest_mail import DigestMailer
from monitor.notify.feed import write_feed
from monitor.pipeline.capture import fetch_for_check, plan_check
from monitor.pipeline.check import CheckResult, Context, check_page
from monitor.pipeline.deliver import deliver_alerts, deliver_run
from monitor.pipeline.parallel import ready_fetchers
from monitor.present.words import human_time, plural
from monitor.report.build import update_report
from monitor.service.lifecycle import ClockWatch, Running, fetches_allowed
from monitor.store.core import Store
from monitor.store.health import SERVICE_LOCK, page_schedule
from monitor.store.timeline import parse_time

log = logging.getLogger("monitor.service.runner")

MAX_WORKERS = 8  # checks running at once across hosts (per host: fetch.per_host_concurrency)
TICK = 1.0  # seconds between the service loop's looks at the stop flag and the wall clock


@contextmanager
def service_lock(store: Store) -> Iterator[None]:
    """Hold `<store>/service.lock` for the service's life; StoreLocked when another service holds it."""
    fsutil.ensure_dir(store.root)
    # Its own instance, not the shared one: a second service in this very process must be refused too.
    lock = fsutil.WriterLock(store.path(SERVICE_LOCK))
    try:
        lock.acquire(0)
    except fsutil.LockBusy as busy:
        raise StoreLocked(
            f"{store.root}: a privacy-monitor service is already running on this store "
            f"(pid {busy.pid if busy.pid is not None else 'unknown'}); "
            "stop it first, or give this one another [store] path"
        ) from None
    try:
        yield
    finally:
        lock.release()


@dataclass
class TickReport:
    checked: list[CheckResult] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)  # period keys sent


class Service:
    def __init__(
        self, ctx: Context, clock: Clock | None = None, *, mailer: DigestMailer | None = None
    ) -> None:
        self.ctx = ctx
        self.clock = clock or ctx.clock
        self.config = ctx.config
        self.store: Store = ctx.store
        self.zone = digest_zone(self.config.digest)
        self.schedules = {page.id: page_schedule(self.config, page) for page in self.config.pages}
        self.stop = threading.Event()
        fetch = self.config.fetch
        self.gate = HostGate(fetch.per_host_concurrency, fetch.per_host_min_gap, stop=self.stop)
        ready_fetchers(ctx, self.config.pages, self.gate)
        self.mailer = mailer or DigestMailer(ctx.loaded, ctx.store, self.clock)
        self._digest_guard = threading.Lock()
        self._feed_guard = threading.Lock()
        self._warned_no_email = False
        # Pages whose server said when to come back (HTTP 429/503 Retry-After longer than a check can wait):
        # not checked before then. Kept in the store too, so a restart does not knock on the door early.
        self.not_before: dict[str, datetime] = self._stored_not_before()
        self._scheduler: Any = None
        self.running = Running()
        self.abandoned = 0  # jobs still running when serve() gave up waiting for them

    # -- decisions -------------------------------------------------------------------------------------

    def next_due(self, page: PageConfig, now: datetime) -> datetime:
        last = self.store.last_check(page.id)
        due = next_due(self.schedules[page.id], parse_time(last.time) if last else None, now)
        asked = self.not_before.get(page.id)
        return max(due, asked) if asked is not None else due

    def due_pages(self, now: datetime) -> list[PageConfig]:
        return [page for page in self.config.pages if self.next_due(page, now) <= now]

    # -- actions ---------------------------------------------------------------------------------------

    def check(self, page: PageConfig) -> CheckResult | None:
        """One check, fetched in its host's turn; None when it did not complete (it stays due). A page that
        follows a declaration reads it once, now: a `git pull` since the last check changes its URL, rules
        and renderer without a restart."""
        was_failing = self._failing(page.id)
        try:
            pending = plan_check(self.ctx, page)
            now = pending.page or page
            # made in __init__ (ready_fetchers), unless a pull changed the renderer since
            fetcher = self.ctx.fetcher(now.renderer)
            with self.gate.turn(now.url):
                pending = fetch_for_check(self.ctx, page, pending)
            result = check_page(self.ctx, page, pending)
            deliver_run(self.ctx, [result])  # the tick's alerts go out now, within seconds of the check
        except (Stopping, Interrupted):  # an interrupted fetch is not recorded: the page stays due
            log.info("%s: check stopped, the service is stopping", page.id, extra={"page": page.id})
            return None
        except MonitorError as error:
            log.error("%s: check did not complete: %s", page.id, error, extra={"page": page.id})
            return None
        except Exception:
            log.exception("%s: unexpected error in the check (a bug; please report it)", page.id)
            return None
        self._log_result(result)
        if result.alerts and not has_notifier(self.config.notify):
            log.warning("%s: %s", page.id, kept_for_digest(len(result.alerts), self.ctx.loaded.path))
        self._respect_retry_after(now, fetcher, result)  # the URL this check fetched
        if result.record.outcome == Outcome.CHANGED:
            self.update_feed()
        # The site follows each change, and each start and end of a run of failed checks (its health column
        # and shading); an unchanged check leaves it as it is.
        failing = result.record.outcome == Outcome.FAILED
        if result.record.outcome in (Outcome.NEW, Outcome.CHANGED) or failing != was_failing:
            update_report(self.ctx.loaded, self.store, page.id)
        return result

    def _failing(self, page_id: str) -> bool:
        try:
            last = self.store.last_check(page_id)
        except MonitorError:  # damage is the check's to report, as a failed check
            return True
        return last is not None and last.outcome == Outcome.FAILED

    def _respect_retry_after(self, page: PageConfig, fetcher: Any, result: CheckResult) -> None:
        """Note when the server said to come back, and move the page's job there when it would run sooner."""
        retry_at = result.retry_at  # the pipeline passes FetchError.retry_at
        if retry_at is None and result.record.outcome == Outcome.FAILED and hasattr(fetcher, "not_before"):
            retry_at = fetcher.not_before(page.url)
        if retry_at is None or result.record.outcome != Outcome.FAILED:
            if self.not_before.pop(page.id, None) is not None:
                self.store.delete(_not_before_path(page.id))
            return
        # The fetcher dates Retry-After by the wall clock; the service's own clock decides here (a test's is
        # simulated), so the distance is kept, not the date.
        retry_at = add_clamped(self.clock(), retry_at - datetime.now(UTC))
        self.not_before[page.id] = retry_at
        self.store.write_json(_not_before_path(page.id), {"not_before": retry_at.isoformat()})
        log.info(
            "%s: not checked again before %s (the server asked)", page.id, human_time(retry_at, self.zone)
        )
        job = self._scheduler.get_job(f"check:{page.id}") if self._scheduler is not None else None
        if job is not None and (job.next_run_time is None or job.next_run_time < retry_at):
            job.modify(next_run_time=retry_at)

    def _stored_not_before(self) -> dict[str, datetime]:
        found: dict[str, datetime] = {}
        for page in self.config.pages:
            try:
                data = self.store.read_json(_not_before_path(page.id))
                if data is not None:
                    found[page.id] = datetime.fromisoformat(data["not_before"])
            except (MonitorError, KeyError, TypeError, ValueError):  # unreadable: the schedule decides
                continue
        return found

    def send_digests(self, now: datetime | None = None) -> list[str]:
        """Finish unfinished digests and send the due one (never two at once)."""
        with self._digest_guard:
            try:
                return self.mailer.run(now or self.clock())
            except UsageError as error:  # no [notify.email]: say so once, keep checking
                if not self._warned_no_email:
                    log.warning("digest not sent: %s", error)
                    self._warned_no_email = True
            except MonitorError as error:
                log.error("digest not sent: %s", error)
            return []

    def retry_alerts(self) -> None:
        """Deliver alerts left in the outbox by an earlier failure (the outbox backs off by itself)."""
        outcome = deliver_alerts(self.ctx)  # the outbox takes the writer lock while it writes
        if isinstance(outcome, MonitorError):
            log.warning("alerts not delivered: %s", outcome)

    def update_feed(self) -> None:
        feed = self.config.service.feed
        if not feed:
            return
        try:
            with self._feed_guard:
                entries = write_feed(self.store, self.config, self.store.root / feed)
            log.info("feed written: %s", plural(entries, "entry", "entries"))
        except (MonitorError, OSError) as error:
            log.error("feed not written: %s", error)

    def tick(self, now: datetime | None = None) -> TickReport:
        """Run everything due at `now`: overdue page checks (once each), then the digest."""
        now = now or self.clock()
        report = TickReport()
        for page in self.due_pages(now):
            if self.stop.is_set():
                break
            if (result := self.check(page)) is not None:
                report.checked.append(result)
        report.digests = self.send_digests(now)
        return report

    # -- production ------------------------------------------------------------------------------------

    def serve(self, *, handle_signals: bool = True, ready: threading.Event | None = None) -> None:
        """Run until `stop` is set (SIGTERM/SIGINT set it): queued checks are dropped, running ones get a few
        seconds (see STOP_GRACE); `abandoned` says how many were still running when it returned."""
        with service_lock(self.store):
            scheduler = BackgroundScheduler(
                timezone=UTC,
                executors={"default": ThreadPoolExecutor(min(MAX_WORKERS, max(1, len(self.config.pages))))},
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            )
            self._scheduler = scheduler
            fetches_allowed()  # a service started again in this process fetches again after a cancel
            self.schedule_jobs(scheduler, self.clock())
            if handle_signals:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    signal.signal(signum, self._on_signal)
            scheduler.start()
            log.info(
                "service started: %s, store %s; next digest %s",
                plural(len(self.config.pages), "page"), self.store.root, self._next_digest_text(),
            )  # fmt: skip
            if ready is not None:
                ready.set()
            watch = ClockWatch(self.clock)
            try:
                while not self.stop.wait(TICK):
                    if jumped := watch.step():
                        log.warning("the clock jumped %+.0fs: jobs re-armed from the store", jumped)
                        self.rearm(scheduler, self.clock())
            finally:
                self._shut_down(scheduler)

    def _shut_down(self, scheduler: Any) -> None:
        self.stop.set()
        scheduler.shutdown(wait=False)  # no new jobs; a queued one sees `stop` and returns at once
        if self.running.wait(0.0):
            log.info("service stopping: waiting a few seconds for running checks")
        self.abandoned = self.running.wind_down()
        if self.abandoned:  # closing their fetchers under them could record a half-made check: left as is
            log.warning(
                "service stopped: %s abandoned mid-fetch, not recorded", plural(self.abandoned, "check")
            )
            return
        self.ctx.close()
        log.info("service stopped")

    def rearm(self, scheduler: Any, now: datetime) -> None:
        """After a clock step: each page's job at the time the store says it is due (now when overdue), the
        digest and retry jobs now (both decide for themselves what is due), and APScheduler's wait anew."""
        for page in self.config.pages:
            job = scheduler.get_job(f"check:{page.id}")
            if job is not None:
                job.modify(next_run_time=max(self.next_due(page, now), now))
        for job_id in ("digest", "retry"):
            if (job := scheduler.get_job(job_id)) is not None:
                job.modify(next_run_time=now)
        scheduler.wakeup()

    def schedule_jobs(self, scheduler: Any, now: datetime) -> None:
        """One job per page (first run: now when overdue), the digest at its time and now, and a retry job."""
        jitter = parse_duration(self.config.service.jitter).total_seconds()
        for page in self.config.pages:
            due = self.next_due(page, now)
            trigger = self.schedules[page.id].trigger(start=max(due, now), jitter=jitter, timezone=self.zone)
            overdue = {"next_run_time": now} if due <= now else {}
            scheduler.add_job(self._page_job, trigger, args=[page.id], id=f"check:{page.id}", **overdue)
        digest = self.config.digest
        hour, minute = (int(part) for part in digest.time.split(":"))
        scheduler.add_job(
            self._digest_job,
            CronTrigger(hour=hour, minute=minute, timezone=self.zone),
            id="digest",
            next_run_time=now,
        )
        retry = min(max(parse_duration(self.config.notify.retry_backoff), timedelta(minutes=1)), MAX_INTERVAL)
        scheduler.add_job(
            self._retry_job, IntervalTrigger(seconds=retry.total_seconds(), timezone=UTC), id="retry"
        )

    def _page_job(self, page_id: str) -> None:
        asked = self.not_before.get(page_id)
        with self.running.job():
            if not self.stop.is_set() and (asked is None or asked <= self.clock()):
                self.check(self.config.page(page_id))

    def _digest_job(self) -> None:
        with self.running.job():
            if not self.stop.is_set():
                self.send_digests()

    def _retry_job(self) -> None:
        with self.running.job():
            if not self.stop.is_set():
                self.retry_alerts()
                self.send_digests()

    def _next_digest_text(self) -> str:
        digest = self.config.digest
        if not digest.enabled:
            return "none (digest.enabled = false)"
        return human_time(next_slot(self.clock(), digest), self.zone)

    def _on_signal(self, signum: int, frame: Any) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        self.stop.set()

    def _log_result(self, result: CheckResult) -> None:
        record = result.record
        fields = {"page": record.page, "outcome": str(record.outcome), "version": record.version}
        if record.outcome == Outcome.FAILED:
            log.warning(
                "%s: failed: %s", record.page, record.reason, extra={**fields, "reason": record.reason}
            )
        elif record.outcome == Outcome.CHANGED:
            kind = "cosmetic change" if record.cosmetic else "changed"
            log.info(
                "%s: %s %s -> %s, %s", record.page, kind, (record.previous or "")[:12],
                (record.version or "")[:12], plural(len(result.alerts), "alert"), extra=fields,
            )  # fmt: skip
        else:
            log.info("%s: %s %s", record.page, record.outcome, (record.version or "")[:12], extra=fields)


def _not_before_path(page_id: str) -> str:
    return f"service/not-before/{page_id}.json"
