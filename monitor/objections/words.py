"""How an objection is named to the person who made it, the same in the alert, the digest and `objections`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.watch.alerts import Alert

PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "linkedin": "LinkedIn", "whatsapp": "WhatsApp",
                  "threads": "Threads", "meta": "Meta"}  # fmt: skip


def long_date(value: str) -> str:
    """'2025-05-20' -> '20 May 2025'."""
    day = date.fromisoformat(value)
    return f"{day.day} {day:%B %Y}"


def platform_name(platform: str) -> str:
    return PLATFORM_NAMES.get(platform, platform)


def objection_name(objection: Any) -> str:
    """'your objection of 20 May 2025 on Facebook (case 1234567890)' from an Objection or its alert note."""
    get = objection.get if isinstance(objection, dict) else lambda key: getattr(objection, key, None)
    case = f" (case {get('case_id')})" if get("case_id") else ""
    return f"your objection of {long_date(str(get('date')))} on {platform_name(str(get('platform')))}{case}"


def objection_sentence(note: dict[str, Any], now: str | None) -> str:
    """What an alert says to the person an objection of theirs concerns: 'This sentence decides what your
    objection of 20 May 2025 on Facebook (case 1234) covers. On that day it read "..."; now it reads "..."'."""
    then = note.get("then")
    day = (
        "On that day" if not note.get("before_first") else "On the first version stored, later than that day,"
    )
    read = f"{day} it read “{then}”" if then else f"{day} it was not found on the page"
    now_reads = f"now it reads “{now}”" if now else "now it is no longer on the page"
    return f"This sentence decides what {objection_name(note)} covers. {read}; {now_reads}."


def objection_lines(alert: Alert) -> list[str]:
    """What an alert says to each person whose objection its clause decides (the notes `alert_notes` put in it)."""
    return [objection_sentence(note, alert.new) for note in alert.details.get("objections") or ()]
