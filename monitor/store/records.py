"""What the checks and versions parts share: the SQL conditions of their queries, and the validation of
every row they read back.

A value that does not parse (a bad time, an unknown outcome, a version that is not a sha256) is damage of
that page's data: `StoreDamaged` naming the database and the row, never a traceback further up.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from monitor.errors import StoreDamaged
from monitor.models import CheckRecord
from monitor.store.db import record_digest
from monitor.store.layout import SHA256
from monitor.store.timeline import VersionInfo

TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")
RECORD_COLUMNS = "id, page, time, record, digest"  # what parse_record reads
VERSION_COLUMNS = "seq, version, since, until, checks, last_seen, raw_sha256, rules"  # parse_version
GOOD = "outcome != 'failed'"
CHANGE = "outcome IN ('new', 'changed')"
# Imported history and technical versions are the timeline's, not news: every query about checks in a period,
# and every "latest" query, reads the checks made live only (`source IS NULL`).
LIVE = "source IS NULL"
# A technical version (the same capture under changed rules, pipeline/rules_change.py) is recorded by a live
# check with a `source` whose key starts with this: it is in the timeline's order like the live checks, and
# not news like imported history.
TECHNICAL_KEY = "rules:"
# The source key of a technical version made inside imported history (an import whose declaration changed
# between two captures): not `TECHNICAL_KEY`, so the timeline places it by its date among the imported records.
HISTORY_KEY = "history-rules:"


def is_technical(record: CheckRecord) -> bool:
    """Whether the record is a technical version: a stored capture extracted again under changed rules, or an
    imported version its source says its rules made (an OTA "Apply technical or declaration upgrade" commit)."""
    source = record.source
    return source is not None and (
        source.get("kind") == "rules" or str(source.get("key", "")).startswith(HISTORY_KEY)
    )


def rules_note(record: CheckRecord) -> str:
    """How every output marks a technical version: "rules changed (<what changed in them>)"."""
    source = record.source or {}
    changed = source.get("changed") or source.get("technical")
    return f"rules changed ({changed})" if changed else "rules changed"


def is_imported(record: CheckRecord) -> bool:
    return record.source is not None and not is_technical(record)


def placed_by_date(record: CheckRecord) -> bool:
    """Whether the timeline places the record by its date (imported history, and the technical versions made
    inside it) rather than in the order it was recorded (live checks, and the technical versions they made):
    placement.py's `timeline_order`)."""
    source = record.source
    return source is not None and not str(source.get("key") or source["id"]).startswith(TECHNICAL_KEY)


def rereads(record: CheckRecord) -> int | None:
    """The number of the record a re-reading stands for (`reextract`: that record's capture extracted again
    under today's rules, placed right after it), or None for any other record."""
    after = record.source.get("after") if is_technical(record) and record.source else None
    return after if isinstance(after, int) and not isinstance(after, bool) else None


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


def parse_record(db_path: Path, row: sqlite3.Row | tuple) -> CheckRecord:
    """A check record from its row (RECORD_COLUMNS), checked against its digest and its columns."""
    row_id, page, time, data, digest = row
    where = f"{db_path}: checks row {row_id} (page {page!r})"
    if not isinstance(data, str) or record_digest(data) != digest:
        raise row_damage(db_path, page, f"{where}: damaged record (it does not hash to its digest)")
    try:
        record = CheckRecord.from_json(json.loads(data))
    except (ValueError, KeyError, TypeError) as error:
        raise row_damage(db_path, page, f"{where}: damaged record ({error})") from None
    problem = check_problem(record) or (None if record.time == time else "time differs from its column")
    if problem:
        raise row_damage(db_path, page, f"{where}: {problem}")
    return record


def parse_version(db_path: Path, page_id: str, row: sqlite3.Row | tuple) -> VersionInfo:
    """A timeline entry from its row (VERSION_COLUMNS), every value checked."""
    seq, version, since, until, checks, last_seen, raw, *rules = row
    good = (
        isinstance(version, str)
        and SHA256.match(version)
        and all(t is None or (isinstance(t, str) and TIME.match(t)) for t in (since, until, last_seen))
        and isinstance(checks, int)
        and (raw is None or (isinstance(raw, str) and SHA256.match(raw)))
    )
    if not good:
        raise row_damage(db_path, page_id, f"{db_path}: versions row {seq} of page {page_id!r}: bad value")
    fingerprint = rules[0] if rules and isinstance(rules[0], str) else None
    return VersionInfo(version, since, until, checks, last_seen, raw, fingerprint)


def row_damage(db_path: Path, page: str, message: str) -> StoreDamaged:
    return StoreDamaged(
        f"{message}; run `privacy-monitor verify`, restore {db_path} from a backup", path=db_path, page=page
    )
