"""Watches: which wording to follow on which page, and the alerts a new version gives.

Each watch keeps a baseline per page (the store's `baselines` part, keyed by watch and page): what it saw in
the last version it evaluated. Evaluation reads baselines handed to it and returns the new ones; the check
records them in its own transaction, so this module never touches the store. A new version is compared with that baseline, never with the config text alone, so
a clause that was reworded is followed in its new wording (the config keeps the original).

Decisions worth knowing:
- The first evaluation of a watch on a page establishes the baseline silently when its clause, term or
  section is found; when it is not found, that is an alert of its own kind (`not_found`, details.first =
  true, with a clause's closest sentence), never `removed`, so a typo in the config shows up on day one.
  A store written before `not_found` existed keeps its baselines: they are not first looks, so its first
  check after the upgrade raises nothing new.
- A watch added to the config of a page that already has versions starts from the previous version, so
  the change that triggered this evaluation is not lost.
- Evaluating the same version again returns the alerts stored for it (same ids): a re-run after a crash
  between the watch state and the outbox gives the outbox exactly what it missed, nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config.loading import WatchConfig
from monitor.models import Document
from monitor.registry import WATCH_KINDS
from monitor.watch.alerts import Alert, alert_id
from monitor.watch.base import DEFAULT_THRESHOLD, Hit, PageVersion, WatchKind

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff
    from monitor.store.core import Store

__all__ = [
    "DEFAULT_THRESHOLD",
    "WATCH_KINDS",
    "alerts_from_hits",
    "WatchKind",
    "Evaluation",
    "evaluate_watches",
    "read_watch_states",
    "unevaluated",
    "watches_of",
]

CHANGE_KINDS = {"changed", "removed", "moved", "appeared", "reappeared", "cosmetic"}


def fingerprint(config: WatchConfig) -> str:
    """What the baseline depends on: change the kind, text or regex flag and the watch starts afresh."""
    key = "\x1f".join((config.kind, config.text or "", str(config.regex)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def watches_of(watches: Sequence[WatchConfig], page_id: str) -> list[WatchConfig]:
    """The watches that follow `page_id`, in config order."""
    return [watch for watch in watches if page_id in watch.pages]


@dataclass(slots=True)
class Evaluation:
    """The alerts of one version and the baselines to record with it (by watch id)."""

    alerts: list[Alert] = field(default_factory=list)
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)


def evaluate_watches(
    watches: Sequence[WatchConfig],
    page_id: str,
    baselines: Mapping[str, dict[str, Any]],
    *,
    old: Document | None,
    new: Document,
    diff: DocumentDiff | None,
    version: str,
    previous: str | None,
    time: str,
) -> Evaluation:
    """Compare `new` with each watch's baseline on `page_id` (`baselines`, by watch id); the alerts and the
    new baselines. A watch whose baseline is of this version already gives its stored alerts again."""
    page = PageVersion(page_id, old, new, diff)
    result = Evaluation()
    for config in watches_of(watches, page_id):
        kind = WATCH_KINDS.get(config.kind)(config)
        before = current_state(baselines.get(config.id), config)
        if before is not None and before.get("version") == version:
            result.alerts.extend(Alert.from_json(data) for data in before.get("alerts", []))
            continue
        if before is None and old is not None and previous is not None:
            before = kind.observe(old, page.index(old), None)
            kind.compare(None, before, page)
            before.update(version=previous, since={"time": None, "version": previous}, from_previous=True)
        after = kind.observe(new, page.index(new), before)
        hits = kind.compare(before, after, page)
        transition = int(before.get("transitions", 0)) if before else 0
        made = alerts_from_hits(
            config, hits, page_id, version=version, previous=previous, time=time, transition=transition
        )
        after.update(
            watch=config.id,
            page=page_id,
            kind=config.kind,
            config=fingerprint(config),
            version=version,
            previous=previous,
            time=time,
            transitions=transition + 1,
            since=(before or {}).get("since") or {"time": time, "version": version},
            changed=_last_change(before, made, time=time, version=version, previous=previous),
            alerts=[alert.to_json() for alert in made],
        )
        result.baselines[config.id] = after
        result.alerts.extend(made)
    return result


def alerts_from_hits(
    config: WatchConfig,
    hits: Sequence[Hit],
    page_id: str,
    *,
    version: str,
    previous: str | None,
    time: str,
    transition: int,
) -> list[Alert]:
    """The alerts of one watch's hits on one version: the live evaluation and the history replay share it."""
    return [
        Alert(
            id=alert_id(config.id, page_id, version, hit.kind, transition),
            watch=config.id,
            kind=hit.kind,
            severity=hit.severity or config.severity,
            page=page_id,
            version=version,
            previous=previous,
            time=time,
            watch_kind=config.kind,
            section=tuple(hit.section),
            old=hit.old,
            new=hit.new,
            ops=tuple(hit.ops),
            details=hit.details,
        )
        for hit in hits
    ]


def _last_change(
    before: dict[str, Any] | None, made: list[Alert], *, time: str, version: str, previous: str | None
) -> dict[str, Any] | None:
    kinds = [alert.kind for alert in made if alert.kind in CHANGE_KINDS]
    if kinds:
        return {"time": time, "version": version, "previous": previous, "kind": kinds[0]}
    return (before or {}).get("changed")


def unevaluated(
    watches: Sequence[WatchConfig], page_id: str, version: str, baselines: Mapping[str, dict[str, Any]]
) -> list[WatchConfig]:
    """The watches on `page_id` with no baseline for `version` yet (added to the config since the page last
    changed): the pipeline evaluates these on an unchanged check too, so a new watch does not wait for the
    next change of the page to establish its baseline (or to say that its clause is not there)."""
    stale = []
    for config in watches_of(watches, page_id):
        state = current_state(baselines.get(config.id), config)
        if state is None or state.get("version") != version:
            stale.append(config)
    return stale


def read_watch_states(
    store: Store, watches: Sequence[WatchConfig]
) -> list[tuple[WatchConfig, str, dict[str, Any] | None]]:
    """Every watch x page with its stored state (None: not evaluated yet), in config order."""
    return [
        (config, page_id, current_state(store.baselines.get(config.id, page_id), config))
        for config in watches
        for page_id in config.pages
    ]


def current_state(state: dict[str, Any] | None, config: WatchConfig) -> dict[str, Any] | None:
    return state if state is not None and state.get("config") == fingerprint(config) else None
