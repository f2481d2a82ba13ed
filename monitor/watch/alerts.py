"""What a watch hit produces: an `Alert`, with an id that is the same however often it is computed.

The id is derived from the watch, the page, the version, the kind of alert and the watch's transition
number on that page (how many versions it had evaluated before). The transition number is what keeps
the id unique when a page flips back and forth between the same two texts (A -> B -> A -> B gives two
different "changed to B" alerts), while a re-run for the same version after a crash gives the same id,
so the outbox never queues it twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from monitor.diff.classify import Op

ALERT_KINDS = (
    "changed", "removed", "moved", "appeared", "reappeared", "disappeared", "cosmetic", "not_found"
)  # fmt: skip
SEVERITIES = ("low", "medium", "high")  # ascending


def alert_id(watch: str, page: str, version: str, kind: str, transition: int) -> str:
    key = "\x1f".join((watch, page, version, kind, str(transition)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class Alert:
    """One watch hit on one page version. `old`/`new` are the watched wording before and after (or the
    near-match / the sentence holding a term); `ops` the word-level diff between them; `details` holds
    what only some kinds have (score, count, best near-match, the section it moved from)."""

    id: str
    watch: str
    kind: str
    severity: str
    page: str
    version: str
    previous: str | None
    time: str
    watch_kind: str = "clause"
    section: tuple[str, ...] = ()
    old: str | None = None
    new: str | None = None
    ops: tuple[Op, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def message_id(self) -> str:
        """The Message-ID every delivery attempt of this alert uses, so receivers can drop duplicates."""
        return f"<alert-{self.id}@privacy-monitor>"

    @property
    def label(self) -> str:
        """The kind in words: 'changed', 'not found' (an alert stored before `not_found` was its own kind was
        a `removed` marked first)."""
        if self.kind == "not_found" or (self.kind == "removed" and self.details.get("first")):
            return "not found"
        return self.kind

    @property
    def headline(self) -> str:
        """'accounts-center-scope changed (high)': the part of the subject after the page."""
        return f"{self.watch} {self.label} ({self.severity})"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "watch": self.watch,
            "kind": self.kind,
            "severity": self.severity,
            "page": self.page,
            "version": self.version,
            "previous": self.previous,
            "time": self.time,
            "watch_kind": self.watch_kind,
            "section": list(self.section),
            "old": self.old,
            "new": self.new,
            "ops": [{"tag": op.tag, "old": op.old, "new": op.new} for op in self.ops],
            "details": self.details,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=data["id"],
            watch=data["watch"],
            kind=data["kind"],
            severity=data["severity"],
            page=data["page"],
            version=data["version"],
            previous=data.get("previous"),
            time=data["time"],
            watch_kind=data.get("watch_kind", "clause"),
            section=tuple(data.get("section", ())),
            old=data.get("old"),
            new=data.get("new"),
            ops=tuple(Op(op["tag"], op["old"], op["new"]) for op in data.get("ops", ())),
            details=dict(data.get("details", {})),
        )
