"""The snapshot store: content-addressed text and raw blobs (gzip files), metadata in monitor.db (SQLite).

Blobs are written and fsync'd before the transaction that refers to them, so a crash can leave an orphan blob
(harmless) but never a record pointing at a missing blob. A check, the watch baselines it moved and the
outbox message it queued are one transaction (`transaction()`). The timeline of versions is maintained in the
same transaction as the check that changes it. Readers never wait (WAL).
"""

from __future__ import annotations

from pathlib import Path

from monitor import fsutil
from monitor.errors import StoreDamaged, StoreError, UsageError
from monitor.models import CheckRecord, Document, Outcome, system_clock
from monitor.models import Clock as Clock
from monitor.store.imported import ImportedQueries
from monitor.store.layout import (
    PAGE_ID,
    PAGES,
    RAW_SUFFIX,
    RAWS,
    SHA256,
    TEXT_SUFFIX,
    TEXTS,
    blob_path,
    checked_content,
    compress,
    referenced_blobs,
    sha256_hex,
)
from monitor.store.objections import Objections
from monitor.store.parts import Baselines, DigestLedger, OutboxTable
from monitor.store.records import check_problem
from monitor.store.timeline import STARTS_VERSION, VersionInfo, resolve_ref
from monitor.store.timestamps import Timestamps
from monitor.store.verify import VerifyReport, verify_store
from monitor.store.writes import (
    PAGE_STATE,
    CheckWrites,
    PageState,
    insert_captures,
    insert_check,
    part_validators,
    part_validators_file,
    read_head,
)

__all__ = ["CheckWrites", "PageState", "Store", "VerifyReport", "VersionInfo", "sha256_hex"]


