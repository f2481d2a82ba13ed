"""The timeline a page's check records make, derived apart from the code that writes it, for `verify` to hold
the stored `versions` rows against: the same rules (imports placed by date, live checks appended), another
implementation, so a writer's slip cannot hide behind itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.models import CheckRecord, Outcome
from monitor.store.records import placed_by_date
from monitor.store.timeline import STARTS_VERSION


def derived_timeline(records: list[tuple[int, int, CheckRecord]]) -> list[list[object]]:
    """The `versions` rows a page's records make, as the store writes them (writes.py, imported.py): the
    imported history by date up to the last import (which rebuilt it), then each live check appended."""
    imported = max((n for n, _, r in records if placed_by_date(r)), default=0)
    entries: list[list[Any]] = []  # [version, since, until, checks, last_seen, raw_sha256, check_id]
    placed = sorted(
        (item for item in records if item[0] <= imported and item[2].outcome != Outcome.FAILED),
        key=lambda item: (
            not placed_by_date(item[2]),
            item[0] if not placed_by_date(item[2]) else 0,
            item[2].time,
            item[0],
        ),
    )
    for _, row_id, record in placed:
        text = record.text_sha256 or record.version
        if text is not None and entries and entries[-1][0] == text:
            entries[-1][3:5] = [entries[-1][3] + 1, record.time]
        elif text is not None:
            if entries:
                entries[-1][2] = record.time
            entries.append([text, record.time, None, 1, record.time, record.raw_sha256, row_id])
    for n, row_id, record in records:
        text = record.text_sha256 or record.version
        if n <= imported:
            continue
        if record.outcome in STARTS_VERSION and text:
            if entries:
                entries[-1][2] = record.time
            entries.append([text, record.time, None, 1, record.time, record.raw_sha256, row_id])
        elif record.outcome == Outcome.UNCHANGED and entries:
            entries[-1][3:5] = [entries[-1][3] + 1, record.time]
    return entries


def impossible_row(row: Sequence[object], before: Sequence[object] | None, before_seq: object) -> str:
    """What makes a stored timeline row impossible by itself (with the row before it), as a prefix, or ''."""
    _, since, until, _, last_seen, *_ = row
    if until is not None and str(until) < str(since):
        return f"it ends (until {until}) before it starts (since {since}); "
    if str(last_seen) < str(since):
        return f"it was last seen ({last_seen}) before it starts (since {since}); "
    if before is not None and str(since) < str(before[1]):
        return f"it starts before version {before_seq} (since {before[1]}): out of order; "
    if before is not None and (before[2] is None or str(since) < str(before[2])):
        return f"it overlaps version {before_seq} (until {before[2]}); "
    return ""
