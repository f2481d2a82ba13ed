"""Checks of many pages at once, for a manual `check`: `fetch.concurrency` pages at a time across hosts, each
fetched in its host's turn, and the results handed back in the order the pages were given.

The politeness is the service's own: one `HostGate` (monitor/fetch/gate.py) with `per_host_concurrency`
and `per_host_min_gap`, and the fetchers' retry waits go through the gate's `sleep`, so a page waiting for its
retry leaves its host's turn to the others. Browser pages go to the fetcher's one browser thread
(monitor/fetch/chromium.py), one at a time.

Worker threads only fetch. The rest of each check (extract, classify, store, diff, watches) runs in the
caller's thread, in the order the fetches end: that work holds the GIL, so more threads would only take turns
at it, and every turn costs a switch (ten threads finishing checks made four times the context switches of
one, and a fifth more CPU time). One thread also writes the store through one connection, whose page cache no
other thread's write invalidates; the pages fetched by the time it turns to them are finished in one turn, the
unchanged ones on the fast path recorded in one transaction (batch.py). At most `concurrency` pages are in hand
at once, fetching or waiting to be finished, so a slow early page never piles up the captures behind it.

Stopping: `stop` (the gate's event) ends every wait for a turn at once. The worker threads are daemons and the
caller's thread is the one that records, so Ctrl-C reaches it at once; a check then half done is abandoned like
a killed process, which the pipeline's one-transaction-per-check design already survives.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.fetch.gate import HostGate

if TYPE_CHECKING:
    from monitor.config.loading import PageConfig
    from monitor.pipeline.capture import Context, PendingCheck
    from monitor.pipeline.check import CheckResult


@dataclass
class _Slot:
    """One page's check: done once `result` or `error` is set."""

    page: PageConfig
    pending: PendingCheck | None = None
    result: CheckResult | None = None
    error: BaseException | None = None
    planned: threading.Event = field(default_factory=threading.Event)  # `pending` (or `error`) is set

    @property
    def url(self) -> str:
        """Where its fetch goes: the page as `plan_check` read it (a declaration page's declaration, read now)."""
        now = self.pending.page if self.pending is not None else None
        return (now or self.page).url


