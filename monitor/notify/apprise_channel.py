"""Alerts through Apprise (ntfy, Matrix, Telegram, Slack, generic webhooks ...): no hand-written clients.

URLs come from the config, from an environment variable (space-separated) or from a file (one per line,
`#` comments). They carry tokens, so they are never logged, never shown, and never part of an error
message: each URL is known to the outbox and in messages only by a short hash of it ("apprise:3fa2c1").
Each URL is its own delivery target, so one failing webhook is retried without re-sending to the others.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import apprise

from monitor import fsutil
from monitor.config.loading import AppriseConfig
from monitor.errors import NotifyError
from monitor.notify.base import Message, Notifier, Refused
from monitor.notify.message import render_alerts
from monitor.registry import NOTIFIERS


def apprise_urls(settings: AppriseConfig, base_dir: Path) -> list[str]:
    urls = list(settings.urls)
    if settings.urls_env:
        value = os.environ.get(settings.urls_env)
        if value is None:
            raise NotifyError(f"notify.apprise.urls_env: environment variable {settings.urls_env} is not set")
        urls.extend(value.split())
    if settings.urls_file:
        path = fsutil.resolve_path(base_dir, settings.urls_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise NotifyError(f"{path} (notify.apprise.urls_file): cannot read ({error.strerror})") from None
        urls.extend(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return list(dict.fromkeys(urls))


def target_name(url: str) -> str:
    return "apprise:" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:6]


@NOTIFIERS.register
class AppriseNotifier(Notifier):
    name = "apprise"
    settings: AppriseConfig

    def targets(self) -> list[str]:
        return [target_name(url) for url in self._urls()]

    def send(
        self, message: Message, *, now: datetime, target: str, recipients: Sequence[str] = ()
    ) -> Refused:
        url = next((url for url in self._urls() if target_name(url) == target), None)
        if url is None:
            raise NotifyError(f"{target}: this Apprise URL is no longer configured")
        rendered = render_alerts(
            message.alerts,
            self.pages.get(message.page),
            base_url=self.base_url,
            include_private=self.include_private,
            zone=self.zone,
        )
        client = apprise.Apprise()
        with _quiet():
            if not client.add(url):
                raise NotifyError(f"{target}: not an Apprise URL Apprise understands (check notify.apprise)")
            ok = client.notify(
                body=rendered.text, title=rendered.subject, body_format=apprise.NotifyFormat.TEXT
            )
        if not ok:
            raise NotifyError(f"{target}: Apprise could not deliver (the service refused or did not answer)")
        return {}

    def _urls(self) -> list[str]:
        return apprise_urls(self.settings, self.base_dir)


_CHATTY = ("apprise", "urllib3", "requests")  # they log request URLs, tokens included, at debug/warning level


@contextmanager
def _quiet() -> Iterator[None]:
    """Keep the HTTP stack's loggers silent while a URL that carries a token is in use."""
    loggers = [logging.getLogger(name) for name in _CHATTY]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
