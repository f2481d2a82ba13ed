"""Fetch, extract and classify one page without storing anything (`check`, `test`, `add`, `diff ... live`),
the `Context` every check runs in, and the fetch half of a check (`PendingCheck`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.config.declared_pages import page_now
from monitor.config.loading import LoadedConfig, PageConfig
from monitor.errors import FetchError, Interrupted, StoreDamaged
from monitor.fetch.gate import Stopping
from monitor.models import Clock, Document, FetchResult, isoformat, system_clock
from monitor.pipeline.combine import PartCapture, extract_parts, fetch_parts, parts_of

if TYPE_CHECKING:
    from monitor.config.page_rules import Part
    from monitor.config.schema import Config
    from monitor.extract.document import Extraction
    from monitor.fetch.base import Fetcher
    from monitor.fetch.gate import HostGate
    from monitor.notify.base import Notifier
    from monitor.store.core import Store
    from monitor.store.writes import PageState


@dataclass
class Context:
    """Everything a check needs; tests pass their own store and clock."""

    loaded: LoadedConfig
    store: Store
    clock: Clock = system_clock
    deliver: bool = True  # the run sends the alerts its checks queued
    _fetchers: dict[str, Fetcher] = field(default_factory=dict)
    _fetchers_guard: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _gate: HostGate | None = None  # use_gate(): the host gate the fetchers' retry waits go through
    _notifiers: list[Notifier] | None = None
    # The rules fingerprint of each page whose rules are all in config.toml, by page id (fingerprint.py).
    rules_seen: dict[str, tuple[PageConfig, dict[str, object], str]] = field(default_factory=dict)

    @property
    def config(self) -> Config:
        return self.loaded.config

    def fetcher(self, renderer: str) -> Fetcher:
        """The fetcher of `renderer`, made on first use. Checks fetch in worker threads (a parallel `check`, the
        service), so it is made under a lock: two checks never make two (two Chromiums, one never closed). A
        browser fetcher drives Chromium from a thread of its own (monitor/fetch/chromium.py), so any thread may
        use it and the one that closes the context ends it."""
        with self._fetchers_guard:
            fetcher = self._fetchers.get(renderer)
            if fetcher is None:
                from monitor.registry import FETCHERS

                fetcher = FETCHERS.get(renderer)(self.config.fetch, base_dir=self.loaded.base_dir)
                self._fetchers[renderer] = fetcher
                self._wait_through_gate(fetcher)
            return fetcher

    def use_gate(self, gate: HostGate) -> None:
        """From now on the fetchers' retry waits, those made already and those made later, go through `gate`:
        out of the host's turn, so the host's other pages go meanwhile, and ended at once by its `stop`."""
        with self._fetchers_guard:
            self._gate = gate
            for fetcher in self._fetchers.values():
                self._wait_through_gate(fetcher)

    def _wait_through_gate(self, fetcher: Fetcher) -> None:
        if self._gate is not None and hasattr(fetcher, "sleep"):
            fetcher.sleep = self._gate.sleep

    def notifiers(self) -> list[Notifier]:
        """The configured channels, built once for every delivery of this context (a run, the service)."""
        if self._notifiers is None:
            from monitor.notify.base import build_notifiers

            config = self.config
            self._notifiers = build_notifiers(
                config.notify,
                base_dir=self.loaded.base_dir,
                pages=config.pages,
                base_url=config.report.base_url,
                include_private=config.report.include_private,
                zone=ZoneInfo(config.digest.timezone),  # a mail's times are the reader's, as the digest's are
            )
        return self._notifiers

    def close(self) -> None:
        with self._fetchers_guard:
            fetchers = list(self._fetchers.values())
            self._fetchers.clear()
        for fetcher in fetchers:
            close = getattr(fetcher, "close", None)
            if close:
                close()


@dataclass
class Capture:
    """A fetched and extracted page, not yet stored. `reason` is set when it is not the document."""

    fetched: FetchResult | None = None
    extraction: Extraction | None = None
    reason: str | None = None
    status: int | None = None
    timings: dict[str, float] = field(default_factory=dict)
    retry_at: datetime | None = None  # the server asked not to be fetched again before then (Retry-After)
    parts: list[PartCapture] = field(default_factory=list)  # a combined document's pages, in order


@dataclass
class PendingCheck:
    """A check in two halves: `plan_check` reads the page's state (one query) in the thread that writes the
    store; `fetch_for_check` fetches, in any thread; `check_page` does the rest (extract, classify, decide,
    record)."""

    state: PageState | None = None  # the page as the check read it before fetching
    page: PageConfig | None = None  # its config, its declaration read once for this check (declared_pages)
    validators: dict[str, str] | None = None
    damaged: StoreDamaged | None = None  # this page's stored data, read for the state
    time: str = ""  # when the fetch began: the check's time
    part_validators: dict[str, dict[str, str]] | None = None  # a combined document's, by part URL
    capture: Capture | None = None
    seconds: float = 0.0  # the fetch's


def plan_check(ctx: Context, page: PageConfig) -> PendingCheck:
    """The page's rules, read once (a declaration page's declaration is read again at each check), its state,
    and the validators of its last good check for a conditional fetch (none before its first version)."""
    page = page_now(ctx.loaded.base_dir, page)
    combined = page.read_rules is not None and bool(page.read_rules.parts)
    try:
        state = ctx.store.page_state(page.id)
        validators = ctx.store.versions.validators(page.id, state) if state.current else None
        parts = ctx.store.versions.part_validators(page.id) if state.current and combined else None
        return PendingCheck(state, page, validators, part_validators=parts)
    except StoreDamaged as error:
        if error.page != page.id:
            raise
        return PendingCheck(page=page, damaged=error)


def fetch_for_check(ctx: Context, page: PageConfig, pending: PendingCheck | None = None) -> PendingCheck:
    """Fetch `page` as its check does; stores nothing, so any thread may run it while another records checks."""
    pending = pending or plan_check(ctx, page)
    if pending.damaged is None:
        started = time.perf_counter()
        pending.time = isoformat(ctx.clock())
        pending.capture = fetch_capture(
            ctx, pending.page or page, validators=pending.validators, part_validators=pending.part_validators
        )
        pending.seconds = time.perf_counter() - started
    return pending


def capture_page(
    ctx: Context,
    page: PageConfig,
    *,
    validators: dict[str, str] | None = None,
    last_good: Document | None = None,
) -> Capture:
    """Fetch, extract and classify one page (used by `test`, `add` and `diff ... live`), its declaration read
    once."""
    page = page_now(ctx.loaded.base_dir, page) if page.read_rules is None else page
    return judge_capture(ctx, page, fetch_capture(ctx, page, validators=validators), last_good=last_good)


def fetch_capture(
    ctx: Context,
    page: PageConfig,
    *,
    validators: dict[str, str] | None = None,
    part_validators: dict[str, dict[str, str]] | None = None,
) -> Capture:
    """The fetch alone, the I/O of a check (any thread may run it): a Capture with `fetched`, or with the
    reason the fetch failed. A combined document fetches each of its parts. `page` is as `page_now` read it."""
    capture = Capture()
    problem = page.read_rules.problem if page.read_rules is not None else page.declaration_problem
    if problem is not None:  # a declaration a `git pull` broke fails this page, not the run
        capture.reason = problem
        return capture
    started = time.perf_counter()
    try:
        parts = parts_of(ctx, page)
        if parts:
            return fetch_parts(ctx, page, parts, part_validators or {}, capture, started)
        capture.fetched = ctx.fetcher(page.renderer).fetch(page, validators=validators)
    except FetchError as error:
        capture.reason, capture.status, capture.retry_at = error.reason, error.status, error.retry_at
        return capture
    except (Interrupted, Stopping):
        raise  # the process is stopping: nothing is recorded for this page, it stays due
    except Exception as error:  # noqa: BLE001 - a fault in one page's answer fails that page, never the run
        capture.reason = unexpected("fetch", error)
        return capture
    capture.status = capture.fetched.status
    capture.timings["fetch"] = round(time.perf_counter() - started, 4)
    return capture


def judge_capture(ctx: Context, page: PageConfig, capture: Capture, *, last_good: Document | None) -> Capture:
    """Extract and classify a fetched capture (nothing to do for a failed fetch or a 304)."""
    if capture.fetched is None or capture.fetched.not_modified:
        return capture
    extracted_at = time.perf_counter()
    try:
        if capture.parts:
            capture.extraction, capture.reason = extract_parts(ctx, page, capture.parts, extract_capture)
        else:
            capture.extraction, capture.reason = extract_capture(
                ctx, page, capture.fetched, last_good=last_good
            )
    except Exception as error:  # noqa: BLE001 - a page that breaks extraction fails its check, not the run
        capture.extraction, capture.reason = None, unexpected("extraction", error)
    capture.timings["extract"] = round(time.perf_counter() - extracted_at, 4)
    return capture


def unexpected(stage: str, error: Exception) -> str:
    """The reason a check failed on an error nobody foresaw: short, one line, naming the error's type."""
    text = " ".join(str(error).split())
    text = text if len(text) <= 160 else text[:159] + "…"
    return f"{stage} failed: {type(error).__name__}" + (f": {text}" if text else "")


