"""`reextract` without `--dry-run`: the plan (reextract.py) recorded as re-readings, in one transaction.

Each timeline entry whose capture reads otherwise under today's rules gets one technical version (source kind
"rules", `after` the number of the record that brought the entry, `was` the text that record stored), dated at
the entry's start: the timeline places it right after that record and reads it instead (store/placement.py),
so `history`, `show`, `diff`, the report and the watches' history read today's readings of the past. A
re-reading says the change from the reading before it (`changed`, with the summary a live check would have
given under today's rules), or that there is none (`unchanged`: the change between the two captures was the
rules', the entries merge), or that it is the first version (`new`). Nothing past is rewritten and nothing is
news: a re-reading raises no alert and queues no message; the watches' baselines move to today's reading of
the version in effect silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.config.loading import PageConfig
from monitor.errors import StoreError, UsageError
from monitor.imports.reextract import ReextractPlan, Reread, plan_reextract
from monitor.models import CheckRecord, Outcome, isoformat
from monitor.pipeline.capture import Context
from monitor.pipeline.rules_change import changed_parts, describe_change, reads_the_same, technical_record
from monitor.store.timeline import VersionInfo
from monitor.store.writes import CheckWrites, PartWrite, rules_parts_file

READ_AGAIN = "the stored capture read again by reextract"  # what changed, for a version of unknown rules


@dataclass
class Recorded:
    """What `record_reextract` wrote."""

    rereadings: list[CheckRecord] = field(default_factory=list)  # oldest first
    note: CheckRecord | None = None  # the version in effect reads the same under the new fingerprint

    @property
    def merged(self) -> int:
        return sum(1 for record in self.rereadings if record.outcome == Outcome.UNCHANGED)


def record_reextract(ctx: Context, page: PageConfig, plan: ReextractPlan | None = None) -> Recorded:
    """Record `plan` (made now when not given): a re-reading of each entry that reads otherwise, else nothing
    but a note when the version in effect was made under other rules. A second run records nothing. UsageError
    when today's rules break the capture of the version in effect (nothing is recorded: fix them first);
    StoreError when a check moved the page since the plan was made."""
    store = ctx.store
    plan = plan if plan is not None else plan_reextract(ctx, page)
    result = Recorded()
    if not plan.entries:
        return result
    current = plan.entries[-1]
    if current.broken:
        raise UsageError(f"{page.id}: {current.note}; nothing recorded (fix the page's select/remove)")
    parts = plan.parts
    reading_before: Reread | None = None
    read_from: list[list[PartWrite]] = []  # a combined document's re-reading names the parts it re-read
    for entry in plan.entries:
        if entry.differs and not entry.broken:
            result.rereadings.append(_rereading(ctx, page, plan, entry, reading_before, parts))
            assert entry.info is not None  # an entry that reads otherwise has its stored row
            stored = store.versions.captures(page.id, entry.info)
            read_from.append([PartWrite(number, url, raw) for number, url, raw in stored])
        reading_before = entry
    assert current.info is not None  # every planned entry carries its stored row
    if not result.rereadings and current.info.rules == plan.rules:
        return result  # read under today's rules already
    baselines = _baselines(ctx, page, plan, current) if current.differs else {}
    with store.transaction():
        if store.versions.list(page.id) != [entry.info for entry in plan.entries]:
            raise StoreError(f"{page.id}: a check recorded a version meanwhile; run reextract again")
        for record, captures in zip(result.rereadings, read_from, strict=True):
            text = plan.documents[record.version or ""].to_text()
            store.versions.put(page.id, text, None, hashed=(record.version or "", None))
            store.checks.append(record, captures)
        head = store.versions.current(page.id)
        assert head is not None  # the plan read it, and nothing moved it
        if head.rules != plan.rules:  # the same text under another fingerprint: said once, on the version
            result.note = _note(ctx, page, plan, head)
            writes = CheckWrites(baselines=baselines, rules=plan.rules, rules_parts=parts)
            store.commit_check(result.note, expected=head.id, writes=writes)
        else:
            for watch_id, data in baselines.items():
                store.baselines.put(watch_id, page.id, data)
            store.state.write_json(rules_parts_file(plan.rules), parts)
    return result


def _rereading(
    ctx: Context,
    page: PageConfig,
    plan: ReextractPlan,
    entry: Reread,
    before: Reread | None,
    parts: dict[str, object],
) -> CheckRecord:
    """The technical version that stands for the record that brought `entry`, as today's rules read it."""
    assert entry.info is not None and entry.brought is not None  # an entry that reads otherwise has both
    made = entry.brought.record
    outcome = (
        Outcome.NEW if before is None else Outcome.UNCHANGED if before.now == entry.now else Outcome.CHANGED
    )
    what = changed_parts(ctx, entry.info.rules, parts) if entry.info.rules else READ_AGAIN
    record = technical_record(
        page.id, entry.since, made.url, outcome, version=entry.now, raw_sha256=entry.info.raw_sha256,
        rules=plan.rules, made_under=entry.info.rules, changed=what, after=entry.brought.n, was=entry.version,
    )  # fmt: skip
    record.final_url, record.status, record.headers = made.final_url, made.status, dict(made.headers)
    record.previous = before.now if before is not None and outcome == Outcome.CHANGED else None
    if outcome == Outcome.CHANGED and before is not None:
        old, new = plan.documents[before.now], plan.documents[entry.now]
        describe_change(ctx, page, record, old, new)  # the page's change, as today's rules read it
    return record


def _note(ctx: Context, page: PageConfig, plan: ReextractPlan, current: VersionInfo) -> CheckRecord:
    """An `unchanged` technical record: the version in effect reads the same under today's rules."""
    made_under = current.rules
    what = changed_parts(ctx, made_under, plan.parts) if made_under else READ_AGAIN
    note = technical_record(
        page.id, isoformat(ctx.clock()), page.url, Outcome.UNCHANGED, version=current.id,
        raw_sha256=current.raw_sha256, rules=plan.rules, made_under=made_under, changed=what,
    )  # fmt: skip
    note.reason = reads_the_same(what)
    return note


def _baselines(
    ctx: Context, page: PageConfig, plan: ReextractPlan, current: Reread
) -> dict[str, dict[str, Any]]:
    """The watches' baselines moved from the version in effect to today's reading of it; their alerts are
    dropped: a reading is not news."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if not watches:
        return {}
    state = ctx.store.page_state(page.id)
    old = ctx.store.versions.read_document(page.id, current.version)
    evaluation = evaluate_watches(
        watches, page.id, state.baselines, old=old, new=plan.documents[current.now], diff=None,
        version=current.now, previous=current.version, time=current.since,
    )  # fmt: skip
    return evaluation.baselines
