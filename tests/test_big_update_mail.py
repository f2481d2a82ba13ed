"""Meta's update of 16 December 2025, end to end: the two real captures of the printable privacy policy served
in turn on loopback, checked by the real pipeline with the page's region rules, a section watch and a clause
watch; then the alert and the day's digest go through a real SMTP server (aiosmtpd).

Before issue 11 that day's digest was 1.39 MB (a 1 MB HTML part, clipped by every mail client) and each
alert 58-209 KB. Now each inline part stays under 100 KB, the digest opens each page with its summary, and
the complete comparison travels as an attachment."""

from __future__ import annotations

import email.message
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from service_support import FakeClock, Inbox, email_section, loaded, make_config, smtp_server, utc

from monitor.diff.summary import summarize
from monitor.notify.digest_mail import DigestMailer
from monitor.notify.digest_render import MAX_INLINE
from monitor.notify.message import render_alerts
from monitor.pipeline.check import Context, check_page
from monitor.pipeline.deliver import deliver_run
from monitor.store.core import Store

pytestmark = pytest.mark.corpus
CAPTURES = "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"
BEFORE, AFTER = "2025-12-11T23-35-48Z_5411edc4.html", "2025-12-16T23-35-44Z_a98ddaea.html"
TITLE = "Meta Privacy Policy (printable)"
CLAUSE = (
    "This Privacy Policy applies to what we call Meta Products, or Products. "
    "Our Products include Facebook, Instagram, and Messenger."
)


def inline_sizes(message: email.message.EmailMessage) -> list[int]:
    """Bytes of each text part shown in the mail body, as sent (transfer-encoded)."""
    return [
        len(part.get_payload())
        for part in message.walk()
        if part.get_content_maintype() == "text" and not part.get_filename()
    ]


def test_the_december_2025_update_arrives_as_one_alert_and_a_digest_a_phone_can_show(
    corpus: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    def serve(name: str) -> None:
        httpserver.clear()
        body = (corpus / CAPTURES / name).read_bytes()
        httpserver.expect_request("/privacy/policy/printable/").respond_with_data(
            body, content_type="text/html; charset=utf-8"
        )

    inbox = Inbox()
    with smtp_server(inbox) as port:
        page = {
            "id": "meta-privacy-printable",
            "url": httpserver.url_for("/privacy/policy/printable/"),
            "title": TITLE,
            "select": ["#root"],
            "remove": ["img"],
        }
        watches = [
            {"id": "third-parties", "pages": [page["id"]], "kind": "section",
             "text": "How do we share information with third parties?", "severity": "medium"},
            {"id": "products-covered", "pages": [page["id"]], "kind": "clause", "text": CLAUSE,
             "severity": "high"},
        ]  # fmt: skip
        config = make_config(
            [page],
            watches=watches,
            fetch={"retries": 0, "timeout": 10},
            notify=email_section(port),
            digest={"time": "08:00", "timezone": "UTC"},
            report={"base_url": "https://example.org/privacy-monitor/"},
        )
        store = Store(tmp_path / "snapshots")
        clock = FakeClock(utc("2025-12-11 23:35"))
        ctx = Context(loaded(config, tmp_path), store, clock=clock)
        (configured,) = config.pages

        serve(BEFORE)
        assert str(check_page(ctx, configured).record.outcome) == "new"
        serve(AFTER)
        clock.set(utc("2025-12-16 23:35"))
        result = check_page(ctx, configured)
        deliver_run(ctx, [result])  # the run delivers once its checks are recorded
        clock.set(utc("2025-12-17 08:00:30"))
        assert DigestMailer(loaded(config, tmp_path), store, clock).run(clock()) == ["2025-12-17T08:00:00Z"]

    assert str(result.record.outcome) == "changed"
    assert sorted((alert.watch, alert.kind) for alert in result.alerts) == [
        ("products-covered", "changed"),
        ("third-parties", "changed"),
    ]
    *alert_mails, digest = inbox.messages
    (alert_mail,) = alert_mails  # one mail for the check, listing both alerts
    for message in inbox.messages:
        assert all(size < MAX_INLINE for size in inline_sizes(message)), str(message["Subject"])

    summary = summarize(result.diff, watched=config.watches)
    one = render_alerts(result.alerts, configured, summary=summary)
    assert one.subject == (f"[privacy-monitor] {TITLE}: products-covered changed (high) and 1 more alert")
    assert str(alert_mail["Subject"]) == one.subject
    # The delivered mail opens with the summary stored at check time, as render_alerts shows it.
    assert f"Change:   {summary.line()}" in alert_mail.get_body(("plain",)).get_content()
    # [report] base_url: the delivered alert links the change page the report site has for this change.
    change_page = (
        "https://example.org/privacy-monitor/changes/meta-privacy-printable-"
        f"{result.record.previous[:12]}-{result.record.version[:12]}.html"
    )
    assert f"Full comparison: {change_page}" in alert_mail.get_body(("plain",)).get_content()
    assert max(len(one.text.encode()), len(one.html.encode())) < MAX_INLINE
    assert one.text.splitlines()[:4] == [
        f"2 watches on {TITLE} fired, most severe first.",
        "",
        f"Page:     {TITLE} <{configured.url}>",
        f"Change:   {summary.line()}",
    ]
    assert summary.line().startswith("Effective December 16, 2025 · 2 sections added · ")
    assert "Found:    11 substantive changes in the watched section" in one.text  # as `watches` counts
    assert "... and 8 more changed passages in this section." in one.text
    assert "None" not in one.text

    assert str(digest["Subject"]) == "privacy-monitor 2025-12-17: 1 change, 2 alerts"
    text = digest.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"--- {TITLE}, changed 2025-12-16 23:35 UTC\n    Effective December 16, 2025 · " in text
    assert "Read first (5 of " in text and "more substantive changes in the full comparison." in text
    (attachment,) = list(digest.iter_attachments())
    assert attachment.get_filename().startswith("meta-privacy-printable-")
    assert "Effective December 16, 2025" in attachment.get_content()
    assert "None" not in text
