"""`privacy-monitor import`: start a page with its public history (a git repository or a folder of dated files)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import Progress, find_page, say
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.imports.sources import SourceVersion

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# From this many captures failing in a row for the same reason, they are one line.
RUN = 3


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
    everything = open_source(source, file)
    versions = select(everything, start, end)
    ctx = Context(
        state.loaded, Store(state.loaded.store_path, clock=state.clock), clock=state.clock, deliver=False
    )
    progress = Progress(len(versions))

    def show(version: object) -> None:
        progress.show(getattr(version, "name", ""))
        progress.done += 1

    try:
        report = import_versions(ctx, config_page, versions, on_version=show, source=everything)
    finally:
        progress.clear()
        ctx.close()
    for line in failure_lines(report.failures, versions):
        say(line)
    say(report.line())


def failure_lines(
    failures: Sequence[tuple[SourceVersion, str]], versions: Sequence[SourceVersion]
) -> list[str]:
    """One line per failed capture; captures of `versions` failing in a row for the same reason (hundreds, when
    the rules in force then are not in the declaration's history) are one line naming the first, the last and
    how many."""
    place = {version.key: n for n, version in enumerate(sorted(versions, key=lambda version: version.time))}
    lines: list[str] = []
    runs: list[list[tuple[SourceVersion, str]]] = []
    for failure in failures:
        before = runs[-1][-1] if runs else None
        if (
            before
            and before[1] == failure[1]
            and place.get(failure[0].key) == place.get(before[0].key, -2) + 1
        ):
            runs[-1].append(failure)
        else:
            runs.append([failure])
    for run in runs:
        (first, reason), (last, _) = run[0], run[-1]
        if len(run) < RUN:
            lines += [f"failed: {version.name} ({version.time}): {why}" for version, why in run]
        else:
            lines.append(
                f"failed: {len(run)} captures from {first.name} ({first.time}) to {last.name} ({last.time}): "
                f"{reason}"
            )
    return lines
