"""Hostile HTTP answers on loopback, against the real fetcher, pipeline, store and CLI: each is that page's failed
check with a one-line reason, or a page read as well as it can be, never an exception out of `check` that stops
the other pages. Credentials never cross a downgrade from https to http nor go to another host or port, and
`cancel_all()` ends every fetch in flight within a moment. Every server is bounded, so a failing test still ends
in seconds."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli, write_project
from service_support import FakeClock, loaded, make_config

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError, Interrupted
from monitor.fetch import deadline
from monitor.fetch.auto import AutoFetcher
from monitor.fetch.common import (
    decode_html,
    header_number,
    retry_after_seconds,
)
from monitor.fetch.http import HttpFetcher
from monitor.models import Outcome
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store

TEXT = "We use the information we have to provide, personalise and improve our Products. " * 5
PAGE = f"<html><body><main><h1>Privacy Policy</h1><p>{TEXT}</p></main></body></html>"
# Answers a handler writes: raw bytes, or a function of the request's path giving them.
Answer = bytes | Callable[[str], bytes]


def http_answer(*headers: bytes, body: bytes = PAGE.encode(), status: bytes = b"200 OK") -> bytes:
    return b"\r\n".join([b"HTTP/1.1 " + status, b"Connection: close", *headers, b"", body])


class RawSite:
    """A loopback server that writes `answer` as is (headers no HTTP library would send) and records the
    headers of every request it gets (with ":scheme"). With `tls` (cert, key) it speaks HTTPS and plain HTTP
    on the same port, as one host's two origins: it looks at the first byte a client sends."""

    def __init__(self, answer: Answer, *, tls: tuple[Path, Path] | None = None) -> None:
        self.answer = answer
        self.received: list[dict[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
                site.received.append({key.lower(): value for key, value in self.headers.items()})
                site.received[-1][":scheme"] = scheme
                raw = site.answer(self.path) if callable(site.answer) else site.answer
                self.wfile.write(raw)
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        context = None
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[Any, Any]:
                sock, address = super().get_request()
                sock.settimeout(5)
                if context is not None and sock.recv(1, socket.MSG_PEEK) == b"\x16":  # a TLS ClientHello
                    sock = context.wrap_socket(sock, server_side=True)
                return sock, address

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        port = self.server.server_port
        self.origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
        self.plain_origin = f"http://127.0.0.1:{port}"
        self.url = f"{self.origin}/privacy"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., RawSite]]:
    sites: list[RawSite] = []

    def start(answer: Answer, **options: Any) -> RawSite:
        sites.append(RawSite(answer, **options))
        return sites[-1]

    yield start
    for site in sites:
        site.close()


@pytest.fixture(autouse=True)
def fetches_run_again() -> Iterator[None]:
    yield
    deadline.reset()


def context(tmp_path: Path, url: str, page: dict[str, Any] | None = None, **fetch: Any) -> Context:
    fetch = {"per_host_min_gap": 0, "retries": 0, "timeout": 5, **fetch}
    config = make_config([{"id": "policy", "url": url, **(page or {})}], fetch=fetch)
    return Context(loaded(config, tmp_path), Store(tmp_path / "snapshots"), deliver=False)


# --- a charset label that names no text encoding is an unknown label ---------------------------------------------

NOT_TEXT_CODECS = [
    "hex",
    "base64",
    "rot13",
    "uu_codec",
    "zlib",
    "bz2",
    "quopri",
    "idna",
    "punycode",
    "undefined",
]


