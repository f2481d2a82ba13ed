"""The `http` renderer: requests with one deadline per attempt, retries with backoff inside a total budget
(`timeout` per configured attempt), a size cap, bounded redirects, and no binary bodies but PDF documents (by
type or signature: their bytes are the capture, `html` is empty).

What it sends and how it reads answers (headers, cookies, charset) is in monitor.fetch.common; the exchange
of one attempt (the session, redirects and the credentials that go with them, the capped read, broken
connections) in monitor.fetch.transport.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.fetch.base import Fetcher
from monitor.fetch.common import (
    HTML_TYPES,
    PDF_TYPES,
    UNTYPED,
    decode_html,
    format_duration,
    is_pdf,
    load_cookies,
    looks_binary,
    mime_type,
    request_headers,
    retry_after_seconds,
    selected_headers,
    undecodable,
)
from monitor.fetch.deadline import Deadline, check_cancelled, pause
from monitor.fetch.requests_lib import requests
from monitor.fetch.transport import Environment, Retryable, Sessions, follow_redirects, read_capped
from monitor.models import FetchResult
from monitor.registry import FETCHERS

log = logging.getLogger(__name__)

LOGIN_HINT = 'the page may need a cookies file (cookies_file) or renderer = "browser"'
RATE_LIMIT_HINT = "the server asks to slow down: check this page less often (schedule)"
BINARY_REASON = "not HTML: binary content"
BINARY_HINT = "the server sent a file (image, archive) or corrupt bytes, not a page or a PDF document"

# A header value requests and http.client will send: visible Latin-1, inner spaces, no controls.
_SENDABLE = re.compile(r"[!-~\x80-\xff][ -~\x80-\xff]*")


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
        self._environment = Environment()
        self._sessions = Sessions(self._environment)

    def close(self) -> None:
        """Close the connections the fetches left open for the next ones."""
        self._sessions.close()

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
        # only a request that asked may be answered 304: to any other a 304 is no answer at all
        conditional = "If-None-Match" in headers or "If-Modified-Since" in headers
        with self._sessions.session() as session:
            if jar := load_cookies(page, self.base_dir):
                session.cookies.update(jar)  # into the session's own jar, and under its policy (transport.py)
            for attempt in range(attempts):
                check_cancelled(page.url)
                try:
                    allowed = min(self.settings.timeout, budget_ends - time.monotonic())
                    with Deadline(allowed) as deadline:
                        response, body = self._attempt(
                            session, page.url, headers, conditional=conditional, deadline=deadline
                        )
                    break
                except Retryable as problem:
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
        self, page: PageConfig, problem: Retryable, attempt: int, attempts: int, budget_ends: float
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
        response = follow_redirects(
            session,
            url,
            headers,
            deadline,
            environment=self._environment,
            max_redirects=self.settings.max_redirects,
        )
        status = response.status_code
        if status == 304 and conditional:
            response.close()
            return response, b""
        if status >= 500 or status == 429:
            response.close()
            error = FetchError(
                url, f"HTTP {status}", status=status, hint=RATE_LIMIT_HINT if status == 429 else ""
            )
            raise Retryable(error, retry_after_seconds(response.headers.get("retry-after")))
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
        body = read_capped(response, url, deadline, cap=self.settings.max_bytes)
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
