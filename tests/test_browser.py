"""The browser fetcher with real headless Chromium against one shared loopback server.

Browser tests are slow by nature (a Chromium start per fetcher), so there are few and each asserts several things.
Orphans are looked for by an environment marker every process of the fetcher inherits (Linux /proc); a fetcher
keeps its browser between pages, so "nothing left behind" is asserted after its close(), or right after a fetch
whose browser the watchdog had to kill.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import monitor.fetch.browser
from monitor.config.loading import FetchConfig, PageConfig, QualityConfig
from monitor.errors import FetchError
from monitor.extract.document import extract_document
from monitor.extract.walls import classify_capture
from monitor.fetch.auto import AutoFetcher
from monitor.fetch.browser import MARKER_ENV
from monitor.fetch.http import HttpFetcher
from monitor.models import FetchResult
from monitor.registry import FETCHERS

POLICY_TEXT = " ".join(
    ["We collect the content, communications and other information you provide when you use our Products."]
    * 8
)
# The text arrives only through JavaScript, after a short delay, like Meta's pages.
JS_PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Privacy Policy</title></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
<img src="/pixel.png" alt=""><link rel="preload" href="/font.woff2" as="font" crossorigin>
<script>setTimeout(function () {{
  document.getElementById("root").innerHTML = "<h1>Privacy Policy</h1><p>{POLICY_TEXT}</p>";
}}, 300);</script></body></html>"""
# The region shows "Loading…" while its text is fetched (the server takes 0.6 s), then the text in two steps
# 150 ms apart, with no request between them.
LOADING_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Privacy Policy</title></head>
<body><div id="root"><p>Loading…</p></div><script>
fetch("/policy-data").then(r => r.text()).then(text => {
  document.getElementById("root").innerHTML = "<h1>Privacy Policy</h1>";
  setTimeout(() => { document.getElementById("root").innerHTML += "<p>" + text + "</p>"; }, 150);
});</script></body></html>"""
# A script sends the reader on to the JavaScript page while the region shows a first text.
SENDS_ON_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Redirecting</title></head>
<body><div id="root"><p>One moment…</p></div><script>setTimeout(() => { location.href = "/js"; }, 100);</script>
</body></html>"""
ECHO_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>echo</title></head><body>
<p id="language"></p><script>document.getElementById("language").textContent = "navigator: " + navigator.language;
</script><p>Accept-Language: {language}</p><p>Cookie: {cookie}</p><img src="/pixel.png" alt=""></body></html>"""
MARKER = "PM_TEST_BROWSER_MARK"


def marked_pids(token: str, *, browser_only: bool = False) -> list[int]:
    """Processes other than this one whose environment holds MARKER=token (the Playwright driver, Chromium);
    `browser_only`: only Chromium's (they also carry the fetcher's own marker)."""
    needle = f"{MARKER}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        fetcher_marked = any(item.startswith(MARKER_ENV.encode() + b"=") for item in environ)
        if needle in environ and int(entry.name) != os.getpid() and (fetcher_marked or not browser_only):
            found.append(int(entry.name))
    return found


class Loopback:
    """A threaded server (a hanging page must not block the others) that records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, Message]] = []
        self.release = threading.Event()  # set at teardown: frees the handler of the never-ending page
        self.seen_during_slow: list[int] = []
        self.token = ""
        routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {
            "/js": lambda h: self._send(h, 200, JS_PAGE),
            "/slow": self._slow,
            "/never": self._never,
            "/echo": self._echo,
            "/bot-wall": self._bot_wall,
            "/freeze": self._freeze,
            "/set-cookie": self._set_cookie,
            "/loading": lambda h: self._send(h, 200, LOADING_PAGE),
            "/sends-on": lambda h: self._send(h, 200, SENDS_ON_PAGE),
            "/policy-data": self._policy_data,
        }
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                loopback.requests.append((self.path, self.headers))  # case-insensitive
                route = routes.get(self.path.split("?")[0])
                if route:
                    route(self)
                else:
                    loopback._send(self, 404, "not here", "text/plain")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, body: str, content_type: str = "text/html"
    ) -> None:
        data = body.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", f"{content_type}; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _slow(self, handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)  # the server's own latency: the page is slow to answer, then fine
        self.seen_during_slow.extend(marked_pids(self.token))
        self._send(
            handler, 200, f"<html><body><div id='root'><h1>Slow</h1><p>{POLICY_TEXT}</p></div></body></html>"
        )

    def _policy_data(self, handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.6)
        self._send(handler, 200, POLICY_TEXT, "text/plain")

    def _never(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.end_headers()
        handler.wfile.write(b"<html><body><h1>Privacy Policy</h1><p>The rest never comes")
        handler.wfile.flush()
        self.release.wait(60)

    def _freeze(self, handler: BaseHTTPRequestHandler) -> None:
        """Stops (SIGSTOP) the fetch's Chromium processes: a browser that hangs and answers nothing any more."""
        for pid in marked_pids(self.token, browser_only=True):
            os.kill(pid, signal.SIGSTOP)
        self._send(handler, 200, "<html><body><p>frozen</p></body></html>")

    def _echo(self, handler: BaseHTTPRequestHandler) -> None:
        language, cookie = handler.headers.get("Accept-Language", "-"), handler.headers.get("Cookie", "-")
        self._send(handler, 200, ECHO_PAGE.format(language=language, cookie=cookie))

    def _set_cookie(self, handler: BaseHTTPRequestHandler) -> None:
        data = b"<html><body><p>cookie set</p></body></html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Set-Cookie", "leaked=from-an-earlier-page; Path=/; Max-Age=3600")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _bot_wall(self, handler: BaseHTTPRequestHandler) -> None:
        # Refuses clients that do not look like a browser (no Sec-Fetch-* headers), as bot walls do.
        if "Sec-Fetch-Mode" in handler.headers:
            self._send(handler, 200, f"<html><body><h1>Terms</h1><p>{POLICY_TEXT}</p></body></html>")
        else:
            self._send(handler, 403, "<html><body>Forbidden</body></html>")


