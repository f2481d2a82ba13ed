"""Store a source's versions in a page's timeline: one transaction per version, idempotent, placed by date.

Each version becomes a check record marked with its `source` (the commit id, or the file's sha256), dated by
the source: `new`/`changed` when its text differs from the version in effect at that date, `unchanged` when it
is the same text (a markup-only duplicate, or the same version from another source: "merged"), `failed` when
an HTML capture is not the document (a login wall, a collapsed capture), exactly as a check would judge it.

Decisions worth knowing:
- A version whose source id the page has already is skipped: importing the same source again adds nothing.
- Imports come before live checks: a source with versions dated at or after the page's first live check is
  refused (one line naming the first such version and the --until that avoids it), so a live check is never
  re-judged against history it did not know. Imports dated before existing checks are placed by date.
- No alerts and no digest news: the store's period and "latest" queries read live checks only. Watch baselines
  follow an imported version only while the page has no live check, so the first live check compares with
  the latest imported wording.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.config.loading import PageConfig
from monitor.errors import ImportSourceError
from monitor.extract.document import document_from_markdown
from monitor.extract.rules import rule_parts, rules_fingerprint
from monitor.fetch.common import decode_html, is_pdf
from monitor.imports.sources import SourceVersion
from monitor.models import CheckRecord, Document, FetchResult, Outcome, isoformat
from monitor.pipeline.capture import Context, extract_capture
from monitor.pipeline.decide import decide
from monitor.pipeline.rules_change import describe_change
from monitor.store.timeline import in_effect_at, parse_time

# A version dated later than this after now is refused: `verify` holds a record from the future to be damage.
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(slots=True)
class ImportReport:
    imported: int = 0  # new timeline entries
    merged: int = 0  # the same text as the version in effect at its date
    failed: int = 0  # captures that are not the document (kept as failed records)
    present: int = 0  # already imported (the same source id)
    failures: list[tuple[SourceVersion, str]] = field(default_factory=list)

    def line(self) -> str:
        text = f"{_count(self.imported, 'version')} imported, {self.merged} merged, {self.failed} failed"
        if self.present:
            text += f" ({self.present} already in the store)"
        return text


def select(
    versions: Sequence[SourceVersion], since: datetime | None, until: datetime | None
) -> list[SourceVersion]:
    """The versions dated within [since, until]."""
    return [
        version
        for version in versions
        if (since is None or parse_time(version.time) >= since)
        and (until is None or parse_time(version.time) <= until)
    ]


def import_versions(
    ctx: Context,
    page: PageConfig,
    versions: Sequence[SourceVersion],
    *,
    on_version: Callable[[SourceVersion], None] | None = None,
) -> ImportReport:
    """Store `versions` (oldest first) as records of `page`; see the module's docstring for the rules."""
    store = ctx.store
    first_live = store.first_live_time(page.id)
    if first_live is not None:
        late = [version for version in versions if version.time >= first_live]
        if late:
            raise ImportSourceError(
                f"{late[0].name}: dated {late[0].time}, on or after the first live check of {page.id} "
                f"({first_live}); imports come before live checks: add --until {_day_before(first_live)}"
            )
    now = ctx.clock()
    future = [version for version in versions if _after(version, now + FUTURE_TOLERANCE)]
    if future:
        raise ImportSourceError(
            f"{future[0].name}: dated {future[0].time}, after now ({isoformat(now)}): history cannot come from "
            "the future; check the date in its name (or the clock), or leave it out with --until"
        )
    report = ImportReport()
    known = store.imported_sources(page.id)
    for version in sorted(versions, key=lambda version: version.time):
        if on_version:
            on_version(version)
        if version.key in known:
            report.present += 1
            continue
        _import_one(ctx, page, version, report, watch=first_live is None)
        known.add(version.key)
    return report


