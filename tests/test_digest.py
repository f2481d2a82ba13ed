"""The daily digest: what it reports, how it reads (text and HTML), and exactly-once sending through a real
SMTP server on loopback."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from service_support import (
    FakeClock,
    Inbox,
    document_text,
    email_section,
    loaded,
    make_config,
    record_check,
    smtp_server,
    utc,
)

from monitor.config.loading import Config
from monitor.diff.classify import word_diff
from monitor.diff.segments import Segment, elide, marked, ops_segments
from monitor.notify.digest import build_digest
from monitor.notify.digest_mail import DigestMailer
from monitor.notify.digest_render import render_html, render_text
from monitor.store.core import Store

PAGES = [
    {"id": "fb-en", "url": "https://facebook.example/privacy", "title": "Facebook Privacy Policy",
     "document": "fb-policy", "locale": "en"},
    {"id": "fb-de", "url": "https://facebook.example/de/privacy", "title": "Facebook Datenrichtlinie",
     "document": "fb-policy", "locale": "de"},
    {"id": "ig-en", "url": "https://instagram.example/privacy", "title": "Instagram <Privacy> Policy"},
]  # fmt: skip

FB_V1 = document_text(
    "# How do we use your information?",
    "We may share your information with partners.",
    "# Your rights",
    "You can object to this use at any time.",
)
FB_V2 = document_text(
    "# How do we use your information?",
    "We will share your information with partners <script>alert(1)</script>.",
    "# Your rights",
    "You can object to this use at any time.",
    "# AI at Meta",
    "We use your information to train AI.",
)
FB_DE = document_text("# Wie verwenden wir deine Informationen?", "Wir teilen Informationen mit Partnern.")
IG_V1 = document_text("# Cookies", 'We use "cookies" - small files.')
IG_V2 = document_text("# Cookies", "We use “cookies” – small files.")
# The alert fb-en's change must give: record_check follows `old` with a real clause watch `sharing`.
ALERT = {
    "watch": "sharing", "kind": "changed", "severity": "high", "page": "fb-en",
    "section": ["How do we use your information?"], "old": "We may share your information with partners.",
}  # fmt: skip
DAY1, DAY2 = utc("2026-03-02 08:00"), utc("2026-03-03 08:00")


def config(**sections) -> Config:
    return make_config(PAGES, **sections)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "snapshots")


def a_busy_day(store: Store) -> None:
    """Day 0: every page captured. Day 1: fb-en changes (with an alert), fb-de hits a login wall, ig-en
    changes only its quotes and dashes."""
    for page, text in [("fb-en", FB_V1), ("fb-de", FB_DE), ("ig-en", IG_V1)]:
        record_check(store, page, utc("2026-03-01 06:00"), text=text)
    record_check(store, "fb-en", utc("2026-03-02 06:00"), text=FB_V2, alerts=[ALERT])
    record_check(store, "fb-de", utc("2026-03-02 06:00"), reason="login wall")
    record_check(store, "ig-en", utc("2026-03-02 06:00"), text=IG_V2)


def a_quiet_day(store: Store) -> None:
    for page, text in [("fb-en", FB_V1), ("fb-de", FB_DE), ("ig-en", IG_V1)]:
        record_check(store, page, utc("2026-02-28 12:00"), text=text)
        record_check(store, page, utc("2026-03-02 06:00"), text=text)


# --- what the digest reports -------------------------------------------------------------------------------


def test_substantive_changes_come_first_and_cosmetic_ones_are_grouped(store: Store) -> None:
    a_busy_day(store)
    digest = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1)
    assert [c.page for c in digest.substantive_changes] == ["fb-en"]
    assert [c.page for c in digest.cosmetic_changes] == ["ig-en"]
    fb = digest.substantive_changes[0]
    assert [(b.kind, b.section) for b in fb.substantive] == [
        ("modified", "How do we use your information?"),
        ("added", "AI at Meta"),
        ("added", "AI at Meta"),
    ]
    assert marked(fb.substantive[0].segments) == (
        "We [-may-]{+will+} share your information with partners{+ <script>alert(1)</script>+}."
    )
    assert fb.diff_command == f"privacy-monitor diff fb-en {fb.previous[:12]} {fb.version[:12]}"
    assert Path(fb.version_file).is_file()
    assert digest.subject() == "privacy-monitor 2026-03-02: 2 changes, 1 alert, 1 page in trouble"


def test_the_language_versions_of_one_document_are_listed_together(store: Store) -> None:
    pages = [PAGES[2], PAGES[0], PAGES[1]]  # ig-en first in the config, and the first to change
    for page, text in [("fb-en", FB_V1), ("fb-de", FB_DE), ("ig-en", FB_V1)]:
        record_check(store, page, utc("2026-03-01 06:00"), text=text)
    record_check(store, "ig-en", utc("2026-03-02 05:00"), text=FB_V2)
    record_check(store, "fb-en", utc("2026-03-02 06:00"), text=FB_V2)
    record_check(store, "fb-de", utc("2026-03-02 07:00"), text=FB_DE + "\nWir teilen nichts.\n")
    digest = build_digest(store, make_config(pages), utc("2026-03-01 08:00"), DAY1)
    assert [(c.page, c.version_of) for c in digest.changes] == [
        ("fb-en", "English version of fb-policy"),
        ("fb-de", "German version of fb-policy"),
        ("ig-en", None),
    ]
    assert digest.lag == []  # both languages changed


def test_a_failing_page_is_in_trouble_with_its_reason_and_since_when(store: Store) -> None:
    a_busy_day(store)
    record_check(store, "fb-de", utc("2026-03-02 07:00"), reason="login wall")
    (trouble,) = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1).trouble
    assert (trouble.page, trouble.reason, trouble.since, trouble.failures, trouble.last_success) == (
        "fb-de", "login wall", "2026-03-02T06:00:00Z", 2, "2026-03-01T06:00:00Z",
    )  # fmt: skip


def test_silence_never_looks_like_no_change(store: Store) -> None:
    """A page with no check at all in the period is reported, not left out."""
    a_quiet_day(store)
    digest = build_digest(store, config(), utc("2026-03-02 08:00"), DAY2)
    assert [(t.page, t.reason) for t in digest.trouble] == [
        ("fb-en", "not checked in this period (last checked 2026-03-02 06:00 UTC)"),
        ("fb-de", "not checked in this period (last checked 2026-03-02 06:00 UTC)"),
        ("ig-en", "not checked in this period (last checked 2026-03-02 06:00 UTC)"),
    ]
    assert not digest.quiet


def test_translation_lag_names_the_language_not_yet_updated(store: Store) -> None:
    a_busy_day(store)
    (lag,) = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1).lag
    assert (lag.document, lag.updated, lag.behind) == (
        "fb-policy", ["English (fb-en)"], [("German (fb-de)", "2026-03-01T06:00:00Z", "login wall")],
    )  # fmt: skip


def test_a_cosmetic_change_alone_causes_no_translation_lag(store: Store) -> None:
    a_quiet_day(store)
    record_check(store, "fb-en", utc("2026-03-02 07:00"), text=FB_V1.replace("partners.", "partners!"))
    digest = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1)
    assert [c.page for c in digest.cosmetic_changes] == ["fb-en"]
    assert digest.lag == []


def test_the_plain_text_part_reads_like_this(store: Store) -> None:
    a_busy_day(store)
    digest = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1)
    fb, _ = digest.changes
    text = render_text(digest)
    assert text == EXPECTED_TEXT.format(fb=fb, space=" ")  # "-- ": the signature mark


EXPECTED_TEXT = """\
PRIVACY NOTICE DIGEST
2026-03-01 08:00 UTC to 2026-03-02 08:00 UTC
3 of 3 pages checked (3 checks), 1 in trouble.

