"""The store folder and its database, as the store's parts share them: one transaction, one way to read and
write a row, one rule for damage.

Every part (versions, checks, blobs, baselines, ...) holds the `Area` of its store and runs its own SQL
through `query` and `execute`; a write inside `transaction()` commits with everything else in it. The first
write (or read) of a store still in the JSON Lines layout imports it first (`migrate`, given by the Store).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from monitor import fsutil
from monitor.errors import StoreError, UsageError
from monitor.store.db import WRITER_WAIT, Database, damaged
from monitor.store.layout import PAGE_ID, PAGES, legacy_files


class Area:
    """The folder of one store and its database."""

    def __init__(self, root: Path | str, *, migrate: Callable[[], object] | None = None) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(
                f"{self.root}: the store path exists but is not a folder; set [store] path to one"
            )
        self.db = Database(self.root)
        self._migrate = migrate
        self._migration_checked = migrate is None

    # -- transactions ----------------------------------------------------------------------------------

    @contextmanager
    def transaction(self, wait: float = WRITER_WAIT, *, durable: bool = True) -> Iterator[None]:
        """Everything written inside is committed together or not at all; StoreLocked after `wait` seconds
        when another process is writing. Reentrant in one thread (also through another Store of the folder).
        `durable=False` (a check that only records "unchanged") may commit without waiting for the disk: a
        power cut can lose such a record, a crash of the process cannot."""
        self.open_for_writing()
        with self.db.transaction(wait, durable=durable):
            yield

    def open_for_writing(self) -> None:
        """Make the folder (writable) and import an older layout, once."""
        try:
            fsutil.ensure_dir(self.root)
        except OSError as error:
            raise StoreError(f"{self.root}: cannot create the store folder ({error.strerror})") from None
        if not os.access(self.root, os.W_OK):
            raise StoreError(f"{self.root}: the store folder is not writable; fix its permissions")
        if not self._migration_checked and self._migrate is not None:
            self._migrate()
            self._migration_checked = True

    def has_legacy(self) -> bool:
        """Whether files of the JSON Lines layout wait to be imported (looked for once per Area)."""
        if self._migration_checked:
            return False
        if legacy_files(self.root):
            return True
        self._migration_checked = True  # looked once: a store in the new layout does not look again
        return False

    # -- rows ------------------------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[object] | Mapping[str, object] = ()
    ) -> list[sqlite3.Row | tuple]:
        """Rows of a read; [] when the store has no database yet (nothing was ever written)."""
        if self.has_legacy():
            self.open_for_writing()
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
        with self.transaction(wait) if not self.db.in_transaction() else nullcontext():
            try:
                cursor = self.db.connection().execute(sql, params)
            except sqlite3.OperationalError as error:
                raise StoreError(f"{self.db.path}: cannot write ({error}); check the store folder") from None
            except sqlite3.DatabaseError as error:
                raise damaged(self.db.path, error) from None
            return cursor.rowcount

    def load_object(self, what: str, data: str) -> dict[str, Any]:
        """A stored JSON object; damage (not JSON, not an object) is a StoreError naming the database and it."""
        value = self._loads(what, data)
        if not isinstance(value, dict):
            raise StoreError(
                f"{self.db.path}: {what}: damaged (not a JSON object); run `privacy-monitor verify`"
            )
        return value

    def load_objects(self, what: str, data: str) -> list[dict[str, Any]]:
        """A stored JSON array of objects; damage is a StoreError naming the database and it."""
        value = self._loads(what, data)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise StoreError(
                f"{self.db.path}: {what}: damaged (not a list of objects); run `privacy-monitor verify`"
            )
        return value

    # -- files -----------------------------------------------------------------------------------------

    def page_dir(self, page_id: str) -> Path:
        """The folder of a page's blobs; UsageError for a string that cannot be a page id."""
        if not isinstance(page_id, str) or not PAGE_ID.match(page_id):
            raise UsageError(f"{page_id!r} is not a valid page id (lowercase letters, digits, '.', '_', '-')")
        return self.root / PAGES / page_id

    @contextmanager
    def writing(self, path: Path) -> Iterator[None]:
        """A file write whose OSError reaches the user as one line naming the file."""
        try:
            yield
        except OSError as error:
            raise StoreError(
                f"{path}: cannot write ({error.strerror or error}); check the store folder"
            ) from None

    def _loads(self, what: str, data: str) -> Any:
        try:
            return json.loads(data)
        except ValueError as error:
            raise StoreError(
                f"{self.db.path}: {what}: damaged JSON ({error}); run `privacy-monitor verify`"
            ) from None
