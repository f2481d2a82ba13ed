"""Helpers shared by the service, digest, status and feed tests: a simulated clock, a config, and a store
filled the way `check` fills it (put_version before append_check, outcomes derived from the last version)."""

from __future__ import annotations

import email
import email.message
import email.policy
import hashlib
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.config.loading import Config, LoadedConfig, parse_config
from monitor.models import CheckRecord, Document, Outcome, isoformat
from monitor.store.core import Store


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def utc(text: str) -> datetime:
    """'2026-03-02 08:00' -> an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def document_text(*blocks: str) -> str:
    """Blocks in the stored text form ('# Heading', paragraph, '- item'), normalized through Document."""
    return Document.from_text("\n\n".join(blocks) + "\n").to_text()


def make_config(pages: list[dict[str, Any]], **sections: Any) -> Config:
    return parse_config({"pages": pages, **sections})


def loaded(config: Config, base_dir: Any) -> LoadedConfig:
    result = LoadedConfig(config, None)
    result.base_dir = base_dir
    return result


def record_check(
    store: Store,
    page: str,
    at: datetime,
    *,
    text: str | None = None,
    reason: str | None = None,
    url: str = "https://example.org/privacy",
    alerts: list[dict[str, Any]] | None = None,
) -> CheckRecord:
    """Log one check at `at`: with `text` a good capture (new/changed/unchanged), else a failure with `reason`."""
    with store.writer():
        current = store.current(page)
        record = CheckRecord(page=page, time=isoformat(at), url=url, outcome=Outcome.FAILED, final_url=url)
        if text is None:
            record.reason = reason or "HTTP 503"
            record.status = 503
            record.version = current.id if current else None
        else:
            record.status = 200
            sha = hashlib.sha256(text.encode()).hexdigest()
            record.text_sha256 = sha
            if current and current.id == sha:
                record.outcome, record.version = Outcome.UNCHANGED, sha
            else:
                record.outcome = Outcome.CHANGED if current else Outcome.NEW
                record.previous = current.id if current else None
                record.version = store.put_version(page, text, text.encode())
                record.raw_sha256 = hashlib.sha256(text.encode()).hexdigest()
            record.alerts = alerts or []
        store.append_check(record)
    return record


class Inbox:
    """An aiosmtpd handler that keeps what it accepts; `refuse` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return "451 4.3.0 mailbox busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """A real SMTP server on loopback (no TLS); yields its port."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def email_section(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "email": {
            "host": "127.0.0.1", "port": port, "security": "none", "from": "monitor@example.org",
            "to": ["reader@example.org"], "timeout": 5, **extra,
        },
    }  # fmt: skip
