"""Store a source's versions in a page's timeline: one short transaction per version, idempotent, placed by date.

Each version becomes a check record marked with its `source` (the commit id, or the file's sha256), dated by
the source: `new`/`changed` when its text differs from the version in effect at that date, `unchanged` when it
is the same text (a markup-only duplicate, or the same version from another source: "merged"), `failed` when
a capture or a text is not the document (a login wall, an empty or collapsed text: judge.py for texts),
as a check would judge it.

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

import bisect
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.config.loading import PageConfig
from monitor.errors import ImportSourceError, StoreError
from monitor.imports.judge import NextText, later_texts
from monitor.imports.prepare import Prepared, commit_prepared, prepare_version
from monitor.imports.sources import SourceVersion
from monitor.models import Outcome, isoformat
from monitor.pipeline.capture import Context
from monitor.store.timeline import parse_time

# A version dated later than this after now is refused: `verify` holds a record from the future to be damage.
FUTURE_TOLERANCE = timedelta(days=1)
# Another writer can move the page between a version's judgement and its transaction only by recording a check
# of it at that moment; three rounds in a row would mean a writer that never stops.
MAX_ROUNDS = 3


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

    def add(self, prepared: Prepared, version: SourceVersion) -> None:
        outcome = prepared.record.outcome
        if outcome == Outcome.FAILED:
            self.failed += 1
            self.failures.append((version, prepared.record.reason or "failed"))
        elif outcome == Outcome.UNCHANGED:
            self.merged += 1
        else:
            self.imported += 1


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
    source: Sequence[SourceVersion] = (),
) -> ImportReport:
    """Store `versions` (oldest first) as records of `page`; see the module's docstring for the rules.
    `source`: every version the source holds (default: `versions`), for what it goes on with after a text
    (judge.py): a --since/--until window must not cut that short."""
    store = ctx.store
    first_live = store.imported.first_live_time(page.id)
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
    if any(version.raw for version in versions) and (parts := _parts(ctx, page)):
        raise ImportSourceError(
            f"{page.id} is a document combined from {parts} pages: a raw capture of one of them would be stored as "
            "the whole document; import its versions (a versions repository's .md, or .txt files) instead"
        )
    report = ImportReport()
    known = store.imported.sources(page.id)
    ordered = sorted(versions, key=lambda version: version.time)
    whole = sorted(source or versions, key=lambda version: version.time)
    times = [version.time for version in whole]
    for version in ordered:
        if on_version:
            on_version(version)
        if version.key in known:
            report.present += 1
            continue
        # What the source goes on with, read only for a text that reads collapsed (judge.py).
        after = whole[bisect.bisect_right(times, version.time) :]
        following = functools.cache(functools.partial(later_texts, ctx, page, version, after))
        _import_one(ctx, page, version, report, watch=first_live is None, following=following)
        known.add(version.key)
    return report


def _import_one(
    ctx: Context,
    page: PageConfig,
    version: SourceVersion,
    report: ImportReport,
    *,
    watch: bool,
    following: NextText,
) -> None:
    """Work out what the version means outside any lock, then record it in one short transaction, if the
    timeline it was judged against is still the page's (else judge it again against the new one)."""
    data = version.read()
    for _ in range(MAX_ROUNDS):
        prepared = prepare_version(ctx, page, version, data, watch=watch, following=following)
        if commit_prepared(ctx.store, page.id, prepared):
            report.add(prepared, version)
            return
    raise StoreError(
        f"page {page.id!r}: another writer kept moving it while {version.name} was imported; run import again"
    )


def _parts(ctx: Context, page: PageConfig) -> int:
    """How many pages `page`'s document is combined from (its own `combine`, or its declaration's); 0: one."""
    from monitor.config.declared_pages import rules_read

    return len(rules_read(ctx.loaded.base_dir, page).parts)


def _after(version: SourceVersion, limit: datetime) -> bool:
    try:
        return parse_time(version.time) > limit
    except (ValueError, OverflowError):
        return False  # a date no clock can hold: the source names it, with its own hint


def _day_before(time: str) -> str:
    return (parse_time(time) - timedelta(days=1)).date().isoformat()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun if number == 1 else noun + 's'}"
