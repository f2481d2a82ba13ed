"""One file's history in a git repository, read with the `git` binary itself (`git log`, `git show`), so any
repository git reads (shallow, packed, bare) works.

Every commit that added or changed the file is one `Commit`, dated by its commit date. What an Open Terms
Archive commit says of its capture comes with it (its trailers and author date). A blob that is a symbolic link
(mode 120000) or a submodule is refused, naming the commit: imports do not follow links.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.errors import ImportSourceError
from monitor.imports.guards import shown, utc
from monitor.models import isoformat

GIT_TIMEOUT = 120.0
# %aI: OTA dates a commit by the capture's fetch; the trailers, one line with unit separators between them.
_LOG_FORMAT = "%H%x09%cI%x09%aI%x09%s%x09%(trailers:unfold,separator=%x1f)"
# The subjects of OTA's commits that record a version because its rules changed, not its page: its engine's
# "Apply technical or declaration upgrade on ..." (and older engines' "Refilter ...").
TECHNICAL_SUBJECTS = ("Apply technical or declaration upgrade", "Refilter")
_TRAILERS = {"x-source-document-location": "address", "x-fetcher": "fetcher", "x-engine-version": "engine"}
_FILE_MODES = ("100644", "100755")  # a regular blob; not a link (120000) nor a submodule (160000)


@dataclass(frozen=True, slots=True)
class Commit:
    """A commit that added or changed the file: its id, its date (ISO UTC) and what it says of its capture."""

    id: str
    time: str
    origin: tuple[tuple[str, str], ...] = ()


def file_commits(repository: Path, relative: str) -> list[Commit]:
    """The commits that added or changed `relative` in `repository`, oldest first (empty: never there)."""
    # --raw adds each commit's ":old-mode new-mode ..." line for the file: its new mode says what the blob is.
    log = git(
        repository,
        "log",
        "--raw",
        f"--format={_LOG_FORMAT}",
        "--diff-filter=AM",
        "--no-renames",
        "--",
        relative,
    )
    listed: list[tuple[str, str, str]] = []  # (commit, date, mode), newest first
    origins: dict[str, tuple[tuple[str, str], ...]] = {}
    for line in log.stdout.decode("utf-8", "replace").splitlines():
        if line.startswith(":") and listed:
            listed[-1] = (*listed[-1][:2], line[1:].split()[1])
        elif "\t" in line:
            commit, date, authored, subject, trailers = [*line.split("\t", 4), "", "", ""][:5]
            listed.append((commit.strip(), date.strip(), ""))
            origins[commit.strip()] = _origin(authored.strip(), trailers, subject.strip())
    commits = []
    for commit, date, mode in reversed(listed):  # git log lists the newest first
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
        commits.append(Commit(commit, utc(moment, where), origins.get(commit, ())))
    return commits


def _origin(authored: str, trailers: str, subject: str = "") -> tuple[tuple[str, str], ...]:
    """What a commit's trailers, author date and subject say of its capture (OTA writes
    `X-Source-Document-Location`, `X-Fetcher`, `X-Engine-Version`, dates the commit by the fetch, and names a
    version its rules made in the subject: `technical`)."""
    found: dict[str, str] = {}
    if subject.startswith(TECHNICAL_SUBJECTS) and subject.isprintable():
        found["technical"] = subject
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


def show(repository: Path, commit: str, path: str, *, bare: bool) -> bytes:
    """The bytes of `path` (relative to `repository`, which may be a folder inside a work tree) at `commit`;
    `bare` is `is_bare(repository)`, asked once per repository by whoever lists its versions."""
    # ./: from the folder given (inside a work tree); a bare repository has no folder, only the top
    where = path if bare else f"./{path}"
    return git(repository, "show", f"{commit}:{where}").stdout


def is_repository(folder: Path, *, top: bool = True) -> bool:
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


def is_bare(repository: Path) -> bool:
    result = git(repository, "rev-parse", "--is-bare-repository")
    return result.stdout.strip() == b"true"


def git(repository: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
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
