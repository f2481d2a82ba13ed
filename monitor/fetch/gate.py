"""Per-host politeness of fetching: at most so many fetches of one host at a time, starts spaced apart.

Shared by a manual `check` (pipeline/parallel.py) and the service; a shutdown ends every wait at once.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit


class Stopping(Exception):
    """The service is shutting down: a check waiting for its turn gives up before it starts."""


class HostGate:
    """At most `concurrency` checks at a time per host, and starts at least `min_gap` seconds apart.

    Waiting uses `stop.wait`, so a shutdown ends every wait at once (raising Stopping). A check that has to
    wait inside its turn (a fetch retrying after a backoff) waits through `sleep`, which gives the host's
    slot back for the wait: other pages of the host go ahead meanwhile, and the retry queues like a new start.
    """

    def __init__(
        self,
        concurrency: int,
        min_gap: float,
        *,
        stop: threading.Event | None = None,
        monotonic: Callable[[], float] = _time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self.min_gap = min_gap
        self.stop = stop or threading.Event()
        self._monotonic = monotonic
        self._guard = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}
        self._held = threading.local()  # the host whose slot this thread holds, if any

    @contextmanager
    def turn(self, url: str) -> Iterator[None]:
        host = (urlsplit(url).hostname or url).lower()
        self._enter(host)
        try:
            yield
        finally:
            if getattr(self._held, "host", None) == host:
                self._held.host = None
                self._slots[host].release()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` out of this thread's turn (when it holds one); Stopping when the service stops."""
        host = getattr(self._held, "host", None)
        if host is not None:
            self._held.host = None
            self._slots[host].release()
        if self.stop.wait(max(seconds, 0.0)):
            raise Stopping(host or "")
        if host is not None:
            self._enter(host)

    def _enter(self, host: str) -> None:
        """Take a slot of `host` and wait for its gap since the last start; Stopping when the service stops."""
        with self._guard:
            slots = self._slots.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        while not slots.acquire(timeout=0.2):
            if self.stop.is_set():
                raise Stopping(host)
        try:
            with self._guard:
                now = self._monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_gap
            if (start > now and self.stop.wait(start - now)) or self.stop.is_set():
                raise Stopping(host)
        except BaseException:
            slots.release()
            raise
        self._held.host = host
