"""The `http` renderer: requests with one deadline per attempt, retries with backoff inside a total budget
(`timeout` per configured attempt), a size cap, bounded redirects, and no binary bodies but PDF documents (by
type or signature: their bytes are the capture, `html` is empty).

What it sends and how it reads answers (headers, cookies, charset) is in monitor.fetch.common.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import urllib3

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError, Interrupted
from monitor.fetch.base import Fetcher
from monitor.fetch.common import (
    HTML_TYPES,
    PDF_TYPES,
    UNTYPED,
    decode_html,
    format_duration,
    header_number,
    is_pdf,
    load_cookies,
    looks_binary,
    mime_type,
    network_reason,
    request_headers,
    retry_after_seconds,
    selected_headers,
    undecodable,
)
from monitor.fetch.deadline import Deadline, DeadlineAdapter, check_cancelled, pause
from monitor.fetch.redirects import redirect_target, shares_credentials
from monitor.fetch.requests_lib import requests
from monitor.models import FetchResult
from monitor.registry import FETCHERS

log = logging.getLogger(__name__)

LOGIN_HINT = 'the page may need a cookies file (cookies_file) or renderer = "browser"'
RATE_LIMIT_HINT = "the server asks to slow down: check this page less often (schedule)"
BINARY_REASON = "not HTML: binary content"
BINARY_HINT = "the server sent a file (image, archive) or corrupt bytes, not a page or a PDF document"
TIMED_OUT = "network error: timed out"
_CHUNK = 64 * 1024
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class _Environment:
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


# What a connection can raise on a hostile or broken answer besides requests' own errors (urllib3 and
# http.client errors that escape requests, a header or chunk size no parser takes).
_TRANSPORT_ERRORS = (
    requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, ValueError, OSError,
)  # fmt: skip


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:120] if text else type(error).__name__


# A header value requests and http.client will send: visible Latin-1, inner spaces, no controls.
_SENDABLE = re.compile(r"[!-~\x80-\xff][ -~\x80-\xff]*")


class _Retryable(Exception):
    def __init__(self, error: FetchError, retry_after: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.retry_after = retry_after


@FETCHERS.register
class HttpFetcher(Fetcher):
    """Plain HTTP GET with retries, a size cap, bounded http(s)-only redirects and conditional requests."""

    name = "http"

    def __init__(
        self, settings: FetchConfig, *, base_dir: Path, sleep: Callable[[float], None] = pause
    ) -> None:
        super().__init__(settings, base_dir=base_dir)
        # The service passes its stop-aware wait, which also leaves the host's turn; the default ends at once
        # on deadline.cancel_all().
        self.sleep = sleep
        self._not_before: dict[str, datetime] = {}
        self._environment = _Environment()

    def not_before(self, url: str) -> datetime | None:
        """When the server of `url` said to come back (the last fetch's FetchError.retry_at), else None."""
        return self._not_before.get(url)

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        try:
            result = self._fetch(page, validators)
        except FetchError as error:
            if error.retry_at is not None:
                self._not_before[page.url] = error.retry_at
            raise
        self._not_before.pop(page.url, None)
        return result

    def _fetch(self, page: PageConfig, validators: Mapping[str, str] | None) -> FetchResult:
        started = time.monotonic()
        attempts = self.settings.retries + 1
        # The check's whole time, waits included: `timeout` per configured attempt.
        budget_ends = started + self.settings.timeout * attempts
        headers = request_headers(page, self.settings)
        validators = validators or {}
        # The validators are what the server sent last time: one no request may carry is left out (the fetch
        # is then unconditional) rather than failing the page's every check.
        for key, header in (("etag", "If-None-Match"), ("last_modified", "If-Modified-Since")):
            if (value := validators.get(key)) and _SENDABLE.fullmatch(value):
                headers[header] = value
        with requests.Session() as session:
            session.trust_env = False  # read once, by _Environment
            session.verify = self._environment.verify
            for scheme in ("http://", "https://"):
                session.mount(scheme, DeadlineAdapter())
            if jar := load_cookies(page, self.base_dir):
                session.cookies.update(jar)
            for attempt in range(attempts):
                check_cancelled(page.url)
                try:
                    allowed = min(self.settings.timeout, budget_ends - time.monotonic())
                    with Deadline(allowed) as deadline:
                        response, body = self._attempt(
                            session, page.url, headers, conditional=bool(validators), deadline=deadline
                        )
                    break
                except _Retryable as problem:
                    self._wait_or_give_up(page, problem, attempt, attempts, budget_ends)
        content_type = response.headers.get("content-type", "")
        if is_pdf(body):  # a document of its own kind: its bytes are the capture, there is no HTML to decode
            html, encoding = "", ""
        else:
            html, encoding = decode_html(body, content_type) if body else ("", "")
        if undecodable(html):
            raise FetchError(page.url, BINARY_REASON, status=response.status_code, hint=BINARY_HINT)
        return FetchResult(
            url=page.url,
            final_url=response.url,
            status=response.status_code,
            headers=selected_headers(response.headers),
            body=body,
            html=html,
            encoding=encoding,
            renderer=self.name,
            elapsed=round(time.monotonic() - started, 4),
            not_modified=response.status_code == 304,
        )

    def _wait_or_give_up(
        self, page: PageConfig, problem: _Retryable, attempt: int, attempts: int, budget_ends: float
    ) -> None:
        """Sleep before the next attempt when the wait fits the check's budget; else raise the failure.

        A Retry-After that does not fit is not slept: the check fails now, saying how long the server asked
        for, and `retry_at` tells the service not to come back before then.
        """
        remaining = budget_ends - time.monotonic()
        error, asked = problem.error, problem.retry_after
        retry_at = None if asked is None else datetime.now(UTC) + timedelta(seconds=asked)
        if asked is not None and asked >= remaining:
            reason = f"{error.reason}: retry after {format_duration(asked)}"
            raise FetchError(
                error.url, reason, status=error.status, hint=error.hint, retry_at=retry_at
            ) from None
        delay = self.settings.backoff * 2**attempt if asked is None else asked
        if attempt == attempts - 1 or delay >= remaining:
            error.retry_at = retry_at
            raise error from None
        check_cancelled(page.url)
        log.info("%s: %s; retry %d in %.1fs", page.url, error.reason, attempt + 1, delay)
        self.sleep(delay)

    def _attempt(
        self,
        session: requests.Session,
        url: str,
        headers: dict[str, str],
        *,
        conditional: bool,
        deadline: Deadline,
    ) -> tuple[requests.Response, bytes]:
        response = self._follow_redirects(session, url, headers, deadline)
        status = response.status_code
        if status == 304 and conditional:
            response.close()
            return response, b""
        if status >= 500 or status == 429:
            response.close()
            error = FetchError(
                url, f"HTTP {status}", status=status, hint=RATE_LIMIT_HINT if status == 429 else ""
            )
            raise _Retryable(error, retry_after_seconds(response.headers.get("retry-after")))
        if status >= 300:
            response.close()
            hint = LOGIN_HINT if status in (401, 403) else ""
            raise FetchError(url, f"HTTP {status}", status=status, hint=hint)
        mime = mime_type(response.headers.get("content-type", ""))
        if mime not in HTML_TYPES | PDF_TYPES | UNTYPED:
            response.close()
            raise FetchError(
                url, f"not HTML: {mime}", status=status, hint="watch the HTML page that shows the text"
            )
        body = self._read_capped(response, url, deadline)
        if is_pdf(body):
            return response, body
        if mime in PDF_TYPES:
            raise FetchError(
                url, "not a PDF: the answer has no PDF signature", status=status, hint=BINARY_HINT
            )
        if mime and mime not in HTML_TYPES:
            raise FetchError(
                url, f"not HTML: {mime}", status=status, hint="watch the HTML page that shows the text"
            )
        if looks_binary(body):
            raise FetchError(url, BINARY_REASON, status=status, hint=BINARY_HINT)
        if not mime and body.lstrip()[:1] != b"<":
            raise FetchError(url, "not HTML: no content type and no markup", status=status)
        return response, body

    def _follow_redirects(
        self, session: requests.Session, url: str, headers: dict[str, str], deadline: Deadline
    ) -> requests.Response:
        """GET `url`, following http(s) redirects. Credentials (the config's Authorization, Cookie and
        Proxy-Authorization headers, .netrc, the cookies file) never cross to another origin nor from https to
        http: from that hop on, the chain goes without them."""
        target = url
        jar, trusted = session.cookies, True
        try:
            for _hop in range(self.settings.max_redirects + 1):
                response = self._get(session, url, target, headers, deadline, trusted=trusted)
                if not (response.is_redirect and response.headers.get("location")):
                    return response
                response.close()
                source, target = response.url, redirect_target(url, response)
                shared = shares_credentials(source, target)
                if trusted and not shared.all:
                    trusted = False
                    headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
                if not shared.cookies and session.cookies is jar:
                    session.cookies = requests.cookies.RequestsCookieJar()  # the chain goes on without them
        finally:
            session.cookies = jar
        hint = f"more than {self.settings.max_redirects} redirects (fetch.max_redirects); a loop, or a login redirect"
        raise FetchError(url, "too many redirects", status=response.status_code, hint=hint)

    def _get(
        self,
        session: requests.Session,
        url: str,
        target: str,
        headers: dict[str, str],
        deadline: Deadline,
        *,
        trusted: bool,
    ) -> requests.Response:
        left = deadline.remaining()
        if left <= 0:
            raise _Retryable(FetchError(url, TIMED_OUT))
        proxies, netrc = self._environment.settings(target)
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
            raise FetchError(url, "redirect to an invalid URL", hint=_first_line(error)) from None
        except _TRANSPORT_ERRORS as error:
            raise self._cut(url, deadline, error) from None

    def _cut(self, url: str, deadline: Deadline, error: BaseException) -> _Retryable:
        """The retryable failure of an attempt whose connection broke; Interrupted when cancel_all() did it."""
        if deadline.cancelled:
            raise Interrupted(url)
        if deadline.expired:
            return _Retryable(FetchError(url, TIMED_OUT))
        if isinstance(error, requests.RequestException):
            return _Retryable(FetchError(url, network_reason(error)))
        return _Retryable(FetchError(url, "network error: invalid answer"))

    def _read_capped(self, response: requests.Response, url: str, deadline: Deadline) -> bytes:
        cap = self.settings.max_bytes
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
            raise self._cut(url, deadline, error) from None
        finally:
            response.close()
        if deadline.cancelled:
            raise Interrupted(url)
        if deadline.expired:  # the cut-off socket read as the end of a body sent without a length
            raise _Retryable(FetchError(url, TIMED_OUT))
        return b"".join(chunks)
