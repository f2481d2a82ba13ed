"""One change of one page as mail and the report show it: its blocks (word-diff segments, substantive and
cosmetic apart) and its summary, read back from the store (`page_change`). The digest, the feed and the report
site's feed all build their changes here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from monitor.config.loading import PageConfig, WatchConfig
from monitor.config.schema import is_published
from monitor.diff.segments import Segment, block_segments
from monitor.errors import MonitorError
from monitor.models import CheckRecord
from monitor.present.lag import version_of
from monitor.present.links import change_link, change_name
from monitor.store.core import Store

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff
    from monitor.diff.summary import ChangeSummary


@dataclass(slots=True)
class BlockChange:
    kind: str  # added | removed | modified | moved
    cls: str  # cosmetic | substantive
    section: str  # the heading breadcrumb, "A › B"
    segments: list[Segment]
    signals: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PageChange:
    page: str
    title: str
    url: str
    time: str
    previous: str
    version: str
    substantive: list[BlockChange]
    cosmetic: list[BlockChange]
    diff_command: str  # for `digest --print` readers at a terminal; mail shows the summary and a link
    version_file: str
    error: str | None = None  # the diff could not be computed (the versions named above tell where to look)
    version_of: str | None = None  # "English version of facebook-privacy" when the page belongs to a document
    summary: ChangeSummary | None = None  # what a reader sees first; None when the diff failed
    diff: DocumentDiff | None = field(default=None, repr=False)  # for the full comparison attached to mail
    published: bool = (
        False  # the report site has this page (a private one only with [report] include_private)
    )

    @property
    def report_name(self) -> str:
        """The file name of the full comparison (the attachment, and the change page of the report site)."""
        return report_name(self.page, self.previous, self.version)

    def link(self, base_url: str | None) -> str | None:
        """What a mail links for the full comparison: the change's published page, or None when the site has
        none (no `[report] base_url`, or a private page the site leaves out)."""
        return change_link(base_url, self.page, self.previous, self.version, published=self.published)

    @property
    def cosmetic_only(self) -> bool:
        return not self.substantive and self.error is None


def report_name(page: str, previous: str, version: str) -> str:
    return change_name(page, previous, version)


def page_change(
    store: Store,
    page: PageConfig,
    record: CheckRecord,
    watches: Sequence[WatchConfig] = (),
    *,
    include_private: bool = False,
) -> PageChange:
    """The change `record` recorded, with its summary (`watches`: the config's, ranked first;
    `include_private`: `[report] include_private`, whether a private page's change is linked)."""
    change = change_shell(store, page, record, include_private=include_private)
    try:
        from monitor.diff.core import diff_documents
        from monitor.diff.summary import summarize

        diff = diff_documents(
            store.versions.read_document(page.id, change.previous),
            store.versions.read_document(page.id, change.version),
        )
    except MonitorError as error:
        change.error = str(error)
        return change
    change.diff = diff
    # Marked by the watches' own decisions (the check's alerts), so the change list names the alerts' changes.
    change.summary = summarize(diff, watched=[w for w in watches if page.id in w.pages], alerts=record.alerts)
    for item in diff.changes:
        block = BlockChange(
            kind=item.kind,
            cls=item.cls,
            section=" › ".join(item.section) or "(top of the page)",
            segments=block_segments(item.kind, item.old, item.new, item.ops),
            signals=list(getattr(item, "signals", []) or []),
        )
        (change.cosmetic if item.cls == "cosmetic" else change.substantive).append(block)
    return change


def change_shell(
    store: Store, page: PageConfig, record: CheckRecord, *, include_private: bool = False
) -> PageChange:
    """The change `record` recorded, before its blocks and summary are filled in."""
    assert record.previous and record.version
    return PageChange(
        page=page.id,
        title=page.title or page.id,
        url=page.url,
        time=record.time,
        previous=record.previous,
        version=record.version,
        substantive=[],
        cosmetic=[],
        diff_command=f"privacy-monitor diff {page.id} {record.previous[:12]} {record.version[:12]}",
        version_file=str(store.blobs.text_path(page.id, record.version)),
        version_of=version_of(page),
        published=is_published(page, include_private=include_private),
    )