def _import_one(
    ctx: Context, page: PageConfig, version: SourceVersion, report: ImportReport, *, watch: bool
) -> None:
    store = ctx.store
    data = version.read()
    record = CheckRecord(
        page=page.id, time=version.time, url=version.address or page.url, outcome=Outcome.FAILED
    )
    record.source, record.renderer = version.source() | {"key": version.key}, "import"
    if version.format == "html":  # a raw capture: extracted as a live check then would have, and marked so
        page = rules_at(ctx, page, parse_time(version.time))
        record.rules = rules_fingerprint(page, ctx.config.quality, ctx.config.walls)
        store.write_json(f"rules/{record.rules}.json", rule_parts(page, ctx.config.quality, ctx.config.walls))
    raw = data if version.format == "html" else None
    with store.transaction():
        timeline = store.versions(page.id)
        before = in_effect_at(timeline, parse_time(version.time))
        later = bool(timeline) and parse_time(timeline[-1].since) > parse_time(version.time)
        old = store.read_document(page.id, before.id) if before else None
        document, reason = _document(ctx, page, version, data, old)
        if raw is not None:
            record.raw_sha256 = hashlib.sha256(raw).hexdigest()
        if document is None:
            record.reason, record.version = reason, before.id if before else None
            record.raw_sha256 = None  # a failed capture is not kept as a version's raw
            report.failed += 1
            report.failures.append((version, reason or "failed"))
            store.append_check(record)
            return
        text = document.to_text()
        record.text_sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        record.outcome = decide(before.id if before else None, record.text_sha256)
        if record.outcome == Outcome.UNCHANGED:
            assert before is not None
            record.version, record.raw_sha256 = before.id, None
            report.merged += 1
        else:
            record.previous = before.id if before else None
            private = page.cookies_file is not None
            record.version = store.put_version(
                page.id, text, raw, private=private, hashed=(record.text_sha256, record.raw_sha256)
            )
            report.imported += 1
            if old is not None and not later:  # what a live check of this change would have said of it
                describe_change(ctx, page, record, old, document)
            if watch and not later:
                _follow_watches(ctx, page, old, document, record)
        store.append_check(record)


def _document(
    ctx: Context, page: PageConfig, version: SourceVersion, data: bytes, old: Document | None
) -> tuple[Document | None, str | None]:
    """The version's document, or (None, why it is not the document)."""
    if version.format == "md":
        return document_from_markdown(_text(version, data)), None
    if version.format == "txt":
        return Document.from_text(_text(version, data).replace("\r\n", "\n")), None
    html, encoding = ("", "") if is_pdf(data) else decode_html(data)  # a PDF is read as bytes
    url = version.address or page.url
    fetched = FetchResult(url, url, 200, {}, data, html, encoding, "import", 0.0)
    extraction, reason = extract_capture(ctx, page, fetched, last_good=old)
    if reason or extraction is None:
        return None, reason or "no document"
    return extraction.document, None


def rules_at(ctx: Context, page: PageConfig, at: datetime) -> PageConfig:
    """`page` under the rules in force at `at`: a page that follows a declaration takes the declaration's
    entry valid then (`<service>.history.json`, `validUntil`); a page with its own rules, today's."""
    ref = page.declaration
    if ref is None or page.declaration_problem is not None:
        return page
    from monitor.config.declarations import (
        DeclarationError,
        in_force,
        page_keys,
        read_service,
        service_file,
        terms_entry,
    )

    file = service_file(ctx.loaded.base_dir, ref.path, ref.service)
    try:
        entry = in_force(file, ref.terms, terms_entry(file, read_service(file), ref.terms), at)
        keys = page_keys(file, ref.terms, entry)
    except DeclarationError as error:
        raise ImportSourceError(f"{error} (the declaration in force at {isoformat(at)})") from None
    return page.model_copy(update={"select": keys["select"], "remove": keys["remove"]})


def _text(version: SourceVersion, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportSourceError(f"{version.name}: not UTF-8 text") from None


def _follow_watches(
    ctx: Context, page: PageConfig, old: Document | None, new: Document, record: CheckRecord
) -> None:
    """Move the page's watch baselines to this version (in the import's transaction), raising nothing:
    history is not news."""
    from monitor.watch.evaluate import evaluate_watches, watches_of

    watches = watches_of(ctx.config.watches, page.id)
    if watches and record.version:
        evaluation = evaluate_watches(
            watches, page.id, ctx.store.baselines.of_page(page.id), old=old, new=new, diff=None,
            version=record.version, previous=record.previous, time=record.time,
        )  # fmt: skip
        for watch_id, data in evaluation.baselines.items():
            ctx.store.baselines.put(watch_id, page.id, data)


def _after(version: SourceVersion, limit: datetime) -> bool:
    try:
        return parse_time(version.time) > limit
    except (ValueError, OverflowError):
        return False  # a date no clock can hold: the source names it, with its own hint


def _day_before(time: str) -> str:
    return (parse_time(time) - timedelta(days=1)).date().isoformat()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun if number == 1 else noun + 's'}"