@pytest.fixture(scope="module")
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    yield server
    server.close()


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch, loopback: Loopback) -> str:
    """A marker in this process's environment: the Playwright driver and every Chromium process inherit it."""
    value = uuid.uuid4().hex
    monkeypatch.setenv(MARKER, value)
    loopback.token = value
    return value


SETTINGS = FetchConfig(timeout=5, retries=0, browser_timeout=10, user_agent="pm-test/1")
_OPEN: list[Any] = []


@pytest.fixture(autouse=True)
def _close_fetchers() -> Iterator[None]:
    """Every fetcher a test made is closed after it, so no test leaves a browser to the next."""
    yield
    while _OPEN:
        _OPEN.pop().close()


def browser(settings: FetchConfig = SETTINGS, base_dir: Path = Path(".")) -> Any:
    fetcher = FETCHERS.get("browser")(settings, base_dir=base_dir)
    _OPEN.append(fetcher)
    return fetcher


def page(url: str, **options: object) -> PageConfig:
    return PageConfig(id="policy", url=url, **options)


def classify(result: FetchResult, target: PageConfig) -> str | None:
    extraction = extract_document(result.html, url=result.final_url)
    return classify_capture(
        result, extraction, last_good=None, page=target, quality=QualityConfig(), walls=[]
    )


# --- without a browser (fast) -------------------------------------------------------------------------------


def test_without_playwright_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        sys.modules, "playwright.sync_api", None
    )  # what an install without the extra looks like

    with pytest.raises(FetchError) as caught:
        browser().fetch(page("https://www.facebook.com/privacy/policy/"))

    assert caught.value.reason == "browser renderer unavailable: Playwright is not installed"
    assert caught.value.hint.startswith("pip install 'privacy-monitor[browser]'")


def test_a_missing_browser_executable_is_named(tmp_path: Path) -> None:
    settings = FetchConfig(browser_executable=str(tmp_path / "no-chromium"))

    with pytest.raises(FetchError) as caught:
        browser(settings).fetch(page("https://www.facebook.com/privacy/policy/"))

    assert caught.value.reason == f"browser renderer unavailable: no browser at {tmp_path / 'no-chromium'}"


