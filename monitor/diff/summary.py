"""What a change amounts to, in a few lines a person reads first: `summarize(diff, watched=...)`.

A big update (Meta's of 16 December 2025 touched over a thousand blocks) cannot be read block by block on a
phone. The summary says what a reader asks first: the new date line ("Effective December 16, 2025"), which
sections came, went or were renamed, how many edits are substantive, and the few that matter most: those
touching a watched clause, term or section first, then those about AI, objection, consent, sharing,
retention, deletion, sale, transfer or training (monitor.diff.topics), then those that change a sentence's
force (signal words: may, not, all ...). Each highlight carries its section path and a bounded word diff.

It is JSON-able (`to_json`/`from_json`), so the pipeline can keep it with the check and every later reader
(alert, digest, feed) shows the same summary without diffing again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.collector import collection_paused
from monitor.diff.core import Change, DocumentDiff
from monitor.diff.novelty import Novel
from monitor.diff.ranking import Candidate, read_first
from monitor.diff.segments import Segment, block_segments, one_line

HIGHLIGHTS = 5  # changes shown first; the rest is "and N more"
EXCERPT_CHARS = 480  # of each highlight's word diff: a clause, not a section
SEPARATOR = " · "


@dataclass(frozen=True, slots=True)
class Watched:
    """A watched wording to rank by: `kind` clause (its text), term (a word or pattern) or section (a heading)."""

    name: str
    text: str
    kind: str = "term"
    regex: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # The watches' own pattern, over folded text: the ranking calls "watched" what the watch would match.
        from monitor.extract.wording import wording_pattern

        object.__setattr__(self, "pattern", wording_pattern(self.text, regex=self.regex, watch_id=self.name))

    @classmethod
    def of(cls, watch: Any) -> Watched:
        """From a config watch (id, kind, text, regex) or a plain string (a term)."""
        if isinstance(watch, Watched):
            return watch
        if isinstance(watch, str):
            return cls(watch, watch)
        return cls(watch.id, watch.text or "", watch.kind, bool(getattr(watch, "regex", False)))

    def touches(self, change: Change) -> bool:
        if not self.text:
            return False
        if self.kind == "section":
            return any(self._found(heading) for heading in (*change.section, *change.old_section))
        return any(self._found(text) for text in (change.old, change.new) if text)

    def _found(self, text: str) -> bool:
        from monitor.extract.wording import fold

        return self.pattern.search(fold(text)) is not None


@dataclass(frozen=True, slots=True)
class Decided:
    """A watch's own decision at one check (its alert), to mark changes by: the change it names is the one
    whose old side holds the alert's old wording or whose new side holds its new wording (for a clause
    followed to its successor, the pair the alert's `details["reason"]` explains). A section watch names each
    changed passage it counted. So a digest's alert list and its change list name exactly the same change."""

    name: str
    wordings: tuple[tuple[str, str], ...]  # (old, new), folded; "" where a side has none

    @classmethod
    def of(cls, alert: Any) -> Decided:
        """From an `Alert` or its stored JSON."""
        data = alert if isinstance(alert, dict) else alert.to_json()
        details = data.get("details") or {}
        pairs = [(data.get("old"), data.get("new"))]
        if data.get("watch_kind") == "section":
            pairs += [(c.get("old"), c.get("new")) for c in details.get("changes") or ()]
        folded = tuple((_folded(old), _folded(new)) for old, new in pairs if old or new)
        return cls(str(data.get("watch") or ""), folded)

    def touches(self, change: Change) -> bool:
        old, new = _folded(change.old), _folded(change.new)
        return any((o and o in old) or (n and n in new) for o, n in self.wordings)


def _folded(text: str | None) -> str:
    from monitor.extract.wording import fold

    return " ".join(fold(text).split()) if text else ""


@dataclass(frozen=True, slots=True)
class Highlight:
    """One change worth reading first."""

    kind: str  # added | removed | modified | moved, or a kind a newer diff knows
    section: str  # "A › B"; "" at the top of the page
    segments: tuple[Segment, ...]  # the word diff, elided and bounded to about EXCERPT_CHARS
    topics: tuple[str, ...] = ()
    signals: tuple[str, ...] = ()
    watched: tuple[str, ...] = ()  # names of the watches it touches

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "section": self.section,
            "segments": [[segment.kind, segment.text] for segment in self.segments],
            "topics": list(self.topics),
            "signals": list(self.signals),
            "watched": list(self.watched),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Highlight:
        return cls(
            kind=str(data.get("kind", "")),
            section=str(data.get("section", "")),
            segments=tuple(Segment(kind, text) for kind, text in data.get("segments", ())),
            topics=tuple(data.get("topics", ())),
            signals=tuple(data.get("signals", ())),
            watched=tuple(data.get("watched", ())),
        )


