"""The one exception family the core raises, and the exit codes the CLI turns it into."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum


class ExitStatus(IntEnum):
    """Exit codes of the `privacy-monitor` command (documented in the README)."""

    OK = 0
    CHANGES = 1  # `diff`: differences found (as diff(1) does)
    USAGE = 2  # bad command line, config, reference or input file
    PAGE_FAILED = 3  # `check`/`status`: at least one page failed
    STORE_DAMAGED = 4  # `verify`: damaged files found; or the store is unreadable
    LOCKED = 5  # another writer (a running service) holds the store
    DELIVERY_FAILED = 6  # an alert or digest could not be delivered (it stays queued)
    INTERNAL = 70  # a bug: please report it with --traceback
    INTERRUPTED = 130


class MonitorError(Exception):
    """Base of every error the core raises on purpose; the CLI prints `str(error)` on one line."""

    exit_status: ExitStatus = ExitStatus.USAGE


class ConfigError(MonitorError):
    """The config file is missing, unreadable or invalid."""

    exit_status = ExitStatus.USAGE


class UsageError(MonitorError):
    """A bad argument: an unknown page, an unknown version reference, an unreadable input file."""

    exit_status = ExitStatus.USAGE


class FetchError(MonitorError):
    """A fetch that did not give the document. `reason` is the short text stored with the failed check.

    `retry_at` (UTC) is set when the server said when to come back (429/503 with a Retry-After longer than the
    fetch could wait): the page must not be fetched again before it.
    """

    exit_status = ExitStatus.PAGE_FAILED

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int | None = None,
        hint: str = "",
        retry_at: datetime | None = None,
    ) -> None:
        self.url = url
        self.reason = reason
        self.status = status
        self.hint = hint
        self.retry_at = retry_at
        message = f"{url}: {reason}"
        if hint:
            message += f" ({hint})"
        super().__init__(message)


class Interrupted(MonitorError):
    """A fetch stopped by monitor.fetch.deadline.cancel_all() because the process is stopping: no answer and no
    failure of the page, so nothing is recorded for it (the page stays due)."""

    exit_status = ExitStatus.INTERRUPTED

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"{url}: fetch interrupted: the process is stopping")


class StoreError(MonitorError):
    """The snapshot store cannot be read or written."""

    exit_status = ExitStatus.STORE_DAMAGED


class StoreLocked(StoreError):
    """Another process holds the store's writer lock."""

    exit_status = ExitStatus.LOCKED


class NotifyError(MonitorError):
    """A notifier could not deliver (the message stays in the outbox)."""

    exit_status = ExitStatus.DELIVERY_FAILED


class StoreDamaged(StoreError):
    """A store file is damaged; `path` names the file to restore from a backup, `page` the page it belongs to
    (None: the whole store, e.g. the database). Page-scoped damage never stops the checks of other pages."""

    exit_status = ExitStatus.STORE_DAMAGED

    def __init__(self, message: str, *, path: object = None, page: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.page = page


class ImportSourceError(UsageError):
    """An import source that cannot be read as one: not a repository or folder, a file the repository never
    had, a file without a date in its name, or versions dated after the page's first live check."""

    exit_status = ExitStatus.USAGE
