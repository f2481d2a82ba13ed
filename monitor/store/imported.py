"""Imported history in the store: the reads an import needs (`store.imported`).

A live check appends to the page's timeline. An imported version (a record with a `source`) is placed by its
date instead: the page's `versions` rows are rebuilt from all its good records in timeline order, in the
transaction that adds the record (placement.py). The rule is the timeline's own: a good record whose text
differs from the version in effect before it starts an entry, one with the same text extends it (a markup-only
duplicate, or the same version from another source, merges), a failed one neither starts nor ends one.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.models import CheckRecord
from monitor.store.area import Area
from monitor.store.records import HISTORY_KEY, TECHNICAL_KEY


@dataclass(frozen=True, slots=True)
class ChainedRecord:
    """A stored record with its place in the page's hash chain."""

    record: CheckRecord
    json: str  # exactly as stored: `sha256sum` of it is `sha256`
    n: int  # its position in the page's chain (1 = first)
    total: int  # how many records the page has
    sha256: str
    previous: str | None  # the `chain` it carries: the sha256 of the record before it (None for the first)
    next_chain: str | None  # what the record after it names as its predecessor (None when it is the last)
    head: str  # the sha256 of the page's last record


class Imported:
    """The imported part (`store.imported`): what an import needs to know of a page's records."""

    def __init__(self, area: Area) -> None:
        self._area = area

    def sources(self, page_id: str) -> set[str]:
        """The source keys (`<commit or file sha256>@<time>`) already imported for the page."""
        self._area.page_dir(page_id)
        rows = self._area.query("SELECT source FROM checks WHERE page = ? AND source IS NOT NULL", (page_id,))
        return {str(source) for (source,) in rows}

    def first_live_time(self, page_id: str) -> str | None:
        """The time of the page's first check that was not imported, or None."""
        rows = self._area.query(
            "SELECT time FROM checks WHERE page = ? AND source IS NULL ORDER BY n LIMIT 1", (page_id,)
        )
        return str(rows[0][0]) if rows else None

    def last_change(self, page_id: str, *, until: str | None = None) -> str | None:
        """The date of the page's latest imported version (history, never news), or None: a change of the
        page, never one of the rules (a technical version, live or made inside the imported history)."""
        sql = (
            "SELECT MAX(time) FROM checks WHERE page = ? AND source IS NOT NULL AND outcome IN ('new', 'changed')"
            f" AND source NOT LIKE '{TECHNICAL_KEY}%' AND source NOT LIKE '{HISTORY_KEY}%'"
        )
        rows = self._area.query(
            sql + (" AND time <= ?" if until else ""), (page_id, *([until] if until else []))
        )
        return str(rows[0][0]) if rows and rows[0][0] is not None else None
