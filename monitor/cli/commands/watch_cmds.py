"""`watches` (what each watch sees now) and `outbox` (alerts waiting to be delivered)."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import click

from monitor.cli.commands.store_cmds import open_store, short
from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.cli.output import SEVERITY_COLORS, human_time, json_listing, paint, plural, say
from monitor.errors import ExitStatus, UsageError


@main.command()
@json_option
@pass_state
def watches(state: State, as_json: bool) -> None:
    """Show each watch on each of its pages: the wording it follows now (or that it is not found, with the
    closest text), its section, and when it last changed.

    The score (0-100) says how closely the text found matches the wording the watch followed until then;
    a clause scoring below its threshold (default 80) counts as removed.

    Example: privacy-monitor watches --json
    """
    from monitor.watch.evaluate import read_watch_states

    config = state.loaded.config
    rows = [
        _watch_row(c, page, data) for c, page, data in read_watch_states(open_store(state), config.watches)
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


@main.command()
@json_option
@click.option(
    "--retry", is_flag=True, help="Deliver now: every pending alert, failed ones included, ignoring backoff."
)
@pass_state
@exits_with
def outbox(state: State, as_json: bool, retry: bool) -> ExitStatus:
    """List alerts waiting to be delivered (pending) and those that gave up (failed).

    Exit status 6 when --retry could not deliver everything (it stays queued).

    Example: privacy-monitor outbox --retry
    """
    from monitor.notify.base import build_notifiers
    from monitor.notify.outbox import Outbox

    loaded = state.loaded
    box = Outbox(open_store(state), state.clock, loaded.config.notify)
    report = None
    if retry:
        notifiers = build_notifiers(loaded.config.notify, base_dir=loaded.base_dir, pages=loaded.config.pages)
        if not notifiers:
            raise UsageError("no notifier configured: add [notify.email] or [notify.apprise] to the config")
        report = box.deliver(notifiers, force=True)
    entries = box.entries()
    if as_json:
        data: dict[str, Any] = {"entries": [entry.to_json() for entry in entries]}
        if report is not None:
            data["delivery"] = {"sent": report.sent, "failed": report.failed, "resent": report.resent}
        json_listing(data)
    else:
        if report is not None:
            say(_retry_line(report))
        for line in _outbox_lines(entries, state.zone):
            say(line)
    return ExitStatus.DELIVERY_FAILED if report is not None and not report.ok else ExitStatus.OK


def _retry_line(report: Any) -> str:
    """What --retry did, per delivery (one alert to one target), in the words of the listing below it."""
    sent, failed, gave_up = len(report.sent), len(report.failed), len(report.gave_up)
    line = f"Retried {plural(sent + failed, 'delivery', 'deliveries')}: {sent} sent, {failed} failed"
    if failed - gave_up:
        line += f"; {failed - gave_up} still pending, tried again with backoff"
    if gave_up:
        line += f"; {gave_up} given up (notify.max_attempts reached)"
    return line + "."


def _outbox_lines(entries: list[Any], zone: tzinfo) -> list[str]:
    if not entries:
        return ["Outbox empty: no alert is waiting to be delivered."]
    pending = sum(entry.status == "pending" for entry in entries)
    lines = [f"{plural(len(entries), 'alert')}: {pending} pending, {len(entries) - pending} given up"]
    for entry in entries:
        alert = entry.alert
        lines.append("")
        lines.append(f"{entry.status:<8} {alert.id}  {alert.page}: {alert.headline}")
        lines.append(f"         queued {human_time(entry.queued, zone)}, version {short(alert.version)}")
        if not entry.targets:
            lines.append("         not tried yet")
        for target, info in sorted(entry.targets.items()):
            lines.append(f"         {target}: {_target_line(info, zone)}")
    return lines


def _target_line(info: dict[str, Any], zone: tzinfo) -> str:
    tries = plural(info["attempts"], "attempt")
    error = f" ({info['last_error']})" if info.get("last_error") else ""
    if info["state"] == "sent":
        return f"sent {human_time(info['sent'], zone)}"
    if info["state"] == "failed":
        return f"gave up after {tries}{error}"
    if info["state"] == "sending":
        return f"interrupted while sending at {human_time(info['last_attempt'], zone)}; sent again on the next run"
    if info.get("next_attempt"):
        return f"{tries} failed{error}; next try {human_time(info['next_attempt'], zone)}"
    return "not tried yet"