# --- real Chromium -------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_text_written_by_javascript_needs_the_browser(loopback: Loopback, tmp_path: Path) -> None:
    target = page(loopback.url("/js"), select=["#root"])

    plain = HttpFetcher(SETTINGS, base_dir=tmp_path).fetch(target)
    assert classify(plain, page(loopback.url("/js"))) == "JavaScript-only shell"

    rendered = browser().fetch(target)
    assert (rendered.status, rendered.renderer, rendered.encoding) == (200, "browser", "utf-8")
    assert POLICY_TEXT in rendered.html and rendered.body == rendered.html.encode()
    assert classify(rendered, page(loopback.url("/js"))) is None
    assert rendered.headers["content-type"] == "text/html; charset=utf-8"
    assert "/pixel.png" not in loopback.paths() and "/font.woff2" not in loopback.paths()


@pytest.mark.browser
def test_auto_uses_the_browser_for_a_javascript_shell(loopback: Loopback, tmp_path: Path) -> None:
    result = AutoFetcher(SETTINGS, base_dir=tmp_path).fetch(page(loopback.url("/js"), select=["#root"]))

    assert result.renderer == "browser"
    assert POLICY_TEXT in result.html


@pytest.mark.browser
def test_auto_uses_the_browser_when_plain_http_is_refused(loopback: Loopback, tmp_path: Path) -> None:
    result = AutoFetcher(SETTINGS, base_dir=tmp_path).fetch(page(loopback.url("/bot-wall")))

    assert (result.renderer, result.status) == ("browser", 200)
    assert POLICY_TEXT in result.html


@pytest.mark.browser
def test_locale_language_and_cookies_reach_the_server(loopback: Loopback, tmp_path: Path) -> None:
    port = loopback.server.server_address[1]
    (tmp_path / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\n"
        "127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\t4711\n"
        f"#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t4102444800\txs\tsession-{port}\n"
    )
    target = page(loopback.url("/echo"), locale="de_DE", cookies_file="cookies.txt")

    result = browser(base_dir=tmp_path).fetch(target)

    assert "navigator: de-DE" in result.html
    assert "Accept-Language: de-DE,de;q=0.9" in result.html
    assert f"Cookie: c_user=4711; xs=session-{port}" in result.html
    assert dict(loopback.requests)["/echo"]["User-Agent"] == "pm-test/1"


@pytest.mark.browser
def test_a_slow_page_still_completes_and_leaves_no_process(loopback: Loopback, token: str) -> None:
    fetcher = browser()
    result = fetcher.fetch(page(loopback.url("/slow"), select=["#root"]))

    assert "<h1>Slow</h1>" in result.html
    assert loopback.seen_during_slow, (
        "the marker must find the browser while it runs, or the check below is void"
    )
    fetcher.close()
    assert marked_pids(token) == []


@pytest.mark.browser
def test_the_region_is_taken_once_its_fetched_text_has_come_whole_not_while_it_shows_loading(
    loopback: Loopback,
) -> None:
    result = browser().fetch(page(loopback.url("/loading"), select=["#root"]))

    text = extract_document(result.html, select=["#root"]).document.to_text()
    assert text == f"# Privacy Policy\n\n{POLICY_TEXT}\n"


@pytest.mark.browser
def test_a_range_region_is_waited_for_at_its_start_boundary_not_for_the_whole_time_limit(
    loopback: Loopback,
) -> None:
    """A range in `select` (from a declaration, say) is no CSS selector: the wait watches the element its
    start boundary names, so the page is taken when that text has settled."""
    rule = {"start_before": "#root", "end_after": "#root"}
    # A limit far above what the page takes even on a loaded machine: only a wait for the whole limit passes it.
    patient = SETTINGS.model_copy(update={"browser_timeout": 60.0})
    started = time.monotonic()
    result = browser(patient).fetch(page(loopback.url("/loading"), select=[rule]))
    assert time.monotonic() - started < patient.browser_timeout / 2
    text = extract_document(result.html, select=[rule]).document.to_text()
    assert text == f"# Privacy Policy\n\n{POLICY_TEXT}\n"


@pytest.mark.browser
def test_a_page_a_script_sends_on_is_read_where_it_lands(loopback: Loopback) -> None:
    result = browser().fetch(page(loopback.url("/sends-on"), select=["#root"]))

    assert result.final_url == loopback.url("/js")
    assert POLICY_TEXT in result.html


