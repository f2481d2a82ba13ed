"""The unchanged fast path: a capture byte for byte the last good check's, under the same rules fingerprint,
while that check's text is still the current version, says what that check said (`unchanged`), and nothing is
extracted. For a combined document, every part's raw capture must be the stored one of the same part, in the
same order (a part answering 304 is its stored capture, so a document whose parts all answer 304 is this too).
"""

from __future__ import annotations

from monitor.config.loading import PageConfig
from monitor.models import CheckRecord, Outcome
from monitor.pipeline.capture import Context, PendingCheck
from monitor.store.writes import PageState


def coverage_warning(coverage: float | None, minimum: float) -> str | None:
    """A check's warning that its region holds little of the page's words (`coverage` below `minimum`): the one
    reason a byte-identical capture repeats, made again from the coverage it records rather than read back out
    of a reason that may say more (a rules note, said once)."""
    if coverage is None or coverage >= minimum:
        return None
    return f"low coverage: {coverage:.1%} of the page's words extracted"


def as_last_good(
    ctx: Context, page: PageConfig, record: CheckRecord, state: PageState, pending: PendingCheck
) -> bool:
    """Whether the check's capture is the last good check's under the same rules; then `record` says so.
    Not when a watch of the page has no baseline for the version yet: that one needs the document."""
    last, current, capture = state.last_good, state.current, pending.capture
    if last is None or current is None or capture is None:
        return False
    if capture.parts:
        stored = pending.part_validators or {}
        captured = [(item.rules.url, item.raw_sha256) for item in capture.parts]
        if (
            last.raw_sha256 is not None
            or [(url, v.get("raw_sha256")) for url, v in stored.items()] != captured
        ):
            return False
    elif record.raw_sha256 is None:
        return False
    same = (last.raw_sha256, last.rules, last.text_sha256) == (record.raw_sha256, record.rules, current.id)
    if not same or current.rules not in (None, record.rules) or _new_watches(ctx, page, current.id, state):
        return False
    record.outcome, record.version, record.text_sha256 = Outcome.UNCHANGED, current.id, current.id
    # its coverage warning, if it had one; never a note that was said once (a rules change read the same)
    record.coverage = last.coverage
    record.reason = coverage_warning(last.coverage, ctx.config.quality.min_coverage)
    return True


def _new_watches(ctx: Context, page: PageConfig, version: str, state: PageState) -> bool:
    if not any(page.id in watch.pages for watch in ctx.config.watches):
        return False
    from monitor.watch.evaluate import unevaluated

    return bool(unevaluated(ctx.config.watches, page.id, version, state.baselines))
