"""The store's metadata database: one SQLite file (`monitor.db`, WAL mode) next to the blob folders.

Why SQLite: one transaction per check records the check, the watch baselines it moved and the outbox message
it queued together, so a kill at any point leaves all of them or none; and indexed reads cost the same after
20,000 checks as after one. Writers serialise with SQLite's own lock (BEGIN IMMEDIATE + busy timeout, which
ends in StoreLocked); readers never wait (WAL). Connections are per thread and shared by every `Store` of the
same folder in that thread, so a transaction opened through one instance is reentrant through another.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor import fsutil
from monitor.errors import StoreDamaged, StoreError, StoreLocked
from monitor.store.chain import record_digest, upgrade_schema
from monitor.store.layout import PAGES, blob_count, has_legacy_log, stored_blobs
from monitor.store.schema import SCHEMA, SCHEMA_VERSION

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Database", "close_all", "damaged", "lost_database", "record_digest"]

DB_NAME = "monitor.db"
WRITER_WAIT = 120.0  # seconds a writer (a check, an import, a deliverer) waits for another one to finish


class _Local(threading.local):
    def __init__(self) -> None:
        self.connections: dict[str, sqlite3.Connection] = {}
        self.depth: dict[str, int] = {}
        # Per connection, what its session is set to now, so a transaction sets a PRAGMA only to change it.
        self.busy_wait: dict[str, float] = {}
        self.synchronous: dict[str, str] = {}


_local = _Local()
# Threads open their connections one at a time: on a new database, the first one's switch to WAL and its schema
# made another thread opening at that moment fail as "busy" (SQLite does not wait out a journal-mode change).
_opening = threading.Lock()
# Threads of this process queue here for a database's write transaction, before SQLite's own lock: SQLite makes
# a waiting connection sleep 1, 2, 5, 10 ... ms between tries, so ten threads checking pages at once spent more
# time asleep than writing. Other processes still meet at SQLite's lock (busy_timeout).
_writers: dict[str, threading.Lock] = {}
_writers_guard = threading.Lock()


def _writer_lock(key: str) -> threading.Lock:
    with _writers_guard:
        return _writers.setdefault(key, threading.Lock())


def close_all() -> None:
    """Close this thread's connections (a test that damages the file on purpose reads it afresh after)."""
    for conn in _local.connections.values():
        conn.close()
    _local.connections.clear()


def damaged(path: Path, error: BaseException) -> StoreDamaged:
    return StoreDamaged(
        f"{path}: damaged database ({error}); restore it from a backup, then run `privacy-monitor verify`",
        path=path,
    )


def lost_database(path: Path, root: Path, state: str) -> StoreDamaged | None:
    """The damage of a database that is `state` (missing, empty) beside stored blobs, or None when nothing is
    stored or the JSONL layout still names the blobs (the migration builds the database). A fresh database over
    stored texts would start a new history without a word: the one those texts belong to is lost."""
    if has_legacy_log(root):
        return None
    blobs = list(stored_blobs(root))
    if not blobs:
        return None
    return StoreDamaged(
        f"{path}: {state}, but {root / PAGES} holds {blob_count(blobs)} of the history it recorded; restore {path.name} "
        f"from a backup, or to start a new history on purpose move {root / PAGES} aside first",
        path=path,
    )


