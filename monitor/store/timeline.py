"""A page's version timeline (the `versions` table, moved in the transaction of each check) and version references.

Each `new` or `changed` check starts a timeline entry; `unchanged` checks extend the current one; `failed`
checks neither start nor end one. A text that comes back after another (A, B, A) is a new entry that points
at the same stored blob.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from monitor.errors import UsageError
from monitor.models import Outcome

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_HEX_PREFIX = re.compile(r"[0-9a-f]{4,64}\Z")
STARTS_VERSION = (Outcome.NEW, Outcome.CHANGED)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One stretch of time during which a text was the page's version.

    `id` is the sha256 of the text (the blob name); `since` the time of the check that brought it, `until` the
    time of the check that replaced it (None while current); `checks` the good checks that saw it;
    `last_seen` the last of them; `raw_sha256` the raw capture of the check that brought it; `rules` the
    fingerprint of the rules that made its text from that capture (monitor/extract/rules.py).
    """

    id: str
    since: str
    until: str | None
    checks: int
    last_seen: str
    raw_sha256: str | None = None
    rules: str | None = None  # the fingerprint of the rules its text was made under (None: not known)


def parse_time(text: str, zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 date-time, in UTC; without a zone it is read in `zone` (stored times carry theirs)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone).astimezone(UTC)
    return moment.astimezone(UTC)


def day_end(day: date, zone: tzinfo) -> datetime:
    """The end of `day` in `zone`: the first instant of the next local day, in UTC.

    Local midnight with fold=0 is that instant whether the clocks skip midnight (zoneinfo then reads it with
    the offset before the gap: the first instant after it) or pass it twice (its first pass starts the day).
    """
    try:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    except OverflowError:  # 9999-12-31: its next day is past what a date holds; it covers all stored time
        return datetime.max.replace(tzinfo=UTC)


def in_effect_at(timeline: Sequence[VersionInfo], moment: datetime) -> VersionInfo | None:
    """The entry in effect at `moment` (inclusive of its `since`), or None before tracking started."""
    found = None
    for entry in timeline:
        if parse_time(entry.since) <= moment:
            found = entry
    return found


def resolve_ref(page_id: str, timeline: Sequence[VersionInfo], ref: str, zone: tzinfo = UTC) -> VersionInfo:
    """`latest`, `previous`, a version id prefix (4+ hex digits), an ISO date (the end of that day in `zone`)
    or date-time (in `zone` unless it carries `Z` or an offset). `zone` is the one times are shown in
    (`[digest] timezone`), so that a date selects what `history` shows for that day."""
    if not timeline:
        raise UsageError(f"page {page_id!r} has no stored version yet; run `privacy-monitor check {page_id}`")
    wanted = ref.strip()
    lowered = wanted.lower()
    if lowered in ("latest", "current"):
        return timeline[-1]
    if lowered == "previous":
        if len(timeline) < 2:
            raise UsageError(
                f"page {page_id!r} has only one version (since {timeline[0].since}); 'previous' needs two"
            )
        return timeline[-2]
    if _DATE.match(wanted):
        try:
            day = date.fromisoformat(wanted)
        except ValueError:
            raise UsageError(f"{ref!r} is not a valid date (page {page_id!r}); use YYYY-MM-DD") from None
        # The version in effect at the END of that local day: the last one that started before its midnight.
        return _at(page_id, timeline, day_end(day, zone) - timedelta(microseconds=1), ref)
    if _HEX_PREFIX.match(lowered):
        return _by_prefix(page_id, timeline, lowered, ref, zone)
    try:
        moment = parse_time(wanted, zone)
    except ValueError:
        raise UsageError(_unknown_ref(page_id, timeline, ref, zone)) from None
    except OverflowError:  # an offset or zone that moves year 1 or 9999 past what a date can hold
        raise UsageError(
            f"{ref!r} is out of range in UTC (page {page_id!r}); write a date or date-time from 0001-01-02 to "
            "9999-12-30"
        ) from None
    return _at(page_id, timeline, moment, ref)


def _at(page_id: str, timeline: Sequence[VersionInfo], moment: datetime, ref: str) -> VersionInfo:
    found = in_effect_at(timeline, moment)
    if found is None:
        # the CLI writes `since` in the reader's zone, the one `ref` was read in
        raise UsageError(
            f"page {page_id!r} had no version yet at {ref}; tracking started {timeline[0].since}"
        )
    return found


def _by_prefix(
    page_id: str, timeline: Sequence[VersionInfo], prefix: str, ref: str, zone: tzinfo
) -> VersionInfo:
    matches: dict[str, VersionInfo] = {}
    for entry in timeline:
        if entry.id.startswith(prefix):
            matches[entry.id] = entry  # a text that came back resolves to its latest entry
    if not matches:
        raise UsageError(_unknown_ref(page_id, timeline, ref, zone))
    if len(matches) > 1:
        candidates = ", ".join(f"{entry.id[:12]} (since {entry.since})" for entry in matches.values())
        raise UsageError(f"version {ref!r} of page {page_id!r} is ambiguous: {candidates}; give more digits")
    return next(iter(matches.values()))


def _unknown_ref(page_id: str, timeline: Sequence[VersionInfo], ref: str, zone: tzinfo) -> str:
    latest = timeline[-1]
    first_day = parse_time(timeline[0].since).astimezone(zone).date()  # the day `history` shows it on
    return (
        f"no version {ref!r} of page {page_id!r}; use latest, previous, a version id prefix "
        f"(e.g. {latest.id[:8]}; see `privacy-monitor history {page_id}`) or a date/time "
        f"from {first_day} on ({len(timeline)} version{'s' if len(timeline) != 1 else ''})"
    )
