"""`verify`'s side of the blobs: each one re-hashed against its name, and the orphans (blobs no record or row
mentions) told apart: what a check cut short leaves (a warning) from what lost records leave (damage).

A cut-short check writes after the page's records began, one text and one raw capture of a page at most before
them (its very first check); so the orphans of a page written before the oldest blob its records name, beyond
that one pair, are damage (its records were lost), and the others a warning.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from monitor import fsutil
from monitor.store.layout import PAGES, RAW_SUFFIX, RAWS, SHA256, TEXT_SUFFIX, TEXTS, blob_count, blob_problem

RESTORE_BLOB = "restore this file from a backup (a copy of the store folder is a complete backup)"


def read_blobs(page_dir: Path, present: dict[Path, float], problems: list[str], warnings: list[str]) -> int:
    """Re-hash every blob of a page folder, noting each one read (with its mtime) in `present`; how many."""
    checked = 0
    for folder, suffix in ((TEXTS, TEXT_SUFFIX), (RAWS, RAW_SUFFIX)):
        for blob in sorted((page_dir / folder).iterdir()) if (page_dir / folder).is_dir() else []:
            if fsutil.is_temp_name(blob.name):
                warnings.append(f"{blob}: leftover temp file of an interrupted write (harmless)")
                continue
            digest = blob.name.removesuffix(suffix)
            if not blob.name.endswith(suffix) or not SHA256.match(digest):
                warnings.append(f"{blob}: unexpected file (not named <sha256>{suffix})")
                continue
            checked += 1
            try:
                data, mtime = blob.read_bytes(), blob.stat().st_mtime
            except OSError as error:
                problems.append(f"{blob}: cannot read ({error.strerror}); {RESTORE_BLOB}")
                continue
            present[blob] = mtime
            if problem := blob_problem(blob, data, digest):
                problems.append(f"{problem}; {RESTORE_BLOB}")
    return checked


def orphan_findings(
    root: Path, db_path: Path, present: dict[Path, float], mentioned: dict[str, set[str]], *, lost: bool
) -> tuple[list[str], list[str]]:
    """The problems and warnings of the blobs no record or row mentions (`mentioned`: digests, by page).
    `lost`: the database is missing or empty, so every orphan is damage."""
    problems: list[str] = []
    warnings: list[str] = []
    by_page: dict[str, list[Path]] = defaultdict(list)
    for blob in present:
        by_page[blob.parent.parent.name].append(blob)
    for page, blobs in sorted(by_page.items()):
        named = [b for b in blobs if b.name.split(".", 1)[0] in mentioned.get(page, ())]
        start = min((present[b] for b in named), default=None)
        orphans = [b for b in blobs if b not in named]
        before = [b for b in orphans if lost or start is None or present[b] < start]
        texts = sum(b.parent.name == TEXTS for b in before)
        damage = before if lost or texts > 1 or len(before) - texts > 1 else []
        folder = root / PAGES / page
        if damage:
            why = (
                f"{db_path.name}, which recorded them, is missing or empty"
                if lost
                else f"older than the page's history in {db_path}: records of it were lost"
            )
            problems.append(
                f"{folder}: {blob_count(damage)} no record mentions ({why}); restore {db_path.name} from a "
                f"backup, or to start the page anew on purpose move {folder} aside"
            )
        if rest := [b for b in orphans if b not in damage]:
            warnings.append(
                f"{folder}: {blob_count(rest)} no record mentions, left by a check cut short before it was "
                "recorded (harmless: the next check of the same text uses them)"
            )
    return problems, warnings