@pytest.mark.parametrize("label", NOT_TEXT_CODECS)
@pytest.mark.parametrize("where", ["content-type", "meta"])
def test_a_charset_naming_no_text_encoding_is_ignored_and_the_page_read_as_utf8(
    serve: Callable[..., RawSite], tmp_path: Path, label: str, where: str
) -> None:
    body = PAGE.replace("Products.", "Produkte für Sie.")
    if where == "meta":
        body = body.replace("<html>", f"<html><head><meta charset={label}></head>")
        content_type = b"Content-Type: text/html"
    else:
        content_type = b"Content-Type: text/html; charset=" + label.encode()
    site = serve(http_answer(content_type, body=body.encode("utf-8")))
    ctx = context(tmp_path, site.url)

    result = check_page(ctx, ctx.config.pages[0])

    assert (result.record.outcome, result.record.reason) == (Outcome.NEW, None)
    assert "Produkte für Sie." in ctx.store.versions.read_text("policy", result.record.version)


@pytest.mark.parametrize("label", [*NOT_TEXT_CODECS, "unicode_escape", "utf-7", "no-such-charset"])
def test_decoding_honours_only_text_encodings(label: str) -> None:
    body = "Datenschutzerklärung +ADw-script+AD4- \\u0041".encode()
    assert decode_html(body, f"text/html; charset={label}") == (body.decode(), "utf-8")


def test_a_meta_naming_utf16_on_an_ascii_page_is_read_as_utf8() -> None:
    body = b"<html><head><meta charset=utf-16></head><body><p>Privacy</p></body></html>"
    assert decode_html(body) == (body.decode(), "utf-8")


# --- header numbers are ASCII digits ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "¹²", "١٢", "１２", "۱۲", "12a", "-1", "1.5", "0x10", " ", ""])
def test_a_header_number_of_other_digits_is_no_number(value: str) -> None:
    assert header_number(value) is None
    assert retry_after_seconds(value) is None


def test_header_numbers_are_ascii_digits_and_never_too_long_to_read() -> None:
    assert header_number(" 42 ") == 42
    assert header_number("0" * 5000 + "7") == 7
    assert header_number("9" * 5000) == 10**18  # int() refuses more than 4300 digits
    assert retry_after_seconds("9" * 5000) == 7 * 86400


@pytest.mark.parametrize(
    "date", ["Mon, 01 Jan 2024 00:00:00 +9999", "Mon, 01 Jan 99999 00:00:00 GMT", "Mon, 99 Jan 2024 25:61:00"]
)
def test_a_retry_after_date_no_calendar_has_is_no_date(date: str) -> None:
    assert retry_after_seconds(date) is None


# Latin-1 superscripts are the digits a header can hold (http.client reads headers as Latin-1); the others
# arrive as their UTF-8 bytes.
UNICODE_DIGITS = {"superscript two": b"\xb2", "superscript one": b"\xb9", "fullwidth": "１２".encode()}


@pytest.mark.parametrize("digits", list(UNICODE_DIGITS))
def test_a_content_length_of_unicode_digits_is_no_length(
    serve: Callable[..., RawSite], tmp_path: Path, digits: str
) -> None:
    site = serve(http_answer(b"Content-Type: text/html", b"Content-Length: " + UNICODE_DIGITS[digits]))
    ctx = context(tmp_path, site.url)

    result = check_page(ctx, ctx.config.pages[0])

    assert (result.record.outcome, result.record.reason) == (Outcome.NEW, None)


@pytest.mark.parametrize("digits", list(UNICODE_DIGITS))
def test_a_retry_after_of_unicode_digits_is_no_wait(
    serve: Callable[..., RawSite], tmp_path: Path, digits: str
) -> None:
    unavailable = http_answer(b"Retry-After: " + UNICODE_DIGITS[digits], status=b"503 Service Unavailable")
    site = serve(unavailable)
    ctx = context(tmp_path, site.url, retries=1, backoff=0.05)

    result = check_page(ctx, ctx.config.pages[0])

    assert (result.record.outcome, result.record.reason) == (Outcome.FAILED, "HTTP 503")
    assert result.retry_at is None
    assert len(site.received) == 2  # retried after the configured backoff, as without a Retry-After


