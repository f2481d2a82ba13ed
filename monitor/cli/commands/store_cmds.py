"""`check`, `history`, `show`, `verify`: run checks and read the snapshot store."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.errors import ExitStatus
from monitor.models import Outcome

if TYPE_CHECKING:
    from monitor.pipeline.check import CheckResult
    from monitor.store.core import Store

_COLORS = {"new": "cyan", "unchanged": None, "changed": "yellow", "failed": "red"}


def open_store(state: State) -> Store:
    from monitor.store.core import Store

    return Store(state.loaded.store_path, clock=state.clock)


def short(version: str | None) -> str:
    return version[:12] if version else "-"


def describe(result: CheckResult, width: int = 0) -> str:
    """One human line per check: what happened, and why when it failed."""
    record = result.record
    if record.outcome == Outcome.FAILED:
        detail = record.reason or "failed"
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
        detail += f"; {len(result.alerts)} alert{'s' if len(result.alerts) > 1 else ''}"
    if record.outcome != Outcome.FAILED and record.reason:
        detail += f"; warning: {record.reason}"
    return f"{record.page:<{width}}  {str(record.outcome):<9}  {detail}"


@main.command()
@click.argument("pages", nargs=-1)
@json_option
@pass_state
@exits_with
def check(state: State, pages: tuple[str, ...], as_json: bool) -> ExitStatus:
    """Fetch pages now, store new versions, evaluate watches and send alerts.

    Checks every configured page, or only the PAGES given (by id).
    Exit status 3 when a page failed; 6 when an alert could not be sent (it stays in the outbox).

    Example: privacy-monitor check facebook-privacy-policy-en --json
    """
    from monitor.pipeline.check import Context, check_pages

    config = state.loaded.config
    selected = [config.page(page_id) for page_id in pages] if pages else list(config.pages)
    ctx = Context(state.loaded, open_store(state), clock=state.clock)
    width = max((len(page.id) for page in selected), default=0)
    show_progress = not as_json and len(selected) > 1 and sys.stderr.isatty()

    def report(result: CheckResult) -> None:
        if as_json:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            if show_progress:
                click.echo("\r\033[K", nl=False, err=True)
            click.secho(describe(result, width), fg=_COLORS.get(str(result.record.outcome)))

    try:
        if show_progress:
            with click.progressbar(selected, label="Checking", file=sys.stderr) as bar:
                results = check_pages(ctx, bar, on_result=report)
        else:
            results = check_pages(ctx, selected, on_result=report)
    finally:
        ctx.close()
    undelivered = [line for result in results for line in result.undelivered]
    for line in undelivered:
        click.secho(line, fg="red", err=as_json)
    failed = any(result.record.outcome == Outcome.FAILED for result in results)
    if failed:
        return ExitStatus.PAGE_FAILED
    return ExitStatus.DELIVERY_FAILED if undelivered else ExitStatus.OK


@main.command()
@click.argument("page")
@click.option("--checks", "all_checks", is_flag=True, help="List every check, not only the versions.")
@json_option
@pass_state
def history(state: State, page: str, all_checks: bool, as_json: bool) -> None:
    """List the versions of a page (and, with --checks, every check).

    Example: privacy-monitor history facebook-privacy-policy-en
    """
    store = open_store(state)
    if all_checks:
        records = store.checks(page)
        if as_json:
            for record in records:
                click.echo(json.dumps(record.to_json(), ensure_ascii=False))
            return
        for record in records:
            note = record.reason or ""
            click.echo(f"{record.time}  {str(record.outcome):<9}  {short(record.version)}  {note}".rstrip())
        return
    versions = store.versions(page)
    if as_json:
        for info in versions:
            click.echo(
                json.dumps(info.to_json() if hasattr(info, "to_json") else vars(info), ensure_ascii=False)
            )
        return
    if not versions:
        click.echo(f"{page}: no version stored yet")
        return
    click.echo(f"{'VERSION':<12}  {'SINCE':<20}  {'UNTIL':<20}  CHECKS")
    for info in versions:
        click.echo(f"{short(info.id):<12}  {info.since:<20}  {info.until or 'now':<20}  {info.checks}")


@main.command()
@click.argument("page")
@click.argument("ref", default="latest")
@click.option("--raw", is_flag=True, help="The raw capture (HTML) instead of the extracted text.")
@pass_state
def show(state: State, page: str, ref: str, raw: bool) -> None:
    """Print a stored version of a page.

    REF is a version id prefix, a date or date-time (the version in effect then),
    `latest` (default) or `previous`.

    Example: privacy-monitor show facebook-privacy-policy-en 2026-03-01
    """
    store = open_store(state)
    info = store.resolve(page, ref)
    if raw:
        body = store.read_raw(page, info.id)
        if body is None:
            from monitor.errors import UsageError

            raise UsageError(f"{page}: no raw capture stored for version {short(info.id)}")
        click.echo(body, nl=False)  # bytes go to the binary stream as they are
        return
    click.echo(store.read_text(page, info.id), nl=False)


@main.command()
@pass_state
@exits_with
def verify(state: State) -> ExitStatus:
    """Re-hash everything in the store and report damaged files (touches nothing).

    Exit status 4 when something is damaged.

    Example: privacy-monitor verify
    """
    report = open_store(state).verify()
    for warning in getattr(report, "warnings", []):
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    for problem in report.problems:
        click.secho(f"damaged: {problem}", fg="red")
    if report.ok:
        click.echo(f"{state.loaded.store_path}: ok ({report.checked} files checked)")
        return ExitStatus.OK
    click.echo(
        f"{state.loaded.store_path}: {len(report.problems)} problem(s) in {report.checked} files checked"
    )
    return ExitStatus.STORE_DAMAGED
