"""`status` (each page's health, with the one exit rule for monitoring) and `pages` (what is configured)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from monitor.cli.main import State, exits_with, json_option, main, pass_state
from monitor.cli.output import (
    OUTCOME_COLORS,
    human_time,
    json_listing,
    kept_alerts_line,
    paint,
    plural,
    say,
    with_hint,
)
from monitor.errors import ExitStatus
from monitor.models import isoformat

if TYPE_CHECKING:
    from monitor.config.loading import PageConfig
    from monitor.store.health import PageStatus


def _statuses(state: State) -> tuple[list[PageStatus], int | None]:
    from monitor.store.core import Store
    from monitor.store.health import service_holder, store_status

    store = Store(state.loaded.store_path, clock=state.clock)
    return store_status(state.loaded.config, store, state.clock()), service_holder(store.root)


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _next_run(s: PageStatus, now: datetime, zone: tzinfo) -> str:
    shown = human_time(s.next_run, zone)
    if s.overdue:
        return f"{shown} (overdue)"
    if s.next_run is not None and s.next_run <= isoformat(now):
        return f"{shown} (due)"
    return shown


def _verdict_line(code: ExitStatus, culprits: list[PageStatus], running: bool, failing_after: str) -> str:
    if code == ExitStatus.OK:
        none_overdue = "" if running else ", none overdue"
        return f"ok: no page failing for longer than failing_after ({failing_after}){none_overdue}"
    failing: list[str] = [s.page for s in culprits if s.failing_too_long]
    overdue: list[str] = [s.page for s in culprits if not s.failing_too_long]
    reasons = []
    if failing:
        reasons.append(f"{', '.join(failing)} failing for longer than failing_after ({failing_after})")
    if overdue:
        verb = "is" if len(overdue) == 1 else "are"
        reasons.append(
            f"{', '.join(overdue)} {verb} overdue by more than {'its' if len(overdue) == 1 else 'their'} "
            "schedule and the service is not running (start it with `privacy-monitor run`)"
        )
    return f"exit 3: {'; '.join(reasons)}"


@main.command()
@json_option
@pass_state
@exits_with
def status(state: State, as_json: bool) -> ExitStatus:
    """Show each page's health: last check, last success, last change, failures, next run.

    Exit status 3 when a page has failed for longer than [service] failing_after, or when the
    service is not running and a page is overdue by more than its schedule (for monitoring).
    The last line says why.

    Example: privacy-monitor status --json
    """
    from monitor.store.health import verdict

    now, zone = state.clock(), state.zone
    statuses, pid = _statuses(state)
    code, culprits = verdict(statuses, service_running=pid is not None)
    failing_after = state.loaded.config.service.failing_after
    if as_json:
        json_listing(
            {
                "time": isoformat(now),
                "service": {"running": pid is not None, "pid": pid},
                "exit": int(code),
                "pages": [s.to_json() for s in statuses],
            }
        )
        return code
    running = f"running (pid {pid})" if pid else "not running"
    say(f"service: {running}; now {human_time(now, zone)}")
    rows = [
        (s.page, human_time(s.last_check, zone), human_time(s.last_success, zone),
         s.change_shown(lambda time: human_time(time, zone)), str(s.failures), _next_run(s, now, zone))
        for s in statuses
    ]  # fmt: skip
    for line in _table(("PAGE", "LAST CHECK", "LAST SUCCESS", "LAST CHANGE", "FAILS", "NEXT RUN"), rows):
        say(line)
    for s in statuses:
        if s.failing:
            flag = paint("FAILING too long", "red") if s.failing_too_long else "failing"
            since = human_time(s.failing_since, zone)
            say(f"{s.page}: {flag} since {since}: {with_hint(s.last_reason) or 'failed'}")
    if (kept := kept_alerts_line(state.loaded, state.clock)) is not None:
        say(kept)  # alerts no notifier sends: where they went, and how to receive them
    say(_verdict_line(code, culprits, pid is not None, failing_after))
    return code


def _page_row(state: State, s: PageStatus) -> dict[str, Any]:
    page = next(page for page in state.loaded.config.pages if page.id == s.page)
    return {
        "id": page.id,
        "title": page.title,
        "url": page.url,
        "document": page.document,
        "locale": page.locale,
        "renderer": page.renderer,
        "rules": _rules_source(page),
        "schedule": page.schedule or state.loaded.config.service.default_schedule,
        "last_check": s.last_check,
        "last_outcome": s.last_outcome,
        "last_change": s.last_change,
        "imported_change": s.imported_change,
        "version": s.version,
    }


def _rules_source(page: PageConfig) -> dict[str, str]:
    """Where a page's rules come from: an Open Terms Archive declaration, its own select/remove, or neither."""
    if page.declaration is not None:
        ref = page.declaration
        return {"from": "declaration", "path": str(ref.path), "service": ref.service, "terms": ref.terms}
    if page.combine:
        return {"from": "combine", "parts": str(len(page.combine))}
    return {"from": "config" if page.select or page.remove else "automatic"}


def _rules_label(rules: dict[str, str]) -> str:
    if rules["from"] == "declaration":
        return f"{rules['service']} / {rules['terms']} (declaration)"
    if rules["from"] == "combine":
        return f"combine ({rules['parts']} parts)"
    return "select" if rules["from"] == "config" else "automatic"


@main.command()
@json_option
@pass_state
def pages(state: State, as_json: bool) -> None:
    """List the configured pages: id, title, document, locale, renderer, where the rules come from (select,
    automatic, combine, or a declaration), schedule, last outcome, last change.

    Example: privacy-monitor pages --json
    """
    statuses, _ = _statuses(state)
    rows = [_page_row(state, s) for s in statuses]
    if as_json:
        json_listing({"pages": rows})
        return
    if not rows:
        say("No pages configured (add one with `privacy-monitor add URL`).")
        return
    zone = state.zone
    header = (
        "PAGE",
        "TITLE",
        "DOCUMENT",
        "LOCALE",
        "RENDERER",
        "RULES",
        "SCHEDULE",
        "LAST OUTCOME",
        "LAST CHANGE",
    )
    table = [
        (row["id"], row["title"] or "-", row["document"] or "-", row["locale"] or "-", row["renderer"],
         _rules_label(row["rules"]), row["schedule"], row["last_outcome"] or "never checked", s.change_shown(lambda t: human_time(t, zone)))
        for row, s in zip(rows, statuses, strict=True)
    ]  # fmt: skip
    lines = _table(header, table)
    outcome_at = lines[0].index("LAST OUTCOME")
    say(lines[0])
    for line, row in zip(lines[1:], rows, strict=True):
        outcome = row["last_outcome"] or "never checked"
        color = OUTCOME_COLORS.get(row["last_outcome"] or "")
        say(line[:outcome_at] + paint(outcome, color) + line[outcome_at + len(outcome) :])
    checked = sum(row["last_check"] is not None for row in rows)
    say(f"{plural(len(rows), 'page')}, {checked} checked")
    if checked < len(rows):
        say("Run `privacy-monitor check` to check them now.")
