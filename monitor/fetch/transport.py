"""The `http` renderer's exchange with a server, one attempt at a time: a requests session that reads the
environment (proxies, CA bundle, .netrc) once per host, a GET that follows http(s) redirects with the
credentials kept to their origin, the body read under the size cap, and a broken or timed-out connection
turned into a failure another attempt may cure (`Retryable`), or `Interrupted` when `cancel_all()` cut it.

What an answer means (status, type, retries, decoding) is the renderer's: monitor.fetch.http.
"""

from __future__ import annotations

import http.client
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import urllib3

from monitor.errors import FetchError, Interrupted
from monitor.fetch.common import header_number, network_reason
from monitor.fetch.deadline import Deadline, DeadlineAdapter
from monitor.fetch.redirects import redirect_target, shares_credentials
from monitor.fetch.requests_lib import requests

TIMED_OUT = "network error: timed out"
_CHUNK = 64 * 1024
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

# What a connection can raise on a hostile or broken answer besides requests' own errors (urllib3 and
# http.client errors that escape requests, a header or chunk size no parser takes).
_TRANSPORT_ERRORS = (
    requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, ValueError, OSError,
)  # fmt: skip


class Retryable(Exception):
    """An attempt's failure that another attempt may cure (a broken connection, a timeout, HTTP 5xx or 429),
    with the wait the server asked for, if any."""

    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.retry_after = retry_after


class Environment:
    """What requests reads from the environment for every request (proxies and no_proxy, the CA bundle,
    .netrc), read once per scheme and host: requests walks the whole environment twice per request, which
    was a fifth of a loopback check. Sessions are made with `trust_env = False` and given these."""

    def __init__(self) -> None:
        self.verify: str | bool = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self._by_host: dict[tuple[str, str], tuple[dict[str, str], tuple[str, str] | None]] = {}

    def settings(self, url: str) -> tuple[dict[str, str], tuple[str, str] | None]:
        """(proxies, .netrc credentials) for `url`, as requests would find them."""
        key = urlsplit(url)[:2]
        if key not in self._by_host:
            proxies = requests.utils.get_environ_proxies(url)
            self._by_host[key] = (proxies, requests.utils.get_netrc_auth(url))
        return self._by_host[key]


# A cookie given no domain (FALSE in cookies.txt, a Set-Cookie without Domain) is its host's own: as in a browser,
# no subdomain is sent it, not even one a redirect leads to.
_HOST_ONLY = DefaultCookiePolicy(strict_ns_domain=DefaultCookiePolicy.DomainStrictNonDomain)


def _new_jar() -> requests.cookies.RequestsCookieJar:
    """An empty cookie jar under the host-only policy: every fetch starts with one."""
    return requests.cookies.RequestsCookieJar(policy=_HOST_ONLY)


class _OwnRedirects(requests.Session):
    """A session that never works out a redirect's next request (redirects.py follows them itself, and requests,
    to find the next one even with allow_redirects=False, read the whole 3xx body into memory first: a gzip
    bomb or gigabytes behind a 302, before max_bytes could apply), and that sends cookies by its own jar's
    policy."""

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        # requests copies the session's cookies into a fresh jar with the default policy before it writes the
        # Cookie header: written again from the session's own jar, its policy (`_HOST_ONLY`) holds for the
        # request actually sent
        prepared = super().prepare_request(request)
        if not any(name.lower() == "cookie" for name in request.headers or {}):  # a page's own header stays
            prepared.headers.pop("Cookie", None)
            prepared.prepare_cookies(self.cookies)
        return prepared


def new_session(environment: Environment) -> requests.Session:
    """A session whose every request is bounded by its attempt's Deadline and reads `environment`, not os.environ."""
    session = _OwnRedirects()
    session.trust_env = False  # read once, by Environment
    session.verify = environment.verify
    for scheme in ("http://", "https://"):
        session.mount(scheme, DeadlineAdapter())
    return session


class Sessions:
    """One session per thread, kept from one fetch to the next of that thread: a host's next page reuses the
    connection its last one left open (no new TCP and TLS handshakes), and a loopback fetch no longer pays for
    making a session and its pools (a quarter of its time). Each fetch starts with an empty cookie jar, so no
    cookie a server set for one page goes with another. Connections idle for more than `IDLE` seconds are
    dropped before a fetch, since servers close theirs after a few seconds (Apache: 5) and a request sent
    down a connection as the server closes it fails; a fetch that raised drops its thread's connections too."""

    IDLE = 2.0

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self._guard = threading.Lock()
        self._by_thread: dict[threading.Thread, tuple[requests.Session, float]] = {}

    @contextmanager
    def session(self) -> Iterator[requests.Session]:
        thread = threading.current_thread()
        session, last_used = self._by_thread.get(thread) or (None, 0.0)
        if session is None:
            session = new_session(self._environment)
            with self._guard:
                self._by_thread[thread] = (session, 0.0)
                ended = [other for other in self._by_thread if not other.is_alive()]
                gone = [self._by_thread.pop(other)[0] for other in ended]
            for old in gone:  # a worker thread of an earlier run: its connections are of no more use
                old.close()
        elif time.monotonic() - last_used > self.IDLE:
            session.close()  # its pools empty; the adapters open new connections as needed
        session.cookies = _new_jar()
        try:
            yield session
        except BaseException:
            session.close()
            raise
        finally:
            with self._guard:  # close() may have emptied the table meanwhile
                self._by_thread[thread] = (session, time.monotonic())

    def close(self) -> None:
        """Close every thread's connections (the fetcher's owner is done with it)."""
        with self._guard:
            sessions = [session for session, _ in self._by_thread.values()]
            self._by_thread.clear()
        for session in sessions:
            session.close()


