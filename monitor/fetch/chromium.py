"""One headless Chromium kept for many pages, owned by one thread of its own (`BrowserThread`).

Why a dedicated thread: Playwright's sync API is bound to the thread that started it, and the service runs
checks in up to MAX_WORKERS worker threads (monitor/service/scheduling.py). A browser per worker thread would
start up to that many Chromiums (hundreds of MB each) and could not be closed from the thread that ends the run
(`Context.close()`), since a thread-local Playwright can only be driven by its own thread. So every browser
fetch of a fetcher is handed to its one browser thread and run there, one page at a time: one Chromium per run
whatever the number of workers, and `close()` works from any thread. Browser pages of one run therefore wait for
each other; plain HTTP pages do not, and on a small machine one renderer at a time is what fits anyway.

Each job runs under a watchdog: if it is not done `watchdog` seconds after it started (launch included), every
Chromium process of the browser is killed (they carry MARKER_ENV=<token>: monitor.fetch.processes), Playwright
then fails the call, and the browser and Playwright are shut down; the next page launches a fresh one. So are
a browser found dead before a page (crashed, killed) and one whose page failed without an HTTP answer. The thread closes the browser by itself
after IDLE_CLOSE seconds without a page, so a fetcher nobody closes leaves nothing running for long, and
`close()` (or interpreter exit) ends the browser, Playwright's driver and the thread.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import queue
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monitor.fetch.processes import MARKER_ENV, kill_marked, marked_processes

log = logging.getLogger(__name__)

IDLE_CLOSE = 60.0  # seconds without a page after which the browser thread closes its browser and ends
SHUTDOWN_LIMIT = 10.0  # seconds a shutdown may take before what is left is killed
CANCEL_GRACE = 2.0  # seconds a cancelled page is waited for once its browser was killed
_CANCEL_POLL = 0.1


@dataclass(frozen=True, slots=True)
class Launch:
    """How to start Chromium: `executable` (None: Playwright's own), Chromium `args`, `timeout` in seconds."""

    executable: str | None
    args: tuple[str, ...]
    timeout: float


# A page's work: called on the browser thread with the live browser and the job's start (time.monotonic()).
Action = Callable[[Any, float], Any]


@dataclass(slots=True)
class _Job:
    action: Action
    launch: Launch
    watchdog: float
    fired: threading.Event
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class _Worker:
    """The thread, its queue and the Playwright objects only it touches."""

    def __init__(self, owner: BrowserThread) -> None:
        self.owner = owner
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self.serve, name="privacy-monitor-browser", daemon=True)
        self.playwright: Any = None
        self.browser: Any = None
        self.token = ""

    def serve(self) -> None:
        try:
            while True:
                try:
                    job = self.jobs.get(timeout=self.owner.idle_close)
                except queue.Empty:
                    if self.owner.detach_if_idle(self):
                        return
                    continue
                if job is None:
                    return
                self.execute(job)
        finally:
            self.shutdown()
            self.fail_waiting()

    def execute(self, job: _Job) -> None:
        started = time.monotonic()
        watchdog = threading.Timer(job.watchdog, self.kill, args=(job.fired,))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                job.result = self.attempt(job, started)
            except Exception:
                if job.fired.is_set() or self.alive(scan=False):
                    raise
                # The browser died before or during the page (a crash the process scan did not see yet):
                # the page gets one more try on a fresh browser, within the same watchdog.
                self.shutdown()
                job.result = self.attempt(job, started)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting caller, who raises it
            job.error = error
        finally:
            watchdog.cancel()
            # Killed, crashed, or a page that failed without an HTTP answer (a timeout, a hung renderer): the
            # browser is not trusted with the next page, which gets a fresh one. An HTTP error status is the
            # site's answer and says nothing against the browser.
            answered = job.error is None or getattr(job.error, "status", None) is not None
            if job.fired.is_set() or not answered or not self.alive(scan=False):
                self.shutdown()
            job.done.set()

    def attempt(self, job: _Job, started: float) -> Any:
        if not self.alive():
            self.shutdown()
            self.start(job.launch)
        return job.action(self.browser, started)

    def kill(self, fired: threading.Event) -> None:
        fired.set()
        kill_marked(self.token)

    def alive(self, *, scan: bool = True) -> bool:
        """Whether the browser can take a page. `scan`: also look for its processes (a crashed browser is only
        noticed by Playwright during a call, and a page must not fail for it)."""
        if self.browser is None or not self.browser.is_connected():
            return False
        return not scan or bool(marked_processes(self.token))

    def start(self, launch: Launch) -> None:
        from playwright.sync_api import sync_playwright

        self.token = uuid.uuid4().hex
        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=launch.executable,
            headless=True,
            args=list(launch.args),
            env={**os.environ, MARKER_ENV: self.token},
            timeout=launch.timeout * 1000,
        )

    def shutdown(self) -> None:
        """Closes the browser and Playwright's driver; kills whatever of the browser is left."""
        if self.browser is None and self.playwright is None:
            return
        token = self.token
        limit = threading.Timer(SHUTDOWN_LIMIT, kill_marked, args=(token,))
        limit.daemon = True
        limit.start()
        try:
            # Both raise when the browser or the driver is already gone (crashed, or killed by the watchdog).
            if self.browser is not None:
                with contextlib.suppress(Exception):
                    self.browser.close()
            if self.playwright is not None:
                with contextlib.suppress(Exception):
                    self.playwright.stop()
        finally:
            limit.cancel()
            self.browser = self.playwright = None
        if killed := kill_marked(token):
            log.warning("killed %d browser process(es) left after closing the browser", killed)

    def fail_waiting(self) -> None:
        """Jobs queued behind the end of the thread (close() during a run) fail rather than wait forever."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None:
                job.error = RuntimeError("the browser was closed")
                job.done.set()


class BrowserThread:
    """Runs page actions on one long-lived Chromium in a thread of its own; see the module docstring."""

    def __init__(self, *, idle_close: float = IDLE_CLOSE) -> None:
        self.idle_close = idle_close
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        _LIVE.add(self)

    def run(
        self,
        action: Action,
        *,
        launch: Launch,
        watchdog: float,
        fired: threading.Event,
        cancelled: Callable[[], bool] = lambda: False,
    ) -> Any:
        """`action(browser, started)` on the browser thread: its result, or its exception raised here. `fired`
        is set when the watchdog killed the browser (after `watchdog` seconds). Once `cancelled()` is true the
        job is waited for CANCEL_GRACE seconds at most (the canceller kills the browser: `interrupt`)."""
        job = _Job(action, launch, watchdog, fired)
        with self._lock:
            if self._worker is None:
                self._worker = _Worker(self)
                self._worker.thread.start()
            worker = self._worker
            job_queue = worker.jobs
            job_queue.put(job)
        # The watchdog ends every job in time; this bound is for a Playwright that hangs even so: that worker is
        # given up (its browser killed) and the next page starts a new one.
        if not _wait(job.done, watchdog + SHUTDOWN_LIMIT + 5, cancelled):
            with self._lock:
                if self._worker is not None and self._worker.jobs is job_queue:
                    self._worker = None
            kill_marked(worker.token)
            raise TimeoutError("the browser thread did not answer")
        if job.error is not None:
            raise job.error
        return job.result

    def interrupt(self) -> None:
        """Kills the browser of the page in progress, if any: Playwright then fails that page at once."""
        with self._lock:
            worker = self._worker
        if worker is not None and worker.token:
            kill_marked(worker.token)

    def detach_if_idle(self, worker: _Worker) -> bool:
        """Called by an idle worker: True (and forgotten) when nothing was queued meanwhile, so it may end."""
        with self._lock:
            if not worker.jobs.empty():
                return False
            if self._worker is worker:
                self._worker = None
            return True

    def close(self, timeout: float = SHUTDOWN_LIMIT + 5) -> None:
        """Ends the browser, Playwright and the thread (after the page it is on, if any)."""
        with self._lock:
            worker, self._worker = self._worker, None
            if worker is not None:
                worker.jobs.put(None)
        if worker is not None and worker.thread is not threading.current_thread():
            worker.thread.join(timeout)
            if worker.thread.is_alive():
                kill_marked(worker.token)
                log.warning("the browser thread did not end within %gs; its browser was killed", timeout)


def _wait(done: threading.Event, seconds: float, cancelled: Callable[[], bool]) -> bool:
    """done.wait(seconds), but no more than CANCEL_GRACE once `cancelled()`: True when done."""
    ends, grace_ends = time.monotonic() + seconds, None
    while not done.wait(min(max(ends - time.monotonic(), 0.0), _CANCEL_POLL)):
        now = time.monotonic()
        if grace_ends is None and cancelled():
            grace_ends = now + CANCEL_GRACE
        if now >= ends or (grace_ends is not None and now >= grace_ends):
            return done.is_set()
    return True


_LIVE: weakref.WeakSet[BrowserThread] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for browsers in list(_LIVE):
        browsers.close()
