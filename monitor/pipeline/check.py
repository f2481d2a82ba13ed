"""One check of one page, in three steps: fetch and extract, decide, record.

1. Fetch and extract, outside any lock (`capture.py`); the page's state was read once before the fetch.
2. Decide (`decide.py`, shared with imports): a text that hashes to the current version is `unchanged`, with
   no stored text read and nothing parsed. Otherwise the last good text is read once, the capture is judged
   against it (a collapse is a failed check), the new text and raw capture are written and fsync'd, and the
   diff, its summary and the watches are worked out, still outside any lock.
3. Record: one short write transaction, a compare-and-set on the page's current version, holds the check
   record, the timeline, the watches' new baselines and the outbox message. If another writer moved the page
   meanwhile, step 2 is done again against the new current version. No diff, no fsync and no network inside.

A failed fetch or a capture that is not the document (wall, shell, collapse) is recorded as a `failed` check
and never becomes a version. Damaged data of this page (a text blob that no longer hashes to its name) is a
failed check "store damaged: <file>"; it never stops the checks of other pages. Delivery is the run's, after
its checks (`deliver.py`): a check returns its alerts and the key of the outbox message that holds them.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from monitor.config.loading import PageConfig
from monitor.errors import StoreDamaged, StoreError
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
from monitor.pipeline.combine import store_parts
from monitor.pipeline.decide import decide
from monitor.pipeline.fingerprint import rules_now
from monitor.pipeline.result import CheckResult
from monitor.pipeline.rules_change import rules_change
from monitor.pipeline.same_capture import as_last_good, coverage_warning
from monitor.store.writes import CheckWrites, PageState

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff
    from monitor.pipeline.batch import Batch
    from monitor.watch.alerts import Alert

__all__ = ["Capture", "CheckResult", "Context", "capture_now", "capture_page", "check_page", "check_pages"]

# Another writer can move the page between a check's decision and its commit only by recording a check of the
# same page at that moment; three rounds in a row would mean a writer that never stops.
MAX_ROUNDS = 3


def check_pages(
    ctx: Context, pages: Iterable[PageConfig], on_result: Callable[[CheckResult], None] | None = None
) -> list[CheckResult]:
    """Check `pages` one after another, then deliver the run's alerts once."""
    from monitor.pipeline.deliver import deliver_run

    results = []
    for page in pages:
        result = check_page(ctx, page)
        results.append(result)
        if on_result:
            on_result(result)
    deliver_run(ctx, results)
    return results


def check_page(
    ctx: Context, page: PageConfig, fetched: PendingCheck | None = None, *, batch: Batch | None = None
) -> CheckResult:
    """Check `page` now, or finish the check whose fetch is `fetched`. Its timings leave out the time the
    fetch waited to be finished. Delivers nothing: the run does, once its checks are recorded. With `batch`,
    a check on the unchanged fast path is decided and left in it, recorded when the batch commits."""
    started = time.perf_counter()
    try:
        if fetched is None:
            fetched = fetch_for_check(ctx, page)
        else:
            started -= fetched.seconds
        if fetched.damaged is not None:
            raise fetched.damaged
        assert fetched.capture is not None and fetched.state is not None  # nothing stored was damaged
        return _check_page(ctx, page, fetched, started, batch)
    except StoreDamaged as error:
        if error.page != page.id:
            raise  # the whole store (its database) is damaged: nothing can be recorded
        record = CheckRecord(page=page.id, time=isoformat(ctx.clock()), url=page.url, outcome=Outcome.FAILED)
        record.reason = f"store damaged: {error.path}"
        record.timings["total"] = round(time.perf_counter() - started, 4)
        ctx.store.checks.append(record)  # no version: the page's data cannot be trusted until it is restored
        return CheckResult(record)


