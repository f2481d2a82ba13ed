"""A text version (.md, .txt) judged as a check judges a capture: is it the document at all?

An Open Terms Archive history records what OTA's engine extracted, broken captures included: Instagram's policy
alternates in 2025 between the full text and a 29-byte `Privacy Policy` heading, and once it is an error page.
Imported as versions, those make the timeline flip between them and the policy, each flip a "change" that moves
the watches. So a text is judged by what judges a live capture (monitor/extract/walls.py): a wall its words
read as, or fewer words than the threshold (`text_reason`; a text has no HTML for a JavaScript shell or a
redirect to be found in), then the collapse against the version in effect at its date (`collapse_reason`).

Decisions worth knowing:
- History has hindsight that a live check lacks, and needs it: a text that reads collapsed against the version
  before it but not against the source's next text (one that is the document by its words) is where the page's
  text went, not a broken recording. Without that, one shrink for good (Instagram's policy halved in 2024
  when OTA's rules changed, and fell back after a week's bloated declaration upgrade in June 2025) would fail
  every later version as "collapsed" and lose years of history. A text that reads collapsed against both, or
  the source's last text, is failed as a live check would fail it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from monitor.config.loading import PageConfig
from monitor.errors import ImportSourceError
from monitor.extract.document import Extraction, document_from_markdown
from monitor.extract.walls import collapse_reason, text_reason
from monitor.imports.sources import SourceVersion
from monitor.models import Document
from monitor.pipeline.capture import Context

# The source's next text that is the document by its words, asked for only when a text reads collapsed.
NextText = Callable[[], Document | None]


def text_document(version: SourceVersion, data: bytes) -> Document:
    """A .md (OTA Markdown) or .txt (the store's own form) version's text as a Document."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportSourceError(f"{version.name}: not UTF-8 text") from None
    if version.format == "md":
        return document_from_markdown(text)
    return Document.from_text(text.replace("\r\n", "\n"))


def judge_text(
    ctx: Context, page: PageConfig, document: Document, old: Document | None, following: NextText
) -> str | None:
    """Why `document` is not the page's document (the reason a live check would give), or None when it is.
    `old`: the version in effect at its date; `following`: see the module's docstring."""
    if reason := words_reason(ctx, page, document):
        return reason
    if old is None:
        return None
    quality = ctx.config.quality
    reason = collapse_reason(document, old, page=page, quality=quality)
    if reason is None:
        return None
    after = following()
    if after is not None and collapse_reason(document, after, page=page, quality=quality) is None:
        return None  # the text the source goes on with: a shrink for good, not a broken recording
    return reason


def words_reason(ctx: Context, page: PageConfig, document: Document) -> str | None:
    """A wall the text reads as, or fewer words than the page's threshold (`walls.text_reason`)."""
    quality = ctx.config.quality
    threshold = quality.min_words if page.min_words is None else page.min_words
    # The text is all a reader of it sees: no markup around it, so its words are the visible text too.
    extraction = Extraction(document, 1.0, document.words, document.title, "")
    return text_reason(extraction, ctx.config.walls, min_words=threshold)


def next_text(ctx: Context, page: PageConfig, later: Sequence[SourceVersion]) -> Document | None:
    """The first of `later` (the source's versions after one, oldest first) that is a text and the document
    by its words; raw captures are passed over (judging one takes a full extraction)."""
    for version in later:
        if version.raw:
            continue
        document = text_document(version, version.read())
        if words_reason(ctx, page, document) is None:
            return document
    return None
