"""The email notifier against a real SMTP server on loopback (aiosmtpd): the message as delivered, login with
the password from the environment or a file, STARTTLS and implicit TLS with a throwaway certificate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from smtp_support import PASSWORD, USER, Certificate, Inbox, free_port, make_certificate, smtp_server

from monitor.config.loading import EmailConfig, NotifyConfig, PageConfig
from monitor.diff.classify import word_diff
from monitor.errors import NotifyError
from monitor.notify.base import build_notifiers
from monitor.notify.email import EmailNotifier
from monitor.watch.alerts import Alert

CLAUSE = (
    "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, "
    "die du derselben Kontenübersicht hinzugefügt hast."
)
HOSTILE = CLAUSE.replace("sowie auf alle Konten", "sowie auf einige <script>alert(1)</script> Konten")
NOW = datetime(2026, 6, 1, 10, 31, tzinfo=UTC)
PAGE = PageConfig(
    id="facebook-ai-objection-de",
    url="https://www.facebook.com/privacy/genai/?locale=de_DE",
    title="KI bei Meta (Facebook, Deutsch)",
)
ALERT = Alert(
    id="3f2a91c0e4d1b2a3c4d5",
    watch="accounts-center-scope",
    kind="changed",
    severity="high",
    page="facebook-ai-objection-de",
    version="3ab8f3cd0a1b2c3d4e5f",
    previous="713c3d7f9e8d7c6b5a49",
    time="2026-06-01T10:30:28Z",
    section=("Datenschutzrichtlinie", "KI bei Meta"),
    old=CLAUSE,
    new=HOSTILE,
    ops=tuple(word_diff(CLAUSE, HOSTILE)),
    details={"score": 91.2, "count": 1},
)

EXPECTED_TEXT = """\
The wording you watch changed.

Page:     KI bei Meta (Facebook, Deutsch) <https://www.facebook.com/privacy/genai/?locale=de_DE>
Watch:    accounts-center-scope (clause, severity high)
Section:  Datenschutzrichtlinie › KI bei Meta
Version:  3ab8f3cd0a1b (before: 713c3d7f9e8d), checked 2026-06-01 10:30 UTC

What changed ([-removed-] {+added+}):

    Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet
    bist, sowie auf [-alle-]{+einige <script>alert(1)</script>+} Konten, die
    du derselben Kontenübersicht hinzugefügt hast.

Now reads:

    Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet
    bist, sowie auf einige <script>alert(1)</script> Konten, die du
    derselben Kontenübersicht hinzugefügt hast.

