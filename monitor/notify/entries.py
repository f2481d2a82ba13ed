"""What the outbox holds: one entry per page check (its alerts, most severe first; per target and recipient,
the delivery state), its id and Message-ID, its stored form, and what one delivery run reports. outbox.py
delivers the entries."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.config.loading import NotifyConfig
from monitor.models import Clock, isoformat
from monitor.notify.base import Message
from monitor.store.parts import OutboxRow, outbox_status
from monitor.store.timeline import parse_time
from monitor.store.writes import Queued
from monitor.watch.alerts import Alert, severity_rank

if TYPE_CHECKING:
    from monitor.store.core import Store


def message_key(alerts: Sequence[Alert]) -> str:
    """The entry id: the alert's own id for one alert, else derived from all ids (a re-run gives the same)."""
    if len(alerts) == 1:
        return alerts[0].id
    joined = "\x1f".join(sorted(alert.id for alert in alerts))
    return "check-" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


@dataclass(slots=True)
class OutboxEntry:
    id: str
    alerts: list[Alert]
    queued: str
    digest_only: bool
    targets: dict[str, dict[str, Any]]
    rev: int = 0

    @property
    def alert(self) -> Alert:
        """The most severe alert (the one the subject names)."""
        return self.alerts[0]

    @property
    def message_id(self) -> str:
        return self.alert.message_id if len(self.alerts) == 1 else f"<alerts-{self.id}@privacy-monitor>"

    def message(self) -> Message:
        return Message(self.id, self.message_id, self.alert.page, tuple(self.alerts))

    @property
    def status(self) -> str:
        """digest_only | sent | failed | pending (a target still to try, or waiting for its retry time)."""
        return outbox_status(self.digest_only, self.targets)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "message_id": self.message_id,
            "queued": self.queued,
            "digest_only": self.digest_only,
            "targets": self.targets,
            "alerts": [alert.to_json() for alert in self.alerts],
            "alert": self.alert.to_json(),
        }


def save_entry(store: Store, entry: OutboxEntry, *, expect_rev: int | None = None) -> bool:
    """Write `entry` (in the caller's transaction, if any); with `expect_rev`, only if nobody wrote it since."""
    values = (
        entry.alert.page, entry.queued, entry.status, entry.message_id,
        [alert.to_json() for alert in entry.alerts], entry.targets,
    )  # fmt: skip
    if not store.outbox.save(entry.id, values, rev=entry.rev + 1, expect_rev=expect_rev):
        return False
    entry.rev += 1
    return True


def new_message(alerts: Sequence[Alert], clock: Clock, settings: NotifyConfig) -> Queued | None:
    """The outbox message of one check's alerts (most severe first), for the check to record with itself; None
    without alerts. Below `min_severity` it is for the digest only."""
    ordered = sorted(alerts, key=lambda a: (-severity_rank(a.severity), a.watch, a.id))
    if not ordered:
        return None
    top = max(severity_rank(alert.severity) for alert in ordered)
    entry = OutboxEntry(
        message_key(ordered), ordered, isoformat(clock()), top < severity_rank(settings.min_severity), {}
    )
    return Queued(
        entry.id,
        entry.alert.page,
        entry.queued,
        entry.status,
        entry.message_id,
        [a.to_json() for a in ordered],
    )


@dataclass(slots=True)
class DeliveryReport:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (entry id, target)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (entry id, target, error) this run
    gave_up: list[tuple[str, str]] = field(default_factory=list)  # reached max_attempts this run
    deferred: list[tuple[str, str, str]] = field(default_factory=list)  # (entry id, target, next attempt)
    resent: list[tuple[str, str]] = field(default_factory=list)  # an interrupted attempt, sent again
    refused: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # (entry, target, recipient, error)

    @property
    def ok(self) -> bool:
        """Everything due reached everyone: no failed attempt and no recipient refused for good."""
        return not self.failed and not self.refused


def entry_of(row: OutboxRow) -> OutboxEntry:
    """The entry a stored outbox row holds."""
    alerts = [Alert.from_json(data) for data in row.alerts]
    return OutboxEntry(row.id, alerts, row.queued, row.status == "digest_only", row.targets, row.rev)


def next_attempt(entry: OutboxEntry) -> datetime | None:
    """When the earliest waiting target of `entry` is due (None: nothing scheduled)."""
    times = [
        parse_time(t["next_attempt"])
        for t in entry.targets.values()
        if t["state"] == "pending" and t["next_attempt"]
    ]
    return min(times, default=None)
