"""Where imported versions come from: the history of one file in a git repository, or a folder of dated files.

A git repository (an Open Terms Archive `*-versions` clone): every commit that added or changed FILE is a
version, dated by its commit date; its commit id is the version's source id. Read with the `git` binary itself
(`git log`, `git show`), so any repository git reads (shallow, packed, bare) works.

A folder: every `.md` (Open Terms Archive Markdown), `.html`/`.htm` (a raw capture) and `.txt` (text in the
store's own form, as `privacy-monitor show` prints it) file whose name begins with an ISO date or date-time
(`2025-06-01.md`, `2022-07-11T14-58-05Z_a3689b38.md`, `2025-06-01T12:30:00+02:00.html`; without a zone: UTC).
Its source id is the sha256 of its bytes. Other files (an `index.tsv`, hidden files) are not versions.

Imports never leave their source: a folder's symbolic link whose target resolves outside the folder, a git
blob that is a symbolic link (mode 120000) and a --path with `..` are refused with one line naming the file,
not skipped, so a folder never imports less than its owner thinks. So are names that are not printable
UTF-8, dates that no clock can hold (a zone past +-23:59, a moment past year 9999 in UTC) and .md/.txt files
that are not UTF-8 text: each is found before anything is stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
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
# %aI: OTA dates a commit by the capture's fetch; the trailers, one line with unit separators between them.
_LOG_FORMAT = "%H%x09%cI%x09%aI%x09%(trailers:unfold,separator=%x1f)"
_TRAILERS = {"x-source-document-location": "address", "x-fetcher": "fetcher", "x-engine-version": "engine"}
_FILE_MODES = ("100644", "100755")  # a regular blob; not a link (120000) nor a submodule (160000)


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
    # What an Open Terms Archive commit says of its capture (its trailers): the address it was fetched from
    # (`X-Source-Document-Location`), the fetcher, the engine's version; and when it was fetched (author date).
    origin: tuple[tuple[str, str], ...] = ()

    @property
    def address(self) -> str | None:
        """The address the capture was fetched from, when its source says (OTA's records do)."""
        return dict(self.origin).get("address")

    @property
    def key(self) -> str:
        """What makes it the same version again in any source: its id at its date (a file whose bytes come
        back later, A B A, is a version again)."""
        return f"{self.id}@{self.time}"

    def read(self) -> bytes:
        if self.kind == "git":
            # ./: from SOURCE (a folder inside a work tree); a bare repository has no folder, only the top
            where = self.path if _is_bare(Path(self.location)) else f"./{self.path}"
            data = _git(Path(self.location), "show", f"{self.id}:{where}").stdout
            if self.format != "html":
                _check_text(data, f"{self.location}: {self.name}")
            return data
        file = Path(self.location)
        data = _read_inside(file, file.parent)
        # What was listed is what is stored: a file swapped (or re-linked) since the listing is refused.
        if hashlib.sha256(data).hexdigest() != self.id:
            raise ImportSourceError(f"{shown(file)}: changed while importing; run the import again")
        return data

    def source(self) -> dict[str, Any]:
        """What the check record keeps of where it came from."""
        found: dict[str, Any] = {"kind": self.kind, "id": self.id, "format": self.format}
        if self.kind == "git":
            found.update(repository=self.location, path=self.path, **dict(self.origin))
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
    if PurePosixPath(relative).is_absolute() or ".." in PurePosixPath(relative).parts:
        raise ImportSourceError(
            f"{shown(path)}: --path must name a file inside {shown(repository)} (no '..', not absolute)"
        )
    suffix = PurePosixPath(relative).suffix.lower()
    if suffix not in FORMATS:
        raise ImportSourceError(f"{path}: not a .md, .html or .txt file")
    # --raw adds each commit's ":old-mode new-mode ..." line for the file: its new mode says what the blob is.
    log = _git(
        repository,
        "log",
        "--raw",
        f"--format={_LOG_FORMAT}",
        "--diff-filter=AM",
        "--no-renames",
        "--",
        relative,
    )
    commits: list[tuple[str, str, str]] = []  # (commit, date, mode), newest first
    origins: dict[str, tuple[tuple[str, str], ...]] = {}
    for line in log.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(":") and commits:
            commits[-1] = (*commits[-1][:2], line[1:].split()[1])
        elif "\t" in line:
            commit, date, authored, trailers = [*line.split("\t", 3), "", ""][:4]
            commits.append((commit.strip(), date.strip(), ""))
            origins[commit.strip()] = _origin(authored.strip(), trailers)
    if not commits:
        raise ImportSourceError(
            f"{shown(path)}: never in the repository {shown(repository)} "
            f"(see `git -C {shown(repository)} log --stat`)"
        )
    versions = []
    for commit, date, mode in reversed(commits):  # git log lists the newest first
        name = f"{commit[:8]} {PurePosixPath(relative).name}"
        if mode not in _FILE_MODES:
            kind = "a symbolic link" if mode == "120000" else f"not a file (mode {mode or 'unknown'})"
            raise ImportSourceError(
                f"{shown(repository)}: {shown(relative)} in commit {commit[:8]} is {kind}; imports do not "
                "follow links: leave that commit out with --since/--until"
            )
        where = f"{shown(repository)}: commit {commit[:8]}"
        try:
            moment = datetime.fromisoformat(date)
        except ValueError:
            raise ImportSourceError(f"{where}: its date {date!r} is not a date") from None
        versions.append(
            SourceVersion(
                _utc(moment, where),
                "git",
                commit,
                name,
                FORMATS[suffix],
                str(repository),
                relative,
                origins.get(commit, ()),
            )  # fmt: skip
        )
    return versions


def _origin(authored: str, trailers: str) -> tuple[tuple[str, str], ...]:
    """What a commit's trailers and author date say of its capture (OTA writes `X-Source-Document-Location`,
    `X-Fetcher`, `X-Engine-Version`, and dates the commit by the fetch)."""
    found: dict[str, str] = {}
    for trailer in trailers.split("\x1f"):
        key, _, value = trailer.partition(":")
        name = _TRAILERS.get(key.strip().lower())
        if name and value.strip() and value.strip().isprintable():
            found[name] = value.strip()
    if found and authored:
        # a date git wrote but no clock holds: the commit's own date still dates the version
        with contextlib.suppress(ValueError, OverflowError):
            found["fetched"] = isoformat(datetime.fromisoformat(authored))
    return tuple(found.items())


def folder_versions(folder: Path) -> list[SourceVersion]:
    versions = []
    for file in sorted(folder.iterdir()):
        suffix = file.suffix.lower()
        if file.name.startswith(".") or suffix not in FORMATS:
            continue
        if not file.is_file() and not file.is_symlink():
            continue  # a folder named like a version: folders are not read
        if not _printable(file.name):
            raise ImportSourceError(
                f"{shown(file)}: its name is not printable UTF-8 text; rename it (e.g. with convmv) or move it out"
            )
        data = _read_inside(file, folder)
        when = name_time(file)
        if FORMATS[suffix] != "html":  # HTML carries its own charset; the others are UTF-8 by definition
            _check_text(data, shown(file))
        digest = hashlib.sha256(data).hexdigest()
        versions.append(SourceVersion(when, "folder", digest, file.name, FORMATS[suffix], str(file)))
    if not versions:
        raise ImportSourceError(f"{shown(folder)}: no dated .md, .html or .txt files in it")
    return sorted(versions, key=lambda version: (version.time, version.name))


def name_time(file: Path) -> str:
    """The ISO UTC time a file's name begins with (UTC when it names no zone)."""
    match = _NAME_DATE.match(file.name)
    if match is None:
        raise ImportSourceError(f"{shown(file)}: no date in its name (names must begin with YYYY-MM-DD)")
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        raise ImportSourceError(f"{shown(file)}: its name begins with an impossible date") from None
    return _utc(moment.replace(tzinfo=_zone(zone, file)), shown(file))


def _zone(text: str | None, file: Path) -> timezone:
    if not text or text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ImportSourceError(
            f"{shown(file)}: its name's time zone {text} is impossible (offsets run from -23:59 to +23:59); "
            "rename it"
        )
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _utc(moment: datetime, where: str) -> str:
    """`moment` as an ISO UTC time; an ImportSourceError when UTC cannot hold it (year 1 or 9999 shifted out)."""
    try:
        return isoformat(moment)
    except (OverflowError, ValueError):
        raise ImportSourceError(
            f"{where}: dated {moment.isoformat()}, which is out of range in UTC; correct its date"
        ) from None


def _read_inside(file: Path, folder: Path) -> bytes:
    """`file`'s bytes, when it (through any symbolic links) is a file inside `folder`."""
    try:
        target, inside = file.resolve(strict=True), folder.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link or a loop of links
        raise ImportSourceError(f"{shown(file)}: a broken symbolic link; remove it or replace it") from None
    if not target.is_relative_to(inside):
        raise ImportSourceError(
            f"{shown(file)}: a symbolic link to {shown(target)}, outside {shown(inside)}; imports read only "
            "the folder's own files: copy the file in instead"
        )
    if not target.is_file():
        raise ImportSourceError(f"{shown(file)}: not a file; remove it from {shown(inside)}")
    try:
        return target.read_bytes()
    except OSError as error:
        raise ImportSourceError(f"{shown(file)}: cannot read ({error.strerror})") from None


def _check_text(data: bytes, where: str) -> None:
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportSourceError(
            f"{where}: not UTF-8 text (byte {error.start}); convert it, e.g. iconv -f latin1 -t utf-8, "
            "or move it out"
        ) from None


def _printable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by the file system's surrogateescape
        return False
    return name.isprintable()


def shown(path: object) -> str:
    """A path as one printable line: undecodable bytes as \\xNN, control characters escaped."""
    text = os.fsencode(str(path)).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


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


def _is_bare(repository: Path) -> bool:
    result = _git(repository, "rev-parse", "--is-bare-repository")
    return result.stdout.strip() == b"true"


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