@pytest.mark.parametrize("validator", ["\x0bW/1", 'W/"1"\x00', "é\u2028", " "])
def test_a_validator_no_request_may_carry_makes_an_unconditional_fetch(
    serve: Callable[..., RawSite], tmp_path: Path, validator: str
) -> None:
    site = serve(http_answer(b"Content-Type: text/html"))
    fetcher = HttpFetcher(FetchConfig(timeout=5, retries=0), base_dir=tmp_path)

    result = fetcher.fetch(
        PageConfig(id="p", url=site.url), validators={"etag": validator, "last_modified": validator}
    )

    assert (result.status, result.not_modified) == (200, False)
    assert "if-none-match" not in site.received[0]
    assert "if-modified-since" not in site.received[0]


# --- a redirect to no URL ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    [b"http://[::1", b"http://127.0.0.1:99999/", b"http://127.0.0.1:port/", b"https:///nohost", b"https://",
     b"http://" + b"a" * 64 + b".example/", b"http://\xe4\xf6.example/", b"javascript:alert(1)"],
)  # fmt: skip
def test_a_redirect_to_no_valid_url_is_a_failed_check(
    serve: Callable[..., RawSite], tmp_path: Path, location: bytes
) -> None:
    site = serve(http_answer(b"Location: " + location, body=b"", status=b"302 Found"))
    ctx = context(tmp_path, site.url)

    result = check_page(ctx, ctx.config.pages[0])

    assert result.record.outcome == Outcome.FAILED
    assert result.record.reason in {
        "redirect to an invalid URL",
        "redirect to a non-HTTP URL",
        "network error: name not resolved",
        "network error: connection failed",
        "network error: invalid answer",  # requests itself parses the Location, and fails on it
    }
    assert ctx.store.versions.list("policy") == []


# --- credentials never cross a downgrade, nor to another host or port ---------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl req), trusted through REQUESTS_CA_BUNDLE."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def redirect_to(target: str) -> bytes:
    return http_answer(b"Location: " + target.encode(), body=b"", status=b"302 Found")


CREDENTIALS = {
    "authorization header": ({"headers": {"Authorization": "Bearer s3cret"}}, "authorization", "Bearer s3cret"),
    "cookie header": ({"headers": {"Cookie": "session=s3cret"}}, "cookie", "session=s3cret"),
    "proxy authorization": ({"headers": {"Proxy-Authorization": "Basic s3cret"}}, "proxy-authorization", "Basic s3cret"),
    "cookies file": ({"cookies_file": "cookies.txt"}, "cookie", "session=s3cret"),
    "netrc": ({}, "authorization", "Basic dXNlcjpzM2NyZXQ="),
}  # fmt: skip


@pytest.fixture
def credentials(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], str, str]:
    """(page settings, header name, value the origin must get) for one way of configuring credentials."""
    page, header, value = CREDENTIALS[request.param]
    (tmp_path / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tsession\ts3cret\n"
    )
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login user password s3cret\n" if request.param == "netrc" else "")
    monkeypatch.setenv("NETRC", str(netrc))
    return page, header, value


