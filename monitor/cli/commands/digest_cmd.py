"""`digest` (the daily digest built by hand, for the period in progress) and `feed` (the Atom feed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import human_time, plural, say
from monitor.errors import UsageError

SUFFIXES = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".eml": "eml"}
NO_SENDER = "privacy-monitor@localhost.invalid"  # an .eml written without [notify.email]


def _period(state: State, since: str | None, store: object) -> tuple[datetime, datetime, str]:
    """[start, end) and how it was chosen: from --since, the last digest sent, or the last 24 hours; to now."""
    from monitor.notify.digest_mail import DigestLedger
    from monitor.store.timeline import parse_time

    now = state.clock()
    end = period_end(now)
    if since:
        try:
            return parse_time(since), end, "from --since to now"
        except ValueError:
            raise UsageError(
                f"--since {since!r}: not a date or date-time (write e.g. 2026-11-01 or 2026-11-01T08:00)"
            ) from None
    sent = [
        parse_time(entry["end"])
        for entry in DigestLedger(store).latest().values()  # type: ignore[arg-type]
        if entry.get("state") == "sent"
    ]
    if sent:
        return max(sent), end, "since the last digest sent"
    return now - timedelta(hours=24), end, "the last 24 hours; no digest sent yet"


def period_end(now: datetime) -> datetime:
    """The end of a period in progress at `now`, at the store's own precision: the store writes a check's
    time cut to its format (whole seconds), so the first instant after `now` in that format, and a check made
    in this very second (stored as this second) is inside [start, end)."""
    from monitor.models import isoformat
    from monitor.store.timeline import parse_time

    probe = now.replace(microsecond=1)  # does the store's format keep a microsecond?
    tick = timedelta(microseconds=1) if parse_time(isoformat(probe)).microsecond else timedelta(seconds=1)
    return parse_time(isoformat(now)) + tick  # `now` as the store writes it, and its next instant


@main.command()
@click.option("--since", help="Start of the period (ISO date or date-time, UTC unless a zone is given).")
@click.option(
    "--print", "action", flag_value="print", default=True, help="Print the plain-text digest (default)."
)
@click.option("--send", "action", flag_value="send", help="Send it to the digest recipients now.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write it to FILE.txt (the text part), FILE.html or FILE.eml (needs no mail server).",
)
@pass_state
def digest(state: State, since: str | None, action: str, out: Path | None) -> None:
    """Build the digest by hand, for the period in progress: since the last digest sent (or the last
    24 hours when none was) until now, or from --since until now.

    A digest sent by hand is not recorded in the digest ledger: the service still sends its own.

    Example: privacy-monitor digest --since 2026-11-01 --out digest.html
    """
    from monitor.notify.digest import build_digest
    from monitor.notify.digest_mail import DigestMailer
    from monitor.notify.digest_render import compose, render_html, render_text
    from monitor.store.core import Store

    loaded = state.loaded
    store = Store(loaded.store_path, clock=state.clock)
    start, end, how = _period(state, since, store)
    kind = SUFFIXES.get(out.suffix.lower()) if out is not None else None
    if out is not None and kind is None:
        raise UsageError(f"--out {out}: write to a .txt, .html or .eml file")
    report = build_digest(store, loaded.config, start, end)
    base_url = (
        loaded.config.report.base_url
    )  # links to the report's change pages, as the service's digest has
    # Printed or written as text/HTML, nothing is attached: no line may say "attached".
    period = f"{human_time(start, state.zone)} to {human_time(state.clock(), state.zone)}"
    if out is None and action == "print":
        say(f"Digest of {period} ({how})")
        say(render_text(report, base_url=base_url, attached=(), commands=True), nl=False)
        return
    now = state.clock()
    message_id = f"<digest.manual.{now.strftime('%Y%m%dT%H%M%SZ')}@privacy-monitor.invalid>"
    if out is not None:
        if kind == "text":
            data = render_text(report, base_url=base_url, attached=(), commands=True).encode("utf-8")
        elif kind == "html":
            data = render_html(report, base_url=base_url, attached=(), commands=True).encode("utf-8")
        else:
            email = loaded.config.notify.email
            to = list(loaded.config.digest.to or (email.to if email else []))
            sender = email.sender if email else NO_SENDER
            data = bytes(
                compose(report, sender=sender, to=to, message_id=message_id, now=now, base_url=base_url)
            )
        try:
            out.write_bytes(data)
        except OSError as error:
            raise UsageError(f"{out}: cannot write ({error.strerror})") from None
        say(f"{out}: digest of {period} written ({how})")
    if action == "send":
        from monitor.notify.email import smtp_send

        mailer = DigestMailer(loaded, store, state.clock)
        recipients = mailer.recipients()
        message = compose(
            report,
            sender=mailer.email.sender,
            to=recipients,
            message_id=message_id,
            now=now,
            base_url=base_url,
        )
        smtp_send(mailer.email, loaded.base_dir, message)
        say(f"digest of {period} sent to {plural(len(recipients), 'recipient')}: {', '.join(recipients)}")


@main.command()
@click.option(
    "--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="File to write."
)
@click.option(
    "--limit", type=click.IntRange(1, 1000), default=50, show_default=True, help="Newest changes kept."
)
@pass_state
def feed(state: State, out: Path, limit: int) -> None:
    """Write the Atom feed of changes (the service keeps one in the store, see [service] feed).

    Example: privacy-monitor feed --out /var/www/html/privacy.atom
    """
    from monitor.notify.feed import write_feed
    from monitor.store.core import Store

    entries = write_feed(
        Store(state.loaded.store_path, clock=state.clock), state.loaded.config, out, limit=limit
    )
    say(f"{out}: {plural(entries, 'entry', 'entries')}")
