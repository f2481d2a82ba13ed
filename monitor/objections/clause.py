"""What an objection covers, as the watched clauses say it: each clause as it read on the objection's day (the
version in effect then), as it reads now, and the word diff between them. Derived from the stored versions by
the watch's own replay (monitor.watch.history), so it agrees with `watches --history` and the alerts.

A replay reads every stored version of the page, so it is done once per state of the page's timeline and the
watch's config (`watch_history`): the alerts of a run, the digest and `objections` share it until a version is
added, imported or re-extracted (the timeline's entries are the key, read in one query).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config.loading import Config, WatchConfig
from monitor.diff.classify import Op, word_diff
from monitor.objections.ledger import Objection, objections
from monitor.store.core import Store
from monitor.store.timeline import day_end, parse_time
from monitor.watch.alerts import Alert
from monitor.watch.history import Wording, wording_history

HISTORIES_KEPT = 64  # (store, watch, page) histories kept in memory; the oldest is dropped first
_histories: dict[tuple[str, str, str], tuple[tuple[tuple[str, str], ...], list[Wording]]] = {}
_histories_lock = threading.Lock()  # the service's workers read and fill it at once


def watch_history(store: Store, watch: WatchConfig, page: str) -> list[Wording]:
    """`wording_history(store, watch, page)`, replayed only when the page's timeline or the watch changed since
    the last call."""
    timeline = tuple((version.id, version.since) for version in store.versions.list(page))
    key = (str(store.root), watch.model_dump_json(), page)
    with _histories_lock:
        cached = _histories.get(key)
    if cached is not None and cached[0] == timeline:
        return cached[1]
    history = wording_history(store, watch, page)  # replayed outside the lock: two workers may both replay
    with _histories_lock:
        _histories.pop(key, None)
        _histories[key] = (timeline, history)
        while len(_histories) > HISTORIES_KEPT:
            del _histories[next(iter(_histories))]
    return history


@dataclass(frozen=True, slots=True)
class ClauseThen:
    watch: str
    page: str
    then: str | None  # the wording in effect on the objection's day (None: nothing stored, or not found)
    then_since: str | None  # since when that wording was in effect
    before_first: bool  # the objection predates the first stored version: `then` is that version's wording
    now: str | None
    now_since: str | None
    ops: tuple[Op, ...] = field(default=())

    @property
    def stored(self) -> bool:
        return self.then_since is not None

    @property
    def changed(self) -> bool:
        return self.stored and self.then != self.now

    def to_json(self) -> dict[str, Any]:
        return {"watch": self.watch, "page": self.page, "then": self.then, "then_since": self.then_since,
                "before_first": self.before_first, "now": self.now, "now_since": self.now_since,
                "changed": self.changed, "ops": [[op.tag, op.old, op.new] for op in self.ops]}  # fmt: skip


def clauses_then(store: Store, config: Config, objection: Objection) -> list[ClauseThen]:
    """Each (watch, page) the objection names, the watch following that page."""
    watches = {watch.id: watch for watch in config.watches}
    zone = ZoneInfo(config.digest.timezone)
    views = []
    for watch_id in objection.watches:
        watch = watches.get(watch_id)
        for page in [p for p in objection.pages if watch and p in watch.pages]:
            assert watch is not None
            views.append(_view(watch_id, page, objection, watch_history(store, watch, page), zone))
    return views


def _view(watch: str, page: str, objection: Objection, history: list[Wording], zone: tzinfo) -> ClauseThen:
    if not history:
        return ClauseThen(watch, page, None, None, False, None, None)
    # The end of the objection's day where the person lives (`[digest] timezone`, the zone of every time they
    # see): a version first seen that day was the one they read. Compared as times, not as strings: a stored
    # time may have a fraction of a second.
    cutoff = day_end(objection.day, zone)
    in_effect = [entry for entry in history if parse_time(entry.since) < cutoff]
    then = in_effect[-1] if in_effect else history[0]
    now = history[-1]
    ops = (
        tuple(word_diff(then.wording, now.wording))
        if then.wording and now.wording and then.wording != now.wording
        else ()
    )
    return ClauseThen(watch, page, _found(then), then.since, not in_effect, _found(now), now.since, ops)


def _found(entry: Wording) -> str | None:
    return entry.wording if entry.status == "found" else None


def alert_notes(store: Store, config: Config, alerts: list[Alert]) -> None:
    """Put in each alert's details the objections in force that its watch and page decide (`objections`:
    id, platform, date, case ID, and the clause as it read on that day), for the mail to name them. Meant to
    run before the check that raised the alerts is recorded, so the stored versions are all older than it."""
    if not alerts:
        return
    active = [o for o in objections(store) if not o.withdrawn]
    watches = {watch.id: watch for watch in config.watches}
    zone = ZoneInfo(config.digest.timezone)
    for alert in alerts:
        notes = []
        for objection in active:
            watch = watches.get(alert.watch)
            if watch is None or alert.watch not in objection.watches or alert.page not in objection.pages:
                continue
            view = _view(alert.watch, alert.page, objection, watch_history(store, watch, alert.page), zone)
            notes.append({"id": objection.id, "platform": objection.platform, "date": objection.date,
                          "case_id": objection.case_id, "then": view.then, "before_first": view.before_first})  # fmt: skip
        if notes:
            alert.details["objections"] = notes


def digest_lines(store: Store, config: Config) -> list[str]:
    """One line per objection in force: unchanged since, or which clause changed and how it reads now."""
    from monitor.objections.words import objection_name

    lines = []
    for objection in objections(store):
        if objection.withdrawn:
            continue
        views = [view for view in clauses_then(store, config, objection) if view.stored]
        name = objection_name(objection)
        name = name[0].upper() + name[1:]
        changed = [view for view in views if view.changed]
        if not views:
            lines.append(f"{name}: no watched clause of its pages is stored yet.")
        elif not changed:
            lines.append(f"{name}: unchanged since you objected.")
        else:
            what = "; ".join(
                f"{v.watch} on {v.page} changed since you objected, it now reads “{v.now}”" if v.now
                else f"{v.watch} on {v.page} is no longer on the page"
                for v in changed
            )  # fmt: skip
            lines.append(f"{name}: {what}.")
    return lines
