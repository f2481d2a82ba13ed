"""A watch's story over a page's whole timeline: each wording it followed, since when, and what changed.

The history replays the watch kind over every stored version in order, with the same `observe`/`compare`
steps and the same alert construction as the live evaluation (monitor.watch.evaluate), so it tells what the
live pipeline said (or would have said, for a watch added later) version by version. Nothing is stored:
the history is derived from the versions, and a changed watch config simply gives its own history.

An entry starts where the watch's view changes: the first version, every version that raised an alert,
and every version whose wording differs from the last one shown (a cosmetic rewording is an entry without
an alert, so the wording list is complete).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from monitor.config.loading import WatchConfig
from monitor.diff.classify import Op, classify, word_diff
from monitor.registry import WATCH_KINDS
from monitor.watch.alerts import Alert
from monitor.watch.base import PageVersion
from monitor.watch.evaluate import alerts_from_hits

if TYPE_CHECKING:
    from monitor.store.core import Store


@dataclass(frozen=True, slots=True)
class Wording:
    """What the watch saw from version `version` (first seen at `since`) until `until` (None: still)."""

    status: str  # found | missing
    wording: str | None  # the clause or term as found; for a section watch, its matching headings
    section: tuple[str, ...]
    version: str
    since: str
    until: str | None
    versions: int  # how many stored versions carried this view
    alerts: tuple[Alert, ...] = ()  # what the change into this view raised (empty: the first, or cosmetic)
    ops: tuple[Op, ...] = field(default=())  # word diff from the previous wording
    cosmetic: bool = False  # the rewording is cosmetic only (punctuation, a footnote number): no alert

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "wording": self.wording,
            "section": list(self.section),
            "version": self.version,
            "since": self.since,
            "until": self.until,
            "versions": self.versions,
            "alerts": [{"id": a.id, "kind": a.kind, "severity": a.severity} for a in self.alerts],
            "ops": [[op.tag, op.old, op.new] for op in self.ops],
            "cosmetic": self.cosmetic,
        }


@dataclass(frozen=True, slots=True)
class Step:
    """One version as the replay saw it: the watch's state and the alerts it raised there."""

    version: str
    previous: str | None
    time: str
    state: dict[str, Any]
    alerts: tuple[Alert, ...]


def replay(store: Store, config: WatchConfig, page_id: str) -> Iterator[Step]:
    """Evaluate `config` over every version of `page_id`, oldest first, as the live pipeline does."""
    kind = WATCH_KINDS.get(config.kind)(config)
    before: dict[str, Any] | None = None
    old_document = None
    previous: str | None = None
    for transition, info in enumerate(store.versions.list(page_id)):
        document = store.versions.read_document(page_id, info.id)
        page = PageVersion(page_id, old_document, document, None)
        after = kind.observe(document, page.index(document), before)
        hits = kind.compare(before, after, page)
        alerts = alerts_from_hits(
            config, hits, page_id, version=info.id, previous=previous, time=info.since, transition=transition
        )
        yield Step(info.id, previous, info.since, after, tuple(alerts))
        before, old_document, previous = after, document, info.id


def wording_history(store: Store, config: WatchConfig, page_id: str) -> list[Wording]:
    """The watch's views of `page_id` through time, oldest first (see the module docstring)."""
    entries: list[Wording] = []
    for step in replay(store, config, page_id):
        status, wording, section = _view(config, step.state)
        last = entries[-1] if entries else None
        if last is not None and not step.alerts and (status, wording) == (last.status, last.wording):
            entries[-1] = replace(last, versions=last.versions + 1)
            continue
        ops: tuple[Op, ...] = ()
        cosmetic = False
        if last is not None and last.wording and wording and last.wording != wording:
            ops = tuple(word_diff(last.wording, wording))
            cosmetic = classify(last.wording, wording) == "cosmetic"
        if last is not None:
            entries[-1] = replace(last, until=step.time)
        entries.append(
            Wording(status, wording, section, step.version, step.time, None, 1, step.alerts, ops, cosmetic)
        )
    return entries


def watched_pages(config: WatchConfig, pages: Sequence[str] | None = None) -> list[str]:
    """The pages of `config` to tell the history of: all of them, or those asked for (in config order)."""
    return [page for page in config.pages if pages is None or page in pages]


def _view(config: WatchConfig, state: dict[str, Any]) -> tuple[str, str | None, tuple[str, ...]]:
    status = str(state.get("status", "missing"))
    section = tuple(state.get("section") or ())
    if config.kind == "section":
        return status, "\n".join(state.get("headings") or ()) or None, section
    if config.kind == "term":  # a term's wording is the sentence around it: only its presence is the view
        return status, config.text if status == "found" else None, section
    return status, state.get("wording") if status == "found" else None, section
