"""What a person reads: alerts nobody will be sent are said where they happen, times read one way everywhere
(the digest's zone, to the minute), counts are worded right, mails show no command line, a page with nothing
stored is a hint (exit 0), and the digest's change list marks exactly the changes its alerts name."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock, document_text, make_config, record_check, utc
from smtp_support import Inbox, smtp_server

from monitor.cli.commands.service_cmds import HumanLines
from monitor.cli.output import kept_alerts_line
from monitor.config.loading import load_config
from monitor.diff.core import diff_documents
from monitor.diff.summary import summarize
from monitor.models import Document
from monitor.notify.base import build_notifiers
from monitor.notify.digest import build_digest
from monitor.notify.digest_render import compose, render_html, render_text
from monitor.notify.message import ALERT_FOOTER, DIGEST_FOOTER, render_alerts
from monitor.notify.outbox import Outbox
from monitor.store.core import Store
from monitor.watch.alerts import Alert

CLAUSE = "Your objection applies to every account in the same Accounts Center."
OTHER = "We use information to improve our products."


FILLER = " ".join(
    f"This policy explains in plain words how we handle information number {i}." for i in range(12)
)


def page_html(clause: str, other: str = OTHER) -> str:
    return (
        "<html><body><main><h1>Privacy Policy</h1><h2>How we work</h2>"
        f"<p>{FILLER}</p><h2>Your rights</h2><p>{other}</p><p>{clause}</p></main></body></html>"
    )


WATCH = f"""
[[watches]]
id = "scope"
pages = ["policy"]
kind = "clause"
text = "{CLAUSE}"
severity = "high"

