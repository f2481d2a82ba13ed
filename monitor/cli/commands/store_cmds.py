"""`history`, `show`, `verify`: read the snapshot store."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.cli.output import (
    OUTCOME_COLORS,
    find_page,
    human_time,
    json_listing,
    paint,
    plural,
    say,
    with_hint,
)
from monitor.errors import ExitStatus, UsageError
from monitor.models import Outcome

if TYPE_CHECKING:
    from monitor.store.core import Store


def open_store(state: State) -> Store:
    from monitor.store.core import Store

    return Store(state.loaded.store_path, clock=state.clock)


def short(version: str | None) -> str:
    return version[:12] if version else "-"


def outcome_label(outcome: object) -> str:
    """The outcome padded to one width, coloured on a terminal (the padding stays outside the colour)."""
    text = str(outcome)
    return paint(text, OUTCOME_COLORS.get(text)) + " " * (9 - len(text))


def nothing_yet(store: Store, page: str) -> str:
    """What a page with no version has to say, and what to run (exit code 0: nothing is wrong with the command)."""
    checks = store.checks.list(page)
    if not checks:
        return f"{page}: no version stored yet (run `privacy-monitor check {page}`)"
    last = with_hint(checks[-1].reason) or "failed"
    return (
        f"{page}: no version stored yet: {plural(len(checks), 'check')}, none good, the last one {last} "
        f"(see `privacy-monitor history {page} --checks`)"
    )


@main.command()
@click.argument("page")
@click.option("--checks", "all_checks", is_flag=True, help="List every check, not only the versions.")
@json_option
@pass_state
def history(state: State, page: str, all_checks: bool, as_json: bool) -> None:
    """List the versions of a page (and, with --checks, every check).

    Example: privacy-monitor history facebook-privacy-policy-en
    """
    page = find_page(state.loaded.config, page).id
    store, zone = open_store(state), state.zone
    if all_checks:
        from monitor.store.records import is_technical, rules_note

        records = store.checks.list(page)
        if as_json:
            json_listing({"page": page, "checks": [record.to_json() for record in records]})
        elif not records:
            say(f"{page}: not checked yet (run `privacy-monitor check {page}`)")
        for record in [] if as_json else records:
            note = rules_note(record) if is_technical(record) else with_hint(record.reason) or ""
            when = human_time(record.time, zone)
            say(f"{when}  {outcome_label(record.outcome)}  {short(record.version):<12}  {note}".rstrip())
        return
    versions = store.versions.list(page)
    if as_json:
        json_listing({"page": page, "versions": [_version_json(info) for info in versions]})
        return
    if not versions:
        say(nothing_yet(store, page))
        return
    details = _version_details(store, page, versions)
    header = ("VERSION", "SINCE", "UNTIL", "CHECKS", "EFFECTIVE")
    rows = [
        (short(i.id), human_time(i.since, zone), human_time(i.until, zone, none="now"), str(i.checks), dated)
        for i, (dated, _) in zip(versions, details, strict=True)
    ]
    widths = [max(len(row[n]) for row in [header, *rows]) for n in range(len(header))]
    say("  ".join(cell.ljust(w) for cell, w in zip(header, widths, strict=True)).rstrip())
    for row, (_, line) in zip(rows, details, strict=True):
        say("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if line:
            say(f"  {line}")


def _version_details(store: Store, page: str, versions: list) -> list[tuple[str, str]]:
    """Per version: its date line ("Effective December 16, 2025", or "-") and the one-line summary of the
    change that brought it (stored with that check), or what it was when no summary was stored."""
    from monitor.diff.structure import metadata
    from monitor.diff.summary import ChangeSummary
    from monitor.store.records import is_technical, rules_note

    # a technical version and the change its check then found share a time: told apart by their text
    started = {
        (r.time, r.text_sha256 or r.version): r
        for r in store.checks.list(page)
        if r.outcome in (Outcome.NEW, Outcome.CHANGED)
    }
    result = []
    for info in versions:
        dated = metadata(store.versions.read_document(page, info.id)).get("updated") or "-"
        record = started.get((info.since, info.id))
        if record is None or record.outcome == Outcome.NEW:
            line = "first version" if info is versions[0] else ""
        elif record.summary:
            line = ChangeSummary.from_json(record.summary).line()
        else:
            line = ""
        if record is not None and is_technical(record):
            line = f"{rules_note(record)}: {line}" if line else rules_note(record)
        result.append((dated, line))
    return result


def _version_json(info: object) -> dict[str, object]:
    to_json = getattr(info, "to_json", None)
    if to_json is not None:
        return to_json()
    from dataclasses import asdict

    return asdict(info)  # type: ignore[call-overload]


@main.command()
@click.argument("page")
@click.argument("ref", default="latest")
@click.option("--raw", is_flag=True, help="The raw capture (HTML) instead of the extracted text.")
@pass_state
def show(state: State, page: str, ref: str, raw: bool) -> None:
    """Print a stored version of a page.

    REF is a version id prefix, a date or date-time (the version in effect then;
    in [digest] timezone unless it gives its zone), `latest` (default) or `previous`.

    Example: privacy-monitor show facebook-privacy-policy-en 2026-03-01
    """
    page = find_page(state.loaded.config, page).id
    store = open_store(state)
    if not store.versions.list(page):
        say(nothing_yet(store, page))
        return
    info = store.versions.resolve(page, ref, state.zone)  # a date as the reader sees times
    if raw:
        body = store.versions.read_raw(page, info)  # this entry's capture: a text can come back (A, B, A)
        if body is None:
            raise UsageError(f"{page}: no raw capture stored for version {short(info.id)}")
        click.echo(body, nl=False)  # bytes go to the binary stream as they are
        return
    say(store.versions.read_text(page, info.id), nl=False)


@main.command()
@pass_state
@exits_with
def verify(state: State) -> ExitStatus:
    """Re-hash everything in the store and report damaged files (touches nothing).

    Exit status 4 when something is damaged.

    Example: privacy-monitor verify
    """
    report = open_store(state).verify(tsa_ca=_tsa_ca(state))
    for warning in getattr(report, "warnings", []):
        say(paint(f"warning: {warning}", "yellow", err=True), err=True)
    for problem in report.problems:
        say(paint(f"damaged: {problem}", "red"))
    checked = plural(report.checked, "file")
    if report.ok:
        say(f"{state.loaded.store_path}: ok ({checked} checked)")
        return ExitStatus.OK
    say(f"{state.loaded.store_path}: {plural(len(report.problems), 'problem')} in {checked} checked")
    return ExitStatus.STORE_DAMAGED


def _tsa_ca(state: State) -> bytes | None:
    """The configured time-stamping authority's CA certificates, to check tokens under (None: the copy the store
    keeps from when the tokens were received)."""
    from monitor.fsutil import resolve_path

    ca_file = state.loaded.config.evidence.tsa_ca_file
    if ca_file is None:
        return None
    path = resolve_path(state.loaded.base_dir, ca_file)
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(
            f"{path}: cannot read [evidence] tsa_ca_file ({error.strerror}); fix the path"
        ) from None
