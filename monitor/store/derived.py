"""The timeline a page's check records make, derived apart from the code that writes it, for `verify` to hold
the stored `versions` rows against: the same rules (imports placed by date, re-readings right after the record
they re-read, live checks appended; placement.py), another implementation, so a writer's slip cannot hide
behind itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.models import CheckRecord, Outcome
from monitor.store.records import placed_by_date, rereads
from monitor.store.timeline import STARTS_VERSION

Numbered = tuple[int, int, CheckRecord]  # (n, checks row id, record)


def derived_timeline(records: list[Numbered]) -> list[list[object]]:
    """The `versions` rows a page's records make, as the store writes them (writes.py, placement.py): the
    history placed by date and every re-reading after its record, up to the last of those (which rebuilt the
    timeline), then each live check appended."""
    rebuilt = max((n for n, _, r in records if placed_by_date(r) or rereads(r) is not None), default=0)
    entries: list[list[Any]] = []  # [version, since, until, checks, last_seen, raw_sha256, check_id]
    good = [item for item in records if item[0] <= rebuilt and item[2].outcome != Outcome.FAILED]
    stood_for = {after: n for n, _, r in good if (after := rereads(r)) is not None}
    by_n = {n: r for n, _, r in good}
    old_texts: set[str | None] = set()
    for n, row_id, record in _in_order(good):
        text = text_of(record)
        if text is None or n in stood_for:
            continue  # a record that was re-read counts through its re-reading
        if entries and (entries[-1][0] == text or text in old_texts):
            entries[-1][3:5] = [entries[-1][3] + 1, record.time]
        else:
            if entries:
                entries[-1][2] = record.time
            entries.append([text, record.time, None, 1, record.time, record.raw_sha256, row_id])
            old_texts = set()
        # the old text of each record re-read into this entry (and of what that record re-read in turn)
        old_texts |= _old_texts(record, by_n)
    for n, row_id, record in records:
        text = text_of(record)
        if n <= rebuilt:
            continue
        if record.outcome in STARTS_VERSION and text:
            if entries:
                entries[-1][2] = record.time
            entries.append([text, record.time, None, 1, record.time, record.raw_sha256, row_id])
        elif record.outcome == Outcome.UNCHANGED and entries:
            entries[-1][3:5] = [entries[-1][3] + 1, record.time]
    return entries


def _in_order(records: list[Numbered]) -> list[Numbered]:
    """The records by placement: the dated history by (time, n), then the rest by n, each followed by its
    re-readings (by n), each of those by its own."""
    numbers = {n for n, _, _ in records}
    children: dict[int, list[Numbered]] = {}
    base = []
    for item in sorted(records, key=lambda item: item[0]):
        after = rereads(item[2])
        if after is not None and after in numbers and after != item[0]:
            children.setdefault(after, []).append(item)
        else:
            base.append(item)
    base.sort(key=lambda item: (0, item[2].time, item[0]) if placed_by_date(item[2]) else (1, "", item[0]))
    ordered: list[Numbered] = []
    stack = list(reversed(base))
    while stack:
        item = stack.pop()
        ordered.append(item)
        stack.extend(reversed(children.pop(item[0], [])))  # popped: a cycle of re-readings ends here
    return ordered


def text_of(record: CheckRecord) -> str | None:
    return record.text_sha256 or record.version


def _old_texts(record: CheckRecord, by_n: dict[int, CheckRecord]) -> set[str | None]:
    """The text of the record `record` re-reads, and of the record that one re-read in turn, and so on."""
    found, after, seen = set(), rereads(record), set()
    while after is not None and after in by_n and after not in seen:
        seen.add(after)
        found.add(text_of(by_n[after]))
        after = rereads(by_n[after])
    return found


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
