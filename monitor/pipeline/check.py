"""One check of one page: fetch → extract → classify → store → diff → watches → outbox.

A failed fetch or a capture that is not the document (wall, shell, collapse) is logged as a
`failed` check and never becomes a version; the next good capture is compared with the last good
version. The outcome is decided in one store transaction that also records the watch baselines and the
outbox message of the check: a kill at any point leaves all of them or none (the next check redoes the
work), and a `check` run by hand while the service runs cannot record the same change twice. Delivery
happens after the transaction. Damaged data of this page (a text blob that no longer hashes to its name)
is recorded as a failed check "store damaged: <file>"; it never stops the checks of other pages.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.config.loading import PageConfig
from monitor.errors import MonitorError, StoreDamaged
from monitor.models import CheckRecord, Document, Outcome, isoformat
from monitor.pipeline.capture import (
    Capture,
    Context,
    PendingCheck,
    capture_now,
    capture_page,
    fetch_for_check,
    judge_capture,
)

__all__ = ["Capture", "CheckResult", "Context", "capture_now", "capture_page", "check_page", "check_pages"]

WRITER_WAIT = 120.0  # seconds a check waits for another writer (e.g. the service delivering mail)


@dataclass
class CheckResult:
    record: CheckRecord
    diff: Any = None  # DocumentDiff when the page changed
    alerts: list[Any] = field(default_factory=list)
    delivery: Any = None  # the outbox's DeliveryReport, when alerts were sent
    retry_at: Any = None  # datetime: when the server (Retry-After) lets this page be fetched again
    undelivered: list[str] = field(default_factory=list)  # one line per alert that could not be sent

    @property
    def delivery_failed(self) -> bool:
        return bool(self.undelivered)

    def to_json(self) -> dict[str, Any]:
        record = self.record
        return {
            "page": record.page,
            "outcome": str(record.outcome),
            "version": record.version,
            "previous": record.previous,
            "reason": record.reason,
            "coverage": record.coverage,
            "cosmetic": record.cosmetic,
            "changes": record.changes,
            "alerts": [alert.to_json() for alert in self.alerts],
            "time": record.time,
            "url": record.url,
            "final_url": record.final_url,
            "status": record.status,
            "renderer": record.renderer,
            "undelivered": self.undelivered,
        }


def check_pages(
    ctx: Context, pages: Iterable[PageConfig], on_result: Callable[[CheckResult], None] | None = None
) -> list[CheckResult]:
    results = []
    for page in pages:
        result = check_page(ctx, page)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def check_page(ctx: Context, page: PageConfig, fetched: PendingCheck | None = None) -> CheckResult:
    """Check `page` now, or finish the check whose fetch is `fetched`. Its timings leave out the time the
    fetch waited to be finished."""
    started = time.perf_counter()
    try:
        if fetched is None:
            fetched = fetch_for_check(ctx, page)
        else:
            started -= fetched.seconds
        if fetched.damaged is not None:
            raise fetched.damaged
        assert fetched.capture is not None  # fetched, since nothing stored was damaged
        return _check_page(ctx, page, fetched.time, fetched.capture, started)
    except StoreDamaged as error:
        if error.page != page.id:
            raise  # the whole store (its database) is damaged: nothing can be recorded
        record = CheckRecord(page=page.id, time=isoformat(ctx.clock()), url=page.url, outcome=Outcome.FAILED)
        record.reason = f"store damaged: {error.path}"
        record.timings["total"] = round(time.perf_counter() - started, 4)
        ctx.store.append_check(record)  # no version: the page's data cannot be trusted until it is restored
        return CheckResult(record)


def _check_page(ctx: Context, page: PageConfig, at: str, capture: Capture, started: float) -> CheckResult:
    record = CheckRecord(page=page.id, time=at, url=page.url, outcome=Outcome.FAILED)
    current = ctx.store.current(page.id)
    last_good = ctx.store.read_document(page.id, current.id) if current else None
    capture = judge_capture(ctx, page, capture, last_good=last_good)
    record.timings.update(capture.timings)
    record.status = capture.status
    fetched = capture.fetched
    if fetched is not None:
        record.final_url, record.renderer = fetched.final_url, fetched.renderer
        record.headers = dict(fetched.headers)
        record.request_headers = _request_headers(ctx, page)
        if not fetched.not_modified:
            record.raw_sha256 = hashlib.sha256(fetched.body).hexdigest()
    if capture.extraction is not None:
        record.coverage = round(capture.extraction.coverage, 5)
    if capture.reason:
        record.reason = capture.reason
        failed = _record_failure(ctx, record, started)
        failed.retry_at = capture.retry_at
        return failed
    read = (current.id, last_good) if current and last_good else None
    if fetched.not_modified:
        return _record_text(ctx, page, record, None, None, started, read)
    if capture.extraction.coverage < ctx.config.quality.min_coverage:
        record.reason = f"low coverage: {capture.extraction.coverage:.1%} of the page's words extracted"
    return _record_text(ctx, page, record, capture.extraction.document, fetched.body, started, read)


def _request_headers(ctx: Context, page: PageConfig) -> dict[str, str]:
    """The headers the monitor asks with (for the evidence export); credentials are never stored."""
    from monitor.fetch.common import request_headers

    headers = request_headers(page, ctx.config.fetch)
    return {name: value for name, value in headers.items() if name.lower() not in ("cookie", "authorization")}


def _record_failure(ctx: Context, record: CheckRecord, started: float) -> CheckResult:
    record.outcome = Outcome.FAILED
    record.timings["total"] = round(time.perf_counter() - started, 4)
    with ctx.store.transaction(wait=WRITER_WAIT):
        current = ctx.store.current(record.page)
        record.version = current.id if current else None
        ctx.store.append_check(record)
    return CheckResult(record)


def _record_text(
    ctx: Context,
    page: PageConfig,
    record: CheckRecord,
    document: Document | None,
    raw: bytes | None,
    started: float,
    read: tuple[str, Document] | None = None,
) -> CheckResult:
    """Store a good capture (document None = 304 Not Modified) and everything that follows from it.
    `read`: the last good version as the check read it before fetching (id, document), used again when it
    is still the current one, so a change reads and parses it once."""
    result = CheckResult(record)
    with ctx.store.transaction(wait=WRITER_WAIT):
        current = ctx.store.current(page.id)  # again, under the lock: another writer may have moved on
        if document is None:
            if current is None:
                record.reason = "304 Not Modified but no version is stored yet"
                record.outcome = Outcome.FAILED
            else:
                record.outcome, record.version, record.text_sha256 = Outcome.UNCHANGED, current.id, current.id
        else:
            text = document.to_text().encode("utf-8")
            record.text_sha256 = hashlib.sha256(text).hexdigest()
            if current and current.id == record.text_sha256:
                record.outcome, record.version = Outcome.UNCHANGED, current.id
                # A watch added to the config since the page last changed gets its baseline now.
                result.alerts = _evaluate_watches(ctx, page, None, document, None, record, only_new=True)
                record.alerts = [alert.to_json() for alert in result.alerts]
            else:
                record.outcome = Outcome.CHANGED if current else Outcome.NEW
                record.previous = current.id if current else None
                private = page.cookies_file is not None  # the capture may hold a logged-in person's data
                record.version = ctx.store.put_version(
                    page.id, text, raw, private=private, hashed=(record.text_sha256, record.raw_sha256)
                )
                old = None
                if read is not None and current is not None and read[0] == current.id:
                    old = read[1]
                elif current is not None:
                    old = ctx.store.read_document(page.id, current.id)
                result.diff = _diff(old, document)
                if result.diff is not None:
                    record.changes = result.diff.summary()
                    record.cosmetic = result.diff.cosmetic_only
                    record.summary = _summary(ctx, page, result.diff)
                result.alerts = _evaluate_watches(ctx, page, old, document, result.diff, record)
                record.alerts = [alert.to_json() for alert in result.alerts]
        record.timings["total"] = round(time.perf_counter() - started, 4)
        ctx.store.append_check(record)
    if result.alerts and ctx.deliver:  # outside the transaction: a slow server never holds the store
        result.delivery = deliver_alerts(ctx)
        result.undelivered = _undelivered(ctx, result)
    return result


def _undelivered(ctx: Context, result: CheckResult) -> list[str]:
    """One line per alert of this check's message that did not reach every target and recipient."""
    from monitor.notify.outbox import Outbox, message_key

    if result.delivery is None:
        return []  # no notifier configured: the alerts are for the digest
    entry = Outbox(ctx.store, ctx.clock, ctx.config.notify).get(message_key(result.alerts))
    if entry is None or entry.status in ("sent", "digest_only"):
        return []
    if isinstance(result.delivery, MonitorError):
        errors = [str(result.delivery)]
    else:
        errors = [error for entry_id, _, error in result.delivery.failed if entry_id == entry.id]
    why = f" ({errors[-1]})" if errors else ""
    return [f"queued in the outbox: {alert.page}: {alert.headline}{why}" for alert in entry.alerts]


