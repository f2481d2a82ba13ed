"""SIGTERM stops the real service process within 10 s whatever is in flight: no new check starts, a running one
gets a few seconds, then its fetch is cut; an interrupted fetch is not recorded, and the exit status is 0."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
STOP_BOUND = 10.0  # seconds from SIGTERM to the process's exit


class SilentSite:
    """A loopback server that takes every connection and reads the request, and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.arrived = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/privacy"

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.held.append(connection)
            connection.settimeout(5)
            with contextlib.suppress(OSError):
                connection.recv(65536)
            self.arrived.set()

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def site() -> Iterator[SilentSite]:
    server = SilentSite()
    yield server
    server.close()


def write_config(folder: Path, url: str, *, timeout: int = 120) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
timeout = {timeout}
per_host_min_gap = 0

[service]
default_schedule = "every 6h"
jitter = "0s"

[digest]
enabled = false

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


def terminate(service: subprocess.Popen[bytes]) -> tuple[float, str]:
    """SIGTERM; the seconds until the process was gone, and its log."""
    sent = time.monotonic()
    service.send_signal(signal.SIGTERM)
    try:
        _, err = service.communicate(timeout=STOP_BOUND + 20)  # bounded even when the rule is broken
    finally:
        if service.poll() is None:
            service.kill()
    return time.monotonic() - sent, err.decode()


def test_sigterm_during_a_fetch_that_never_answers_exits_within_ten_seconds_and_records_nothing(
    site: SilentSite, tmp_path: Path
) -> None:
    config = write_config(tmp_path, site.url)  # a fetch would wait two minutes for this server
    service = start(config)
    assert site.arrived.wait(20), "the service never fetched the overdue page"
    took, log = terminate(service)
    assert service.returncode == 0, log
    assert took < STOP_BOUND, f"the service took {took:.1f}s to stop:\n{log}"
    store = Store(tmp_path / "snapshots")
    assert store.checks.list("policy") == []  # interrupted, not a failed check
    assert store.verify().ok


def checks(folder: Path) -> list[str]:
    if not (folder / "snapshots" / "monitor.db").exists():
        return []
    return [str(check.outcome) for check in Store(folder / "snapshots").checks.list("policy")]


def test_sigterm_with_nothing_in_flight_exits_at_once(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "http://127.0.0.1:9/privacy", timeout=5
    )  # refused at once: a failed check
    service = start(config)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not checks(tmp_path):
        time.sleep(0.05)  # waits for the first check's record, not for time to pass
    assert checks(tmp_path) == ["failed"]
    took, log = terminate(service)
    assert service.returncode == 0, log
    assert took < 3.0, f"the service took {took:.1f}s to stop:\n{log}"
