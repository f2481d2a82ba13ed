"""The per-watch pages' facts: each watched wording through time, from `monitor.watch.history`.

For every page a watch covers, the history replays the watch over the page's stored versions (the live
evaluation's own steps) and gives each wording with since/until, its version and section. Here each entry is
tied to the site: the version page it was read from, the change page of the change that brought it, and the
word diff from the wording before it. The replay reads every version, so build.py runs it only when the
watch's config or the page's timeline changed since the last build (its fingerprint is in the manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.config.loading import Config, WatchConfig
from monitor.diff.segments import Segment, ops_segments
from monitor.errors import MonitorError
from monitor.report.model import PageModel
from monitor.store.core import Store
from monitor.watch.history import Wording, wording_history


@dataclass(frozen=True, slots=True)
class WordingEntry:
    wording: Wording
    version_file: str | None
    change_file: str | None
    segments: list[Segment]  # the word diff from the wording before (empty: the first, or the same words)

    @property
    def alerts(self) -> list[str]:
        return [f"{alert.label} ({alert.severity})" for alert in self.wording.alerts]


@dataclass(frozen=True, slots=True)
class PageHistory:
    model: PageModel
    entries: list[WordingEntry]
    error: str | None = None


def published_watches(config: Config) -> list[WatchConfig]:
    """The watches the site shows, each narrowed to its published pages: a private page left out of the site
    (no `[report] include_private`) takes its wordings, and a watch of private pages only, off it too."""
    published = {page.id for page in config.published_pages()}
    return [
        watch.model_copy(update={"pages": [page for page in watch.pages if page in published]})
        for watch in config.watches
        if set(watch.pages) & published
    ]


def watch_inputs(watch: WatchConfig, models: dict[str, PageModel]) -> list[Any]:
    """What a watch page is made of: the watch's config and the timelines of its pages."""
    timelines = [
        [page, models[page].title, [(v.info.id, v.info.since, v.info.until) for v in models[page].versions]]
        for page in watch.pages
        if page in models
    ]
    return [watch.model_dump(), timelines]


def histories(store: Store, watch: WatchConfig, models: dict[str, PageModel]) -> list[PageHistory]:
    result: list[PageHistory] = []
    for page_id in watch.pages:
        model = models.get(page_id)
        if model is None:
            continue
        try:
            wordings = wording_history(store, watch, page_id)
        except MonitorError as error:
            result.append(PageHistory(model, [], str(error)))
            continue
        versions = {(v.info.id, v.info.since): v for v in model.versions}
        result.append(PageHistory(model, [_entry(w, versions) for w in wordings]))
    return result


def _entry(wording: Wording, versions: dict[tuple[str, str], Any]) -> WordingEntry:
    version = versions.get((wording.version, wording.since))
    segments = list(ops_segments(wording.ops)) if wording.ops else []
    return WordingEntry(
        wording,
        version.file if version is not None else None,
        version.change if version is not None else None,
        segments,
    )