== ALERTS (1) ==

[HIGH] Facebook Privacy Policy: watch sharing changed
  Section: How do we use your information?
  We [-may-]{{+will+}} share your information with partners{{+ <script>alert(1)</script>+}}.

== CHANGES (1) ==

--- Facebook Privacy Policy (English version of fb-policy), changed 2026-03-02 06:00 UTC
    1 section added · 3 substantive changes
    Page: https://facebook.example/privacy
    Full comparison: attached ({fb.report_name})
    New sections: AI at Meta

    The substantive changes:

  * Changed in How do we use your information? [watched: sharing]
    touches: sharing, third parties; may, will (permission or duty); 1 (numbers)
    We [-may-]{{+will+}} share your information with partners{{+ <script>alert(1)</script>+}}.

  * New text in AI at Meta
    touches: AI
    {{+AI at Meta+}}

  * New text in AI at Meta
    touches: AI, AI training
    {{+We use your information to train AI.+}}

== COSMETIC CHANGES ONLY (1) ==
  - Instagram <Privacy> Policy, 2026-03-02 06:00 UTC: 1 cosmetic edit

== TRANSLATION LAG ==
  fb-policy: English (fb-en) changed;
    German (fb-de) not yet updated (its text dates from 2026-03-01 06:00 UTC; not seen lately: login wall)

