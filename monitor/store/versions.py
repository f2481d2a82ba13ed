"""The versions part (`store.versions`): each page's timeline of text versions, and the texts and captures
behind it.

The timeline (the `versions` rows) is moved in the transaction of the check that moves it (writes.py); this
part stores a version's blobs before that, and reads versions back by reference (`latest`, a date, an id
prefix), their texts and the raw captures that brought them.
"""

from __future__ import annotations

from datetime import UTC, tzinfo

from monitor.errors import StoreDamaged, UsageError
from monitor.models import Document
from monitor.store.area import Area
from monitor.store.blobs import Blobs
from monitor.store.checks import Checks
from monitor.store.imported import ChainedRecord
from monitor.store.layout import SHA256, sha256_hex
from monitor.store.records import VERSION_COLUMNS, parse_version
from monitor.store.state import State
from monitor.store.timeline import VersionInfo, resolve_ref
from monitor.store.writes import PageState, part_validators_file

_VALIDATORS = (("etag", "etag"), ("last_modified", "last-modified"))


class Versions:
    """The timelines of every page."""

    def __init__(self, area: Area, blobs: Blobs, checks: Checks, state: State) -> None:
        self._area = area
        self._blobs = blobs
        self._checks = checks
        self._state = state

    # -- writing -----------------------------------------------------------------------------------------

    def put(
        self,
        page_id: str,
        text: str | bytes,
        raw: bytes | None,
        *,
        private: bool = False,
        hashed: tuple[str, str | None] | None = None,
    ) -> str:
        """Store a text version and the raw capture that produced it (each once); returns sha256(text).
        `text` as str, or as its UTF-8 bytes; `hashed`: (sha256 of the text, of the raw capture) when the
        caller has them already, so a check hashes each once. `private`: the capture was fetched with a
        logged-in session's cookies, its file is owner-only (0600)."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        version_id, raw_id = hashed if hashed is not None else (sha256_hex(data), None)
        if raw is not None:
            self._blobs.put_raw(page_id, raw, digest=raw_id, private=private)
        return self._blobs.put_text(page_id, data, digest=version_id, private=private)

    # -- the timeline ------------------------------------------------------------------------------------

    def current(self, page_id: str) -> VersionInfo | None:
        """The last good version."""
        self._area.page_dir(page_id)
        rows = self._area.query(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE page = ? ORDER BY seq DESC LIMIT 1", (page_id,)
        )
        return parse_version(self._area.db.path, page_id, rows[0]) if rows else None

    def resolve(self, page_id: str, ref: str, zone: tzinfo = UTC) -> VersionInfo:
        """`latest`, `previous`, a version id prefix (4+ hex), an ISO date (the end of that day) or date-time;
        dates and date-times without a zone are read in `zone` (the reader's: `[digest] timezone`)."""
        timeline = self.list(page_id)
        if not timeline and page_id not in self._checks.pages():
            known = ", ".join(self._checks.pages()) or "none yet"
            raise UsageError(f"no page {page_id!r} in the store {self._area.root} (pages: {known})")
        return resolve_ref(page_id, timeline, ref, zone)

    def validators(self, page_id: str, state: PageState | None = None) -> dict[str, str]:
        """ETag / Last-Modified of the last successful check, exactly as the server sent them, or {}.
        `state`: the page's state as a check read it (its last good check), so the usual case reads nothing."""
        good = state.last_good if state is not None else self._checks.last(page_id, good=True)
        while good is not None:
            headers = {name.lower(): value for name, value in good.headers.items()}
            found = {key: headers[name] for key, name in _VALIDATORS if headers.get(name)}
            # A 304 answer need not repeat the validators; those of the check it confirmed still hold.
            if found or good.status != 304:
                return found
            good = self._checks.last(page_id, good=True, until=_just_before(good.time))
        return {}

    def part_validators(self, page_id: str) -> dict[str, dict[str, str]]:
        """For each part of a combined document, by URL: what its last good capture answered with."""
        return self._state.read_json(part_validators_file(page_id)) or {}

    def record(self, page_id: str, since: str, version: str) -> ChainedRecord | None:
        """The record that brought the timeline entry (`since`, `version`), with its chain position."""
        rows = self._area.query(
            "SELECT c.n FROM versions v JOIN checks c ON c.id = v.check_id"
            " WHERE v.page = ? AND v.since = ? AND v.version = ?",
            (page_id, since, version),
        )
        return self._checks.chained(page_id, int(rows[0][0])) if rows else None

    def captures(self, page_id: str, version: VersionInfo) -> list[tuple[int, str, str]]:
        """The parts (number, URL, raw sha256) of the check that brought `version`, in order; [] for one page."""
        return [
            (int(part), str(url), str(raw))
            for part, url, raw in self._area.query(
                "SELECT c.part, c.url, c.raw_sha256 FROM captures c JOIN versions v ON v.check_id = c.check_id"
                " WHERE v.page = ? AND v.version = ? AND v.since = ? ORDER BY c.part",
                (page_id, version.id, version.since),
            )
        ]

    # -- texts and captures ------------------------------------------------------------------------------

    def read_text(self, page_id: str, version_id: str) -> str:
        """The text of a version (a full id, or any reference `resolve` accepts)."""
        if not SHA256.match(version_id):
            version_id = self.resolve(page_id, version_id).id
        path = self._blobs.text_path(page_id, version_id)
        data = self._blobs.read(page_id, path, version_id)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise StoreDamaged(
                f"{path}: damaged (not UTF-8 text); restore it from a backup", path=path, page=page_id
            ) from None

    def read_document(self, page_id: str, version_id: str) -> Document:
        return Document.from_text(self.read_text(page_id, version_id))

    def read_raw(self, page_id: str, version: str | VersionInfo) -> bytes | None:
        """The raw capture that brought a version, or None. Give the timeline entry when you have it: an id (or
        reference resolved to one) of a text seen several times (A, B, A) names its latest entry."""
        if isinstance(version, str):
            version_id = version if SHA256.match(version) else self.resolve(page_id, version).id
            entries = [entry for entry in self.list(page_id) if entry.id == version_id]
            if not entries:
                return None
            version = entries[-1]
        if version.raw_sha256 is None:
            return None
        return self._blobs.read(
            page_id, self._blobs.raw_path(page_id, version.raw_sha256), version.raw_sha256
        )

    # last of the public methods: in the class body below it, `list` names this method, not the type
    def list(self, page_id: str) -> list[VersionInfo]:
        """The timeline, oldest first."""
        self._area.page_dir(page_id)
        rows = self._area.query(
            f"SELECT {VERSION_COLUMNS} FROM versions WHERE page = ? ORDER BY seq", (page_id,)
        )
        return [parse_version(self._area.db.path, page_id, row) for row in rows]


def _just_before(time: str) -> str:
    """The inclusive bound that excludes checks at `time` itself (times sort as strings)."""
    return time[:-1] + "Y"  # 'Z' is the last character of every stored time; 'Y' sorts just before it
