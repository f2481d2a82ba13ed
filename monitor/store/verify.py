"""`privacy-monitor verify`: every stored fact checked against the facts it derives from; touch nothing, never
crash: each problem is one line naming the file or table, the page, and what to do.

The facts are the check records (`checks.record`, hashed into `digest` and chained per page, chain.py) and the
blobs (named by their sha256). Everything else is derived and must agree with them: each `checks` column with
its record; each `versions` row with the timeline the page's records make (since, until, checks, last_seen,
raw_sha256, check_id); every outbox alert and watch baseline with a stored page and version; a page's live
check times run forward unless the later record carries `clock_step` (the clock went back: the store says so
when it records the check), and no check is dated beyond FUTURE_TOLERANCE after now. A database that is
missing or empty beside stored texts is a lost history, not an empty store (db.py).

An orphan (a blob no record or row mentions) is what lost records leave behind, but also what a check cut short
leaves: its blobs are written before the transaction that records it. A cut-short check writes after the
page's records began, one text and one raw capture of a page at most before them (its very first check); so
the orphans of a page written before the oldest blob its records name, beyond that one pair, are damage (its
records were lost), and the others a warning.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.models import CheckRecord
from monitor.store import references
from monitor.store.blob_check import RESTORE_BLOB, orphan_findings, read_blobs
from monitor.store.chain import chain_problems, record_digest
from monitor.store.derived import derived_timeline, impossible_row
from monitor.store.layout import PAGES, SHA256, blob_path, has_legacy_log, referenced_blobs
from monitor.store.objections import objection_chain_problems

if TYPE_CHECKING:
    from monitor.store.db import Database

FUTURE_TOLERANCE = timedelta(days=1)  # clocks of machines sharing a store, a zone mistaken for UTC
COLUMNS = ("time", "outcome", "version", "previous", "text_sha256", "raw_sha256", "reason", "source")
TIMELINE = ("version", "since", "until", "checks", "last_seen", "raw_sha256", "check_id")


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    checked: int  # files re-hashed or integrity-checked (the blobs and the database)
    # Damaged or missing files, each naming its path and what to do.
    problems: list[str] = field(default_factory=list)
    # Harmless leftovers of a crash: a temp file, the blobs of a check cut short.
    warnings: list[str] = field(default_factory=list)


class _Verifier:
    def __init__(self, root: Path, db: Database, now: datetime, tsa_ca: bytes | None = None) -> None:
        self.root, self.db, self.now, self.tsa_ca = root, db, now, tsa_ca
        self.checked = 0
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.present: dict[Path, float] = {}  # each blob read, with its mtime
        self.reported: set[Path] = set()
        self.records: dict[str, list[tuple[int, int, CheckRecord]]] = defaultdict(list)  # (n, id, record)
        self.check_pages: dict[int, str] = {}  # every checks row id, damaged or not, and its page
        self.untrusted: set[str] = set()  # a damaged record, a broken chain: its timeline is not derived
        self.mentioned: dict[str, set[str]] = defaultdict(set)  # digests a record or a row names, by page

    def run(self) -> VerifyReport:
        if self.root.is_dir():
            pages = self.root / PAGES
            for page_dir in sorted(pages.iterdir()) if pages.is_dir() else []:
                if page_dir.is_dir():
                    self.blobs(page_dir)
                else:
                    self.warnings.append(f"{page_dir}: unexpected file among the page folders")
            self.database()
        return VerifyReport(not self.problems, self.checked, self.problems, self.warnings)

    def blobs(self, page_dir: Path) -> None:
        self.checked += read_blobs(page_dir, self.present, self.problems, self.warnings)

    def database(self) -> None:
        from monitor.store.db import lost_database

        path = self.db.path
        state = "missing" if not path.is_file() else "empty (0 bytes)" if not path.stat().st_size else None
        try:
            if state is None:
                # A fresh read-only connection: verify must see the file as it is, and must not write to it.
                conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
                try:
                    state = self.tables(conn)
                finally:
                    conn.close()
        except sqlite3.DatabaseError as error:
            self.problems.append(f"{path}: damaged database ({error}); {references.RESTORE_DB}")
            return
        except Exception as error:  # noqa: BLE001 - verify reports, it never crashes
            self.problems.append(f"{path}: unreadable ({error}); {references.RESTORE_DB}")
            return
        if state == "damaged" or has_legacy_log(self.root):
            return  # the JSONL layout names the blobs until it is migrated into the database
        if state is not None and (lost := lost_database(path, self.root, state)):
            self.problems.append(str(lost))
        self.orphans(lost=state is not None)

    def tables(self, conn: sqlite3.Connection) -> str | None:
        """Check every table; 'damaged' when SQLite finds the file corrupt, the state of a database without
        its schema, None when it was read through."""
        self.checked += 1
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            self.problems.append(
                f"{self.db.path}: damaged database ({'; '.join(result[:5])}); {references.RESTORE_DB}"
            )
            return "damaged"  # its rows cannot be trusted enough to check references
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'checks'").fetchone():
            return "empty (it has no tables)"
        self.checks(conn)
        self.chain(conn)
        self.problems.extend(objection_chain_problems(conn, str(self.db.path)))
        self.versions(conn)
        self.problems += references.reference_problems(conn, self.db.path)
        tokens, problems = references.token_problems(conn, self.db.path, self.tsa_ca)
        self.checked += tokens
        self.problems += problems
        return None

    def checks(self, conn: sqlite3.Connection) -> None:
        from monitor.store.records import check_problem

        missing: dict[Path, str] = {}
        rows = conn.execute(
            f"SELECT id, page, n, {', '.join(COLUMNS)}, record, digest FROM checks ORDER BY id"
        )
        for row_id, page, n, *columns, data, digest in rows:
            where = f"{self.db.path}: checks row {row_id} (page {page!r})"
            self.check_pages[row_id] = page
            self.mentioned[page].update(str(value) for value in columns[2:6] if value)
            if not isinstance(data, str) or record_digest(data) != digest:
                self.problems.append(
                    f"{where}: damaged record (it does not hash to its digest); {references.RESTORE_DB}"
                )
                self.untrusted.add(page)
                continue
            try:
                record = CheckRecord.from_json(json.loads(data))
                source = str(record.source.get("key") or record.source["id"]) if record.source else None
            except (ValueError, KeyError, TypeError, AttributeError) as error:
                self.problems.append(f"{where}: damaged record ({error}); {references.RESTORE_DB}")
                self.untrusted.add(page)
                continue
            problem = check_problem(record) or (
                None if record.page == page else f"record of page {record.page!r}"
            )
            if problem:
                self.problems.append(f"{where}: {problem}; {references.RESTORE_DB}")
                self.untrusted.add(page)
                continue
            said = (record.time, str(record.outcome), record.version, record.previous, record.text_sha256,
                    record.raw_sha256, record.reason, source)  # fmt: skip
            if differ := [
                (name, col, val) for name, col, val in zip(COLUMNS, columns, said, strict=True) if col != val
            ]:
                self.problems.append(
                    f"{where}: its {', '.join(name for name, _, _ in differ)} column differs from its hashed "
                    f"record ({'; '.join(f'{name} {_show(col)}, the record says {_show(val)}' for name, col, val in differ)})"
                    f"; {references.RESTORE_FACTS}"
                )
            self.mentioned[page].update(value for value in said[2:6] if value)
            self.records[page].append((n, row_id, record))
            for name, blob in referenced_blobs(record):
                path = blob_path(self.root / PAGES / page, name, blob)
                if path not in self.present:
                    missing.setdefault(path, where)
        for page, row_id, raw in references.part_captures(conn):  # a combined document's parts
            self.mentioned[page].add(raw)
            path = blob_path(self.root / PAGES / page, "raw_sha256", raw)
            if path not in self.present:
                missing.setdefault(path, f"{self.db.path}: the parts of checks row {row_id} (page {page!r})")
        for path, where in missing.items():
            if not path.exists():
                self.reported.add(path)
                self.problems.append(f"{path}: missing, referenced by {where}; {RESTORE_BLOB}")
        for page, records in self.records.items():
            records.sort()
            if page not in self.untrusted:
                self.times(page, records)

    def times(self, page: str, records: list[tuple[int, int, CheckRecord]]) -> None:
        """Live checks run forward in time (a step back is said in the record), none beyond now."""
        latest = self.now + FUTURE_TOLERANCE
        for index, (_, row_id, record) in enumerate(records):
            where = f"{self.db.path}: checks row {row_id} (page {page!r})"
            before = records[index - 1][2] if index else None
            stepped = before is not None and record.time < before.time and record.clock_step != before.time
            if record.source is None and before is not None and stepped:
                self.problems.append(
                    f"{where}: dated {record.time}, before the page's previous check ({before.time}), and "
                    f"its record says no clock step back; {references.RESTORE_FACTS} (records were edited or reordered)"
                )
            if datetime.fromisoformat(record.time.replace("Z", "+00:00")) > latest:
                later = (r.clock_step for _, _, r in records[index + 1 :])
                if not any(isinstance(step, str) and step >= record.time for step in later):
                    self.problems.append(
                        f"{where}: dated {record.time}, more than {FUTURE_TOLERANCE} after now "
                        f"({self.now:%Y-%m-%dT%H:%M:%SZ}); if the clock was wrong then, set it right (the next "
                        f"check records the step back), else {references.RESTORE_FACTS}"
                    )

    def chain(self, conn: sqlite3.Connection) -> None:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(checks)")}
        if "chain" not in columns:
            self.warnings.append(
                f"{self.db.path}: schema version 1, not chained yet (the next check upgrades it)"
            )
            return
        broken = chain_problems(conn, str(self.db.path))
        self.problems.extend(broken)
        # The chain names the first record deleted, edited or inserted; what follows from it is not repeated.
        self.untrusted.update(
            page for page in self.records if any(f"(page {page!r}, record " in b for b in broken)
        )

    def versions(self, conn: sqlite3.Connection) -> None:
        timelines: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for page, seq, *row in conn.execute(
            f"SELECT page, seq, {', '.join(TIMELINE)} FROM versions ORDER BY page, seq"
        ):
            timelines[page].append((seq, *row))
            version, raw = row[0], row[5]
            self.mentioned[page].update(str(value) for value in (version, raw) if value)
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
        for page in sorted(set(timelines) | set(self.records)):
            self.timeline(page, timelines[page])

    def timeline(self, page: str, rows: list[tuple[Any, ...]]) -> None:
        """The page's `versions` rows against the timeline its records make."""
        where = f"{self.db.path}: versions row {{}} of page {page!r}"
        expected = [] if page in self.untrusted else derived_timeline(self.records[page])
        for index, (seq, *row) in enumerate(rows):
            made_by = self.check_pages.get(row[-1])
            if page in self.untrusted:
                continue
            if made_by != page:
                gone = "is gone" if made_by is None else f"is a check of page {made_by!r}"
                self.problems.append(
                    f"{where.format(seq)}: the check that made it (checks row {row[-1]}) {gone}; {references.RESTORE_FACTS}"
                )
            elif index >= len(expected):
                self.problems.append(
                    f"{where.format(seq)}: no check of the page makes it (they make {len(expected)} versions; "
                    f"a record was deleted, or the row added); {references.RESTORE_FACTS}"
                )
            elif differ := [
                (n, a, e) for n, a, e in zip(TIMELINE, row, expected[index], strict=True) if a != e
            ]:
                impossible = impossible_row(row, rows[index - 1][1:] if index else None, rows[index - 1][0])
                self.problems.append(
                    f"{where.format(seq)}: {impossible}{', '.join(f'{n} {_show(a)}' for n, a, _ in differ)} "
                    f"but the page's checks make it {', '.join(f'{n} {_show(e)}' for n, _, e in differ)}; {references.RESTORE_FACTS}"
                )
        if page not in self.untrusted and len(expected) > len(rows):
            version, since = expected[len(rows)][:2]
            self.problems.append(
                f"{self.db.path}: page {page!r}: its checks make {len(expected)} versions, the versions table "
                f"holds {len(rows)} (version {len(rows) + 1}, {str(version)[:12]} since {since}, is missing); "
                f"{references.RESTORE_FACTS}"
            )

    def orphans(self, *, lost: bool) -> None:
        problems, warnings = orphan_findings(self.root, self.db.path, self.present, self.mentioned, lost=lost)
        self.problems += problems
        self.warnings += warnings


def _show(value: object) -> str:
    return "none" if value is None else repr(value) if isinstance(value, str) else str(value)


def verify_store(
    root: Path, db: Database, now: datetime | None = None, *, tsa_ca: bytes | None = None
) -> VerifyReport:
    """Check everything, never raising for damage: every problem is in the report. `now`: the store's clock
    (a check dated beyond it is damage); this machine's clock when not given. `tsa_ca`: the configured TSA's CA
    certificates (PEM) that time-stamp tokens must chain to; those the store kept when it asked when not given."""
    return _Verifier(root, db, now or datetime.now(UTC), tsa_ca).run()
