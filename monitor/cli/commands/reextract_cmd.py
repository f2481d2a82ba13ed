"""`privacy-monitor reextract`: a page's stored captures read again under today's rules (see imports/reextract.py)."""

from __future__ import annotations

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import find_page, human_time, plural, say


@main.command("reextract")
@click.argument("page")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@pass_state
def reextract(state: State, page: str, dry_run: bool) -> None:
    """Extract every stored capture of PAGE again under today's rules.

    \b
    First shows which stored captures would give another text, which neighbouring versions
    would become the same (the change between them was the rules', not the page's), and which
    past alerts would have fired or stayed silent. Then, unless --dry-run, records today's
    reading of each stored capture that reads otherwise as a technical version ("rules changed"),
    which history, show, diff and the report read instead: no alert, no news, past records and
    the hash chain kept.

    Example: privacy-monitor reextract meta-ai-terms-en --dry-run
    """
    from monitor.imports.reextract import plan_reextract
    from monitor.imports.reread import record_reextract
    from monitor.pipeline.capture import Context
    from monitor.store.core import Store

    config_page = find_page(state.loaded.config, page)
    ctx = Context(
        state.loaded, Store(state.loaded.store_path, clock=state.clock), clock=state.clock, deliver=False
    )
    zone = state.zone

    def when(time: str) -> str:
        return human_time(time, zone)

    try:
        plan = plan_reextract(ctx, config_page)
        if not plan.entries:
            say(f"{page}: nothing stored yet; nothing to extract again")
            return
        for entry in plan.entries:
            mark = "reads otherwise" if entry.differs else "same text"
            origin = " (imported)" if entry.imported else ""
            note = f"; {entry.note}" if entry.note else ""
            say(f"{when(entry.since)}{origin}  {entry.version[:12]}  {mark}{note}")
        for earlier, later in plan.merges:
            say(f"merge: {when(earlier.since)} and {when(later.since)} would be the same version")
        for since, watch, kind in plan.silent:
            say(f"alert {watch} ({kind}) of {when(since)} would have stayed silent")
        for since, watch, kind in plan.fired:
            say(f"alert {watch} ({kind}) would have fired on {when(since)}")
        differing, merges = len(plan.differing), len(plan.merges)
        say(
            f"{differing} of {len(plan.entries)} stored versions read otherwise, "
            f"{merges} {'merge' if merges == 1 else 'merges'}, "
            f"{len(plan.silent)} alerts silent, {len(plan.fired)} would fire"
        )
        if dry_run:
            say("dry run: nothing written")
            return
        recorded = record_reextract(ctx, config_page, plan)
        if recorded.rereadings:
            merged = f", {plural(recorded.merged, 'merge')}" if recorded.merged else ""
            say(
                f"recorded {plural(len(recorded.rereadings), 'technical version')} (rules changed){merged}:"
                " the history reads as today's rules read it; no alert, no news"
            )
        if recorded.note is not None and recorded.note.version is not None:
            say(
                f"recorded the rule change on version {recorded.note.version[:12]}: it reads the same under them"
            )
        if not recorded.rereadings and recorded.note is None:
            say("recorded nothing: every stored version already reads as today's rules read it")
    finally:
        ctx.close()
