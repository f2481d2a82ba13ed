"""The checks part (`store.checks`): every check recorded, read back through bounded, indexed queries.

A live check records with `Store.commit_check` (with its baselines and outbox message); imports and damaged
pages record with `append`. Every record read back is validated (records.py): damage names the database row.
"""

from __future__ import annotations

import json
import os
import sqlite3

from monitor.errors import StoreError
from monitor.models import CheckRecord
from monitor.store.area import Area
from monitor.store.chain import record_hash
from monitor.store.imported import ChainedRecord
from monitor.store.layout import blob_name, blob_path, referenced_blobs
from monitor.store.placement import ORDER_COLUMNS, timeline_order
from monitor.store.records import (
    CHANGE,
    GOOD,
    LIVE,
    RECORD_COLUMNS,
    bounds,
    check_problem,
    parse_record,
)
from monitor.store.timeline import STARTS_VERSION
from monitor.store.writes import PartWrite, insert_captures, insert_check, read_head

# DISTINCT would read every check; this hops from page to page through the index (a skip scan).
_PAGES = """WITH RECURSIVE p(page) AS (
    SELECT MIN(page) FROM checks
    UNION ALL SELECT (SELECT MIN(page) FROM checks WHERE page > p.page) FROM p WHERE p.page IS NOT NULL
) SELECT page FROM p"""


