"""Pages whose server said when to come back (HTTP 429/503 Retry-After longer than a check can wait).

The service does not check such a page before then. The moment is kept in the store too
(`service/not-before/<page>.json`), so a restart does not knock on the door early; a check that did not fail
forgets it, and the schedule decides again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.config.triggers import add_clamped
from monitor.errors import MonitorError
from monitor.models import Outcome

if TYPE_CHECKING:
    from monitor.fetch.base import Fetcher
    from monitor.pipeline.result import CheckResult
    from monitor.store.core import Store


class NotBefore:
    """Per page, the moment before which its server asked not to be fetched again."""

    def __init__(self, store: Store, page_ids: Iterable[str]) -> None:
        self.store = store
        self._moments: dict[str, datetime] = {}
        for page_id in page_ids:
            try:
                data = self.store.state.read_json(_path(page_id))
                if data is not None:
                    self._moments[page_id] = datetime.fromisoformat(data["not_before"])
            except (MonitorError, KeyError, TypeError, ValueError):  # unreadable: the schedule decides
                continue

    def get(self, page_id: str) -> datetime | None:
        return self._moments.get(page_id)

    def follow(
        self, page_id: str, url: str, fetcher: Fetcher, result: CheckResult, now: datetime
    ) -> datetime | None:
        """After a check of `page_id` (which fetched `url`): the moment its server asked to be left alone until,
        noted here and in the store, or None (and whatever was noted is forgotten). `now` is the service's own
        clock (a test's is simulated); the server's wait is measured from the wall clock, so the distance is
        kept, not the date."""
        failed = result.record.outcome == Outcome.FAILED
        retry_at = result.retry_at  # the pipeline passes FetchError.retry_at
        if retry_at is None and failed:
            asked = getattr(fetcher, "not_before", None)  # what the fetcher noted of the URL's last answer
            retry_at = asked(url) if callable(asked) else None
        if retry_at is None or not failed:
            if self._moments.pop(page_id, None) is not None:
                self.store.state.delete(_path(page_id))
            return None
        retry_at = add_clamped(now, retry_at - datetime.now(UTC))
        self._moments[page_id] = retry_at
        self.store.state.write_json(_path(page_id), {"not_before": retry_at.isoformat()})
        return retry_at


def _path(page_id: str) -> str:
    return f"service/not-before/{page_id}.json"
