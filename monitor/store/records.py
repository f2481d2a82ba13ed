"""Reading checks and the timeline back from monitor.db: bounded, indexed queries, every value validated.

A value that does not parse (a bad time, an unknown outcome, a version that is not a sha256) is damage of
that page's data: `StoreDamaged` naming the database and the row, never a traceback further up.
"""

from __future__ import annotations

import json
import re
from typing import Any

from monitor.errors import StoreDamaged
from monitor.models import CheckRecord
from monitor.store.db import record_digest
from monitor.store.layout import SHA256
from monitor.store.state import StateArea
from monitor.store.timeline import VersionInfo

TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")
_COLUMNS = "id, page, time, record, digest"
GOOD = "outcome != 'failed'"
CHANGE = "outcome IN ('new', 'changed')"
# Imported history and technical versions are the timeline's, not news: every query about checks in a period,
# and every "latest" query, reads the checks made live only (`source IS NULL`).
LIVE = "source IS NULL"
# A technical version (the same capture under changed rules, pipeline/rules_change.py) is recorded by a live
# check with a `source` whose key starts with this: it is in the timeline's order like the live checks, and
# not news like imported history.
TECHNICAL_KEY = "rules:"
# Records placed in the order they were recorded: live checks and the technical versions they made.
RECORDED = f"(source IS NULL OR source LIKE '{TECHNICAL_KEY}%')"
# A page's records in timeline order: the imported history by its dates (always older than the live checks),
# then the live checks in the order they were recorded.
IMPORTED_FIRST = f"ORDER BY {RECORDED}, CASE WHEN {RECORDED} THEN n END, time, n"


def is_technical(record: CheckRecord) -> bool:
    """Whether the record is a technical version: a stored capture extracted again under changed rules."""
    return record.source is not None and record.source.get("kind") == "rules"


def rules_note(record: CheckRecord) -> str:
    """How every output marks a technical version: "rules changed (<what changed in them>)"."""
    changed = (record.source or {}).get("changed")
    return f"rules changed ({changed})" if changed else "rules changed"


def is_imported(record: CheckRecord) -> bool:
    return record.source is not None and not is_technical(record)


# DISTINCT would read every check; this hops from page to page through the index (a skip scan).
_PAGES = """WITH RECURSIVE p(page) AS (
    SELECT MIN(page) FROM checks
    UNION ALL SELECT (SELECT MIN(page) FROM checks WHERE page > p.page) FROM p WHERE p.page IS NOT NULL
) SELECT page FROM p"""


def bounds(
    since: str | None, before: str | None, until: str | None, *, latest: bool = False
) -> tuple[str, list[str]]:
    """SQL for `since <= time < before` and `time <= until` (any of them may be None). With `latest`, the
    bound is a filter (`+time`), not an index range: the query walks the page's (page, n) index back from the
    newest check and stops at the first match, instead of sorting every check up to `until`."""
    sql, params = "", []
    column = "+time" if latest else "time"
    for op, value in ((">=", since), ("<", before), ("<=", until)):
        if value is not None:
            sql += f" AND {column} {op} ?"
            params.append(value)
    return sql, params


def check_problem(record: CheckRecord) -> str | None:
    """Why a check record cannot be stored or trusted, or None."""
    if not isinstance(record.time, str) or not TIME.match(record.time):
        return f"bad time {record.time!r}"
    for name in ("version", "previous", "text_sha256", "raw_sha256"):
        value = getattr(record, name)
        if value is not None and not (isinstance(value, str) and SHA256.match(value)):
            return f"{name} is not a sha256: {value!r}"
    return None


