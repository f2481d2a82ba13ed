"""A pull that switches a declaration page's renderer after the service started: the new renderer's fetcher is
made in the worker thread that checks the page, once, with its waits under the service's politeness.

- Its retry waits go through the host gate, as the fetchers made at the start do: a stop ends them at once,
  and the interrupted check is not recorded (the page stays due).
- Two checks switched to the browser at the same moment make one fetcher, so one Chromium.
- Playwright's sync API is bound to the thread that started it; the browser fetcher drives Chromium from a
  thread of its own, so checks in any worker thread share it and the main thread closes it.

Real service, real declarations in a checkout the test rewrites (a `git pull`), pages served on loopback.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config, utc
from werkzeug import Request, Response

from monitor.fetch.browser import MARKER_ENV, BrowserFetcher
from monitor.models import Outcome
from monitor.pipeline.check import CheckResult, Context
from monitor.registry import FETCHERS
from monitor.service.runner import Service
from monitor.store.core import Store

FILLER = "<p>We keep the information you give us only as long as we need it to run the service.</p>" * 4
PAGE = f"<html><body><div id='terms'><h1>Terms</h1>{FILLER}</div></body></html>"


def declare(checkout: Path, terms: dict[str, dict[str, object]]) -> None:
    """`checkout/declarations/Example.json` declaring `terms` (terms type -> entry), as a pull leaves it."""
    file = checkout / "declarations" / "Example.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps({"name": "Example", "terms": terms}), encoding="utf-8")


def start(checkout: Path, tmp_path: Path, terms_types: list[str], **fetch: object) -> Service:
    """What `privacy-monitor run` builds for pages following the checkout's declaration (one per terms type)."""
    pages = [
        {"id": f"page-{n}", "declaration": {"path": str(checkout), "service": "Example", "terms": terms}}
        for n, terms in enumerate(terms_types)
    ]
    config = make_config(
        pages,
        fetch={"timeout": 10, "per_host_min_gap": 0, **fetch},
        service={"default_schedule": "every 12h", "jitter": "0s"},
    )
    clock = FakeClock(utc("2026-05-01 08:00"))
    return Service(Context(loaded(config, tmp_path), Store(tmp_path / "store", clock=clock), clock=clock))


def in_threads(*checks: Callable[[], CheckResult | None]) -> list[CheckResult | None]:
    """Each check in a thread of its own, all at once, as the scheduler's workers run them."""
    results: list[CheckResult | None] = [None] * len(checks)

    def run(n: int) -> None:
        results[n] = checks[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(checks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_a_page_switched_to_http_waits_for_its_retry_through_the_gate_so_a_stop_ends_the_wait(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    url = httpserver.url_for("/terms")
    declare(checkout, {"Terms of Service": {"fetch": url, "select": "#terms", "executeClientScripts": True}})
    service = start(checkout, tmp_path, ["Terms of Service"], retries=1)  # only a browser fetcher so far

    def answer(request: Request) -> Response:
        service.stop.set()  # SIGTERM arrives while the server asks for a second
        return Response("busy", status=503, headers={"Retry-After": "1"})

    httpserver.expect_request("/terms").respond_with_handler(answer)
    declare(checkout, {"Terms of Service": {"fetch": url, "select": "#terms"}})  # a pull: plain HTTP now
    page = service.config.pages[0]

    [result] = in_threads(lambda: service.check(page))

    assert result is None  # stopped in its retry wait: not retried, not recorded
    assert service.store.checks.last(page.id) is None
    assert len(httpserver.log) == 1


def _our_chromiums() -> list[int]:
    """Live processes started from this test process that carry the browser fetcher's marker."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            marked = any(
                var.startswith(f"{MARKER_ENV}=".encode())
                for var in (entry / "environ").read_bytes().split(b"\0")
            )
        except OSError:
            continue
        if marked and _descends_from(int(entry.name), os.getpid()):
            found.append(int(entry.name))
    return found


def _descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the state: the parent's pid
        if pid == ancestor:
            return True
    return False


class CountedBrowserFetcher(BrowserFetcher):
    """The browser fetcher, counting how many are made. Each takes a moment to make, room for a second check
    to start making one alongside (what two unguarded checks would do), so the race is not left to chance."""

    made: list[CountedBrowserFetcher] = []

    def __init__(self, *args: object, **kwargs: object) -> None:
        threading.Event().wait(0.5)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        CountedBrowserFetcher.made.append(self)


@pytest.fixture
def counted_browsers() -> Iterator[list[CountedBrowserFetcher]]:
    CountedBrowserFetcher.made = []
    FETCHERS.register(CountedBrowserFetcher)
    try:
        yield CountedBrowserFetcher.made
    finally:
        FETCHERS.register(BrowserFetcher)


@pytest.mark.browser
def test_pages_switched_to_the_browser_share_one_chromium_across_worker_threads_closed_from_the_main_thread(
    httpserver: HTTPServer, tmp_path: Path, counted_browsers: list[CountedBrowserFetcher]
) -> None:
    httpserver.expect_request("/terms").respond_with_data(PAGE, content_type="text/html")
    httpserver.expect_request("/privacy").respond_with_data(PAGE, content_type="text/html")
    checkout = tmp_path / "checkout"
    entries = {
        "Terms of Service": {"fetch": httpserver.url_for("/terms"), "select": "#terms"},
        "Privacy Policy": {"fetch": httpserver.url_for("/privacy"), "select": "#terms"},
    }
    declare(checkout, entries)
    service = start(checkout, tmp_path, list(entries), retries=0)  # plain HTTP at the start
    declare(checkout, {key: {**entry, "executeClientScripts": True} for key, entry in entries.items()})
    first, second = service.config.pages

    results = in_threads(lambda: service.check(first), lambda: service.check(second))

    assert [r.record.outcome if r else None for r in results] == [Outcome.NEW, Outcome.NEW]
    assert [r.record.renderer if r else None for r in results] == ["browser", "browser"]
    assert len(counted_browsers) == 1  # two checks at once, one fetcher: one Chromium
    [again] = in_threads(lambda: service.check(first))  # another worker thread drives the same browser
    assert again is not None and again.record.outcome == Outcome.UNCHANGED
    assert len(counted_browsers) == 1

    service.ctx.close()  # the main thread ends what worker threads started

    assert _our_chromiums() == []
