"""`renderer = "browser"`: Playwright driving a headless Chromium, for pages whose text JavaScript writes.

One Chromium per fetcher, started at its first page and kept for the run (the pipeline's `Context` keeps one
fetcher per renderer and closes it at the end); each page gets a fresh context carrying that page's locale,
Accept-Language, user agent and cookies, so pages never share cookies or storage. Images, media and fonts are not
loaded. `browser_timeout` bounds each page, and a watchdog kills the browser if Playwright itself stops
answering; the next page then gets a new one. The browser lives in a thread of its own, which is why, and how
nothing is ever left behind: monitor/fetch/chromium.py (its processes found and killed: processes.py).

Playwright is an optional extra: `pip install 'privacy-monitor[browser]'`. The system Chromium
(`/usr/bin/chromium`, Debian package `chromium`) is used when present, otherwise Playwright's own
(`playwright install chromium`); `fetch.browser_executable` names another.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError, Interrupted
from monitor.fetch.base import Fetcher
from monitor.fetch.chromium import BrowserThread, Launch
from monitor.fetch.common import HTML_TYPES, load_cookies, request_headers, selected_headers
from monitor.fetch.deadline import cancelled, check_cancelled, on_cancel
from monitor.fetch.processes import MARKER_ENV, kill_marked, marked_processes
from monitor.fetch.settle import Network, document_html, wait_for_region
from monitor.models import FetchResult
from monitor.registry import FETCHERS

__all__ = ["MARKER_ENV", "BrowserFetcher", "kill_marked", "marked_processes", "playwright_cookies"]

log = logging.getLogger(__name__)

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")


def is_executable(path: Path) -> bool:
    """A program that can run: a regular file with the execute bit (not a placeholder or a device)."""
    return path.is_file() and os.access(path, os.X_OK)


INSTALL_HINT = "pip install 'privacy-monitor[browser]' (uses /usr/bin/chromium if present, else run `playwright install chromium`)"
# This machine's closed network refuses Chromium's background connections; they only cost time anyway.
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)  # fmt: skip
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})
WATCHDOG_GRACE = 3.0  # seconds after browser_timeout before the watchdog kills what is left
_NETWORK_ERRORS = (
    ("ERR_CONNECTION_REFUSED", "network error: connection refused"),
    ("ERR_NAME_NOT_RESOLVED", "network error: name not resolved"),
    ("ERR_CONNECTION_RESET", "network error: connection reset"),
    ("ERR_CONNECTION_CLOSED", "network error: connection closed"),
    ("ERR_EMPTY_RESPONSE", "network error: connection closed"),
    ("ERR_TIMED_OUT", "network error: timed out"),
    ("ERR_INTERNET_DISCONNECTED", "network error: network unreachable"),
    ("ERR_ADDRESS_UNREACHABLE", "network error: network unreachable"),
    ("ERR_TOO_MANY_REDIRECTS", "too many redirects"),
    ("Download is starting", "not HTML: a download"),
)


def playwright_cookies(jar: CookieJar) -> list[dict[str, Any]]:
    return [
        {
            "name": cookie.name,
            "value": cookie.value or "",
            "domain": cookie.domain,
            "path": cookie.path or "/",
            "expires": float(cookie.expires) if cookie.expires else -1,
            "secure": bool(cookie.secure),
            "httpOnly": cookie.has_nonstandard_attr("HttpOnly"),
        }
        for cookie in jar
        if not cookie.is_expired()
    ]


def _router(language: str | None) -> Callable[[Any], None]:
    """Blocks images, media and fonts; sets the page's Accept-Language (Chromium puts the locale's own otherwise)."""

    def handle(route: Any) -> None:
        request = route.request
        if request.resource_type in BLOCKED_RESOURCES:
            route.abort()
        elif language:
            route.continue_(headers={**request.headers, "accept-language": language})
        else:
            route.continue_()

    return handle


@FETCHERS.register
class BrowserFetcher(Fetcher):
    name = "browser"

    def __init__(self, settings: FetchConfig, *, base_dir: Path) -> None:
        super().__init__(settings, base_dir=base_dir)
        self._browsers = BrowserThread()  # starts nothing until the first page

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        try:
            from playwright.sync_api import Error as PlaywrightError
        except ImportError:
            reason = "browser renderer unavailable: Playwright is not installed"
            raise FetchError(page.url, reason, hint=INSTALL_HINT) from None
        check_cancelled(page.url)
        timeout = self.settings.browser_timeout
        launch = Launch(self._executable(page.url), CHROMIUM_FLAGS, timeout)
        jar = load_cookies(page, self.base_dir)
        fired = threading.Event()

        def render(browser: Any, started: float) -> FetchResult:
            check_cancelled(page.url)  # cancelled while this page waited for the browser thread
            return self._render(browser, page, jar, deadline=started + timeout, started=started)

        # cancel_all() kills the browser: the page then fails in Playwright, and is reported as interrupted.
        with on_cancel(self._browsers.interrupt):
            try:
                result: FetchResult = self._browsers.run(
                    render,
                    launch=launch,
                    watchdog=timeout + WATCHDOG_GRACE,
                    fired=fired,
                    cancelled=cancelled,
                )
            except (PlaywrightError, TimeoutError, RuntimeError) as error:
                if cancelled():
                    raise Interrupted(page.url) from None
                if isinstance(error, PlaywrightError):
                    raise self._failure(page.url, error, watchdog_fired=fired.is_set()) from None
                if isinstance(error, TimeoutError):  # the browser thread itself stopped answering
                    raise self._timed_out(page.url) from None
                raise
        return result

    def close(self) -> None:
        """Ends the browser and Playwright (the next fetch would start them again)."""
        self._browsers.close()

    def _executable(self, url: str) -> str | None:
        if self.settings.browser_executable:
            path = Path(self.settings.browser_executable).expanduser()
            if not is_executable(path):
                reason = f"browser renderer unavailable: no browser at {path}"
                raise FetchError(
                    url, reason, hint="fix fetch.browser_executable, or remove it to use /usr/bin/chromium"
                )
            return str(path)
        return str(SYSTEM_CHROMIUM) if is_executable(SYSTEM_CHROMIUM) else None  # None: Playwright's own

    def _render(
        self, browser: Any, page: PageConfig, jar: CookieJar | None, *, deadline: float, started: float
    ) -> FetchResult:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        def remaining_ms() -> float:
            return max(deadline - time.monotonic(), 0.001) * 1000

        headers = request_headers(page, self.settings)
        user_agent = headers.pop("User-Agent", self.settings.user_agent)
        headers.pop("Accept", None)  # Chromium sends its own, per resource type
        language = headers.pop("Accept-Language", None)
        locale = (page.locale or (language or "").split(",")[0]).replace("_", "-") or None
        context = browser.new_context(locale=locale, user_agent=user_agent, extra_http_headers=headers)
        try:
            if jar is not None:
                context.add_cookies(playwright_cookies(jar))
            context.route("**/*", _router(language))
            tab = context.new_page()
            network = Network(tab)
            try:
                response = tab.goto(page.url, wait_until="domcontentloaded", timeout=remaining_ms())
            except PlaywrightTimeout:
                raise self._timed_out(page.url) from None
            # Late scripts, trackers and long polls must not fail a page whose text is there: these waits are
            # bounded by a quarter of the budget each and give up quietly.
            settle = self.settings.browser_timeout * 250
            with contextlib.suppress(PlaywrightTimeout):
                tab.wait_for_load_state("load", timeout=min(settle, remaining_ms()))
            if page.select:
                wait_for_region(tab, page, network, settle=settle / 1000, deadline=deadline)
            else:  # no region to watch: Playwright's rule, no request for 500 ms
                with contextlib.suppress(PlaywrightTimeout):
                    tab.wait_for_load_state("networkidle", timeout=min(settle, remaining_ms()))
            html = document_html(tab, deadline=deadline)
            final_url = tab.url
        finally:
            context.close()
        return self._result(page, response, html, final_url, started)

    def _result(
        self, page: PageConfig, response: Any, html: str, final_url: str, started: float
    ) -> FetchResult:
        status = response.status if response is not None else 200
        headers = selected_headers(response.headers) if response is not None else {}
        if status >= 400:
            hint = "the page may need a cookies file (cookies_file)" if status in (401, 403) else ""
            raise FetchError(page.url, f"HTTP {status}", status=status, hint=hint)
        mime = headers.get("content-type", "text/html").split(";")[0].strip().lower()
        if mime not in HTML_TYPES:
            raise FetchError(page.url, f"not HTML: {mime}", status=status)
        body = html.encode("utf-8")
        if len(body) > self.settings.max_bytes:
            cap = self.settings.max_bytes
            raise FetchError(page.url, f"too large: over {cap} bytes", status=status, hint="fetch.max_bytes")
        return FetchResult(
            url=page.url,
            final_url=final_url,
            status=status,
            headers=headers,
            body=body,
            html=html,
            encoding="utf-8",
            renderer=self.name,
            elapsed=round(time.monotonic() - started, 4),
        )

    def _timed_out(self, url: str) -> FetchError:
        timeout = self.settings.browser_timeout
        return FetchError(
            url, f"timed out after {timeout:g}s", hint="raise fetch.browser_timeout for slow pages"
        )

    def _failure(self, url: str, error: Exception, *, watchdog_fired: bool) -> FetchError:
        message = str(error)
        if watchdog_fired or "Timeout" in type(error).__name__:
            return self._timed_out(url)
        if "Executable doesn't exist" in message or "Failed to launch" in message:
            reason = "browser renderer unavailable: no Chromium found"
            return FetchError(
                url, reason, hint="install the Debian package chromium, or run `playwright install chromium`"
            )
        for needle, reason in _NETWORK_ERRORS:
            if needle in message:
                return FetchError(url, reason)
        first_line = message.strip().splitlines()[0] if message.strip() else type(error).__name__
        return FetchError(url, f"browser error: {first_line[:120]}")
