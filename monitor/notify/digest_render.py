"""The digest as mail: rendered through the Jinja2 templates in monitor/templates (autoescape on for HTML), a
plain-text part with git-style markers ([-old-]{+new+}) and an HTML part with inline CSS (mail clients drop
<style> blocks), each part bounded (fewer highlights per page until it fits), each full comparison attached.
Sending it exactly once per period is digest_mail.py's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from monitor.models import isoformat
from monitor.notify.digest import Digest
from monitor.notify.email import set_headers
from monitor.notify.message import DIGEST_FOOTER
from monitor.present.words import plural
from monitor.templating import get_template

MAX_INLINE = 100_000  # bytes of one inline body part as sent: mail clients clip longer ones (Gmail ~102 KB)
MAX_ATTACHMENT = 3_000_000  # bytes of one full comparison; a larger one is named, not attached
MAX_ATTACHMENTS = 8_000_000  # bytes of all of them in one digest


@dataclass(frozen=True, slots=True)
class Limits:
    """How much of each page the mail shows inline; `compose` lowers them until every part fits."""

    highlights: int = 5  # changes shown per page ("Read first"), then "and N more"
    alerts: int = 20
    sections: int = 5  # sections named per kind (added, removed, renamed)


_SMALLER = (Limits(), Limits(3, 10, 3), Limits(1, 5, 2), Limits(0, 3, 1), Limits(0, 0, 0))


def render_text(
    digest: Digest,
    *,
    limits: Limits = Limits(),
    base_url: str | None = None,
    attached: Collection[str] | None = None,
    commands: bool = False,
) -> str:
    """The plain-text digest; `commands`: for someone at the CLI (`digest --print`), who may be shown the
    command that shows more (a mail never is)."""
    return get_template("digest.txt.j2").render(**_context(digest, limits, base_url, attached, commands))


def render_html(
    digest: Digest,
    *,
    limits: Limits = Limits(),
    base_url: str | None = None,
    attached: Collection[str] | None = None,
    commands: bool = False,
) -> str:
    return get_template("digest.html.j2").render(**_context(digest, limits, base_url, attached, commands))


def _context(
    digest: Digest, limits: Limits, base_url: str | None, attached: Collection[str] | None, commands: bool
) -> dict[str, Any]:
    return {
        "d": digest,
        "limits": limits,
        "base_url": _base(base_url),
        "attached": _attached(digest, attached),
        "commands": commands,
        "count": plural,
        "footer": DIGEST_FOOTER,
    }


def _base(base_url: str | None) -> str | None:
    return base_url.rstrip("/") if base_url else None


def _attached(digest: Digest, attached: Collection[str] | None) -> Collection[str]:
    """By default every full comparison counts as attached (what `compose` does when they fit)."""
    if attached is not None:
        return attached
    return {change.report_name for change in digest.substantive_changes if change.diff is not None}


def full_comparisons(digest: Digest) -> dict[str, str]:
    """The complete diff of each substantive change, as the `diff --format html` page, by file name."""
    from monitor.diff.formats import render

    reports: dict[str, str] = {}
    total = 0
    for change in digest.substantive_changes:
        if change.diff is None:
            continue
        meta = {
            "page": change.title,
            "from": {"id": change.previous, "label": change.previous[:12]},
            "to": {"id": change.version, "label": f"{change.version[:12]} ({digest.local(change.time)})"},
        }
        html = render(change.diff, "html", meta=meta)
        size = len(html.encode("utf-8"))
        if size <= MAX_ATTACHMENT and total + size <= MAX_ATTACHMENTS:
            reports[change.report_name] = html
            total += size
    return reports


def compose(
    digest: Digest,
    *,
    sender: str,
    to: list[str],
    message_id: str,
    now: datetime,
    base_url: str | None = None,
) -> EmailMessage:
    """The digest mail: text and HTML parts, each under MAX_INLINE bytes as sent (fewer highlights per page
    until they fit), and each full comparison as an HTML attachment."""
    reports = full_comparisons(digest)
    for limits in _SMALLER:
        message = _message(digest, sender, to, message_id, now)
        text = render_text(digest, limits=limits, base_url=base_url, attached=reports)
        html = render_html(digest, limits=limits, base_url=base_url, attached=reports)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if all(len(part.get_payload()) < MAX_INLINE for part in message.iter_parts()):
            break
    for name, report in reports.items():
        message.add_attachment(report.encode("utf-8"), maintype="text", subtype="html", filename=name)
    return message


def _message(digest: Digest, sender: str, to: list[str], message_id: str, now: datetime) -> EmailMessage:
    message = EmailMessage()
    set_headers(
        message,
        {
            "Subject": digest.subject(),
            "From": sender,
            "To": ", ".join(to),
            "Date": format_datetime(now),
            "Message-ID": message_id,
            "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies to the monitor
            "X-Privacy-Monitor-Period": f"{isoformat(digest.start)}/{isoformat(digest.end)}",
        },
    )
    return message
