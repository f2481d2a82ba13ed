"""Checks of many pages at once, for a manual `check`: `fetch.concurrency` pages at a time across hosts, each in
its host's turn, and the results handed back in the order the pages were given.

The politeness is the service's own: one `HostGate` (monitor/service/schedule.py) with `per_host_concurrency`
and `per_host_min_gap`, and the fetchers' retry waits go through the gate's `sleep`, so a page waiting for its
retry leaves its host's turn to the others. Store writes are safe from several threads (a connection per thread,
`BEGIN IMMEDIATE`); browser pages go to the fetcher's one browser thread (monitor/fetch/chromium.py), one at a
time.

Stopping: `stop` (the gate's event) ends every wait for a turn at once. The worker threads are daemons and the
caller waits for results in its own thread, so Ctrl-C reaches the caller at once; a check still running then is
abandoned like a killed process, which the pipeline's one-transaction-per-check design already survives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.service.schedule import HostGate

if TYPE_CHECKING:
    from monitor.config.loading import PageConfig
    from monitor.pipeline.check import CheckResult, Context


@dataclass
class _Slot:
    """One page's check: done once `result` or `error` is set."""

    page: PageConfig
    done: threading.Event = field(default_factory=threading.Event)
    result: CheckResult | None = None
    error: BaseException | None = None


def ready_fetchers(ctx: Context, pages: Iterable[PageConfig], gate: HostGate) -> None:
    """Create the fetcher of each renderer the pages use, in this one thread (Context.fetcher() creates one on
    first use, unguarded: two threads could each start a browser), with their retry waits going through the
    gate (out of the host's turn; ended by `stop`)."""
    for renderer in dict.fromkeys(page.renderer for page in pages):
        fetcher = ctx.fetcher(renderer)
        if hasattr(fetcher, "sleep"):
            fetcher.sleep = gate.sleep


def check_in_parallel(
    ctx: Context,
    pages: Iterable[PageConfig],
    *,
    concurrency: int,
    gate: HostGate,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check `pages`, `concurrency` at once, each inside `gate.turn(page.url)`; returns the results in the order
    of `pages`, and hands each to `on_result` (in the caller's thread, in that order) as soon as it and those
    before it are done. An error a check raises (the whole store damaged, say) stops the run: the checks already
    running finish, and it is raised once those before it have been handed over. Ctrl-C stops it at once."""
    from monitor.pipeline.check import check_page

    slots = [_Slot(page) for page in pages]
    ready_fetchers(ctx, [slot.page for slot in slots], gate)
    waiting = iter(slots)
    take = threading.Lock()

    def work() -> None:
        while not gate.stop.is_set():
            with take:
                slot = next(waiting, None)
            if slot is None:
                return
            try:
                with gate.turn(slot.page.url):
                    slot.result = check_page(ctx, slot.page)
            except BaseException as error:  # Stopping too: handed to the caller's thread, raised there
                slot.error = error
            finally:
                slot.done.set()

    workers = [
        threading.Thread(target=work, name=f"check-{n}", daemon=True)
        for n in range(max(1, min(concurrency, len(slots))))
    ]
    for worker in workers:
        worker.start()
    results: list[CheckResult] = []
    try:
        for slot in slots:
            slot.done.wait()
            if slot.error is not None:
                raise slot.error
            assert slot.result is not None  # done without an error: a result
            results.append(slot.result)
            if on_result is not None:
                on_result(slot.result)
    except KeyboardInterrupt:
        gate.stop.set()  # every wait for a turn ends now; the running checks are abandoned with the process
        raise
    except BaseException:
        gate.stop.set()  # no new check starts; those running finish (their results are in the store)
        for worker in workers:
            worker.join()
        raise
    for worker in workers:
        worker.join()
    return results
