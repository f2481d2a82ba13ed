"""One deadline for a whole HTTP attempt: connect, headers and body.

requests' `timeout` bounds each socket read, not the answer: a server that trickles a byte a second never
trips it and holds a check for as long as it likes. Here every socket an attempt uses is registered with the
attempt's `Deadline`; when the deadline passes, a timer shuts those sockets down, which ends any blocked read
at once (a shut-down socket reads as closed), and the fetcher turns the cut answer into "timed out" because
`Deadline.expired` says why the read ended. The sockets come from a connection class of our own, mounted on
the session by `DeadlineAdapter`; a thread-local says which deadline is current, since a fetch runs in one
thread and the pool hands connections to that thread only. One thread of the process watches every deadline
(a timer thread per attempt cost more than the rest of a loopback fetch).

`cancel_all()` ends every fetch of the process at once (the service calls it when told to stop): it cuts the
sockets of every attempt in flight as an expired deadline does, with `Deadline.cancelled` set so the fetcher
raises `Interrupted` rather than a failure, ends retry waits (`pause`) and runs the hooks other fetchers
registered (`on_cancel`: the browser kills its Chromium). Fetches starting afterwards are interrupted at once,
until `reset()`.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from monitor.errors import Interrupted
from monitor.fetch.requests_lib import requests

_current = threading.local()
log = logging.getLogger(__name__)

_cancelled = threading.Event()
_live_guard = threading.Lock()
_live: set[Deadline] = set()  # the deadlines of the attempts in flight, for cancel_all()
_hooks: dict[int, Callable[[], None]] = {}
_hook_ids = itertools.count()


def cancel_all() -> None:
    """Interrupt every fetch of the process now, and every fetch started until `reset()`: their sockets are
    shut, their retry waits end, and each raises `monitor.errors.Interrupted` within a moment. Any thread may
    call it (a signal handler too: it only sets an event, shuts sockets and calls the registered hooks)."""
    _cancelled.set()
    with _live_guard:
        deadlines, hooks = list(_live), list(_hooks.values())
    for deadline in deadlines:
        deadline.cancel()
    for hook in hooks:
        try:
            hook()
        except Exception:  # noqa: BLE001 - one fetcher's trouble must not keep the others running
            log.exception("could not interrupt a fetch")


def reset() -> None:
    """Let fetches run again after `cancel_all()` (a service started again in the same process, tests)."""
    _cancelled.clear()


def cancelled() -> bool:
    return _cancelled.is_set()


def check_cancelled(url: str) -> None:
    """Raise Interrupted for `url` when cancel_all() was called."""
    if _cancelled.is_set():
        raise Interrupted(url)


def pause(seconds: float) -> None:
    """time.sleep that cancel_all() ends at once (the fetcher then raises Interrupted)."""
    _cancelled.wait(max(seconds, 0.0))


@contextlib.contextmanager
def on_cancel(hook: Callable[[], None]) -> Iterator[None]:
    """Within the block, cancel_all() also calls `hook` (a fetch that is no socket of ours: a browser's)."""
    key = next(_hook_ids)
    with _live_guard:
        _hooks[key] = hook
    try:
        if _cancelled.is_set():
            hook()
        yield
    finally:
        with _live_guard:
            _hooks.pop(key, None)


class Deadline:
    """`with Deadline(seconds):` bounds everything the sessions mounted with DeadlineAdapter do inside it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self.cancelled = False  # expired by cancel_all(): the fetch is interrupted, not timed out
        self.finished = False
        # the last request went down a connection kept alive from an earlier one, which the server may have
        # closed meanwhile: its failure before any answer is worth one more try on a new connection
        self.kept_connection = False
        self._sockets: set[socket.socket] = set()
        self._guard = threading.Lock()

    def remaining(self) -> float:
        return max(self.ends - time.monotonic(), 0.0)

    def register(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._guard:
            if self.expired:
                _shut(sock)
            else:
                self._sockets.add(sock)

    def expire(self, *, cancel: bool = False) -> None:
        with self._guard:
            if self.finished:
                return
            self.expired = True
            self.cancelled = self.cancelled or cancel
            for sock in self._sockets:
                _shut(sock)

    def cancel(self) -> None:
        self.expire(cancel=True)

    def __enter__(self) -> Deadline:
        self._previous = getattr(_current, "deadline", None)
        _current.deadline = self
        with _live_guard:
            _live.add(self)
        if _cancelled.is_set():  # after joining _live: a cancel_all() now either sees it or is seen here
            self.cancel()
        _watcher.watch(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        _current.deadline = self._previous
        with _live_guard:
            _live.discard(self)
        with self._guard:
            self.finished = True
            self._sockets.clear()


class _Watcher:
    """Sleeps until the earliest deadline due and expires it; finished ones are dropped when they come up."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()  # ties never compare Deadlines
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: Deadline) -> None:
        with self._wake:
            heapq.heappush(self._due, (deadline.ends, next(self._order), deadline))
            if self._thread is None or not self._thread.is_alive():  # first use, or after a fork
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines", daemon=True)
                self._thread.start()
            elif self._due[0][2] is deadline:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][2].finished:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                ends, _, deadline = self._due[0]
                if (left := ends - time.monotonic()) > 0:
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._due)
                try:
                    deadline.expire()
                except Exception:  # noqa: BLE001 - the one watcher must outlive any deadline's trouble
                    log.exception("could not expire a fetch deadline")


_watcher = _Watcher()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: the reading thread still owns the TLS object. A socket
    # already closed has nothing left to interrupt.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _register(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.register(sock)


def _sending(sock: socket.socket | None, sent: int) -> None:
    """A request is about to go down `sock` (None: one the request opens), which carried `sent` requests since
    it was opened: more than none, it is a connection kept alive from an earlier request (HTTPS opens its
    socket before the first request). Either way it now goes under this attempt's deadline."""
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.kept_connection = sock is not None and sent > 0
        deadline.register(sock)


class _UnderDeadline:
    """What both connection classes add: their sockets go under the current attempt's deadline, and they count
    the requests each socket carried (a kept-alive connection is one that carried some)."""

    sock: socket.socket | None
    _sent = 0  # requests sent since the socket was opened

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]  # the connection class it is mixed into
        self._sent = 0
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _sending(self.sock, self._sent)
        super().request(*args, **kwargs)  # type: ignore[misc]  # opens the socket when there is none yet
        self._sent += 1


class _DeadlineConnection(_UnderDeadline, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_UnderDeadline, HTTPSConnection):
    pass


class _Pool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter whose connections obey the current thread's Deadline (mount it for http:// and https://)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _HTTPSPool}
