"""The real service process, interrupted: SIGKILL in the middle of a check and of a digest send (on restart
nothing is lost and nothing is duplicated), SIGTERM during a check (it finishes), and a `check` by hand while
the service is mid-fetch. The servers on loopback stall on purpose to hold the service there."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from service_support import document_text, record_check, smtp_server

from monitor.models import Outcome, system_clock
from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
OLD_TEXT = document_text("# Privacy Policy", "We may share your information with partners.")
PAGE = """<html><body><main><h1>Privacy Policy</h1>
<p>We will share your information with partners who help us provide and improve our Products.</p>
<p>We use the information we have to provide, personalise and improve our Products, to keep them safe and
secure, and to communicate with you about them, as the rest of this policy explains in detail.</p>
</main></body></html>"""


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    """Poll for an event in another process (this waits for something to happen, not for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


class StallingSite:
    """A page server whose answers can be held until released."""

    def __init__(self) -> None:
        self.stall = threading.Event()
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.stall_only_first = False
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if site.stall.is_set():
                    if site.stall_only_first:
                        site.stall.clear()
                    site.arrived.set()
                    site.release.wait(30)
                body = PAGE.encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client was killed meanwhile

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/privacy"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class StallingInbox:
    """An SMTP handler that can hold a message mid-DATA (before answering), as a slow server does."""

    def __init__(self) -> None:
        self.stall = threading.Event()
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.attempts: list[str] = []  # Message-IDs of every DATA received, answered or not
        self.accepted: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = next(
            line.split(":", 1)[1].strip()
            for line in envelope.content.decode().splitlines()
            if line.lower().startswith("message-id:")
        )
        self.attempts.append(message_id)
        if self.stall.is_set():
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 the client went away"  # never acknowledged: not delivered
        self.accepted.append(message_id)
        return "250 OK"


@pytest.fixture
def site() -> Iterator[StallingSite]:
    server = StallingSite()
    yield server
    server.close()


def write_config(
    folder: Path, url: str, *, smtp_port: int = 9, digest_time: str = "08:00", digest: bool
) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
timeout = 30
per_host_min_gap = 0

[service]
default_schedule = "every 6h"
jitter = "0s"

[digest]
enabled = {"true" if digest else "false"}
time = "{digest_time}"
timezone = "UTC"

[notify.email]
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from = "monitor@example.org"
to = ["reader@example.org"]
timeout = 30

[[pages]]
id = "policy"
url = "{url}"
"""
    )
    return config


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(config), "run", "--log-format", "json"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stop(process: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    """SIGTERM, then the exit status must be 0 and the log JSON lines."""
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in err.decode().splitlines()]


def kill(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=10)


def test_a_kill_during_a_check_loses_nothing_and_duplicates_nothing(
    site: StallingSite, tmp_path: Path
) -> None:
    store = Store(tmp_path / "snapshots")
    last = record_check(store, "policy", system_clock() - timedelta(hours=7), text=OLD_TEXT, url=site.url)
    config = write_config(tmp_path, site.url, digest=False)

    site.stall.set()
    service = start(config)
    assert site.arrived.wait(20), "the service never fetched the overdue page"
    kill(service)  # mid-fetch
    assert [r.outcome for r in Store(store.root).checks.list("policy")] == [Outcome.NEW]
    assert Store(store.root).verify().ok

    site.stall.clear()
    site.release.set()
    service = start(config)
    wait_for(lambda: len(Store(store.root).checks.list("policy")) == 2, "the check after the restart")
    log = stop(service)
    checks = Store(store.root).checks.list("policy")
    assert [(r.outcome, r.previous) for r in checks] == [(Outcome.NEW, None), (Outcome.CHANGED, last.version)]
    assert len(Store(store.root).versions.list("policy")) == 2
    assert Store(store.root).verify().ok
    assert {"policy"} <= {line.get("page") for line in log}
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in log)


def test_a_kill_during_a_digest_send_delivers_it_exactly_once(tmp_path: Path) -> None:
    inbox = StallingInbox()
    store = Store(tmp_path / "snapshots")
    now = system_clock()
    url = "http://127.0.0.1:9/privacy"  # never fetched: the page was checked an hour ago
    record_check(store, "policy", now - timedelta(hours=3), text=OLD_TEXT, url=url)
    record_check(store, "policy", now - timedelta(hours=1), reason="login wall", url=url)
    digest_time = (now - timedelta(minutes=2)).strftime("%H:%M")
    with smtp_server(inbox) as port:
        config = write_config(tmp_path, url, smtp_port=port, digest_time=digest_time, digest=True)
        inbox.stall.set()
        service = start(config)
        assert inbox.arrived.wait(20), "the service never sent the digest missed at start"
        kill(service)  # mid-DATA
        ledger = Store(store.root).ledger.lines()
        assert [entry["state"] for entry in ledger] == ["sending"]

        inbox.stall.clear()
        inbox.release.set()
        service = start(config)
        wait_for(lambda: inbox.accepted, "the digest after the restart")
        wait_for(
            lambda: Store(store.root).ledger.lines()[-1]["state"] == "sent",
            "the sent mark",
        )
        stop(service)
    ledger = Store(store.root).ledger.lines()
    assert [entry["state"] for entry in ledger] == ["sending", "sent"]
    assert inbox.accepted == [ledger[0]["message_id"]]  # delivered once ...
    assert inbox.attempts == [ledger[0]["message_id"]] * 2  # ... with the same Message-ID as the cut attempt


def test_sigterm_lets_the_running_check_finish(site: StallingSite, tmp_path: Path) -> None:
    store = Store(tmp_path / "snapshots")
    config = write_config(tmp_path, site.url, digest=False)
    site.stall.set()
    service = start(config)
    assert site.arrived.wait(20)
    service.send_signal(signal.SIGTERM)  # while the fetch is held by the server
    site.release.set()
    _, err = service.communicate(timeout=30)
    assert service.returncode == 0, err.decode()
    assert [r.outcome for r in store.checks.list("policy")] == [Outcome.NEW]  # finished, not half-written
    assert store.verify().ok


def test_a_check_by_hand_while_the_service_runs(site: StallingSite, tmp_path: Path) -> None:
    """The service holds the store's writer lock per write only: a manual check gets through while the
    service is in the middle of a fetch, and the service's result is decided against what the manual check
    stored."""
    store = Store(tmp_path / "snapshots")
    config = write_config(tmp_path, site.url, digest=False)
    site.stall.set()
    site.stall_only_first = True
    service = start(config)
    assert site.arrived.wait(20)  # the service is mid-fetch
    manual = subprocess.run(
        [sys.executable, "-m", "monitor", "-c", str(config), "check", "--json"], cwd=ROOT, capture_output=True
    )
    assert manual.returncode == 0, manual.stderr.decode()
    assert json.loads(manual.stdout)["outcome"] == "new"
    site.release.set()
    wait_for(lambda: len(Store(store.root).checks.list("policy")) == 2, "the service's check")
    stop(service)
    assert [r.outcome for r in Store(store.root).checks.list("policy")] == [Outcome.NEW, Outcome.UNCHANGED]
    assert len(Store(store.root).versions.list("policy")) == 1
    assert Store(store.root).verify().ok
