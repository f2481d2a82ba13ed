"""What one check gives back to its run: the record, the diff and alerts of a change, and the outbox message
the run delivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from monitor.models import CheckRecord

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff
    from monitor.watch.alerts import Alert


@dataclass
class CheckResult:
    record: CheckRecord
    diff: DocumentDiff | None = None  # when the page changed
    alerts: list[Alert] = field(default_factory=list)
    message: str | None = None  # the outbox message holding this check's alerts (for the run to deliver)
    retry_at: datetime | None = None  # when the server (Retry-After) lets this page be fetched again
    undelivered: list[str] = field(default_factory=list)  # one line per alert the run could not send

    @property
    def delivery_failed(self) -> bool:
        return bool(self.undelivered)

    def to_json(self) -> dict[str, object]:
        """The object `check --json` writes for this check, as one JSON Lines record."""
        record = self.record
        return {
            "page": record.page,
            "outcome": str(record.outcome),
            "version": record.version,
            "previous": record.previous,
            "reason": record.reason,
            "coverage": record.coverage,
            "cosmetic": record.cosmetic,
            "changes": record.changes,
            "alerts": [alert.to_json() for alert in self.alerts],
            "time": record.time,
            "url": record.url,
            "final_url": record.final_url,
            "status": record.status,
            "renderer": record.renderer,
        }
