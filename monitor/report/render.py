"""The report's pages as HTML strings, from the models (model.py) through the templates in report/templates.

Every page gets `link(target)`: a site path made relative to the page being written, so no link in the site is
absolute. Page-derived text reaches the templates as plain strings and is escaped by the environment's
autoescape; the only markup made here is the timeline SVG (timeline_svg.py escapes what it puts in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from monitor.config.loading import Config
from monitor.diff.core import Change, DocumentDiff
from monitor.diff.render import kind_note, layout, segments
from monitor.models import Document
from monitor.present import links
from monitor.report.model import ChangeInfo, PageModel, VersionEntry
from monitor.report.timeline_svg import Bar, Shade, draw
from monitor.report.watches import published_watches
from monitor.store.timeline import parse_time
from monitor.templating import get_template

SITE_TITLE = "privacy-monitor: privacy notices over time"


@dataclass(slots=True)
class Group:
    """A run of changes under one section heading, as the change page shows it."""

    anchor: str
    title: str
    substantive: list[dict[str, Any]] = field(default_factory=list)
    cosmetic: list[dict[str, Any]] = field(default_factory=list)


class Renderer:
    def __init__(self, config: Config, words: dict[str, int]) -> None:
        self.config = config
        self.zone = ZoneInfo(config.digest.timezone)
        self.words = words  # substantive words changed, by change page (from the manifest)
        # only the watches of published pages: a watch page of private pages alone is not on the site
        self.watches = published_watches(config)
        self.watch_ids = {watch.id for watch in self.watches}

    # -- shared ----------------------------------------------------------------------------------------

    def local(self, moment: str | None) -> str:
        if not moment:
            return "never"
        return parse_time(moment).astimezone(self.zone).strftime("%Y-%m-%d %H:%M %Z")

    def day(self, moment: str) -> str:
        return parse_time(moment).astimezone(self.zone).strftime("%Y-%m-%d")

    def _render(self, template: str, path: str, **context: Any) -> str:
        def link(target: str) -> str:
            return links.rel(target, path)

        return get_template(f"report/{template}").render(
            link=link,
            local=self.local,
            day=self.day,
            site_title=SITE_TITLE,
            style=link(links.STYLE),
            home=link(links.INDEX),
            feed=link(links.FEED),
            watch_file=links.watch_file,
            watch_ids=self.watch_ids,
            zone_name=self.config.digest.timezone,
            **context,
        )

    def timeline(self, model: PageModel, path: str, *, small: bool = False) -> Any:
        bars = [
            Bar(
                change.record.time,
                self.words.get(change.file, change.substantive),
                links.rel(change.file, path),
                f"{self.day(change.record.time)}: {change.line}",
            )
            for change in model.changes
        ]
        shades = [
            Shade(f.start, f.end, f"checks failed from {self.local(f.start)}: {f.reason}")
            for f in model.failures
        ]
        title = f"Timeline of {model.title}: {len(bars)} change{'' if len(bars) == 1 else 's'}"
        return draw(bars, shades, model.first_check, model.last_check, title=title, small=small)

    # -- pages -----------------------------------------------------------------------------------------

    def index(self, models: Sequence[PageModel]) -> str:
        rows = [(model, self.timeline(model, links.INDEX, small=True)) for model in models]
        return self._render("index.html.j2", links.INDEX, rows=rows, watches=self.watches)

    def page(self, model: PageModel) -> str:
        return self._render(
            "page.html.j2",
            model.file,
            m=model,
            svg=self.timeline(model, model.file),
            words=self.words,
            watches=[w for w in self.watches if model.id in w.pages],
        )

    def version(self, model: PageModel, entry: VersionEntry, document: Document) -> str:
        return self._render("version.html.j2", entry.file, m=model, v=entry, blocks=document.blocks)

    def change(
        self, model: PageModel, change: ChangeInfo, diff: DocumentDiff | None, error: str | None
    ) -> str:
        groups = change_groups(diff) if diff is not None else []
        return self._render(
            "change.html.j2",
            change.file,
            m=model,
            c=change,
            s=change.summary,
            groups=groups,
            error=error,
            word_count=self.words.get(change.file),
            cosmetic_total=sum(len(g.cosmetic) for g in groups),
        )

    def watch(self, watch: Any, histories: Sequence[Any]) -> str:
        return self._render("watch.html.j2", links.watch_file(watch.id), w=watch, histories=histories)


def change_groups(diff: DocumentDiff) -> list[Group]:
    """The diff's changes in document order, in runs by section; each change with its full word diff."""
    groups: list[Group] = []
    for item in layout(diff, 0):
        if item.change is None:
            continue
        title = item.change.section_path or "(top of the page)"
        if not groups or groups[-1].title != title:
            groups.append(Group(f"s{len(groups) + 1}", title))
        entry = {"change": item.change, "segments": segments(item.change), "note": kind_note(item.change)}
        (groups[-1].substantive if item.change.substantive else groups[-1].cosmetic).append(entry)
    return groups


def substantive_words(diff: DocumentDiff) -> int:
    """Words deleted or inserted by the diff's substantive changes: the height of its bar."""
    return sum(_edited_words(change) for change in diff.changes if change.substantive)


def _edited_words(change: Change) -> int:
    return sum(len(s.text.split()) for s in segments(change) if s.kind in ("del", "ins"))
