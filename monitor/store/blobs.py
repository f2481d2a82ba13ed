"""The blobs part (`store.blobs`): texts and raw captures as content-addressed gzip files (layout.py).

A blob is written and fsync'd before the transaction that refers to it, so a crash can leave an orphan blob
(harmless) but never a record pointing at a missing blob. The database is made before the first blob: stored
texts without one can then only mean a lost database (db.py says so).
"""

from __future__ import annotations

from pathlib import Path

from monitor import fsutil
from monitor.errors import StoreDamaged, UsageError
from monitor.store.area import Area
from monitor.store.layout import (
    SHA256,
    blob_path,
    checked_content,
    compress,
    sha256_hex,
)


class Blobs:
    """The stored texts and raw captures of every page, by sha256."""

    def __init__(self, area: Area) -> None:
        self._area = area

    def put_text(self, page_id: str, data: bytes, *, digest: str | None = None, private: bool = False) -> str:
        """Store a text (UTF-8 bytes) once; its sha256 (`digest` when the caller hashed it already)."""
        digest = digest or sha256_hex(data)
        self.write(self.text_path(page_id, digest), data, private=private)
        return digest

    def put_raw(self, page_id: str, raw: bytes, *, digest: str | None = None, private: bool = False) -> str:
        """Store one raw capture once (before the check that refers to it); its sha256. `private`: it was
        fetched with a logged-in session's cookies, its file is owner-only (0600)."""
        digest = digest or sha256_hex(raw)
        self.write(self.raw_path(page_id, digest), raw, private=private)
        return digest

    def read_raw_blob(self, page_id: str, raw_sha256: str) -> bytes:
        """A stored raw capture by its sha256 (a part a 304 answer confirmed)."""
        if not SHA256.match(raw_sha256):
            raise UsageError(f"{raw_sha256!r} is not a raw capture's sha256")
        return self.read(page_id, self.raw_path(page_id, raw_sha256), raw_sha256)

    def text_path(self, page_id: str, version_id: str) -> Path:
        """Where a version's text blob lives (gzip; for links and `zcat`, not for reading: use
        `store.versions.read_text`)."""
        return blob_path(self._area.page_dir(page_id), "text_sha256", version_id)

    def raw_path(self, page_id: str, raw_sha256: str) -> Path:
        return blob_path(self._area.page_dir(page_id), "raw_sha256", raw_sha256)

    def raw_is_private(self, page_id: str, raw_sha256: str) -> bool:
        """Whether a raw capture is stored owner-only (it was fetched with a cookies file)."""
        path = self.raw_path(page_id, raw_sha256)
        try:
            return not path.stat().st_mode & 0o077
        except OSError:
            return False

    def write(self, path: Path, data: bytes, *, private: bool = False) -> None:
        """Write a blob (gzip, fsync'd) unless it is there: same name, same content."""
        mode = 0o600 if private else 0o644
        # The database comes before any blob: stored texts without one can then only mean a lost database.
        self._area.open_for_writing()
        self._area.db.connection()
        if path.exists():
            if private and path.stat().st_mode & 0o077:
                path.chmod(mode)  # the same bytes came with cookies this time: they may hold a person's data
            return
        with self._area.writing(path):
            fsutil.atomic_write(path, compress(data), mode=mode)

    def read(self, page_id: str, path: Path, digest: str) -> bytes:
        """A blob's content, checked against its name; StoreDamaged naming the file to restore, UsageError
        when the page never had it."""
        try:
            compressed = path.read_bytes()
        except FileNotFoundError:
            if self._referenced(page_id, digest):
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

    def _referenced(self, page_id: str, digest: str) -> bool:
        """Whether the page's timeline names the blob (as a version's text or its raw capture, or as the raw
        capture of a part of a combined document)."""
        rows = self._area.query(
            "SELECT 1 FROM versions WHERE page = ? AND (version = ? OR raw_sha256 = ?)"
            " UNION ALL SELECT 1 FROM captures p JOIN checks c ON c.id = p.check_id"
            " WHERE c.page = ? AND p.raw_sha256 = ? LIMIT 1",
            (page_id, digest, digest, page_id, digest),
        )
        return bool(rows)
