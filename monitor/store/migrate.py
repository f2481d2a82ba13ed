"""The one-time import of a JSONL store (the layout before monitor.db) into the database.

Automatic (the first write, or read, of a store that has the old files), idempotent (each file is imported in
the same transaction that records it in `migrations`, then renamed to `<name>.migrated`: a kill between the
commit and the rename only leaves a rename to redo) and kept as a backup (the `.migrated` files are the old
store, byte for byte). Migrated: pages/<page>/checks.jsonl, watches/<watch>/<page>.json, outbox/*.json,
outbox/done/*.json, digest/ledger.jsonl. Blobs keep their place: the layout of texts/ and raw/ is unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor import fsutil
from monitor.errors import StoreDamaged
from monitor.models import CheckRecord, isoformat, system_clock
from monitor.store.db import WRITER_WAIT
from monitor.store.layout import CHECKS, LEDGER, MIGRATED, legacy_files
from monitor.store.parts import outbox_status
from monitor.store.writes import insert_check, read_head

if TYPE_CHECKING:
    from monitor.store.core import Store


def migrate_legacy(store: Store) -> int:
    """Import every legacy file not imported yet, then rename each to *.migrated; returns files imported."""
    files = legacy_files(store.root)
    if not files:
        return 0
    imported = 0
    with store.db.transaction(WRITER_WAIT):
        conn = store.db.connection()
        done = {row[0]: row[1] for row in conn.execute("SELECT file, sha256 FROM migrations")}
        for path in files:
            rel = path.relative_to(store.root).as_posix()
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if done.get(rel) == digest:
                continue  # imported before a kill stopped the renames
            _import(store, path, rel, data)
            conn.execute(
                "INSERT OR REPLACE INTO migrations VALUES (?, ?, ?)", (rel, digest, isoformat(system_clock()))
            )
            imported += 1
    for path in files:
        os.replace(path, path.with_name(path.name + MIGRATED))
        fsutil.fsync_dir(path.parent)
    return imported


def _import(store: Store, path: Path, rel: str, data: bytes) -> None:
    if path.name == CHECKS:
        for number, line in _lines(path, data):
            try:
                record = CheckRecord.from_json(line)
            except (KeyError, TypeError, ValueError) as error:
                raise _bad(path, number, error) from None
            conn = store.db.connection()
            insert_check(conn, record, read_head(conn, record.page))
    elif rel == LEDGER:
        for _, line in _lines(path, data):
            store.ledger.append(line)
    elif rel.startswith("watches/"):
        _, watch, name = rel.split("/")
        store.baselines.put(watch, name.removesuffix(".json"), _json(path, data))
    else:
        _import_outbox(store, _json(path, data))


def _import_outbox(store: Store, entry: dict[str, Any]) -> None:
    """An old per-alert outbox file becomes a message of that one alert, with its delivery state (the row as
    the outbox keeps it: the store never asks the notify stage)."""
    alert, targets = entry["alert"], entry["targets"]
    status = outbox_status(entry["digest_only"], targets)
    values = (
        alert["page"],
        entry["queued"],
        status,
        f"<alert-{alert['id']}@privacy-monitor>",
        [alert],
        targets,
    )
    store.outbox.save(alert["id"], values, rev=1)


def _lines(path: Path, data: bytes) -> list[tuple[int, Any]]:
    lines, _torn = fsutil.split_lines(data)  # a torn last line was never a finished write
    parsed = []
    for number, line in enumerate(lines, start=1):
        if line.strip():
            try:
                parsed.append((number, json.loads(line)))
            except ValueError as error:
                raise _bad(path, number, error) from None
    return parsed


def _json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:
        raise _bad(path, None, error) from None


def _bad(path: Path, number: int | None, error: BaseException) -> StoreDamaged:
    where = f"{path}:{number}" if number else str(path)
    return StoreDamaged(
        f"{where}: damaged, cannot migrate it into the database ({error}); restore it from a backup "
        "(nothing was migrated)",
        path=path,
    )
