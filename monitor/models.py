"""The data that flows between pipeline stages.

A page's text is a `Document`: a list of `Block`s (headings with their level, paragraphs, list
items, table rows). Its stored form (`Document.to_text`) is Markdown-like, one block per line,
blocks separated by a blank line, and parses back losslessly (`Document.from_text`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "item", "row"]
# The ids of pages and watches: safe as file names, URL path segments and database keys alike.
SAFE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}\Z")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of text. `text` is normalized (single line). `level`: heading 1-6; item nesting depth from 0."""

    kind: BlockKind
    text: str
    level: int = 0

    def to_line(self) -> str:
        if self.kind == "heading":
            return "#" * max(1, min(self.level, 6)) + " " + self.text
        if self.kind == "item":
            return "  " * self.level + "- " + self.text
        if self.kind == "row":
            return "| " + self.text + " |"
        # A paragraph that would read back as another kind is escaped with a backslash.
        if self.text[:1] in _MARKERS:
            return "\\" + self.text
        return self.text


_MARKERS = set("#-|\\ ")
_HEADING = re.compile(r"(#{1,6}) (.*)\Z", re.S)
_ITEM = re.compile(r"((?:  )*)- (.*)\Z", re.S)
_ROW = re.compile(r"\| (.*) \|\Z", re.S)


def _block_from_line(line: str) -> Block:
    if line[0] not in _MARKERS:  # most lines: a paragraph, which could not be read as anything else
        return Block("paragraph", line)
    if line.startswith("\\"):
        return Block("paragraph", line[1:])
    if m := _HEADING.match(line):
        return Block("heading", m.group(2), len(m.group(1)))
    if m := _ITEM.match(line):
        return Block("item", m.group(2), len(m.group(1)) // 2)
    if m := _ROW.match(line):
        return Block("row", m.group(1))
    return Block("paragraph", line)


@dataclass(slots=True)
class Document:
    blocks: list[Block] = field(default_factory=list)
    title: str | None = None

    def to_text(self) -> str:
        if not self.blocks:
            return ""
        return "\n\n".join(block.to_line() for block in self.blocks) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Document:
        lines = [line for line in text.split("\n\n") if line.strip("\n")]
        return cls([_block_from_line(line.strip("\n")) for line in lines])

    def words(self) -> int:
        return sum(len(block.text.split()) for block in self.blocks)

    def sections(self) -> list[tuple[str, ...]]:
        """The heading breadcrumb in effect at each block (same length as `blocks`)."""
        path: list[tuple[int, str]] = []
        result: list[tuple[str, ...]] = []
        for block in self.blocks:
            if block.kind == "heading":
                while path and path[-1][0] >= block.level:
                    path.pop()
                path.append((block.level, block.text))
            result.append(tuple(text for _, text in path))
        return result


class Outcome(StrEnum):
    NEW = "new"
    UNCHANGED = "unchanged"
    CHANGED = "changed"
    FAILED = "failed"


@dataclass(slots=True)
class FetchResult:
    """What a fetcher brings back. `html` is the decoded body; `body` the raw bytes as received."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    html: str
    encoding: str
    renderer: str
    elapsed: float
    not_modified: bool = False  # a 304 answer to a conditional request: no body


@dataclass(slots=True)
class CheckRecord:
    """One line of a page's append-only check log. The store adds `chain` to the JSON it keeps: the sha256 of
    the page's previous record as stored (monitor/store/chain.py); the dataclass does not carry it."""

    page: str
    time: str  # ISO 8601 UTC, e.g. 2026-11-29T04:44:38Z
    url: str
    outcome: Outcome
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    raw_sha256: str | None = None
    text_sha256: str | None = None
    version: str | None = None  # text sha256 of the version in effect after this check (None if none yet)
    previous: str | None = None  # the version in effect before this check, when it changed
    reason: str | None = None  # why a check failed, or a warning (e.g. low coverage)
    coverage: float | None = None
    renderer: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    cosmetic: bool | None = None  # a change whose every edit is cosmetic
    changes: dict[str, Any] = field(default_factory=dict)  # summary counts by kind and class
    summary: dict[str, Any] | None = None  # ChangeSummary.to_json() of a change: what a reader sees first
    alerts: list[dict[str, Any]] = field(default_factory=list)
    # What the monitor asked with (never cookies): for the request record of an evidence export.
    request_headers: dict[str, str] = field(default_factory=dict)
    # Where an imported version came from ({"kind": "git", "id": <commit>, ...}); None for a live check.
    source: dict[str, Any] | None = None
    # The time of the page's previous record when this check's is earlier: the clock was set back.
    clock_step: str | None = None
    # The fingerprint of the rules its text was made and judged under (monitor/extract/rules.py).
    rules: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__slots__}
        data["outcome"] = str(self.outcome)
        for optional in ("clock_step", "rules"):
            if data[optional] is None:
                del data[optional]  # written only when it says something: older records stay as they were
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckRecord:
        known = {name: data[name] for name in cls.__slots__ if name in data}
        known["outcome"] = Outcome(known["outcome"])
        return cls(**known)


def isoformat(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