class CheckQueries(StateArea):
    """The read side of checks and versions; every query is served by an index (see db.py)."""

    def pages(self) -> list[str]:
        """The pages with at least one check, sorted."""
        return [page for (page,) in self.query(_PAGES) if page is not None]

    def checks(
        self, page_id: str, *, since: str | None = None, before: str | None = None, until: str | None = None
    ) -> list[CheckRecord]:
        """The checks of a page, oldest first; `since <= time < before`, `time <= until` when given.

        With a bound, only the checks made live (a period's checks are news; imported history is not);
        without one, every record of the page: the imported history by its dates (an import may come after
        live checks, but is always older than them), then the live checks in the order they were recorded
        (a check's time is when it started: one that waited on a slow server is recorded after a later one)."""
        self._page_dir(page_id)
        where, params = bounds(since, before, until)
        order = f" AND {LIVE} ORDER BY n" if where else f" {IMPORTED_FIRST}"
        rows = self.query(f"SELECT {_COLUMNS} FROM checks WHERE page = ?{where}{order}", (page_id, *params))
        return [self._record(row) for row in rows]

    def last_check(self, page_id: str, *, until: str | None = None, good: bool = False) -> CheckRecord | None:
        """The latest check (with `good`: the latest that was not a failure), up to `until` if given."""
        self._page_dir(page_id)
        where, params = bounds(None, None, until, latest=True)
        kind = f" AND {GOOD}" if good else ""
        rows = self.query(
            f"SELECT {_COLUMNS} FROM checks WHERE page = ? AND {LIVE}{kind}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        return self._record(rows[0]) if rows else None

    def first_check(self, page_id: str) -> CheckRecord | None:
        rows = self.query(f"SELECT {_COLUMNS} FROM checks WHERE page = ? ORDER BY n LIMIT 1", (page_id,))
        return self._record(rows[0]) if rows else None

    def last_change(self, page_id: str, *, until: str | None = None) -> CheckRecord | None:
        """The latest `new` or `changed` check, up to `until` if given."""
        where, params = bounds(None, None, until, latest=True)
        rows = self.query(
            f"SELECT {_COLUMNS} FROM checks WHERE page = ? AND {CHANGE} AND {LIVE}{where}"
            " ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        return self._record(rows[0]) if rows else None

    def count_checks(self, page_id: str, *, until: str | None = None) -> int:
        """How many live checks the page had up to `until` (the per-page ordinal less the imported records
        before it: no scan of the checks)."""
        where, params = bounds(None, None, until, latest=True)
        rows = self.query(
            f"SELECT n FROM checks WHERE page = ? AND {LIVE}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        if not rows:
            return 0
        (imported,) = self.query(
            "SELECT COUNT(*) FROM checks WHERE page = ? AND source IS NOT NULL AND n < ?",
            (page_id, rows[0][0]),
        )[0]
        return int(rows[0][0]) - int(imported)

    def failures(self, page_id: str, *, until: str | None = None) -> list[CheckRecord]:
        """The run of failed checks since the last good one (oldest first), up to `until` if given."""
        where, params = bounds(None, None, until, latest=True)
        good = self.query(
            f"SELECT id FROM checks WHERE page = ? AND {GOOD} AND {LIVE}{where} ORDER BY n DESC LIMIT 1",
            (page_id, *params),
        )
        if good:
            # `+page`, `+time`: walk the primary key from the last good check, not the page's whole index
            sql = (
                f"SELECT {_COLUMNS} FROM checks WHERE +page = ? AND outcome = 'failed' AND {LIVE} AND id > ?"
            )
            rows = self.query(f"{sql}{where} ORDER BY id", (page_id, good[0][0], *params))
        else:  # never a good check: every failure of the page, through its own index (not every page's)
            sql = f"SELECT {_COLUMNS} FROM checks WHERE page = ? AND outcome = 'failed' AND {LIVE}"
            rows = self.query(f"{sql}{where} ORDER BY n", (page_id, *params))
        return [self._record(row) for row in rows]

    def changes(
        self, *, since: str | None = None, before: str | None = None, limit: int | None = None
    ) -> list[CheckRecord]:
        """`changed` checks of every page in a period, oldest first (the newest `limit` when given)."""
        where, params = bounds(since, before, None)
        sql = (
            f"SELECT {_COLUMNS} FROM checks WHERE outcome IN ('new', 'changed') AND {LIVE}{where}"
            " ORDER BY time DESC, id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = self.query(sql, params)
        return [self._record(row) for row in reversed(rows)]

    def versions(self, page_id: str) -> list[VersionInfo]:
        """The timeline, oldest first."""
        self._page_dir(page_id)
        rows = self.query(
            "SELECT seq, version, since, until, checks, last_seen, raw_sha256, rules FROM versions"
            " WHERE page = ? ORDER BY seq",
            (page_id,),
        )
        return [self._version(page_id, row) for row in rows]

    # -- validation ----------------------------------------------------------------------------------------

    def _record(self, row: Any) -> CheckRecord:
        row_id, page, time, data, digest = row
        where = f"{self.db.path}: checks row {row_id} (page {page!r})"
        if not isinstance(data, str) or record_digest(data) != digest:
            raise self._damaged(page, f"{where}: damaged record (it does not hash to its digest)")
        try:
            record = CheckRecord.from_json(json.loads(data))
        except (ValueError, KeyError, TypeError) as error:
            raise self._damaged(page, f"{where}: damaged record ({error})") from None
        problem = check_problem(record) or (None if record.time == time else "time differs from its column")
        if problem:
            raise self._damaged(page, f"{where}: {problem}")
        return record

    def _version(self, page_id: str, row: Any) -> VersionInfo:
        seq, version, since, until, checks, last_seen, raw, *rules = row
        good = (
            isinstance(version, str)
            and SHA256.match(version)
            and all(t is None or (isinstance(t, str) and TIME.match(t)) for t in (since, until, last_seen))
            and isinstance(checks, int)
            and (raw is None or (isinstance(raw, str) and SHA256.match(raw)))
        )
        if not good:
            raise self._damaged(page_id, f"{self.db.path}: versions row {seq} of page {page_id!r}: bad value")
        fingerprint = rules[0] if rules and isinstance(rules[0], str) else None
        return VersionInfo(version, since, until, checks, last_seen, raw, fingerprint)

    def _damaged(self, page: str, message: str) -> StoreDamaged:
        return StoreDamaged(
            f"{message}; run `privacy-monitor verify`, restore {self.db.path} from a backup",
            path=self.db.path,
            page=page,
        )

    def _page_dir(self, page_id: str) -> Any:
        raise NotImplementedError