class Store(ImportedQueries):
    reserved = (PAGES,)

    def __init__(self, root: Path | str, *, clock: Clock = system_clock) -> None:
        super().__init__(root)
        self.clock = clock
        self._migration_checked = False
        self.baselines = Baselines(self)
        self.outbox = OutboxTable(self)
        self.ledger = DigestLedger(self)
        self.objections = Objections(self)
        self.timestamps = Timestamps(self)

    # -- writing -----------------------------------------------------------------------------------------

    def put_version(
        self,
        page_id: str,
        text: str | bytes,
        raw: bytes | None,
        *,
        private: bool = False,
        hashed: tuple[str, str | None] | None = None,
    ) -> str:
        """Store a text version and the raw capture that produced it (each once); returns sha256(text).
        `text` as str, or as its UTF-8 bytes; `hashed`: (sha256 of the text, of the raw capture) when the
        caller has them already, so a check hashes each once. `private`: the capture was fetched with a
        logged-in session's cookies, its file is owner-only (0600)."""
        page = self._page_dir(page_id)
        data = text.encode("utf-8") if isinstance(text, str) else text
        version_id, raw_id = hashed if hashed is not None else (sha256_hex(data), None)
        # The database comes before any blob: stored texts without one can then only mean a lost database.
        self._open_for_writing()
        self.db.connection()
        if raw is not None:
            raw_id = raw_id or sha256_hex(raw)
            self._put_blob(page / RAWS / f"{raw_id}{RAW_SUFFIX}", raw, mode=0o600 if private else 0o644)
        self._put_blob(page / TEXTS / f"{version_id}{TEXT_SUFFIX}", data, mode=0o600 if private else 0o644)
        return version_id

    def append_check(self, record: CheckRecord) -> int:
        """Record one check (and move the timeline) in the current transaction, or in one of its own;
        every blob it refers to must already be stored. Returns the check's row id. Imports and damaged pages
        record this way; a live check records with `commit_check`."""
        self._check_storable(record)
        with self.transaction():
            conn = self.db.connection()
            return insert_check(conn, record, read_head(conn, record.page))

    def page_state(self, page_id: str) -> PageState:
        """What a check reads of its page before fetching, in one query: the current version, the last good
        live check (its validators) and the baselines of the page's watches."""
        self._page_dir(page_id)
        rows = self.query(PAGE_STATE, {"page": page_id})
        if not rows:  # no database yet
            return PageState(None, None)
        row = rows[0]
        current = self._version(page_id, row[:8]) if row[0] is not None else None
        last_good = self._record(row[8:13]) if row[8] is not None else None
        stored = self.load_object(f"baselines of page {page_id!r}", row[13] or "{}")
        baselines = {
            watch: self.load_object(f"baseline of watch {watch!r} on {page_id!r}", data)
            for watch, data in stored.items()
        }
        return PageState(current, last_good, baselines)

    def commit_check(self, record: CheckRecord, *, expected: str | None, writes: CheckWrites) -> bool:
        """Record a live check with what it writes besides (baselines, outbox message) in one short
        transaction, if the page's current version is still `expected`; False, and nothing written, when
        another writer moved the page since the check read it. A failed check records whatever is current."""
        self._check_storable(record)
        with self.transaction(durable=writes.durable or record.outcome != Outcome.UNCHANGED):
            conn = self.db.connection()
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
                self.write_json(f"rules/{record.rules}.json", writes.rules_parts)
            if writes.technical is not None:
                self._check_storable(writes.technical)
                insert_check(conn, writes.technical, head)
                head = read_head(conn, record.page)
            check_id = insert_check(conn, record, head)
            if writes.captures and record.outcome != Outcome.FAILED:  # never a partial document's parts
                insert_captures(conn, check_id, writes.captures)
                self.write_json(part_validators_file(record.page), part_validators(writes.captures))
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

    def put_raw(self, page_id: str, raw: bytes, *, private: bool = False) -> str:
        """Store one raw capture (a part of a combined document) before the check that refers to it."""
        self._open_for_writing()
        self.db.connection()
        raw_id = sha256_hex(raw)
        self._put_blob(
            self._page_dir(page_id) / RAWS / f"{raw_id}{RAW_SUFFIX}", raw, mode=0o600 if private else 0o644
        )
        return raw_id

    def read_raw_blob(self, page_id: str, raw_sha256: str) -> bytes:
        """A stored raw capture by its sha256 (a part a 304 answer confirmed)."""
        if not SHA256.match(raw_sha256):
            raise UsageError(f"{raw_sha256!r} is not a raw capture's sha256")
        path = self._page_dir(page_id) / RAWS / f"{raw_sha256}{RAW_SUFFIX}"
        return self._read_blob(page_id, path, raw_sha256)

    def part_validators(self, page_id: str) -> dict[str, dict[str, str]]:
        """For each part of a combined document, by URL: what its last good capture answered with."""
        return self.read_json(part_validators_file(page_id)) or {}

    def captures(self, page_id: str, version: VersionInfo) -> list[tuple[int, str, str]]:
        """The parts (number, URL, raw sha256) of the check that brought `version`, in order; [] for one page."""
        return [
            (int(part), str(url), str(raw))
            for part, url, raw in self.query(
                "SELECT c.part, c.url, c.raw_sha256 FROM captures c JOIN versions v ON v.check_id = c.check_id"
                " WHERE v.page = ? AND v.version = ? AND v.since = ? ORDER BY c.part",
                (page_id, version.id, version.since),
            )
        ]

    def _check_storable(self, record: CheckRecord) -> None:
        page = self._page_dir(record.page)
        where = f"check {record.time} of page {record.page!r}"
        if problem := check_problem(record):
            raise StoreError(f"{where}: {problem}")
        if record.outcome in STARTS_VERSION and not record.text_sha256:
            raise StoreError(f"{where} is {record.outcome} but has no text_sha256")
        if record.outcome in STARTS_VERSION and record.version not in (None, record.text_sha256):
            raise StoreError(f"{where}: its version differs from its text_sha256")
        for name, digest in referenced_blobs(record):
            path = blob_path(page, name, digest)
            if not path.exists():
                raise StoreError(
                    f"{path}: missing, {where} refers to it "
                    "(call put_version(page, text, raw) with the same text and raw bytes before recording it)"
                )

    # -- the timeline ----------------------------------------------------------------------------------

    def current(self, page_id: str) -> VersionInfo | None:
        """The last good version."""
        self._page_dir(page_id)
        rows = self.query(
            "SELECT seq, version, since, until, checks, last_seen, raw_sha256, rules FROM versions"
            " WHERE page = ? ORDER BY seq DESC LIMIT 1",
            (page_id,),
        )
        return self._version(page_id, rows[0]) if rows else None

    def resolve(self, page_id: str, ref: str) -> VersionInfo:
        """`latest`, `previous`, a version id prefix (4+ hex), an ISO date (end of that UTC day) or date-time."""
        timeline = self.versions(page_id)
        if not timeline and page_id not in self.pages():
            known = ", ".join(self.pages()) or "none yet"
            raise UsageError(f"no page {page_id!r} in the store {self.root} (pages: {known})")
        return resolve_ref(page_id, timeline, ref)

    def validators(self, page_id: str, state: PageState | None = None) -> dict[str, str]:
        """ETag / Last-Modified of the last successful check, exactly as the server sent them, or {}.
        `state`: the page's state as a check read it (its last good check), so the usual case reads nothing."""
        good = state.last_good if state is not None else self.last_check(page_id, good=True)
        while good is not None:
            headers = {name.lower(): value for name, value in good.headers.items()}
            found = {key: headers[name] for key, name in _VALIDATORS if headers.get(name)}
            # A 304 answer need not repeat the validators; those of the check it confirmed still hold.
            if found or good.status != 304:
                return found
            good = self.last_check(page_id, good=True, until=_just_before(good.time))
        return {}

    # -- reading versions ------------------------------------------------------------------------------

    def read_text(self, page_id: str, version_id: str) -> str:
        """The text of a version (a full id, or any reference `resolve` accepts)."""
        if not SHA256.match(version_id):
            version_id = self.resolve(page_id, version_id).id
        path = self.text_path(page_id, version_id)
        data = self._read_blob(page_id, path, version_id)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreDamaged(
                f"{path}: damaged (not UTF-8 text); restore it from a backup", path=path, page=page_id
            ) from None

    def read_document(self, page_id: str, version_id: str) -> Document:
        return Document.from_text(self.read_text(page_id, version_id))

    def read_raw(self, page_id: str, version: str | VersionInfo) -> bytes | None:
        """The raw capture that brought a version (for an id seen several times, its latest entry), or None."""
        if isinstance(version, str):
            version_id = version if SHA256.match(version) else self.resolve(page_id, version).id
            entries = [entry for entry in self.versions(page_id) if entry.id == version_id]
            if not entries:
                return None
            version = entries[-1]
        if version.raw_sha256 is None:
            return None
        path = self._page_dir(page_id) / RAWS / f"{version.raw_sha256}{RAW_SUFFIX}"
        return self._read_blob(page_id, path, version.raw_sha256)

    def text_path(self, page_id: str, version_id: str) -> Path:
        """Where a version's text blob lives (gzip; for links and `zcat`, not for reading: use read_text)."""
        return self._page_dir(page_id) / TEXTS / f"{version_id}{TEXT_SUFFIX}"

    def damaged(self, page_id: str) -> str | None:
        """What is wrong with the page's current data (naming the file to restore), or None when it reads."""
        try:
            current = self.current(page_id)
            if current is not None:
                self.read_text(page_id, current.id)
            self.last_check(page_id)
        except StoreDamaged as error:
            return str(error)
        return None

    def undelivered(self) -> list[dict]:
        """The alerts (as JSON) of every outbox message not delivered to all its targets and recipients
        yet, most severe first: the digest must say so, since nobody else will."""
        alerts = [alert for row in self.outbox.with_work_left() for alert in row.alerts]
        return sorted(
            alerts,
            key=lambda alert: (_SEVERITY.get(str(alert.get("severity")), 3), str(alert.get("page", ""))),
        )

    def verify(self, tsa_ca: bytes | None = None) -> VerifyReport:
        """Integrity-check the database, re-hash every blob, check every reference; touch nothing. `tsa_ca`:
        the time-stamping authority's CA certificates (PEM) the tokens are checked under, when configured."""
        problems = []
        if self._has_legacy():
            try:
                self._open_for_writing()
            except StoreError as error:  # verify reports, it never crashes
                problems.append(str(error))
        report = verify_store(self.root, self.db, now=self.clock(), tsa_ca=tsa_ca)
        report.problems[:0] = problems
        report.ok = not report.problems
        return report

    # -- internals -----------------------------------------------------------------------------------------

    def _migrate_if_needed(self) -> None:
        if self._migration_checked:
            return
        from monitor.store.migrate import migrate_legacy

        migrate_legacy(self)
        self._migration_checked = True

    def _has_legacy(self) -> bool:
        from monitor.store.migrate import legacy_files

        if self._migration_checked:
            return False
        if legacy_files(self.root):
            return True
        self._migration_checked = True  # looked once: a store in the new layout does not look again
        return False

    def _page_dir(self, page_id: str) -> Path:
        if not isinstance(page_id, str) or not PAGE_ID.match(page_id):
            raise UsageError(f"{page_id!r} is not a valid page id (lowercase letters, digits, '.', '_', '-')")
        return self.root / PAGES / page_id

    def _put_blob(self, path: Path, data: bytes, *, mode: int = 0o644) -> None:
        if path.exists():  # content-addressed: same name, same content
            if mode == 0o600 and path.stat().st_mode & 0o077:
                path.chmod(mode)  # the same bytes came with cookies this time: they may hold a person's data
            return
        with self._writing(path):
            fsutil.atomic_write(path, compress(data), mode=mode)

    def _read_blob(self, page_id: str, path: Path, digest: str) -> bytes:
        try:
            compressed = path.read_bytes()
        except FileNotFoundError:
            if any(digest in (entry.id, entry.raw_sha256) for entry in self.versions(page_id)):
                raise StoreDamaged(
                    f"{path}: missing but referenced by the store; restore it from a backup",
                    path=path,
                    page=page_id,
                ) from None
            raise UsageError(f"page {page_id!r} has no stored version {digest[:12]}") from None
        except OSError as error:
            raise StoreDamaged(f"{path}: cannot read ({error.strerror})", path=path, page=page_id) from None
        data, problem = checked_content(path, compressed, digest)
        if problem:
            raise StoreDamaged(f"{problem}; restore it from a backup", path=path, page=page_id)
        return data


_VALIDATORS = (("etag", "etag"), ("last_modified", "last-modified"))
_SEVERITY = {"high": 0, "medium": 1, "low": 2}


def _just_before(time: str) -> str:
    """The inclusive bound that excludes checks at `time` itself (times sort as strings)."""
    return time[:-1] + "Y"  # 'Z' is the last character of every stored time; 'Y' sorts just before it