class Database:
    """The SQLite file of one store folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / DB_NAME
        self.key = os.path.realpath(self.path)

    def exists(self) -> bool:
        """Whether there is a database to read (False: nothing was ever written). StoreDamaged when it is
        gone but stored texts are there: a lost history never reads as an empty store."""
        if self.path.is_file():
            return True
        self._check_not_lost("missing")
        return False

    def _check_not_lost(self, state: str) -> None:
        # The store creates its database before it writes any blob, so blobs without one mean a lost history.
        if damage := lost_database(self.path, self.root, state):
            raise damage

    def connection(self) -> sqlite3.Connection:
        conn = _local.connections.get(self.key)
        if conn is not None:
            return conn
        with _opening:
            conn = self._open()
        _local.connections[self.key] = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        try:
            fsutil.ensure_dir(self.root)
            if not self.path.is_file() or not self.path.stat().st_size:
                # before connecting: SQLite would create the file, or write a header into the empty one
                self._check_not_lost("empty (0 bytes)" if self.path.is_file() else "missing")
            # The busy timeout is the writers' wait: readers never wait in WAL mode, but for its recovery.
            conn = sqlite3.connect(self.path, timeout=WRITER_WAIT, isolation_level=None)
            # NORMAL until a transaction asks for more: every one that records a version, a baseline or a
            # message commits with FULL (`transaction(durable=True)`).
            conn.execute("PRAGMA synchronous = NORMAL")
            _local.busy_wait[self.key], _local.synchronous[self.key] = WRITER_WAIT, "NORMAL"
            version, journal = self._checked_version(conn)
            if journal != "wal":  # WAL is a property of the file: set once, when the database is made
                conn.execute("PRAGMA journal_mode = WAL")
            if version is None:
                try:
                    conn.executescript(f"BEGIN IMMEDIATE;{SCHEMA}{_VERSION_ROW}COMMIT;")
                except BaseException:
                    if conn.in_transaction:
                        conn.rollback()
                    raise
            elif version < SCHEMA_VERSION:
                upgrade_schema(conn, SCHEMA, SCHEMA_VERSION)
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                raise self.locked() from None
            raise StoreError(f"{self.path}: cannot open the store database ({error})") from None
        except sqlite3.DatabaseError as error:
            raise damaged(self.path, error) from None
        except OSError as error:
            raise StoreError(f"{self.root}: cannot create the store folder ({error.strerror})") from None
        return conn

    def _checked_version(self, conn: sqlite3.Connection) -> tuple[int | None, str]:
        """The schema version and the journal mode; a database without its schema beside stored texts is
        damage, not a new store."""
        try:
            version, journal = _schema_version(conn)
            if version is None:
                self._check_not_lost("empty (it has no tables)")
        except BaseException:
            conn.close()
            raise
        return version, journal

    @contextmanager
    def transaction(self, wait: float, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction (reentrant in this thread): all of it is committed, or none."""
        conn = self.connection()
        depth = _local.depth.get(self.key, 0)
        if depth:
            _local.depth[self.key] = depth + 1
            try:
                yield conn
            finally:
                _local.depth[self.key] = depth
            return
        writers, started = _writer_lock(self.key), time.monotonic()
        if not writers.acquire(timeout=max(wait, 0)):
            raise StoreLocked(
                f"{self.root}: another check of this process held the store for {wait:g}s; try again"
            )
        try:
            self._synchronous(conn, "FULL" if durable else "NORMAL")
            with self._immediate(conn, wait - (time.monotonic() - started)):
                _local.depth[self.key] = 1
                try:
                    yield conn
                finally:
                    _local.depth[self.key] = 0
        finally:
            writers.release()

    def _synchronous(self, conn: sqlite3.Connection, level: str) -> None:
        if _local.synchronous.get(self.key) != level:
            conn.execute(f"PRAGMA synchronous = {level}")
            _local.synchronous[self.key] = level

    def _busy_wait(self, conn: sqlite3.Connection, wait: float) -> None:
        if abs(_local.busy_wait.get(self.key, -1.0) - wait) > 1.0:  # a second either way is the same wait
            conn.execute(f"PRAGMA busy_timeout = {int(max(wait, 0) * 1000)}")
            _local.busy_wait[self.key] = wait

    @contextmanager
    def _immediate(self, conn: sqlite3.Connection, wait: float) -> Iterator[None]:
        self._busy_wait(conn, wait)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if _is_busy(error):
                raise self.locked() from None
            raise
        finally:
            self._busy_wait(conn, WRITER_WAIT)
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        try:
            conn.commit()
        except sqlite3.OperationalError as error:
            conn.rollback()
            raise StoreError(f"{self.path}: cannot commit ({error}); check the store folder") from None

    def locked(self) -> StoreLocked:
        return StoreLocked(
            f"{self.root}: another privacy-monitor process is writing to this store; wait for it or stop it"
        )

    def in_transaction(self) -> bool:
        return _local.depth.get(self.key, 0) > 0

    def close(self) -> None:
        conn = _local.connections.pop(self.key, None)
        if conn is not None:
            conn.close()


_VERSION_ROW = f"INSERT OR IGNORE INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}');"


def _schema_version(conn: sqlite3.Connection) -> tuple[int | None, str]:
    """The schema version (None: no schema yet) and the journal mode, in one statement. Readers must not take
    the write lock: the schema is only created (or upgraded) when it is not there yet (or older than this
    code's)."""
    try:
        value, journal = conn.execute(
            "SELECT (SELECT value FROM meta WHERE key = 'schema_version'), (SELECT journal_mode FROM pragma_journal_mode)"
        ).fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None, str(conn.execute("PRAGMA journal_mode").fetchone()[0])
        raise
    if value is None:
        return None, str(journal)
    try:
        return int(value), str(journal)
    except ValueError:
        raise sqlite3.DatabaseError(f"schema_version {value!r} is not a number") from None


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error)
    return "locked" in text or "busy" in text
