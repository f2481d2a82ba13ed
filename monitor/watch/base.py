"""What every watch kind is: `observe` describes a document as a small JSON state, `compare` turns the
previous state and the new one into `Hit`s (alerts before they have ids); a `PageVersion` is what they look at.
The built-in kinds: clause.py (`clause`), kinds.py (`term`, `section`); new kinds register on WATCH_KINDS
like those do.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.config.loading import WatchConfig
from monitor.diff.classify import Op
from monitor.errors import ConfigError
from monitor.extract.wording import wording_pattern
from monitor.models import Document
from monitor.watch.locate import ClauseIndex

if TYPE_CHECKING:
    from monitor.diff.core import DocumentDiff

DEFAULT_THRESHOLD = 80.0  # clause: a rapidfuzz score below this means "not there any more"


@dataclass(slots=True)
class Hit:
    """An alert before it has an id: what a watch kind reports."""

    kind: str
    section: tuple[str, ...] = ()
    old: str | None = None
    new: str | None = None
    ops: Sequence[Op] = ()
    details: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None  # None: the watch's own severity


class PageVersion:
    """What the watch kinds look at: the old and new document of one page, and their diff, indexed once."""

    def __init__(self, page: str, old: Document | None, new: Document, diff: DocumentDiff | None) -> None:
        self.page = page
        self.old = old
        self.new = new
        self._diff = diff
        self._indexes: dict[int, ClauseIndex] = {}

    def index(self, document: Document) -> ClauseIndex:
        key = id(document)
        if key not in self._indexes:
            self._indexes[key] = ClauseIndex(document)
        return self._indexes[key]

    @property
    def diff(self) -> DocumentDiff | None:
        if self._diff is None and self.old is not None:
            from monitor.diff.core import diff_documents

            self._diff = diff_documents(self.old, self.new)
        return self._diff


class WatchKind:
    """A kind of watch: `observe` describes a document as state; `compare` turns two states into hits."""

    name: ClassVar[str]

    def __init__(self, config: WatchConfig) -> None:
        self.config = config
        if not (config.text or "").strip():
            raise ConfigError(
                f"watch {config.id!r}: kind {config.kind!r} needs `text` (the wording to follow)"
            )

    def observe(
        self, document: Document, index: ClauseIndex, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def compare(self, before: dict[str, Any] | None, after: dict[str, Any], page: PageVersion) -> list[Hit]:
        raise NotImplementedError


def watch_pattern(config: WatchConfig) -> re.Pattern[str]:
    """The compiled pattern of a term or section watch's `text` (a regex with `regex = true`)."""
    return wording_pattern(config.text or "", regex=config.regex, watch_id=config.id)


def first_look(before: dict[str, Any] | None) -> bool:
    """The watch's first look at the page: no baseline, or only the one read from the version before."""
    return before is None or bool(before.get("from_previous") and before.get("status") == "missing")
