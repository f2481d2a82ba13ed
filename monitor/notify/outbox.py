"""The durable outbox: every alert is on disk before anyone is told, and is told once as far as the store knows.

Layout in the store: `outbox/<alert id>.json` while any delivery target still has work (pending, sending,
failed); `outbox/done/<alert id>.json` once every target has it (or it is digest-only). Each file holds the
alert and, per delivery target (`email`, `apprise:<hash>`), its state:

    pending --(attempt)--> sending --(ok)--> sent
                              |--(error)--> pending, next_attempt = now + backoff * 2^(attempts-1)
                              '--(error, attempts = max_attempts)--> failed (listed, retried only on demand)

`sending` is written (atomically, fsync'd) *before* the notifier runs. If the process dies after the
server accepted the message but before `sent` was written, the next run finds `sending`, sends again with
the SAME Message-ID, and counts it in `interrupted`. So the store never sends an alert twice on its own
account; the one window it cannot close (accepted but not yet recorded) yields a second copy carrying
the same Message-ID, which mail servers and clients can fold into one. Apprise channels have no such id,
so there the rare interrupted attempt may show twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from monitor.config.loading import NotifyConfig, parse_duration
from monitor.errors import NotifyError
from monitor.models import Clock, isoformat
from monitor.notify.base import Notifier
from monitor.store.timeline import parse_time
from monitor.watch.alerts import Alert, severity_rank

PENDING_DIR = "outbox"
DONE_DIR = "outbox/done"
MAX_DELAY = timedelta(days=1)  # the doubling backoff stops growing here
WRITER_WAIT = 120.0


@dataclass(slots=True)
class OutboxEntry:
    alert: Alert
    queued: str
    digest_only: bool
    targets: dict[str, dict[str, Any]]

    @property
    def status(self) -> str:
        """digest_only | sent | failed | pending (a target still to try, or waiting for its retry time)."""
        if self.digest_only:
            return "digest_only"
        states = {target["state"] for target in self.targets.values()}
        if states and states <= {"sent"}:
            return "sent"
        if "failed" in states and not states & {"pending", "sending"}:
            return "failed"
        return "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.alert.id,
            "status": self.status,
            "message_id": self.alert.message_id,
            "queued": self.queued,
            "digest_only": self.digest_only,
            "targets": self.targets,
            "alert": self.alert.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboxEntry:
        return cls(Alert.from_json(data["alert"]), data["queued"], data["digest_only"], data["targets"])


@dataclass(slots=True)
class DeliveryReport:
    sent: list[tuple[str, str]] = field(default_factory=list)  # (alert id, target)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (alert id, target, error) this run
    gave_up: list[tuple[str, str]] = field(default_factory=list)  # reached max_attempts this run
    deferred: list[tuple[str, str, str]] = field(default_factory=list)  # (alert id, target, next attempt)
    resent: list[tuple[str, str]] = field(default_factory=list)  # an interrupted attempt, sent again

    @property
    def ok(self) -> bool:
        return not self.failed


def _new_target() -> dict[str, Any]:
    return {"state": "pending", "attempts": 0, "next_attempt": None, "last_attempt": None, "sent": None,
            "last_error": None, "interrupted": 0}  # fmt: skip


class Outbox:
    def __init__(self, store: Any, clock: Clock, settings: NotifyConfig | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or NotifyConfig()
        self.backoff = parse_duration(self.settings.retry_backoff)

    def put(self, alert: Alert) -> bool:
        """Queue `alert` durably; False (and nothing written) when an alert with this id is already known."""
        if self._read(alert.id) is not None:
            return False
        digest_only = severity_rank(alert.severity) < severity_rank(self.settings.min_severity)
        entry = OutboxEntry(alert, isoformat(self.clock()), digest_only, {})
        self._write(entry)
        return True

    def get(self, alert_id: str) -> OutboxEntry | None:
        return self._read(alert_id)

    def entries(self) -> list[OutboxEntry]:
        """Alerts with work left (pending or failed), oldest first."""
        names = [name for name in self.store.listdir(PENDING_DIR) if name.endswith(".json")]
        found = [self.store.read_json(f"{PENDING_DIR}/{name}") for name in names]
        entries = [OutboxEntry.from_json(data) for data in found if data is not None]
        return sorted(entries, key=lambda entry: (entry.queued, entry.alert.id))

    def pending(self) -> list[OutboxEntry]:
        return [entry for entry in self.entries() if entry.status == "pending"]

    def failed(self) -> list[OutboxEntry]:
        return [entry for entry in self.entries() if entry.status == "failed"]

    def deliver(self, notifiers: Sequence[Notifier], *, force: bool = False) -> DeliveryReport:
        """Try every target that is due (all of them with `force`, failed ones included); never raises for a
        failed send: that is recorded, retried later and reported."""
        report = DeliveryReport()
        with self.store.writer(wait=WRITER_WAIT):
            for entry in self.entries():
                if entry.status in ("sent", "digest_only"):
                    self._finish(entry)  # a crash came between the last write and the move
                    continue
                for notifier in notifiers:
                    for target in notifier.targets():
                        self._attempt(entry, notifier, target, report, force=force)
                if entry.status in ("sent", "digest_only"):
                    self._finish(entry)
        return report

    def _attempt(
        self, entry: OutboxEntry, notifier: Notifier, target: str, report: DeliveryReport, *, force: bool
    ) -> None:
        state = entry.targets.setdefault(target, _new_target())
        now = self.clock()
        if state["state"] == "sent" or (state["state"] == "failed" and not force):
            return
        waiting = state["state"] == "pending" and state["next_attempt"] and not force
        if waiting and parse_time(state["next_attempt"]) > now:
            report.deferred.append((entry.alert.id, target, state["next_attempt"]))
            return
        interrupted = state["state"] == "sending"
        if interrupted:
            state["interrupted"] += 1
        else:
            state["attempts"] += 1
        state.update(state="sending", last_attempt=isoformat(now))
        self._write(entry)
        try:
            notifier.send(entry.alert, now=now, target=target)
        except NotifyError as error:
            state["last_error"] = str(error)
            report.failed.append((entry.alert.id, target, str(error)))
            if state["attempts"] >= self.settings.max_attempts and not interrupted:
                state.update(state="failed", next_attempt=None)
                report.gave_up.append((entry.alert.id, target))
            else:
                state.update(state="pending", next_attempt=isoformat(now + self._delay(state["attempts"])))
        else:
            state.update(state="sent", sent=isoformat(self.clock()), last_error=None, next_attempt=None)
            report.sent.append((entry.alert.id, target))
            if interrupted:
                report.resent.append((entry.alert.id, target))
        self._write(entry)

    def _delay(self, attempts: int) -> timedelta:
        return min(self.backoff * (2 ** max(0, attempts - 1)), MAX_DELAY)

    def _finish(self, entry: OutboxEntry) -> None:
        """Move a finished entry to outbox/done/ (written there first, so a crash loses nothing)."""
        self.store.write_json(f"{DONE_DIR}/{entry.alert.id}.json", entry.to_json())
        self.store.delete(f"{PENDING_DIR}/{entry.alert.id}.json")

    def _read(self, alert_id: str) -> OutboxEntry | None:
        for folder in (PENDING_DIR, DONE_DIR):
            data = self.store.read_json(f"{folder}/{alert_id}.json")
            if data is not None:
                return OutboxEntry.from_json(data)
        return None

    def _write(self, entry: OutboxEntry) -> None:
        folder = DONE_DIR if entry.digest_only else PENDING_DIR
        self.store.write_json(f"{folder}/{entry.alert.id}.json", entry.to_json())


def next_attempt(entry: OutboxEntry) -> datetime | None:
    """When the earliest waiting target of `entry` is due (None: nothing scheduled)."""
    times = [
        parse_time(t["next_attempt"])
        for t in entry.targets.values()
        if t["state"] == "pending" and t["next_attempt"]
    ]
    return min(times, default=None)
