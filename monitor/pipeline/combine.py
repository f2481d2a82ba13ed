"""A document combined from several pages (a declaration's `combine`, or the page's own in config.toml): its
parts fetched one after another
outside any lock, each extracted under its own rules, joined in declaration order. A part that fails fails the
whole capture, never a partial document; a part answering 304 is its stored capture again.

Each part is judged for what it is (a login wall, an error page, a JavaScript shell, no text at all), but the
word threshold (`min_words`) is the document's: a one-paragraph part (a summary page) is a part like any other,
and the joined document is held to the threshold as a single page is. The collapse test, against the last good
text, is the joined document's too (the check's second step, `extract_stored`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor.config.loading import PageConfig
from monitor.errors import FetchError
from monitor.models import Document, FetchResult
from monitor.store.writes import PartWrite

if TYPE_CHECKING:
    from monitor.config.page_rules import Part
    from monitor.extract.document import Extraction
    from monitor.pipeline.capture import Capture, Context
    from monitor.store.timeline import VersionInfo

    ExtractCapture = Callable[..., tuple[Extraction | None, str | None]]


@dataclass
class PartCapture:
    """One page of a combined document: fetched (or its stored capture, when it answered 304) and its rules."""

    number: int  # 1, 2, ... in declaration order
    rules: Part
    fetched: FetchResult
    raw_sha256: str


def parts_of(ctx: Context, page: PageConfig) -> list[Part]:
    """The parts of `page`'s combined document as its check read them ([] for one page); FetchError (a failed
    check naming the file) when its declaration cannot be followed now."""
    if page.declaration is None and not page.combine:
        return []
    from monitor.config.declared_pages import rules_read

    read = rules_read(ctx.loaded.base_dir, page)
    if read.problem is not None:
        raise FetchError(page.url, read.problem)
    return list(read.parts)


def fetch_parts(
    ctx: Context,
    page: PageConfig,
    parts: list[Part],
    validators: dict[str, dict[str, str]],
    capture: Capture,
    started: float,
) -> Capture:
    """Every part, in order, outside any lock. A part that fails fails the whole capture (never a partial
    document); one that answers 304 is its stored capture again."""
    import hashlib

    from monitor.fetch.common import decode_html

    for number, part in enumerate(parts, 1):
        known = validators.get(part.url) or {}
        sendable = {key: known[key] for key in ("etag", "last_modified") if known.get(key)}
        try:
            fetched = ctx.fetcher(page.renderer).fetch(part_page(page, part), validators=sendable or None)
            if fetched.not_modified:
                body = ctx.store.blobs.read_raw_blob(page.id, known["raw_sha256"])
                html, encoding = decode_html(body, known.get("content_type", ""))
                fetched.body, fetched.html, fetched.encoding = body, html, encoding
                fetched.not_modified = False  # the stored capture stands for the part: extracted again
                present = {name.lower() for name in fetched.headers}
                for name in ("etag", "last_modified", "content_type"):
                    if known.get(name) and name.replace("_", "-") not in present:
                        fetched.headers[name.replace("_", "-")] = known[name]  # a 304 need not repeat them
        except FetchError as error:
            capture.reason = f"part {number} ({part.url}): {error.reason}"
            capture.status, capture.retry_at, capture.parts = error.status, error.retry_at, []
            return capture
        capture.parts.append(PartCapture(number, part, fetched, hashlib.sha256(fetched.body).hexdigest()))
    first = capture.parts[0].fetched
    capture.fetched = FetchResult(
        url=page.url, final_url=first.final_url, status=first.status, headers=dict(first.headers),
        body=b"", html="", encoding=first.encoding, renderer=first.renderer,
        elapsed=sum(item.fetched.elapsed for item in capture.parts),
    )  # fmt: skip
    capture.status = first.status
    capture.timings["fetch"] = round(time.perf_counter() - started, 4)
    return capture


def part_page(page: PageConfig, part: Part) -> PageConfig:
    """`page` as one of its parts: the part's URL and rules."""
    return page.model_copy(update={"url": part.url, "select": part.select, "remove": part.remove})


# A part is held to having some text of its own; the word threshold is the joined document's.
PART_MIN_WORDS = 1


def _judged_as_part(page: PageConfig, part: Part, threshold: int) -> PageConfig:
    """`page` as one of its parts, judged for walls, error pages and shells, with no word threshold but text."""
    return part_page(page, part).model_copy(update={"min_words": min(PART_MIN_WORDS, threshold)})