def check_in_parallel(
    ctx: Context,
    pages: Iterable[PageConfig],
    *,
    concurrency: int,
    gate: HostGate,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Check `pages`, `concurrency` at once, each fetched inside its host's `gate.turn`; returns the results in
    the order of `pages`, and hands each to `on_result` (in the caller's thread, in that order) as soon as it and
    those before it are done. An error a check raises (the whole store damaged, say) stops the run: no new fetch
    starts, the pages already fetched are finished, and it is raised once those before it have been handed
    over. Ctrl-C stops it at once."""
    from monitor.pipeline.capture import fetch_for_check, plan_check
    from monitor.pipeline.deliver import deliver_run

    slots = [_Slot(page) for page in pages]
    ctx.use_gate(gate)  # each fetcher is made on first use, by the worker that needs it (Context.fetcher)
    # Each page's state is read in this thread (in the workers, each read waited for the others'): the first
    # wave's before any worker starts, the others' while that wave is on the network.
    first_wave = max(1, min(concurrency, len(slots)))
    for slot in slots[:first_wave]:
        slot.pending = plan_check(ctx, slot.page)
        slot.planned.set()
    waiting = iter(slots)
    take = threading.Lock()
    in_hand = threading.Semaphore(max(1, concurrency))  # released when the caller has finished a page
    fetched: queue.SimpleQueue[_Slot] = queue.SimpleQueue()
    taken = [0]

    def work() -> None:
        while True:
            in_hand.acquire()
            with take:
                slot = None if gate.stop.is_set() else next(waiting, None)
                taken[0] += slot is not None
            if slot is None:
                in_hand.release()  # for the next worker, which then ends too
                return
            slot.planned.wait()
            try:
                if slot.error is None:  # else reading the states of the pages failed: nothing to fetch
                    with gate.turn(slot.url):
                        slot.pending = fetch_for_check(ctx, slot.page, slot.pending)
            except BaseException as error:  # Stopping too: handed to the caller's thread, raised there
                slot.error = error
            finally:
                fetched.put(slot)

    workers = [threading.Thread(target=work, name=f"check-{n}", daemon=True) for n in range(first_wave)]
    for worker in workers:
        worker.start()
    results: list[CheckResult] = []
    finished = 0
    failure: BaseException | None = None
    try:
        failure = _plan_the_rest(ctx, slots[first_wave:])
        if failure is not None:
            gate.stop.set()  # no worker takes another page; those taken are finished and handed over first
        while finished < (len(slots) if failure is None else _taken(take, taken)):
            ready = [fetched.get()]
            while not fetched.empty():  # every page fetched by now is finished in this turn
                ready.append(fetched.get())
            finished += len(ready)
            try:
                _finish(ctx, ready)
            finally:
                for slot in ready:
                    slot.pending = None  # its capture is no longer needed
                    if slot.error is not None and failure is None:
                        failure = slot.error
                        gate.stop.set()  # before the release below: no worker takes another page
                    in_hand.release()
            while len(results) < len(slots) and slots[len(results)].result is not None:
                result = slots[len(results)].result
                assert result is not None
                results.append(result)
                if on_result is not None:
                    on_result(result)
    except KeyboardInterrupt:
        gate.stop.set()  # every wait for a turn ends now; the fetches under way are abandoned with the process
        for slot in slots:
            slot.planned.set()
        raise
    for worker in workers:
        worker.join()
    if failure is not None:
        raise failure
    deliver_run(ctx, results)  # once, for the whole run, with the notifiers built once
    return results


def _finish(ctx: Context, ready: list[_Slot]) -> None:
    """Finish the checks of `ready` (fetched), setting each slot's result or error: those on the unchanged fast
    path are recorded together (batch.py), the others each in its own transaction as it is decided."""
    from monitor.pipeline.batch import Batch
    from monitor.pipeline.capture import plan_check
    from monitor.pipeline.check import check_page

    batch = Batch()
    batched: list[tuple[_Slot, CheckResult]] = []
    for slot in ready:
        if slot.error is not None:
            continue
        try:
            waiting = len(batch.waiting)
            result = check_page(ctx, slot.page, slot.pending, batch=batch)
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            slot.error = error
            continue
        if len(batch.waiting) > waiting:
            batched.append((slot, result))
        else:
            slot.result = result
    if not batched:
        return
    for (slot, result), recorded in zip(batched, batch.commit(ctx.store), strict=True):
        if isinstance(recorded, Exception):
            slot.error = recorded
            continue
        if recorded:
            slot.result = result
            continue
        try:  # another writer moved the page since its state was read: checked again against it as it is now
            assert slot.pending is not None
            now = plan_check(ctx, slot.page)
            slot.pending.state, slot.pending.damaged = now.state, now.damaged
            slot.result = check_page(ctx, slot.page, slot.pending)
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            slot.error = error


def _plan_the_rest(ctx: Context, slots: list[_Slot]) -> BaseException | None:
    """Read the state of each of `slots` in order, each handed to the worker waiting for it at once; the error
    that stopped the reading (the store's database unreadable), set on every slot left, else None."""
    from monitor.pipeline.capture import plan_check

    for index, slot in enumerate(slots):
        try:
            slot.pending = plan_check(ctx, slot.page)
        except Exception as error:  # noqa: BLE001 - raised by the caller once the pages before are handed over
            for rest in slots[index:]:
                rest.error = error
                rest.planned.set()
            return error
        slot.planned.set()
    return None


def _taken(take: threading.Lock, taken: list[int]) -> int:
    with take:
        return taken[0]
