"""`privacy-monitor verify`: re-hash every blob, parse every log, check every reference; touch nothing.

A problem is damage (a blob whose content does not hash to its name, a garbled line inside a log, a record
pointing at a missing blob); a warning is a harmless leftover of a crash (a torn last line, a temp file).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from monitor import fsutil
from monitor.models import CheckRecord
from monitor.store.layout import (
    CHECKS,
    LOCK_NAME,
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

T = TypeVar("T")


@dataclass(slots=True)
class VerifyReport:
    ok: bool
    checked: int  # files re-hashed or parsed
    # Damaged or missing files, each naming its path.
    problems: list[str] = field(default_factory=list)
    # Harmless leftovers of a crash: a torn last line, a temp file.
    warnings: list[str] = field(default_factory=list)


class _Verifier:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.checked = 0
        self.problems: list[str] = []
        self.warnings: list[str] = []

    def run(self) -> VerifyReport:
        if self.root.is_dir():
            pages = self.root / PAGES
            if pages.is_dir():
                for page_dir in sorted(pages.iterdir()):
                    if page_dir.is_dir():
                        self.page(page_dir)
                    else:
                        self.warnings.append(f"{page_dir}: unexpected file among the page folders")
            self.state_files()
        return VerifyReport(not self.problems, self.checked, self.problems, self.warnings)

    def page(self, page_dir: Path) -> None:
        present: set[Path] = set()
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
                data = self.read(blob)
                if data is None:
                    continue
                present.add(blob)
                problem = blob_problem(blob, data, digest)
                if problem:
                    self.problems.append(problem)
        log = page_dir / CHECKS
        if not log.is_file():
            self.warnings.append(
                f"{page_dir}: no {CHECKS} (blobs without checks: an interrupted first check)"
            )
            return
        missing: dict[Path, str] = {}
        for number, record in self.lines(log, CheckRecord.from_json):
            if record.page != page_dir.name:
                self.problems.append(
                    f"{log}:{number}: record of page {record.page!r} in the log of {page_dir.name!r}"
                )
            for name, digest in referenced_blobs(record):
                if not SHA256.match(digest):
                    self.problems.append(f"{log}:{number}: {name} is not a sha256: {digest!r}")
                    continue
                path = blob_path(page_dir, name, digest)
                if path not in present and path not in missing:
                    missing[path] = f"{log}:{number}"
        for path, where in missing.items():
            self.problems.append(f"{path}: missing, referenced by {where}")

    def state_files(self) -> None:
        for path in _state_files(self.root):
            if fsutil.is_temp_name(path.name):
                self.warnings.append(f"{path}: leftover temp file of an interrupted write (harmless)")
            elif path.suffix == ".jsonl":
                self.lines(path, lambda data: data)
            elif path.suffix == ".json":
                self.checked += 1
                data = self.read(path)
                try:
                    json.loads(data or b"null")
                except ValueError as error:
                    self.problems.append(f"{path}: damaged JSON ({error})")

    def lines(self, path: Path, parse: Callable[[Any], T]) -> list[tuple[int, T]]:
        """(line number, parsed item) for each good line; bad ones are reported."""
        self.checked += 1
        good: list[tuple[int, T]] = []
        lines, torn = fsutil.split_lines(self.read(path) or b"")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = parse(json.loads(line))
            except (ValueError, KeyError, TypeError) as error:
                self.problems.append(f"{path}:{number}: damaged line ({error})")
                continue
            good.append((number, item))
        if torn:
            self.warnings.append(
                f"{path}: torn last line of {len(torn)} bytes from an interrupted write (ignored; cut at next append)"
            )
        return good

    def read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except OSError as error:
            self.problems.append(f"{path}: cannot read ({error.strerror})")
            return None


def _state_files(root: Path) -> list[Path]:
    found = []
    for folder, subfolders, names in os.walk(root):
        if Path(folder) == root:
            subfolders[:] = [name for name in subfolders if name != PAGES]
        found += [Path(folder, name) for name in names if not (Path(folder) == root and name == LOCK_NAME)]
    return sorted(found)


def _files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.is_dir() else []


def verify_store(root: Path) -> VerifyReport:
    return _Verifier(root).run()
