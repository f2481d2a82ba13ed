"""`check` runs `[fetch] concurrency` pages at once, with the service's per-host limits, and prints in config order.

Real loopback servers, one per host (127.0.0.1, 127.0.0.2, 127.0.0.3: all of 127/8 is loopback on Linux), that
note on their side when each request arrived and how many were in flight, so the assertions are about what the
servers saw, never about how long the test took.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from service_support import FakeClock

from monitor.cli.main import State, main
from monitor.config.loading import load_config
from monitor.errors import ExitStatus, StoreError
from monitor.pipeline.batch import Batch
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store

HOSTS = ("127.0.0.1", "127.0.0.2", "127.0.0.3")
POLICY = """<html><head><title>Privacy Policy {name}</title></head><body><main><h1>Privacy Policy {name}</h1>
<p>We use information to develop and improve our products, on the basis of legitimate interests. You can object
to this use at any time in the settings of your account. {name}</p>
<p>This policy explains how we collect, use and share information, and how long we keep it, in words that we
hope are clear enough for everyone who uses our products and services every day.</p></main></body></html>"""


class Sites:
    """One server per host; each request notes (host, path, monotonic arrival) and the host's requests in
    flight. A path's delay (seconds before answering) and status are set per test."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[str, str, float]] = []
        self.answered: list[str] = []  # paths in the order their answers were sent
        self.in_flight: dict[str, int] = dict.fromkeys(HOSTS, 0)
        self.most_in_flight: dict[str, int] = dict.fromkeys(HOSTS, 0)
        self.total_in_flight = self.most_total = 0
        self.delays: dict[str, float] = {}
        self.statuses: dict[str, int] = {}
        self.release = threading.Event()  # set: every delayed answer goes at once
        self.lock = threading.Lock()
        self.servers = [self._server(host) for host in HOSTS]

    def _server(self, host: str) -> ThreadingHTTPServer:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                with sites.lock:
                    sites.arrivals.append((host, self.path, time.monotonic()))
                    sites.in_flight[host] += 1
                    sites.total_in_flight += 1
                    sites.most_in_flight[host] = max(sites.most_in_flight[host], sites.in_flight[host])
                    sites.most_total = max(sites.most_total, sites.total_in_flight)
                try:
                    sites.release.wait(sites.delays.get(self.path, 0.0))
                    body = POLICY.format(name=self.path.strip("/")).encode()
                finally:
                    # Done before the answer goes: once the client has it, it may send the host's next request
                    # before this thread would get to count this one out.
                    with sites.lock:
                        sites.answered.append(self.path)
                        sites.in_flight[host] -= 1
                        sites.total_in_flight -= 1
                self.send_response(sites.statuses.get(self.path, 200))
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((host, 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server

    def url(self, host: str, path: str) -> str:
        server = self.servers[HOSTS.index(host)]
        return f"http://{host}:{server.server_port}{path}"

    def close(self) -> None:
        self.release.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def sites() -> Iterator[Sites]:
    sites = Sites()
    yield sites
    sites.close()


def write_config(folder: Path, sites: Sites, pages: list[tuple[str, str, str]], **fetch: Any) -> Path:
    settings = {"retries": 0, "timeout": 20, "per_host_min_gap": 0, **fetch}
    lines = ["[fetch]", *(f"{key} = {json.dumps(value)}" for key, value in settings.items()), ""]
    for page_id, host, path in pages:
        lines += [
            "[[pages]]",
            f'id = "{page_id}"',
            f'url = "{sites.url(host, path)}"',
            'select = ["main"]',
            "",
        ]
    config = folder / "config.toml"
    config.write_text("\n".join(lines))
    return config


def run(config: Path, *args: str) -> tuple[int, str]:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    result = CliRunner().invoke(main, ["-c", str(config), "check", *args], obj=State(clock=clock))
    return result.exit_code, result.output


def test_results_come_in_config_order_whatever_order_the_pages_finish(tmp_path: Path, sites: Sites) -> None:
    # The first page answers last: the others are done long before it.
    pages = [(f"page-{n}", HOSTS[n % 3], f"/p{n}") for n in range(6)]
    sites.delays["/p0"] = 1.0
    config = write_config(tmp_path, sites, pages, concurrency=6, per_host_concurrency=2)
    code, output = run(config)
    assert code == ExitStatus.OK, output
    assert [line.split()[0] for line in output.splitlines()] == [page_id for page_id, _, _ in pages]
    assert sites.answered[-1] == "/p0"  # it finished last; it was still the first printed

    sites.arrivals.clear()
    code, output = run(config, "--json")
    assert code == ExitStatus.OK, output
    assert [json.loads(line)["page"] for line in output.splitlines()] == [page_id for page_id, _, _ in pages]


def test_pages_run_at_once_across_hosts_and_one_host_keeps_its_limit(tmp_path: Path, sites: Sites) -> None:
    # Every page waits until released, so the servers see how many are in flight at once.
    pages = [(f"page-{n}", HOSTS[n % 3], f"/p{n}") for n in range(6)]
    for _, _, path in pages:
        sites.delays[path] = 30.0
    config = write_config(tmp_path, sites, pages, concurrency=4, per_host_concurrency=1)

    def release_when_four_are_in() -> None:
        for _ in range(400):
            with sites.lock:
                if sites.total_in_flight >= 3 or len(sites.arrivals) >= len(pages):
                    break
            time.sleep(0.05)
        time.sleep(0.2)  # a fourth request on a host already busy would arrive now
        sites.release.set()

    releaser = threading.Thread(target=release_when_four_are_in)
    releaser.start()
    code, output = run(config)
    releaser.join()
    assert code == ExitStatus.OK, output
    assert sites.most_total == 3  # concurrency 4, but three hosts of one request each
    assert max(sites.most_in_flight.values()) == 1  # per_host_concurrency = 1
    assert len(sites.arrivals) == len(pages)


def test_starts_on_one_host_are_per_host_min_gap_apart(tmp_path: Path, sites: Sites) -> None:
    gap = 0.8
    pages = [(f"same-{n}", HOSTS[0], f"/s{n}") for n in range(3)] + [("other", HOSTS[1], "/o")]
    config = write_config(tmp_path, sites, pages, concurrency=4, per_host_concurrency=3, per_host_min_gap=gap)
    code, output = run(config)
    assert code == ExitStatus.OK, output
    starts = sorted(moment for host, _, moment in sites.arrivals if host == HOSTS[0])
    assert len(starts) == 3
    # Arrival times at the server: a request arrives a little after the gate let it start, by its connection's
    # set-up, which on a loaded machine (the suite runs two workers on two cores) can take a tenth of a second
    # longer for one request than for the next; without the gate the three would arrive at once.
    assert all(later - earlier >= gap - 0.2 for earlier, later in zip(starts, starts[1:], strict=False))
    other = [moment for host, _, moment in sites.arrivals if host == HOSTS[1]]
    assert other[0] - starts[0] < gap  # another host does not wait for this one's gap


def test_one_failing_page_does_not_stop_the_others(tmp_path: Path, sites: Sites) -> None:
    pages = [(f"page-{n}", HOSTS[n % 3], f"/p{n}") for n in range(5)]
    sites.statuses["/p1"] = 503
    config = write_config(tmp_path, sites, pages, concurrency=3, per_host_concurrency=2)
    code, output = run(config)
    assert code == ExitStatus.PAGE_FAILED, output
    lines = output.splitlines()
    assert [line.split()[0] for line in lines] == [page_id for page_id, _, _ in pages]
    assert "failed" in lines[1] and "HTTP 503" in lines[1]
    assert all(" new " in f" {line} " for index, line in enumerate(lines) if index != 1)


def test_parallel_checks_all_land_in_one_store(tmp_path: Path, sites: Sites) -> None:
    """Many pages fetched at once, every one recorded (by the one thread that writes): none lost."""
    pages = [(f"page-{n:02d}", HOSTS[n % 3], f"/p{n}") for n in range(24)]
    config = write_config(tmp_path, sites, pages, concurrency=8, per_host_concurrency=4)
    for _ in range(2):
        code, output = run(config)
        assert code == ExitStatus.OK, output
    store = Store(tmp_path / "snapshots")
    for page_id, _, _ in pages:
        checks = store.checks.list(page_id)
        assert [str(check.outcome) for check in checks] == ["new", "unchanged"]
        assert store.versions.current(page_id) is not None


def test_a_page_another_writer_moves_before_its_batch_commits_is_checked_again(
    tmp_path: Path, sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged pages finished together are recorded in one transaction (pipeline/batch.py). Another writer
    records a version of page-1 just before it commits: the batch writes nothing for page-1, which is checked
    again against that version, and the others are recorded as they were decided."""
    pages = [(f"page-{n}", HOSTS[0], f"/p{n}") for n in range(4)]
    config = write_config(tmp_path, sites, pages, concurrency=4, per_host_concurrency=4)
    assert run(config)[0] == ExitStatus.OK
    loaded = load_config(config)
    elsewhere = loaded.config.pages[1].model_copy(update={"url": sites.url(HOSTS[0], "/moved")})
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    commit = Batch.commit
    moved: list[str | None] = []

    def another_writer_first(self: Batch, store: Store) -> Any:
        if not moved:  # once, before the first batch commits
            other = Context(loaded, Store(store.root), clock=clock, deliver=False)
            moved.append(check_page(other, elsewhere).record.version)
        return commit(self, store)

    monkeypatch.setattr(Batch, "commit", another_writer_first)
    code, output = run(config)
    assert code == ExitStatus.OK, output
    assert [line.split()[:2] for line in output.splitlines()] == [
        ["page-0", "unchanged"], ["page-1", "changed"], ["page-2", "unchanged"], ["page-3", "unchanged"],
    ]  # fmt: skip
    store = Store(tmp_path / "snapshots")
    assert [str(check.outcome) for check in store.checks.list("page-1")] == ["new", "changed", "changed"]
    versions = [version.id for version in store.versions.list("page-1")]
    assert versions[1] == moved[0] and versions[0] == versions[2] != moved[0]  # back to what page-1 says
    for page_id in ("page-0", "page-2", "page-3"):
        assert [str(check.outcome) for check in store.checks.list(page_id)] == ["new", "unchanged"]
    assert store.verify().ok


def test_a_check_that_cannot_be_recorded_keeps_none_of_its_batch_from_their_record(
    tmp_path: Path, sites: Sites
) -> None:
    """page-1's stored text is gone when three unchanged checks are recorded together: page-1's record is
    refused with its own error, and page-0's and page-2's are recorded as if each had been alone."""
    pages = [(f"page-{n}", HOSTS[n], f"/p{n}") for n in range(3)]
    config = write_config(tmp_path, sites, pages, concurrency=3, per_host_concurrency=1)
    assert run(config)[0] == ExitStatus.OK
    for blob in (tmp_path / "snapshots" / "pages" / "page-1" / "texts").glob("*.md.gz"):
        blob.unlink()
    loaded = load_config(config)
    clock = FakeClock(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    ctx = Context(loaded, Store(tmp_path / "snapshots"), clock=clock, deliver=False)
    batch = Batch()
    for page in loaded.config.pages:
        check_page(ctx, page, batch=batch)
    assert len(batch.waiting) == 3  # all three on the unchanged fast path
    first, second, third = batch.commit(ctx.store)
    assert first is True and third is True
    assert isinstance(second, StoreError) and "missing" in str(second)
    store = Store(tmp_path / "snapshots")
    outcomes = {
        page_id: [str(check.outcome) for check in store.checks.list(page_id)] for page_id, _, _ in pages
    }
    assert outcomes == {"page-0": ["new", "unchanged"], "page-1": ["new"], "page-2": ["new", "unchanged"]}


def test_a_store_failing_mid_run_stops_it_after_the_pages_before(
    tmp_path: Path, sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The disk failing under the database is a fault no real store here gives on cue: injected at one page.
    original = Store.commit_check

    def failing(self: Store, record: Any, **writes: Any) -> bool:
        if record.page == "page-2":
            raise StoreError(f"{self.root}: cannot commit (disk I/O error); check the store folder")
        return original(self, record, **writes)

    monkeypatch.setattr(Store, "commit_check", failing)
    pages = [(f"page-{n}", HOSTS[0], f"/p{n}") for n in range(6)]
    config = write_config(tmp_path, sites, pages, concurrency=1, per_host_concurrency=1)
    code, output = run(config)
    assert code == ExitStatus.STORE_DAMAGED, output
    lines = output.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["page-0", "new"], ["page-1", "new"]]
    assert lines[2:] == [
        f"Error: {tmp_path / 'snapshots'}: cannot commit (disk I/O error); check the store folder"
    ]
    assert [path for _, path, _ in sites.arrivals] == ["/p0", "/p1", "/p2"]  # no page fetched after it


def test_a_store_failing_while_later_pages_are_read_stops_the_run_after_the_pages_before(
    tmp_path: Path, sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The states of the pages after the first wave are read while it is on the network; the database failing
    # at the fourth page's read is a fault no real store here gives on cue: injected.
    original = Store.page_state

    def failing(self: Store, page_id: str) -> Any:
        if page_id == "page-3":
            raise StoreError(f"{self.root}: cannot read (disk I/O error)")
        return original(self, page_id)

    monkeypatch.setattr(Store, "page_state", failing)
    pages = [(f"page-{n}", HOSTS[n % 3], f"/p{n}") for n in range(6)]
    config = write_config(tmp_path, sites, pages, concurrency=2, per_host_concurrency=1)
    code, output = run(config)
    assert code == ExitStatus.STORE_DAMAGED, output
    lines = output.splitlines()
    assert lines[-1] == f"Error: {tmp_path / 'snapshots'}: cannot read (disk I/O error)"
    checked = [line.split()[:2] for line in lines[:-1]]
    assert checked == [[f"page-{n}", "new"] for n in range(len(checked))]  # in order, each before the error
    assert 2 <= len(checked) <= 3  # the first wave, and the page a worker may have taken before the error
    assert {path for _, path, _ in sites.arrivals} <= {
        "/p0",
        "/p1",
        "/p2",
    }  # none fetched from the failing one on


def test_sigterm_stops_a_parallel_check_cleanly(tmp_path: Path, sites: Sites) -> None:
    pages = [(f"page-{n}", HOSTS[n % 3], f"/p{n}") for n in range(6)]
    for _, _, path in pages:
        sites.delays[path] = 60.0  # nothing answers before the signal
    config = write_config(tmp_path, sites, pages, concurrency=3, per_host_concurrency=1)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(config), "check"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        for _ in range(600):
            with sites.lock:
                if sites.total_in_flight >= 3:
                    break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == ExitStatus.INTERRUPTED, stderr
    assert "Interrupted." in stderr
    assert len(sites.arrivals) == 3  # the queued pages never started


@pytest.mark.browser
def test_parallel_browser_pages_share_the_one_browser_thread(
    tmp_path: Path, sites: Sites, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.fetch.browser as browser

    threads: list[Any] = []
    original = browser.BrowserThread.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        threads.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(browser.BrowserThread, "__init__", counted)
    pages = [(f"page-{n}", HOSTS[n % 3], f"/b{n}") for n in range(4)]
    config = write_config(tmp_path, sites, pages, concurrency=4, per_host_concurrency=2)
    config.write_text(
        config.read_text().replace('select = ["main"]', 'select = ["main"]\nrenderer = "browser"')
    )
    code, output = run(config)
    assert code == ExitStatus.OK, output
    assert [line.split()[:2] for line in output.splitlines()] == [[page_id, "new"] for page_id, _, _ in pages]
    assert len(threads) == 1  # one fetcher, one browser thread, for every worker
