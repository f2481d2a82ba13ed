"""Alerts from a real check reach every recipient exactly once: one mail per page check listing all its alerts,
sent after the store transaction, with delivery state per recipient. A real page on loopback, a real SMTP
server (aiosmtpd) that refuses one recipient for good (5xx) or for now (4xx), or is down and comes back."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from smtp_support import Inbox, free_port, smtp_server

from monitor.config.loading import load_config
from monitor.notify.base import build_notifiers
from monitor.notify.digest import build_digest
from monitor.notify.digest_render import render_html, render_text
from monitor.notify.outbox import Outbox
from monitor.store.core import Store

READERS = ["ana@example.org", "bo@example.org", "cy@example.org"]
POLICY = """<html><body><main><h1>Privacy Policy</h1>
<h2>Your objection</h2>
<p>Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center.</p>
<p>We process this information on the basis of legitimate interests, as the rest of this policy explains.</p>
<p>We use the information we have to provide, personalise and improve our Products, to keep them safe.</p>
</main></body></html>"""
# The watched clause reworded (an alert) and the watched term gone (a second alert): one check, two alerts.
CHANGED = POLICY.replace("to all accounts", "to some accounts").replace(
    " on the basis of legitimate interests", " as we see fit"
)


class PickyInbox(Inbox):
    """Refuses some recipients at RCPT time: `refuse[address]` is the reply (e.g. 550 or 450)."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        super().__init__()
        self.refuse_rcpt = dict(refuse or {})

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def copies(self) -> Counter[tuple[str, str]]:
        """(recipient, Message-ID) -> how many times it arrived."""
        return Counter(
            (rcpt, str(message["Message-ID"]))
            for message, (_, rcpts) in zip(self.messages, self.envelopes, strict=True)
            for rcpt in rcpts
        )


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> tuple[Path, int]:
    port = free_port()
    write_project(
        tmp_path,
        {"policy": httpserver.url_for("/policy")},
        extra=f"""
[[watches]]
id = "accounts-center-scope"
pages = ["policy"]
kind = "clause"
text = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
severity = "high"

[[watches]]
id = "legitimate-interests"
pages = ["policy"]
kind = "term"
text = "legitimate interests"
severity = "medium"

[notify]
retry_backoff = "5m"
max_attempts = 3

[notify.email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "monitor@example.org"
to = {json.dumps(READERS)}
timeout = 5
""",
    )
    return tmp_path / "config.toml", port


def serve(server: HTTPServer, body: str) -> None:
    server.clear()
    server.expect_request("/policy").respond_with_data(body, content_type="text/html")


run = run_cli


def first_then_changed(config: Path, clock: Clock, httpserver: HTTPServer) -> tuple[int, str]:
    serve(httpserver, POLICY)
    assert run(config, clock, "check")[0] == 0  # baselines, silently
    clock.now += timedelta(days=1)
    serve(httpserver, CHANGED)
    return run(config, clock, "check")


def outbox_of(config: Path, clock: Clock) -> tuple[Outbox, list]:
    loaded = load_config(config)
    outbox = Outbox(Store(loaded.store_path), clock, loaded.config.notify)
    return outbox, build_notifiers(loaded.config.notify, base_dir=loaded.base_dir, pages=loaded.config.pages)


def refused_then_retried(
    project: tuple[Path, int],
    httpserver: HTTPServer,
    refuse: dict[str, str],
    edit: tuple[str, str] = ("", ""),
) -> tuple[int, str, PickyInbox, Path]:
    """A changed check whose mail the server refuses for `refuse`'s addresses, the config then edited
    (`edit`: text replaced by text), then `outbox --retry`: its exit code and output, the inbox, the config."""
    config, port = project
    clock, inbox = Clock(), PickyInbox(refuse)
    with smtp_server(inbox, port=port):
        first_then_changed(config, clock, httpserver)
        if edit[0]:
            config.write_text(config.read_text().replace(*edit), encoding="utf-8")
        code, output = run(config, clock, "outbox", "--retry")
    return code, output, inbox, config


def test_one_mail_per_check_lists_every_alert_most_severe_first(project, httpserver: HTTPServer) -> None:
    config, port = project
    clock, inbox = Clock(), PickyInbox()
    with smtp_server(inbox, port=port):
        code, output = first_then_changed(config, clock, httpserver)
    assert code == 0, output
    [message] = inbox.messages  # one mail for the two alerts of the check, to all three readers
    assert inbox.envelopes[0][1] == READERS
    assert str(message["Subject"]).endswith("accounts-center-scope changed (high) and 1 more alert")
    assert str(message["Message-ID"]).startswith("<alerts-check-")