--
privacy-monitor alert 3f2a91c0e4d1b2a3c4d5
You receive these alerts because your address is on this privacy-monitor's alert list; to change what you \
receive (which wordings are watched, from which severity, at which address), ask whoever runs it to change \
[[watches]], [notify] min_severity or [notify.email] to in its config.
"""
# The signature separator is "-- " with its trailing space (RFC 3676): mail clients fold what follows.
EXPECTED_TEXT = EXPECTED_TEXT.replace("\n--\n", "\n-- \n")


def settings(port: int, **extra: Any) -> EmailConfig:
    base = {"host": "127.0.0.1", "port": port, "security": "none", "from": "privacy-monitor <monitor@example.org>",
            "to": ["reader@example.org", "second@example.org"], "timeout": 5}  # fmt: skip
    return EmailConfig.model_validate({**base, **extra})


def plain_text(message: Any) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # as sent on the wire: CRLF


def send(config: EmailConfig, base_dir: Path, alert: Alert = ALERT) -> None:
    EmailNotifier(config, base_dir=base_dir, pages=[PAGE]).send(alert, now=NOW)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_the_message_as_delivered(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        send(settings(port), tmp_path)
    [message] = inbox.messages
    assert inbox.envelopes == [("monitor@example.org", ["reader@example.org", "second@example.org"])]
    assert (
        str(message["Subject"])
        == "[privacy-monitor] KI bei Meta (Facebook, Deutsch): accounts-center-scope changed (high)"
    )
    assert str(message["From"]) == "privacy-monitor <monitor@example.org>"
    assert str(message["To"]) == "reader@example.org, second@example.org"
    assert str(message["Message-ID"]) == "<alert-3f2a91c0e4d1b2a3c4d5@privacy-monitor>"
    assert str(message["Date"]) == "Mon, 01 Jun 2026 10:31:00 +0000"
    assert str(message["Auto-Submitted"]) == "auto-generated"
    assert str(message["X-Privacy-Monitor-Alert"]) == ALERT.id
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert plain_text(message) == EXPECTED_TEXT


def test_page_text_is_escaped_in_the_html_part(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        send(settings(port), tmp_path)
    html = inbox.messages[0].get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<del style="background: #ffebe9; color: #82071e;">alle</del>' in html
    assert (
        '<a href="https://www.facebook.com/privacy/genai/?locale=de_DE">KI bei Meta (Facebook, Deutsch)</a>'
        in html
    )


def test_a_not_found_alert_names_the_closest_text(tmp_path: Path) -> None:
    near = {"text": "Dein Widerspruch gilt nur für dieses Konto.", "score": 61.5, "section": ["KI bei Meta"]}
    alert = Alert(id="a1", watch="accounts-center-scope", kind="removed", severity="high", page=PAGE.id, version="v2",
                  previous=None, time="2026-06-01T10:30:28Z", details={"first": True, "near": near, "threshold": 80.0})  # fmt: skip
    inbox = Inbox()
    with smtp_server(inbox) as port:
        send(settings(port), tmp_path, alert)
    message = inbox.messages[0]
    text = plain_text(message)
    assert (
        str(message["Subject"])
        == "[privacy-monitor] KI bei Meta (Facebook, Deutsch): accounts-center-scope not found (high)"
    )
    assert text.startswith(
        "The wording you watch was not found on the first check (check the watch's text in the config)."
    )
    assert (
        "Closest sentence on the page now (in KI bei Meta):\n\n"
        "    Dein Widerspruch gilt nur für dieses Konto.\n"
    ) in text
    assert "similarity" not in text and "an alert needs" not in text


def test_login_with_the_password_from_an_environment_variable(
    tmp_path: Path, certificate: Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PM_SMTP_PASSWORD", PASSWORD)
    inbox = Inbox()
    with smtp_server(inbox, starttls=certificate, auth=True) as port:
        config = settings(port, security="starttls", username=USER, password_env="PM_SMTP_PASSWORD",
                          ca_file=str(certificate.cert))  # fmt: skip
        send(config, tmp_path)
    assert (inbox.logins, len(inbox.messages)) == ([USER], 1)


# aiosmtpd warns about AUTH without STARTTLS; this connection is TLS from the start (implicit TLS)
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_login_with_the_password_from_a_file_next_to_the_config(
    tmp_path: Path, certificate: Certificate
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "smtp-password").write_text(PASSWORD + "\n")
    inbox = Inbox()
    with smtp_server(inbox, implicit_tls=certificate, auth=True) as port:
        config = settings(port, security="tls", username=USER, password_file="secrets/smtp-password",
                          ca_file=str(certificate.cert))  # fmt: skip
        send(config, tmp_path)
    assert (inbox.logins, len(inbox.messages)) == ([USER], 1)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("wrong-" + PASSWORD, "login refused for 'monitor' (code 535)"),
        # smtplib sends AUTH as ASCII: the UnicodeEncodeError it raised left the alert "sending" for good
        ("Pässwort", "the username or password holds a character other than ASCII, which SMTP login cannot send"
         " here (notify.email.username, password_env or password_file: use an ASCII password)"),
    ],
)  # fmt: skip
def test_a_login_that_fails_is_one_line_that_never_shows_the_password(
    tmp_path: Path, certificate: Certificate, monkeypatch: pytest.MonkeyPatch, password: str, message: str
) -> None:
    monkeypatch.setenv("PM_SMTP_PASSWORD", password)
    inbox = Inbox()
    with smtp_server(inbox, starttls=certificate, auth=True) as port:
        config = settings(port, security="starttls", username=USER, password_env="PM_SMTP_PASSWORD",
                          ca_file=str(certificate.cert))  # fmt: skip
        with pytest.raises(NotifyError) as raised:
            send(config, tmp_path)
    assert str(raised.value) == f"SMTP 127.0.0.1:{port}: {message}"
    assert password not in repr(raised.value.__context__) + repr(raised.value.__cause__)
    assert inbox.messages == []


def test_an_untrusted_certificate_is_refused(tmp_path: Path, certificate: Certificate) -> None:
    inbox = Inbox()
    with (
        smtp_server(inbox, starttls=certificate) as port,
        pytest.raises(
            NotifyError, match=rf"^SMTP 127.0.0.1:{port}: TLS failed \(CERTIFICATE_VERIFY_FAILED\)"
        ),
    ):
        send(settings(port, security="starttls"), tmp_path)
    assert inbox.messages == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"username": USER, "password_env": "PM_UNSET_VARIABLE"},
         "notify.email.password_env: environment variable PM_UNSET_VARIABLE is not set (export it for the service, or use password_file)"),
        ({"username": USER, "password_file": "missing-password"},
         "{base}/missing-password (notify.email.password_file): cannot read (No such file or directory)"),
        ({"username": USER}, "notify.email: `username` is set but neither password_env nor password_file"),
        ({"username": USER, "password_file": "latin1-password"},
         "{base}/latin1-password (notify.email.password_file): not UTF-8 text (save the password as UTF-8)"),
        ({"port": "{free}"}, "SMTP 127.0.0.1:{free}: connection refused (is the server running? check host and port)"),
        ({"ca_file": "nothing.pem", "security": "starttls", "port": "{free}"},
         "SMTP 127.0.0.1:{free}: connection refused (is the server running? check host and port)"),
    ],
)  # fmt: skip
def test_delivery_problems_are_one_clear_line(tmp_path: Path, extra: dict[str, Any], message: str) -> None:
    free = free_port()
    (tmp_path / "latin1-password").write_bytes("Pässwort".encode("latin-1"))
    extra = {key: (free if value == "{free}" else value) for key, value in extra.items()}
    with pytest.raises(NotifyError) as raised:
        send(settings(extra.pop("port", 1), **extra), tmp_path)
    assert str(raised.value) == message.format(base=tmp_path, free=free)


def test_build_notifiers_makes_one_per_configured_table(tmp_path: Path) -> None:
    notify = NotifyConfig.model_validate(
        {"email": {"host": "smtp.example.org", "from": "a@example.org", "to": ["b@example.org"]}}
    )
    [notifier] = build_notifiers(notify, base_dir=tmp_path, pages=[PAGE])
    assert (notifier.name, notifier.targets()) == ("email", ["email"])
    assert build_notifiers(NotifyConfig(), base_dir=tmp_path) == []


def test_the_alerts_of_one_check_are_one_message_most_severe_first() -> None:
    from dataclasses import replace

    from monitor.notify.message import render_alerts

    term = replace(ALERT, id="b2", watch="ai-term", severity="low", watch_kind="term", kind="appeared",
                   ops=(), old=None, new="KI bei Meta", details={"count": 3})  # fmt: skip
    regrouped = replace(
        ALERT, id="c3", watch="objection", severity="medium", kind="regrouped", ops=(), details={}
    )
    rendered = render_alerts([term, regrouped, ALERT], PAGE)

    assert rendered.subject == (
        "[privacy-monitor] KI bei Meta (Facebook, Deutsch): accounts-center-scope changed (high) and 2 more alerts"
    )
    assert [line for line in rendered.text.splitlines() if line.startswith("== ")] == [
        "== 1. accounts-center-scope: The wording you watch changed.",
        "== 2. objection: The watch reports: regrouped.",
        "== 3. ai-term: The term you watch now occurs on the page.",
    ]
    assert "Found:    3 occurrences on the page" in rendered.text
    assert "None" not in rendered.text and "None" not in rendered.html


def test_whether_a_notifier_is_configured_is_read_off_the_config_without_loading_one() -> None:
    """The config's channel tables are the registry's notifier kinds; asking whether one is configured (every
    digest asks) imports no notifier's library: Apprise's import made a service's memory grow check by check."""
    import subprocess
    import sys

    from monitor.registry import NOTIFIERS

    both = NotifyConfig.model_validate(
        {"email": {"host": "x", "from": "a@example.org", "to": ["b@example.org"]}, "apprise": {"urls": []}}
    )
    assert sorted(both.channels()) == NOTIFIERS.names()
    probe = (
        "import sys; from monitor.config.loading import NotifyConfig; from monitor.notify.base import has_notifier;"
        " n = NotifyConfig.model_validate({'email': {'host': 'x', 'from': 'a@example.org', 'to': ['b@example.org']}});"
        " print(has_notifier(n), 'apprise' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout == "True False\n"
