"""`run`: the background service, and its logging (human lines on a terminal, JSON Lines otherwise)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Any

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import human_time, human_times, terminal_safe

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


class HumanLines(logging.Formatter):
    """One line per event for a terminal, its times as every human line has them (the digest's time zone, to
    the minute, with the zone: the line's own and any ISO time in the message); what a server sent (a failure
    reason) is made terminal-safe."""

    def __init__(self, zone: tzinfo = UTC) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s")
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        return human_time(datetime.fromtimestamp(record.created, UTC), self.zone)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return human_times(super().formatMessage(record), self.zone)

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(super().format(record), colour=False)


@contextmanager
def service_logging(log_format: str, level: str, zone: tzinfo = UTC) -> Iterator[logging.Handler]:
    """Log to stderr for the life of the service (human lines on a terminal, else JSON Lines); undone after."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "auto":
        log_format = "human" if sys.stderr.isatty() else "json"
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(HumanLines(zone))
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

    Runs until SIGTERM or Ctrl-C (running checks get a few seconds, then their fetches are cut: the
    service is gone within 10 s); one service per store (exit 5 when one already runs).

    Example: privacy-monitor -c /etc/privacy-monitor/config.toml run --log-format json
    """
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service
    from monitor.store.core import Store

    ctx = Context(state.loaded, Store(state.loaded.store_path, clock=state.clock), clock=state.clock)
    with service_logging(log_format, log_level, state.zone) as handler:
        service = Service(ctx)
        service.serve()
        handler.flush()
    if service.abandoned:
        # A thread still stuck in a fetch would hold the interpreter's exit (it joins its threads) past the
        # stop's bound; what it was doing is not recorded, as after a kill, so the process ends here.
        sys.stdout.flush()
        os._exit(0)
