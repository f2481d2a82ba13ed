"""The HTTP fetcher keeps each thread's session between fetches: a host's next page goes down the connection
its last one left open, cookies never go from one page to another, and connections idle for longer than a
server keeps them are not used again. Against a real loopback server speaking HTTP/1.1 with keep-alive, which
records the client port (the connection) and the cookies of every request."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from smtp_support import make_certificate

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.fetch.http import HttpFetcher
from monitor.fetch.transport import Sessions

BODY = b"<html><body><main><h1>Privacy Policy</h1><p>We collect what you share.</p></main></body></html>"


class KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, int, str]] = []  # (path, client port, Cookie header)
        self.close_idle = threading.Event()  # set: the server closes each connection after its answer
        self.drop = threading.Event()  # set: the server closes each connection without answering
        self.too_many_headers = threading.Event()  # set: an answer no client reads (over 100 header lines)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: KeepAliveServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.client_address[1], self.headers.get("Cookie", "")))
        if self.server.drop.is_set():
            self.close_connection = True
            return
        if self.server.too_many_headers.is_set():
            self.send_response(200)
            for n in range(120):
                self.send_header(f"X-Header-{n}", "x")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(BODY)))
        if self.path.startswith("/sets-cookie"):
            self.send_header("Set-Cookie", "session=tracked; Path=/")
        if self.server.close_idle.is_set():
            self.close_connection = (
                True  # closed without saying so: as a server does when its keep-alive ends
            )
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[KeepAliveServer]:
    server = KeepAliveServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def fetcher(tmp_path: Path) -> Iterator[HttpFetcher]:
    settings = FetchConfig(timeout=5, retries=0, max_bytes=100_000, user_agent="pm-test/1")
    fetcher = HttpFetcher(settings, base_dir=tmp_path)
    yield fetcher
    fetcher.close()


def url(server: KeepAliveServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def fetch(fetcher: HttpFetcher, server: KeepAliveServer, path: str) -> None:
    result = fetcher.fetch(PageConfig(id="policy", url=url(server, path)))
    assert result.status == 200 and result.body == BODY


def ports(server: KeepAliveServer) -> list[int]:
    return [port for _, port, _ in server.seen]


def test_a_host_s_next_page_goes_down_the_connection_its_last_one_left_open(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    for path in ("/terms", "/privacy", "/cookies"):
        fetch(fetcher, server, path)
    assert len(set(ports(server))) == 1


def test_each_thread_fetches_through_a_session_of_its_own(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    def two_pages(name: str) -> None:
        fetch(fetcher, server, f"/{name}/1")
        fetch(fetcher, server, f"/{name}/2")

    workers = [threading.Thread(target=two_pages, args=(f"w{n}",)) for n in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    by_worker = {path.split("/")[1]: set() for path, _, _ in server.seen}
    for path, port, _ in server.seen:
        by_worker[path.split("/")[1]].add(port)
    assert all(len(used) == 1 for used in by_worker.values())  # each worker kept its own connection
    assert len(set(ports(server))) == 3


def test_a_cookie_one_page_was_given_never_goes_with_the_next_page(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    fetch(fetcher, server, "/sets-cookie")
    fetch(fetcher, server, "/privacy")
    fetch(fetcher, server, "/sets-cookie")
    assert [cookie for _, _, cookie in server.seen] == ["", "", ""]
    assert len(set(ports(server))) == 1  # the same connection, still without the cookie


def test_a_connection_idle_for_longer_than_servers_keep_one_is_not_used_again(
    fetcher: HttpFetcher, server: KeepAliveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch(fetcher, server, "/terms")
    monkeypatch.setattr(Sessions, "IDLE", 0.0)  # every connection has now been idle for too long
    fetch(fetcher, server, "/privacy")
    assert len(set(ports(server))) == 2


def test_a_connection_the_server_closed_after_its_answer_is_replaced_without_a_failure(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    server.close_idle.set()
    for path in ("/terms", "/privacy", "/cookies"):
        fetch(fetcher, server, path)  # retries = 0: a request down the closed connection would fail the fetch
    assert len(set(ports(server))) == 3


def test_closing_the_fetcher_closes_the_connections_it_kept(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    fetch(fetcher, server, "/terms")
    fetcher.close()
    fetch(fetcher, server, "/privacy")  # a closed fetcher still fetches: through a new session
    assert len(set(ports(server))) == 2


def test_a_request_that_fails_again_on_a_new_connection_fails_the_attempt(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    fetch(fetcher, server, "/terms")
    server.drop.set()
    with pytest.raises(FetchError) as caught:
        fetcher.fetch(PageConfig(id="policy", url=url(server, "/privacy")))
    assert caught.value.reason == "network error: connection closed"
    tried = [port for path, port, _ in server.seen if path == "/privacy"]
    assert len(tried) == 2 and tried[0] == ports(server)[0]  # the kept connection, then one new one: no more


def test_an_answer_that_cannot_be_read_on_a_kept_connection_is_not_asked_again(
    fetcher: HttpFetcher, server: KeepAliveServer
) -> None:
    fetch(fetcher, server, "/terms")
    server.too_many_headers.set()  # an answer came back: the request is not what was lost
    with pytest.raises(FetchError):
        fetcher.fetch(PageConfig(id="policy", url=url(server, "/privacy")))
    assert [path for path, _, _ in server.seen].count("/privacy") == 1


def test_a_new_https_connection_the_server_drops_is_not_asked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HTTPS opens its socket before the first request goes: still a new connection, not a kept one.
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate.cert))
    server = KeepAliveServer()
    server.socket = certificate.server_context().wrap_socket(server.socket, server_side=True)
    server.drop.set()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fetcher = HttpFetcher(FetchConfig(timeout=5, retries=0, max_bytes=100_000), base_dir=tmp_path)
    try:
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(
                PageConfig(id="policy", url=f"https://127.0.0.1:{server.server_address[1]}/privacy")
            )
        assert caught.value.reason == "network error: connection closed"
        assert len(server.seen) == 1  # one request: retries = 0
    finally:
        fetcher.close()
        server.shutdown()
        server.server_close()
