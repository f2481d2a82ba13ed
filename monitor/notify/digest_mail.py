"""The digest as mail, sent exactly once per period (the mail itself is digest_render.py's).

Exactly once, as the store can tell: for each period the prepared message is written to the store
(digest/<period>.eml), then the ledger (digest/ledger.jsonl) records `sending` with its Message-ID, then SMTP
runs, then the ledger records `sent`. A crash before `sending` leaves nothing to resend (the period is still
due); a crash after it re-sends the same bytes with the same Message-ID, so the only possible duplicate is
the crash window between the server's acceptance and the `sent` line, and it carries the same Message-ID
(mail clients and most servers fold such copies into one). An SMTP failure records `failed` and is retried
with the alerts' backoff (notify.retry_backoff, doubled each time), up to notify.max_attempts; a recipient the
server refuses for good (5xx) is given up alone, and only those refused for now (4xx) are sent it again, so
nobody gets a second copy. Nothing a digest should say is lost with it: when the next period is due, a
digest still undelivered is `superseded` and the new one covers its time as well, from the end of the last
digest delivered (an `abandoned` one's time too). Mail goes through the alert notifier's SMTP code
(monitor.notify.email.smtp_deliver), so the password rules are the same: from an environment variable or a
file, never from the config text, never logged.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from monitor import fsutil
from monitor.config.loading import EmailConfig, LoadedConfig, parse_duration
from monitor.config.timing import Period, due_period
from monitor.errors import NotifyError, UsageError
from monitor.models import Clock, isoformat
from monitor.notify.base import Refused
from monitor.notify.digest import build_digest
from monitor.notify.digest_render import compose
from monitor.notify.email import smtp_deliver
from monitor.notify.outbox import retry_delay
from monitor.present.words import plural
from monitor.store.core import Store
from monitor.store.timeline import parse_time

log = logging.getLogger("monitor.notify.digest")

LEDGER = "digest/ledger.jsonl"
UNFINISHED = ("sending", "failed")
DELIVERED = ("sent", "quiet", "sending")  # a period `sending` may have reached its readers: never sent twice


def digest_message_id(store: Store, period: Period, sender: str) -> str:
    """The same id for the same store and period, so a re-send after a crash is recognisably the same mail."""
    domain = sender.rpartition("@")[2].strip(" >") or "privacy-monitor.invalid"
    token = hashlib.sha256(f"{store.root.resolve()}|{period.key}".encode()).hexdigest()[:12]
    return f"<digest.{period.end.strftime('%Y%m%dT%H%MZ')}.{token}@{domain}>"


class DigestLedger:
    """The `digest_ledger` table of monitor.db (named `digest/ledger.jsonl` through the store's state API):
    one row per state change of a period (sending, sent, failed, quiet, abandoned, superseded)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def latest(self) -> dict[str, dict[str, Any]]:
        """The latest entry of each period, by period key (in the order periods first appeared)."""
        periods: dict[str, dict[str, Any]] = {}
        for entry in self.store.ledger.lines():
            periods[entry["period"]] = entry
        return periods

    def last_end(self) -> datetime | None:
        ends = [parse_time(entry["end"]) for entry in self.latest().values()]
        return max(ends) if ends else None

    def uncovered_since(self) -> datetime | None:
        """Where the time no delivered digest covers begins: the end of the last period delivered when
        periods after it were not (abandoned, failed), or the start of the first such period; None when
        every period was delivered."""
        latest = list(self.latest().values())
        delivered = [parse_time(entry["end"]) for entry in latest if entry["state"] in DELIVERED]
        floor = max(delivered, default=None)
        lost = [
            parse_time(entry["start"])
            for entry in latest
            if entry["state"] not in DELIVERED and (floor is None or parse_time(entry["end"]) > floor)
        ]
        if not lost:
            return None
        return floor if floor is not None else min(lost)

    def unfinished(self) -> list[dict[str, Any]]:
        return [entry for entry in self.latest().values() if entry["state"] in UNFINISHED]

    def attempts(self, key: str) -> int:
        return sum(
            1 for entry in self.store.ledger.lines() if entry["period"] == key and entry["state"] == "failed"
        )

    def record(
        self, state: str, entry: dict[str, Any], *, time: datetime, **extra: str | int | dict[str, str]
    ) -> dict[str, Any]:
        line = {**entry, "state": state, "time": isoformat(time), **extra}
        if state not in ("failed", "abandoned", "superseded"):
            line.pop("reason", None)
        with self.store.transaction():
            self.store.ledger.append(line)
        return line


class DigestMailer:
    """Sends the due digest and finishes unfinished ones; used by the service on every tick."""

    def __init__(
        self,
        loaded: LoadedConfig,
        store: Store,
        clock: Clock,
        *,
        send: Callable[[EmailConfig, Path, EmailMessage, Sequence[str]], Refused] = smtp_deliver,
    ) -> None:
        self.loaded = loaded
        self.config = loaded.config
        self.store = store
        self.clock = clock
        self.ledger = DigestLedger(store)
        self._send = send

    @property
    def email(self) -> EmailConfig:
        if self.config.notify.email is None:
            raise UsageError(
                "no [notify.email] section in the config: the digest has no SMTP server to go through"
            )
        return self.config.notify.email

    @property
    def base_url(self) -> str | None:
        """`[report] base_url`, where the full comparisons are published."""
        return self.config.report.base_url

    def recipients(self) -> list[str]:
        return list(self.config.digest.to or self.email.to)

    def run(self, now: datetime) -> list[str]:
        """Finish unfinished periods, then send the due one; returns the keys of the periods sent now."""
        if not self.config.digest.enabled:
            return []
        sent = [
            entry["period"]
            for entry in self.ledger.unfinished()
            if self._retry_due(entry, now) and self._deliver(entry)
        ]
        last_end = self.ledger.last_end()
        period = due_period(now, self.config.digest, last_end)
        if period is None or (last_end is None and not self._checked_before(period.end)):
            return sent  # the first digest is the first period with checks in it: nothing to report before
        if (since := self.ledger.uncovered_since()) is not None and since < period.start:
            period = Period(since, period.end)  # what an undelivered digest said goes into this one
        for entry in self.ledger.unfinished():
            if entry["state"] == "failed":
                self.ledger.record("superseded", entry, time=now, reason=f"its time is in {period.key}")
                log.warning("digest %s: not delivered; its time goes into %s", entry["period"], period.key)
        digest = build_digest(self.store, self.config, period.start, period.end)
        entry = {"period": period.key, "start": isoformat(period.start), "end": isoformat(period.end)}
        if digest.quiet and not self.config.digest.send_when_quiet:
            self.ledger.record("quiet", entry, time=now)
            log.info("digest %s: quiet, not sent (digest.send_when_quiet = false)", period.key)
            return sent
        message_id = digest_message_id(self.store, period, self.email.sender)
        message = compose(
            digest,
            sender=self.email.sender,
            to=self.recipients(),
            message_id=message_id,
            now=now,
            base_url=self.base_url,
        )
        file = f"digest/{period.end.strftime('%Y-%m-%dT%H%MZ')}.eml"
        fsutil.atomic_write(self.store.state.path(file), message.as_bytes(policy=email.policy.SMTP))
        entry = self.ledger.record("sending", {**entry, "message_id": message_id, "file": file}, time=now)
        if self._deliver(entry):
            sent.append(period.key)
        return sent

    def _checked_before(self, moment: datetime) -> bool:
        return any(
            (first := self.store.checks.first(page.id)) is not None and parse_time(first.time) < moment
            for page in self.config.pages
        )

    def _retry_due(self, entry: dict[str, Any], now: datetime) -> bool:
        """A period `sending` (the process died while sending) goes again at once; a `failed` one after the
        backoff its attempts earned."""
        if entry["state"] != "failed":
            return True
        backoff = parse_duration(self.config.notify.retry_backoff)
        return parse_time(entry["time"]) + retry_delay(backoff, self.ledger.attempts(entry["period"])) <= now

    def _deliver(self, entry: dict[str, Any]) -> bool:
        now = self.clock()
        path = self.store.state.path(entry["file"])
        try:
            data = path.read_bytes()
        except OSError as error:  # the prepared message is gone (a damaged store): retrying cannot help
            reason = f"{path}: cannot read the prepared digest ({error.strerror})"
            self.ledger.record("abandoned", entry, time=now, reason=reason)
            log.error("digest %s: abandoned: %s", entry["period"], reason)
            return False
        # after a recipient was refused for now, only those left: the others have their copy
        recipients = list(entry.get("waiting") or self.recipients())
        message = email.message_from_bytes(data, policy=email.policy.default)
        try:
            refused = self._send(self.email, self.loaded.base_dir, message, recipients)
        except NotifyError as error:
            return self._failed(entry, now, str(error))
        for address, (code, text) in sorted(refused.items()):
            if code >= 500:
                log.warning("digest %s: %s refused for good: %s %s", entry["period"], address, code, text)
        waiting = sorted(address for address, (code, _) in refused.items() if code < 500)
        if waiting:
            reason = "; ".join(
                f"{address}: {refused[address][0]} {refused[address][1]}" for address in waiting
            )
            return self._failed({**entry, "waiting": waiting}, now, reason)
        given_up = {address: f"{code} {text}" for address, (code, text) in sorted(refused.items())}
        self.ledger.record("sent", entry, time=now, **({"refused": given_up} if given_up else {}))
        reached = len(recipients) - len(given_up)
        log.info("digest %s: sent to %s", entry["period"], plural(reached, "recipient"))
        return True

    def _failed(self, entry: dict[str, Any], now: datetime, reason: str) -> bool:
        attempts = self.ledger.attempts(entry["period"]) + 1
        self.ledger.record("failed", entry, time=now, reason=reason, attempt=attempts)
        log.warning("digest %s: not sent (attempt %d): %s", entry["period"], attempts, reason)
        if attempts >= self.config.notify.max_attempts:
            self.ledger.record("abandoned", entry, time=now)
            log.error("digest %s: abandoned after %s", entry["period"], plural(attempts, "attempt"))
        return False
