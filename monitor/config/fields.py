"""What the config's models share: the strict base model and the checks of ids, kinds, URLs, durations and
schedules, each a one-line reason a loader turns into an error naming the file and key."""

from __future__ import annotations

import re
from datetime import UTC

from pydantic import BaseModel, ConfigDict

from monitor.config.triggers import schedule_from_text
from monitor.durations import parse_duration
from monitor.errors import UsageError
from monitor.models import SAFE_ID
from monitor.registry import FETCHERS, Registry


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def check_id(value: str) -> str:
    if not SAFE_ID.match(value):
        raise ValueError(f"{value!r} is not a safe id (lowercase letters, digits, '.', '_', '-')")
    return value


def check_kind(registry: Registry, value: str) -> str:
    try:
        registry.get(value)
    except UsageError as error:
        raise ValueError(str(error)) from None
    return value


def check_http_url(value: str) -> str:
    if not re.match(r"https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


def check_header_value(value: str) -> str:
    """An HTTP header's value: Latin-1 only, as HTTP/1.1 sends it (any other character made every fetch of
    the page fail as "invalid answer", with nothing pointing at the config)."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"{value!r} cannot be sent in an HTTP header: {value[error.start]!r} is not a Latin-1 character"
            " (write it in ASCII)"
        ) from None
    return value


def check_renderer(value: str) -> str:
    if value not in FETCHERS:
        *first, last = [repr(name) for name in FETCHERS.in_order()]
        raise ValueError(f"input should be {', '.join(first)} or {last} (got str {value!r})")
    return value


def check_duration(value: str) -> str:
    parse_duration(value)
    return value


def check_schedule(value: str) -> str:
    """'every 6h' or a five-field cron expression ('0 */6 * * *'), parsed by the trigger the service builds
    from it, so that `config check` rejects every schedule the service would (the time zone does not change
    whether a schedule parses or fires, so UTC stands in for the digest's)."""
    schedule_from_text(value, UTC)
    return value.strip()
