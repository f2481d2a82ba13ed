"""Where each file of the report site lives, and the one function that builds a change page's public URL.

A mail links only what the site publishes: a private page (fetched with a `cookies_file`) stays out of the site
unless `[report] include_private` is set, so its changes are linked nowhere (`change_link` gives None).

Every link inside the site is relative (`rel`), so the folder works from file:// and from any subpath of a web
server. The change page's name is the full comparison's file name the digest attaches (`<page>-<old>-<new>.html`),
so an attachment and the published page carry the same name.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator

from monitor.models import CheckRecord, Outcome

INDEX = "index.html"
STYLE = "style.css"
FEED = "feed.xml"
MANIFEST = "manifest.json"


def change_name(page: str, previous: str, version: str) -> str:
    """The file name of one change (the digest's attachment has the same)."""
    return f"{page}-{previous[:12]}-{version[:12]}.html"


def change_file(page: str, previous: str, version: str, occurrence: int = 1) -> str:
    """A change's page; the same two texts changing again later (A, B, A, B) is the `occurrence`-th one."""
    name = change_name(page, previous, version)
    return f"changes/{name}" if occurrence == 1 else f"changes/{name.removesuffix('.html')}-{occurrence}.html"


def page_file(page: str) -> str:
    return f"pages/{page}.html"


def version_file(page: str, seq: int, version: str) -> str:
    """The text of one timeline entry (a text that comes back is a new entry: `seq` keeps them apart)."""
    return f"versions/{page}/{seq:04d}-{version[:12]}.html"


def watch_file(watch: str) -> str:
    return f"watches/{watch}.html"


def change_occurrences(records: Iterable[CheckRecord]) -> Iterator[tuple[CheckRecord, int]]:
    """Each change among a page's records (its readings, in timeline order) with its `occurrence`: the
    same two texts changing again (A, B, A, B) is a second change page, so whoever links one change must
    count as the site names them, here."""
    seen: dict[tuple[str, str], int] = {}
    for record in records:
        if record.outcome != Outcome.CHANGED or not record.previous or not record.version:
            continue
        key = (record.previous, record.version)
        seen[key] = seen.get(key, 0) + 1
        yield record, seen[key]


def url(base_url: str, path: str) -> str:
    """A site path published under `[report] base_url`."""
    return f"{base_url.rstrip('/')}/{path}"


def change_url(base_url: str, page: str, previous: str, version: str, occurrence: int = 1) -> str:
    """The published change page under `[report] base_url`: what alert and digest mails link to
    (`occurrence`: which time these two texts changed, as `change_occurrences` counts)."""
    return url(base_url, change_file(page, previous, version, occurrence))


def change_link(
    base_url: str | None,
    page: str,
    previous: str | None,
    version: str | None,
    *,
    published: bool,
    occurrence: int = 1,
) -> str | None:
    """What a mail links for a change: its published page, or None when there is none to open (no
    `[report] base_url`, a first version, or a page the site leaves out), so no mail carries a dead link."""
    if not (base_url and published and previous and version):
        return None
    return change_url(base_url, page, previous, version, occurrence)


def rel(target: str, start: str) -> str:
    """`target` (a site path) as a relative link from the file `start` (a site path)."""
    return posixpath.relpath(target, posixpath.dirname(start) or ".")
