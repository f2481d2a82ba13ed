"""Alerts by email (stdlib smtplib): STARTTLS, TLS or plain; multipart text + HTML.

The password comes from the environment variable named by `password_env` or the file `password_file`
(relative to the config file), never from the config text; it is never logged and never part of an error
message. One mail carries every alert of one page check; every attempt to send it carries the same Message-ID,
so a re-send after an interrupted attempt can be recognised as the same message by the receiving side. Each
recipient succeeds or fails on its own: a 5xx refusal of one address is reported for that address alone.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from monitor import fsutil
from monitor.config.loading import EmailConfig, PageConfig
from monitor.errors import NotifyError
from monitor.notify.base import Message, Notifier, Refused, as_message
from monitor.notify.message import header_text, render_alerts
from monitor.registry import NOTIFIERS
from monitor.watch.alerts import Alert


def compose(
    mail: Message,
    *,
    sender: str,
    to: list[str],
    now: datetime,
    page: PageConfig | None = None,
    base_url: str | None = None,
    include_private: bool = False,
    zone: tzinfo = UTC,
) -> EmailMessage:
    rendered = render_alerts(mail.alerts, page, base_url=base_url, include_private=include_private, zone=zone)
    alert = mail.alerts[0]
    message = EmailMessage()
    set_headers(
        message,
        {
            "Subject": rendered.subject,
            "From": sender,
            "To": ", ".join(to),
            "Date": format_datetime(now),
            "Message-ID": mail.message_id,
            "Auto-Submitted": "auto-generated",  # RFC 3834: no vacation replies to the monitor
            "X-Privacy-Monitor-Alert": " ".join(a.id for a in mail.alerts),
            "X-Privacy-Monitor-Watch": alert.watch,
            "X-Privacy-Monitor-Page": alert.page,
        },
    )
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def set_headers(message: EmailMessage, headers: dict[str, str]) -> None:
    """Each header folded to one line first: a stored value with a line break in it would otherwise make the
    email package refuse the header, and the mail stay stuck in the outbox for good."""
    for name, value in headers.items():
        message[name] = header_text(value)


def read_password(settings: EmailConfig, base_dir: Path) -> str | None:
    """The SMTP password from the named environment variable or file; None when no login is configured."""
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if value is None:
            raise NotifyError(
                f"notify.email.password_env: environment variable {settings.password_env} is not set "
                "(export it for the service, or use password_file)"
            )
        return value
    if settings.password_file:
        path = _resolve(settings.password_file, base_dir)
        try:
            return path.read_text(encoding="utf-8").strip("\r\n")
        except OSError as error:
            raise NotifyError(
                f"{path} (notify.email.password_file): cannot read ({error.strerror})"
            ) from None
        except UnicodeDecodeError:
            raise NotifyError(
                f"{path} (notify.email.password_file): not UTF-8 text (save the password as UTF-8)"
            ) from None
    return None


def tls_context(settings: EmailConfig, base_dir: Path) -> ssl.SSLContext:
    if not settings.ca_file:
        return ssl.create_default_context()
    path = _resolve(settings.ca_file, base_dir)
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as error:
        raise NotifyError(
            f"{path} (notify.email.ca_file): not a readable PEM certificate file ({error})"
        ) from None


def smtp_send(settings: EmailConfig, base_dir: Path, message: EmailMessage) -> None:
    """Send one prepared message through the configured server; NotifyError (naming the server) on failure,
    a refused recipient included (the digest is one mail: it is sent again as a whole)."""
    refused = smtp_deliver(settings, base_dir, message)
    if refused:
        where = f"SMTP {settings.host}:{settings.port}"
        raise NotifyError(f"{where}: some recipients refused ({', '.join(sorted(refused))})")


def smtp_deliver(
    settings: EmailConfig, base_dir: Path, message: EmailMessage, recipients: Sequence[str] = ()
) -> Refused:
    """Send one prepared message (to `recipients`, default: its To header); returns the recipients the
    server refused, each with its code and text; NotifyError when the attempt failed as a whole."""
    password = read_password(settings, base_dir)
    if settings.username and password is None:
        raise NotifyError("notify.email: `username` is set but neither password_env nor password_file")
    where = f"SMTP {settings.host}:{settings.port}"
    try:
        if settings.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=tls_context(settings, base_dir),
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=tls_context(settings, base_dir))
            if settings.username and password is not None:
                _login(client, settings.username, password, where)
            refused = client.send_message(message, to_addrs=list(recipients) or None)
    except smtplib.SMTPAuthenticationError as error:
        raise NotifyError(
            f"{where}: login refused for {settings.username!r} (code {error.smtp_code})"
        ) from None
    except smtplib.SMTPNotSupportedError as error:
        raise NotifyError(
            f"{where}: the server does not offer what this mail needs ({error}; check notify.email.security,"
            " or an address that is not ASCII)"
        ) from None
    except smtplib.SMTPRecipientsRefused as error:  # every one of them: still one verdict per recipient
        return {address: (code, _text(text)) for address, (code, text) in error.recipients.items()}
    except smtplib.SMTPResponseException as error:
        raise NotifyError(f"{where}: {error.smtp_code} {_text(error.smtp_error)}") from None
    except ssl.SSLError as error:
        raise NotifyError(f"{where}: TLS failed ({error.reason or error}); check security/ca_file") from None
    except (smtplib.SMTPException, OSError) as error:
        raise NotifyError(f"{where}: {_describe(error)}") from None
    return {address: (code, _text(text)) for address, (code, text) in refused.items()}


@NOTIFIERS.register
class EmailNotifier(Notifier):
    name = "email"
    settings: EmailConfig

    def recipients(self, target: str) -> list[str]:
        return list(self.settings.to)

    def send(
        self,
        message: Message | Alert,
        *,
        now: datetime,
        target: str = "email",
        recipients: Sequence[str] = (),
    ) -> Refused:
        message = as_message(message)
        page = self.pages.get(message.page)
        mail = compose(
            message,
            sender=self.settings.sender,
            to=self.settings.to,
            now=now,
            page=page,
            base_url=self.base_url,
            include_private=self.include_private,
            zone=self.zone,
        )
        return smtp_deliver(self.settings, self.base_dir, mail, recipients)


def _login(client: smtplib.SMTP, username: str, password: str, where: str) -> None:
    # smtplib sends AUTH credentials as ASCII: any other character raised UnicodeEncodeError, which left the
    # message marked "sending" for good
    try:
        client.login(username, password)
        return
    except UnicodeEncodeError:
        pass  # raised below, outside this block: the encoding error quotes the password
    raise NotifyError(
        f"{where}: the username or password holds a character other than ASCII, which SMTP login cannot"
        " send here (notify.email.username, password_env or password_file: use an ASCII password)"
    )


def _resolve(relative: str, base_dir: Path) -> Path:
    return fsutil.resolve_path(base_dir, relative)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused (is the server running? check host and port)"
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    return f"{type(error).__name__}: {error}"
