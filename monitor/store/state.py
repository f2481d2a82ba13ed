"""Durable JSON state files under the store root, for the stages after the store (watches, outbox, digest).

Whole files are replaced atomically; JSON Lines files are append-only with torn-tail handling (fsutil).
Readers never see a half-written file: they only read renamed files and complete lines.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar

from monitor import fsutil
from monitor.errors import StoreError

T = TypeVar("T")


class StateArea:
    """`<root>/<rel>` JSON and JSON Lines files; `reserved` top-level folders belong to the subclass."""

    reserved: tuple[str, ...] = ()

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(
                f"{self.root}: the store path exists but is not a folder; set [store] path to one"
            )

    def path(self, rel: str | Path) -> Path:
        """Where a state file lives: `<root>/<rel>`; rel is relative, without '..' or hidden parts."""
        parts = PurePosixPath(str(rel)).parts
        if not parts or parts[0] in ("/", *self.reserved) or any(part.startswith(".") for part in parts):
            raise StoreError(f"{str(rel)!r}: not a usable store path (relative, no '..' or hidden parts)")
        return self.root.joinpath(*parts)

    def read_json(self, rel: str | Path, default: Any = None) -> Any:
        """The parsed file, or `default` when it does not exist."""
        path = self.path(rel)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return default
        except OSError as error:
            raise StoreError(f"{path}: cannot read ({error.strerror})") from None
        try:
            return json.loads(data)
        except ValueError as error:
            raise StoreError(f"{path}: damaged JSON ({error}); run `privacy-monitor verify`") from None

    def write_json(self, rel: str | Path, data: Any) -> None:
        path = self.path(rel)
        encoded = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        self._ensure_root()
        with self._writing(path):
            fsutil.atomic_write(path, encoded)

    def append_jsonl(self, rel: str | Path, obj: Any) -> None:
        path = self.path(rel)
        self._ensure_root()
        with self._writing(path):
            fsutil.append_line(path, json_line(obj))

    def read_jsonl(self, rel: str | Path) -> list[Any]:
        """Every complete line of a JSON Lines file ([] if missing); a torn last line is ignored."""
        path = self.path(rel)
        return [item for _, item in parse_jsonl(path, read_or_empty(path), json.loads)[0]]

    def listdir(self, rel: str | Path) -> list[str]:
        """The names in a state folder, sorted ([] if missing), without temp files of interrupted writes."""
        folder = self.path(rel)
        if not folder.is_dir():
            return []
        return sorted(name for name in os.listdir(folder) if not fsutil.is_temp_name(name))

    def delete(self, rel: str | Path) -> bool:
        """Remove a state file durably; False if it was not there."""
        path = self.path(rel)
        with self._writing(path):
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            fsutil.fsync_dir(path.parent)
        return True

    def _ensure_root(self) -> None:
        with self._writing(self.root):
            fsutil.ensure_dir(self.root)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StoreError(
                f"{self.root}: the store folder is not writable; fix its permissions or [store] path"
            )

    @contextmanager
    def _writing(self, path: Path) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise StoreError(
                f"{path}: cannot write ({error.strerror or error}); check the store folder"
            ) from None


def json_line(obj: Any) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as error:
        raise StoreError(f"{path}: cannot read ({error.strerror})") from None


def parse_jsonl(
    path: Path, data: bytes, parse: Callable[[bytes], T], first_line: int = 1
) -> tuple[list[tuple[int, T]], int, int]:
    """Parse the complete lines of `data`: ([(line number, item)], bytes consumed, lines consumed).

    A torn last line (no newline: an interrupted append) is left unconsumed; a bad complete line is damage.
    """
    lines, torn = fsutil.split_lines(data)
    items = []
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            items.append((number, parse(line)))
        except (ValueError, KeyError, TypeError) as error:
            raise StoreError(
                f"{path}:{number}: damaged line ({error}); run `privacy-monitor verify`"
            ) from None
    return items, len(data) - len(torn), len(lines)


@dataclass(slots=True)
class ParsedLog(Generic[T]):
    """An append-only log parsed up to `offset` (just after a newline), with what is derived from it."""

    inode: int = -1
    size: int = -1
    mtime_ns: int = -1
    offset: int = 0
    lines: int = 0
    items: list[T] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict)


def refresh_log(path: Path, cached: ParsedLog[T] | None, parse: Callable[[bytes], T]) -> ParsedLog[T]:
    """`cached` if the file is unchanged; when it only grew, parse just the new lines; else parse afresh."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ParsedLog()
    except OSError as error:
        raise StoreError(f"{path}: cannot read ({error.strerror})") from None
    if cached and (cached.inode, cached.size, cached.mtime_ns) == (
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
    ):
        return cached
    if not cached or cached.inode != stat.st_ino or stat.st_size <= cached.size:
        cached = ParsedLog()
    with open(path, "rb") as handle:
        handle.seek(cached.offset)
        data = handle.read()
    parsed, consumed, lines = parse_jsonl(path, data, parse, first_line=cached.lines + 1)
    return ParsedLog(
        stat.st_ino,
        stat.st_size,
        stat.st_mtime_ns,
        cached.offset + consumed,
        cached.lines + lines,
        cached.items + [item for _, item in parsed],
        dict(cached.derived),  # a log that only grew keeps what was derived from its start
    )
