"""`check`: check pages now, record what they say, deliver the run's alerts; one line per page."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from monitor.cli.commands.store_cmds import open_store, outcome_label, short
from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.cli.output import (
    SEVERITY_COLORS,
    Progress,
    find_page,
    json_line,
    paint,
    plural,
    say,
    with_hint,
)
from monitor.errors import ExitStatus
from monitor.models import Outcome

if TYPE_CHECKING:
    from monitor.pipeline.check import CheckResult


def describe(result: CheckResult, width: int = 0) -> str:
    """One human line per check: what happened, and why when it failed."""
    record = result.record
    if record.outcome == Outcome.FAILED:
        detail = with_hint(record.reason) or "failed"
    elif record.outcome == Outcome.CHANGED:
        counts = record.changes.get("by_class", {}) if record.changes else {}
        parts = [f"{n} {cls}" for cls, n in sorted(counts.items()) if n]
        detail = f"{short(record.previous)} -> {short(record.version)}"
        detail += f" ({', '.join(parts)})" if parts else ""
        if record.cosmetic:
            detail += " [cosmetic only]"
    else:
        detail = short(record.version)
    if result.alerts:
        detail += f"; {plural(len(result.alerts), 'alert')}"
    if record.outcome != Outcome.FAILED and record.reason:
        detail += f"; warning: {record.reason}"
    return f"{record.page:<{width}}  {outcome_label(record.outcome)}  {detail}"


def alert_lines(result: CheckResult) -> list[str]:
    """One line per alert a check raised: severity, watch, what happened, page."""
    return [
        f"  alert {paint(alert.severity, SEVERITY_COLORS.get(alert.severity))}: "
        f"watch {alert.watch} {alert.label} on {alert.page}"
        for alert in result.alerts
    ]


@main.command()
@click.argument("pages", nargs=-1)
@json_option
@pass_state
@exits_with
def check(state: State, pages: tuple[str, ...], as_json: bool) -> ExitStatus:
    """Fetch pages now, store new versions, evaluate watches and send alerts.

    Checks every configured page, or only the PAGES given (by id), `[fetch] concurrency` pages at once
    (one host: `per_host_concurrency` at a time, starts `per_host_min_gap` apart); results are printed in
    the order of the config. On a terminal, a progress line on stderr shows the pages done, the page
    awaited and the time taken.
    Exit status 3 when a page failed; 6 when an alert could not be sent (it stays in the outbox). With no
    notifier configured, alerts are kept for the digest and `watches` (exit status 0: nothing failed).

    Example: privacy-monitor check facebook-privacy-policy-en --json
    """
    from monitor.fetch.gate import HostGate
    from monitor.pipeline.check import Context
    from monitor.pipeline.parallel import check_in_parallel

    config = state.loaded.config
    selected = [find_page(config, page_id) for page_id in pages] if pages else list(config.pages)
    if not selected:
        say("No pages configured (add one with `privacy-monitor add URL`).")
        return ExitStatus.OK
    ctx = Context(state.loaded, open_store(state), clock=state.clock)
    width = max(len(page.id) for page in selected)
    progress = Progress(len(selected), enabled=False if as_json else None)

    def report(result: CheckResult) -> None:
        progress.clear()
        if as_json:
            json_line(result.to_json())
            return
        say(describe(result, width))
        for line in alert_lines(result):
            say(line)

    fetch = config.fetch
    gate = HostGate(fetch.per_host_concurrency, fetch.per_host_min_gap)
    awaited = progress.track(selected)  # advanced as each result, in config order, is handed over

    def report_next(result: CheckResult) -> None:
        report(result)
        next(awaited, None)

    try:
        with sigterm_interrupts():
            next(awaited, None)
            results = check_in_parallel(
                ctx, selected, concurrency=fetch.concurrency, gate=gate, on_result=report_next
            )
    finally:
        progress.clear()
        ctx.close()
    undelivered = [line for result in results for line in result.undelivered]
    for line in undelivered:
        say(line, err=as_json)
    raised = sum(len(result.alerts) for result in results)
    if raised:  # the notify stage loads only for a run that raised alerts
        from monitor.notify.base import has_notifier, kept_for_digest

        if not has_notifier(config.notify):  # nothing failed: kept, and said where (exit 0)
            say(kept_for_digest(raised, state.loaded.path), err=as_json)
    failed = any(result.record.outcome == Outcome.FAILED for result in results)
    if failed:
        return ExitStatus.PAGE_FAILED
    return ExitStatus.DELIVERY_FAILED if undelivered else ExitStatus.OK


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a run as Ctrl-C does (the waits end, the browser is closed, exit status 130), not by
    killing the process under its browser. Only the main thread can take signals (not under a test runner's
    thread): elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