def extract_parts(
    ctx: Context, page: PageConfig, parts: list[PartCapture], extract: ExtractCapture
) -> tuple[Extraction | None, str | None]:
    """Each part under its own rules, joined in declaration order; the first part that is not the document
    fails the whole, and so does a joined document under the word threshold (as a single page would)."""
    from monitor.extract.document import Extraction
    from monitor.extract.walls import text_reason

    quality = ctx.config.quality
    threshold = quality.min_words if page.min_words is None else page.min_words
    extractions = []
    for item in parts:
        judged = _judged_as_part(page, item.rules, threshold)
        extraction, reason = extract(ctx, judged, item.fetched, last_good=None, part=item.rules)
        if reason or extraction is None:
            return None, f"part {item.number} ({item.rules.url}): {reason or 'not extracted'}"
        extractions.append(extraction)
    words = sum(extraction.region_words for extraction in extractions)
    covered = sum(extraction.coverage * extraction.region_words for extraction in extractions)
    document = Document([block for extraction in extractions for block in extraction.document.blocks])
    document.title = extractions[0].document.title
    joined = Extraction(
        document=document, coverage=covered / words if words else 1.0, counted_words=words,
        title=extractions[0].title, visible_text=" ".join(item.visible_text for item in extractions),
    )  # fmt: skip
    # Each part was judged for walls, error pages and shells under no word threshold; the whole is judged by its
    # words, as a single page is: a wall a short text reads as, or the threshold.
    reason = text_reason(joined, ctx.config.walls, min_words=threshold)
    return (None, reason) if reason else (joined, None)


def extract_stored(
    ctx: Context,
    page: PageConfig,
    version: VersionInfo,
    old: Document,
    extract: ExtractCapture,
    fresh: list[PartCapture] | None = None,
) -> tuple[Document | None, str | None] | None:
    """The text of the stored parts that brought `version`, extracted again under `page`'s parts' rules now
    and judged as a check judges it (collapse against `old` included): (Document or None, the reason it is
    not the document). None when there is nothing to read again (`stored_parts`)."""
    captures = stored_parts(ctx, page, version, fresh)
    return None if captures is None else read_again(ctx, page, captures, old, extract)


def stored_parts(
    ctx: Context, page: PageConfig, version: VersionInfo, fresh: list[PartCapture] | None = None
) -> list[PartCapture] | None:
    """What `version` reads as under `page`'s parts now: each part's stored capture, without fetching. With
    `fresh` (the check's own capture of the parts now), a part just added is read from it and a part removed
    drops out: adding or removing a part is a change of the rules, not of the document. None when `version`
    has no stored parts, when they are not the page's parts now and no fresh capture completes them, or when
    not one stored part is left (nothing of the version to read again)."""
    from monitor.fetch.common import decode_html, is_pdf

    rows, parts = ctx.store.versions.captures(page.id, version), parts_of(ctx, page)
    if not rows or (fresh is None and [url for _, url, _ in rows] != [part.url for part in parts]):
        return None
    stored: dict[str, list[str]] = {}
    for _, url, raw in rows:
        stored.setdefault(url, []).append(raw)
    now = {item.number: item for item in fresh or []}
    known = ctx.store.versions.part_validators(page.id)
    captures, reused = [], 0
    for number, part in enumerate(parts, 1):
        if stored.get(part.url):
            raw = stored[part.url].pop(0)
            body = ctx.store.blobs.read_raw_blob(page.id, raw)
            content_type = (known.get(part.url) or {}).get("content_type", "")
            html, encoding = ("", "") if is_pdf(body) else decode_html(body, content_type)
            headers = {"content-type": content_type} if content_type else {}
            fetched = FetchResult(part.url, part.url, 200, headers, body, html, encoding, "stored", 0.0)
            captures.append(PartCapture(number, part, fetched, raw))
            reused += 1
        elif (added := now.get(number)) is not None and added.rules.url == part.url:
            captures.append(PartCapture(number, part, added.fetched, added.raw_sha256))
        else:
            return None
    return captures if reused else None


def read_again(
    ctx: Context, page: PageConfig, captures: list[PartCapture], old: Document, extract: ExtractCapture
) -> tuple[Document | None, str | None]:
    """`captures` (a version's stored parts) joined under the parts' rules now and judged as a check judges
    them, collapse against `old` included: (Document or None, the reason it is not the document)."""
    from monitor.extract.walls import collapse_reason

    extraction, reason = extract_parts(ctx, page, captures, extract)
    if extraction is None or reason:
        return None, reason or "not extracted"
    reason = collapse_reason(extraction.document, old, page=page, quality=ctx.config.quality)
    return (None, reason) if reason else (extraction.document, None)


def store_parts(ctx: Context, page: PageConfig, capture: Capture) -> list[PartWrite]:
    """A combined document's raw captures, each stored (and fsync'd) before the transaction that lists them
    (a part stored already, byte for byte, is not written again), with what its next fetch asks with."""
    writes = []
    for item in capture.parts:
        ctx.store.blobs.put_raw(page.id, item.fetched.body, private=page.cookies_file is not None)
        headers = {name.lower(): value for name, value in item.fetched.headers.items()}
        validators = {key: headers[name] for key, name in _VALIDATORS if headers.get(name)}
        writes.append(PartWrite(item.number, item.rules.url, item.raw_sha256, validators))
    return writes


_VALIDATORS = (("etag", "etag"), ("last_modified", "last-modified"), ("content_type", "content-type"))
