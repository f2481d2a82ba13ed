"""The service's own life: one service per store (its lock), noticing clock steps, and winding down running
jobs on SIGTERM within seconds."""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from monitor import fsutil
from monitor.errors import StoreLocked
from monitor.store.health import SERVICE_LOCK

if TYPE_CHECKING:
    from monitor.store.core import Store

CLOCK_TOLERANCE = 2.0  # seconds the wall clock may move against the monotonic one before it counts as a step
# On SIGTERM: running jobs get STOP_GRACE seconds to finish, then their fetches are cancelled and they get
# CANCEL_GRACE more; what still runs then is abandoned (an interrupted fetch is not recorded), so the service
# is gone well within 10 s whatever a server does.
STOP_GRACE = 4.0
CANCEL_GRACE = 2.0


@contextmanager
def service_lock(store: Store) -> Iterator[None]:
    """Hold `<store>/service.lock` for the service's life; StoreLocked when another service holds it."""
    fsutil.ensure_dir(store.root)
    # Its own instance, not the shared one: a second service in this very process must be refused too.
    lock = fsutil.WriterLock(store.state.path(SERVICE_LOCK))
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


class ClockWatch:
    """Notices a step of the wall clock (NTP putting it right, an administrator, a resumed virtual machine).

    While both clocks run, the wall clock minus the monotonic clock stays the same; a change of more than
    `tolerance` is a step. APScheduler measures its waits from the wall clock but sleeps them on the monotonic
    one, so after a step its sleep is wrong by the step: the service re-arms its jobs when this says so.
    """

    def __init__(
        self,
        wall: Callable[[], datetime],
        *,
        monotonic: Callable[[], float] = _time.monotonic,
        tolerance: float = CLOCK_TOLERANCE,
    ) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self.tolerance = tolerance
        self._offset = self._read()

    def _read(self) -> float:
        return self._wall().timestamp() - self._monotonic()

    def step(self) -> float:
        """Seconds the wall clock jumped since the last look (forward > 0, back < 0), 0.0 when it did not."""
        offset = self._read()
        jumped, self._offset = offset - self._offset, offset  # a slow slew is followed, never a step
        return jumped if abs(jumped) > self.tolerance else 0.0


class Running:
    """The jobs in progress, so that a shutdown can wait for them a bounded time."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    @contextmanager
    def job(self) -> Iterator[None]:
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def wait(self, seconds: float) -> int:
        """Wait at most `seconds` for every job to end; the number still running."""
        with self._changed:
            self._changed.wait_for(lambda: self._count == 0, timeout=max(seconds, 0.0))
            return self._count

    def wind_down(self, grace: float = STOP_GRACE, cancel_grace: float = CANCEL_GRACE) -> int:
        """Wait `grace` seconds for the jobs, then cancel every fetch in flight and wait `cancel_grace` more;
        the number of jobs still running."""
        if not self.wait(grace):
            return 0
        _fetch_switch("cancel_all")
        return self.wait(cancel_grace)


def fetches_allowed() -> None:
    """Undo an earlier cancel of every fetch (a service started again in the same process)."""
    _fetch_switch("reset")


def _fetch_switch(name: str) -> None:
    # The fetchers' process-wide switch (monitor.fetch.deadline), when this version of them has one.
    from monitor.fetch import deadline

    switch = getattr(deadline, name, None)
    if callable(switch):
        switch()
