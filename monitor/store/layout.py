"""Names and checks of the snapshot store's files, shared by the store and `verify`.

<root>/monitor.db                         SQLite (WAL): checks, timeline, baselines, outbox, ledger (db.py)
<root>/pages/<page>/texts/<sha256>.md.gz  a text version, named by the sha256 of its UTF-8 text
<root>/pages/<page>/raw/<sha256>.html.gz  the raw capture that produced it, named by the sha256 of its bytes
<root>/<rel>                              files of other stages (a prepared digest mail, the feed)
<root>/pages/<page>/checks.jsonl.migrated the check log of the JSONL layout, kept as a backup (migrate.py)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from monitor import fsutil
from monitor.models import SAFE_ID, CheckRecord
from monitor.store.timeline import STARTS_VERSION

PAGES = "pages"
CHECKS = "checks.jsonl"  # the JSONL layout, migrated once into monitor.db
MIGRATED = ".migrated"
LEDGER = "digest/ledger.jsonl"  # the digest ledger of the JSON Lines layout (now its own table)
TEXTS, TEXT_SUFFIX = "texts", ".md.gz"
RAWS, RAW_SUFFIX = "raw", ".html.gz"
PAGE_ID = SAFE_ID  # page folders are named by the config's ids
SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes) -> bytes:
    # mtime=0: the same content always gives the same file, so `zcat` output and file bytes are reproducible.
    return gzip.compress(data, compresslevel=6, mtime=0)


def stored_blobs(root: Path) -> Iterator[Path]:
    """The text and raw blobs of every page folder (named <sha256><suffix>; temp files left out)."""
    pages = root / PAGES
    if not pages.is_dir():
        return
    for page_dir in sorted(pages.iterdir()):
        for folder, suffix in ((TEXTS, TEXT_SUFFIX), (RAWS, RAW_SUFFIX)):
            if (page_dir / folder).is_dir():
                for blob in sorted((page_dir / folder).iterdir()):
                    if blob.name.endswith(suffix) and SHA256.match(blob.name.removesuffix(suffix)):
                        yield blob


def blob_count(blobs: list[Path]) -> str:
    """'2 stored texts and 2 raw captures' (the raw captures only when there are some)."""
    texts = sum(blob.parent.name == TEXTS for blob in blobs)
    raws = len(blobs) - texts
    words = f"{texts} stored text{'s' if texts != 1 else ''}"
    return words + (f" and {raws} raw capture{'s' if raws != 1 else ''}" if raws else "")


def has_legacy_log(root: Path) -> bool:
    """Whether a page still has the check log of the JSONL layout (its blobs are named there, not in
    monitor.db, until the migration imports it)."""
    pages = root / PAGES
    return pages.is_dir() and any((page_dir / CHECKS).is_file() for page_dir in pages.iterdir())


def referenced_blobs(record: CheckRecord) -> list[tuple[str, str]]:
    """The blobs a check record points at, as (field, digest): its version, and what a new version brought."""
    refs = [("version", record.version)]
    if record.outcome in STARTS_VERSION:
        refs += [("text_sha256", record.text_sha256), ("raw_sha256", record.raw_sha256)]
    return [(name, digest) for name, digest in refs if digest is not None]


def blob_path(page_dir: Path, field_name: str, digest: str) -> Path:
    return page_dir / blob_name(field_name, digest)


def blob_name(field_name: str, digest: str) -> str:
    """Where a blob a record names (`referenced_blobs`) is, inside its page's folder."""
    if field_name == "raw_sha256":
        return f"{RAWS}/{digest}{RAW_SUFFIX}"
    return f"{TEXTS}/{digest}{TEXT_SUFFIX}"


def blob_problem(path: Path, compressed: bytes, digest: str) -> str | None:
    """Why a stored blob is damaged (naming the file), or None when its content hashes to its name."""
    return checked_content(path, compressed, digest)[1]


def checked_content(path: Path, compressed: bytes, digest: str) -> tuple[bytes, str | None]:
    """A blob's content, decompressed once and hashed once, and why it is damaged (None: it is not)."""
    try:
        data = gzip.decompress(compressed)
    except (OSError, EOFError, ValueError, zlib.error) as error:  # any decompression error is damage
        return b"", f"{path}: damaged, not a complete gzip file ({error})"
    actual = sha256_hex(data)
    if actual != digest:
        return data, f"{path}: damaged, its content hashes to {actual[:12]}, not to its name"
    return data, None


def legacy_files(root: Path) -> list[Path]:
    """The files of the JSONL layout still in place (not yet renamed to *.migrated)."""
    found: list[Path] = []
    pages = root / PAGES
    if pages.is_dir():
        # every open of a store looks once: with strings, since a Path per page cost 5 ms at 200 pages
        logs = (os.path.join(entry.path, CHECKS) for entry in os.scandir(pages) if PAGE_ID.match(entry.name))
        found += sorted(Path(log) for log in logs if os.path.isfile(log))
    found += sorted((root / "watches").glob("*/*.json"))
    found += sorted((root / "outbox").glob("*.json")) + sorted((root / "outbox" / "done").glob("*.json"))
    if (root / LEDGER).is_file():
        found.append(root / LEDGER)
    return [path for path in found if not fsutil.is_temp_name(path.name)]
