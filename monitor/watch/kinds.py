"""The watch kinds: `clause` (a passage followed fuzzily), `term` (a word, phrase or regex) and `section`
(substantive changes under a heading). Each describes a document as a small JSON state (`observe`) and
turns the previous state and the new one into hits (`compare`); monitor.watch.evaluate stores the states and
makes the hits into alerts. New kinds register on WATCH_KINDS like these do.

Clause decisions: the wording followed is the baseline (the last wording seen), falling back to the
config text; a reworded clause is "changed" (a cosmetic-only edit is silent, or a low `cosmetic` note
with `cosmetic = "note"`); a clause is "moved" only when it sits under another heading AND among other
sentences (a renamed heading, or a heading added above it, is not a move); when it occurs several times,
the occurrence nearest its last place is followed and the count is reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.config.loading import WatchConfig
from monitor.diff.classify import Op, classify, word_diff
from monitor.errors import ConfigError
from monitor.extract.wording import fold, wording_pattern
from monitor.models import Document
from monitor.registry import WATCH_KINDS
from monitor.watch.follow import own_wording, reason, successor
from monitor.watch.locate import ClauseIndex, Located, choose
from monitor.watch.moves import moved as _moved

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


def _pattern(config: WatchConfig) -> re.Pattern[str]:
    return wording_pattern(config.text or "", regex=config.regex, watch_id=config.id)


@WATCH_KINDS.register
class ClauseWatch(WatchKind):
    """A sentence or passage, followed fuzzily through rewordings, reflows and moves."""

    name = "clause"

    @property
    def threshold(self) -> float:
        return self.config.threshold or DEFAULT_THRESHOLD

    def observe(
        self, document: Document, index: ClauseIndex, before: dict[str, Any] | None
    ) -> dict[str, Any]:
        queries = [before["wording"]] if before and before.get("wording") else []
        if (self.config.text or "") not in queries:
            queries.append(self.config.text or "")
        searches = [index.find(query, threshold=self.threshold) for query in queries]
        matches = _distinct(sorted((m for s in searches for m in s.matches), key=lambda m: -m.score))
        bests = [s.best for s in searches if s.best is not None]
        baseline = _located(before) if before and before.get("status") == "found" else None
        current = choose(matches, near=baseline)
        if current is None:
            near = max(bests, key=lambda m: m.score, default=None)
            return {"status": "missing", "near": near.to_json() if near else None, "count": 0}
        return {"status": "found", **current.to_json(), "wording": current.text, "count": len(matches)}

    def compare(self, before: dict[str, Any] | None, after: dict[str, Any], page: PageVersion) -> list[Hit]:
        if _reworded(before, after) and page.old:
            self._keep_own(before, after, page)  # type: ignore[arg-type]
        if after["status"] == "missing" and before is not None and before.get("wording") and page.old:
            self._follow(before, after, page)
        section = tuple(after.get("section") or ())
        if after["status"] == "missing":
            if before is not None and before.get("wording"):
                after["wording"] = before["wording"]  # the last wording seen, to recognise it coming back
                for key in ("section", "context", "block", "blocks", "position"):
                    after[key] = before.get(key, [] if key == "section" else after.get(key))
            after["ever_found"] = bool(before and before.get("ever_found"))
            missing: dict[str, Any] = {"near": after.get("near"), "threshold": self.threshold}
            if before is None or _first(before):
                return [Hit("not_found", details={**missing, "first": True})]
            if before["status"] == "found":
                return [
                    Hit("removed", tuple(before.get("section", ())), old=before["wording"], details=missing)
                ]
            return []
        after["ever_found"] = True
        details: dict[str, Any] = {"score": after["score"], "count": after["count"]}
        if before is None:
            return []
        old: str | None = before.get("wording")
        new: str = after["wording"]
        if before.get("context") or after.get("reason"):
            details["reason"] = after.pop("reason", None) or reason(
                _located(before), _located(after), aligned=False
            )
        if before["status"] == "missing":
            kind = "reappeared" if before.get("ever_found") else "appeared"
            return [
                Hit(kind, section, old=old, new=new, ops=word_diff(old, new) if old else (), details=details)
            ]
        moved = _moved(before, after)
        if moved:
            details["moved_from"] = list(before.get("section", ()))
        if old == new:
            return [Hit("moved", section, old=old, new=new, details=details)] if moved else []
        old = old or ""  # a found baseline always has its wording; "" keeps the types honest
        ops = word_diff(old, new)
        if classify(old, new) == "cosmetic":
            if moved:
                return [Hit("moved", section, old=old, new=new, ops=ops, details=details)]
            if self.config.cosmetic == "note":
                return [Hit("cosmetic", section, old=old, new=new, ops=ops, details=details, severity="low")]
            return []
        return [Hit("changed", section, old=old, new=new, ops=ops, details=details)]

    def _keep_own(self, before: dict[str, Any], after: dict[str, Any], page: PageVersion) -> None:
        """The fuzzy search chose a near-twin the old page already had elsewhere: follow the clause itself."""
        assert page.old is not None
        own = own_wording(
            before,
            page.index(page.old),
            page.index(page.new),
            threshold=self.threshold,
            origin=_located(before),
        )
        if isinstance(own, bool):  # the chosen sentence is the clause's own
            return
        after.clear()
        if own is None:
            after.update(status="missing", near=None, count=0)
        else:
            after.update(status="found", **own.to_json(), wording=own.text, count=1)

    def _follow(self, before: dict[str, Any], after: dict[str, Any], page: PageVersion) -> None:
        """The fuzzy search lost the clause: make `after` its successor, when the new version has one."""
        assert page.old is not None
        returning = before["status"] != "found"  # a removed clause comes back between its old neighbours
        found = successor(
            before, page.index(page.old), page.index(page.new), None if returning else page.diff,
            origin=_located(before), returning=returning,
        )  # fmt: skip
        if found is not None:
            after.clear()
            after.update(status="found", **found.located.to_json(), wording=found.located.text, count=1)
            after["reason"] = found.reason


def _located(state: dict[str, Any]) -> Located:
    return Located(
        state.get("wording") or "", state.get("score", 100.0), tuple(state.get("section", ())),
        state.get("block", 0), state.get("blocks", 1), state.get("position", 0.0),
        _context_pair(state.get("context")),
    )  # fmt: skip


def _reworded(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    return bool(
        before and before.get("status") == "found" and after["status"] == "found"
        and before.get("wording") and before.get("wording") != after["wording"]
    )  # fmt: skip


def _first(before: dict[str, Any] | None) -> bool:
    """The watch's first look at the page: no baseline, or only the one read from the version before."""
    return before is None or bool(before.get("from_previous") and before.get("status") == "missing")


def _context_pair(value: Any) -> tuple[str, str]:
    before, after = (list(value) + ["", ""])[:2] if value else ("", "")
    return str(before), str(after)


def _distinct(matches: list[Located]) -> list[Located]:
    """Drop matches overlapping a better one (two queries often find the same place)."""
    kept: list[Located] = []
    for match in matches:
        span = (match.block, match.block + match.blocks - 1)
        if all(span[1] < k.block or k.block + k.blocks - 1 < span[0] for k in kept):
            kept.append(match)
    return kept


@WATCH_KINDS.register
class TermWatch(WatchKind):
    """A word, phrase or regular expression whose appearance or disappearance matters."""

    name = "term"

    def __init__(self, config: WatchConfig) -> None:
        super().__init__(config)
        self.pattern = _pattern(config)

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
            if _first(before):
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
        self.pattern = _pattern(config)

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
        if _first(before) and after["status"] == "missing":
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
