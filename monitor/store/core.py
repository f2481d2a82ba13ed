"""The snapshot store (`Store`): named parts, each owning its SQL, over one folder and its database.

    store.versions    each page's timeline, its texts and captures (versions.py)
    store.checks      every check recorded (checks.py)
    store.blobs       texts and raw captures as content-addressed gzip files (blobs.py)
    store.imported    what an import needs to know of a page's records (imported.py)
    store.state       small durable state of other stages, by relative path (state.py)
    store.baselines, store.outbox, store.ledger    watch baselines, outbox messages, the digest ledger (parts.py)
    store.objections, store.timestamps              the objections chain, trusted time-stamp tokens

The Store itself keeps what spans parts: what a check reads of its page (`page_state`), the one short
transaction that records it with its baselines and outbox message (`commit_check`), `transaction`, `verify`
and `damaged`. Blobs are written and fsync'd before the transaction that refers to them, so a crash can leave
an orphan blob (harmless) but never a record pointing at a missing blob. Readers never wait (WAL).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import StoreDamaged, StoreError
from monitor.models import CheckRecord, Outcome, system_clock
from monitor.models import Clock as Clock
from monitor.store.area import Area
from monitor.store.blobs import Blobs
from monitor.store.checks import Checks
from monitor.store.db import WRITER_WAIT
from monitor.store.imported import Imported
from monitor.store.layout import sha256_hex
from monitor.store.parts import Baselines, DigestLedger, OutboxTable
from monitor.store.records import parse_record, parse_version
from monitor.store.state import State
from monitor.store.timeline import VersionInfo
from monitor.store.timestamps import Timestamps
from monitor.store.versions import Versions
from monitor.store.writes import (
    PAGE_STATE,
    CheckWrites,
    PageState,
    insert_captures,
    insert_check,
    part_validators,
    part_validators_file,
    read_head,
    rules_parts_file,
)

if TYPE_CHECKING:
    from monitor.store.objections import Objections

    # verify's checks (derived, blob_check, references) load only for `verify`, never for a plain check
    from monitor.store.verify import VerifyReport

__all__ = ["CheckWrites", "PageState", "Store", "VersionInfo", "sha256_hex"]


class Store:
    """One store folder: its parts, and what spans them."""

    def __init__(self, root: Path | str, *, clock: Clock = system_clock) -> None:
        self._area = area = Area(root, migrate=self._migrate)
        self.root = area.root
        self.db = area.db
        self.clock = clock
        self.state = State(area)
        self.blobs = Blobs(area)
        self.checks = Checks(area)
        self.versions = Versions(area, self.blobs, self.checks, self.state)
        self.imported = Imported(area)
        self.baselines = Baselines(area)
        self.outbox = OutboxTable(area)
        self.ledger = DigestLedger(area)
        self.timestamps = Timestamps(area, self.state)

    @cached_property
    def objections(self) -> Objections:
        """Loaded on first use: no check reads the objections."""
        from monitor.store.objections import Objections

        return Objections(self._area)

    @contextmanager
    def transaction(self, wait: float = WRITER_WAIT, *, durable: bool = True) -> Iterator[None]:
        """Everything written inside, through any part, is committed together or not at all; StoreLocked after
        `wait` seconds when another process is writing. Reentrant in one thread (also through another Store
        of the folder). `durable=False` (a check that only records "unchanged") may commit without waiting
        for the disk: a power cut can lose such a record, a crash of the process cannot."""
        with self._area.transaction(wait, durable=durable):
            yield

    def page_state(self, page_id: str) -> PageState:
        """What a check reads of its page before fetching, in one query: the current version, the last good
        live check (its validators) and the baselines of the page's watches."""
        area = self._area
        area.page_dir(page_id)
        rows = area.query(PAGE_STATE, {"page": page_id})
        if not rows:  # no database yet
            return PageState(None, None)
        row = rows[0]
        current = parse_version(area.db.path, page_id, row[:8]) if row[0] is not None else None
        last_good = parse_record(area.db.path, row[8:13]) if row[8] is not None else None
        stored = area.load_object(f"baselines of page {page_id!r}", row[13] or "{}")
        baselines = {
            watch: area.load_object(f"baseline of watch {watch!r} on {page_id!r}", data)
            for watch, data in stored.items()
        }
        return PageState(current, last_good, baselines)

    def commit_check(self, record: CheckRecord, *, expected: str | None, writes: CheckWrites) -> bool:
        """Record a live check with what it writes besides (baselines, outbox message) in one short
        transaction, if the page's current version is still `expected`; False, and nothing written, when
        another writer moved the page since the check read it. A failed check records whatever is current."""
        return self.commit_checks([(record, expected, writes)])[0]

    def commit_checks(self, checks: Sequence[tuple[CheckRecord, str | None, CheckWrites]]) -> list[bool]:
        """Record several live checks of different pages in one short transaction, each as `commit_check`
        records one: a compare-and-set on its page (False, and nothing written for it, when another writer
        moved the page). Checks finished at the same moment (a parallel `check`) pay for one commit."""
        for record, _, _ in checks:
            self.checks.ensure_storable(record)
        durable = any(writes.durable or record.outcome != Outcome.UNCHANGED for record, _, writes in checks)
        with self.transaction(durable=durable):
            conn = self.db.connection()
            recorded = [self._commit(conn, record, expected, writes) for record, expected, writes in checks]
        for (record, _, writes), done in zip(checks, recorded, strict=True):
            if done and (record.outcome in (Outcome.NEW, Outcome.CHANGED) or writes.technical is not None):
                self.timestamps.work.waiting = True  # a new version's record waits for its token
        return recorded

    def _commit(
        self, conn: sqlite3.Connection, record: CheckRecord, expected: str | None, writes: CheckWrites
    ) -> bool:
        head = read_head(conn, record.page)
        if record.outcome == Outcome.FAILED:
            record.version = head.version
        elif head.version != expected:
            return False
        if writes.rules is not None and head.seq is not None:
            # the version in effect reads the same under the check's rules, or is followed by the
            # technical version they make: later checks compare fingerprints and read no stored text
            conn.execute(
                "UPDATE versions SET rules = ? WHERE page = ? AND seq = ?",
                (writes.rules, record.page, head.seq),
            )
        if writes.rules_parts is not None and record.rules is not None:
            self.state.write_json(rules_parts_file(record.rules), writes.rules_parts)
        if writes.technical is not None:
            self.checks.ensure_storable(writes.technical)
            technical_id = insert_check(conn, writes.technical, head)
            # a combined document's technical version names the parts it was read from: the stored
            # parts of the version it re-read, and a part added since from the check's own capture
            if writes.technical_captures:
                insert_captures(conn, technical_id, writes.technical_captures)
            head = read_head(conn, record.page)
        check_id = insert_check(conn, record, head)
        if writes.captures and record.outcome != Outcome.FAILED:  # never a partial document's parts
            insert_captures(conn, check_id, writes.captures)
            self.state.write_json(part_validators_file(record.page), part_validators(writes.captures))
        for watch_id, data in writes.baselines.items():
            self.baselines.put(watch_id, record.page, data)
        if (message := writes.message) is not None:
            self.outbox.add(
                message.id,
                message.page,
                message.queued,
                message.status,
                message.message_id,
                message.alerts,
            )
        return True

    def damaged(self, page_id: str) -> str | None:
        """What is wrong with the page's current data (naming the file to restore), or None when it reads."""
        try:
            current = self.versions.current(page_id)
            if current is not None:
                self.versions.read_text(page_id, current.id)
            self.checks.last(page_id)
        except StoreDamaged as error:
            return str(error)
        return None

    def verify(self, tsa_ca: bytes | None = None) -> VerifyReport:
        """Integrity-check the database, re-hash every blob, check every reference; touch nothing. `tsa_ca`:
        the time-stamping authority's CA certificates (PEM) the tokens are checked under, when configured."""
        from monitor.store.verify import verify_store

        problems = []
        if self._area.has_legacy():
            try:
                self._area.open_for_writing()
            except StoreError as error:  # verify reports, it never crashes
                problems.append(str(error))
        report = verify_store(self.root, self.db, now=self.clock(), tsa_ca=tsa_ca)
        report.problems[:0] = problems
        report.ok = not report.problems
        return report

    def close(self) -> None:
        """Close this thread's connection to the database (the next read opens it again)."""
        self.db.close()

    # -- internals -----------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        from monitor.store.migrate import migrate_legacy

        migrate_legacy(self)
