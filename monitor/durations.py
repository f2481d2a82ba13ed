"""Durations as the config writes them ('90s', '30m', '6h', '2d', '1w').

A module of its own, importing nothing of the package, so that the config schema and the schedule triggers
(monitor.service.triggers) can both use it without importing each other.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '6h', '2d', '1w' -> timedelta."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (write e.g. '30m', '6h', '2d')")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
