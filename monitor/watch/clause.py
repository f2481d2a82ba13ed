"""The `clause` watch kind: a sentence or passage, followed fuzzily through rewordings, reflows and moves.

The wording followed is the baseline (the last wording seen), falling back to the config text; a reworded
clause is "changed" (a cosmetic-only edit is silent, or a low `cosmetic` note with `cosmetic = "note"`); a
clause is "moved" only when it sits under another heading AND among other sentences (a renamed heading, or a
heading added above it, is not a move); when it occurs several times, the occurrence nearest its last place
is followed and the count is reported. Where the fuzzy search loses it, follow.py finds its successor.
"""

from __future__ import annotations

from typing import Any

from monitor.diff.classify import classify, word_diff
from monitor.models import Document
from monitor.registry import WATCH_KINDS
from monitor.watch.base import DEFAULT_THRESHOLD, Hit, PageVersion, WatchKind, first_look
from monitor.watch.follow import own_wording, reason, stood_before, successor, twin_places
from monitor.watch.locate import ClauseIndex
from monitor.watch.located import Located, choose
from monitor.watch.moves import moved as _moved


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
        if before is not None and page.old is not None and after["status"] == "found":
            if _reworded(before, after):
                self._keep_own(before, after, page)
            elif twins := _twins_met(before, after, page):
                self._leave_twins(before, after, page, twins)
            elif (
                before["status"] == "missing"
                and before.get("ever_found")  # a clause never found (a threshold lowered since) may appear
                and stood_before(page.index(page.old), after["wording"])
            ):
                after.clear()  # a sentence that stood on the page all along is not the clause coming back
                after.update(status="missing", near=None, count=0)
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
            if before is None or first_look(before):
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

    def _leave_twins(
        self, before: dict[str, Any], after: dict[str, Any], page: PageVersion, twins: set[int]
    ) -> None:
        """The search met a twin of the clause: follow the clause's own occurrence (another match that stands
        where no twin does), or, with none, the clause is missing here and its successor is looked for."""
        matches = page.index(page.new).find(str(before["wording"]), threshold=self.threshold).matches
        own = [m for m in matches if not twins.intersection(range(m.block, m.block + m.blocks))]
        found = choose(own, near=_located(before))
        after.clear()
        if found is None:
            after.update(status="missing", near=None, count=0)
        else:
            after.update(status="found", **found.to_json(), wording=found.text, count=len(matches))

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


def _twins_met(before: dict[str, Any], after: dict[str, Any], page: PageVersion) -> set[int]:
    """Where the followed wording's twins stand, when the search met one of them (see follow.twin_places)."""
    if before.get("status") != "found" or not before.get("wording") or before["wording"] != after["wording"]:
        return set()
    if (
        before.get("count", 2) < 2
    ):  # the last check met the wording once: no twin, and no search of the old page
        return set()
    assert page.old is not None
    return twin_places(
        before["wording"], _located(after), page.index(page.old), lambda: page.diff, origin=_located(before)
    )


def _reworded(before: dict[str, Any] | None, after: dict[str, Any]) -> bool:
    return bool(
        before and before.get("status") == "found" and after["status"] == "found"
        and before.get("wording") and before.get("wording") != after["wording"]
    )  # fmt: skip


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