def test_a_recipient_refused_for_good_fails_alone_and_the_others_get_one_copy(
    project, httpserver: HTTPServer
) -> None:
    config, port = project
    clock, inbox = Clock(), PickyInbox({"bo@example.org": "550 5.1.1 no such user"})
    with smtp_server(inbox, port=port):
        code, output = first_then_changed(config, clock, httpserver)
        outbox, notifiers = outbox_of(config, clock)
        clock.now += timedelta(hours=2)
        again = outbox.deliver(notifiers)  # the service's retry pass: nothing to send again
    assert code == 6, output
    queued = [line for line in output.splitlines() if line.startswith("queued in the outbox:")]
    assert len(queued) == 2 and all("bo@example.org" in line for line in queued)
    [message_id] = {mid for _, mid in inbox.copies()}
    assert inbox.copies() == Counter({("ana@example.org", message_id): 1, ("cy@example.org", message_id): 1})
    assert (again.sent, again.failed) == ([], [])
    [entry] = outbox.failed()
    assert entry.targets["email"]["recipients"]["bo@example.org"] == {
        "state": "failed",
        "error": "550 5.1.1 no such user",
    }
    assert len(entry.alerts) == 2


def test_a_refused_recipient_removed_from_the_config_gets_nothing_and_the_others_no_second_copy(
    project, httpserver: HTTPServer
) -> None:
    code, output, inbox, config = refused_then_retried(
        project, httpserver, {"bo@example.org": "550 5.1.1 no such user"}, ('"bo@example.org", ', "")
    )
    assert code == 0, output
    [message_id] = {mid for _, mid in inbox.copies()}
    assert inbox.copies() == Counter({("ana@example.org", message_id): 1, ("cy@example.org", message_id): 1})
    [(status, targets)] = stored_outbox(config)  # given up for an address no longer wanted: nothing waits
    assert (status, targets["email"]["recipients"]["bo@example.org"]["state"]) == ("sent", "dropped")


def test_the_digest_says_a_message_gave_up_in_the_period_it_gave_up_in_only(
    project, httpserver: HTTPServer
) -> None:
    """A message given up (an address refused for good) is in that day's digest; later digests leave it to
    `outbox`, or no digest would ever be quiet again."""
    config, port = project
    clock, inbox = Clock(), PickyInbox({"bo@example.org": "550 5.1.1 no such user"})
    with smtp_server(inbox, port=port):
        first_then_changed(config, clock, httpserver)
    loaded = load_config(config)
    store = Store(loaded.store_path)
    that_day = build_digest(
        store, loaded.config, clock.now - timedelta(hours=12), clock.now + timedelta(hours=12)
    )
    next_day = build_digest(
        store, loaded.config, clock.now + timedelta(hours=12), clock.now + timedelta(hours=36)
    )
    assert [line.watch for line in that_day.undelivered] == ["accounts-center-scope", "legitimate-interests"]
    assert next_day.undelivered == []


def test_a_recipient_refused_for_now_is_retried_alone_after_the_backoff(
    project, httpserver: HTTPServer
) -> None:
    config, port = project
    clock, inbox = Clock(), PickyInbox({"cy@example.org": "450 4.2.1 mailbox busy"})
    with smtp_server(inbox, port=port):
        code, output = first_then_changed(config, clock, httpserver)
        outbox, notifiers = outbox_of(config, clock)
        del inbox.refuse_rcpt["cy@example.org"]
        early = outbox.deliver(notifiers)
        clock.now += timedelta(minutes=5)
        later = outbox.deliver(notifiers)
    assert code == 6 and "queued in the outbox: policy: accounts-center-scope changed (high)" in output
    assert (early.sent, len(early.deferred)) == ([], 1)
    assert [rcpts for _, rcpts in inbox.envelopes] == [
        ["ana@example.org", "bo@example.org"],
        ["cy@example.org"],
    ]
    assert set(inbox.copies().values()) == {1} and len(inbox.copies()) == 3
    assert len(set(inbox.message_ids())) == 1  # the same Message-ID on every attempt
    assert later.ok and outbox.entries() == []


def test_smtp_down_then_up_delivers_exactly_once_per_recipient(project, httpserver: HTTPServer) -> None:
    config, port = project
    clock, inbox = Clock(), PickyInbox()
    code, output = first_then_changed(config, clock, httpserver)  # no server listening
    assert code == 6
    assert [line.split(" (SMTP")[0] for line in output.splitlines() if line.startswith("queued")] == [
        "queued in the outbox: policy: accounts-center-scope changed (high)",
        "queued in the outbox: policy: legitimate-interests removed (medium)",
    ]
    assert "connection refused" in output
    loaded = load_config(config)
    digest = build_digest(Store(loaded.store_path), loaded.config, clock.now - timedelta(days=1), clock.now)
    assert [(line.watch, line.severity) for line in digest.undelivered] == [
        ("accounts-center-scope", "high"),
        ("legitimate-interests", "medium"),
    ]  # the digest says what the mail could not
    text, html = render_text(digest), render_html(digest)
    assert (
        "== NOT DELIVERED (2) ==\n"
        "  These alerts have not reached every channel and recipient (each is tried again with backoff until it\n"
        "  gives up); this digest is how you hear of them.\n"
        "  [HIGH] policy: watch accounts-center-scope changed\n"
        "  [MEDIUM] policy: watch legitimate-interests no longer on the page\n"
    ) in text
    assert "Not delivered (2)</h2>" in html and "legitimate-interests</strong> no longer on the page" in html
    assert digest.subject().endswith(", 2 alerts not delivered")
    with smtp_server(inbox, port=port):
        clock.now += timedelta(minutes=5)
        assert run(config, clock, "outbox", "--retry")[0] == 0
        assert run(config, clock, "outbox", "--retry")[0] == 0  # nothing left: nothing sent twice
    assert sorted(rcpt for rcpt, _ in inbox.copies()) == READERS
    assert set(inbox.copies().values()) == {1}
    assert Store(loaded.store_path).outbox.undelivered() == []


