"""The durable outbox with real channels on loopback: an SMTP server that is down and comes back, an Apprise
webhook that fails once, and crashes injected between sending and recording. The clock is injected, so
retry times move without anyone sleeping."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from smtp_support import Inbox, free_port, smtp_server

from monitor.config.loading import NotifyConfig
from monitor.models import isoformat
from monitor.notify.base import Message, build_notifiers
from monitor.notify.email import EmailNotifier
from monitor.notify.outbox import Outbox
from monitor.store.core import Store
from monitor.watch.alerts import Alert

pytestmark = pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")  # inside apprise

T0 = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)


@dataclass
class FakeTime:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def alert(number: int, severity: str = "high") -> Alert:
    return Alert(
        id=f"alert{number:02d}", watch="accounts-center-scope", kind="changed", severity=severity,
        page="facebook-ai-objection-de", version=f"v{number}", previous=f"v{number - 1}", time=isoformat(T0),
        old="alle Konten", new="einige Konten",
    )  # fmt: skip


def notify_config(port: int, **extra: Any) -> NotifyConfig:
    email = {"host": "127.0.0.1", "port": port, "security": "none", "from": "monitor@example.org",
             "to": ["reader@example.org"], "timeout": 5}  # fmt: skip
    return NotifyConfig.model_validate({"email": email, "retry_backoff": "5m", "max_attempts": 3, **extra})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "snapshots")


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


def test_put_is_durable_and_idempotent_by_id(store: Store, clock: FakeTime) -> None:
    outbox = Outbox(store, clock)
    assert outbox.put(alert(1)) is True
    assert outbox.put(alert(1)) is False
    with sqlite3.connect(store.root / "monitor.db") as db:  # a row of the outbox table, as anyone can read it
        [saved] = db.execute("SELECT status, queued, targets, message_id FROM outbox WHERE id = 'alert01'")
    assert saved == ("pending", "2026-06-01T10:30:00Z", "{}", "<alert-alert01@privacy-monitor>")
    assert [entry.alert for entry in outbox.pending()] == [alert(1)]


def test_below_min_severity_goes_to_the_digest_only(store: Store, clock: FakeTime) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = notify_config(port, min_severity="medium")
        outbox = Outbox(store, clock, settings)
        outbox.put(alert(1, severity="low"))
        outbox.put(alert(2, severity="medium"))
        report = outbox.deliver(build_notifiers(settings, base_dir=store.root))
    assert report.sent == [("alert02", "email")]
    assert [str(m["Subject"]) for m in inbox.messages] == [
        "[privacy-monitor] facebook-ai-objection-de: accounts-center-scope changed (medium)"
    ]
    assert outbox.get("alert01").status == "digest_only"
    assert outbox.entries() == []


def test_server_down_then_back_each_alert_delivered_exactly_once(store: Store, clock: FakeTime) -> None:
    port = free_port()
    settings = notify_config(port)
    outbox = Outbox(store, clock, settings)
    notifiers = build_notifiers(settings, base_dir=store.root)
    outbox.put(alert(1))
    outbox.put(alert(2))

    down = outbox.deliver(notifiers)
    refused = f"SMTP 127.0.0.1:{port}: connection refused (is the server running? check host and port)"
    assert down.failed == [("alert01", "email", refused), ("alert02", "email", refused)]
    first = outbox.get("alert01").targets["email"]
    assert (first["state"], first["attempts"], first["next_attempt"]) == (
        "pending",
        1,
        "2026-06-01T10:35:00Z",
    )

    clock.advance(minutes=4)
    waiting = outbox.deliver(notifiers)
    assert (waiting.sent, waiting.failed, len(waiting.deferred)) == ([], [], 2)

    inbox = Inbox()
    with smtp_server(inbox, port=port):
        clock.advance(minutes=1)
        back = outbox.deliver(notifiers)
        again = outbox.deliver(notifiers)
    assert back.sent == [("alert01", "email"), ("alert02", "email")]
    assert (again.sent, again.failed) == ([], [])
    assert inbox.message_ids() == ["<alert-alert01@privacy-monitor>", "<alert-alert02@privacy-monitor>"]
    assert outbox.entries() == []
    done = outbox.get("alert01")
    assert (done.status, done.targets["email"]["attempts"], done.targets["email"]["sent"]) == (
        "sent", 2, "2026-06-01T10:35:00Z",
    )  # fmt: skip


def test_backoff_doubles_then_gives_up_and_retry_delivers_it(store: Store, clock: FakeTime) -> None:
    port = free_port()
    settings = notify_config(port)
    outbox = Outbox(store, clock, settings)
    notifiers = build_notifiers(settings, base_dir=store.root)
    outbox.put(alert(1))
    schedule = []
    for wait in (0, 5, 10):  # minutes: each retry comes exactly when it is due
        clock.advance(minutes=wait)
        outbox.deliver(notifiers)
        target = outbox.get("alert01").targets["email"]
        schedule.append((isoformat(clock.now), target["state"], target["attempts"], target["next_attempt"]))
    assert schedule == [
        ("2026-06-01T10:30:00Z", "pending", 1, "2026-06-01T10:35:00Z"),
        ("2026-06-01T10:35:00Z", "pending", 2, "2026-06-01T10:45:00Z"),
        ("2026-06-01T10:45:00Z", "failed", 3, None),
    ]
    assert [entry.alert.id for entry in outbox.failed()] == ["alert01"]
    clock.advance(days=1)
    assert outbox.deliver(notifiers).failed == []  # a failed alert waits for someone to ask

    inbox = Inbox()
    with smtp_server(inbox, port=port):
        report = outbox.deliver(notifiers, force=True)
    assert (report.sent, inbox.message_ids()) == ([("alert01", "email")], ["<alert-alert01@privacy-monitor>"])


class Crash(BaseException):
    """The process dying mid-delivery (a kill, a power cut): not an error any code handles."""


class CrashAfterSending(EmailNotifier):
    def send(self, message: Message, *, now: datetime, target: str = "email", recipients: Any = ()) -> Any:
        super().send(message, now=now, target=target, recipients=recipients)
        raise Crash


class CrashBeforeSending(EmailNotifier):
    def send(self, message: Message, *, now: datetime, target: str = "email", recipients: Any = ()) -> Any:
        raise Crash


def test_crash_after_the_server_accepted_resends_with_the_same_message_id(
    store: Store, clock: FakeTime
) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = notify_config(port)
        outbox = Outbox(store, clock, settings)
        outbox.put(alert(1))
        with pytest.raises(Crash):
            outbox.deliver([CrashAfterSending(settings.email, base_dir=store.root)])
        on_disk = outbox.get("alert01").targets["email"]
        assert (on_disk["state"], on_disk["attempts"]) == ("sending", 1)
        report = outbox.deliver(build_notifiers(settings, base_dir=store.root))
    assert report.resent == [("alert01", "email")]
    assert inbox.message_ids() == ["<alert-alert01@privacy-monitor>"] * 2  # the receiver can fold them
    target = outbox.get("alert01").targets["email"]
    assert (target["state"], target["attempts"], target["interrupted"]) == ("sent", 1, 1)


def test_crash_before_sending_sends_once(store: Store, clock: FakeTime) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = notify_config(port)
        outbox = Outbox(store, clock, settings)
        outbox.put(alert(1))
        with pytest.raises(Crash):
            outbox.deliver([CrashBeforeSending(settings.email, base_dir=store.root)])
        outbox.deliver(build_notifiers(settings, base_dir=store.root))
    assert inbox.message_ids() == ["<alert-alert01@privacy-monitor>"]


def test_email_delivered_but_webhook_failed_retries_only_the_webhook(
    store: Store, clock: FakeTime, httpserver: HTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = "/hooks/SECRET-TOKEN-123"
    httpserver.expect_oneshot_request(hook, method="POST").respond_with_data("busy", status=503)
    httpserver.expect_request(hook, method="POST").respond_with_data("ok")
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = notify_config(port, apprise={"urls": [f"json://127.0.0.1:{httpserver.port}{hook}"]})
        outbox = Outbox(store, clock, settings)
        notifiers = build_notifiers(settings, base_dir=store.root)
        outbox.put(alert(1))
        first = outbox.deliver(notifiers)
        clock.advance(minutes=5)
        second = outbox.deliver(notifiers)
    [webhook] = notifiers[0].targets()
    assert webhook.startswith("apprise:") and len(webhook) == len("apprise:") + 6
    assert (first.sent, [(i, t) for i, t, _ in first.failed]) == (
        [("alert01", "email")],
        [("alert01", webhook)],
    )
    assert (second.sent, second.failed) == ([("alert01", webhook)], [])
    assert len(inbox.messages) == 1
    requests = [request for request, _ in httpserver.log]
    assert len(requests) == 2 and requests[1].json["title"].endswith("accounts-center-scope changed (high)")
    stored = "".join(f.read_bytes().decode("latin-1") for f in store.root.glob("monitor.db*"))  # + the WAL
    stored += json.dumps(outbox.get("alert01").to_json())
    ours = "".join(
        r.getMessage() for r in caplog.records if r.name != "werkzeug"
    )  # werkzeug: the test server
    assert "SECRET-TOKEN" not in stored + ours + json.dumps(first.failed)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    runs=st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=90)), min_size=1, max_size=8),
    alerts=st.integers(min_value=1, max_value=3),
)
def test_whatever_the_server_does_each_alert_arrives_once(tmp_path_factory, runs, alerts) -> None:
    """Runs at random times against a server that is sometimes busy (451): no alert ever arrives twice, no
    target is tried more than max_attempts times, and once the server accepts, `--retry` empties the outbox."""
    store, clock, inbox = Store(tmp_path_factory.mktemp("store")), FakeTime(), Inbox()
    with smtp_server(inbox) as port:
        settings_ = notify_config(port)
        outbox = Outbox(store, clock, settings_)
        notifiers = build_notifiers(settings_, base_dir=store.root)
        for number in range(1, alerts + 1):
            outbox.put(alert(number))
        for accepting, minutes in runs:
            inbox.refuse = not accepting
            clock.advance(minutes=minutes)
            outbox.deliver(notifiers)
            assert all(e.targets["email"]["attempts"] <= settings_.max_attempts for e in outbox.entries())
        inbox.refuse = False
        outbox.deliver(notifiers, force=True)
    ids = inbox.message_ids()
    assert (
        sorted(ids)
        == sorted(set(ids))
        == [f"<alert-alert{n:02d}@privacy-monitor>" for n in range(1, alerts + 1)]
    )
    assert outbox.entries() == []


class SlowInbox(Inbox):
    """Takes its time over each message, as a slow mail server does: long enough for a second deliverer to
    find the message marked "sending"."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        import asyncio

        await asyncio.sleep(0.5)
        return await super().handle_DATA(server, session, envelope)


def test_two_deliverers_at_once_send_each_alert_once(store: Store, clock: FakeTime) -> None:
    """Parallel checks and the service each deliver after their own check: one waits for the other."""
    import threading

    port = free_port()
    settings = notify_config(port)
    outbox = Outbox(store, clock, settings)
    outbox.put(alert(1))
    inbox = SlowInbox()
    with smtp_server(inbox, port=port):
        reports: list[Any] = []
        threads = [
            threading.Thread(
                target=lambda: reports.append(outbox.deliver(build_notifiers(settings, base_dir=store.root)))
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert inbox.message_ids() == ["<alert-alert01@privacy-monitor>"]
    assert sorted(len(report.sent) for report in reports) == [0, 1]
