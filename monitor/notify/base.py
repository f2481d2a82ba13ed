"""What every notifier is: one delivery channel, keyed by its `[notify.<name>]` table.

A notifier sends one alert and raises `NotifyError` when it could not; it never retries, never sleeps and
never logs secrets (the outbox decides what to retry and when).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from monitor.config.loading import NotifyConfig, PageConfig
from monitor.registry import NOTIFIERS
from monitor.watch.alerts import Alert


class Notifier:
    """One delivery channel. `settings` is its config table; relative paths in it are from `base_dir`."""

    name: ClassVar[str]

    def __init__(self, settings: Any, *, base_dir: Path, pages: Sequence[PageConfig] = ()) -> None:
        self.settings = settings
        self.base_dir = base_dir
        self.pages = {page.id: page for page in pages}

    def targets(self) -> list[str]:
        """The names the outbox keeps delivery state under: one per destination that succeeds or fails on
        its own (the email notifier has one; apprise one per URL, named by a hash, never by the URL)."""
        return [self.name]

    def send(self, alert: Alert, *, now: datetime, target: str) -> None:
        """Deliver `alert` to `target` (every attempt of one alert carries `alert.message_id`); NotifyError
        if it could not."""
        raise NotImplementedError


def build_notifiers(
    notify: NotifyConfig, *, base_dir: Path, pages: Sequence[PageConfig] = ()
) -> list[Notifier]:
    """A notifier for every `[notify.<name>]` table present in the config, in registry order."""
    notifiers = []
    for name in NOTIFIERS.names():
        settings = getattr(notify, name, None)
        if settings is not None:
            notifiers.append(NOTIFIERS.get(name)(settings, base_dir=base_dir, pages=pages))
    return notifiers