@pytest.mark.parametrize("credentials", list(CREDENTIALS), indirect=True)
def test_credentials_never_follow_an_https_to_http_redirect_on_the_same_host_and_port(
    serve: Callable[..., RawSite],
    certificate: tuple[Path, Path],
    credentials: tuple[dict[str, Any], str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page, header, value = credentials
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    cleartext: list[str] = []
    site = serve(
        lambda path: (
            redirect_to(cleartext[0]) if path == "/privacy" else http_answer(b"Content-Type: text/html")
        ),
        tls=certificate,
    )
    cleartext.append(f"{site.plain_origin}/landing")
    ctx = context(tmp_path, site.url, page)

    check_page(ctx, ctx.config.pages[0])

    secure, plain = site.received
    assert (secure[":scheme"], secure.get(header)) == ("https", value)  # the https origin gets them ...
    assert plain[":scheme"] == "http"
    assert header not in plain  # ... the same host and port in cleartext does not
    assert "authorization" not in plain


@pytest.mark.parametrize("credentials", list(CREDENTIALS), indirect=True)
def test_credentials_never_follow_a_redirect_to_another_port(
    serve: Callable[..., RawSite], credentials: tuple[dict[str, Any], str, str], tmp_path: Path
) -> None:
    page, header, value = credentials
    other = serve(http_answer(b"Content-Type: text/html"))
    first = serve(redirect_to(other.url))
    ctx = context(tmp_path, first.url, page)

    check_page(ctx, ctx.config.pages[0])

    assert first.received[0].get(header) == value
    assert header not in other.received[0]


@pytest.mark.parametrize("credentials", ["authorization header", "netrc"], indirect=True)
def test_credentials_never_come_back_once_a_redirect_dropped_them(
    serve: Callable[..., RawSite], credentials: tuple[dict[str, Any], str, str], tmp_path: Path
) -> None:
    page, header, value = credentials
    home: list[str] = []
    other = serve(lambda path: redirect_to(home[0]))
    first = serve(lambda path: redirect_to(other.url) if path == "/privacy" else http_answer())
    home.append(f"{first.origin}/landing")
    ctx = context(tmp_path, first.url, page)

    check_page(ctx, ctx.config.pages[0])

    assert [request.get(header) for request in first.received] == [value, None]
    assert header not in other.received[0]


@pytest.mark.parametrize("credentials", ["authorization header", "cookies file", "netrc"], indirect=True)
def test_credentials_follow_a_redirect_within_their_origin(
    serve: Callable[..., RawSite], credentials: tuple[dict[str, Any], str, str], tmp_path: Path
) -> None:
    page, header, value = credentials
    site = serve(lambda path: redirect_to("/landing") if path == "/privacy" else http_answer())
    ctx = context(tmp_path, site.url, page)

    check_page(ctx, ctx.config.pages[0])

    assert [request.get(header) for request in site.received] == [value, value]


# --- cancel_all() ends every fetch in flight ----------------------------------------------------------------------


class TrickleSite(RawSite):
    """Answers 200 and then a byte every 50 ms for `limit` seconds: no socket read ever times out."""

    def __init__(self, limit: float = 8.0) -> None:
        super().__init__(b"")
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.received.append(dict(self.headers.items()))
                ends = time.monotonic() + limit
                try:
                    self.wfile.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
                    )
                    while time.monotonic() < ends:
                        self.wfile.write(b"a")
                        self.wfile.flush()
                        time.sleep(0.05)
                except OSError:
                    pass
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server.RequestHandlerClass = Handler


def fetch_in_thread(fetcher: HttpFetcher | AutoFetcher, url: str) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = fetcher.fetch(PageConfig(id="p", url=url))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_cancel_all_ends_a_trickling_fetch_at_once_as_interrupted(tmp_path: Path) -> None:
    site = TrickleSite()
    try:
        fetcher = HttpFetcher(FetchConfig(timeout=30, retries=3), base_dir=tmp_path)
        thread, outcome = fetch_in_thread(fetcher, site.url)
        time.sleep(0.5)
        assert thread.is_alive()
        cancelled_at = time.monotonic()
        deadline.cancel_all()
        thread.join(5)

        assert isinstance(outcome.get("error"), Interrupted), outcome
        assert outcome["ended"] - cancelled_at < 1.0  # not 30 s x 4 attempts
        assert len(site.received) == 1  # no retry after a cancel
    finally:
        site.close()


@pytest.mark.parametrize("kind", [HttpFetcher, AutoFetcher], ids=["http", "auto"])
def test_cancel_all_ends_the_wait_between_attempts(
    serve: Callable[..., RawSite], tmp_path: Path, kind: type[HttpFetcher | AutoFetcher]
) -> None:
    site = serve(http_answer(status=b"503 Service Unavailable", body=b""))
    fetcher = kind(FetchConfig(timeout=30, retries=3, backoff=20), base_dir=tmp_path)
    thread, outcome = fetch_in_thread(fetcher, site.url)
    time.sleep(0.5)  # the first attempt has failed; the fetcher waits 20 s for the second
    cancelled_at = time.monotonic()
    deadline.cancel_all()
    thread.join(5)

    assert isinstance(outcome.get("error"), Interrupted), outcome
    assert outcome["ended"] - cancelled_at < 1.0
    assert len(site.received) == 1


def test_after_cancel_all_fetches_are_interrupted_until_reset(
    serve: Callable[..., RawSite], tmp_path: Path
) -> None:
    site = serve(http_answer(b"Content-Type: text/html"))
    fetcher = HttpFetcher(FetchConfig(timeout=5, retries=0), base_dir=tmp_path)
    deadline.cancel_all()
    with pytest.raises(Interrupted) as caught:
        fetcher.fetch(PageConfig(id="p", url=site.url))
    assert str(caught.value) == f"{site.url}: fetch interrupted: the process is stopping"
    assert site.received == []

    deadline.reset()
    assert fetcher.fetch(PageConfig(id="p", url=site.url)).status == 200


def test_an_interrupted_check_records_nothing(tmp_path: Path) -> None:
    site = TrickleSite()
    try:
        ctx = context(tmp_path, site.url, timeout=30, retries=3)
        threading.Timer(0.3, deadline.cancel_all).start()
        started = time.monotonic()
        with pytest.raises(Interrupted):
            check_page(ctx, ctx.config.pages[0])
        assert time.monotonic() - started < 1.5
        assert ctx.store.checks.last("policy") is None  # neither a failure nor a version: the page stays due
    finally:
        site.close()


# --- one hostile page among others: the others are checked, exit code 3 -------------------------------------------

HOSTILE = {
    "retry-after in superscript digits": http_answer(b"Retry-After: \xb2", status=b"503 Service Unavailable"),
    "redirect to a broken IPv6 host": redirect_to("http://[::1"),
    "redirect to port 99999": redirect_to("http://127.0.0.1:99999/privacy"),
}


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_check_of_two_pages_one_hostile_checks_the_other_and_exits_3(
    serve: Callable[..., RawSite], tmp_path: Path, hostile: str
) -> None:
    bad = serve(HOSTILE[hostile])
    good = serve(http_answer(b"Content-Type: text/html; charset=hex"))
    config = write_project(tmp_path, {"hostile": bad.url, "policy": good.url})
    config.write_text(config.read_text().replace("[fetch]\n", "[fetch]\nper_host_min_gap = 0\n"))
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))

    code, output = run_cli(config, clock, "check", "--json")

    results = {line["page"]: line for line in map(json.loads, output.strip().splitlines())}
    assert code == 3
    assert results["policy"]["outcome"] == "new"
    assert results["hostile"]["outcome"] == "failed"
    assert results["hostile"]["reason"] in {
        "HTTP 503",
        "redirect to an invalid URL",
        "network error: invalid answer",
    }


