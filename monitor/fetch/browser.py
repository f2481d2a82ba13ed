"""`renderer = "browser"`: Playwright driving a headless Chromium, for pages whose text JavaScript writes.

One browser per fetch, with a fresh context carrying the page's locale, Accept-Language, user agent and
cookies; images, media and fonts are not loaded. `browser_timeout` bounds the whole fetch, and a watchdog
kills every process of the fetch if Playwright itself stops answering, so nothing is ever left behind.

Playwright is an optional extra: `pip install 'privacy-monitor[browser]'`. The system Chromium
(`/usr/bin/chromium`, Debian package `chromium`) is used when present, otherwise Playwright's own
(`playwright install chromium`); `fetch.browser_executable` names another.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

from monitor.config.loading import PageConfig
from monitor.errors import FetchError
from monitor.fetch.base import Fetcher
from monitor.fetch.common import HTML_TYPES, load_cookies, request_headers, selected_headers
from monitor.models import FetchResult
from monitor.registry import FETCHERS

log = logging.getLogger(__name__)

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = "pip install 'privacy-monitor[browser]' (uses /usr/bin/chromium if present, else run `playwright install chromium`)"
# This machine's closed network refuses Chromium's background connections; they only cost time anyway.
CHROMIUM_FLAGS = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
)  # fmt: skip
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})
# Every process of one fetch carries this variable, so the watchdog can find them all (Linux /proc).
MARKER_ENV = "PRIVACY_MONITOR_FETCH"
WATCHDOG_GRACE = 3.0  # seconds after browser_timeout before the watchdog kills what is left
_REGION_HAS_TEXT = """selectors => selectors.some(selector => {
  try { const el = document.querySelector(selector); return !!el && el.innerText.trim().length > 0; }
  catch (e) { return false; }
})"""
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


def marked_processes(token: str) -> list[int]:
    """Pids of live processes whose environment holds MARKER_ENV=token (empty where /proc is absent)."""
    needle = f"{MARKER_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_marked(token: str) -> int:
    killed = 0
    for pid in marked_processes(token):
        try:
            os.kill(pid, signal.SIGKILL)
            killed += 1
        except (ProcessLookupError, PermissionError):
            pass
    return killed


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

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "browser renderer unavailable: Playwright is not installed"
            raise FetchError(page.url, reason, hint=INSTALL_HINT) from None
        executable = self._executable(page.url)
        jar = load_cookies(page, self.base_dir)
        token = uuid.uuid4().hex
        timeout = self.settings.browser_timeout
        fired = threading.Event()

        def kill_everything() -> None:
            fired.set()
            kill_marked(token)

        watchdog = threading.Timer(timeout + WATCHDOG_GRACE, kill_everything)
        watchdog.daemon = True
        started = time.monotonic()
        watchdog.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=executable,
                    headless=True,
                    args=list(CHROMIUM_FLAGS),
                    env={**os.environ, MARKER_ENV: token},
                    timeout=timeout * 1000,
                )
                try:
                    return self._render(browser, page, jar, deadline=started + timeout, started=started)
                finally:
                    # Raises when the browser is already gone (crashed, or killed by the watchdog).
                    with contextlib.suppress(PlaywrightError):
                        browser.close()
        except PlaywrightError as error:
            raise self._failure(page.url, error, watchdog_fired=fired.is_set()) from None
        finally:
            watchdog.cancel()
            if killed := kill_marked(token):
                log.warning("%s: killed %d browser process(es) left after the fetch", page.url, killed)

    def _executable(self, url: str) -> str | None:
        if self.settings.browser_executable:
            path = Path(self.settings.browser_executable).expanduser()
            if not path.exists():
                reason = f"browser renderer unavailable: no browser at {path}"
                raise FetchError(
                    url, reason, hint="fix fetch.browser_executable, or remove it to use /usr/bin/chromium"
                )
            return str(path)
        return str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else None  # None: Playwright's own Chromium

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
            try:
                response = tab.goto(page.url, wait_until="domcontentloaded", timeout=remaining_ms())
            except PlaywrightTimeout:
                raise self._timed_out(page.url) from None
            # Late scripts, trackers and long polls must not fail a page whose text is there: these waits are
            # bounded by a quarter of the budget each and give up quietly.
            settle = self.settings.browser_timeout * 250
            for state in ("load", "networkidle"):
                with contextlib.suppress(PlaywrightTimeout):
                    tab.wait_for_load_state(state, timeout=min(settle, remaining_ms()))
            if page.select:
                try:
                    tab.wait_for_function(_REGION_HAS_TEXT, arg=list(page.select), timeout=remaining_ms())
                except PlaywrightTimeout:
                    log.info("%s: the select region held no text within the time limit", page.url)
            html = tab.content()
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
