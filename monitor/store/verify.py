"""`privacy-monitor verify`: integrity-check the database, re-hash every blob, check every reference, validate
every stored value; touch nothing and never crash: each problem names the file and what to do about it.

A problem is damage (a blob whose content does not hash to its name or does not decompress, a database page
SQLite finds corrupt, a row with a bad value, a reference to a missing blob, the first record of a page where
its hash chain breaks: an edited, deleted or inserted record, see chain.py); a warning is a harmless leftover
of a crash (a temp file) or an orphan blob.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import fsutil
from monitor.models import CheckRecord
from monitor.store.layout import (
    PAGES,
    RAW_SUFFIX,
    RAWS,
    SHA256,
    TEXT_SUFFIX,
    TEXTS,
    blob_path,
    blob_problem,
    referenced_blobs,
)

if TYPE_CHECKING:
    from monitor.store.db import Database

RESTORE_BLOB = "restore this file from a backup (a copy of the store folder is a complete backup)"
RESTORE_DB = "restore monitor.db from a backup, or rebuild it: `sqlite3 monitor.db .recover | sqlite3 new.db`"


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    checked: int  # files re-hashed or integrity-checked (the blobs and the database)
    # Damaged or missing files, each naming its path and what to do.
    problems: list[str] = field(default_factory=list)
    # Harmless leftovers of a crash: a temp file.
    warnings: list[str] = field(default_factory=list)


class _Verifier:
    def __init__(self, root: Path, db: Database) -> None:
        self.root = root
        self.db = db
        self.checked = 0
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.present: set[Path] = set()
        self.reported: set[Path] = set()

    def run(self) -> VerifyReport:
        if self.root.is_dir():
            pages = self.root / PAGES
            if pages.is_dir():
                for page_dir in sorted(pages.iterdir()):
                    if page_dir.is_dir():
                        self.blobs(page_dir)
                    else:
                        self.warnings.append(f"{page_dir}: unexpected file among the page folders")
            if self.db.exists():
                try:
                    self.database()
                except sqlite3.DatabaseError as error:
                    self.problems.append(f"{self.db.path}: damaged database ({error}); {RESTORE_DB}")
                except Exception as error:  # noqa: BLE001 - verify reports, it never crashes
                    self.problems.append(f"{self.db.path}: unreadable ({error}); {RESTORE_DB}")
        return VerifyReport(not self.problems, self.checked, self.problems, self.warnings)

    def blobs(self, page_dir: Path) -> None:
        for folder, suffix in ((TEXTS, TEXT_SUFFIX), (RAWS, RAW_SUFFIX)):
            for blob in _files(page_dir / folder):
                if fsutil.is_temp_name(blob.name):
                    self.warnings.append(f"{blob}: leftover temp file of an interrupted write (harmless)")
                    continue
                digest = blob.name.removesuffix(suffix)
                if not blob.name.endswith(suffix) or not SHA256.match(digest):
                    self.warnings.append(f"{blob}: unexpected file (not named <sha256>{suffix})")
                    continue
                self.checked += 1
                try:
                    data = blob.read_bytes()
                except OSError as error:
                    self.problems.append(f"{blob}: cannot read ({error.strerror}); {RESTORE_BLOB}")
                    continue
                self.present.add(blob)
                if problem := blob_problem(blob, data, digest):
                    self.problems.append(f"{problem}; {RESTORE_BLOB}")

    def database(self) -> None:
        # A fresh read-only connection: verify must see the file as it is, and must not write to it.
        conn = sqlite3.connect(f"file:{self.db.path}?mode=ro", uri=True, timeout=10)
        try:
            self.checked += 1
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if result != ["ok"]:
                detail = "; ".join(result[:5])
                self.problems.append(f"{self.db.path}: damaged database ({detail}); {RESTORE_DB}")
                return  # its rows cannot be trusted enough to check references
            self.checks(conn)
            self.chain(conn)
            self.versions(conn)
            self.json_rows(conn)
        finally:
            conn.close()

    def checks(self, conn: sqlite3.Connection) -> None:
        from monitor.store.records import check_problem

        missing: dict[Path, str] = {}
        from monitor.store.db import record_digest

        rows = conn.execute("SELECT id, page, time, record, digest FROM checks ORDER BY id")
        for row_id, page, time, data, digest in rows:
            where = f"{self.db.path}: checks row {row_id} (page {page!r})"
            if not isinstance(data, str) or record_digest(data) != digest:
                self.problems.append(
                    f"{where}: damaged record (it does not hash to its digest); {RESTORE_DB}"
                )
                continue
            try:
                record = CheckRecord.from_json(json.loads(data))
            except (ValueError, KeyError, TypeError) as error:
                self.problems.append(f"{where}: damaged record ({error}); {RESTORE_DB}")
                continue
            problem = check_problem(record) or (
                None if record.time == time else "time differs from its column"
            )
            if record.page != page:
                problem = f"record of page {record.page!r}"
            if problem:
                self.problems.append(f"{where}: {problem}; {RESTORE_DB}")
                continue
            for name, digest in referenced_blobs(record):
                path = blob_path(self.root / PAGES / page, name, digest)
                if path not in self.present:
                    missing.setdefault(path, where)
        for path, where in missing.items():
            if not path.exists():
                self.reported.add(path)
                self.problems.append(f"{path}: missing, referenced by {where}; {RESTORE_BLOB}")

    def chain(self, conn: sqlite3.Connection) -> None:
        from monitor.store.chain import chain_problems

        columns = {row[1] for row in conn.execute("PRAGMA table_info(checks)")}
        if "chain" not in columns:
            self.warnings.append(
                f"{self.db.path}: schema version 1, not chained yet (the next check upgrades it)"
            )
            return
        self.problems.extend(chain_problems(conn, str(self.db.path)))

    def versions(self, conn: sqlite3.Connection) -> None:
        for page, seq, version, raw in conn.execute("SELECT page, seq, version, raw_sha256 FROM versions"):
            for name, digest in (("text_sha256", version), ("raw_sha256", raw)):
                if digest is None:
                    continue
                if not isinstance(digest, str) or not SHA256.match(digest):
                    self.problems.append(f"{self.db.path}: versions row {seq} of page {page!r}: bad {name}")
                    continue
                path = blob_path(self.root / PAGES / page, name, digest)
                if not path.exists() and path not in self.reported:
                    self.reported.add(path)
                    self.problems.append(
                        f"{path}: missing, referenced by version {seq} of page {page!r}; {RESTORE_BLOB}"
                    )

    def json_rows(self, conn: sqlite3.Connection) -> None:
        tables = {
            "baselines": "SELECT watch || '/' || page, data FROM baselines",
            "outbox": "SELECT id, alerts || char(10) || targets FROM outbox",
            "digest_ledger": "SELECT seq, data FROM digest_ledger",
            "state": "SELECT rel, data FROM state",
            "state_lines": "SELECT seq, data FROM state_lines",
        }
        for table, sql in tables.items():
            for key, data in conn.execute(sql):
                try:
                    for part in str(data).split("\n"):
                        json.loads(part)
                except ValueError as error:
                    self.problems.append(
                        f"{self.db.path}: {table} row {key}: damaged JSON ({error}); {RESTORE_DB}"
                    )


def _files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def verify_store(root: Path, db: Database) -> VerifyReport:
    """Check everything, never raising for damage: every problem is in the report."""
    return _Verifier(root, db).run()
