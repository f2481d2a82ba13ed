"""`reextract`: a page's whole stored history read again under today's rules, shown before anything is written,
then recorded as technical versions.

Every timeline entry whose raw capture was kept is extracted again as a check would extract it today (walls and
collapse judged as live); a combined document's entry has its stored parts read again, each under its part's
rules now, as a live rule change reads them (pipeline/combine.py `extract_stored`); an entry without either
(imported text) keeps its text, with a note. The plan says which
entries would read otherwise, which neighbours would become the same text (merges: the change between them was
the rules', not the page's), and which of the alerts the live checks raised would have stayed silent, or which
would have fired, had today's rules been in force (the page's watches replayed over the re-read texts).

Recording it changes no past record (history and the hash chain are kept): each entry that reads otherwise
gets a re-reading, a technical version dated at the entry's start that the timeline places right after the
record that brought it (store/placement.py) and reads instead of it. Its `previous` and its summary are those of
today's reading: the change from the reading before it, or none (`unchanged`, a merge). The watches' baselines
move to today's reading of the version in effect silently; nothing is news. When only the version in effect's
fingerprint differs and it reads the same, that is recorded once as a note, so the next check reads no stored
text again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from monitor.config.declared_pages import page_now
from monitor.config.loading import PageConfig
from monitor.models import Document
from monitor.pipeline.capture import Context, extract_capture
from monitor.pipeline.combine import extract_stored
from monitor.pipeline.fingerprint import rules_now
from monitor.pipeline.rules_change import extract_again
from monitor.store.imported import ChainedRecord
from monitor.store.records import is_imported
from monitor.store.timeline import VersionInfo


@dataclass
class Reread:
    """One timeline entry, read again under today's rules."""

    since: str
    version: str  # the text stored
    now: str  # the text today's rules make of its capture (`version` when it cannot be read again)
    imported: bool
    note: str | None = None  # why it was not read again (no capture kept, the capture breaks under the rules)
    broken: bool = False  # its capture is not the document under today's rules (`note` says why)
    info: VersionInfo | None = None  # the entry as stored
    brought: ChainedRecord | None = None  # the record that brought it

    @property
    def differs(self) -> bool:
        return self.now != self.version


@dataclass
class ReextractPlan:
    page: str
    rules: str  # today's fingerprint
    parts: dict[str, object] = field(default_factory=dict)  # what it is made of (`rules_now`), read once
    entries: list[Reread] = field(default_factory=list)
    merges: list[tuple[Reread, Reread]] = field(default_factory=list)  # neighbours that would read the same
    silent: list[tuple[str, str, str]] = field(default_factory=list)  # (since, watch, kind) raised, not today
    fired: list[tuple[str, str, str]] = field(default_factory=list)  # (since, watch, kind) today, not raised
    documents: dict[str, Document] = field(default_factory=dict, repr=False)  # the re-read texts, by sha256

    @property
    def differing(self) -> list[Reread]:
        return [entry for entry in self.entries if entry.differs]


def plan_reextract(ctx: Context, page: PageConfig) -> ReextractPlan:
    """What today's rules make of every stored capture of `page`; writes nothing but the re-read texts' blobs
    are not even stored (a dry run leaves the store byte for byte as it was)."""
    store = ctx.store
    page = page_now(ctx.loaded.base_dir, page)  # its declaration, if any, read once for the whole history
    parts, rules = rules_now(ctx, page)
    plan = ReextractPlan(page.id, rules, parts)
    documents = plan.documents
    for info in store.versions.list(page.id):
        old = store.versions.read_document(page.id, info.id)
        brought = store.versions.record(page.id, info.since, info.id)
        imported = brought is not None and is_imported(brought.record)
        document, note, broken = old, None, False
        read = _read_again(ctx, page, info, old, brought)
        if read is None:
            note = "no stored capture to extract again"
        elif read[0] is None:
            note, broken = f"its capture under today's rules: {read[1]}", True
        else:
            document = read[0]
        now = hashlib.sha256(document.to_text().encode("utf-8")).hexdigest()
        documents.setdefault(now, document)
        entry = Reread(info.since, info.id, now, imported, note, broken, info, brought)
        if plan.entries and plan.entries[-1].now == now:
            plan.merges.append((plan.entries[-1], entry))
        plan.entries.append(entry)
    _replay_watches(ctx, page, plan)
    return plan


def _read_again(
    ctx: Context, page: PageConfig, info: VersionInfo, old: Document, brought: ChainedRecord | None
) -> tuple[Document | None, str | None] | None:
    """The text today's rules make of the capture(s) that brought `info`, judged as a check judges it: its raw
    capture, or a combined document's stored parts (each under its part's rules now, as a live rule change
    reads them); None when nothing was kept to read again (imported text, or parts no longer the same URLs).
    `brought`: the record that brought `info`, as the plan already read it."""
    raw = ctx.store.versions.read_raw(page.id, info)
    if raw is not None:
        return extract_again(ctx, page, brought.record if brought is not None else None, raw, old)
    return extract_stored(ctx, page, info, old, extract_capture)


def _replay_watches(ctx: Context, page: PageConfig, plan: ReextractPlan) -> None:
    """The alerts the page's watches would have raised over the re-read texts, against those the live checks
    raised (imported history raised none, and would raise none)."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if not watches:
        return
    documents = plan.documents
    baselines: dict[str, dict] = {}
    previous: Reread | None = None
    for entry in plan.entries:
        record = entry.brought.record if entry.brought is not None else None
        raised = {
            (alert.get("watch", ""), alert.get("kind", "")) for alert in (record.alerts if record else [])
        }
        today: set[tuple[str, str]] = set()
        if previous is None or previous.now != entry.now:
            evaluation = evaluate_watches(
                watches, page.id, baselines, old=documents.get(previous.now) if previous else None,
                new=documents[entry.now], diff=None, version=entry.now,
                previous=previous.now if previous else None, time=entry.since,
            )  # fmt: skip
            baselines.update(evaluation.baselines)
            today = {(alert.watch, alert.kind) for alert in evaluation.alerts}
        if not entry.imported and record is not None and record.source is None:
            plan.silent += [(entry.since, *alert) for alert in sorted(raised - today)]
            plan.fired += [(entry.since, *alert) for alert in sorted(today - raised)]
        previous = entry
