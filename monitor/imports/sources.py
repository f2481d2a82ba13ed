"""Where imported versions come from: the history of one file in a git repository, or a folder of dated files.

A git repository (an Open Terms Archive `*-versions` clone): every commit that added or changed FILE is a
version, dated by its commit date; its commit id is the version's source id. Read with the `git` binary itself
(`git log`, `git show`), so any repository git reads (shallow, packed, bare) works.

A folder: every `.md` (Open Terms Archive Markdown), `.html`/`.htm` (a raw capture) and `.txt` (text in the
store's own form, as `privacy-monitor show` prints it) file whose name begins with an ISO date or date-time
(`2025-06-01.md`, `2022-07-11T14-58-05Z_a3689b38.md`, `2025-06-01T12:30:00+02:00.html`; without a zone: UTC).
Its source id is the sha256 of its bytes. Other files (an `index.tsv`, hidden files) are not versions.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from monitor.errors import ImportSourceError
from monitor.models import isoformat

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".txt": "txt"}
_NAME_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T _](\d{2})[-:h]?(\d{2})(?:[-:m]?(\d{2}))?(?:[.,]\d+)?(Z|[+-]\d{2}:?\d{2})?)?",
    re.I,
)
GIT_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class SourceVersion:
    """One version a source holds: when, what it is called there, its id there, and how to read it."""

    time: str  # ISO 8601 UTC, as check times are
    kind: str  # "git" | "folder"
    id: str  # the commit id, or the sha256 of the file
    name: str  # for messages: "a3689b38 Privacy Policy.md", or the file name
    format: str  # "md" | "html" | "txt"
    location: str  # the repository, or the file
    path: str = ""  # the file inside the repository

    @property
    def key(self) -> str:
        """What makes it the same version again in any source: its id at its date (a file whose bytes come
        back later, A B A, is a version again)."""
        return f"{self.id}@{self.time}"

    def read(self) -> bytes:
        if self.kind == "git":
            return _git(Path(self.location), "show", f"{self.id}:./{self.path}").stdout  # ./: from SOURCE
        try:
            return Path(self.location).read_bytes()
        except OSError as error:
            raise ImportSourceError(f"{self.location}: cannot read ({error.strerror})") from None

    def source(self) -> dict[str, Any]:
        """What the check record keeps of where it came from."""
        found: dict[str, Any] = {"kind": self.kind, "id": self.id, "format": self.format}
        if self.kind == "git":
            found.update(repository=self.location, path=self.path)
        else:
            found.update(file=Path(self.location).name)
        return found


def open_source(source: Path, path: str | None) -> list[SourceVersion]:
    """The versions SOURCE holds, oldest first (with `path`: SOURCE is a git repository, `path` the file)."""
    if not source.exists():
        raise ImportSourceError(f"{source}: no such repository or folder")
    if not source.is_dir():
        raise ImportSourceError(f"{source}: not a repository or folder (give the folder, not a file)")
    if path is not None:
        return git_versions(source, path)
    if _is_repository(source):
        raise ImportSourceError(
            f"{source}: a git repository; name the document's file in it with --path FILE"
        )
    return folder_versions(source)


def git_versions(repository: Path, path: str) -> list[SourceVersion]:
    if not _is_repository(repository, top=False):
        raise ImportSourceError(
            f"{repository}: not a git repository (--path FILE reads a file's history in one)"
        )
    relative = str(PurePosixPath(path.replace("\\", "/")))
    suffix = PurePosixPath(relative).suffix.lower()
    if suffix not in FORMATS:
        raise ImportSourceError(f"{path}: not a .md, .html or .txt file")
    log = _git(repository, "log", "--format=%H%x09%cI", "--diff-filter=AM", "--no-renames", "--", relative)
    lines = [line for line in log.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        raise ImportSourceError(
            f"{path}: never in the repository {repository} (see `git -C {repository} log --stat`)"
        )
    versions = []
    for line in reversed(lines):  # git log lists the newest first
        commit, _, date = line.partition("\t")
        name = f"{commit[:8]} {PurePosixPath(relative).name}"
        when = isoformat(datetime.fromisoformat(date.strip()))
        versions.append(SourceVersion(when, "git", commit, name, FORMATS[suffix], str(repository), relative))
    return versions


def folder_versions(folder: Path) -> list[SourceVersion]:
    versions = []
    for file in sorted(folder.iterdir()):
        suffix = file.suffix.lower()
        if file.name.startswith(".") or not file.is_file() or suffix not in FORMATS:
            continue
        when = name_time(file)
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        versions.append(SourceVersion(when, "folder", digest, file.name, FORMATS[suffix], str(file)))
    if not versions:
        raise ImportSourceError(f"{folder}: no dated .md, .html or .txt files in it")
    return sorted(versions, key=lambda version: (version.time, version.name))


def name_time(file: Path) -> str:
    """The ISO UTC time a file's name begins with (UTC when it names no zone)."""
    match = _NAME_DATE.match(file.name)
    if match is None:
        raise ImportSourceError(f"{file}: no date in its name (names must begin with YYYY-MM-DD)")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise ImportSourceError(f"{file}: its name begins with an impossible date") from None
    return isoformat(moment.replace(tzinfo=_zone(zone)))


def _zone(text: str | None) -> timezone:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def _is_repository(folder: Path, *, top: bool = True) -> bool:
    try:
        result = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-prefix"],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        return False  # no git on this machine: no folder can be read as a repository
    # Inside a repository but not at its top (a folder of captures kept in a repository): a folder, unless
    # --path asks for a file's history (FILE is then relative to SOURCE).
    return result.returncode == 0 and (not top or not result.stdout.strip())


def _git(repository: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        result = subprocess.run(
            ["git", "-C", str(repository), *args], capture_output=True, timeout=GIT_TIMEOUT, check=False
        )
    except FileNotFoundError:
        raise ImportSourceError(
            "git is not installed (it reads the repository): apt-get install git"
        ) from None
    except subprocess.TimeoutExpired:
        raise ImportSourceError(f"{repository}: git {args[0]} took longer than {GIT_TIMEOUT:.0f}s") from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ImportSourceError(
            f"{repository}: git {args[0]} failed ({detail[-1] if detail else 'no message'})"
        )
    return result
