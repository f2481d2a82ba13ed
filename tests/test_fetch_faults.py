"""Servers that misbehave on purpose, on loopback, against the real fetcher, pipeline and store: a trickle
(one deadline per attempt), a long Retry-After (not slept; the service comes back no earlier than asked),
binary bodies served as text/html (never a version). Every server is bounded, so a failing test still ends
in seconds."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.fetch.common import looks_binary
from monitor.fetch.http import HttpFetcher
from monitor.models import Outcome
from monitor.pipeline.check import Context, check_page
from monitor.service.runner import Service
from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
PAGE = (
    "<html><body><main><h1>Privacy Policy</h1><p>"
    + "We use the information we have to provide, personalise and improve our Products. " * 5
    + "</p></main></body></html>"
)


class TrickleSite:
    """Answers 200 and then one byte per `interval`, for at most `limit` seconds (in the headers or the body)."""

    def __init__(self, *, in_headers: bool = False, interval: float = 0.05, limit: float = 8.0) -> None:
        self.requests = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests += 1
                ends = time.monotonic() + limit
                try:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
                    if in_headers:
                        self.wfile.write(b"X-Slow: ")
                    else:
                        self.wfile.write(b"Connection: close\r\n\r\n")  # no length: the body ends at close
                    self.wfile.flush()
                    while time.monotonic() < ends:
                        self.wfile.write(b"a")
                        self.wfile.flush()
                        time.sleep(interval)
                except OSError:
                    pass  # the client hung up: what a deadline does
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/privacy"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trickle() -> Iterator[TrickleSite]:
    site = TrickleSite()
    yield site
    site.close()


def context(tmp_path: Path, url: str, **fetch: Any) -> Context:
    config = make_config([{"id": "policy", "url": url}], fetch={"per_host_min_gap": 0, **fetch})
    return Context(loaded(config, tmp_path), Store(tmp_path / "snapshots"), deliver=False)


# --- one deadline per attempt --------------------------------------------------------------------------------


def test_a_trickled_body_times_out_at_the_deadline_and_is_never_a_version(
    trickle: TrickleSite, tmp_path: Path
) -> None:
    ctx = context(tmp_path, trickle.url, timeout=0.5, retries=1, backoff=0.1)
    started = time.monotonic()
    result = check_page(ctx, ctx.config.pages[0])
    elapsed = time.monotonic() - started

    assert (result.record.outcome, result.record.reason) == (Outcome.FAILED, "network error: timed out")
    assert elapsed < 2.0  # 2 attempts x 0.5 s (+ the 0.1 s backoff), not the 8 s the server would trickle
    assert trickle.requests == 2
    assert ctx.store.versions.list("policy") == []


def test_trickled_headers_time_out_too(tmp_path: Path) -> None:
    site = TrickleSite(in_headers=True)
    try:
        fetcher = HttpFetcher(FetchConfig(timeout=0.5, retries=0), base_dir=tmp_path)
        started = time.monotonic()
        with pytest.raises(FetchError) as caught:
            fetcher.fetch(PageConfig(id="p", url=site.url))
        assert caught.value.reason == "network error: timed out"
        assert time.monotonic() - started < 1.5
    finally:
        site.close()


def test_the_whole_check_is_bounded_by_the_configured_attempts(trickle: TrickleSite, tmp_path: Path) -> None:
    """timeout x attempts bounds the check, waits included: a backoff that does not fit is not waited."""
    sleeps: list[float] = []
    fetcher = HttpFetcher(
        FetchConfig(timeout=0.3, retries=3, backoff=0.5), base_dir=tmp_path, sleep=sleeps.append
    )
    started = time.monotonic()
    with pytest.raises(FetchError):
        fetcher.fetch(PageConfig(id="p", url=trickle.url))
    assert time.monotonic() - started < 0.3 * 4 + 0.5
    assert sum(sleeps) < 0.3 * 4


# --- Retry-After longer than the check can wait ---------------------------------------------------------------


def rate_limited(httpserver: HTTPServer, seconds: int) -> str:
    httpserver.expect_request("/privacy").respond_with_data(
        "slow down", status=429, headers={"Retry-After": str(seconds)}
    )
    return httpserver.url_for("/privacy")


def test_a_manual_check_returns_at_once_with_the_servers_wait(httpserver: HTTPServer, tmp_path: Path) -> None:
    url = rate_limited(httpserver, 86400)
    config = tmp_path / "config.toml"
    config.write_text(f'[fetch]\nretries = 3\ntimeout = 5\n\n[[pages]]\nid = "policy"\nurl = "{url}"\n')
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "-c", str(config), "check", "--json"],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1"},
    )
    elapsed = time.monotonic() - started

    assert done.returncode == 3, done.stderr.decode()
    result = json.loads(done.stdout)
    assert (result["outcome"], result["reason"]) == ("failed", "HTTP 429: retry after 1d")
    assert len(httpserver.log) == 1  # asked once: a day is not slept, nor retried
    assert elapsed < 10  # the interpreter's start included; the fetch itself is one round trip


def test_the_service_does_not_come_back_before_the_server_asked(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    url = rate_limited(httpserver, 86400)
    config = make_config(
        [{"id": "policy", "url": url}],
        fetch={"retries": 2, "timeout": 5, "per_host_min_gap": 0},
        service={"default_schedule": "every 6h", "jitter": "0s"},
        digest={"enabled": False},
    )
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FakeClock(now)
    store = Store(tmp_path / "snapshots", clock=clock)
    service = Service(Context(loaded(config, tmp_path), store, clock=clock, deliver=False))
    page = config.pages[0]

    report = service.tick(now)
    assert [r.record.reason for r in report.checked] == ["HTTP 429: retry after 1d"]
    due = service.next_due(page, now)
    assert due >= now + timedelta(days=1) - timedelta(seconds=5)  # not the 6 h of the schedule

    clock.set(now + timedelta(hours=7))  # the schedule alone would check again now
    assert service.tick(clock()).checked == []
    assert len(httpserver.log) == 1

    clock.set(due.replace(microsecond=0) + timedelta(seconds=1))
    httpserver.clear()
    httpserver.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    assert [r.record.outcome for r in service.tick(clock()).checked] == [Outcome.NEW]
    assert service.next_due(page, clock()) == clock() + timedelta(hours=6)  # the schedule again


def test_the_production_job_moves_to_the_servers_time(httpserver: HTTPServer, tmp_path: Path) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    url = rate_limited(httpserver, 86400)
    config = make_config(
        [{"id": "policy", "url": url}],
        fetch={"retries": 0, "timeout": 5, "per_host_min_gap": 0},
        service={"default_schedule": "every 6h", "jitter": "0s"},
        digest={"enabled": False},
    )
    store = Store(tmp_path / "snapshots")
    service = Service(Context(loaded(config, tmp_path), store, deliver=False))
    scheduler = BackgroundScheduler(timezone="UTC")
    service._scheduler = scheduler  # what serve() sets
    now = datetime.now(UTC)
    service.schedule_jobs(scheduler, now)
    scheduler.start(paused=True)
    try:
        service.check(config.pages[0])
        moved = scheduler.get_job("check:policy").next_run_time
        assert moved >= now + timedelta(days=1) - timedelta(seconds=5)
    finally:
        scheduler.shutdown(wait=False)


# --- not text, not a version ------------------------------------------------------------------------------------


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("policy.html", PAGE)
    return buffer.getvalue()


BINARY_BODIES = {
    "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + b"<html>" * 50,
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    "gzip": gzip.compress(PAGE.encode()),
    "zip": _zip(),
    "random": os.urandom(64 * 1024),
    "nul-padded text": ("<html><body>" + "\x00".join(PAGE) + "</body></html>").encode(),
}


@pytest.mark.parametrize("kind", list(BINARY_BODIES))
def test_binary_served_as_html_fails_and_is_never_a_version(
    httpserver: HTTPServer, tmp_path: Path, kind: str
) -> None:
    httpserver.expect_request("/privacy").respond_with_data(
        BINARY_BODIES[kind], content_type="text/html; charset=utf-8"
    )
    ctx = context(tmp_path, httpserver.url_for("/privacy"), retries=0)

    result = check_page(ctx, ctx.config.pages[0])

    # A body with the PDF signature is read as a PDF, whatever its type says: this one is no readable PDF.
    expected = "PDF unreadable" if kind == "pdf" else "not HTML: binary content"
    assert result.record.outcome == Outcome.FAILED and (result.record.reason or "").startswith(expected)
    assert ctx.store.versions.list("policy") == []
    assert ctx.store.versions.current("policy") is None


def test_undecodable_bytes_are_binary_content(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Bytes with no control characters that decode to mostly U+FFFD in the declared charset."""
    body = b"<html><body>" + bytes(range(0x80, 0x100)) * 200 + b"</body></html>"
    httpserver.expect_request("/privacy").respond_with_data(body, content_type="text/html; charset=utf-8")
    ctx = context(tmp_path, httpserver.url_for("/privacy"), retries=0)

    result = check_page(ctx, ctx.config.pages[0])

    assert result.record.reason == "not HTML: binary content"
    assert ctx.store.versions.list("policy") == []


def test_no_real_capture_looks_binary() -> None:
    """The sniff on every HTML fixture (real Meta captures among them), UTF-16 with a BOM included."""
    fixtures = [path for path in (ROOT / "tests" / "fixtures").rglob("*.htm*")]
    assert fixtures
    for path in fixtures:
        assert not looks_binary(path.read_bytes()), path
    assert not looks_binary("\ufeff<html><p>Datenschutz</p></html>".encode("utf-16"))
