"""The real service process in a retry wait: SIGTERM ends the wait, and the service, within seconds (the
wait is an Event the shutdown sets, not time.sleep)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]


class BusySite:
    """Always 503 without Retry-After: the fetcher backs off (here 20 s) before its retry."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.requests = 0
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                site.requests += 1
                self.send_response(503)
                self.send_header("Content-Length", "4")
                self.end_headers()
                self.wfile.write(b"busy")
                site.arrived.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/privacy"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def busy() -> Iterator[BusySite]:
    site = BusySite()
    yield site
    site.close()


def test_sigterm_during_a_retry_wait_stops_the_service_within_seconds(busy: BusySite, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 2
timeout = 30
backoff = 20
per_host_min_gap = 0

[service]
default_schedule = "every 6h"
jitter = "0s"

[digest]
enabled = false

[[pages]]
id = "policy"
url = "{busy.url}"
"""
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(config), "run", "--log-format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert busy.arrived.wait(20), "the service never fetched the page"
        time.sleep(0.5)  # into the 20 s backoff (a wait for the service to reach it, not a test of time)
        stopped_at = time.monotonic()
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=15)
        took = time.monotonic() - stopped_at
    finally:
        if service.poll() is None:
            service.kill()
            service.communicate()
    assert service.returncode == 0, err.decode()
    assert took < 5, f"the service took {took:.1f} s to stop"
    assert busy.requests == 1  # the retry never ran
    assert "check stopped, the service is stopping" in err.decode()
    # Nothing half-done is recorded: the page stays due, and the next start checks it.
    assert Store(tmp_path / "snapshots").checks.list("policy") == []
