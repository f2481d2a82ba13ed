"""What every notifier is: one delivery channel, keyed by its `[notify.<name>]` table.

A notifier sends one `Message` (every alert one check of one page raised) to one target and raises
`NotifyError` when the attempt failed as a whole; recipients refused one by one come back as a dict, so the
outbox can fail or retry each alone. It never retries, never sleeps and never logs secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from monitor.config.loading import NotifyConfig, PageConfig
from monitor.present.words import plural
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
        include_private: bool = False,
        zone: tzinfo = UTC,
    ) -> None:
        self.settings = settings
        self.base_dir = base_dir
        self.pages = {page.id: page for page in pages}
        self.base_url = base_url  # `[report] base_url`: messages link to the change's page there
        self.include_private = include_private  # `[report] include_private`: private pages' too
        self.zone = zone  # `[digest] timezone`: the times a message shows

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
    notify: NotifyConfig,
    *,
    base_dir: Path,
    pages: Sequence[PageConfig] = (),
    base_url: str | None = None,
    include_private: bool = False,
    zone: tzinfo = UTC,
) -> list[Notifier]:
    """A notifier for every `[notify.<name>]` table present in the config, in registry order; `zone`: the
    digest's time zone, in which messages show times; `base_url` and `include_private`: `[report]`'s, where
    messages link a change's page (a private page's only when the site publishes it)."""
    notifiers = []
    for name in NOTIFIERS.names():
        settings = getattr(notify, name, None)
        if settings is not None:
            notifier = NOTIFIERS.get(name)(
                settings,
                base_dir=base_dir,
                pages=pages,
                base_url=base_url,
                include_private=include_private,
                zone=zone,
            )
            notifiers.append(notifier)
    return notifiers


def has_notifier(notify: NotifyConfig) -> bool:
    """Whether any `[notify.<name>]` table is configured; without one, alerts reach people only through the
    digest and `watches`."""
    # read off the config: asking the registry imports every notifier's module, Apprise's library (11 MB) with
    # it, in a service that may never send through it (its memory then grew with every check)
    return bool(notify.channels())


def kept_for_digest(alerts: int, config_file: Path | str | None) -> str:
    """The one line `check`, `outbox`, `status` and the service say of alerts nobody will be sent: where they
    are kept and which config section delivers them."""
    where = str(config_file) if config_file else "the config"
    kept = "it is" if alerts == 1 else "they are"
    return (
        f"{plural(alerts, 'alert')} not sent: no notifier is configured, so {kept} kept for the digest and "
        f"`privacy-monitor watches`; to receive alerts, add a [notify.email] or [notify.apprise] section to "
        f"{where}"
    )
