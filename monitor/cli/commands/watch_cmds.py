"""`watches`: what each watch sees now, a clause's story through every version (`--history`), `--follow`."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import click

from monitor.cli.commands.store_cmds import open_store, short
from monitor.cli.main import State, json_option, main, pass_state
from monitor.cli.output import SEVERITY_COLORS, human_time, json_listing, paint, plural, say
from monitor.errors import UsageError


@main.command()
@click.argument("watch", required=False)
@click.option(
    "--history", is_flag=True, help="The watch's wording through every stored version of its pages."
)
@click.option("--page", "pages", multiple=True, metavar="PAGE", help="Only this page (repeatable).")
@click.option(
    "--follow",
    metavar="TEXT",
    help="Put the clause watch WATCH back on this sentence of the page's current version.",
)
@json_option
@pass_state
def watches(
    state: State,
    watch: str | None,
    history: bool,
    pages: tuple[str, ...],
    follow: str | None,
    as_json: bool,
) -> None:
    """Show each watch on each of its pages: the wording it follows now (or that it is not found, with the
    closest text), its section, and when it last changed. With WATCH, only that watch; with --history, its
    wording through the page's whole stored history (imported versions included): each wording, since
    when, the word diff from the one before and the alerts that change raised.

    The score (0-100) says how closely the text found matches the wording the watch followed until then;
    a clause scoring below its threshold (default 80) is still followed when a new sentence took its place
    (the same place, between the same sentences); it counts as removed only when nothing did.

    With --follow "TEXT", a clause watch that followed the wrong sentence is put back on the sentence that
    reads TEXT on the current version of its pages (or of --page): the next check compares with it.

    Example: privacy-monitor watches ai-objection --history
    """
    from monitor.watch.evaluate import read_watch_states

    config = state.loaded.config
    if follow is not None and watch is None:
        raise UsageError('--follow needs a WATCH: privacy-monitor watches WATCH --follow "TEXT"')
    chosen = _chosen_watches(config, watch, pages, history)
    if follow is not None:
        _follow(state, chosen[0], pages, follow)
        return
    if history:
        _print_histories(state, chosen, pages, as_json)
        return
    rows = [
        _watch_row(c, page, data)
        for c, page, data in read_watch_states(open_store(state), chosen)
        if not pages or page in pages
    ]
    if as_json:
        json_listing({"watches": rows})
        return
    if not rows:
        say("No watches configured (add [[watches]] tables to the config).")
        return
    for number, row in enumerate(rows):
        if number:
            say()
        for line in _watch_lines(row, state.zone):
            say(line)


def _chosen_watches(config: Any, watch: str | None, pages: tuple[str, ...], history: bool) -> list[Any]:
    if history and watch is None:
        raise UsageError("--history needs a WATCH: privacy-monitor watches WATCH --history")
    known = {page.id for page in config.pages}
    for page in pages:
        if page not in known:
            raise UsageError(f"unknown page {page!r} in --page (see `privacy-monitor pages`)")
    if watch is None:
        return list(config.watches)
    chosen = [c for c in config.watches if c.id == watch]
    if not chosen:
        names = ", ".join(c.id for c in config.watches) or "none configured"
        raise UsageError(f"unknown watch {watch!r} (watches: {names})")
    return chosen


def _print_histories(state: State, chosen: list[Any], pages: tuple[str, ...], as_json: bool) -> None:
    from monitor.watch.history import watched_pages, wording_history

    store = open_store(state)
    stories = [
        (config, page, wording_history(store, config, page))
        for config in chosen
        for page in watched_pages(config, pages or None)
    ]
    if as_json:
        json_listing(
            {
                "history": [
                    {"watch": c.id, "page": page, "wordings": [w.to_json() for w in story]}
                    for c, page, story in stories
                ]
            }
        )
        return
    for number, (config, page, story) in enumerate(stories):
        if number:
            say()
        for line in _history_lines(config, page, story, state.zone):
            say(line)


def _follow(state: State, config: Any, pages: tuple[str, ...], text: str) -> None:
    from monitor.models import isoformat
    from monitor.watch.history import watched_pages
    from monitor.watch.manual import follow

    store = open_store(state)
    moved = follow(store, config, watched_pages(config, pages or None), text, time=isoformat(state.clock()))
    for page, baseline in moved.items():
        where = " › ".join(baseline["section"]) or "(top of the page)"
        say(f"{config.id} on {page} now follows, in {where}: {baseline['wording']}")


def _history_lines(config: Any, page: str, story: list[Any], zone: tzinfo) -> list[str]:
    from monitor.diff.render_text import mark_segment
    from monitor.diff.segments import elide, ops_segments

    versions = sum(w.versions for w in story)
    head = f"{config.id} ({config.kind}) on {page}: "
    if not story:
        return [head + f"no stored version yet (run `privacy-monitor check {page}`)"]
    lines = [head + f"{plural(len(story), 'wording')} in {plural(versions, 'version')}"]
    for wording in story:
        until = human_time(wording.until, zone) if wording.until else "now"
        kinds = ", ".join(dict.fromkeys(a.label for a in wording.alerts)) or (
            "cosmetic" if wording.cosmetic else ""
        )
        what = "NOT FOUND" if wording.status == "missing" else "found"
        where = " › ".join(wording.section) or "(top of the page)"
        lines.append("")
        lines.append(
            f"{human_time(wording.since, zone)} → {until}: {what}"
            + (f" ({kinds})" if kinds else "")
            + f", {plural(wording.versions, 'version')} from {short(wording.version)}"
        )
        if wording.status == "found":
            lines.append(f"  section:  {where}")
        if wording.ops:
            marked = "".join(mark_segment(seg, False) for seg in elide(list(ops_segments(wording.ops))))
            lines.append(f"  change:   {marked}")
        elif wording.wording:
            lines.append(f"  wording:  {wording.wording}")
        for why in dict.fromkeys(str(a.details["reason"]) for a in wording.alerts if a.details.get("reason")):
            lines.append(f"  why:      {why}")
    return lines


def _watch_row(config: Any, page: str, data: dict[str, Any] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"watch": config.id, "page": page, "kind": config.kind, "severity": config.severity}
    if data is None:
        return {**row, "status": "not evaluated"}
    return {
        **row,
        "status": data["status"],
        "wording": data.get("wording"),
        "section": data.get("section", []),
        "score": data.get("score"),
        "count": data.get("count"),
        "near": data.get("near") if data["status"] == "missing" else None,
        "version": data.get("version"),
        "checked": data.get("time"),
        "since": data.get("since"),
        "changed": data.get("changed"),
    }


def _watch_lines(row: dict[str, Any], zone: tzinfo) -> list[str]:
    severity = paint(row["severity"], SEVERITY_COLORS.get(row["severity"]))
    lines = [f"{row['watch']} ({row['kind']}, {severity}) on {row['page']}"]
    status = row["status"]
    if status == "not evaluated":
        return [
            *lines,
            f"  status:   not evaluated yet (run `privacy-monitor check {row['page']}`)",
        ]
    section = " › ".join(row["section"]) or "(top of the page)"
    if status == "found":
        detail = f"score {row['score']:g}, " if row.get("score") is not None else ""
        count = row.get("count") or 1
        # A section watch counts matching headings; a clause or term, its occurrences (as its alerts do).
        noun = "matching heading" if row["kind"] == "section" else "occurrence"
        lines.append(f"  status:   found ({detail}{plural(count, noun)})")
        if row.get("wording"):  # a section watch has no wording of its own
            lines.append(f"  section:  {section}")
            lines.append(f"  wording:  {row['wording']}")
    else:
        lines.append("  status:   NOT FOUND" + (f" (last seen in {section})" if row.get("wording") else ""))
        if row.get("wording"):
            lines.append(f"  last:     {row['wording']}")
        near = row.get("near")
        if near:
            where = " › ".join(near.get("section") or ()) or "(top of the page)"
            lines.append(f"  nearest:  score {near['score']:g} in {where}: {near['text']}")
    changed = row.get("changed")
    if changed:
        lines.append(
            f"  changed:  {human_time(changed['time'], zone)} ({changed['kind']}), version {short(changed['version'])}"
            f" from {short(changed.get('previous'))}"
        )
    else:
        since = row.get("since") or {}
        when = f"{human_time(since['time'], zone)}, " if since.get("time") else ""
        lines.append(f"  changed:  never since the baseline ({when}version {short(since.get('version'))})")
    lines.append(f"  checked:  {human_time(row['checked'], zone)}, version {short(row['version'])}")
    return lines