== PAGES IN TROUBLE (1) ==
  ! Facebook Datenrichtlinie (fb-de): login wall
    failing since 2026-03-02 06:00 UTC (1 failed check); last good check 2026-03-01 06:00 UTC
    https://facebook.example/de/privacy
  Changes on these pages would not be seen until they are fetched again.

--{space}
You receive this digest because your address is on this privacy-monitor's digest list; to change what you \
receive (which pages and wordings, at what time, at which address), ask whoever runs it to change [[pages]], \
[[watches]], [digest] time or [digest] to in its config.
"""


def test_the_html_part_escapes_every_page_derived_string(store: Store) -> None:
    a_busy_day(store)
    html = render_html(build_digest(store, config(), utc("2026-03-01 08:00"), DAY1))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Instagram &lt;Privacy&gt; Policy" in html
    assert '<del style="' in html and '<ins style="' in html  # inline CSS, no <style> block
    assert "<style" not in html


def test_a_quiet_digest_says_the_monitor_is_alive(store: Store) -> None:
    a_quiet_day(store)
    digest = build_digest(store, config(), utc("2026-03-01 08:00"), DAY1)
    assert digest.quiet
    assert digest.subject() == "privacy-monitor 2026-03-02: all quiet (3 of 3 pages checked)"
    assert "All quiet: 3 pages checked, 0 failed. No wording changed in this period." in render_text(digest)


# --- word diffs: nothing is lost when long unchanged text is elided ----------------------------------------

words = st.lists(
    st.sampled_from(["we", "may", "will", "share", "data", "not", "all", "accounts", ","]), max_size=60
)


@given(words, words)
def test_the_segments_of_a_word_diff_rebuild_both_texts(old_words, new_words) -> None:
    old, new = " ".join(old_words), " ".join(new_words)
    segments = list(ops_segments(word_diff(old, new)))
    assert "".join(s.text for s in segments if s.kind in ("same", "del")) == old
    assert "".join(s.text for s in segments if s.kind in ("same", "ins")) == new


@given(words, words)
def test_eliding_keeps_every_edit_in_order(old_words, new_words) -> None:
    segments = list(ops_segments(word_diff(" ".join(old_words), " ".join(new_words))))
    kept = elide(segments, context=3)
    assert [s for s in kept if s.kind in ("del", "ins")] == [s for s in segments if s.kind in ("del", "ins")]


def test_eliding_keeps_a_few_words_around_an_edit() -> None:
    long = " ".join(f"w{i}" for i in range(40))
    segments = [
        Segment("same", long + " "),
        Segment("del", "may"),
        Segment("ins", "will"),
        Segment("same", " " + long),
    ]
    assert marked(elide(segments, context=3)) == "… w37 w38 w39 [-may-]{+will+} w0 w1 w2 …"


# --- exactly once ------------------------------------------------------------------------------------------


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp_port(inbox: Inbox):
    with smtp_server(inbox) as port:
        yield port


def mailer(store: Store, port: int, clock: FakeClock, send=None, notify=None, **digest) -> DigestMailer:
    cfg = config(
        notify={**email_section(port), **(notify or {})},
        digest={"time": "08:00", "timezone": "UTC", **digest},
    )
    options = {"send": send} if send else {}
    return DigestMailer(loaded(cfg, store.root.parent), store, clock, **options)


def states(store: Store) -> list[tuple[str, str]]:
    return [(entry["period"], entry["state"]) for entry in store.ledger.lines()]


def test_a_period_is_sent_once_and_a_restart_does_not_send_it_again(store, inbox, smtp_port) -> None:
    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00:30"))
    assert mailer(store, smtp_port, clock).run(clock()) == ["2026-03-02T08:00:00Z"]
    assert mailer(store, smtp_port, clock).run(clock.advance(minutes=5)) == []  # a new mailer: a restart
    (message,) = inbox.messages
    # a_busy_day recorded its alert without delivering it (record_check: deliver=False): still in the outbox
    assert message["Subject"] == (
        "privacy-monitor 2026-03-02: 2 changes, 1 alert, 1 page in trouble, 1 alert not delivered"
    )
    assert message["To"] == "reader@example.org"
    assert message["X-Privacy-Monitor-Period"] == "2026-03-01T08:00:00Z/2026-03-02T08:00:00Z"
    body, attachment = message.iter_parts()
    assert [part.get_content_type() for part in body.iter_parts()] == ["text/plain", "text/html"]
    assert (attachment.get_content_type(), attachment.get_filename()) == (
        "text/html",
        build_digest(store, config(), utc("2026-03-01 08:00"), DAY1).changes[0].report_name,
    )
    assert states(store) == [("2026-03-02T08:00:00Z", "sending"), ("2026-03-02T08:00:00Z", "sent")]
    assert store.ledger.lines()[0]["message_id"] == message["Message-ID"]


def test_an_smtp_failure_is_retried_on_the_next_run(store, inbox, smtp_port) -> None:
    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))
    inbox.refuse = True
    assert mailer(store, smtp_port, clock).run(clock()) == []
    inbox.refuse = False
    assert mailer(store, smtp_port, clock).run(clock.advance(minutes=5)) == ["2026-03-02T08:00:00Z"]
    assert mailer(store, smtp_port, clock).run(clock.advance(minutes=5)) == []
    assert len(inbox.messages) == 1
    assert [state for _, state in states(store)] == ["sending", "failed", "sent"]


def test_a_digest_is_abandoned_after_the_configured_attempts(store, inbox, smtp_port) -> None:
    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))
    inbox.refuse = True
    mail = mailer(store, smtp_port, clock, notify={"max_attempts": 2})
    for _ in range(3):
        mail.run(clock.advance(minutes=5))
    assert [state for _, state in states(store)] == ["sending", "failed", "failed", "abandoned"]


def test_a_prepared_digest_lost_from_the_store_is_abandoned_with_its_reason(store, inbox, smtp_port) -> None:
    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))
    inbox.refuse = True
    mailer(store, smtp_port, clock).run(clock())
    (store.root / "digest" / "2026-03-02T0800Z.eml").unlink()
    inbox.refuse = False
    assert mailer(store, smtp_port, clock).run(clock.advance(minutes=5)) == []
    last = store.ledger.lines()[-1]
    assert (last["state"], last["reason"]) == (
        "abandoned",
        f"{store.root / 'digest' / '2026-03-02T0800Z.eml'}: cannot read the prepared digest (No such file or directory)",
    )
    assert inbox.messages == []


class Crash(BaseException):
    """The process dies here (a BaseException: nothing in the code under test may catch it)."""


def test_a_crash_before_the_server_accepted_the_digest_sends_it_once_after_restart(store, inbox, smtp_port):
    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))

    def dies_before_sending(*args) -> None:
        raise Crash

    with pytest.raises(Crash):
        mailer(store, smtp_port, clock, send=dies_before_sending).run(clock())
    assert mailer(store, smtp_port, clock).run(clock.advance(minutes=1)) == ["2026-03-02T08:00:00Z"]
    assert len(inbox.messages) == 1
    assert [state for _, state in states(store)] == ["sending", "sent"]


def test_a_crash_after_the_server_accepted_it_resends_with_the_same_message_id(store, inbox, smtp_port):
    """The one window at-least-once leaves: both copies carry one Message-ID, so mail clients show one."""
    from monitor.notify.email import smtp_deliver as send_message

    a_busy_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))

    def dies_after_sending(*args) -> None:
        send_message(*args)
        raise Crash

    with pytest.raises(Crash):
        mailer(store, smtp_port, clock, send=dies_after_sending).run(clock())
    mailer(store, smtp_port, clock).run(clock.advance(minutes=1))
    first, second = inbox.messages
    assert first["Message-ID"] == second["Message-ID"]
    assert first.as_bytes(policy=email.policy.SMTP) == second.as_bytes(policy=email.policy.SMTP)


def test_no_digest_before_the_first_check(store, inbox, smtp_port) -> None:
    clock = FakeClock(utc("2026-03-02 08:00"))
    assert mailer(store, smtp_port, clock).run(clock()) == []  # a new store: nothing to report yet
    record_check(store, "fb-en", utc("2026-03-02 09:00"), text=FB_V1)
    assert mailer(store, smtp_port, clock).run(clock.advance(days=1)) == ["2026-03-03T08:00:00Z"]
    assert inbox.messages[0]["X-Privacy-Monitor-Period"] == "2026-03-02T08:00:00Z/2026-03-03T08:00:00Z"
    assert states(store) == [("2026-03-03T08:00:00Z", "sending"), ("2026-03-03T08:00:00Z", "sent")]


def test_a_quiet_period_is_not_mailed_when_told_so_but_still_recorded(store, inbox, smtp_port) -> None:
    a_quiet_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))
    assert mailer(store, smtp_port, clock, send_when_quiet=False).run(clock()) == []
    assert inbox.messages == []
    assert states(store) == [("2026-03-02T08:00:00Z", "quiet")]


class PickyInbox(Inbox):
    """Refuses some recipients at RCPT time: `refuse[address]` is the reply (550 for good, 450 for now)."""

    def __init__(self, refuse: dict[str, str]) -> None:
        super().__init__()
        self.refuse_rcpt = refuse
        self.to: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802 - aiosmtpd's name
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        self.to.append(list(envelope.rcpt_tos))
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def two_readers(store: Store, other: str, reply: str) -> Iterator[tuple[DigestMailer, PickyInbox, FakeClock]]:
    """The busy day's digest for reader@ and `other`, whom the server answers `reply` at RCPT time."""
    a_busy_day(store)
    inbox = PickyInbox({other: reply})
    clock = FakeClock(utc("2026-03-02 08:00"))
    with smtp_server(inbox) as port:
        yield mailer(store, port, clock, to=["reader@example.org", other]), inbox, clock