def test_a_channel_whose_setting_cannot_be_read_fails_alone_and_mail_still_goes_out(
    project, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Apprise's URLs from an unset variable used to stop the whole delivery before the mail was tried."""
    config, port = project
    monkeypatch.delenv("PM_TEST_APPRISE_URLS", raising=False)
    config.write_text(
        config.read_text() + '\n[notify.apprise]\nurls_env = "PM_TEST_APPRISE_URLS"\n', encoding="utf-8"
    )
    clock, inbox = Clock(), PickyInbox()
    with smtp_server(inbox, port=port):
        code, output = first_then_changed(config, clock, httpserver)
    assert code == 6, output
    assert [line for line in output.splitlines() if line.startswith("queued")] == [
        "queued in the outbox: policy: accounts-center-scope changed (high) (notify.apprise.urls_env:"
        " environment variable PM_TEST_APPRISE_URLS is not set)",
        "queued in the outbox: policy: legitimate-interests removed (medium) (notify.apprise.urls_env:"
        " environment variable PM_TEST_APPRISE_URLS is not set)",
    ]
    assert inbox.envelopes[0][1] == READERS and len(inbox.messages) == 1


def stored_outbox(config: Path) -> list[tuple[str, dict[str, Any]]]:
    """Each outbox row's status and targets, as anyone can read them from monitor.db."""
    with sqlite3.connect(load_config(config).store_path / "monitor.db") as db:
        return [
            (status, json.loads(targets))
            for status, targets in db.execute("SELECT status, targets FROM outbox")
        ]


def test_a_recipient_refused_for_now_then_removed_from_the_config_is_no_longer_awaited(
    project, httpserver: HTTPServer
) -> None:
    code, output, inbox, config = refused_then_retried(
        project, httpserver, {"cy@example.org": "450 4.2.1 mailbox busy"}, (', "cy@example.org"', "")
    )
    assert (code, output.splitlines()[0]) == (0, "Retried 0 deliveries: 0 sent, 0 failed."), output
    assert run(config, Clock(), "outbox")[1] == "Outbox empty: no alert is waiting to be delivered.\n"
    [(status, targets)] = stored_outbox(config)
    assert (status, targets["email"]["state"]) == ("sent", "sent")
    assert targets["email"]["recipients"]["cy@example.org"] == {
        "state": "dropped",
        "error": "no longer configured",
    }
    assert [rcpts for _, rcpts in inbox.envelopes] == [["ana@example.org", "bo@example.org"]]


@pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")  # inside apprise
def test_a_target_removed_from_the_config_is_no_longer_awaited(project, httpserver: HTTPServer) -> None:
    """A webhook that failed, then removed from the config: its message used to stay pending for good."""
    config, port = project
    hook = "/hooks/removed"
    config.write_text(
        config.read_text() + f'\n[notify.apprise]\nurls = ["json://127.0.0.1:{httpserver.port}{hook}"]\n',
        encoding="utf-8",
    )
    clock, inbox = Clock(), PickyInbox()
    with smtp_server(inbox, port=port):
        serve(httpserver, POLICY)
        assert run(config, clock, "check")[0] == 0
        clock.now += timedelta(days=1)
        serve(httpserver, CHANGED)
        httpserver.expect_request(hook, method="POST").respond_with_data("busy", status=503)
        assert run(config, clock, "check")[0] == 6
        config.write_text(config.read_text().split("\n[notify.apprise]")[0], encoding="utf-8")
        code, output = run(config, clock, "outbox", "--retry")
    assert (code, output.splitlines()[0]) == (0, "Retried 0 deliveries: 0 sent, 0 failed."), output
    [(status, targets)] = stored_outbox(config)
    [webhook] = [target for target in targets if target.startswith("apprise:")]
    assert (status, targets["email"]["state"], targets[webhook]["state"]) == ("sent", "sent", "dropped")
    assert len(inbox.messages) == 1


def test_retrying_a_recipient_refused_for_good_says_so_in_the_words_of_the_listing(
    project, httpserver: HTTPServer
) -> None:
    code, output, _, _ = refused_then_retried(
        project, httpserver, {"bo@example.org": "550 5.1.1 no such user"}
    )
    assert code == 6
    assert output.splitlines()[:2] == [
        "Retried 1 delivery: 1 sent, 0 failed; 1 address refused for good, given up for it.",
        "2 alerts in 1 message: 0 pending, 2 given up",
    ]
