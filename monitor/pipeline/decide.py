"""What a good capture is, against the version in effect: shared by live checks and imports."""

from __future__ import annotations

from monitor.models import Outcome


def decide(current: str | None, text_sha256: str) -> Outcome:
    """`new` for a page's first version, `unchanged` for the same text (by its hash: nothing stored is read),
    else `changed`."""
    if current is None:
        return Outcome.NEW
    return Outcome.UNCHANGED if text_sha256 == current else Outcome.CHANGED
