"""The built-in watch kinds: `clause` (a passage followed fuzzily: clause.py), `term` (a word, phrase or regex)
and `section` (substantive changes under a heading). What a kind is (`WatchKind`, `Hit`, `PageVersion`):
base.py. Importing this module registers all three on WATCH_KINDS; new kinds register like these do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.config.loading import WatchConfig
from monitor.diff.classify import Op
from monitor.extract.wording import fold
from monitor.models import Document
from monitor.registry import WATCH_KINDS
from monitor.watch.base import Hit, PageVersion, first_look, watch_pattern
from monitor.watch.base import WatchKind as WatchKind  # the name the registry and the docs give it
from monitor.watch.clause import ClauseWatch as ClauseWatch  # registered first, as it always was
from monitor.watch.locate import ClauseIndex


@WATCH_KINDS.register
class TermWatch(WatchKind):
    """A word, phrase or regular expression whose appearance or disappearance matters."""

    name = "term"

    def __init__(self, config: WatchConfig) -> None:
        super().__init__(config)
        self.pattern = watch_pattern(config)

    def observe(
        self, document: Document, index: ClauseIndex, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        found = index.occurrences(self.pattern)
        if not found:
            return {"status": "missing", "count": 0}
        first = found[0]
        return {"status": "found", "count": len(found), "wording": first.text, "section": list(first.section)}

    def compare(self, before: dict[str, Any] | None, after: dict[str, Any], page: PageVersion) -> list[Hit]:
        was_found = bool(before and before.get("status") == "found")
        after["ever_found"] = bool(before and before.get("ever_found")) or after["status"] == "found"
        if after["status"] == "missing":
            if before and before.get("wording"):
                after["wording"], after["section"] = before["wording"], before.get("section", [])
            if was_found:
                section = tuple(before.get("section", ()))  # type: ignore[union-attr]
                return [Hit("removed", section, old=before.get("wording"), details={"count": 0})]  # type: ignore[union-attr]
            if first_look(before):
                return [Hit("not_found", details={"count": 0, "first": True})]
            return []
        if before is None or was_found:
            return []
        kind = "reappeared" if before.get("ever_found") else "appeared"
        return [Hit(kind, tuple(after["section"]), new=after["wording"], details={"count": after["count"]})]


@WATCH_KINDS.register
class SectionWatch(WatchKind):
    """Any substantive change under a heading that contains `text` (or matches it, with regex = true)."""

    name = "section"

    def __init__(self, config: WatchConfig) -> None:
        super().__init__(config)
        self.pattern = watch_pattern(config)

    def matches(self, section: Sequence[str]) -> bool:
        return any(self.pattern.search(fold(heading)) for heading in section)

    def observe(
        self, document: Document, index: ClauseIndex, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        headings = [b.text for b in document.blocks if b.kind == "heading" and self.matches([b.text])]
        sections = list(dict.fromkeys(" > ".join(path) for path in document.sections() if self.matches(path)))
        return {
            "status": "found" if headings else "missing",
            "count": len(headings),
            "headings": sections[:20],
        }

    def compare(self, before: dict[str, Any] | None, after: dict[str, Any], page: PageVersion) -> list[Hit]:
        was_found = bool(before and before.get("status") == "found")
        after["ever_found"] = bool(before and before.get("ever_found")) or after["status"] == "found"
        if first_look(before) and after["status"] == "missing":
            return [Hit("not_found", details={"headings": [], "first": True})]
        if before is None:
            return []
        if was_found and after["status"] == "missing":
            return [Hit("removed", details={"headings": before.get("headings", [])})]
        if not was_found and after["status"] == "found":
            kind = "reappeared" if before.get("ever_found") else "appeared"
            return [Hit(kind, details={"headings": after["headings"]})]
        diff = page.diff
        changes = [
            c for c in (diff.changes if diff else []) if c.cls == "substantive" and self.matches(c.section)
        ]
        if not changes:
            return []
        ops: list[Op] = []
        for number, change in enumerate(changes):
            if number:
                ops.append(Op("equal", "\n\n", "\n\n"))
            ops.extend(change.ops)
        return [
            Hit(
                "changed",
                changes[0].section,
                old="\n\n".join(c.old for c in changes if c.old) or None,
                new="\n\n".join(c.new for c in changes if c.new) or None,
                ops=ops,
                details={"changes": [c.to_json() for c in changes[:20]], "count": len(changes)},
            )
        ]
