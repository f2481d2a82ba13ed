"""`privacy-monitor objections`: the objections you made, on the record, and what their clauses say now."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import human_time, json_listing, say
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.objections.clause import ClauseThen
    from monitor.objections.ledger import Objection
    from monitor.store.core import Store
from monitor.present.words import plural


def _store(state: State) -> Store:
    from monitor.store.core import Store

    return Store(state.loaded.store_path, clock=state.clock)


@main.group("objections", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help='One object: {"objections": [...]}.')
@click.pass_context
def objections_cmd(ctx: click.Context, as_json: bool) -> None:
    """The objections on record: date, platform, case ID, each watched clause as it read that day, and
    whether it changed since (with the word diff).

    Example: privacy-monitor objections --json

    \b
    privacy-monitor objections add --platform facebook --date 2025-05-20 --confirmation mail.eml
    privacy-monitor objections withdraw 1
    """
    if ctx.invoked_subcommand is not None:
        return
    from monitor.objections.clause import clauses_then
    from monitor.objections.ledger import objections

    state = ctx.find_object(State)
    assert state is not None
    store, config = _store(state), state.loaded.config
    listed = [(o, clauses_then(store, config, o)) for o in objections(store)]
    if as_json:
        json_listing(
            {"objections": [{**o.to_json(), "clauses": [v.to_json() for v in views]} for o, views in listed]}
        )
        return
    if not listed:
        say("No objection recorded yet: privacy-monitor objections add --platform NAME --date YYYY-MM-DD")
        return
    for index, (objection, views) in enumerate(listed):
        if index:
            say()
        say(_head(objection, state))
        for view in views:
            for line in _clause_lines(view, state):
                say(line)


def _head(objection: Objection, state: State) -> str:
    from monitor.objections.words import long_date, platform_name

    parts = [f"#{objection.id} {long_date(objection.date)}, {platform_name(objection.platform)}"]
    parts.append(f"case {objection.case_id}" if objection.case_id else "no case ID")
    if objection.account:
        parts.append(f"account {objection.account}")
    if objection.confirmation:
        parts.append(f"confirmation mail sha256 {objection.confirmation['sha256'][:16]}")
    if objection.withdrawn:
        parts.append(f"WITHDRAWN {human_time(objection.withdrawn, state.zone)}")
    return ", ".join(parts)


def _clause_lines(view: ClauseThen, state: State) -> list[str]:
    from monitor.diff.segments import marked, ops_segments

    lines = [f"  {view.watch} on {view.page}:"]
    if not view.stored:
        return [*lines, f"    nothing stored yet (run `privacy-monitor check {view.page}`)"]
    since = human_time(view.then_since, state.zone)
    if view.before_first:
        lines.append(f"    no version stored from that day; the first stored version, of {since}, reads:")
    else:
        lines.append(f"    that day it read (version in effect since {since}):")
    lines.append(f"      {view.then or '(not found on the page)'}")
    if not view.changed:
        lines.append("    unchanged since")
        return lines
    lines.append(f"    changed since: {human_time(view.now_since, state.zone)}; it now reads:")
    lines.append(f"      {view.now or '(no longer on the page)'}")
    if view.ops:
        lines.append(f"    word diff: {marked(list(ops_segments(view.ops)))}")
    return lines


@objections_cmd.command("add")
@click.option(
    "--platform", help="The platform objected on (a `platform` of the config's pages: facebook, instagram)."
)
@click.option(
    "--date", "day", help="The day you objected, YYYY-MM-DD (default: the confirmation mail's date)."
)
@click.option("--case-id", help="The case ID of the confirmation (default: the one the mail gives).")
@click.option("--account", help="A label for the account (kept in the store, never in the report or feed).")
@click.option(
    "--confirmation", type=click.Path(dir_okay=False, path_type=Path), help="The confirmation mail, FILE.eml."
)
@click.option("--pages", multiple=True, help="Pages the objection concerns (default: the platform's pages).")
@click.option(
    "--watches", multiple=True, help="Clause watches it depends on (default: clause watches on those pages)."
)
@pass_state
def add(state: State, platform: str | None, day: str | None, case_id: str | None, account: str | None,
        confirmation: Path | None, pages: tuple[str, ...], watches: tuple[str, ...]) -> None:  # fmt: skip
    """Record an objection (or an opt-out) in the store's objections chain.

    Example: privacy-monitor objections add --platform facebook --date 2025-05-20 --confirmation mail.eml
    """
    from monitor.objections.ledger import add_objection
    from monitor.objections.words import objection_name

    parsed = None
    if day is not None:
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            raise UsageError(f"--date {day!r}: not a date; write YYYY-MM-DD, e.g. 2025-05-20") from None
    objection = add_objection(
        _store(state), state.loaded.config, now=state.clock(), platform=platform, day=parsed, case_id=case_id,
        account=account, confirmation=confirmation, pages=_split(pages), watches=_split(watches),
    )  # fmt: skip
    say(f"Recorded #{objection.id}: {objection_name(objection)}; it concerns {plural(len(objection.pages), 'page')} "
        f"and {plural(len(objection.watches), 'clause watch', 'clause watches')}. See `privacy-monitor objections`.")  # fmt: skip


@objections_cmd.command("withdraw")
@click.argument("objection_id", type=int)
@click.option("--reason", help="Why (a correction, a withdrawal).")
@pass_state
def withdraw(state: State, objection_id: int, reason: str | None) -> None:
    """Record that an objection was withdrawn or recorded by mistake (nothing is ever deleted).

    Example: privacy-monitor objections withdraw 1 --reason "recorded twice"
    """
    from monitor.objections.ledger import withdraw_objection

    withdraw_objection(_store(state), objection_id, now=state.clock(), reason=reason)
    say(f"Recorded: objection #{objection_id} withdrawn (its record stays in the chain).")


def _split(values: tuple[str, ...]) -> list[str]:
    """`--pages a --pages b` and `--pages a,b` alike."""
    return [part for value in values for part in value.replace(",", " ").split()]