def _diff(old: Document | None, new: Document) -> Any:
    if old is None:
        return None
    from monitor.diff.core import diff_documents

    return diff_documents(old, new)


def _summary(ctx: Context, page: PageConfig, diff: Any) -> dict[str, Any]:
    from monitor.diff.summary import summarize

    watched = [watch for watch in ctx.config.watches if page.id in watch.pages]
    return summarize(diff, watched=watched).to_json()


def _evaluate_watches(
    ctx: Context,
    page: PageConfig,
    old: Document | None,
    new: Document,
    diff: Any,
    record: CheckRecord,
    *,
    only_new: bool = False,
) -> list[Any]:
    version = record.version
    assert version is not None  # watches only ever see a stored version
    watches = [watch for watch in ctx.config.watches if page.id in watch.pages]
    if not watches:
        return []
    from monitor.notify.outbox import Outbox  # a check of a page without watches never loads them
    from monitor.watch.evaluate import evaluate_watches, unevaluated

    if only_new:
        watches = unevaluated(ctx.store, watches, page.id, version)
    if not watches:
        return []

    alerts = evaluate_watches(
        ctx.store,
        watches,
        page.id,
        old=old,
        new=new,
        diff=diff,
        version=version,
        previous=record.previous,
        time=record.time,
    )
    if record.summary:  # the alert mail opens with the change's summary, as every change output does
        for alert in alerts:
            alert.details["change"] = record.summary
    # One message for every alert of this check, committed with the check record that mentions it.
    Outbox(ctx.store, ctx.clock, ctx.config.notify).put_message(alerts)
    return alerts


def deliver_alerts(ctx: Context) -> Any:
    """Send what the outbox holds through the configured notifiers; a failure stays queued for the next run."""
    from monitor.notify.base import build_notifiers
    from monitor.notify.outbox import Outbox

    notifiers = build_notifiers(
        ctx.config.notify,
        base_dir=ctx.loaded.base_dir,
        pages=ctx.config.pages,
        base_url=ctx.config.report.base_url,
    )
    if not notifiers:
        return None
    try:
        return Outbox(ctx.store, ctx.clock, ctx.config.notify).deliver(notifiers)
    except MonitorError as error:  # delivery trouble never turns a good check into a failed one
        return error