# --- what a redirect's body, a 304 nobody asked for, a bad URL and a charset label get -----------------------------


class EndlessRedirect:
    """A 302 to /ok whose body says it is 2 GB and is sent as fast as the client takes it; counts what went."""

    def __init__(self) -> None:
        self.sent = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client: socket.socket) -> None:
        with client:
            request = client.recv(65536)
            if request.startswith(b"GET /ok "):
                client.sendall(http_answer(b"Content-Type: text/html"))
                return
            head = b"HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 2000000000\r\n\r\n"
            chunk = b"a" * 65536
            try:
                client.sendall(head)
                while self.sent < 2_000_000_000:
                    client.sendall(chunk)
                    self.sent += len(chunk)
            except OSError:  # the client closed the connection: it reads no more of the body
                return

    def close(self) -> None:
        self.listener.close()


def test_a_redirect_s_body_is_never_read(tmp_path: Path) -> None:
    """requests read a 3xx body whole to find the next request, before max_bytes applied: gigabytes in memory."""
    site = EndlessRedirect()
    try:
        fetcher = HttpFetcher(FetchConfig(timeout=10, retries=0, max_bytes=1_000_000), base_dir=tmp_path)
        result = fetcher.fetch(PageConfig(id="p", url=site.url + "/start"))
    finally:
        site.close()
    assert (result.status, result.final_url) == (200, site.url + "/ok")
    assert site.sent < 50_000_000  # what the sockets' buffers took before the client hung up, not 2 GB


