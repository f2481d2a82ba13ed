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
from dataclasses import dataclass
from typing import Any

from monitor.errors import StoreDamaged, StoreError
from monitor.store.area import Area
from monitor.store.chain import OBJECTIONS, RESTORE, link_problem, record_digest, record_hash


@dataclass(frozen=True, slots=True)
class ChainedObjection:
    """An objections-chain record exactly as stored, with its place in the chain."""

    seq: int
    action: str  # add | withdraw
    json: str  # as stored: `sha256sum` of it is `sha256`
    total: int  # records in the chain
    sha256: str
    previous: str | None  # the `chain` it carries: the sha256 of the record before it (None for the first)
    next_chain: str | None  # what the record after it names as its predecessor (None when it is the last)
    head: str  # the sha256 of the chain's last record

    def position(self) -> dict[str, object]:
        return {"chain": "objections", "position": self.seq, "of": self.total, "record_sha256": self.sha256,
                "previous_record_sha256": self.previous, "named_by_next_record": self.next_chain,
                "head_sha256": self.head}  # fmt: skip


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

    def chained(self, objection_id: int) -> list[ChainedObjection]:
        """Objection `objection_id`'s own record and each later one that names it (a withdrawal), oldest
        first, each exactly as stored with its place in the chain. A record that does not hash to its digest, or
        is not a JSON object, is StoreDamaged naming the database and the row: a proof is never made of it."""
        rows = self._area.query("SELECT seq, record, digest FROM objections ORDER BY seq")
        loaded = [self._checked(int(seq), data, digest) for seq, data, digest in rows]
        found = []
        for index, (seq, data, record) in enumerate(loaded):
            if seq == objection_id or record.get("objection") == objection_id:
                following = loaded[index + 1][2].get("chain") if index + 1 < len(loaded) else None
                found.append(ChainedObjection(seq, str(record.get("action")), data, len(loaded), record_hash(data),
                                              record.get("chain"), following, record_hash(loaded[-1][1])))  # fmt: skip
        return found

    def _checked(self, seq: int, data: object, digest: object) -> tuple[int, str, dict[str, Any]]:
        what = f"objections row {seq}"
        if not isinstance(data, str) or record_digest(data) != digest:
            raise StoreDamaged(
                f"{self._area.db.path}: {what}: damaged record (it does not hash to its digest); {RESTORE}",
                path=self._area.db.path,
            )
        try:
            return seq, data, self._area.load_object(what, data)
        except StoreError as error:
            raise StoreDamaged(str(error), path=self._area.db.path) from None

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
        problem = link_problem(data, column, previous, int(seq), expected, OBJECTIONS)
        if problem:
            problems.append(f"{name}: the objections chain breaks here: {problem}; {RESTORE}")
            break
        previous, expected = record_hash(data), int(seq) + 1
    return problems
