"""What every notifier is: one delivery channel, keyed by its `[notify.<name>]` table.

A notifier sends one `Message` (every alert one check of one page raised) to one target and raises
`NotifyError` when the attempt failed as a whole; recipients refused one by one come back as a dict, so the
outbox can fail or retry each alone. It never retries, never sleeps and never logs secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from monitor.config.loading import NotifyConfig, PageConfig
from monitor.registry import NOTIFIERS
from monitor.watch.alerts import Alert


@dataclass(frozen=True, slots=True)
class Message:
    """One outbox entry as a notifier sees it: `alerts` most severe first, the same `message_id` every time."""

    id: str
    message_id: str
    page: str
    alerts: tuple[Alert, ...]


def as_message(item: Message | Alert) -> Message:
    """A lone alert (as callers outside the outbox send one) is a message of that one alert."""
    if isinstance(item, Alert):
        return Message(item.id, item.message_id, item.page, (item,))
    return item


Refused = dict[str, tuple[int, str]]  # recipient -> (SMTP code, server text); 5xx permanent, 4xx retried


class Notifier:
    """One delivery channel. `settings` is its config table; relative paths in it are from `base_dir`."""

    name: ClassVar[str]

    def __init__(
        self,
        settings: BaseModel,
        *,
        base_dir: Path,
        pages: Sequence[PageConfig] = (),
        base_url: str | None = None,
    ) -> None:
        self.settings = settings
        self.base_dir = base_dir
        self.pages = {page.id: page for page in pages}
        self.base_url = base_url  # `[report] base_url`: messages link to the change's page there

    def targets(self) -> list[str]:
        """The names the outbox keeps delivery state under: one per destination that succeeds or fails on
        its own (the email notifier has one; apprise one per URL, named by a hash, never by the URL)."""
        return [self.name]

    def recipients(self, target: str) -> list[str]:
        """The recipients of `target` that succeed or fail one by one ([]: the target is one destination)."""
        return []

    def send(
        self, message: Message, *, now: datetime, target: str, recipients: Sequence[str] = ()
    ) -> Refused:
        """Deliver `message` to `target` (only to `recipients` when given); returns the recipients the
        server refused; NotifyError when the attempt failed as a whole."""
        raise NotImplementedError


def build_notifiers(
    notify: NotifyConfig, *, base_dir: Path, pages: Sequence[PageConfig] = (), base_url: str | None = None
) -> list[Notifier]:
    """A notifier for every `[notify.<name>]` table present in the config, in registry order."""
    notifiers = []
    for name in NOTIFIERS.names():
        settings = getattr(notify, name, None)
        if settings is not None:
            notifiers.append(NOTIFIERS.get(name)(settings, base_dir=base_dir, pages=pages, base_url=base_url))
    return notifiers