@pytest.mark.browser
def test_a_page_that_never_finishes_times_out_and_leaves_no_process(loopback: Loopback, token: str) -> None:
    settings = FetchConfig(browser_timeout=3, user_agent="pm-test/1")
    fetcher = browser(settings)
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        fetcher.fetch(page(loopback.url("/never")))

    assert (caught.value.reason, caught.value.hint) == (
        "timed out after 3s",
        "raise fetch.browser_timeout for slow pages",
    )
    assert time.monotonic() - started < 3 + 5
    fetcher.close()
    assert marked_pids(token) == []


@pytest.mark.browser
def test_a_refused_connection_is_a_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(FetchError) as caught:
        browser().fetch(page(f"http://127.0.0.1:{port}/policy"))

    assert caught.value.reason == "network error: connection refused"


@pytest.mark.browser
def test_a_browser_that_stops_answering_is_killed_by_the_watchdog(
    loopback: Loopback, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitor.fetch.browser, "WATCHDOG_GRACE", 0.5)
    settings = FetchConfig(browser_timeout=2, user_agent="pm-test/1")
    started = time.monotonic()

    with pytest.raises(FetchError) as caught:
        browser(settings).fetch(page(loopback.url("/freeze")))

    assert caught.value.reason == "timed out after 2s"
    # Not a speed target: without the watchdog the fetch never returns. The margin covers a loaded machine's
    # Chromium start-up, which the bound includes.
    assert time.monotonic() - started < 2 + 0.5 + 30
    # a killed process leaves /proc when the kernel has torn it down, which a loaded machine takes a moment for
    gone = time.monotonic() + 10
    while marked_pids(token) and time.monotonic() < gone:
        time.sleep(0.05)
    assert marked_pids(token) == []


@pytest.mark.browser
def test_without_any_chromium_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(monitor.fetch.browser, "SYSTEM_CHROMIUM", tmp_path / "chromium")  # no Debian package
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path / "ms-playwright"))  # nor Playwright's own

    with pytest.raises(FetchError) as caught:
        browser().fetch(page("https://www.facebook.com/privacy/policy/"))

    assert caught.value.reason == "browser renderer unavailable: no Chromium found"
    assert "playwright install chromium" in caught.value.hint


@pytest.mark.browser
def test_one_browser_serves_many_pages_and_a_crashed_one_is_replaced(loopback: Loopback, token: str) -> None:
    fetcher = browser()
    fetcher.fetch(page(loopback.url("/echo")))
    first = set(marked_pids(token, browser_only=True))
    fetcher.fetch(page(loopback.url("/echo")))
    assert first & set(marked_pids(token, browser_only=True)), "the second page must reuse the browser"

    for pid in marked_pids(token, browser_only=True):
        os.kill(pid, signal.SIGKILL)  # the browser crashes between two pages
    result = fetcher.fetch(page(loopback.url("/js"), select=["#root"]))

    assert POLICY_TEXT in result.html
    assert not first & set(marked_pids(token, browser_only=True)), "a new browser, not the dead one"
    fetcher.close()
    assert marked_pids(token) == []


@pytest.mark.browser
def test_pages_of_one_run_never_share_cookies(loopback: Loopback, tmp_path: Path) -> None:
    for name, value in (("a", "alice"), ("b", "bob")):
        (tmp_path / f"{name}.txt").write_text(
            f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\t{value}\n"
        )
    fetcher = browser(base_dir=tmp_path)

    fetcher.fetch(page(loopback.url("/set-cookie"), cookies_file="a.txt"))  # the site sets one more cookie
    alice = fetcher.fetch(page(loopback.url("/echo"), cookies_file="a.txt"))
    bob = fetcher.fetch(page(loopback.url("/echo"), cookies_file="b.txt", locale="fr_FR"))
    nobody = fetcher.fetch(page(loopback.url("/echo")))

    assert "Cookie: c_user=alice<" in alice.html
    assert "Cookie: c_user=bob<" in bob.html and "navigator: fr-FR" in bob.html
    assert "Cookie: -<" in nobody.html and "navigator: fr-FR" not in nobody.html