def extract_capture(
    ctx: Context,
    page: PageConfig,
    fetched: FetchResult,
    *,
    last_good: Document | None,
    part: Part | None = None,
) -> tuple[Extraction | None, str | None]:
    """Extract the page's region from a capture and judge it: (Extraction or None, the reason it is not the
    document or None). Shared by checks and by `import` of a folder of dated HTML captures. A declaration
    whose `select`/`remove` is no CSS fails a capture that is not a PDF, naming the file and key; a PDF has
    no DOM, and its rules are ignored."""
    from monitor.extract.document import SelectorMissed, extract_document
    from monitor.extract.walls import EMPTY_PAGE, classify_capture, page_words_read
    from monitor.fetch.common import is_pdf
    from monitor.pipeline.declared_rules import filtered_html, selector_problem

    try:
        if is_pdf(fetched.body):  # a PDF document is its own kind of capture: no region to select in it
            from monitor.extract.pdf import extract_pdf

            extraction = extract_pdf(fetched.body, url=fetched.final_url)
        elif problem := selector_problem(ctx, page, part):
            return None, problem
        else:
            html = filtered_html(ctx, page, fetched, part)
            extraction = extract_document(
                html,
                url=fetched.final_url,
                select=page.select,
                remove=page.remove,
                page_words=page_words_read(ctx.config.walls),
            )
    except SelectorMissed as error:
        # A login wall or an error page has none of the document's structure: say which it is.
        wall = classify_capture(
            fetched,
            error.extraction,
            last_good=None,
            page=page,
            quality=ctx.config.quality,
            walls=ctx.config.walls,
        )
        return None, wall if wall and wall != EMPTY_PAGE else error.reason
    except FetchError as error:
        return None, error.reason
    reason = classify_capture(
        fetched,
        extraction,
        last_good=last_good,
        page=page,
        quality=ctx.config.quality,
        walls=ctx.config.walls,
    )
    return extraction, reason


def capture_now(
    loaded: LoadedConfig, store: Store, page: PageConfig, *, clock: Clock = system_clock
) -> Capture:
    """Fetch and extract `page` now, judged against its last good version, storing nothing (`test`, `diff live`)."""
    known = any(configured.id == page.id for configured in loaded.config.pages)
    current = store.versions.current(page.id) if known else None
    last_good = store.versions.read_document(page.id, current.id) if current else None
    ctx = Context(loaded, store, clock=clock, deliver=False)
    try:
        return capture_page(ctx, page, last_good=last_good)
    finally:
        ctx.close()