@dataclass(frozen=True, slots=True)
class ChangeSummary:
    effective: str | None  # the new date line, when it changed ("Effective December 16, 2025")
    effective_before: str | None
    sections_added: tuple[str, ...]
    sections_removed: tuple[str, ...]
    sections_renamed: tuple[tuple[str, str], ...]  # (old, new)
    substantive: int
    cosmetic: int
    highlights: tuple[Highlight, ...]

    @property
    def more(self) -> int:
        """Substantive changes not among the highlights."""
        return max(0, self.substantive - sum(1 for _ in self.highlights))

    def line(self) -> str:
        """'Effective December 16, 2025 · 2 sections added · 1,147 substantive changes'."""
        parts = [self.effective] if self.effective else []
        for count, verb in (
            (len(self.sections_added), "added"),
            (len(self.sections_removed), "removed"),
            (len(self.sections_renamed), "renamed"),
        ):
            if count:
                parts.append(f"{count} section{'' if count == 1 else 's'} {verb}")
        if self.substantive:
            parts.append(_count(self.substantive, "substantive change"))
        elif self.cosmetic:
            parts.append(f"no substantive change ({_count(self.cosmetic, 'cosmetic edit')})")
        else:
            parts.append("no change in the text")
        return SEPARATOR.join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line(),
            "effective": self.effective,
            "effective_before": self.effective_before,
            "sections_added": list(self.sections_added),
            "sections_removed": list(self.sections_removed),
            "sections_renamed": [{"old": old, "new": new} for old, new in self.sections_renamed],
            "substantive": self.substantive,
            "cosmetic": self.cosmetic,
            "highlights": [highlight.to_json() for highlight in self.highlights],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChangeSummary:
        return cls(
            effective=data.get("effective"),
            effective_before=data.get("effective_before"),
            sections_added=tuple(data.get("sections_added", ())),
            sections_removed=tuple(data.get("sections_removed", ())),
            sections_renamed=tuple((e["old"], e["new"]) for e in data.get("sections_renamed", ())),
            substantive=int(data.get("substantive", 0)),
            cosmetic=int(data.get("cosmetic", 0)),
            highlights=tuple(Highlight.from_json(h) for h in data.get("highlights", ())),
        )


def summarize(
    diff: DocumentDiff,
    *,
    watched: Iterable[Any] = (),
    limit: int = HIGHLIGHTS,
    alerts: Iterable[Any] | None = None,
) -> ChangeSummary:
    """The summary of `diff`; `watched`: config watches (or Watched, or plain terms) to rank first. With
    `alerts` (the check's, as `Alert`s or their JSON), a change is marked and ranked as watched by the watches'
    own decisions instead: exactly the changes their alerts name."""
    watches: list[Watched | Decided] = (
        [Watched.of(watch) for watch in watched]
        if alerts is None
        else [Decided.of(alert) for alert in alerts]
    )
    structure = diff.structure
    updated = structure.get("metadata", {}).get("updated") or {}
    substantive = [change for change in diff.changes if change.cls == "substantive"]
    with collection_paused():  # weighing every change's words makes many small objects, as a diff does
        chosen = read_first(diff, substantive, lambda change: sum(w.touches(change) for w in watches), limit)
    return ChangeSummary(
        effective=updated.get("new"),
        effective_before=updated.get("old"),
        sections_added=tuple(structure.get("sections_added", ())),
        sections_removed=tuple(structure.get("sections_removed", ())),
        sections_renamed=tuple((e["old"], e["new"]) for e in structure.get("sections_renamed", ())),
        substantive=len(substantive),
        cosmetic=len(diff.changes) - len(substantive),
        highlights=tuple(_highlight(candidate, watches) for candidate in chosen),
    )


def highlight(change: Change, watches: Sequence[Watched | Decided] = ()) -> Highlight:
    """One change as a highlight, whether or not it would be read first."""
    return _highlight(Candidate(0, change, Novel(), ()), watches)


def _highlight(candidate: Candidate, watches: Sequence[Watched | Decided]) -> Highlight:
    change = candidate.change
    segments = block_segments(change.kind, change.old, change.new, change.ops)
    return Highlight(
        kind=change.kind,
        section=change.section_path,
        segments=tuple(bounded([Segment(s.kind, one_line(s.text), s.signal) for s in segments])),
        topics=candidate.topics,
        signals=candidate.signals,
        watched=tuple(dict.fromkeys(watch.name for watch in watches if watch.touches(change))),
    )


def bounded(segments: Sequence[Segment], limit: int = EXCERPT_CHARS) -> list[Segment]:
    """At most about `limit` characters of `segments`, cut at a word, '…' where text was left out."""
    result: list[Segment] = []
    left = limit
    for segment in segments:
        if left <= 0:
            break
        if len(segment.text) > left:
            cut = segment.text[:left].rsplit(" ", 1)[0] if " " in segment.text[:left] else segment.text[:left]
            result.extend([Segment(segment.kind, cut), Segment("gap", " …")])
            return result
        result.append(segment)
        left -= len(segment.text)
    if len(result) < len(segments):
        result.append(Segment("gap", " …"))
    return result


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