def _check_page(
    ctx: Context, page: PageConfig, pending: PendingCheck, started: float, batch: Batch | None
) -> CheckResult:
    assert pending.capture is not None and pending.state is not None
    page = pending.page or page  # its declaration as this check read it, once
    record = CheckRecord(page=page.id, time=pending.time, url=page.url, outcome=Outcome.FAILED)
    rule_parts, record.rules = rules_now(ctx, page)  # once per check (per run: no declaration)
    state, fetched = pending.state, pending.capture.fetched
    record.status = pending.capture.status
    if fetched is not None:
        record.final_url, record.renderer = fetched.final_url, fetched.renderer
        record.headers = dict(fetched.headers)
        record.request_headers = _request_headers(ctx, page)
        if not fetched.not_modified and not pending.capture.parts:  # a combined document's are its parts'
            record.raw_sha256 = hashlib.sha256(fetched.body).hexdigest()
        record.timings.update(pending.capture.timings)
        if as_last_good(ctx, page, record, state, pending):
            result = CheckResult(record)
            assert state.current is not None  # the last good check's text is the current version
            # a version from before fingerprints takes the check's, once
            writes = CheckWrites(rules=record.rules if state.current.rules is None else None)
            writes.captures = store_parts(ctx, page, pending.capture)  # the same bytes: already stored
            if batch is not None:
                batch.add(result, writes, state.version, started)
                return result
            if _record(ctx, result, writes, started, state.version):
                return result
            state = ctx.store.page_state(page.id)  # another writer moved the page: judge the capture in full
    capture = judge_capture(ctx, page, pending.capture, last_good=None)  # the collapse test waits for step 2
    record.timings.update(capture.timings)
    if capture.extraction is not None:
        record.coverage = round(capture.extraction.coverage, 5)
    if capture.reason or fetched is None:
        record.reason = capture.reason
        return _record_failure(ctx, CheckResult(record, retry_at=capture.retry_at), started)
    document, raw, text = None, None, None
    captures = store_parts(ctx, page, capture)
    if not fetched.not_modified:
        extraction = capture.extraction
        assert extraction is not None  # a fetched page that is the document was extracted
        document, raw = extraction.document, (None if capture.parts else fetched.body)
        text = document.to_text().encode("utf-8")
        record.text_sha256 = hashlib.sha256(text).hexdigest()
        record.reason = coverage_warning(record.coverage, ctx.config.quality.min_coverage)
    warning = record.reason
    for _ in range(MAX_ROUNDS):
        record.reason = warning
        change = rules_change(
            ctx, page, record, state, document, fresh_parts=capture.parts, rule_parts=rule_parts
        )
        if change is not None and change.broken and document is None:
            record.reason = change.note  # a 304: the capture is the stored one, and the new rules break it
            return _record_failure(ctx, CheckResult(record), started)
        result, writes = _decide(
            ctx, page, record, change.state(state) if change else state, document, text, raw
        )
        if change is not None and record.outcome != Outcome.FAILED:
            writes.rules, writes.technical = change.rules, change.technical
            writes.technical_captures = change.captures if change.technical is not None else []
            writes.baselines = {**change.baselines, **writes.baselines}
            record.reason = "; ".join(filter(None, (record.reason, change.note))) or None
        if writes.rules is not None or record.outcome == Outcome.NEW:
            writes.rules_parts = rule_parts
        writes.captures = captures
        if _record(ctx, result, writes, started, state.version):
            return result
        state = ctx.store.page_state(page.id)  # another writer moved the page: decide again against it
    raise StoreError(f"page {page.id!r}: another writer kept moving it while this check recorded; try again")


