"""`privacy-monitor import`: start a page with its public history (a git repository or a folder of dated files)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import Progress, find_page, say
from monitor.errors import UsageError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse_bound(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date (with `end_of_day`: through the end of that UTC day) or date-time (UTC unless zoned)."""
    from monitor.store.timeline import parse_time

    if value is None:
        return None
    try:
        moment = parse_time(value.strip())
        if end_of_day and _DATE.match(value.strip()):
            moment += timedelta(days=1) - timedelta(microseconds=1)
    except ValueError:
        raise UsageError(f"{option} {value!r}: not a date or date-time (write e.g. 2024-01-01)") from None
    except OverflowError:  # a zone that shifts year 1 or 9999 out of what a date can hold
        raise UsageError(
            f"{option} {value!r}: out of range in UTC (write a date from 0001-01-02 to 9999-12-30)"
        ) from None
    return moment


@main.command("import")
@click.argument("page")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--path", "file", metavar="FILE", help="SOURCE is a git repository: the document's file in it.")
@click.option("--since", help="Only versions dated from this date or date-time on.")
@click.option("--until", help="Only versions dated up to this date (through its end) or date-time.")
@pass_state
def import_(
    state: State, page: str, source: Path, file: str | None, since: str | None, until: str | None
) -> None:
    """Import a page's history: every commit of FILE in a git repository, or a folder of dated files.

    \b
    A folder holds files named from their date: 2025-06-01.md (Open Terms Archive Markdown),
    2025-06-01T12-30-00Z.html (a raw capture, judged as a check judges it: a login wall is a
    failed record, not a version) or .txt. Imported versions join the page's timeline by date,
    raise no alerts and are no digest's news; importing the same source again adds nothing.
    On a terminal, a progress line on stderr shows the versions read of the total.

    Example: privacy-monitor import facebook-privacy-policy-en ../pga-versions --path "Facebook/Privacy Policy.md"
    """
    from monitor.imports.run import import_versions, select
    from monitor.imports.sources import open_source
    from monitor.pipeline.check import Context
    from monitor.store.core import Store

    config_page = find_page(state.loaded.config, page)
    start = parse_bound(since, "--since")
    end = parse_bound(until, "--until", end_of_day=True)
    versions = select(open_source(source, file), start, end)
    ctx = Context(
        state.loaded, Store(state.loaded.store_path, clock=state.clock), clock=state.clock, deliver=False
    )
    progress = Progress(len(versions))

    def show(version: object) -> None:
        progress.show(getattr(version, "name", ""))
        progress.done += 1

    try:
        report = import_versions(ctx, config_page, versions, on_version=show)
    finally:
        progress.clear()
        ctx.close()
    for version, reason in report.failures:
        say(f"failed: {version.name} ({version.time}): {reason}")
    say(report.line())
