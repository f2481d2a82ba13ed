"""The durable outbox: one message per page check (every alert that check raised, most severe first), queued
in the same store transaction as the check, and delivered outside any transaction.

The `outbox` table of monitor.db holds each message with, per delivery target (`email`, `apprise:<hash>`) and
per recipient of a target (the addresses of `email`), its state:

    pending --(attempt)--> sending --(ok)--> sent
                              |--(error / 4xx)--> pending, next_attempt = now + backoff * 2^(attempts-1)
                              '--(5xx for a recipient, or max_attempts)--> failed (retried only on demand)

A recipient refused with 5xx is failed alone: the others got the message and are never sent a second copy.
`sending` is committed *before* the notifier runs, with a compare-and-set on the row's `rev`, so two processes
delivering at once never both send one attempt. If the process dies after the server accepted the message but
before `sent` was committed, the next run finds `sending` and sends again with the SAME Message-ID (counted in
`interrupted`), which mail servers and clients can fold into one. What an entry is and how it is stored:
entries.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from monitor import fsutil
from monitor.config.loading import NotifyConfig, parse_duration
from monitor.errors import NotifyError
from monitor.models import Clock, isoformat
from monitor.notify.base import Notifier
from monitor.notify.entries import DeliveryReport, OutboxEntry, entry_of, new_message, save_entry
from monitor.store.timeline import parse_time
from monitor.watch.alerts import Alert, severity_rank

if TYPE_CHECKING:
    from monitor.store.core import Store

log = logging.getLogger(__name__)  # the service logs each failed attempt through this

MAX_DELAY = timedelta(days=1)  # the doubling backoff stops growing here
DELIVERY_LOCK = "outbox.lock"


def _new_target() -> dict[str, Any]:
    return {"state": "pending", "attempts": 0, "next_attempt": None, "last_attempt": None, "sent": None,
            "last_error": None, "interrupted": 0}  # fmt: skip


class Outbox:
    def __init__(self, store: Store, clock: Clock, settings: NotifyConfig | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings or NotifyConfig()
        self.backoff = parse_duration(self.settings.retry_backoff)

    def put(self, alert: Alert) -> bool:
        """Queue one alert as its own message; False when it is already known."""
        return self.put_message([alert])

    def put_message(self, alerts: Sequence[Alert]) -> bool:
        """Queue one message for the alerts of one check (in the caller's transaction, if any); False (and
        nothing written) when it is already known."""
        message = new_message(alerts, self.clock, self.settings)
        if message is None:
            return False
        return self.store.outbox.add(
            message.id, message.page, message.queued, message.status, message.message_id, message.alerts
        )

    def get(self, entry_id: str) -> OutboxEntry | None:
        row = self.store.outbox.get(entry_id)
        return entry_of(row) if row else None

    def entries(self) -> list[OutboxEntry]:
        """Messages with work left (pending or failed), oldest first."""
        return [entry_of(row) for row in self.store.outbox.with_work_left()]

    def pending(self) -> list[OutboxEntry]:
        return [entry for entry in self.entries() if entry.status == "pending"]

    def failed(self) -> list[OutboxEntry]:
        return [entry for entry in self.entries() if entry.status == "failed"]

    def undelivered(self) -> list[Alert]:
        """Every alert of a message that has not reached all its targets and recipients (for the digest: it
        must say they were not delivered, since nobody else will), most severe first."""
        alerts = [alert for entry in self.entries() for alert in entry.alerts]
        return sorted(alerts, key=lambda alert: (-severity_rank(alert.severity), alert.page))

    def deliver(self, notifiers: Sequence[Notifier], *, force: bool = False) -> DeliveryReport:
        """Try every target that is due (all of them with `force`, failed ones included), outside any store
        transaction; never raises for a failed send: that is recorded, retried later and reported."""
        report = DeliveryReport()
        # One deliverer at a time, across threads and processes (parallel checks, the service beside a manual
        # check): a message another deliverer is sending right now reads as "sending", which alone would look
        # like an interrupted attempt and be sent again. Its own lock, never the store's: a slow SMTP server
        # holds up other deliveries only, not checks.
        fsutil.ensure_dir(self.store.root)
        lock = fsutil.WriterLock.for_path(self.store.state.path(DELIVERY_LOCK))
        try:
            lock.acquire(fsutil.LOCK_WAIT)
        except fsutil.LockBusy:
            log.warning(
                "outbox: another process has been delivering for %ds; left for the next run", fsutil.LOCK_WAIT
            )
            return report
        try:
            configured, broken = self._targets(notifiers)
            for entry in self.entries():
                for name, error in broken.items():  # that channel's alerts wait until its setting is mended
                    report.failed.append((entry.id, name, error))
                for notifier, targets in configured:
                    for target in targets:
                        self._attempt(entry, notifier, target, report, force=force)
                self._drop_unconfigured(entry, configured, broken)
        finally:
            lock.release()
        return report

    @staticmethod
    def _targets(
        notifiers: Sequence[Notifier],
    ) -> tuple[list[tuple[Notifier, list[str]]], dict[str, str]]:
        """Each notifier with its targets, read once per delivery; the notifiers whose targets cannot be read
        (an Apprise URL variable unset, say), by name with the error: each channel fails on its own."""
        configured: list[tuple[Notifier, list[str]]] = []
        broken: dict[str, str] = {}
        for notifier in notifiers:
            try:
                configured.append((notifier, notifier.targets()))
            except NotifyError as error:
                log.warning("outbox: %s", error)
                broken[notifier.name] = str(error)
        return configured, broken

    def _drop_unconfigured(
        self, entry: OutboxEntry, configured: list[tuple[Notifier, list[str]]], broken: dict[str, str]
    ) -> None:
        """Mark `dropped` what the message still waits for but the config no longer names: a target (a
        channel or an Apprise URL removed) and a recipient (an address removed). Without it such a message
        stayed pending for good, since nothing visits a target or address that is not configured."""
        targets = {target: notifier for notifier, names in configured for target in names}
        changed = False
        for target, state in entry.targets.items():
            if target.partition(":")[0] in broken:
                continue  # its channel is configured but unreadable now: kept for when it is mended
            notifier = targets.get(target)
            if notifier is None:
                if state["state"] in ("pending", "sending", "failed"):
                    state.update(state="dropped", next_attempt=None, last_error="no longer configured")
                    changed = True
                continue
            people = state.get("recipients") or {}
            still = set(notifier.recipients(target))
            for address, person in people.items():
                # one given up (refused for good) and then removed is no longer waited for either
                if address not in still and person["state"] in ("pending", "sending", "failed"):
                    person.update(state="dropped", error="no longer configured")
                    changed = True
            waiting = {person["state"] for person in people.values()} & {"pending", "sending"}
            if people and state["state"] in ("pending", "sending") and not waiting:
                reached = any(person["state"] == "sent" for person in people.values())
                state.update(state="sent" if reached else "dropped", next_attempt=None)
                if reached:
                    state["sent"] = state["sent"] or isoformat(self.clock())
                changed = True
        if changed:
            save_entry(self.store, entry)

    def _attempt(
        self, entry: OutboxEntry, notifier: Notifier, target: str, report: DeliveryReport, *, force: bool
    ) -> None:
        state = entry.targets.setdefault(target, _new_target())
        now = self.clock()
        if state["state"] == "sent" and not (force and _failed_recipients(state)):
            return
        if state["state"] == "failed" and not force:
            return
        waiting = state["state"] == "pending" and state["next_attempt"] and not force
        if waiting and parse_time(state["next_attempt"]) > now:
            report.deferred.append((entry.id, target, state["next_attempt"]))
            return
        # Per-recipient state only for channels with recipients (mail); others succeed or fail as one target.
        configured = notifier.recipients(target)
        people: dict[str, Any] = state.setdefault("recipients", {}) if configured else {}
        for address in configured:
            person = people.setdefault(address, {"state": "pending", "error": None})
            if force and person["state"] == "failed":
                person["state"] = "pending"
        # Only the addresses configured now: one removed from the config gets nothing more.
        todo = [a for a in configured if people[a]["state"] in ("pending", "sending")]
        if configured and not todo:
            return  # nobody left to send to (an empty list would mean "every recipient" to the channel)
        interrupted = state["state"] == "sending"
        if interrupted:
            state["interrupted"] += 1
        else:
            state["attempts"] += 1
        state.update(state="sending", last_attempt=isoformat(now))
        for address in todo:
            people[address]["state"] = "sending"
        if not save_entry(self.store, entry, expect_rev=entry.rev):
            return  # another process is delivering this message right now
        try:
            refused = notifier.send(entry.message(), now=now, target=target, recipients=todo) or {}
        except NotifyError as error:
            for address in todo:
                people[address]["state"] = "pending"
            self._failed(entry, state, target, str(error), report, now, interrupted)
        else:
            for address in todo:
                code, text = refused.get(address, (250, ""))
                if code < 400:
                    people[address].update(state="sent", error=None)
                    continue
                people[address].update(state="failed" if code >= 500 else "pending", error=f"{code} {text}")
                if code >= 500:
                    report.refused.append((entry.id, target, address, f"{code} {text}"))
                    log.warning(
                        "outbox %s to %s: %s refused for good: %s %s", entry.id, target, address, code, text
                    )
            retry = [f"{a}: {people[a]['error']}" for a in todo if people[a]["state"] == "pending"]
            if retry:
                self._failed(entry, state, target, "; ".join(retry), report, now, interrupted)
            else:
                state.update(state="sent", sent=isoformat(self.clock()), last_error=None, next_attempt=None)
                report.sent.append((entry.id, target))
                if interrupted:
                    report.resent.append((entry.id, target))
        save_entry(self.store, entry)

    def _failed(
        self, entry: OutboxEntry, state: dict[str, Any], target: str, error: str, report: DeliveryReport,
        now: datetime, interrupted: bool,
    ) -> None:  # fmt: skip
        state["last_error"] = error
        report.failed.append((entry.id, target, error))
        log.warning("outbox %s (%s) to %s: attempt %d failed: %s", entry.id, entry.alert.page, target,
                    state["attempts"], error)  # fmt: skip
        if state["attempts"] >= self.settings.max_attempts and not interrupted:
            state.update(state="failed", next_attempt=None)
            report.gave_up.append((entry.id, target))
        else:
            state.update(state="pending", next_attempt=isoformat(now + self._delay(state["attempts"])))

    def _delay(self, attempts: int) -> timedelta:
        return retry_delay(self.backoff, attempts)


def retry_delay(backoff: timedelta, attempts: int) -> timedelta:
    """How long a send that failed `attempts` times waits before the next: `backoff`, doubled each time, at
    most a day (alerts and digests alike)."""
    return min(backoff * (2 ** max(0, attempts - 1)), MAX_DELAY)


def _failed_recipients(state: dict[str, Any]) -> list[str]:
    people = state.get("recipients", {})
    return [f"{address}: refused ({p['error']})" for address, p in people.items() if p["state"] == "failed"]
