"""`reextract`: a page's whole stored history read again under today's rules, before anything is written.

Every timeline entry whose raw capture was kept is extracted again as a check would extract it today (walls and
collapse judged as live); an entry without one (imported text) keeps its text, with a note. The plan says which
entries would read otherwise, which neighbours would become the same text (merges: the change between them was
the rules', not the page's), and which of the alerts the live checks raised would have stayed silent, or which
would have fired, had today's rules been in force (the page's watches replayed over the re-read texts).

Recording it changes no past record (history and the hash chain are kept): the version in effect gets the
technical version a check under today's rules would make first (pipeline/rules_change.py), so the next check
compares with today's reading. Past entries stay as they were recorded; the plan is what tells them apart.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from monitor.config.loading import PageConfig
from monitor.errors import StoreError, UsageError
from monitor.models import CheckRecord, Document, Outcome, isoformat
from monitor.pipeline.capture import Context
from monitor.pipeline.rules_change import (
    changed_parts,
    extract_again,
    page_rule_parts,
    page_rules,
    rules_change,
)
from monitor.store.records import TECHNICAL_KEY, is_imported
from monitor.store.writes import CheckWrites

# A fingerprint no rules have: a version recorded before fingerprints is read again like any other.
_UNKNOWN_RULES = "0" * 16


@dataclass
class Reread:
    """One timeline entry, read again under today's rules."""

    since: str
    version: str  # the text stored
    now: str  # the text today's rules make of its capture (`version` when it cannot be read again)
    imported: bool
    note: str | None = None  # why it was not read again (no capture kept, the capture breaks under the rules)

    @property
    def differs(self) -> bool:
        return self.now != self.version


@dataclass
class ReextractPlan:
    page: str
    rules: str  # today's fingerprint
    entries: list[Reread] = field(default_factory=list)
    merges: list[tuple[Reread, Reread]] = field(default_factory=list)  # neighbours that would read the same
    silent: list[tuple[str, str, str]] = field(default_factory=list)  # (since, watch, kind) raised, not today
    fired: list[tuple[str, str, str]] = field(default_factory=list)  # (since, watch, kind) today, not raised

    @property
    def differing(self) -> list[Reread]:
        return [entry for entry in self.entries if entry.differs]


def plan_reextract(ctx: Context, page: PageConfig) -> ReextractPlan:
    """What today's rules make of every stored capture of `page`; writes nothing but the re-read texts' blobs
    are not even stored (a dry run leaves the store byte for byte as it was)."""
    store = ctx.store
    plan = ReextractPlan(page.id, page_rules(ctx, page))
    documents: dict[str, Document] = {}
    for info in store.versions.list(page.id):
        old = store.versions.read_document(page.id, info.id)
        brought = store.versions.record(page.id, info.since, info.id)
        imported = brought is not None and is_imported(brought.record)
        raw = store.versions.read_raw(page.id, info)
        document, note = old, None
        if raw is None:
            note = "no stored capture to extract again"
        else:
            again, reason = extract_again(ctx, page, info, raw, old)
            if again is None:
                note = f"its capture under today's rules: {reason}"
            else:
                document = again
        now = hashlib.sha256(document.to_text().encode("utf-8")).hexdigest()
        documents[now] = document
        entry = Reread(info.since, info.id, now, imported, note)
        if plan.entries and plan.entries[-1].now == now:
            plan.merges.append((plan.entries[-1], entry))
        plan.entries.append(entry)
    _replay_watches(ctx, page, plan, documents)
    return plan


def _replay_watches(
    ctx: Context, page: PageConfig, plan: ReextractPlan, documents: dict[str, Document]
) -> None:
    """The alerts the page's watches would have raised over the re-read texts, against those the live checks
    raised (imported history raised none, and would raise none)."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if not watches:
        return
    baselines: dict[str, dict] = {}
    previous: Reread | None = None
    for entry in plan.entries:
        brought = ctx.store.versions.record(page.id, entry.since, entry.version)
        record = brought.record if brought is not None else None
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


def record_reextract(ctx: Context, page: PageConfig) -> CheckRecord | None:
    """Record today's reading of the version in effect: a technical version when it reads otherwise, else a
    technical note (an `unchanged` record saying what changed in the rules) when the version was made under
    other rules; None when it was made under today's rules already. Either way the fingerprint is written on
    the timeline once, so the next check compares with it and reads no stored text again."""
    store = ctx.store
    state = store.page_state(page.id)
    if state.current is None:
        return None
    fingerprint = page_rules(ctx, page)
    made_under = state.current.rules
    if made_under == fingerprint:
        return None  # recorded under today's rules already: a second reextract records nothing
    if made_under is None:  # made before fingerprints: read again all the same, as asked
        state = replace(state, current=replace(state.current, rules=_UNKNOWN_RULES))
    probe = CheckRecord(page=page.id, time=isoformat(ctx.clock()), url=page.url, outcome=Outcome.UNCHANGED)
    probe.rules = fingerprint
    change = rules_change(ctx, page, probe, state)
    if change is None or change.broken:  # today's rules break the capture: fix them before recording anything
        note = change.note if change else "nothing to read again"
        raise UsageError(f"{page.id}: {note}; nothing recorded (fix the page's select/remove)")
    what = changed_parts(ctx, made_under, change.parts) if made_under else _READ_AGAIN
    technical = change.technical
    writes = CheckWrites(
        baselines=change.baselines, rules=fingerprint, rules_parts=page_rule_parts(ctx, page)
    )
    if technical is None:  # the same text: the note is recorded once, with the fingerprint
        current = state.current
        assert current is not None  # read above
        technical = replace(probe, version=current.id, text_sha256=current.id)
        technical.raw_sha256, technical.renderer = current.raw_sha256, "rules"
        technical.reason = f"rules changed ({what}): the stored capture reads the same under them"
        technical.source = {
            "kind": "rules", "id": fingerprint, "previous": made_under, "changed": what,
            "key": f"{TECHNICAL_KEY}{fingerprint}@{probe.time}",
        }  # fmt: skip
        record, writes.technical = technical, None
    else:
        if technical.source is not None:
            technical.source.update(previous=made_under, changed=what)
        record = technical
    if not store.commit_check(record, expected=state.version, writes=writes):
        raise StoreError(f"{page.id}: a check recorded a version meanwhile; run reextract again")
    return record


_READ_AGAIN = "the stored capture read again by reextract"
