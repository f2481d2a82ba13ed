"""What the report shows of each page, gathered from the store with indexed reads and no diffing.

A page's model is its version timeline, its changes (the `changed` checks, with the summary the pipeline
stored at check time), the periods its checks failed, and its health. Everything here is cheap: the diff of a
change is computed only when its page is written (build.py), and the words it changed are kept in the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.config.loading import Config, PageConfig
from monitor.diff.summary import ChangeSummary
from monitor.errors import StoreDamaged
from monitor.models import CheckRecord, Outcome
from monitor.present import links
from monitor.store.core import Store
from monitor.store.records import is_imported, is_technical, rules_note
from monitor.store.timeline import VersionInfo


@dataclass(slots=True)
class ChangeInfo:
    """One `changed` check of a page: where its page lives and what its stored summary says."""

    record: CheckRecord
    file: str  # site path of its change page
    number: int  # 1-based among the page's changes
    summary: ChangeSummary | None
    occurrence: int = 1  # the same two texts changing again (A, B, A, B): its page is named apart
    before: str | None = None  # site path of the version page it replaced
    after: str | None = None  # site path of the version page it brought
    previous_change: str | None = None  # site paths of the neighbouring changes
    next_change: str | None = None

    @property
    def line(self) -> str:
        if self.summary is not None:
            line = self.summary.line()
        else:
            line = "cosmetic edits only" if self.record.cosmetic else "changed"
        if is_technical(self.record):
            return f"{rules_note(self.record)}: {line}"
        return f"{line} (imported)" if self.imported else line

    @property
    def imported(self) -> bool:
        """A change of the imported history: shown as history, never as news a check found."""
        return is_imported(self.record)

    @property
    def substantive(self) -> int:
        if self.summary is not None:
            return self.summary.substantive
        return int((self.record.changes.get("by_class") or {}).get("substantive", 0))

    @property
    def watched(self) -> list[str]:
        """The watches the change touched: alerts raised, and highlights that touch a watched wording."""
        names = [str(alert.get("watch")) for alert in self.record.alerts if alert.get("watch")]
        if self.summary is not None:
            names += [name for h in self.summary.highlights for name in h.watched]
        return list(dict.fromkeys(names))


@dataclass(slots=True)
class VersionEntry:
    seq: int  # 1-based position in the timeline
    info: VersionInfo
    file: str
    change: str | None  # the change page of the change that brought it (None: the first version)
    effective: str | None  # the date line in effect ("Effective December 16, 2025"), when known
    imported: bool = False  # brought by imported history, not by a check


@dataclass(slots=True)
class Failure:
    start: str  # the first failed check of a run
    end: str | None  # the next good check (None: still failing)
    reason: str
    checks: int


@dataclass(slots=True)
class PageModel:
    page: PageConfig
    versions: list[VersionEntry] = field(default_factory=list)
    changes: list[ChangeInfo] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    first_check: str | None = None
    last_check: str | None = None
    last_success: str | None = None
    checks: int = 0
    damage: str | None = None

    @property
    def id(self) -> str:
        return self.page.id

    @property
    def title(self) -> str:
        return self.page.title or self.page.id

    @property
    def lang(self) -> str:
        """The HTML `lang` of the page's text (BCP 47: `en-GB`, `de-DE`); English when not configured."""
        return (self.page.locale or "en").replace("_", "-")

    @property
    def file(self) -> str:
        return links.page_file(self.page.id)

    @property
    def site_files(self) -> list[str]:
        """Every file of the site that is the page's own: its page, its changes' and its versions'."""
        return [self.file, *(c.file for c in self.changes), *(v.file for v in self.versions)]

    @property
    def failing(self) -> Failure | None:
        return self.failures[-1] if self.failures and self.failures[-1].end is None else None

    @property
    def last_change(self) -> ChangeInfo | None:
        return self.changes[-1] if self.changes else None


def page_model(store: Store, page: PageConfig) -> PageModel:
    """The model of one page; a page whose data is damaged gets `damage` (the message naming the file)."""
    model = PageModel(page)
    try:
        checks, readings = store.checks.list_and_readings(page.id)
        timeline = store.versions.list(page.id)
    except StoreDamaged as error:
        model.damage = str(error)
        return model
    live = [
        record for record in checks if record.source is None
    ]  # imported or technical records are no checks
    model.checks = len(live)
    if live:
        model.first_check, model.last_check = live[0].time, live[-1].time
    good = [record for record in live if record.outcome != Outcome.FAILED]
    model.last_success = good[-1].time if good else None
    model.failures = failure_runs(live)
    model.changes = _changes(page.id, readings)  # today's readings, as the timeline
    imported = {(r.time, r.version) for r in checks if is_imported(r) and r.outcome == Outcome.NEW}
    model.versions = _versions(page.id, timeline, model.changes, imported)
    return model


def site_models(store: Store, config: Config) -> list[PageModel]:
    return [page_model(store, page) for page in config.pages]


def failure_runs(checks: list[CheckRecord]) -> list[Failure]:
    """Each run of consecutive failed checks, from its first failure to the next good check."""
    runs: list[Failure] = []
    current: Failure | None = None
    for record in checks:
        if record.outcome == Outcome.FAILED:
            if current is None:
                current = Failure(record.time, None, record.reason or "failed", 0)
                runs.append(current)
            current.checks += 1
            current.reason = record.reason or current.reason
        elif current is not None:
            current.end = record.time
            current = None
    return runs


def _changes(page_id: str, checks: list[CheckRecord]) -> list[ChangeInfo]:
    changes: list[ChangeInfo] = []
    for record, occurrence in links.change_occurrences(checks):
        assert record.previous and record.version  # change_occurrences yields only such changes
        summary = ChangeSummary.from_json(record.summary) if record.summary else None
        file = links.change_file(page_id, record.previous, record.version, occurrence)
        changes.append(ChangeInfo(record, file, len(changes) + 1, summary, occurrence))
    for before, after in zip(changes, changes[1:], strict=False):
        before.next_change, after.previous_change = after.file, before.file
    return changes


def _versions(
    page_id: str,
    timeline: list[VersionInfo],
    changes: list[ChangeInfo],
    imported_first: set[tuple[str, str | None]],
) -> list[VersionEntry]:
    # a technical version and the change its check then found share a time: told apart by the text they bring
    by_time = {(change.record.time, change.record.version): change for change in changes}
    entries: list[VersionEntry] = []
    effective: str | None = None
    for seq, info in enumerate(timeline, 1):
        change = by_time.get((info.since, info.id))
        if change is not None and change.summary is not None and change.summary.effective:
            effective = change.summary.effective
        entry = VersionEntry(seq, info, links.version_file(page_id, seq, info.id), None, effective)
        entry.imported = change.imported if change is not None else (info.since, info.id) in imported_first
        if change is not None:
            entry.change = change.file
            change.after = entry.file
            if entries:
                change.before = entries[-1].file
        entries.append(entry)
    return entries