def test_a_reader_refused_for_good_is_given_up_alone_and_the_others_get_one_copy(store) -> None:
    """A digest used to be sent again as a whole while one address was refused: up to max_attempts copies."""
    with two_readers(store, "gone@example.org", "550 5.1.1 no such user") as (mail, inbox, clock):
        assert mail.run(clock()) == ["2026-03-02T08:00:00Z"]
        assert mail.run(clock.advance(hours=1)) == []
    assert inbox.to == [["reader@example.org"]]
    last = store.ledger.lines()[-1]
    assert (last["state"], last["refused"]) == ("sent", {"gone@example.org": "550 5.1.1 no such user"})


def test_a_reader_refused_for_now_is_sent_it_again_alone_after_the_backoff(store) -> None:
    with two_readers(store, "busy@example.org", "450 4.2.1 mailbox busy") as (mail, inbox, clock):
        assert mail.run(clock()) == []
        assert mail.run(clock.advance(minutes=4)) == []  # notify.retry_backoff (5m) has not passed
        del inbox.refuse_rcpt["busy@example.org"]
        assert mail.run(clock.advance(minutes=1)) == ["2026-03-02T08:00:00Z"]
    assert inbox.to == [["reader@example.org"], ["busy@example.org"]]
    assert len({str(message["Message-ID"]) for message in inbox.messages}) == 1
    assert [state for _, state in states(store)] == ["sending", "failed", "sent"]


