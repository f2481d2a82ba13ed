"""Where imported versions come from: the history of one file in a git repository, or a folder of dated files.

A git repository (an Open Terms Archive `*-versions` clone): every commit that added or changed FILE is a
version, dated by its commit date; its commit id is the version's source id (read with git: git_history.py).

A folder: every `.md` (Open Terms Archive Markdown), `.html`/`.htm`/`.pdf` (a raw capture) and `.txt` (text in the
store's own form, as `privacy-monitor show` prints it) file whose name begins with an ISO date or date-time
(`2025-06-01.md`, `2022-07-11T14-58-05Z_a3689b38.md`, `2025-06-01T12:30:00+02:00.html`; without a zone: UTC).
Its source id is the sha256 of its bytes. Other files (an `index.tsv`, hidden files) are not versions.

Imports never leave their source (guards.py): a folder's link outside it, a git blob that is a symbolic link,
a --path with `..`, a name that is not printable UTF-8, an impossible date and a .md/.txt file that is not
UTF-8 are refused with one line naming the file, not skipped, each before anything is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from monitor.errors import ImportSourceError
from monitor.imports.git_history import file_commits, is_bare, is_repository, show
from monitor.imports.guards import check_text, name_time, printable, read_inside, shown
from monitor.store.records import HISTORY_KEY

FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "txt"}
# Raw captures, extracted under the page's rules and kept as evidence; the others are text already.
RAW_FORMATS = frozenset({"html", "pdf"})


@dataclass(frozen=True, slots=True)
class SourceVersion:
    """One version a source holds: when, what it is called there, its id there, and how to read it."""

    time: str  # ISO 8601 UTC, as check times are
    kind: str  # "git" | "folder"
    id: str  # the commit id, or the sha256 of the file
    name: str  # for messages: "a3689b38 Privacy Policy.md", or the file name
    format: str  # "md" | "html" | "pdf" | "txt"
    location: str  # the repository, or the file
    path: str = ""  # the file inside the repository
    # What an Open Terms Archive commit says of its capture (its trailers): the address it was fetched from
    # (`X-Source-Document-Location`), the fetcher, the engine's version; and when it was fetched (author date).
    origin: tuple[tuple[str, str], ...] = ()
    bare: bool = False  # a bare repository (asked once, when its versions are listed): read from its top

    @property
    def address(self) -> str | None:
        """The address the capture was fetched from, when its source says (OTA's records do)."""
        return dict(self.origin).get("address")

    @property
    def raw(self) -> bool:
        """A raw capture (HTML or PDF), extracted as a check extracts one, not a text already."""
        return self.format in RAW_FORMATS

    @property
    def key(self) -> str:
        """What makes it the same version again in any source: its id at its date (a file whose bytes come
        back later, A B A, is a version again). A version its source says its rules made (an OTA technical
        upgrade) is keyed as a technical version of imported history: placed by date, never a change of the page."""
        key = f"{self.id}@{self.time}"
        return f"{HISTORY_KEY}{key}" if dict(self.origin).get("technical") else key

    def read(self) -> bytes:
        if self.kind == "git":
            data = show(Path(self.location), self.id, self.path, bare=self.bare)
            if not self.raw:
                check_text(data, f"{self.location}: {self.name}")
            return data
        file = Path(self.location)
        data = read_inside(file, file.parent)
        # What was listed is what is stored: a file swapped (or re-linked) since the listing is refused.
        if hashlib.sha256(data).hexdigest() != self.id:
            raise ImportSourceError(f"{shown(file)}: changed while importing; run the import again")
        return data

    def source(self) -> dict[str, str]:
        """What the check record keeps of where it came from."""
        found = {"kind": self.kind, "id": self.id, "format": self.format}
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
    if is_repository(source):
        raise ImportSourceError(
            f"{source}: a git repository; name the document's file in it with --path FILE"
        )
    return folder_versions(source)


def git_versions(repository: Path, path: str) -> list[SourceVersion]:
    if not is_repository(repository, top=False):
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
        raise ImportSourceError(f"{shown(path)}: not a .md, .html, .pdf or .txt file")
    commits = file_commits(repository, relative)
    if not commits:
        raise ImportSourceError(
            f"{shown(path)}: never in the repository {shown(repository)} "
            f"(see `git -C {shown(repository)} log --stat`)"
        )
    name = PurePosixPath(relative).name
    bare = is_bare(repository)
    return [
        SourceVersion(
            commit.time,
            "git",
            commit.id,
            f"{commit.id[:8]} {name}",
            FORMATS[suffix],
            str(repository),
            relative,
            commit.origin,
            bare,
        )
        for commit in commits
    ]


def folder_versions(folder: Path) -> list[SourceVersion]:
    versions = []
    for file in sorted(folder.iterdir()):
        suffix = file.suffix.lower()
        if file.name.startswith(".") or suffix not in FORMATS:
            continue
        if not file.is_file() and not file.is_symlink():
            continue  # a folder named like a version: folders are not read
        if not printable(file.name):
            raise ImportSourceError(
                f"{shown(file)}: its name is not printable UTF-8 text; rename it (e.g. with convmv) or move it out"
            )
        data = read_inside(file, folder)
        when = name_time(file)
        if FORMATS[suffix] not in RAW_FORMATS:  # HTML carries its own charset; .md and .txt are UTF-8
            check_text(data, shown(file))
        digest = hashlib.sha256(data).hexdigest()
        versions.append(SourceVersion(when, "folder", digest, file.name, FORMATS[suffix], str(file)))
    if not versions:
        raise ImportSourceError(f"{shown(folder)}: no dated .md, .html, .pdf or .txt files in it")
    return sorted(versions, key=lambda version: (version.time, version.name))
