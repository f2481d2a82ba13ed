"""Crash-safe file primitives for the snapshot store: atomic replace, append-only lines, the writer lock.

The rules that make a crash at any point harmless:
- a whole file is written to a temp file in the same directory, fsync'd, renamed over the target, and the
  directory fsync'd, so a reader sees the old file or the new one, never a mix;
- a log line is one `os.write` of the complete line (newline included) with O_APPEND, then fsync; a last
  line without its newline is a torn write from a crash: readers ignore it, the next append truncates it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import secrets
import stat
import threading
import time
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# Seconds a process waits for another one doing the same work under a file lock (delivering the outbox,
# building the report) before it leaves that work for its next run.
LOCK_WAIT = 120.0


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(directory: Path) -> None:
    """Create `directory` and missing parents, fsyncing each parent so the new entries survive a crash."""
    if directory.is_dir():
        return
    ensure_dir(directory.parent)
    try:
        directory.mkdir()
    except FileExistsError:
        if not directory.is_dir():
            raise
        return
    fsync_dir(directory.parent)


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Replace `path` with `data` so that a crash leaves either the old content or the new, complete
    (the data and the folder entry are fsync'd). `mode` is the most the file gets: the umask takes away what
    it takes away for group and others (0644 is 0600 under umask 077), never the owner's read and write."""
    ensure_dir(path.parent)
    temp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        # What os.open made of `mode` is `mode` less the umask (read back: reading the umask means setting
        # it, which races with other threads); a file the owner could not read back is of no use.
        granted = stat.S_IMODE(os.fstat(fd).st_mode)
        if (wanted := granted | (mode & 0o600)) != granted:
            os.fchmod(fd, wanted)
        _write_all(fd, data)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        temp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(temp, path)
    fsync_dir(path.parent)


def append_line(path: Path, line: bytes) -> None:
    """Append one complete line (it must end with a newline) durably, first cutting off a torn last line."""
    if not line.endswith(b"\n") or b"\n" in line[:-1]:
        raise ValueError("append_line needs exactly one line ending with a newline")
    ensure_dir(path.parent)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _cut_torn_tail(fd)
        _write_all(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(path.parent)


def _write_all(fd: int, data: bytes) -> None:
    # One write in practice; the loop only matters for the rare short write (then a crash leaves a torn line).
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _cut_torn_tail(fd: int) -> None:
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    keep = 0
    while end > 0:
        start = max(0, end - 65536)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            keep = start + newline + 1
            break
        end = start
    os.ftruncate(fd, keep)
    os.fsync(fd)


def split_lines(data: bytes) -> tuple[list[bytes], bytes]:
    """The complete lines of `data` (without newlines) and the torn tail after the last newline ('' if none)."""
    end = data.rfind(b"\n") + 1
    complete = data[:end].split(b"\n")[:-1] if end else []
    return complete, data[end:]


class LockBusy(Exception):
    """The writer lock is held elsewhere; `pid` is the holder's pid when it could be read."""

    def __init__(self, pid: int | None) -> None:
        super().__init__(pid)
        self.pid = pid


class WriterLock:
    """An exclusive flock on one file holding the holder's pid, reentrant for the thread that holds it,
    excluding other threads too. The one file lock of the project (the service lock uses it).

    flock locks belong to an open file description, so a second open of the same file in this process would
    deadlock against itself; one WriterLock per lock path is therefore shared through `for_path`.
    """

    _instances: dict[str, WriterLock] = {}
    _instances_guard = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @classmethod
    def for_path(cls, path: Path) -> WriterLock:
        key = os.path.realpath(path)
        with cls._instances_guard:
            if key not in cls._instances:
                cls._instances[key] = cls(path)
            return cls._instances[key]

    def acquire(self, wait: float = 0) -> None:
        """Take the lock (again, for the thread holding it), polling up to `wait` seconds; LockBusy if not."""
        deadline = time.monotonic() + max(0.0, wait)
        acquired = self._thread_lock.acquire(timeout=wait) if wait > 0 else self._thread_lock.acquire(False)
        if not acquired:
            raise LockBusy(os.getpid())
        if self._depth == 0:
            try:
                self._fd = self._flock(deadline)
            except BaseException:
                self._thread_lock.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.ftruncate(self._fd, 0)  # so a later contender never reports a stale pid
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
        self._thread_lock.release()

    def _flock(self, deadline: float) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as error:
                    if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                        raise
                    if time.monotonic() >= deadline:
                        raise LockBusy(self._holder_pid(fd)) from None
                    time.sleep(0.05)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        except BaseException:
            os.close(fd)
            raise

    @staticmethod
    def holder(path: Path) -> int | None:
        """Who holds the lock at `path`: their pid, -1 when held but the pid is unreadable, None when free."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = WriterLock._holder_pid(fd)
                return -1 if pid is None else pid
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _holder_pid(fd: int) -> int | None:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None


def resolve_path(base_dir: Path, relative: str | Path) -> Path:
    """A path from the config: `~` expanded, and relative to the config file's folder (`base_dir`)."""
    path = Path(relative).expanduser()
    return path if path.is_absolute() else base_dir / path