class Checks:
    """The check records of every page; every query is served by an index (see db.py)."""

    def __init__(self, area: Area) -> None:
        self._area = area

    # -- writing -----------------------------------------------------------------------------------------

    def append(self, record: CheckRecord, captures: list[PartWrite] | None = None) -> int:
        """Record one check (and move the timeline) in the current transaction, or in one of its own;
        every blob it refers to must already be stored. Returns the check's row id. Imports and damaged pages
        record this way; a live check records with `Store.commit_check`. `captures`: the parts of a combined
        document that the record's version is read from (a re-reading names the parts it re-read)."""
        self.ensure_storable(record)
        with self._area.transaction():
            conn = self._area.db.connection()
            check_id = insert_check(conn, record, read_head(conn, record.page))
            if captures:
                insert_captures(conn, check_id, captures)
            return check_id

    def ensure_storable(self, record: CheckRecord) -> None:
        """StoreError naming the check when it cannot be recorded: a bad value, or a blob not stored yet."""
        page = self._area.page_dir(record.page)
        where = f"check {record.time} of page {record.page!r}"
        if problem := check_problem(record):
            raise StoreError(f"{where}: {problem}")
        if record.outcome in STARTS_VERSION and not record.text_sha256:
            raise StoreError(f"{where} is {record.outcome} but has no text_sha256")
        if record.outcome in STARTS_VERSION and record.version not in (None, record.text_sha256):
            raise StoreError(f"{where}: its version differs from its text_sha256")
        for name, digest in referenced_blobs(record):
            # every check records through here: a string's stat, not a Path's (a tenth of an unchanged commit)
            if not os.path.exists(f"{page}/{blob_name(name, digest)}"):
                path = blob_path(page, name, digest)
                raise StoreError(
                    f"{path}: missing, {where} refers to it (call store.versions.put(page, text, raw)"
                    " with the same text and raw bytes before recording it)"
                )

    # -- reading -----------------------------------------------------------------------------------------

    def pages(self) -> list[str]:
        """The pages with at least one check, sorted."""
        return [page for (page,) in self._area.query(_PAGES) if page is not None]

    def last(self, page_id: str, *, until: str | None = None, good: bool = False) -> CheckRecord | None:
        """The latest live check (with `good`: the latest that was not a failure), up to `until` if given."""
        self._area.page_dir(page_id)
        where, params = bounds(None, None, until, latest=True)
        kind = f" AND {GOOD}" if good else ""
        rows = self._area.query(
            f"SELECT {RECORD_COLUMNS} FROM checks WHERE page = ? AND {LIVE}{kind}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        return self._parse(rows[0]) if rows else None

    def first(self, page_id: str) -> CheckRecord | None:
        """The page's first record (imported or live), or None."""
        rows = self._area.query(
            f"SELECT {RECORD_COLUMNS} FROM checks WHERE page = ? ORDER BY n LIMIT 1", (page_id,)
        )
        return self._parse(rows[0]) if rows else None

    def last_change(self, page_id: str, *, until: str | None = None) -> CheckRecord | None:
        """The latest live `new` or `changed` check, up to `until` if given."""
        where, params = bounds(None, None, until, latest=True)
        rows = self._area.query(
            f"SELECT {RECORD_COLUMNS} FROM checks WHERE page = ? AND {CHANGE} AND {LIVE}{where}"
            " ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        return self._parse(rows[0]) if rows else None

    def count(self, page_id: str, *, until: str | None = None) -> int:
        """How many live checks the page had up to `until` (the per-page ordinal less the imported records
        before it: no scan of the checks)."""
        where, params = bounds(None, None, until, latest=True)
        rows = self._area.query(
            f"SELECT n FROM checks WHERE page = ? AND {LIVE}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        if not rows:
            return 0
        (imported,) = self._area.query(
            "SELECT COUNT(*) FROM checks WHERE page = ? AND source IS NOT NULL AND n < ?",
            (page_id, rows[0][0]),
        )[0]
        return int(rows[0][0]) - int(imported)

    def failures(self, page_id: str, *, until: str | None = None) -> list[CheckRecord]:
        """The run of failed checks since the last good one (oldest first), up to `until` if given."""
        where, params = bounds(None, None, until, latest=True)
        good = self._area.query(
            f"SELECT id FROM checks WHERE page = ? AND {GOOD} AND {LIVE}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        failed = f"SELECT {RECORD_COLUMNS} FROM checks WHERE {{}} = ? AND outcome = 'failed' AND {LIVE}"
        if good:
            # `+page`, `+time`: walk the primary key from the last good check, not the page's whole index
            sql = failed.format("+page") + " AND id > ?"
            rows = self._area.query(f"{sql}{where} ORDER BY id", (page_id, good[0][0], *params))
        else:  # never a good check: every failure of the page, through its own index (not every page's)
            rows = self._area.query(f"{failed.format('page')}{where} ORDER BY n", (page_id, *params))
        return [self._parse(row) for row in rows]

    def changes(
        self, *, since: str | None = None, before: str | None = None, limit: int | None = None
    ) -> list[CheckRecord]:
        """Live `new` and `changed` checks of every page in a period, oldest first (the newest `limit`)."""
        where, params = bounds(since, before, None)
        sql = (
            f"SELECT {RECORD_COLUMNS} FROM checks WHERE outcome IN ('new', 'changed') AND {LIVE}{where}"
            " ORDER BY time DESC, id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self._area.query(sql, params)
        return [self._parse(row) for row in reversed(rows)]

    def chained(self, page_id: str, n: int) -> ChainedRecord | None:
        """The page's `n`th record (1 = first) with its place in the page's hash chain, or None."""
        rows = self._area.query(
            f"SELECT {RECORD_COLUMNS} FROM checks WHERE page = ? AND n IN (?, ?) ORDER BY n",
            (page_id, n, n + 1),
        )
        if not rows:
            return None
        record = self._parse(rows[0])  # validated: a damaged record is not exported
        last = self._area.query(
            "SELECT n, record FROM checks WHERE page = ? ORDER BY n DESC LIMIT 1", (page_id,)
        )[0]
        data = str(rows[0][3])
        following = json.loads(rows[1][3]).get("chain") if len(rows) > 1 else None
        previous = json.loads(data).get("chain")
        return ChainedRecord(
            record, data, n, int(last[0]), record_hash(data), previous, following, record_hash(str(last[1]))
        )

    def list_and_readings(self, page_id: str) -> tuple[list[CheckRecord], list[CheckRecord]]:
        """`list(page_id)`, and the same records but those a re-reading stands for (`reextract`: their captures
        read again under today's rules), the records the timeline reads, to tell its changes from; from one
        read: each record is read and validated once."""
        self._area.page_dir(page_id)
        return self._placed(page_id)

    def _placed(self, page_id: str) -> tuple[list[CheckRecord], list[CheckRecord]]:
        """Every record of the page in timeline order, and those of them no re-reading stands for."""
        placed = self._area.query(
            f"SELECT {ORDER_COLUMNS}, {RECORD_COLUMNS} FROM checks WHERE page = ?", (page_id,)
        )
        reread = {row[3] for row in placed}
        order = timeline_order(placed)
        records = {i: self._parse(placed[i][4:]) for i in order}
        return [records[i] for i in order], [records[i] for i in order if placed[i][0] not in reread]

    # last of the public methods: in the class body below it, `list` names this method, not the type
    def list(
        self, page_id: str, *, since: str | None = None, before: str | None = None, until: str | None = None
    ) -> list[CheckRecord]:
        """The checks of a page, oldest first; `since <= time < before`, `time <= until` when given.

        With a bound, only the checks made live (a period's checks are news; imported history is not);
        without one, every record of the page in timeline order (placement.py): the imported history by its
        dates (an import may come after live checks, but is always older than them), then the live checks in
        the order they were recorded (a check's time is when it started: one that waited on a slow server is
        recorded after a later one), a re-reading right after the record it re-reads."""
        self._area.page_dir(page_id)
        where, params = bounds(since, before, until)
        if where:
            rows = self._area.query(
                f"SELECT {RECORD_COLUMNS} FROM checks WHERE page = ?{where} AND {LIVE} ORDER BY n",
                (page_id, *params),
            )
            return [self._parse(row) for row in rows]
        return self._placed(page_id)[0]

    def _parse(self, row: sqlite3.Row | tuple) -> CheckRecord:
        return parse_record(self._area.db.path, row)
