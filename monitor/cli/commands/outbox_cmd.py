"""`outbox`: the alerts waiting to be delivered and those that gave up; `--retry` sends them now."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import click

from monitor.cli.commands.store_cmds import open_store, short
from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.cli.output import human_time, json_listing, plural, say
from monitor.errors import ExitStatus, UsageError


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
    from monitor.notify.base import build_notifiers, has_notifier, kept_for_digest
    from monitor.notify.outbox import Outbox

    loaded = state.loaded
    box = Outbox(open_store(state), state.clock, loaded.config.notify)
    report = None
    if retry:
        notifiers = build_notifiers(
            loaded.config.notify,
            base_dir=loaded.base_dir,
            pages=loaded.config.pages,
            base_url=loaded.config.report.base_url,
            include_private=loaded.config.report.include_private,
            zone=state.zone,
        )
        if not notifiers:
            raise UsageError("no notifier configured: add [notify.email] or [notify.apprise] to the config")
        report = box.deliver(notifiers, force=True)
    entries = box.entries()
    if as_json:
        data: dict[str, Any] = {"entries": [entry.to_json() for entry in entries]}
        if report is not None:
            data["delivery"] = {
                "sent": report.sent,
                "failed": report.failed,
                "resent": report.resent,
                "refused": report.refused,
            }
        json_listing(data)
    else:
        if report is not None:
            say(_retry_line(report))
        waiting = sum(len(entry.alerts) for entry in entries if entry.status == "pending")
        notified = has_notifier(loaded.config.notify)
        kept = kept_for_digest(waiting, loaded.path) if waiting and not notified else None
        for line in _outbox_lines(entries, state.zone, kept):
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
    if refused := len(report.refused):
        line += f"; {plural(refused, 'address', 'addresses')} refused for good, given up for {'it' if refused == 1 else 'them'}"
    return line + "."


def _outbox_lines(entries: list[Any], zone: tzinfo, kept: str | None = None) -> list[str]:
    """Alerts are counted as alerts everywhere (a message holds every alert of one page check); `kept`: why
    nothing is being sent (no notifier configured), said once at the top and on each entry never tried."""
    if not entries:
        return ["Outbox empty: no alert is waiting to be delivered."]
    alerts = sum(len(entry.alerts) for entry in entries)
    pending = sum(len(entry.alerts) for entry in entries if entry.status == "pending")
    messages = "" if alerts == len(entries) else f" in {plural(len(entries), 'message')}"
    lines = [f"{plural(alerts, 'alert')}{messages}: {pending} pending, {alerts - pending} given up"]
    if kept:
        lines.append(kept)
    for entry in entries:
        alert = entry.alert
        lines.append("")
        lines.append(f"{entry.status:<8} {entry.id}  {alert.page}: {alert.headline}")
        lines.extend(f"         also: {other.headline}" for other in entry.alerts[1:])
        lines.append(f"         queued {human_time(entry.queued, zone)}, version {short(alert.version)}")
        if not entry.targets:
            lines.append("         not sent: no notifier is configured" if kept else "         not tried yet")
        for target, info in sorted(entry.targets.items()):
            lines.append(f"         {target}: {_target_line(info, zone)}")
            lines.extend(f"         {target}: {line}" for line in _refused_lines(info))
    return lines


def _refused_lines(info: dict[str, Any]) -> list[str]:
    """Each recipient the server refused for good, by address (the others got the message)."""
    people = info.get("recipients") or {}
    return [
        f"{address} refused ({person.get('error') or 'no reason given'}), given up for this address"
        for address, person in sorted(people.items())
        if person.get("state") == "failed"
    ]


def _target_line(info: dict[str, Any], zone: tzinfo) -> str:
    tries = plural(info["attempts"], "attempt")
    error = f" ({info['last_error']})" if info.get("last_error") else ""
    if info["state"] == "sent":
        people = info.get("recipients") or {}
        reached = sum(person.get("state") == "sent" for person in people.values())
        to = f" to {reached} of {plural(len(people), 'recipient')}" if reached < len(people) else ""
        return f"sent {human_time(info['sent'], zone)}{to}"
    if info["state"] == "failed":
        return f"gave up after {tries}{error}"
    if info["state"] == "dropped":
        return "not sent: no longer configured"
    if info["state"] == "sending":
        return f"interrupted while sending at {human_time(info['last_attempt'], zone)}; sent again on the next run"
    if info.get("next_attempt"):
        return f"{tries} failed{error}; next try {human_time(info['next_attempt'], zone)}"
    return "not tried yet"
