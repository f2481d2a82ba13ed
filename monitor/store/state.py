"""Small durable state of the stages after the store, in monitor.db, named by a relative path (`store.state`).

A `*.json` value is a row of `state` (the service's not-before times, a rules fingerprint's parts, ...), a
`*.jsonl` file the rows of `state_lines`. Watch baselines, the outbox and the digest ledger have parts of their
own (`store/parts.py`). A write inside the store's `transaction()` commits with everything else in it. Files
that are really files (a prepared digest mail, the feed, a lock) live at `path(rel)`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from monitor import fsutil
from monitor.errors import StoreError
from monitor.store.area import Area
from monitor.store.layout import PAGES


class State:
    """State values and files of other stages, by relative path."""

    reserved = (PAGES,)  # the store's own folders: no state path names them

    def __init__(self, area: Area) -> None:
        self._area = area

    def path(self, rel: str | Path) -> Path:
        """Where a state file lives: `<root>/<rel>`; rel is relative, without '..' or hidden parts."""
        parts = PurePosixPath(str(rel)).parts
        if not parts or parts[0] in ("/", *self.reserved) or any(part.startswith(".") for part in parts):
            raise StoreError(f"{str(rel)!r}: not a usable store path (relative, no '..' or hidden parts)")
        return self._area.root.joinpath(*parts)

    def read_json(self, rel: str | Path, default: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The stored value, or `default` when there is none."""
        self.path(rel)
        rows = self._area.query("SELECT data FROM state WHERE rel = ?", (str(rel),))
        return self._area.load_object(f"{rel}", rows[0][0]) if rows else default

    def write_json(self, rel: str | Path, data: Mapping[str, Any]) -> None:
        self.path(rel)
        self._area.execute(
            "INSERT OR REPLACE INTO state VALUES (?, ?)", (str(rel), json.dumps(data, ensure_ascii=False))
        )

    def delete(self, rel: str | Path) -> bool:
        self.path(rel)
        return self._area.execute("DELETE FROM state WHERE rel = ?", (str(rel),)) > 0

    def append_jsonl(self, rel: str | Path, obj: Mapping[str, Any]) -> None:
        self.path(rel)
        encoded = json.dumps(obj, ensure_ascii=False)
        self._area.execute("INSERT INTO state_lines (rel, data) VALUES (?, ?)", (str(rel), encoded))

    def read_jsonl(self, rel: str | Path) -> list[dict[str, Any]]:
        """Every line appended to `rel`, oldest first ([] if none)."""
        self.path(rel)
        rows = self._area.query("SELECT seq, data FROM state_lines WHERE rel = ? ORDER BY seq", (str(rel),))
        return [self._area.load_object(f"{rel} row {seq}", data) for seq, data in rows]

    def listdir(self, rel: str | Path) -> list[str]:
        """The names of state values directly under `rel` (sorted), and of real files in that folder."""
        root = str(self._area.root)
        prefix = str(PurePosixPath(str(self.path(rel)).removeprefix(root).lstrip("/")))
        names = set()
        for (name,) in self._area.query("SELECT rel FROM state"):
            parent, _, leaf = name.rpartition("/")
            if parent == prefix:
                names.add(leaf)
        folder = self.path(rel)
        if folder.is_dir():
            names.update(
                n for n in os.listdir(folder) if not fsutil.is_temp_name(n) and not n.endswith(".migrated")
            )
        return sorted(names)
