"""The store folder, its database, and small durable state of the stages after the store, in monitor.db.

Small state (the service's not-before times, ...) is named by a relative path: a `*.json` value is a row of
`state`, a `*.jsonl` file the rows of `state_lines`. Watch baselines, the outbox and the digest ledger have
parts of their own (`store/parts.py`). A write inside `transaction()` commits
with everything else in it. Files that are really files (a prepared digest mail, the feed) live at `path(rel)`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from monitor import fsutil
from monitor.errors import StoreError
from monitor.store.db import WRITER_WAIT, Database, damaged


class StateArea:
    """The store folder, its database, and the state rows other stages keep in it."""

    reserved: tuple[str, ...] = ()

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(
                f"{self.root}: the store path exists but is not a folder; set [store] path to one"
            )
        self.db = Database(self.root)

    # -- transactions ----------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, wait: float = WRITER_WAIT, *, durable: bool = True) -> Iterator[StateArea]:
        """Everything written inside is committed together or not at all; StoreLocked after `wait` seconds
        when another process is writing. Reentrant in one thread (also through another Store of the folder).
        `durable=False` (a check that only records "unchanged") may commit without waiting for the disk: a
        power cut can lose such a record, a crash of the process cannot."""
        self._open_for_writing()
        with self.db.transaction(wait, durable=durable):
            yield self

    def _open_for_writing(self) -> None:
        self._ensure_root()
        self._migrate_if_needed()

    def _migrate_if_needed(self) -> None:
        """Subclasses import an older layout here (the Store does)."""

    # -- queries ---------------------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> list[sqlite3.Row | tuple]:
        """Rows of a read; [] when the store has no database yet (nothing was ever written)."""
        if self._has_legacy():
            self._open_for_writing()
        elif not self.db.exists():
            return []
        try:
            return self.db.connection().execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            raise StoreError(f"{self.db.path}: cannot read ({error})") from None
        except sqlite3.DatabaseError as error:
            raise damaged(self.db.path, error) from None

    def execute(self, sql: str, params: Sequence[object] = (), *, wait: float = WRITER_WAIT) -> int:
        """One write; inside the caller's transaction when there is one. Returns the rows changed."""
        with self.transaction(wait) if not self.db.in_transaction() else _nothing():
            try:
                cursor = self.db.connection().execute(sql, params)
            except sqlite3.OperationalError as error:
                raise StoreError(f"{self.db.path}: cannot write ({error}); check the store folder") from None
            except sqlite3.DatabaseError as error:
                raise damaged(self.db.path, error) from None
            return cursor.rowcount

    def _has_legacy(self) -> bool:
        return False

    def load_object(self, what: str, data: str) -> dict[str, Any]:
        """A stored JSON object; damage (not JSON, not an object) is a StoreError naming the database and it."""
        value = _loads(self.db.path, what, data)
        if not isinstance(value, dict):
            raise StoreError(
                f"{self.db.path}: {what}: damaged (not a JSON object); run `privacy-monitor verify`"
            )
        return value

    def load_objects(self, what: str, data: str) -> list[dict[str, Any]]:
        """A stored JSON array of objects; damage is a StoreError naming the database and it."""
        value = _loads(self.db.path, what, data)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise StoreError(
                f"{self.db.path}: {what}: damaged (not a list of objects); run `privacy-monitor verify`"
            )
        return value

    # -- state by relative path --------------------------------------------------------------------------

    def path(self, rel: str | Path) -> Path:
        """Where a state file lives: `<root>/<rel>`; rel is relative, without '..' or hidden parts."""
        parts = PurePosixPath(str(rel)).parts
        if not parts or parts[0] in ("/", *self.reserved) or any(part.startswith(".") for part in parts):
            raise StoreError(f"{str(rel)!r}: not a usable store path (relative, no '..' or hidden parts)")
        return self.root.joinpath(*parts)

    def read_json(self, rel: str | Path, default: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The stored value, or `default` when there is none."""
        self.path(rel)
        rows = self.query("SELECT data FROM state WHERE rel = ?", (str(rel),))
        return self.load_object(f"{rel}", rows[0][0]) if rows else default

    def write_json(self, rel: str | Path, data: Mapping[str, Any]) -> None:
        self.path(rel)
        self.execute(
            "INSERT OR REPLACE INTO state VALUES (?, ?)", (str(rel), json.dumps(data, ensure_ascii=False))
        )

    def delete(self, rel: str | Path) -> bool:
        self.path(rel)
        return self.execute("DELETE FROM state WHERE rel = ?", (str(rel),)) > 0

    def append_jsonl(self, rel: str | Path, obj: Mapping[str, Any]) -> None:
        self.path(rel)
        encoded = json.dumps(obj, ensure_ascii=False)
        self.execute("INSERT INTO state_lines (rel, data) VALUES (?, ?)", (str(rel), encoded))

    def read_jsonl(self, rel: str | Path) -> list[dict[str, Any]]:
        """Every line appended to `rel`, oldest first ([] if none)."""
        self.path(rel)
        rows = self.query("SELECT seq, data FROM state_lines WHERE rel = ? ORDER BY seq", (str(rel),))
        return [self.load_object(f"{rel} row {seq}", data) for seq, data in rows]

    def listdir(self, rel: str | Path) -> list[str]:
        """The names of state values directly under `rel` (sorted), and of real files in that folder."""
        prefix = str(PurePosixPath(str(self.path(rel)).removeprefix(str(self.root)).lstrip("/")))
        names = set()
        for (name,) in self.query("SELECT rel FROM state"):
            parent, _, leaf = name.rpartition("/")
            if parent == prefix:
                names.add(leaf)
        folder = self.path(rel)
        if folder.is_dir():
            names.update(
                n for n in os.listdir(folder) if not fsutil.is_temp_name(n) and not n.endswith(".migrated")
            )
        return sorted(names)

    # -- internals -----------------------------------------------------------------------------------------

    def _ensure_root(self) -> None:
        try:
            fsutil.ensure_dir(self.root)
        except OSError as error:
            raise StoreError(f"{self.root}: cannot create the store folder ({error.strerror})") from None
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"{self.root}: the store folder is not writable; fix its permissions")

    @contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise StoreError(
                f"{path}: cannot write ({error.strerror or error}); check the store folder"
            ) from None


def _loads(db_path: Path, what: str, data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise StoreError(f"{db_path}: {what}: damaged JSON ({error}); run `privacy-monitor verify`") from None


@contextmanager
def _nothing() -> Iterator[None]:
    yield
