"""The HTTP fetcher against a real loopback server (pytest-httpserver): every failure is a FetchError with a
short, stable reason; retries wait through an injected sleep, so no test waits for real time to pass."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.fetch.auto import AutoFetcher
from monitor.fetch.common import MAX_RETRY_AFTER, accept_language, decode_html, retry_after_seconds
from monitor.fetch.http import HttpFetcher
from monitor.registry import FETCHERS

POLICY = "<html><body><h1>Datenschutzrichtlinie</h1><p>Wir verarbeiten deine Informationen.</p></body></html>"
HTML = "text/html; charset=utf-8"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def settings() -> FetchConfig:
    return FetchConfig(
        timeout=5, retries=2, backoff=0.5, max_bytes=100_000, max_redirects=3, user_agent="pm-test/1"
    )


@pytest.fixture
def fetcher(settings: FetchConfig, tmp_path: Path, sleeps: list[float]) -> HttpFetcher:
    return HttpFetcher(settings, base_dir=tmp_path, sleep=sleeps.append)


@pytest.fixture(scope="module")
def numeric_host_server() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def ip_server(numeric_host_server: HTTPServer) -> Iterator[HTTPServer]:
    """A server on 127.0.0.1 by number: another host than "localhost", and cookie domains never match a name
    without a dot."""
    yield numeric_host_server
    numeric_host_server.clear()


def page(url: str, **options: object) -> PageConfig:
    return PageConfig(id="policy", url=url, **options)


def fetch_error(fetcher: HttpFetcher, target: PageConfig, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(target, **kwargs)
    return caught.value


def last_request(httpserver: HTTPServer) -> Request:
    return httpserver.log[-1][0]


def test_the_registry_knows_every_renderer() -> None:
    assert FETCHERS.names() == ["auto", "browser", "http"]
    assert FETCHERS.get("http") is HttpFetcher


def test_a_page_comes_back_decoded_with_selected_headers(
    httpserver: HTTPServer, fetcher: HttpFetcher
) -> None:
    headers = {
        "ETag": '"v1"',
        "Set-Cookie": "datr=secret; Path=/",
        "X-FB-Debug": "abc",
        "Cache-Control": "no-cache",
    }
    httpserver.expect_request("/policy").respond_with_data(POLICY, content_type=HTML, headers=headers)

    result = fetcher.fetch(page(httpserver.url_for("/policy")))

    assert (result.status, result.renderer, result.encoding, result.not_modified) == (
        200,
        "http",
        "utf-8",
        False,
    )
    assert result.html == POLICY and result.body == POLICY.encode()
    assert result.final_url == result.url == httpserver.url_for("/policy")
    assert set(result.headers) == {
        "content-type",
        "etag",
        "cache-control",
        "content-length",
        "date",
        "server",
    }
    assert result.headers["etag"] == '"v1"' and result.headers["content-type"] == HTML
    assert "set-cookie" not in result.headers and "secret" not in repr(result.headers)
    assert result.elapsed >= 0


# --- retries ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failures", "expected_sleeps"),
    [
        ([503], [0.5]),
        ([503, 502], [0.5, 1.0]),
        ([429], [0.5]),  # 429 without Retry-After: the ordinary backoff
        ([500, 504], [0.5, 1.0]),
    ],
)
def test_server_errors_are_retried_with_doubling_backoff(
    httpserver: HTTPServer,
    fetcher: HttpFetcher,
    sleeps: list[float],
    failures: list[int],
    expected_sleeps: list[float],
) -> None:
    for status in failures:
        httpserver.expect_ordered_request("/policy").respond_with_data("busy", status=status)
    httpserver.expect_ordered_request("/policy").respond_with_data(POLICY, content_type=HTML)

    assert fetcher.fetch(page(httpserver.url_for("/policy"))).html == POLICY
    assert sleeps == expected_sleeps


def test_retries_give_up_with_the_last_status(
    httpserver: HTTPServer, fetcher: HttpFetcher, sleeps: list[float]
) -> None:
    httpserver.expect_request("/policy").respond_with_data("busy", status=503)

    error = fetch_error(fetcher, page(httpserver.url_for("/policy")))

    assert (error.reason, error.status) == ("HTTP 503", 503)
    assert sleeps == [0.5, 1.0]
    assert len(httpserver.log) == 3


def test_rate_limiting_that_never_ends_says_to_check_less_often(
    httpserver: HTTPServer, fetcher: HttpFetcher
) -> None:
    httpserver.expect_request("/policy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )

    error = fetch_error(fetcher, page(httpserver.url_for("/policy")))

    assert (error.reason, error.hint) == (
        "HTTP 429",
        "the server asks to slow down: check this page less often (schedule)",
    )


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("86400", 86400.0),  # a day: not slept, the service reschedules the page after it
        ("8640000", MAX_RETRY_AFTER),  # 100 days: capped at a week
        (format_datetime(datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True), 30.0),
        (format_datetime(datetime(2026, 1, 1, 11, 0, 0, tzinfo=UTC), usegmt=True), 0.0),  # already past
        (format_datetime(datetime(2026, 1, 2, tzinfo=UTC), usegmt=True), 43200.0),
        (format_datetime(datetime(2026, 3, 1, tzinfo=UTC), usegmt=True), MAX_RETRY_AFTER),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_is_seconds_or_an_http_date(retry_after: str, expected: float | None) -> None:
    assert retry_after_seconds(retry_after, now=datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)) == expected


def test_429_honours_a_retry_after_that_fits_the_budget(
    httpserver: HTTPServer, fetcher: HttpFetcher, sleeps: list[float]
) -> None:
    httpserver.expect_ordered_request("/p").respond_with_data("", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/p").respond_with_data(POLICY, content_type=HTML)

    assert fetcher.fetch(page(httpserver.url_for("/p"))).status == 200
    assert sleeps == [7.0]  # within timeout x attempts = 15 s


def test_a_retry_after_longer_than_the_budget_fails_now_with_a_not_before_time(
    httpserver: HTTPServer, fetcher: HttpFetcher, sleeps: list[float]
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    httpserver.expect_ordered_request("/p").respond_with_data("", status=429, headers={"Retry-After": "7"})
    httpserver.expect_ordered_request("/p").respond_with_data("", status=429, headers={"Retry-After": later})

    error = fetch_error(fetcher, page(httpserver.url_for("/p")))

    assert sleeps == [7.0]  # the day is not slept
    assert error.reason in ("HTTP 429: retry after 1d", "HTTP 429: retry after 23h 59m")
    assert error.status == 429
    assert error.retry_at is not None
    assert abs((error.retry_at - (datetime.now(UTC) + timedelta(days=1))).total_seconds()) < 5


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (404, ""),
        (410, ""),
        (401, 'the page may need a cookies file (cookies_file) or renderer = "browser"'),
        (403, 'the page may need a cookies file (cookies_file) or renderer = "browser"'),
    ],
)
def test_client_errors_fail_at_once(
    httpserver: HTTPServer, fetcher: HttpFetcher, sleeps: list[float], status: int, hint: str
) -> None:
    httpserver.expect_request("/p").respond_with_data("no", status=status)

    error = fetch_error(fetcher, page(httpserver.url_for("/p")))

    assert (error.reason, error.status, error.hint) == (f"HTTP {status}", status, hint)
    assert sleeps == []


@pytest.fixture
def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/policy"


def test_connection_refused_is_a_network_error_after_retries(
    fetcher: HttpFetcher, sleeps: list[float], refused_url: str
) -> None:
    error = fetch_error(fetcher, page(refused_url))

    assert (error.reason, error.status) == ("network error: connection refused", None)
    assert sleeps == [0.5, 1.0]


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A server that accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/policy"


def test_a_server_that_never_answers_times_out(tmp_path: Path, sleeps: list[float], silent_url: str) -> None:
    fetcher = HttpFetcher(FetchConfig(timeout=0.2, retries=1), base_dir=tmp_path, sleep=sleeps.append)

    assert fetch_error(fetcher, page(silent_url)).reason == "network error: timed out"
    assert sleeps == []  # the 1 s backoff does not fit the check's 0.4 s (timeout x attempts): not slept


# --- size, redirects, content type -------------------------------------------------------------------------


def test_a_body_over_the_cap_is_refused_by_its_declared_length(
    httpserver: HTTPServer, fetcher: HttpFetcher
) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 100_001, content_type=HTML)

    error = fetch_error(fetcher, page(httpserver.url_for("/big")))

    assert (error.reason, error.status) == ("too large: over 100000 bytes", 200)


def test_a_streamed_body_is_cut_off_at_the_cap(httpserver: HTTPServer, fetcher: HttpFetcher) -> None:
    def endless(_request: Request) -> Response:
        # No Content-Length: the cap must be enforced while reading. Stops after 1 MB so the server ends too.
        return Response((b"<p>" + b"x" * 65_536 for _ in range(16)), content_type=HTML)

    httpserver.expect_request("/stream").respond_with_handler(endless)

    assert fetch_error(fetcher, page(httpserver.url_for("/stream"))).reason == "too large: over 100000 bytes"


def test_redirects_are_followed_and_the_final_url_kept(httpserver: HTTPServer, fetcher: HttpFetcher) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/middle"})
    httpserver.expect_request("/middle").respond_with_data("", status=302, headers={"Location": "/new?x=1"})
    httpserver.expect_request("/new").respond_with_data(POLICY, content_type=HTML)

    result = fetcher.fetch(page(httpserver.url_for("/old")))

    assert (result.url, result.final_url) == (httpserver.url_for("/old"), httpserver.url_for("/new?x=1"))


def test_a_redirect_loop_stops_at_max_redirects(httpserver: HTTPServer, fetcher: HttpFetcher) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})

    error = fetch_error(fetcher, page(httpserver.url_for("/a")))

    assert (error.reason, error.status) == ("too many redirects", 302)
    assert len(httpserver.log) == 4  # the request and max_redirects = 3 redirects


def test_credentials_from_the_config_are_not_sent_to_another_host(
    httpserver: HTTPServer, ip_server: HTTPServer, fetcher: HttpFetcher
) -> None:
    httpserver.expect_request("/p").respond_with_data(
        "", status=302, headers={"Location": ip_server.url_for("/q")}
    )
    ip_server.expect_request("/q").respond_with_data(POLICY, content_type=HTML)
    secret = {"Authorization": "Bearer 4711", "Cookie": "c_user=4711", "X-Purpose": "monitoring"}

    fetcher.fetch(page(httpserver.url_for("/p"), headers=secret))

    assert last_request(httpserver).headers["Authorization"] == "Bearer 4711"
    sent = last_request(ip_server).headers
    assert "Authorization" not in sent and "Cookie" not in sent and sent["X-Purpose"] == "monitoring"


@pytest.mark.parametrize(
    "target", ["ftp://example.org/policy.html", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_a_redirect_to_another_scheme_is_refused(
    httpserver: HTTPServer, fetcher: HttpFetcher, target: str
) -> None:
    httpserver.expect_request("/p").respond_with_data("", status=301, headers={"Location": target})

    error = fetch_error(fetcher, page(httpserver.url_for("/p")))

    assert (error.reason, error.status) == ("redirect to a non-HTTP URL", 301)
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        ("image/png", "not HTML: image/png"),
        ("application/json; charset=utf-8", "not HTML: application/json"),
        ("TEXT/PLAIN", "not HTML: text/plain"),
    ],
)
def test_other_content_types_are_not_html(
    httpserver: HTTPServer, fetcher: HttpFetcher, content_type: str, reason: str
) -> None:
    httpserver.expect_request("/doc").respond_with_data(b"%PDF-1.7", content_type=content_type)

    assert fetch_error(fetcher, page(httpserver.url_for("/doc"))).reason == reason


@pytest.mark.parametrize(
    ("body", "ok"), [(POLICY.encode(), True), (b"Just some words.", False)], ids=["markup", "not markup"]
)
def test_without_a_content_type_the_body_must_look_like_markup(
    httpserver: HTTPServer, fetcher: HttpFetcher, body: bytes, ok: bool
) -> None:
    response = Response(body)
    del response.headers["Content-Type"]
    httpserver.expect_request("/p").respond_with_response(response)

    if ok:
        assert fetcher.fetch(page(httpserver.url_for("/p"))).html == POLICY
    else:
        assert (
            fetch_error(fetcher, page(httpserver.url_for("/p"))).reason
            == "not HTML: no content type and no markup"
        )


# --- charset -----------------------------------------------------------------------------------------------

GERMAN = "Datenschutzerklärung – „Meta“ verarbeitet Informationen über Käufe, Größe und Ähnliches."
CP1252_META = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'

CHARSET_CASES = [
    # id, Content-Type header, body, expected encoding
    ("utf-8 undeclared", "text/html", f"<p>{GERMAN}</p>".encode(), "utf-8"),
    ("header", "text/html; charset=windows-1252", f"<p>{GERMAN}</p>".encode("cp1252"), "cp1252"),
    ("quoted header", 'text/html; charset="UTF-8"', f"<p>{GERMAN}</p>".encode(), "utf-8"),
    ("meta charset", "text/html", f'<meta charset="windows-1252"><p>{GERMAN}</p>'.encode("cp1252"), "cp1252"),
    ("meta http-equiv", "text/html", f"{CP1252_META}<p>{GERMAN}</p>".encode("cp1252"), "cp1252"),
    (
        "latin-1 is read as windows-1252",
        "text/html; charset=ISO-8859-1",
        f"<p>{GERMAN}</p>".encode("cp1252"),
        "cp1252",
    ),
    ("header beats meta", "text/html; charset=utf-8", f"{CP1252_META}<p>{GERMAN}</p>".encode(), "utf-8"),
    ("unknown label falls through", "text/html; charset=klingon", f"<p>{GERMAN}</p>".encode(), "utf-8"),
    ("utf-8 BOM", "text/html; charset=windows-1252", b"\xef\xbb\xbf" + f"<p>{GERMAN}</p>".encode(), "utf-8"),
    (
        "undeclared windows-1252 is detected",
        "text/html",
        f"<p>{GERMAN} {GERMAN}</p>".encode("cp1252"),
        "cp1252",
    ),
]


@pytest.mark.parametrize(("content_type", "body", "encoding"), [case[1:] for case in CHARSET_CASES],
                         ids=[case[0] for case in CHARSET_CASES])  # fmt: skip
def test_charset_from_header_then_meta_then_detection(
    httpserver: HTTPServer, fetcher: HttpFetcher, content_type: str, body: bytes, encoding: str
) -> None:
    httpserver.expect_request("/p").respond_with_data(body, content_type=content_type)

    result = fetcher.fetch(page(httpserver.url_for("/p")))

    assert result.encoding == encoding
    assert GERMAN in result.html and "\ufffd" not in result.html
    assert result.body == body


def test_the_real_captures_decode_as_utf8(corpus: Path) -> None:
    capture = sorted((corpus / "html").rglob("*.html"))[0]
    body = capture.read_bytes()

    html, encoding = decode_html(body, "text/html")

    assert (encoding, html) == ("utf-8", body.decode("utf-8"))


@given(st.text().filter(lambda text: "<" not in text and not text.startswith("\ufeff")))
def test_undeclared_utf8_always_decodes_to_itself(text: str) -> None:
    assert decode_html(text.encode("utf-8"), "text/html") == (text, "utf-8")


# --- conditional requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("validators", "sent"),
    [
        ({"etag": 'W/"a1b2"'}, {"If-None-Match": 'W/"a1b2"'}),
        (
            {"last_modified": "Wed, 21 Oct 2015 07:28:00 GMT"},
            {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"},
        ),
        (
            {"etag": '"x"', "last_modified": "Mon, 01 Jun 2026 00:00:00 GMT"},
            {"If-None-Match": '"x"', "If-Modified-Since": "Mon, 01 Jun 2026 00:00:00 GMT"},
        ),
    ],
)
def test_validators_are_sent_exactly_as_received_and_304_means_not_modified(
    httpserver: HTTPServer, fetcher: HttpFetcher, validators: dict[str, str], sent: dict[str, str]
) -> None:
    httpserver.expect_request("/p", headers=sent).respond_with_data("", status=304, headers={"ETag": '"x"'})

    result = fetcher.fetch(page(httpserver.url_for("/p")), validators=validators)

    assert (result.not_modified, result.status, result.body, result.html) == (True, 304, b"", "")
    assert result.headers["etag"] == '"x"'


def test_without_validators_no_conditional_headers_are_sent(
    httpserver: HTTPServer, fetcher: HttpFetcher
) -> None:
    httpserver.expect_request("/p").respond_with_data(POLICY, content_type=HTML)

    fetcher.fetch(page(httpserver.url_for("/p")), validators={})

    sent = last_request(httpserver).headers
    assert "If-None-Match" not in sent and "If-Modified-Since" not in sent


# --- headers and cookies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, None),
        ({"locale": "de_DE"}, "de-DE,de;q=0.9"),
        ({"locale": "en-GB"}, "en-GB,en;q=0.9"),
        ({"locale": "de"}, "de"),
        ({"locale": "de_DE", "accept_language": "de, en;q=0.5"}, "de, en;q=0.5"),
    ],
)
def test_accept_language_is_given_or_derived_from_the_locale(
    options: dict[str, str], expected: str | None
) -> None:
    assert accept_language(page("https://example.org/", **options)) == expected


def test_language_user_agent_and_extra_headers_reach_the_server(
    httpserver: HTTPServer, fetcher: HttpFetcher
) -> None:
    httpserver.expect_request("/p").respond_with_data(POLICY, content_type=HTML)

    fetcher.fetch(page(httpserver.url_for("/p"), locale="de_DE", headers={"X-Purpose": "privacy monitoring"}))

    sent = last_request(httpserver).headers
    assert sent["Accept-Language"] == "de-DE,de;q=0.9"
    assert sent["User-Agent"] == "pm-test/1"
    assert sent["X-Purpose"] == "privacy monitoring"
    assert "Cookie" not in sent


SECRET = "c-user-secret-4711"


def write_cookies(path: Path, *lines: str) -> None:
    path.write_text("# Netscape HTTP Cookie File\n" + "".join(line + "\n" for line in lines))


def test_the_cookies_file_is_sent_to_its_domain_only_and_never_logged(
    ip_server: HTTPServer, fetcher: HttpFetcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    write_cookies(
        tmp_path / "cookies.txt",
        f"127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\t{SECRET}",
        "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t4102444800\txs\tsession-2",
        ".facebook.com\tTRUE\t/\tTRUE\t4102444800\tdatr\tnot-for-loopback",
    )
    ip_server.expect_request("/p").respond_with_data(POLICY, content_type=HTML)

    fetcher.fetch(page(ip_server.url_for("/p"), cookies_file="cookies.txt"))

    cookies = last_request(ip_server).cookies
    assert dict(cookies) == {"c_user": SECRET, "xs": "session-2"}
    assert caplog.records and SECRET not in caplog.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cookies file not found: {path}"),
        ("c_user=abc; xs=def\n", "cookies file unreadable: {path}: not in Netscape cookies.txt format"),
        (f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t{SECRET}\n", "cookies file unreadable: {path}: not in Netscape cookies.txt format"),
        ("# Netscape HTTP Cookie File\n\udcff\n", "cookies file unreadable: {path}: not in Netscape cookies.txt format"),
    ],
    ids=["missing", "not netscape", "malformed line", "not text"],
)  # fmt: skip
def test_a_bad_cookies_file_names_the_file_and_never_its_values(
    fetcher: HttpFetcher, tmp_path: Path, content: str | None, reason: str
) -> None:
    path = tmp_path / "cookies.txt"
    if content is not None:
        path.write_bytes(content.encode("utf-8", errors="surrogateescape"))

    error = fetch_error(fetcher, page("http://127.0.0.1:9/p", cookies_file="cookies.txt"))

    assert error.reason == reason.format(path=path)
    assert "Netscape cookies.txt" in error.hint
    assert SECRET not in str(error) and error.__cause__ is None and error.__suppress_context__


# --- auto ---------------------------------------------------------------------------------------------------


def test_auto_keeps_a_plain_html_answer(
    httpserver: HTTPServer, tmp_path: Path, settings: FetchConfig
) -> None:
    httpserver.expect_request("/p").respond_with_data(POLICY, content_type=HTML)

    result = AutoFetcher(settings, base_dir=tmp_path).fetch(page(httpserver.url_for("/p")))

    assert (result.renderer, result.html) == ("http", POLICY)


def test_auto_passes_on_a_not_modified_answer(
    httpserver: HTTPServer, tmp_path: Path, settings: FetchConfig
) -> None:
    httpserver.expect_request("/p").respond_with_data("", status=304)

    result = AutoFetcher(settings, base_dir=tmp_path).fetch(
        page(httpserver.url_for("/p")), validators={"etag": '"1"'}
    )

    assert (result.renderer, result.not_modified) == ("http", True)


def test_auto_does_not_try_the_browser_for_a_missing_page(
    httpserver: HTTPServer, tmp_path: Path, settings: FetchConfig
) -> None:
    httpserver.expect_request("/p").respond_with_data("gone", status=404)

    with pytest.raises(FetchError, match="HTTP 404"):
        AutoFetcher(settings, base_dir=tmp_path).fetch(page(httpserver.url_for("/p")))
    assert len(httpserver.log) == 1


def test_proxies_and_no_proxy_come_from_the_environment(
    httpserver: HTTPServer,
    settings: FetchConfig,
    tmp_path: Path,
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The environment is read once per host, not per request, and still decides as requests would: a page
    goes through HTTP_PROXY (the loopback server plays the proxy here), unless NO_PROXY names its host."""
    httpserver.expect_request("/privacy").respond_with_data(POLICY, content_type=HTML)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/").rstrip("/"))
    monkeypatch.setenv("NO_PROXY", "direct.invalid")
    fetcher = HttpFetcher(settings, base_dir=tmp_path, sleep=sleeps.append)
    assert fetcher.fetch(page("http://policy.invalid/privacy")).html == POLICY

    error = fetch_error(fetcher, page("http://direct.invalid/privacy"))
    assert error.reason == "network error: name not resolved"