def test_failed_digests_back_off_and_one_not_delivered_by_the_next_goes_into_it(
    store, inbox, smtp_port
) -> None:
    """A server down for a day used to use up every attempt in minutes and lose that day from every digest."""
    a_busy_day(store)
    inbox.refuse = True
    clock = FakeClock(utc("2026-03-02 08:00"))
    mail = mailer(store, smtp_port, clock)
    mail.run(clock())
    for _ in range(12):  # every 5 minutes, as the service's retry job
        mail.run(clock.advance(minutes=5))
    failed = [entry["time"] for entry in store.ledger.lines() if entry["state"] == "failed"]
    assert failed == [
        "2026-03-02T08:00:00Z",
        "2026-03-02T08:05:00Z",
        "2026-03-02T08:15:00Z",
        "2026-03-02T08:35:00Z",
    ]
    assert mail.run(utc("2026-03-03 08:00")) == []  # still down when the next digest is due
    inbox.refuse = False
    assert mail.run(utc("2026-03-03 08:05")) == ["2026-03-03T08:00:00Z"]
    (message,) = inbox.messages
    assert message["X-Privacy-Monitor-Period"] == "2026-03-01T08:00:00Z/2026-03-03T08:00:00Z"
    assert str(message["Subject"]).startswith("privacy-monitor 2026-03-03: 2 changes, 1 alert")
    assert [(period, state) for period, state in states(store) if state in ("superseded", "sent")] == [
        ("2026-03-02T08:00:00Z", "superseded"),
        ("2026-03-03T08:00:00Z", "sent"),
    ]


