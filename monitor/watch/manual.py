"""A watch put back on the right sentence by hand (`watches WATCH --follow "TEXT"`).

When a clause watch followed the wrong sentence (or lost its clause), the person names the sentence to follow
on the page's current version. The baseline moves to it as a check would move it: the same state, recorded
through the store's `baselines` part in one transaction, so the next check compares with that sentence and
alerts on its next rewording. The move is noted in the baseline (`followed`), never as an alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from monitor.config.loading import WatchConfig
from monitor.errors import UsageError
from monitor.watch.base import DEFAULT_THRESHOLD
from monitor.watch.evaluate import current_state, fingerprint
from monitor.watch.locate import ClauseIndex

if TYPE_CHECKING:
    from monitor.store.core import Store


def follow(
    store: Store, config: WatchConfig, page_ids: Sequence[str], text: str, *, time: str
) -> dict[str, dict[str, Any]]:
    """Move `config`'s baseline on each of `page_ids` to the sentence of its current version that reads `text`;
    the new baselines by page, written together once every page has been found to hold the text. UsageError (one
    line, nothing written) when the watch is no clause watch, a page has no version yet, or `text` is not on it."""
    states = {page_id: _followed(store, config, page_id, text, time=time) for page_id in page_ids}
    with store.transaction():
        for page_id, state in states.items():
            store.baselines.put(config.id, page_id, state)
    return states


def _followed(store: Store, config: WatchConfig, page_id: str, text: str, *, time: str) -> dict[str, Any]:
    if config.kind != "clause":
        raise UsageError(f"--follow moves a clause watch; {config.id!r} is a {config.kind} watch")
    current = store.page_state(page_id).current
    if current is None:
        raise UsageError(f"page {page_id!r} has no stored version yet: run `privacy-monitor check {page_id}`")
    document = store.versions.read_document(page_id, current.id)
    search = ClauseIndex(document).find(text, threshold=config.threshold or DEFAULT_THRESHOLD)
    if not search.matches:
        raise UsageError(
            f"{text[:60]!r} is not on page {page_id!r} (version {current.id[:12]}): quote the sentence as it "
            "reads there (see `privacy-monitor diff`)"
        )
    found = search.matches[0]
    before = current_state(store.baselines.get(config.id, page_id), config) or {}
    state = {
        **before,
        **found.to_json(),
        "status": "found",
        "wording": found.text,
        "count": len(search.matches),
        "ever_found": True,
        "watch": config.id,
        "page": page_id,
        "kind": config.kind,
        "config": fingerprint(config),
        "version": current.id,
        "followed": {"time": time, "version": current.id, "from": before.get("wording")},
    }
    state.pop("near", None)
    state.setdefault("since", {"time": time, "version": current.id})
    state.setdefault("transitions", 0)
    state.setdefault("alerts", [])
    return state
