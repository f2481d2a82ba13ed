"""`run`, `status`, `digest`, `feed`: the background service and what it reports."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.errors import ExitStatus, UsageError
from monitor.models import isoformat

if TYPE_CHECKING:
    from monitor.service.status import PageStatus

LOG_FIELDS = ("page", "outcome", "version", "reason")
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@", re.I)


class _NoSecrets(logging.Filter):
    """Last line of defence: user:password@ in any URL that reaches a log line is masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _URL_CREDENTIALS.search(message):
            record.msg, record.args = _URL_CREDENTIALS.sub(r"\1***@", message), ()
        return True


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            {name: getattr(record, name) for name in LOG_FIELDS if getattr(record, name, None) is not None}
        )
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


@contextmanager
def service_logging(log_format: str, level: str) -> Iterator[logging.Handler]:
    """Log to stderr for the life of the service (human lines on a terminal, else JSON Lines); undone after."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "auto":
        log_format = "human" if sys.stderr.isatty() else "json"
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%d %H:%M:%S")
        )
    handler.addFilter(_NoSecrets())
    root, scheduler = logging.getLogger(), logging.getLogger("apscheduler")
    saved = root.level, scheduler.level
    root.addHandler(handler)
    root.setLevel(level.upper())
    scheduler.setLevel(logging.WARNING)  # its per-job lines repeat what the service logs
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        scheduler.setLevel(saved[1])


@main.command()
@click.option(
    "--log-format",
    type=click.Choice(["auto", "human", "json"]),
    default="auto",
    show_default=True,
    help="human lines, or JSON Lines (auto: human on a terminal, JSON otherwise, e.g. under systemd).",
)
@click.option(
    "--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True
)
@pass_state
def run(state: State, log_format: str, log_level: str) -> None:
    """Run the service: check each page on its schedule, send the daily digest, keep the feed.

    Runs until SIGTERM or Ctrl-C; one service per store (exit 5 when one already runs).

    Example: privacy-monitor -c /etc/privacy-monitor/config.toml run --log-format json
    """
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service
    from monitor.store.core import Store

    ctx = Context(state.loaded, Store(state.loaded.store_path, clock=state.clock), clock=state.clock)
    with service_logging(log_format, log_level):
        Service(ctx).serve()


def _when(text: str | None, now: datetime, *, due: bool = False) -> str:
    """A stored UTC time to the minute; with `due`, a time already past is marked as due."""
    if text is None:
        return "-"
    from monitor.store.timeline import parse_time

    moment = parse_time(text)
    shown = moment.strftime("%Y-%m-%d %H:%M")
    return f"{shown} (due)" if due and moment <= now else shown


def _status_lines(statuses: list[PageStatus], now: datetime, service_pid: int | None) -> list[str]:
    running = f"running (pid {service_pid})" if service_pid else "not running"
    lines = [f"service: {running}; times in UTC; now {now.strftime('%Y-%m-%d %H:%M')}"]
    header = ("PAGE", "LAST CHECK", "LAST SUCCESS", "LAST CHANGE", "FAILS", "NEXT RUN")
    rows = [
        (s.page, _when(s.last_check, now), _when(s.last_success, now), _when(s.last_change, now),
         str(s.failures), _when(s.next_run, now, due=True))
        for s in statuses
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    for s in statuses:
        if s.failing:
            flag = "FAILING too long" if s.failing_too_long else "failing"
            lines.append(f"{s.page}: {flag} since {s.failing_since}: {s.last_reason or 'failed'}")
    return lines


@main.command()
@json_option
@pass_state
@exits_with
def status(state: State, as_json: bool) -> ExitStatus:
    """Show each page's health: last check, last success, last change, failures, next run.

    Exit status 3 when a page has failed for longer than [service] failing_after (for monitoring).

    Example: privacy-monitor status --json
    """
    from monitor.service.status import service_holder, store_status
    from monitor.store.core import Store

    now = state.clock()
    config = state.loaded.config
    store = Store(state.loaded.store_path, clock=state.clock)
    statuses = store_status(config, store, now)
    pid = service_holder(store.root)
    if as_json:
        data = {
            "time": isoformat(now),
            "service": {"running": pid is not None, "pid": pid},
            "pages": [s.to_json() for s in statuses],
        }
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(_status_lines(statuses, now, pid)))
    return ExitStatus.PAGE_FAILED if any(s.failing_too_long for s in statuses) else ExitStatus.OK


@main.command()
@click.option("--since", help="Start of the period (ISO date or date-time, UTC unless a zone is given).")
@click.option(
    "--print", "action", flag_value="print", default=True, help="Print the plain-text digest (default)."
)
@click.option("--send", "action", flag_value="send", help="Send it to the digest recipients now.")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write it to FILE.eml or FILE.html."
)
@pass_state
def digest(state: State, since: str | None, action: str, out: Path | None) -> None:
    """Build the digest by hand, by default for the period that ended at the last digest time.

    A digest sent by hand is not recorded in the digest ledger: the service still sends its own.

    Example: privacy-monitor digest --since 2026-11-01 --out digest.html
    """
    from monitor.notify.digest import build_digest
    from monitor.notify.digest_mail import DigestMailer, compose, render_html, render_text
    from monitor.notify.email import smtp_send
    from monitor.service.schedule import latest_slot, previous_slot
    from monitor.store.core import Store
    from monitor.store.timeline import parse_time

    now = state.clock()
    loaded = state.loaded
    config = loaded.config
    store = Store(loaded.store_path, clock=state.clock)
    end = latest_slot(now, config.digest)
    if since:
        try:
            start = parse_time(since)
        except ValueError:
            raise UsageError(
                f"--since {since!r}: not a date or date-time (write e.g. 2026-11-01 or 2026-11-01T08:00)"
            ) from None
        end = now
    else:
        start = previous_slot(end, config.digest)
    report = build_digest(store, config, start, end)
    if out is None and action == "print":
        click.echo(render_text(report), nl=False)
        return
    if out is not None and out.suffix.lower() in (".html", ".htm"):
        out.write_text(render_html(report), encoding="utf-8")
        click.echo(f"{out}: digest of {isoformat(start)} to {isoformat(end)} written")
        return
    mailer = DigestMailer(loaded, store, state.clock)
    message_id = f"<digest.manual.{now.strftime('%Y%m%dT%H%M%SZ')}@privacy-monitor.invalid>"
    message = compose(
        report, sender=mailer.email.sender, to=mailer.recipients(), message_id=message_id, now=now
    )
    if out is not None:
        if out.suffix.lower() != ".eml":
            raise UsageError(f"--out {out}: write to a .eml or .html file")
        out.write_bytes(bytes(message))
        click.echo(f"{out}: digest of {isoformat(start)} to {isoformat(end)} written")
    if action == "send":
        smtp_send(mailer.email, loaded.base_dir, message)
        click.echo(
            f"digest of {isoformat(start)} to {isoformat(end)} sent to {', '.join(mailer.recipients())}"
        )


@main.command()
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Newest changes kept."
)
@pass_state
def feed(state: State, out: Path, limit: int) -> None:
    """Write the Atom feed of changes (the service keeps one in the store, see [service] feed).

    Example: privacy-monitor feed --out /var/www/html/privacy.atom
    """
    from monitor.notify.feed import write_feed
    from monitor.store.core import Store

    entries = write_feed(
        Store(state.loaded.store_path, clock=state.clock), state.loaded.config, out, limit=limit
    )
    click.echo(f"{out}: {entries} entr{'y' if entries == 1 else 'ies'}")
