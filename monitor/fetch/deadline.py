"""One deadline for a whole HTTP attempt: connect, headers and body.

requests' `timeout` bounds each socket read, not the answer: a server that trickles a byte a second never
trips it and holds a check for as long as it likes. Here every socket an attempt uses is registered with the
attempt's `Deadline`; when the deadline passes, a timer shuts those sockets down, which ends any blocked read
at once (a shut-down socket reads as closed), and the fetcher turns the cut answer into "timed out" because
`Deadline.expired` says why the read ended. The sockets come from a connection class of our own, mounted on
the session by `DeadlineAdapter`; a thread-local says which deadline is current, since a fetch runs in one
thread and the pool hands connections to that thread only.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Deadline:
    """`with Deadline(seconds):` bounds everything the sessions mounted with DeadlineAdapter do inside it."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._sockets: set[socket.socket] = set()
        self._guard = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

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

    def _expire(self) -> None:
        with self._guard:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def __enter__(self) -> Deadline:
        self._previous = getattr(_current, "deadline", None)
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._timer.cancel()
        _current.deadline = self._previous
        with self._guard:
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    # The plain socket's shutdown, also under TLS: the reading thread still owns the TLS object. A socket
    # already closed has nothing left to interrupt.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _register(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.register(sock)


class _DeadlineConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)  # a kept-alive connection from an earlier attempt: under this attempt's deadline
        super().request(*args, **kwargs)


class _DeadlineHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _register(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self.sock)
        super().request(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _DeadlineConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections obey the current thread's Deadline (mount it for http:// and https://)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _HTTPSPool}
