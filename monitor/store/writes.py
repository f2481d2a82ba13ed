"""Recording checks: what a check reads of its page before it fetches (one query), and the one short write
transaction that records it.

A live check is a compare-and-set on the page's current version: everything slow (fetch, extraction, the diff,
the watches, writing and fsyncing the blobs) happens before, outside any lock; the transaction only reads the
page's head (its current version and last record, one query) and writes. When another writer moved the page
meanwhile, nothing is written and the check decides again against the new current version.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.models import CheckRecord, Outcome
from monitor.store.chain import record_digest, record_hash
from monitor.store.placement import rebuild_timeline
from monitor.store.records import VERSION_COLUMNS, placed_by_date, rereads
from monitor.store.timeline import STARTS_VERSION, VersionInfo

# One statement for everything a check needs before it fetches: the current version, the last good live check
# (whose validators a conditional fetch sends) and the baselines of the page's watches.
PAGE_STATE = f"""
SELECT v.{VERSION_COLUMNS.replace(", ", ", v.")}, g.id, g.page, g.time, g.record, g.digest,
    (SELECT json_group_object(watch, data) FROM baselines WHERE page = :page)
FROM (SELECT 1)
LEFT JOIN (SELECT {VERSION_COLUMNS} FROM versions WHERE page = :page ORDER BY seq DESC LIMIT 1) AS v ON 1
LEFT JOIN (SELECT id, page, time, record, digest FROM checks
           WHERE page = :page AND source IS NULL AND outcome != 'failed' ORDER BY n DESC LIMIT 1) AS g ON 1
"""

# The page's head, read under the write lock: the current version, and the last record (the chain's link).
HEAD = """
SELECT v.seq, v.version, c.n, c.record, c.time
FROM (SELECT 1)
LEFT JOIN (SELECT seq, version FROM versions WHERE page = :page ORDER BY seq DESC LIMIT 1) AS v ON 1
LEFT JOIN (SELECT n, record, time FROM checks WHERE page = :page ORDER BY n DESC LIMIT 1) AS c ON 1
"""


@dataclass(frozen=True, slots=True)
class PageState:
    """What a check reads of its page before fetching."""

    current: VersionInfo | None
    last_good: CheckRecord | None  # the latest good live check: its validators make a conditional fetch
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)  # by watch id

    @property
    def version(self) -> str | None:
        return self.current.id if self.current else None


@dataclass(frozen=True, slots=True)
class Head:
    seq: int | None
    version: str | None
    n: int
    chain: str | None
    time: str | None


def read_head(conn: sqlite3.Connection, page: str) -> Head:
    seq, version, n, last_record, last_time = conn.execute(HEAD, {"page": page}).fetchone()
    return Head(
        seq, version, n or 0, record_hash(last_record) if last_record is not None else None, last_time
    )


def insert_check(conn: sqlite3.Connection, record: CheckRecord, head: Head) -> int:
    """Append `record` after `head` (read in this transaction) and move the timeline; the row id."""
    if record.source is None and head.time is not None and record.time < head.time:
        record.clock_step = head.time  # the clock went back: said in the record, so verify can tell
    data = json.dumps(record.to_json() | {"chain": head.chain}, ensure_ascii=False)
    source = str(record.source.get("key") or record.source["id"]) if record.source else None
    cursor = conn.execute(
        "INSERT INTO checks (page, n, time, outcome, version, previous, text_sha256, raw_sha256, reason,"
        " record, digest, source, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.page, head.n + 1, record.time, str(record.outcome), record.version, record.previous,
         record.text_sha256, record.raw_sha256, record.reason, data, record_digest(data), source, head.chain),
    )  # fmt: skip
    check_id = cursor.lastrowid
    assert check_id is not None  # an INSERT always has a row id
    if placed_by_date(record) or rereads(record) is not None:
        # an imported version is placed by its date, a re-reading after the record it re-reads: not appended
        rebuild_timeline(conn, record.page)
    elif record.outcome in STARTS_VERSION and (record.text_sha256 or record.version):
        if head.seq is not None:
            conn.execute(
                "UPDATE versions SET until = ? WHERE page = ? AND seq = ?",
                (record.time, record.page, head.seq),
            )
        conn.execute(
            "INSERT INTO versions (page, seq, version, since, until, checks, last_seen, raw_sha256, check_id, rules)"
            " VALUES (?, ?, ?, ?, NULL, 1, ?, ?, ?, ?)",
            (record.page, (head.seq or 0) + 1, record.text_sha256 or record.version, record.time,
             record.time, record.raw_sha256, check_id, record.rules),
        )  # fmt: skip
    elif record.outcome == Outcome.UNCHANGED and head.seq is not None:
        conn.execute(
            "UPDATE versions SET checks = checks + 1, last_seen = ? WHERE page = ? AND seq = ?",
            (record.time, record.page, head.seq),
        )
    return check_id


@dataclass(slots=True)
class Queued:
    """An outbox message a check queues with its record: (id, page, queued, status, message_id, alerts)."""

    id: str
    page: str
    queued: str
    status: str
    message_id: str
    alerts: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class PartWrite:
    """One page of a combined document as a check captured it: its raw blob (stored before the commit), and
    what its next fetch asks with (validators, the content type to decode a stored capture again)."""

    part: int  # 1, 2, ... in declaration order
    url: str
    raw_sha256: str
    validators: Mapping[str, str] = field(default_factory=dict)


def part_validators_file(page: str) -> str:
    return f"parts/{page}.json"


def rules_parts_file(fingerprint: str) -> str:
    """Where what a rules fingerprint is made of is kept (state), to say later what changed in the rules."""
    return f"rules/{fingerprint}.json"


def insert_captures(conn: sqlite3.Connection, check_id: int, parts: list[PartWrite]) -> None:
    conn.executemany(
        "INSERT INTO captures (check_id, part, url, raw_sha256) VALUES (?, ?, ?, ?)",
        [(check_id, part.part, part.url, part.raw_sha256) for part in parts],
    )


def part_validators(parts: list[PartWrite]) -> dict[str, dict[str, str]]:
    """What the next check of a combined document asks each part with, by URL (kept as state)."""
    return {part.url: {**part.validators, "raw_sha256": part.raw_sha256} for part in parts}


@dataclass(slots=True)
class CheckWrites:
    """Everything one check writes besides its record: the watch baselines it moved, its outbox message."""

    baselines: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by watch id, for the page
    message: Queued | None = None
    # The rules fingerprint to write on the version in effect when the check began (written once per rule
    # change), and the technical version its stored capture makes under them, recorded before the check.
    rules: str | None = None
    technical: CheckRecord | None = None
    technical_captures: list[PartWrite] = field(default_factory=list)  # the parts it was read from, in order
    rules_parts: Mapping[str, Any] | None = None  # what the check's fingerprint is made of, kept as state
    captures: list[PartWrite] = field(default_factory=list)  # a combined document's parts, in order

    @property
    def durable(self) -> bool:
        """Whether the commit must survive a power cut: a version, a baseline or a message must."""
        return bool(self.baselines) or self.message is not None or self.technical is not None
