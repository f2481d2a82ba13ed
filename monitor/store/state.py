"""Durable JSON state of the stages after the store (watch baselines, digest ledger, ...), kept in monitor.db.

Callers still name state by a relative path, as when it was files: `watches/<watch>/<page>.json` is a row
of `baselines`, `digest/ledger.jsonl` the rows of `digest_ledger`, any other `*.json` a row of `state` and any
other `*.jsonl` rows of `state_lines`. A write inside `transaction()` commits with everything else in it.
Files that are really files (a prepared digest mail, the feed) live at `path(rel)`.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from monitor import fsutil
from monitor.errors import StoreError
from monitor.store.db import Database, damaged

LEDGER = "digest/ledger.jsonl"
DEFAULT_WAIT = 0.0  # `writer()` without a wait fails at once when another process writes


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
    def transaction(self, wait: float = DEFAULT_WAIT) -> Iterator[StateArea]:
        """Everything written inside is committed together or not at all; StoreLocked after `wait` seconds
        when another process is writing. Reentrant in one thread (also through another Store of the folder)."""
        self._open_for_writing()
        with self.db.transaction(wait):
            yield self

    writer = transaction  # the name the stages used for the old writer lock

    def _open_for_writing(self) -> None:
        self._ensure_root()
        self._migrate_if_needed()

    def _migrate_if_needed(self) -> None:
        """Subclasses import an older layout here (the Store does)."""

    # -- queries ---------------------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row | tuple]:
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

    def _exec(self, sql: str, params: Sequence[Any] = (), *, wait: float = 120.0) -> int:
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

    # -- state by relative path --------------------------------------------------------------------------

    def path(self, rel: str | Path) -> Path:
        """Where a state file lives: `<root>/<rel>`; rel is relative, without '..' or hidden parts."""
        parts = PurePosixPath(str(rel)).parts
        if not parts or parts[0] in ("/", *self.reserved) or any(part.startswith(".") for part in parts):
            raise StoreError(f"{str(rel)!r}: not a usable store path (relative, no '..' or hidden parts)")
        return self.root.joinpath(*parts)

    def read_json(self, rel: str | Path, default: Any = None) -> Any:
        """The stored value, or `default` when there is none."""
        self.path(rel)
        table, key = _place(str(rel))
        rows = self._rows(f"SELECT data FROM {table} WHERE {_KEYS[table]}", key)
        return _loads(self.db.path, f"{rel}", rows[0][0]) if rows else default

    def write_json(self, rel: str | Path, data: Any) -> None:
        self.path(rel)
        table, key = _place(str(rel))
        encoded = json.dumps(data, ensure_ascii=False)
        self._exec(
            f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * (len(key) + 1))})", (*key, encoded)
        )

    def delete(self, rel: str | Path) -> bool:
        self.path(rel)
        table, key = _place(str(rel))
        return self._exec(f"DELETE FROM {table} WHERE {_KEYS[table]}", key) > 0

    def append_jsonl(self, rel: str | Path, obj: Any) -> None:
        self.path(rel)
        encoded = json.dumps(obj, ensure_ascii=False)
        if str(rel) == LEDGER:
            period, state = (
                (obj.get("period", ""), obj.get("state", "")) if isinstance(obj, dict) else ("", "")
            )
            self._exec(
                "INSERT INTO digest_ledger (period, state, data) VALUES (?, ?, ?)", (period, state, encoded)
            )
        else:
            self._exec("INSERT INTO state_lines (rel, data) VALUES (?, ?)", (str(rel), encoded))

    def read_jsonl(self, rel: str | Path) -> list[Any]:
        """Every line appended to `rel`, oldest first ([] if none)."""
        self.path(rel)
        if str(rel) == LEDGER:
            rows = self._rows("SELECT seq, data FROM digest_ledger ORDER BY seq")
        else:
            rows = self._rows("SELECT seq, data FROM state_lines WHERE rel = ? ORDER BY seq", (str(rel),))
        return [_loads(self.db.path, f"{rel} row {seq}", data) for seq, data in rows]

    def listdir(self, rel: str | Path) -> list[str]:
        """The names of state values directly under `rel` (sorted), and of real files in that folder."""
        prefix = str(PurePosixPath(str(self.path(rel)).removeprefix(str(self.root)).lstrip("/")))
        names = set()
        for (name,) in self._rows(
            "SELECT 'watches/' || watch || '/' || page || '.json' FROM baselines UNION SELECT rel FROM state"
        ):
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


_KEYS = {"baselines": "watch = ? AND page = ?", "state": "rel = ?"}


def _place(rel: str) -> tuple[str, tuple[str, ...]]:
    """The table and key of a state path: watch baselines have their own table."""
    parts = PurePosixPath(rel).parts
    if len(parts) == 3 and parts[0] == "watches" and parts[2].endswith(".json"):
        return "baselines", (parts[1], parts[2].removesuffix(".json"))
    return "state", (rel,)


def _loads(db_path: Path, what: str, data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise StoreError(f"{db_path}: {what}: damaged JSON ({error}); run `privacy-monitor verify`") from None


@contextmanager
def _nothing() -> Iterator[None]:
    yield
