"""The objections ledger's SQL: one append-only table with a hash chain of its own.

Each row's `record` is JSON whose `chain` field (repeated in the `chain` column) is the sha256 of the previous
row's record as stored (None for the first), exactly as the checks' chain (chain.py): an edited, deleted or
inserted record breaks the chain at the row after it, and `verify` names that row. Corrections and withdrawals
are new records; nothing is ever deleted or rewritten.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

from monitor.store.area import Area
from monitor.store.chain import RESTORE, record_digest, record_hash


class Objections:
    """The objections chain of a store (`store.objections`)."""

    def __init__(self, area: Area) -> None:
        self._area = area

    def append(self, record: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        """Add `record` at the head of the chain in one transaction; its sequence number and the record as
        stored (with `seq` and `chain` set)."""
        with self._area.transaction():
            rows = self._area.query("SELECT seq, record FROM objections ORDER BY seq DESC LIMIT 1")
            seq = int(rows[0][0]) + 1 if rows else 1
            stored = {**record, "seq": seq, "chain": record_hash(str(rows[0][1])) if rows else None}
            data = json.dumps(stored, ensure_ascii=False, sort_keys=True)
            self._area.execute(
                "INSERT INTO objections (seq, record, digest, chain) VALUES (?, ?, ?, ?)",
                (seq, data, record_digest(data), stored["chain"]),
            )
        return seq, stored

    def stored(self) -> list[tuple[int, str]]:
        """Every record exactly as stored, (seq, JSON), oldest first: what a chain position is computed from."""
        return [
            (int(seq), str(data))
            for seq, data in self._area.query("SELECT seq, record FROM objections ORDER BY seq")
        ]

    def records(self) -> list[dict[str, Any]]:
        """Every record, oldest first; a record that does not hash to its digest is damage (`verify` says
        where), so it is left out rather than believed."""
        found = []
        for _seq, data, digest in self._area.query("SELECT seq, record, digest FROM objections ORDER BY seq"):
            if isinstance(data, str) and record_digest(data) == digest:
                found.append(self._area.load_object("objection record", data))
        return found


def objection_chain_problems(conn: sqlite3.Connection, where: str) -> list[str]:
    """Each damaged record, and the first row at which the objections chain breaks (deleted, edited or inserted
    records), as `verify` lines."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'objections'").fetchone():
        return []
    problems: list[str] = []
    previous: str | None = None
    expected = 1
    for seq, data, digest, column in conn.execute(
        "SELECT seq, record, digest, chain FROM objections ORDER BY seq"
    ):
        name = f"{where}: objections row {seq}"
        if not isinstance(data, str) or record_digest(data) != digest:
            problems.append(f"{name}: damaged record (it does not hash to its digest); {RESTORE}")
            break
        problem = _link_problem(data, column, previous, int(seq), expected)
        if problem:
            problems.append(f"{name}: the objections chain breaks here: {problem}; {RESTORE}")
            break
        previous, expected = record_hash(data), int(seq) + 1
    return problems


def _link_problem(data: str, column: object, previous: str | None, seq: int, expected: int) -> str | None:
    if seq != expected:
        return f"row{'s' if seq > expected + 1 else ''} {expected}{f' to {seq - 1}' if seq > expected + 1 else ''} missing (deleted)"
    try:
        record = json.loads(data)
        stored, recorded_seq = record.get("chain"), record.get("seq")
    except (ValueError, AttributeError):
        return "its record is not JSON"
    if recorded_seq != seq:
        return f"its record says it is row {recorded_seq} (rows were renumbered)"
    if stored != column:
        return "its chain column differs from the chain in its record"
    if stored != previous:
        if previous is None:
            return "the first record names a record before it (records before it were deleted)"
        return (
            f"it names {str(stored)[:12]} as the record before it, but row {seq - 1} hashes to {previous[:12]} "
            "(that record was edited, or this one was inserted)"
        )
    return None