def _decide(
    ctx: Context,
    page: PageConfig,
    record: CheckRecord,
    state: PageState,
    document: Document | None,
    text: bytes | None,
    raw: bytes | None,
) -> tuple[CheckResult, CheckWrites]:
    """Step 2: what this capture means against `state`, with everything slow done here, outside any lock."""
    result, writes = CheckResult(record), CheckWrites()
    current = state.current
    # A second round starts from the capture again, not from what the first round decided.
    record.previous, record.changes, record.cosmetic, record.summary, record.alerts = None, {}, None, None, []
    if document is None:  # 304 Not Modified: the text is the current version's, if there is one
        if current is None:
            record.outcome, record.reason = Outcome.FAILED, "304 Not Modified but no version is stored yet"
            return result, writes
        record.text_sha256 = current.id
    assert record.text_sha256 is not None
    record.outcome = decide(state.version, record.text_sha256)
    if record.outcome == Outcome.UNCHANGED:
        assert current is not None
        record.version = current.id
        if document is not None:  # a watch added since the page last changed gets its baseline now
            _watches(ctx, page, record, state, None, document, None, result, writes, only_new=True)
        return result, writes
    assert document is not None and text is not None
    old = ctx.store.versions.read_document(page.id, current.id) if current is not None else None
    if old is not None:
        from monitor.extract.walls import collapse_reason

        if reason := collapse_reason(document, old, page=page, quality=ctx.config.quality):
            record.outcome, record.reason, record.version = Outcome.FAILED, reason, None
            record.text_sha256 = None
            return result, writes
    record.previous = state.version
    private = page.cookies_file is not None  # the capture may hold a logged-in person's data
    record.version = ctx.store.versions.put(
        page.id, text, raw, private=private, hashed=(record.text_sha256 or "", record.raw_sha256)
    )
    if old is not None:
        from monitor.diff.core import diff_documents
        from monitor.diff.summary import summarize

        result.diff = diff_documents(old, document)
        record.changes = result.diff.summary()
        record.cosmetic = result.diff.cosmetic_only
        # The summary marks as watched what the watches themselves decided (their alerts), as the digest does.
        watched = [watch for watch in ctx.config.watches if page.id in watch.pages]
        diff = result.diff
        record.summary = summarize(diff, watched=watched).to_json() if not watched else None
        _watches(
            ctx, page, record, state, old, document, diff, result, writes,
            summary=lambda alerts: summarize(diff, watched=watched, alerts=alerts).to_json(),
        )  # fmt: skip
    else:
        _watches(ctx, page, record, state, old, document, result.diff, result, writes)
    return result, writes


def _watches(
    ctx: Context,
    page: PageConfig,
    record: CheckRecord,
    state: PageState,
    old: Document | None,
    new: Document,
    diff: DocumentDiff | None,
    result: CheckResult,
    writes: CheckWrites,
    *,
    only_new: bool = False,
    summary: Callable[[list[Alert]], dict[str, Any]] | None = None,
) -> None:
    """The page's watches on this version: their alerts, new baselines and outbox message, to be recorded.
    `summary`: how the change's summary is made once the alerts are known (it marks what they name)."""
    if not any(page.id in watch.pages for watch in ctx.config.watches):
        return  # a check of a page without watches never loads them
    from monitor.notify.outbox import new_message
    from monitor.watch.evaluate import evaluate_watches, unevaluated, watches_of

    version = record.version
    assert version is not None  # watches only ever see a stored version
    watches = watches_of(ctx.config.watches, page.id)
    if only_new:
        watches = unevaluated(watches, page.id, version, state.baselines)
        if not watches:
            return
    evaluation = evaluate_watches(
        watches, page.id, state.baselines, old=old, new=new, diff=diff,
        version=version, previous=record.previous, time=record.time,
    )  # fmt: skip
    if summary is not None:
        record.summary = summary(evaluation.alerts)
    if record.summary:  # the alert mail opens with the change's summary, as every change output does
        for alert in evaluation.alerts:
            alert.details["change"] = record.summary
    if evaluation.alerts:  # an alert on a clause someone objected under says whose objection it concerns
        from monitor.objections.clause import alert_notes

        alert_notes(ctx.store, ctx.config, evaluation.alerts)
    result.alerts = evaluation.alerts
    record.alerts = [alert.to_json() for alert in evaluation.alerts]
    writes.baselines = evaluation.baselines
    writes.message = new_message(evaluation.alerts, ctx.clock, ctx.config.notify)
    result.message = writes.message.id if writes.message else None


def _record_failure(ctx: Context, result: CheckResult, started: float) -> CheckResult:
    """A failed check, recorded against whatever version is current when it commits."""
    result.record.outcome = Outcome.FAILED
    result.record.timings["total"] = round(time.perf_counter() - started, 4)
    ctx.store.commit_check(result.record, expected=None, writes=CheckWrites())
    return result


def _record(
    ctx: Context, result: CheckResult, writes: CheckWrites, started: float, expected: str | None
) -> bool:
    """Step 3: the one short transaction, if the page is still at `expected`; False (nothing written) if not."""
    result.record.timings["total"] = round(time.perf_counter() - started, 4)
    return ctx.store.commit_check(result.record, expected=expected, writes=writes)


def _request_headers(ctx: Context, page: PageConfig) -> dict[str, str]:
    """The headers the monitor asks with (for the evidence export); credentials are never stored."""
    from monitor.fetch.common import request_headers

    headers = request_headers(page, ctx.config.fetch)
    return {name: value for name, value in headers.items() if name.lower() not in ("cookie", "authorization")}
