"""`privacy-monitor run`: check each page on its schedule, send the daily digest, keep the feed current.

The Service holds one set of decisions (when is a page due: monitor/config/timing.py, and a server's
Retry-After: retry_after.py) and one set of actions (`check`, `send_digests`, `retry_alerts`), which two drivers
share:
- production: `serve()` runs them as APScheduler jobs until SIGTERM/SIGINT (scheduling.py);
- tests: `tick(now)` runs whatever is due at a simulated moment, so days pass without sleeping.

State lives only in the store: the last check of each page (its check log) and the digest ledger. A restart
therefore picks up where the last run stopped; an overdue page runs once, a missed digest is sent when its
time passed no longer than `digest.grace` ago. One service per store (`service.lock`, held for the service's
life: lifecycle.py); the store's writer lock is taken per write only, so `privacy-monitor check` by hand can run
alongside.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime

from apscheduler.schedulers.base import BaseScheduler

from monitor.config.loading import PageConfig
from monitor.config.timing import digest_zone, next_due
from monitor.errors import Interrupted, MonitorError, UsageError
from monitor.fetch.base import Fetcher
from monitor.fetch.gate import HostGate, Stopping
from monitor.models import Clock, Outcome
from monitor.notify.base import has_notifier, kept_for_digest
from monitor.notify.digest_mail import DigestMailer
from monitor.notify.feed import write_feed
from monitor.pipeline.capture import fetch_for_check, plan_check
from monitor.pipeline.check import CheckResult, Context, check_page
from monitor.pipeline.deliver import deliver_alerts, deliver_run
from monitor.present.words import human_time, plural
from monitor.report.build import update_report
from monitor.service import scheduling
from monitor.service.lifecycle import Running, service_lock
from monitor.service.retry_after import NotBefore
from monitor.store.core import Store
from monitor.store.health import page_schedule
from monitor.store.timeline import parse_time

__all__ = ["Service", "TickReport", "service_lock"]

log = logging.getLogger(__name__)


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
        ctx.use_gate(self.gate)  # the fetchers' retry waits leave the host's turn and end at a stop
        self.mailer = mailer or DigestMailer(ctx.loaded, ctx.store, self.clock)
        self._digest_guard = threading.Lock()
        self._feed_guard = threading.Lock()
        self._warned_no_email = False
        # Pages whose server said when to come back: not checked before then.
        self.not_before = NotBefore(self.store, (page.id for page in self.config.pages))
        self._scheduler: BaseScheduler | None = None  # serve() sets it
        self.running = Running()
        self.abandoned = 0  # jobs still running when serve() gave up waiting for them

    # -- decisions -------------------------------------------------------------------------------------

    def next_due(self, page: PageConfig, now: datetime) -> datetime:
        last = self.store.checks.last(page.id)
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
        self._respect_retry_after(now, self.ctx.fetcher(now.renderer), result)  # the URL this check fetched
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
            last = self.store.checks.last(page_id)
        except MonitorError:  # damage is the check's to report, as a failed check
            return True
        return last is not None and last.outcome == Outcome.FAILED

    def _respect_retry_after(self, page: PageConfig, fetcher: Fetcher, result: CheckResult) -> None:
        """Note when the server said to come back, and move the page's job there when it would run sooner."""
        retry_at = self.not_before.follow(page.id, page.url, fetcher, result, self.clock())
        if retry_at is not None:
            log.info(
                "%s: not checked again before %s (the server asked)", page.id, human_time(retry_at, self.zone)
            )
            scheduling.postpone(self._scheduler, page.id, retry_at)

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

    # -- production (scheduling.py) --------------------------------------------------------------------

    def serve(self, *, handle_signals: bool = True, ready: threading.Event | None = None) -> None:
        """Run until `stop` is set (SIGTERM/SIGINT set it): queued checks are dropped, running ones get a few
        seconds (see STOP_GRACE); `abandoned` says how many were still running when it returned."""
        scheduling.serve(self, handle_signals=handle_signals, ready=ready)

    def schedule_jobs(self, scheduler: BaseScheduler, now: datetime) -> None:
        """One job per page (first run: now when overdue), the digest at its time and now, and a retry job."""
        scheduling.schedule_jobs(self, scheduler, now)

    def rearm(self, scheduler: BaseScheduler, now: datetime) -> None:
        """After a clock step: every job at the time the store says it is due (see scheduling.rearm)."""
        scheduling.rearm(self, scheduler, now)

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