def follow_redirects(
    session: requests.Session,
    url: str,
    headers: dict[str, str],
    deadline: Deadline,
    *,
    environment: Environment,
    max_redirects: int,
) -> requests.Response:
    """GET `url`, following at most `max_redirects` http(s) redirects. Credentials (the config's Authorization,
    Cookie and Proxy-Authorization headers, .netrc, the cookies file) never cross to another origin nor from
    https to http: from that hop on, the chain goes without them."""
    target = url
    jar, trusted = session.cookies, True
    try:
        for _hop in range(max_redirects + 1):
            response = _get(session, url, target, headers, deadline, environment, trusted=trusted)
            if not (response.is_redirect and response.headers.get("location")):
                return response
            response.close()
            source, target = response.url, redirect_target(url, response)
            shared = shares_credentials(source, target)
            if trusted and not shared.all:
                trusted = False
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
            if not shared.cookies and session.cookies is jar:
                session.cookies = _new_jar()  # the chain goes on without them
    finally:
        session.cookies = jar
    hint = f"more than {max_redirects} redirects (fetch.max_redirects); a loop, or a login redirect"
    raise FetchError(url, "too many redirects", status=response.status_code, hint=hint)


def read_capped(response: requests.Response, url: str, deadline: Deadline, *, cap: int) -> bytes:
    """The body of `response`, read within `deadline`; a FetchError once it is over `cap` bytes."""
    too_large = FetchError(
        url, f"too large: over {cap} bytes", status=response.status_code, hint="fetch.max_bytes"
    )
    declared = header_number(response.headers.get("content-length"))
    if declared is not None and declared > cap:
        response.close()
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise too_large
            chunks.append(chunk)
    except _TRANSPORT_ERRORS as error:
        raise _cut(url, deadline, error) from None
    finally:
        response.close()
    if deadline.cancelled:
        raise Interrupted(url)
    if deadline.expired:  # the cut-off socket read as the end of a body sent without a length
        raise Retryable(FetchError(url, TIMED_OUT))
    return b"".join(chunks)


def _get(
    session: requests.Session,
    url: str,
    target: str,
    headers: dict[str, str],
    deadline: Deadline,
    environment: Environment,
    *,
    trusted: bool,
) -> requests.Response:
    proxies, netrc = environment.settings(target)
    for first_try in (True, False):
        left = deadline.remaining()
        if left <= 0:
            raise Retryable(FetchError(url, TIMED_OUT))
        deadline.kept_connection = False
        try:
            return session.get(
                target,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(left, left),
                proxies=proxies,
                auth=netrc if trusted else None,
            )
        except requests.exceptions.InvalidHeader as error:
            raise FetchError(url, "invalid request header", hint=_first_line(error)) from None
        except requests.exceptions.InvalidURL as error:
            reason = "invalid URL" if target == url else "redirect to an invalid URL"
            raise FetchError(url, reason, hint=_first_line(error)) from None
        except _TRANSPORT_ERRORS as error:
            # A kept-alive connection the server closed as the request went down it, before any answer: the
            # request goes again at once on a new connection (as browsers do), not after a retry's wait.
            if not (first_try and deadline.kept_connection and not deadline.expired and _unanswered(error)):
                raise _cut(url, deadline, error) from None
            session.close()
    raise AssertionError("unreachable: the second try returns or raises")


# A kept-alive connection the server closed before answering reads as one of these (fetch/common.py).
_CLOSED = frozenset({"network error: connection closed", "network error: connection reset"})


def _unanswered(error: BaseException) -> bool:
    """Whether `error` is the server closing the connection before any answer, not an answer unreadable."""
    return isinstance(error, requests.RequestException) and network_reason(error) in _CLOSED


def _cut(url: str, deadline: Deadline, error: BaseException) -> Retryable:
    """The retryable failure of an attempt whose connection broke; Interrupted when cancel_all() did it."""
    if deadline.cancelled:
        raise Interrupted(url)
    if deadline.expired:
        return Retryable(FetchError(url, TIMED_OUT))
    if isinstance(error, requests.RequestException):
        return Retryable(FetchError(url, network_reason(error)))
    return Retryable(FetchError(url, "network error: invalid answer"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:120] if text else type(error).__name__
