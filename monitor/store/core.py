"""The snapshot store: per page an append-only check log plus content-addressed text and raw blobs.

The layout is in monitor/store_layout.py (and, for humans, snapshots/README.md). The timeline of versions is
derived from the check log (monitor/timeline.py); nothing else records it. Blobs are written before the check
record that refers to them, so a crash can leave an orphan blob (harmless) but never a record pointing at a
missing blob. One writer at a time (`writer()`); readers never lock and only see complete files and lines.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from monitor import fsutil
from monitor.errors import StoreError, StoreLocked, UsageError
from monitor.models import CheckRecord, Clock, Document, Outcome, system_clock
from monitor.store.layout import (
    CHECKS,
    LOCK_NAME,
    PAGE_ID,
    PAGES,
    RAW_SUFFIX,
    RAWS,
    SHA256,
    TEXT_SUFFIX,
    TEXTS,
    blob_path,
    blob_problem,
    compress,
    referenced_blobs,
    sha256_hex,
)
from monitor.store.state import ParsedLog, StateArea, json_line, refresh_log
from monitor.store.timeline import STARTS_VERSION, VersionInfo, build_timeline, resolve_ref
from monitor.store.verify import VerifyReport, verify_store

__all__ = ["Store", "VerifyReport", "VersionInfo", "sha256_hex"]


class Store(StateArea):
    reserved = (PAGES,)

    def __init__(self, root: Path | str, *, clock: Clock = system_clock) -> None:
        super().__init__(root)
        self.clock = clock
        self._logs: dict[str, ParsedLog[CheckRecord]] = {}

    # -- writing -----------------------------------------------------------------------------------------

    @contextmanager
    def writer(self, wait: float = 0) -> Iterator[Store]:
        """Hold the one-writer lock (reentrant in the holding thread); StoreLocked if another process has it."""
        self._ensure_root()
        lock = fsutil.WriterLock.for_path(self.root / LOCK_NAME)
        try:
            lock.acquire(wait)
        except fsutil.LockBusy as busy:
            raise StoreLocked(
                f"{self.root}: another privacy-monitor process is writing to this store "
                f"(pid {busy.pid if busy.pid is not None else 'unknown'}); wait for it or stop it"
            ) from None
        except OSError as error:
            raise StoreError(
                f"{self.root / LOCK_NAME}: cannot take the writer lock ({error.strerror})"
            ) from None
        try:
            yield self
        finally:
            lock.release()

    def put_version(self, page_id: str, text: str, raw: bytes | None) -> str:
        """Store a text version and the raw capture that produced it (each once); returns sha256(text)."""
        page = self._page_dir(page_id)
        data = text.encode("utf-8")
        version_id = sha256_hex(data)
        self._ensure_root()
        if raw is not None:
            self._put_blob(page / RAWS / f"{sha256_hex(raw)}{RAW_SUFFIX}", raw)
        self._put_blob(page / TEXTS / f"{version_id}{TEXT_SUFFIX}", data)
        return version_id

    def append_check(self, record: CheckRecord) -> None:
        """Append one check to its page's log, durably; every blob it refers to must already be stored."""
        page = self._page_dir(record.page)
        where = f"check {record.time} of page {record.page!r}"
        if record.outcome in STARTS_VERSION and not record.text_sha256:
            raise StoreError(f"{where} is {record.outcome} but has no text_sha256")
        if record.outcome in STARTS_VERSION and record.version not in (None, record.text_sha256):
            raise StoreError(f"{where}: its version differs from its text_sha256")
        for name, digest in referenced_blobs(record):
            if not SHA256.match(digest):
                raise StoreError(f"{where}: {name} is not a sha256: {digest!r}")
            path = blob_path(page, name, digest)
            if not path.exists():
                raise StoreError(
                    f"{path}: missing, {where} refers to it "
                    "(call put_version(page, text, raw) with the same text and raw bytes before append_check)"
                )
        line = json_line(record.to_json())
        self._ensure_root()
        with self._writing(page / CHECKS):
            fsutil.append_line(page / CHECKS, line)

    # -- the check log and the timeline ------------------------------------------------------------------

    def pages(self) -> list[str]:
        """The pages with at least one check, sorted."""
        folder = self.root / PAGES
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if PAGE_ID.match(p.name) and (p / CHECKS).is_file())

    def checks(self, page_id: str) -> list[CheckRecord]:
        """Every check of the page, oldest first (read from disk when the cache holds only the recent ones)."""
        log = self._log(page_id)
        if log.derived.get("trimmed"):
            return list(refresh_log(self._page_dir(page_id) / CHECKS, None, _record_from_line).items)
        return list(log.items)

    def last_check(self, page_id: str) -> CheckRecord | None:
        records = self._log(page_id).items
        return records[-1] if records else None

    def versions(self, page_id: str) -> list[VersionInfo]:
        """The timeline, oldest first."""
        return list(self._log(page_id).derived["timeline"])

    def current(self, page_id: str) -> VersionInfo | None:
        """The last good version."""
        timeline = self.versions(page_id)
        return timeline[-1] if timeline else None

    def resolve(self, page_id: str, ref: str) -> VersionInfo:
        """`latest`, `previous`, a version id prefix (4+ hex), an ISO date (end of that UTC day) or date-time."""
        timeline = self.versions(page_id)
        if not timeline and page_id not in self.pages():
            known = ", ".join(self.pages()) or "none yet"
            raise UsageError(f"no page {page_id!r} in the store {self.root} (pages: {known})")
        return resolve_ref(page_id, timeline, ref)

    def validators(self, page_id: str) -> dict[str, str]:
        """ETag / Last-Modified of the last successful check, exactly as the server sent them, or {}."""
        log = self._log(page_id)
        records = self.checks(page_id) if log.derived.get("trimmed") else log.items
        for record in reversed(records):
            if record.outcome == Outcome.FAILED:
                continue
            headers = {name.lower(): value for name, value in record.headers.items()}
            found = {key: headers[name] for key, name in _VALIDATORS if headers.get(name)}
            # A 304 answer need not repeat the validators; those of the check it confirmed still hold.
            if found or record.status != 304:
                return found
        return {}

    # -- reading versions ------------------------------------------------------------------------------

    def read_text(self, page_id: str, version_id: str) -> str:
        """The text of a version (a full id, or any reference `resolve` accepts)."""
        if not SHA256.match(version_id):
            version_id = self.resolve(page_id, version_id).id
        path = self._page_dir(page_id) / TEXTS / f"{version_id}{TEXT_SUFFIX}"
        data = self._read_blob(page_id, path, version_id)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreError(f"{path}: damaged (not UTF-8 text); run `privacy-monitor verify`") from None

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

    def verify(self) -> VerifyReport:
        """Re-hash every blob, parse every log, check every reference; report damage by path, touch nothing."""
        return verify_store(self.root)

    # -- internals -----------------------------------------------------------------------------------------

    def _page_dir(self, page_id: str) -> Path:
        if not isinstance(page_id, str) or not PAGE_ID.match(page_id):
            raise UsageError(f"{page_id!r} is not a valid page id (lowercase letters, digits, '.', '_', '-')")
        return self.root / PAGES / page_id

    def _put_blob(self, path: Path, data: bytes) -> None:
        if path.exists():  # content-addressed: same name, same content
            return
        with self._writing(path):
            fsutil.atomic_write(path, compress(data))

    def _read_blob(self, page_id: str, path: Path, digest: str) -> bytes:
        try:
            compressed = path.read_bytes()
        except FileNotFoundError:
            if any(digest in (entry.id, entry.raw_sha256) for entry in self.versions(page_id)):
                raise StoreError(
                    f"{path}: missing but referenced by the check log; run `privacy-monitor verify`"
                ) from None
            raise UsageError(f"page {page_id!r} has no stored version {digest[:12]}") from None
        except OSError as error:
            raise StoreError(f"{path}: cannot read ({error.strerror})") from None
        problem = blob_problem(path, compressed, digest)
        if problem:
            raise StoreError(f"{problem}; run `privacy-monitor verify`")
        return gzip.decompress(compressed)

    def _log(self, page_id: str) -> ParsedLog[CheckRecord]:
        """The page's log, parsed incrementally. A long-running service must not hold every check ever made
        in memory: the timeline is folded in as records arrive and only the last `CACHED_CHECKS` are kept."""
        log = refresh_log(self._page_dir(page_id) / CHECKS, self._logs.get(page_id), _record_from_line)
        folded = log.derived.get("folded", 0)
        if "timeline" not in log.derived or folded < len(log.items):
            log.derived["timeline"] = build_timeline(log.items[folded:], log.derived.get("timeline"))
        if len(log.items) > CACHED_CHECKS:
            del log.items[:-CACHED_CHECKS]
            log.derived["trimmed"] = True
        log.derived["folded"] = len(log.items)
        self._logs[page_id] = log
        return log


_VALIDATORS = (("etag", "etag"), ("last_modified", "last-modified"))
CACHED_CHECKS = 64  # recent checks kept in memory per page (the rest is read from disk when asked for)


def _record_from_line(line: bytes) -> CheckRecord:
    return CheckRecord.from_json(json.loads(line))
