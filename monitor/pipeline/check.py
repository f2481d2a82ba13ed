"""One check of one page: fetch → extract → classify → store → diff → watches → outbox.

A failed fetch or a capture that is not the document (wall, shell, collapse) is logged as a
`failed` check and never becomes a version; the next good capture is compared with the last good
version. The outcome is decided under the store's writer lock, so a `check` run by hand while the
service runs cannot record the same change twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config.loading import LoadedConfig, PageConfig
from monitor.errors import FetchError, MonitorError
from monitor.models import CheckRecord, Clock, Document, Outcome, isoformat, system_clock

if TYPE_CHECKING:
    from monitor.store.core import Store

WRITER_WAIT = 120.0  # seconds a check waits for another writer (e.g. the service delivering mail)


@dataclass
class Context:
    """Everything a check needs; tests pass their own store and clock."""

    loaded: LoadedConfig
    store: Store
    clock: Clock = system_clock
    deliver: bool = True  # send queued alerts right after the check
    _fetchers: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self):  # noqa: ANN201 - the Config model
        return self.loaded.config

    def fetcher(self, renderer: str) -> Any:
        if renderer not in self._fetchers:
            from monitor.registry import FETCHERS

            self._fetchers[renderer] = FETCHERS.get(renderer)(
                self.config.fetch, base_dir=self.loaded.base_dir
            )
        return self._fetchers[renderer]

    def close(self) -> None:
        for fetcher in self._fetchers.values():
            close = getattr(fetcher, "close", None)
            if close:
                close()
        self._fetchers.clear()


@dataclass
class CheckResult:
    record: CheckRecord
    diff: Any = None  # DocumentDiff when the page changed
    alerts: list[Any] = field(default_factory=list)
    delivery: Any = None  # the outbox's DeliveryReport, when alerts were sent

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


@dataclass
class Capture:
    """A fetched and extracted page, not yet stored. `reason` is set when it is not the document."""

    fetched: Any = None  # FetchResult
    extraction: Any = None  # Extraction
    reason: str | None = None
    status: int | None = None
    timings: dict[str, float] = field(default_factory=dict)


def capture_page(
    ctx: Context,
    page: PageConfig,
    *,
    validators: dict[str, str] | None = None,
    last_good: Document | None = None,
) -> Capture:
    """Fetch, extract and classify one page (used by `check`, `test`, `add` and `diff ... live`)."""
    from monitor.extract.document import SelectorMissed, extract_document
    from monitor.extract.walls import classify_capture

    capture = Capture()
    started = time.perf_counter()
    try:
        capture.fetched = ctx.fetcher(page.renderer).fetch(page, validators=validators)
    except FetchError as error:
        capture.reason, capture.status = error.reason, error.status
        return capture
    capture.status = capture.fetched.status
    capture.timings["fetch"] = round(time.perf_counter() - started, 4)
    if capture.fetched.not_modified:
        return capture
    extracted_at = time.perf_counter()
    try:
        capture.extraction = extract_document(
            capture.fetched.html, url=capture.fetched.final_url, select=page.select, remove=page.remove
        )
    except SelectorMissed as error:
        # A login wall or an error page has none of the document's structure: say which it is.
        wall = classify_capture(
            capture.fetched,
            error.extraction,
            last_good=None,
            page=page,
            quality=ctx.config.quality,
            walls=ctx.config.walls,
        )
        capture.reason = wall if wall and wall != "empty page" else error.reason
        return capture
    except FetchError as error:
        capture.reason = error.reason
        return capture
    capture.reason = classify_capture(
        capture.fetched,
        capture.extraction,
        last_good=last_good,
        page=page,
        quality=ctx.config.quality,
        walls=ctx.config.walls,
    )
    capture.timings["extract"] = round(time.perf_counter() - extracted_at, 4)
    return capture


def capture_now(
    loaded: LoadedConfig, store: Store, page: PageConfig, *, clock: Clock = system_clock
) -> Capture:
    """Fetch and extract `page` now, judged against its last good version, storing nothing (`test`, `diff live`)."""
    known = any(configured.id == page.id for configured in loaded.config.pages)
    current = store.current(page.id) if known else None
    last_good = store.read_document(page.id, current.id) if current else None
    ctx = Context(loaded, store, clock=clock, deliver=False)
    try:
        return capture_page(ctx, page, last_good=last_good)
    finally:
        ctx.close()


def check_page(ctx: Context, page: PageConfig) -> CheckResult:
    record = CheckRecord(page=page.id, time=isoformat(ctx.clock()), url=page.url, outcome=Outcome.FAILED)
    started = time.perf_counter()
    current = ctx.store.current(page.id)
    last_good = ctx.store.read_document(page.id, current.id) if current else None
    capture = capture_page(
        ctx, page, validators=ctx.store.validators(page.id) if current else None, last_good=last_good
    )
    record.timings.update(capture.timings)
    record.status = capture.status
    fetched = capture.fetched
    if fetched is not None:
        record.final_url, record.renderer = fetched.final_url, fetched.renderer
        record.headers = dict(fetched.headers)
        if not fetched.not_modified:
            record.raw_sha256 = hashlib.sha256(fetched.body).hexdigest()
    if capture.extraction is not None:
        record.coverage = round(capture.extraction.coverage, 5)
    if capture.reason:
        record.reason = capture.reason
        return _record_failure(ctx, record, started)
    if fetched.not_modified:
        return _record_text(ctx, page, record, None, None, started)
    if capture.extraction.coverage < ctx.config.quality.min_coverage:
        record.reason = f"low coverage: {capture.extraction.coverage:.1%} of the page's words extracted"
    return _record_text(ctx, page, record, capture.extraction.document, fetched.body, started)


def _record_failure(ctx: Context, record: CheckRecord, started: float) -> CheckResult:
    record.outcome = Outcome.FAILED
    record.timings["total"] = round(time.perf_counter() - started, 4)
    with ctx.store.writer(wait=WRITER_WAIT):
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
) -> CheckResult:
    """Store a good capture (document None = 304 Not Modified) and everything that follows from it."""
    result = CheckResult(record)
    with ctx.store.writer(wait=WRITER_WAIT):
        current = ctx.store.current(page.id)  # again, under the lock: another writer may have moved on
        if document is None:
            if current is None:
                record.reason = "304 Not Modified but no version is stored yet"
                record.outcome = Outcome.FAILED
            else:
                record.outcome, record.version, record.text_sha256 = Outcome.UNCHANGED, current.id, current.id
        else:
            text = document.to_text()
            record.text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if current and current.id == record.text_sha256:
                record.outcome, record.version = Outcome.UNCHANGED, current.id
                # A watch added to the config since the page last changed gets its baseline now.
                result.alerts = _evaluate_watches(ctx, page, None, document, None, record, only_new=True)
                record.alerts = [alert.to_json() for alert in result.alerts]
            else:
                record.outcome = Outcome.CHANGED if current else Outcome.NEW
                record.previous = current.id if current else None
                record.version = ctx.store.put_version(page.id, text, raw)
                old = ctx.store.read_document(page.id, current.id) if current else None
                result.diff = _diff(old, document)
                if result.diff is not None:
                    record.changes = result.diff.summary()
                    record.cosmetic = result.diff.cosmetic_only
                result.alerts = _evaluate_watches(ctx, page, old, document, result.diff, record)
                record.alerts = [alert.to_json() for alert in result.alerts]
        record.timings["total"] = round(time.perf_counter() - started, 4)
        ctx.store.append_check(record)
        if result.alerts and ctx.deliver:
            result.delivery = deliver_alerts(ctx)
    return result


def _diff(old: Document | None, new: Document) -> Any:
    if old is None:
        return None
    from monitor.diff.core import diff_documents

    return diff_documents(old, new)


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
    from monitor.notify.outbox import Outbox
    from monitor.watch.evaluate import evaluate_watches, unevaluated

    watches = [watch for watch in ctx.config.watches if page.id in watch.pages]
    if only_new and watches:
        watches = unevaluated(ctx.store, watches, page.id, record.version)
    if not watches:
        return []

    alerts = evaluate_watches(
        ctx.store,
        watches,
        page.id,
        old=old,
        new=new,
        diff=diff,
        version=record.version,
        previous=record.previous,
        time=record.time,
    )
    outbox = Outbox(ctx.store, ctx.clock, ctx.config.notify)
    for alert in alerts:
        outbox.put(alert)  # durable before the check record that mentions it
    return alerts


def deliver_alerts(ctx: Context) -> Any:
    """Send what the outbox holds through the configured notifiers; a failure stays queued for the next run."""
    from monitor.notify.base import build_notifiers
    from monitor.notify.outbox import Outbox

    notifiers = build_notifiers(ctx.config.notify, base_dir=ctx.loaded.base_dir, pages=ctx.config.pages)
    if not notifiers:
        return None
    try:
        return Outbox(ctx.store, ctx.clock, ctx.config.notify).deliver(notifiers)
    except MonitorError as error:  # delivery trouble never turns a good check into a failed one
        return error
