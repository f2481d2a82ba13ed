"""One imported version, as a live check records one: everything slow first, then one short write transaction.

`prepare_version` reads the page's timeline once, extracts the version (a raw capture under the rules in force at
its date), judges it against the version in effect at that date, writes its blobs (fsync'd), works out the
summary a live change carries and the watches' baselines, outside any lock. `commit_prepared` then records it in
one transaction, a compare-and-set on the timeline it was judged against: if another writer moved the page
meanwhile, nothing is written and the version is prepared again. An interrupted import leaves either the whole
version or nothing of it (orphan blobs at most), and running it again imports what is missing.

When the declaration in force changed between the version in effect and this capture, the earlier capture is
first extracted again under this capture's rules, as a live check does (pipeline/rules_change.py): a text that
differs is a technical version dated at this capture, recorded just before it, and the capture is compared with
it, so a change that is only the declaration's is never taken for the page's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.config.loading import PageConfig
from monitor.errors import ImportSourceError
from monitor.extract.signature import is_pdf
from monitor.fetch.common import decode_html
from monitor.imports.judge import Later, NextText, judge_text, text_document
from monitor.imports.sources import SourceVersion
from monitor.models import CheckRecord, Document, FetchResult, Outcome, isoformat
from monitor.pipeline.capture import Context, extract_capture
from monitor.pipeline.decide import decide
from monitor.pipeline.fingerprint import rules_now
from monitor.pipeline.rules_change import describe_change, rules_change
from monitor.store.core import Store
from monitor.store.records import HISTORY_KEY
from monitor.store.timeline import VersionInfo, in_effect_at, parse_time
from monitor.store.writes import PageState, rules_parts_file

# A timeline as a compare-and-set reads it: each entry's text and start.
Snapshot = tuple[tuple[str, str], ...]


@dataclass
class Prepared:
    """An imported version ready to record: its record, the technical version before it (if any), the
    baselines its watches move to, the timeline it was judged against, and what the fingerprint of the rules
    it was extracted under is made of (a raw capture's), kept as state in its transaction."""

    record: CheckRecord
    timeline: Snapshot
    technical: CheckRecord | None = None
    baselines: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules_parts: dict[str, object] | None = None


def snapshot(timeline: list[VersionInfo]) -> Snapshot:
    return tuple((entry.id, entry.since) for entry in timeline)


def prepare_version(
    ctx: Context,
    page: PageConfig,
    version: SourceVersion,
    data: bytes,
    *,
    watch: bool,
    following: NextText = Later,
) -> Prepared:
    """Everything about `version` but its transaction (see the module's docstring). `following`: what the
    source goes on with, for a text that reads collapsed (judge.py)."""
    store = ctx.store
    record = CheckRecord(
        page=page.id, time=version.time, url=version.address or page.url, outcome=Outcome.FAILED
    )
    record.source, record.renderer = version.source() | {"key": version.key}, "import"
    parts: dict[str, object] | None = None
    if version.raw:  # a raw capture (HTML or PDF): extracted as a live check then would have, and marked so
        page = rules_at(ctx, page, parse_time(version.time))
        parts, record.rules = rules_now(ctx, page)  # what a live check under the same rules fingerprints
    timeline = store.versions.list(page.id)
    prepared = Prepared(record, snapshot(timeline), rules_parts=parts)
    before = in_effect_at(timeline, parse_time(version.time))
    later = bool(timeline) and parse_time(timeline[-1].since) > parse_time(version.time)
    baselines = store.baselines.of_page(page.id) if watch and not later else {}
    old = store.versions.read_document(page.id, before.id) if before else None
    document, reason = _document(ctx, page, version, data, old, following)
    if document is None:
        record.reason, record.version = reason, before.id if before else None
        return prepared
    if before is not None and old is not None and record.rules is not None:
        state = PageState(before, None, baselines)
        assert parts is not None  # record.rules is set with them
        change = rules_change(ctx, page, record, state, rule_parts=parts, placed=HISTORY_KEY)
        if change is not None and change.technical is not None and change.document is not None:
            prepared.technical, old = change.technical, change.document
            change.technical.url = record.url  # the address the earlier capture came from, as its record says
            before = change.state(state).current
            if watch and not later:
                baselines = {**baselines, **change.baselines}
                prepared.baselines.update(change.baselines)
        elif change is not None and change.note:
            record.reason = change.note
    assert document is not None
    raw = data if version.raw else None
    text = document.to_text()
    record.text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    record.raw_sha256 = hashlib.sha256(raw).hexdigest() if raw is not None else None
    record.outcome = decide(before.id if before else None, record.text_sha256)
    if record.outcome == Outcome.UNCHANGED:
        assert before is not None
        record.version, record.raw_sha256 = before.id, None
        return prepared
    record.previous = before.id if before else None
    private = page.cookies_file is not None
    record.version = store.versions.put(
        page.id, text, raw, private=private, hashed=(record.text_sha256, record.raw_sha256)
    )
    if old is not None and not later:  # what a live check of this change would have said of it
        describe_change(ctx, page, record, old, document)
    if watch and not later:
        prepared.baselines.update(_follow_watches(ctx, page, baselines, old, document, record))
    return prepared


def commit_prepared(store: Store, page_id: str, prepared: Prepared) -> bool:
    """Record `prepared` in one short transaction if the page's timeline is still the one it was judged
    against; False, and nothing written, if another writer moved it."""
    with store.transaction():
        if snapshot(store.versions.list(page_id)) != prepared.timeline:
            return False
        if prepared.technical is not None:
            store.checks.append(prepared.technical)
        store.checks.append(prepared.record)
        for watch_id, data in prepared.baselines.items():
            store.baselines.put(watch_id, page_id, data)
        made = prepared.technical is not None or prepared.record.outcome in (Outcome.NEW, Outcome.CHANGED)
        if made and prepared.rules_parts is not None and prepared.record.rules is not None:
            # what the new version's fingerprint is made of: a later change of the rules names its parts
            store.state.write_json(rules_parts_file(prepared.record.rules), prepared.rules_parts)
    return True


def rules_at(ctx: Context, page: PageConfig, at: datetime) -> PageConfig:
    """`page` under the rules in force at `at`: a page that follows a declaration takes the declaration's
    entry valid then (`<service>.history.json`, `validUntil`), read once, as a check reads it (its filters and
    parts included, so the fingerprint is what a live check under those rules records); a page with its own
    rules, today's."""
    if page.declaration is None or page.declaration_problem is not None:
        return page
    from monitor.config.declared_pages import page_now

    then = page_now(ctx.loaded.base_dir, page, at=at)
    problem = then.read_rules.problem if then.read_rules is not None else None
    if problem is not None:
        raise ImportSourceError(f"{problem} (the declaration in force at {isoformat(at)})")
    return then


def _document(
    ctx: Context,
    page: PageConfig,
    version: SourceVersion,
    data: bytes,
    old: Document | None,
    following: NextText,
) -> tuple[Document | None, str | None]:
    """The version's document, or (None, why it is not the document): a text judged by its words and against
    `old` (judge.py), a raw capture as a check judges one."""
    if not version.raw:
        document = text_document(version, data)
        reason = judge_text(ctx, page, document, old, following)
        return (None, reason) if reason else (document, None)
    html, encoding = ("", "") if is_pdf(data) else decode_html(data)  # a PDF is read as bytes
    url = version.address or page.url
    fetched = FetchResult(url, url, 200, {}, data, html, encoding, "import", 0.0)
    extraction, reason = extract_capture(ctx, page, fetched, last_good=old)
    if reason or extraction is None:
        return None, reason or "no document"
    return extraction.document, None


def _follow_watches(
    ctx: Context,
    page: PageConfig,
    baselines: dict[str, dict[str, Any]],
    old: Document | None,
    new: Document,
    record: CheckRecord,
) -> dict[str, dict[str, Any]]:
    """The page's watch baselines on this version, raising nothing: history is not news."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if not watches or not record.version:
        return {}
    evaluation = evaluate_watches(
        watches, page.id, baselines, old=old, new=new, diff=None,
        version=record.version, previous=record.previous, time=record.time,
    )  # fmt: skip
    return dict(evaluation.baselines)