[[watches]]
id = "products"
pages = ["policy"]
kind = "term"
text = "products"
severity = "medium"
"""
ZONE = '[digest]\ntimezone = "Europe/Berlin"\n'
# Every "N noun" a reader could see wrongly inflected: the nouns this tool counts.
SINGULAR = "alert|page|check|change|recipient|attempt|entry|message|watch|passage|version|edit|section"
PLURAL = "alerts|pages|checks|changes|recipients|attempts|entries|messages|watches|passages|versions|edits|sections"
WRONG_ONE = re.compile(rf"(?<![\d,.])1 (?:[a-z-]+ ){{0,2}}(?:{PLURAL})\b")
WRONG_MANY = re.compile(rf"(?<![\d,.])(?:[02-9]|\d{{2,}}) (?:[a-z-]+ ){{0,2}}(?:{SINGULAR})\b(?![-'])")
COMMAND = re.compile(r"privacy-monitor (?:diff|watches|outbox|status|check|digest|show|history)\b")


class Clock(FakeClock):
    def __init__(self) -> None:
        super().__init__(datetime(2026, 5, 13, 9, 30, 15, 500000, tzinfo=UTC))


@pytest.fixture
def served(httpserver: HTTPServer) -> HTTPServer:
    return httpserver


def project(tmp_path: Path, server: HTTPServer, *, extra: str = "") -> Path:
    return write_project(tmp_path, {"policy": server.url_for("/policy")}, head=ZONE, extra=WATCH + extra)


def serve(server: HTTPServer, html: str) -> None:
    server.clear()
    server.expect_request("/policy").respond_with_data(html, content_type="text/html")


def two_checks(tmp_path: Path, server: HTTPServer, clock: Clock, *, extra: str = "") -> tuple[Path, str]:
    """A first check, then one a day later where the watched clause is reworded: its alert."""
    config = project(tmp_path, server, extra=extra)
    serve(server, page_html(CLAUSE))
    assert run_cli(config, clock, "check")[0] == 0
    clock.advance(days=1)
    serve(server, page_html(CLAUSE.replace("every account", "the account you are logged in to")))
    code, output = run_cli(config, clock, "check")
    return config, output if code == 0 else f"exit {code}: {output}"


# -- 1. alerts nobody will be sent --------------------------------------------------------------------------


def test_without_a_notifier_check_says_where_the_alert_is_kept_and_still_exits_0(
    tmp_path: Path, served
) -> None:
    clock = Clock()
    config, output = two_checks(tmp_path, served, clock)
    assert output.splitlines()[-1] == (
        "1 alert not sent: no notifier is configured, so it is kept for the digest and `privacy-monitor watches`;"
        f" to receive alerts, add a [notify.email] or [notify.apprise] section to {config}"
    )
    code, listing = run_cli(config, clock, "outbox")
    assert code == 0
    assert listing.splitlines()[:2] == ["1 alert: 1 pending, 0 given up", output.splitlines()[-1]]
    assert "         not sent: no notifier is configured" in listing.splitlines()
    assert kept_alerts_line(load_config(config), clock) == output.splitlines()[-1]  # what `status` says


def test_with_a_notifier_nothing_is_said_about_keeping_alerts(tmp_path: Path, served) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        extra = f'\n[notify.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "m@example.org"\nto = ["r@example.org"]\n'
        clock = Clock()
        config, output = two_checks(tmp_path, served, clock, extra=extra)
    assert "not sent" not in output and len(inbox.messages) == 1
    assert kept_alerts_line(load_config(config), clock) is None


def test_the_service_log_says_where_an_undeliverable_alert_is_kept(tmp_path: Path, served, caplog) -> None:
    from monitor.pipeline.check import Context
    from monitor.service.runner import Service

    clock = Clock()
    config = project(tmp_path, served)
    serve(served, page_html(CLAUSE))
    assert run_cli(config, clock, "check")[0] == 0
    clock.advance(days=1)
    serve(served, page_html(CLAUSE.replace("every account", "the account you are logged in to")))
    cfg = load_config(config)
    service = Service(Context(cfg, Store(cfg.store_path, clock=clock), clock=clock))
    with caplog.at_level(logging.INFO, logger="monitor.service.runner"):
        service.check(cfg.config.pages[0])
    messages = [record.getMessage() for record in caplog.records]
    assert (
        f"policy: 1 alert not sent: no notifier is configured, so it is kept for the digest and `privacy-monitor watches`; to receive alerts, add a [notify.email] or [notify.apprise] section to {config}"
        in messages
    )
    assert any(m.startswith("policy: changed ") and m.endswith(", 1 alert") for m in messages)


def _alert(watch: str, severity: str = "high", kind: str = "changed") -> Alert:
    return Alert(
        id=f"id-{watch}", watch=watch, kind=kind, severity=severity, page="policy", version="b" * 64,
        previous="a" * 64, time="2026-05-13T09:30:15Z", old="old words", new="new words",
    )  # fmt: skip


def test_outbox_counts_every_alert_of_a_message_and_lists_each(tmp_path: Path, served) -> None:
    clock = Clock()
    config = project(tmp_path, served)
    cfg = load_config(config)
    box = Outbox(Store(cfg.store_path, clock=clock), clock, cfg.config.notify)
    box.put_message([_alert("scope"), _alert("products", "medium"), _alert("third", "low")])
    box.put(_alert("fourth"))
    code, output = run_cli(config, clock, "outbox")
    lines = output.splitlines()
    assert code == 0
    assert lines[0] == "4 alerts in 2 messages: 4 pending, 0 given up"
    assert (
        "         also: products changed (medium)" in lines and "         also: third changed (low)" in lines
    )
    assert lines[1].startswith("4 alerts not sent: no notifier is configured, so they are kept")


def test_outbox_names_the_recipient_the_server_refused_for_good(tmp_path: Path, served) -> None:
    class Refusing(Inbox):
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
            if address.startswith("gone@"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

    inbox = Refusing()
    with smtp_server(inbox) as port:
        extra = f'\n[notify.email]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nfrom = "m@example.org"\nto = ["r@example.org", "gone@example.org"]\n'
        clock = Clock()
        config = project(tmp_path, served, extra=extra)
        cfg = load_config(config)
        box = Outbox(Store(cfg.store_path, clock=clock), clock, cfg.config.notify)
        box.put(_alert("scope"))
        box.deliver(build_notifiers(cfg.config.notify, base_dir=cfg.base_dir))
        code, output = run_cli(config, clock, "outbox")
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == "1 alert: 0 pending, 1 given up"
    assert "         email: sent 2026-05-13 11:30 CEST to 1 of 2 recipients" in lines
    assert (
        "         email: gone@example.org refused (550 5.1.1 no such user), given up for this address"
        in lines
    )


# -- 2. periods and times -----------------------------------------------------------------------------------


def test_a_digest_of_the_period_in_progress_includes_a_check_made_this_second(tmp_path: Path, served) -> None:
    clock = Clock()
    config = project(tmp_path, served)
    serve(served, page_html(CLAUSE))
    assert run_cli(config, clock, "check")[0] == 0
    clock.set(clock.now + timedelta(microseconds=200000))  # the same second as the check
    assert run_cli(config, clock, "check")[0] == 0
    out = tmp_path / "digest.txt"
    code, _ = run_cli(config, clock, "digest", "--since", "2026-05-13", "--out", str(out))
    assert code == 0
    assert "1 of 1 page checked (2 checks)" in out.read_text()


def test_an_error_raised_below_the_cli_shows_its_times_in_the_digest_zone(tmp_path: Path, served) -> None:
    clock = Clock()
    config = project(tmp_path, served)
    serve(served, page_html(CLAUSE))
    assert run_cli(config, clock, "check")[0] == 0
    code, output = run_cli(config, clock, "show", "policy", "2020-01-01")
    assert code == 2
    assert "tracking started 2026-05-13 11:30 CEST" in output
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", output)
    code, output = run_cli(config, clock, "diff", "policy", "2020-01-01", "latest")
    assert (code, "tracking started 2026-05-13 11:30 CEST" in output) == (2, True)


def test_service_log_lines_read_times_in_the_digest_zone_to_the_minute() -> None:
    record = logging.LogRecord("monitor.service.runner", logging.INFO, __file__, 1,
                               "digest %s: sent to %s", ("2026-12-06T07:00:00Z", "1 recipient"), None)  # fmt: skip
    record.created = datetime(2026, 12, 6, 4, 5, 2, tzinfo=UTC).timestamp()
    line = HumanLines(ZoneInfo("Europe/Berlin")).format(record)
    assert line == "2026-12-06 05:05 CET INFO    digest 2026-12-06 08:00 CET: sent to 1 recipient"


# -- 2. plurals: every message template with 1 and 2 --------------------------------------------------------


def _wrong_counts(text: str) -> list[str]:
    return [m.group() for m in WRONG_ONE.finditer(text)] + [m.group() for m in WRONG_MANY.finditer(text)]


@pytest.mark.parametrize("n", [1, 2])
def test_alert_mails_word_their_counts_right_with_1_and_2(n: int) -> None:
    alerts = [_alert(f"watch{i}") for i in range(n + 1)]
    section = Alert(
        id="sec", watch="section-w", kind="changed", severity="high", page="policy", version="b" * 64,
        previous="a" * 64, time="2026-05-13T09:30:15Z", watch_kind="section",
        details={"count": n + 3, "changes": [{"kind": "modified", "old": f"a{i}", "new": f"b{i}"} for i in range(3 + n)]},
    )  # fmt: skip
    for group in (alerts[:n], [section, *alerts[: n - 1]], alerts):
        rendered = render_alerts(group, zone=ZoneInfo("Europe/Berlin"))
        for text in (rendered.subject, rendered.text, re.sub(r"<[^>]+>", "", rendered.html)):
            assert _wrong_counts(text) == [], text


@pytest.mark.parametrize("n", [1, 2])
def test_digests_word_their_counts_right_with_1_and_2(tmp_path: Path, n: int) -> None:
    store = Store(tmp_path / "snapshots")
    pages = [{"id": f"p{i}", "url": f"https://example.org/{i}", "title": f"Page {i}"} for i in range(n)]
    day = utc("2026-05-13 06:00")
    for i in range(n):
        record_check(
            store, f"p{i}", day, text=document_text("# A", "We may share data.", "x y z"), url=pages[i]["url"]
        )
        for k in range(n):
            record_check(store, f"p{i}", day + timedelta(hours=1 + k),
                         text=document_text("# A", f"We will share data {k}.", f"x y z {k}"), url=pages[i]["url"])  # fmt: skip
    config = make_config(pages, digest={"timezone": "Europe/Berlin"})
    digest = build_digest(store, config, utc("2026-05-13 00:00"), utc("2026-05-14 00:00"))
    for text in (render_text(digest), re.sub(r"<[^>]+>", "", render_html(digest)), digest.subject()):
        assert _wrong_counts(text) == [], text


# -- 5. mails for readers -----------------------------------------------------------------------------------


def test_an_alert_mail_links_to_the_report_site_and_shows_no_command_line() -> None:
    alert = _alert("scope")
    with_link = render_alerts([alert], base_url="https://reports.example/pm/", zone=ZoneInfo("Europe/Berlin"))
    without = render_alerts([alert], zone=ZoneInfo("Europe/Berlin"))
    link = f"https://reports.example/pm/changes/policy-{'a' * 12}-{'b' * 12}.html"
    assert f"Full comparison: {link}" in with_link.text and f'href="{link}"' in with_link.html
    for rendered in (with_link, without):
        assert not COMMAND.search(rendered.text) and not COMMAND.search(rendered.html)
        assert rendered.text.rstrip().endswith(ALERT_FOOTER)
        assert ALERT_FOOTER in unescape(rendered.html)
        assert "checked 2026-05-13 11:30 CEST" in rendered.text


def test_a_digest_mail_attaches_the_full_comparison_links_it_and_shows_no_command_line(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "snapshots")
    url = "https://example.org/policy"
    record_check(
        store, "policy", utc("2026-05-13 06:00"), text=document_text("# A", "We may share data."), url=url
    )
    record_check(
        store, "policy", utc("2026-05-13 07:00"), text=document_text("# A", "We will share data."), url=url
    )
    config = make_config([{"id": "policy", "url": url}], digest={"timezone": "Europe/Berlin"})
    digest = build_digest(store, config, utc("2026-05-13 00:00"), utc("2026-05-14 00:00"))
    for base_url in (None, "https://reports.example"):
        mail = compose(digest, sender="m@example.org", to=["r@example.org"], message_id="<d@x>",
                       now=utc("2026-05-14 06:00"), base_url=base_url)  # fmt: skip
        body = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        assert [part.get_filename() for part in mail.iter_attachments()] == [digest.changes[0].report_name]
        assert not COMMAND.search(body) and not COMMAND.search(html)
        assert body.rstrip().endswith(DIGEST_FOOTER) and DIGEST_FOOTER in unescape(html)
        if base_url:
            assert f"Full comparison: {digest.changes[0].link(base_url)}" in body
    assert "privacy-monitor diff policy" in render_text(digest, commands=True, attached=())  # at a terminal


# -- exit codes against the README --------------------------------------------------------------------------


def test_diff_of_a_configured_page_with_nothing_stored_is_a_hint_with_exit_0(tmp_path: Path, served) -> None:
    config = project(tmp_path, served)
    for args in (("diff", "policy"), ("diff", "policy", "previous", "latest")):
        assert run_cli(config, Clock(), *args) == (
            0,
            "policy: no version stored yet (run `privacy-monitor check policy`)\n",
        )
    assert run_cli(config, Clock(), "diff", "nosuch", "previous", "latest")[0] == 2


# -- issue 23: the change list marks what the alerts name ---------------------------------------------------


def test_the_change_list_marks_a_change_watched_only_where_the_watch_decided_so() -> None:
    old = Document.from_text(document_text("# Rights", f"{OTHER} {CLAUSE}", "Other text here."))
    # The paragraph holding the clause changes elsewhere; the clause itself stays: the watch raises nothing.
    new = Document.from_text(
        document_text("# Rights", f"We use information to improve AI. {CLAUSE}", "Other text here.")
    )
    diff = diff_documents(old, new)
    watch = make_config([{"id": "policy", "url": "https://example.org/"}],
                        watches=[{"id": "scope", "pages": ["policy"], "kind": "clause", "text": CLAUSE}]).watches  # fmt: skip
    assert summarize(diff, watched=watch).highlights[0].watched == ("scope",)  # by the clause's string alone
    assert summarize(diff, watched=watch, alerts=[]).highlights[0].watched == ()  # by the watch's decision
    reworded = CLAUSE.replace("every account", "the account you are logged in to")
    diff = diff_documents(
        old, Document.from_text(document_text("# Rights", f"{OTHER} {reworded}", "Other text here."))
    )
    alert = {"watch": "scope", "watch_kind": "clause", "old": CLAUSE, "new": reworded,
             "details": {"reason": "same place in section Rights, between the same two sentences"}}  # fmt: skip
    assert summarize(diff, watched=watch, alerts=[alert]).highlights[0].watched == ("scope",)
