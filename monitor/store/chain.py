"""The hash chain of each page's check records, and the upgrade of a version-1 database that brings it.

Every record (the JSON in `checks.record`) carries in its `chain` field the sha256 of the page's previous record
as stored (None for the page's first), and the `chain` column repeats it. Editing, deleting or inserting a record
therefore breaks the chain at the record after it (or at the record itself, for an insertion), and `verify`
names that record. A record's hash is `sha256sum` of its JSON text exactly as stored, so anyone holding two
consecutive records (an exported bundle holds one and the hash of the one before) can check the link.

The chain proves order and integrity, not time: whoever controls the whole database can rewrite all of it.
Anchoring the head elsewhere (an exported bundle, a published hash) is what makes a rewrite visible.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

RESTORE = "restore monitor.db from a backup (a copy of the store folder is a complete backup)"


def record_digest(record_json: str) -> str:
    """The `digest` column: a flipped byte SQLite cannot see is still found (kept short, as version 1 had it)."""
    return hashlib.sha256(record_json.encode("utf-8")).hexdigest()[:32]


def record_hash(record_json: str) -> str:
    """The sha256 of a stored record (what the next record of its page names in `chain`)."""
    return hashlib.sha256(record_json.encode("utf-8")).hexdigest()


def chain_head(conn: sqlite3.Connection, page: str) -> str | None:
    """The hash a new record of `page` must carry: that of the page's last record, None for its first."""
    row = conn.execute("SELECT record FROM checks WHERE page = ? ORDER BY n DESC LIMIT 1", (page,)).fetchone()
    return record_hash(row[0]) if row else None


def chain_problems(conn: sqlite3.Connection, where: str) -> list[str]:
    """Per page, the first record at which the chain breaks (a deleted, edited or inserted record). A record
    that does not match its digest ends the walk: `verify` reports it as damaged already."""
    problems = []
    pages = [page for (page,) in conn.execute("SELECT DISTINCT page FROM checks ORDER BY page")]
    for page in pages:
        previous: str | None = None
        expected_n = 1
        rows = conn.execute(
            "SELECT id, n, time, record, chain, digest FROM checks WHERE page = ? ORDER BY n", (page,)
        )
        for row_id, n, time, data, column, digest in rows:
            if not isinstance(data, str) or record_digest(data) != digest:
                break  # a damaged record is reported as such (verify.py); the chain after it says nothing more
            name = f"{where}: checks row {row_id} (page {page!r}, record {n} of {time})"
            problem = link_problem(data, column, previous, n, expected_n)
            if problem:
                problems.append(f"{name}: the hash chain breaks here: {problem}; {RESTORE}")
                break
            previous, expected_n = record_hash(str(data)), n + 1
    return problems


@dataclass(frozen=True, slots=True)
class ChainWords:
    """How `verify` names a chain's links: the checks' chain (per page) or the objections' (one chain)."""

    noun: str = "record"
    missing: str = "{gone} of this page {is} missing (deleted)"
    first: str = "the page's first record"
    numbered: bool = False  # each record carries its own number (`seq`), which must be its row's


CHECKS = ChainWords()
OBJECTIONS = ChainWords("row", "{gone} missing (deleted)", "the first record", numbered=True)


def link_problem(
    data: object, column: object, previous: str | None, n: int, expected: int, words: ChainWords = CHECKS
) -> str | None:
    """What is wrong with the link of record `n` (JSON `data`, its `chain` column) to the record before it,
    which hashes to `previous` (None: it is the first); None when the link holds."""
    if n != expected:
        gone = f"{words.noun} {expected}" if n == expected + 1 else f"{words.noun}s {expected} to {n - 1}"
        return words.missing.format(gone=gone, **{"is": "is" if n == expected + 1 else "are"})
    try:
        record = json.loads(str(data))
        stored, recorded = record.get("chain"), record.get("seq")
    except (ValueError, AttributeError):
        return "its record is not JSON"
    if words.numbered and recorded != n:
        return f"its record says it is {words.noun} {recorded} (rows were renumbered)"
    if stored != column:
        return "its chain column differs from the chain in its record"
    if stored != previous:
        if previous is None:
            return f"{words.first} names a record before it (records before it were deleted)"
        return (
            f"it names {str(stored)[:12]} as the record before it, but {words.noun} {n - 1} hashes to "
            f"{previous[:12]} (that record was edited, or this one was inserted)"
        )
    return None


def upgrade_schema(conn: sqlite3.Connection, schema: str, target: int) -> None:
    """Bring an older database to version `target` in one transaction. From 1: the `source` and `chain`
    columns, and every existing record chained in its page's order (a record that does not hash to its digest is
    left as it is, for `verify` to report: an upgrade never launders damage). From 2: `versions.rules` (each
    version's rules fingerprint, from the record that brought it) and the tables schema 3 adds. Nothing stored
    is rewritten but what each step names."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        (current,) = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if int(current) < target:  # another process may have upgraded it meanwhile
            _add_columns(conn, "checks", ("source", "chain"))
            _add_columns(conn, "versions", ("rules",))
            for statement in schema.split(";"):
                if statement.strip():
                    conn.execute(statement)
            if int(current) < 2:
                _chain_existing(conn)
            conn.execute(
                "UPDATE versions SET rules = (SELECT json_extract(record, '$.rules') FROM checks"
                " WHERE checks.id = versions.check_id AND json_valid(record))"
            )
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(target),))
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def _add_columns(conn: sqlite3.Connection, table: str, names: tuple[str, ...]) -> None:
    columns = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    for name in names:
        if name not in columns:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} TEXT")


def _chain_existing(conn: sqlite3.Connection) -> None:
    previous: dict[str, str | None] = {}
    rows = conn.execute("SELECT id, page, record, digest FROM checks ORDER BY page, n").fetchall()
    for row_id, page, data, digest in rows:
        chain = previous.get(page)
        if not isinstance(data, str) or record_digest(data) != digest:
            previous[page] = record_hash(str(data))
            continue
        try:
            record = json.loads(data)
        except ValueError:
            previous[page] = record_hash(data)
            continue
        record["chain"] = chain
        chained = json.dumps(record, ensure_ascii=False)
        conn.execute(
            "UPDATE checks SET record = ?, digest = ?, chain = ? WHERE id = ?",
            (chained, record_digest(chained), chain, row_id),
        )
        previous[page] = record_hash(chained)
