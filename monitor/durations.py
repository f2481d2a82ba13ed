"""Durations as the config writes them ('90s', '30m', '6h', '2d', '1w').

A module of its own, importing nothing of the package, so that the config schema and the schedule triggers
(monitor.config.triggers) can both use it without importing each other.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# The longest duration any key may hold: beyond it a value is a typo, and timedelta, the scheduler and sleeps
# overflow (OverflowError, not a config error) somewhere past 2.7 million years.
MAX_DURATION = timedelta(days=3653)
MAX_SECONDS = MAX_DURATION.total_seconds()
_LIMIT_HINT = "at most ten years, e.g. '3650d'"


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '6h', '2d', '1w' -> timedelta; ValueError when it does not parse or exceeds ten years."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (write e.g. '30m', '6h', '2d')")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_SECONDS:
        raise ValueError(f"{text.strip()!r} is longer than ten years (write {_LIMIT_HINT})")
    return timedelta(seconds=seconds)


def check_seconds(value: float) -> float:
    """A duration key given in seconds (a number): ValueError when over ten years (or infinite)."""
    if value > MAX_SECONDS:
        raise ValueError(f"{value!r} seconds is longer than ten years (write at most {MAX_SECONDS:.0f})")
    return value