def test_a_304_to_a_request_that_asked_nothing_is_a_failed_fetch(
    serve: Callable[..., RawSite], tmp_path: Path
) -> None:
    """The stored ETag could not be sent (a tab in it): an unconditional request, whose 304 is no answer."""
    site = serve(http_answer(b"ETag: x", body=b"", status=b"304 Not Modified"))
    fetcher = HttpFetcher(FetchConfig(timeout=5, retries=0), base_dir=tmp_path)
    with pytest.raises(FetchError, match="HTTP 304"):
        fetcher.fetch(PageConfig(id="p", url=site.url), validators={"etag": '"v1\tx"'})
    assert "if-none-match" not in site.received[0]


def test_a_page_url_no_request_can_carry_is_an_invalid_url_not_a_redirect(tmp_path: Path) -> None:
    ctx = context(tmp_path, "http://127.0.0.1:99999/policy")
    result = check_page(ctx, ctx.config.pages[0])
    assert (result.record.outcome, result.record.reason) == (Outcome.FAILED, "invalid URL")


@pytest.mark.parametrize(
    ("label", "text"),
    [("gb2312", "朱镕基 隐私政策"), ("euc-kr", "똠방각하 개인정보"), ("shift_jis", "①プライバシー"),
     ("iso-8859-9", "privacy € policy"), ("tis-620", "นโยบาย “ความเป็นส่วนตัว”"), ("iso-8859-1", "privacy € policy")],
)  # fmt: skip
def test_a_charset_label_is_read_as_browsers_read_it(label: str, text: str) -> None:
    """WHATWG maps these labels to larger charsets (gbk, cp949, cp932, windows-1254, windows-874, 1252)."""
    wide = {"gb2312": "gbk", "euc-kr": "cp949", "shift_jis": "cp932", "iso-8859-9": "cp1254",
            "tis-620": "cp874", "iso-8859-1": "cp1252"}  # fmt: skip
    body = f"<html><body><p>{text}</p></body></html>".encode(wide[label])
    assert text in decode_html(body, f"text/html; charset={label}")[0]


def test_a_host_only_cookie_goes_to_its_host_never_to_a_subdomain_a_redirect_leads_to(
    serve: Callable[..., RawSite], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cookies.txt line with FALSE in its second field is the host's own: a redirect from www.site.test to
    evil.www.site.test sends it nothing, as a browser sends nothing. The two hosts are reached through a
    loopback proxy (no name to resolve), which records the headers of each request."""

    def answer(path: str) -> bytes:
        if path == "http://www.site.test/start":
            return http_answer(b"Location: http://evil.www.site.test/page", body=b"", status=b"302 Found")
        return http_answer(b"Content-Type: text/html")

    proxy = serve(answer)
    monkeypatch.setenv("HTTP_PROXY", proxy.plain_origin)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    (tmp_path / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\nwww.site.test\tFALSE\t/\tFALSE\t0\tsession\tSECRET\n", encoding="utf-8"
    )
    fetcher = HttpFetcher(FetchConfig(timeout=5, retries=0), base_dir=tmp_path)
    result = fetcher.fetch(PageConfig(id="p", url="http://www.site.test/start", cookies_file="cookies.txt"))

    assert result.status == 200
    assert [(seen["host"], seen.get("cookie")) for seen in proxy.received] == [
        ("www.site.test", "session=SECRET"),
        ("evil.www.site.test", None),
    ]
