"""An Atom feed of changes, for readers who prefer feeds to mail (feedgen).

One entry per change (a `changed` check): its id is a UUID derived from the page, the two versions and the
time of the change, so the same change keeps the same id however often the feed is rewritten, and a text that
comes back later is a new entry. The newest `limit` changes are kept. Private pages (fetched with a
`cookies_file`) are left out unless `[report] include_private` is set. The service rewrites the feed
(atomically) after each change; `privacy-monitor feed --out FILE` writes it by hand.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from feedgen.feed import FeedGenerator

from monitor import fsutil
from monitor.config.loading import Config, PageConfig
from monitor.models import CheckRecord, Outcome
from monitor.present.changes import PageChange, page_change
from monitor.store.core import Store
from monitor.store.timeline import parse_time
from monitor.templating import get_template, xml_safe

FEED_LIMIT = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def entry_id(record: CheckRecord) -> str:
    key = f"privacy-monitor:change:{record.page}:{record.previous}:{record.version}:{record.time}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


def build_feed(
    store: Store,
    config: Config,
    *,
    limit: int = FEED_LIMIT,
    change_of: Callable[[PageConfig, CheckRecord], PageChange] | None = None,
    link: Callable[[PageConfig, CheckRecord], str] | None = None,
) -> FeedGenerator:
    """The feed of the newest `limit` changes. `change_of` gives an entry's PageChange (default: diffed here,
    cached); `link` the entry's link (default: the page's URL; the report site links its change pages)."""
    changes = newest_changes(store, config, limit)
    feed = FeedGenerator()
    feed.id(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'privacy-monitor:feed:{store.root.resolve()}')}")
    feed.title("privacy-monitor: privacy notice changes")
    feed.subtitle(f"Wording changes of {len(config.published_pages())} watched pages")
    feed.author({"name": "privacy-monitor"})
    feed.link(href="https://github.com/privacy-monitor/privacy-monitor", rel="related")
    feed.language("en")
    feed.updated(parse_time(changes[-1][1].time) if changes else _EPOCH)
    for page, record in changes:  # feedgen prepends: the newest entry ends up first
        change = change_of(page, record) if change_of else _changes.get(store, page, record)
        entry = feed.add_entry()
        entry.id(entry_id(record))
        entry.title(xml_safe(_title(change)))  # lxml refuses a control character: one would stop the feed
        entry.link(href=link(page, record) if link else page.url)
        entry.published(parse_time(record.time))
        entry.updated(parse_time(record.time))
        entry.content(xml_safe(get_template("feed_entry.html.j2").render(c=change)), type="html")
    return feed


def newest_changes(store: Store, config: Config, limit: int) -> list[tuple[PageConfig, CheckRecord]]:
    """The newest `limit` changes of the config's pages, oldest first.

    Read newest first, a few times `limit` rows at a time, not the whole history: the service writes the feed
    after every change, and reading (and parsing the summary of) every change ever recorded each time made the
    process's memory grow with the store's age. More rows are read only while the newest `limit` could still
    be missing one: too few changes among the rows, or one in the oldest row's second (the rows come in the
    order of their time text, the feed in the order of the time; they agree to the second)."""
    pages = {page.id: page for page in config.published_pages()}  # a private page's text stays out
    want = max(2 * limit, 16) if limit > 0 else None  # limit 0 (changes[-0:]) has always meant all of them
    while True:
        records = store.checks.changes(limit=want)  # an indexed query: the checks in between are never read
        changes = [
            (pages[record.page], record)
            for record in records
            if record.page in pages
            and record.outcome == Outcome.CHANGED
            and record.previous
            and record.version
        ]
        changes.sort(key=lambda item: (parse_time(item[1].time), item[0].id))
        if want is None or len(records) < want:  # every change there is
            break
        if len(changes) >= limit and _second(records[0].time) < _second(changes[-limit][1].time):
            break
        want *= 4
    return changes[-limit:]


def _second(time: str) -> str:
    return time[:19]  # a stored time is YYYY-MM-DDTHH:MM:SS[.fff]Z (monitor.store.records.TIME)


def write_feed(store: Store, config: Config, path: Path, *, limit: int = FEED_LIMIT) -> int:
    """Write the feed atomically to `path`; returns the number of entries."""
    feed = build_feed(store, config, limit=limit)
    fsutil.atomic_write(Path(path), feed.atom_str(pretty=True))
    return len(feed.entry())


def _title(change: PageChange) -> str:
    if change.error:
        return f"{change.title} changed"
    if change.cosmetic_only:
        count = len(change.cosmetic)
        return f"{change.title}: {count} cosmetic edit{'' if count == 1 else 's'} only"
    if change.summary is not None:
        return f"{change.title} changed: {change.summary.line()}"
    count = len(change.substantive)
    return f"{change.title} changed: {count} substantive edit{'' if count == 1 else 's'}"


class _ChangeCache:
    """Diffs of past changes, kept for the life of the process: stored versions never change, and the service
    rewrites the feed after every change, which would otherwise diff all fifty entries again each time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, str], PageChange] = OrderedDict()

    def get(self, store: Store, page: PageConfig, record: CheckRecord) -> PageChange:
        key = (str(store.root), entry_id(record))
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        change = page_change(store, page, record)
        change.diff = (
            None  # the feed shows the blocks and the summary; two whole documents per entry stay out
        )
        self._items[key] = change
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return change


_changes = _ChangeCache(2 * FEED_LIMIT)