def test_an_abandoned_digest_s_time_goes_into_the_next_one(store, inbox, smtp_port) -> None:
    a_busy_day(store)
    inbox.refuse = True
    clock = FakeClock(utc("2026-03-02 08:00"))
    mail = mailer(store, smtp_port, clock, notify={"max_attempts": 2})
    mail.run(clock())
    mail.run(clock.advance(minutes=5))
    assert [state for _, state in states(store)] == ["sending", "failed", "failed", "abandoned"]
    inbox.refuse = False
    assert mail.run(utc("2026-03-03 08:00")) == ["2026-03-03T08:00:00Z"]
    assert inbox.messages[0]["X-Privacy-Monitor-Period"] == "2026-03-01T08:00:00Z/2026-03-03T08:00:00Z"


def test_a_digest_missed_by_more_than_the_grace_is_covered_by_the_next_one(store, inbox, smtp_port) -> None:
    a_quiet_day(store)
    clock = FakeClock(utc("2026-03-01 08:00"))
    mailer(store, smtp_port, clock).run(clock())  # the period ending 2026-03-01 08:00
    record_check(store, "fb-en", utc("2026-03-02 06:00"), text=FB_V2)  # changes while the service is down
    assert mailer(store, smtp_port, clock).run(utc("2026-03-02 21:00")) == []  # 13 h late: not sent late
    assert mailer(store, smtp_port, clock).run(utc("2026-03-03 08:00")) == ["2026-03-03T08:00:00Z"]
    assert inbox.messages[-1]["X-Privacy-Monitor-Period"] == "2026-03-01T08:00:00Z/2026-03-03T08:00:00Z"
    assert "2 changes" not in str(inbox.messages[-1]["Subject"]) and "1 change" in str(
        inbox.messages[-1]["Subject"]
    )


def test_a_missing_password_is_named_in_the_ledger_and_never_shown(store, smtp_port, monkeypatch) -> None:
    a_busy_day(store)
    cfg = config(notify=email_section(smtp_port, username="u", password_env="PM_TEST_SMTP_PASSWORD"))
    monkeypatch.delenv("PM_TEST_SMTP_PASSWORD", raising=False)
    clock = FakeClock(utc("2026-03-02 08:00"))
    mail = DigestMailer(loaded(cfg, store.root.parent), store, clock)
    mail.run(clock())
    (failed,) = [entry for entry in store.ledger.lines() if entry["state"] == "failed"]
    assert failed["reason"] == (
        "notify.email.password_env: environment variable PM_TEST_SMTP_PASSWORD is not set "
        "(export it for the service, or use password_file)"
    )


def test_message_ids_differ_between_periods(store, inbox, smtp_port) -> None:
    a_quiet_day(store)
    clock = FakeClock(utc("2026-03-02 08:00"))
    mail = mailer(store, smtp_port, clock)
    mail.run(clock())
    mail.run(clock.advance(days=1))
    assert len({message["Message-ID"] for message in inbox.messages}) == 2
