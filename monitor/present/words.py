"""How every reader-facing line words counts and times, in one place (the CLI, logs, mails and errors).

- counts: `plural(2, "alert")` is "2 alerts", `plural(1, "entry", "entries")` "1 entry";
- times: in the digest's time zone, to the minute, with the zone (`2026-12-01 19:43 CET`); JSON keeps ISO UTC.
  `human_times` rewrites the ISO times a core message carries (`2025-11-11T15:34:11Z`) into that form, so an
  error or log line raised below the CLI reads like every other line.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

# An ISO 8601 date-time with its offset, as the store and the core write them (seconds and fraction optional).
_ISO_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})(?![\w.]|:\d)"
)


def plural(number: int, noun: str, many: str | None = None) -> str:
    """1 page, 2 pages, 0 pages; `many` for irregular nouns (entry/entries)."""
    return f"{number} {noun if number == 1 else many or noun + 's'}"


def human_time(moment: datetime | str | None, zone: tzinfo, *, none: str = "-") -> str:
    """A time as a reader sees it: in `zone`, to the minute, with the zone's abbreviation."""
    if moment is None:
        return none
    if isinstance(moment, str):
        moment = _parse(moment)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def human_times(text: str, zone: tzinfo) -> str:
    """`text` with every ISO date-time that carries its offset written as `human_time` writes it."""

    def local(match: re.Match[str]) -> str:
        try:
            return human_time(match.group(), zone)
        except (ValueError, OverflowError):  # a time no clock of that zone can show stays as it was written
            return match.group()

    return _ISO_TIME.sub(local, text)


def _parse(value: str) -> datetime:
    from monitor.store.timeline import parse_time

    return parse_time(value.replace(" ", "T", 1))
