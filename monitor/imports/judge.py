"""A text version (.md, .txt) judged as a check judges a capture: is it the document at all?

An Open Terms Archive history records what OTA's engine extracted, broken captures included: Instagram's policy
alternates in 2025 between the full text and a 29-byte `Privacy Policy` heading, and once it is an error page.
Imported as versions, those make the timeline flip between them and the policy, each flip a "change" that moves
the watches. So a text is judged by what judges a live capture (monitor/extract/walls.py): a wall its words
read as, or fewer words than the threshold (`text_reason`; a text has no HTML for a JavaScript shell or a
redirect to be found in), then the collapse against the version in effect at its date (`collapse_reason`).

Decisions worth knowing:
- History has hindsight that a live check lacks, and needs it: a text that reads collapsed against the version
  before it is where the page's text went, not a broken recording, when the page stays that short: no text of
  the source within SHRINK_HELD after it is back to the size it shrank from. Without that, one shrink for good
  (Instagram's policy halved in 2024 when OTA's rules changed, and fell back after a week's bloated declaration
  upgrade in June 2025) would fail every later version as "collapsed" and lose years of history. A broken
  recording the source made twice in a row and then mended is still a dip: the mended text is back within the
  window; a text the source's next text does not go on from (a table of contents alone) is a dip too. The
  source's last text, with nothing after it to tell, is failed as a live check would fail it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from monitor.config.loading import PageConfig
from monitor.errors import ImportSourceError
from monitor.extract.document import Extraction, document_from_markdown
from monitor.extract.walls import collapse_reason, text_reason
from monitor.imports.sources import SourceVersion
from monitor.models import Document
from monitor.pipeline.capture import Context
from monitor.store.timeline import parse_time

# How long a collapsed text must stay the page's size to be a shrink for good rather than a broken recording.
SHRINK_HELD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Later:
    """What the source goes on with after a text (its texts that are the document by their words): the
    first of them, and those within SHRINK_HELD of it."""

    within: tuple[Document, ...] = ()  # the first text after it always among them, however late
    first: Document | None = None


# Asked for only when a text reads collapsed.
NextText = Callable[[], Later]


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
    later = following()
    if later.first is None:
        return reason  # nothing after it to tell a shrink from a broken recording
    if collapse_reason(document, later.first, page=page, quality=quality) is not None:
        return reason  # not what the source goes on with either (a table of contents alone, a fragment)
    if any(collapse_reason(text, old, page=page, quality=quality) is None for text in later.within):
        return reason  # back to the size it shrank from soon after: a broken recording, then mended
    return None  # the page stayed that short: a shrink for good


def words_reason(ctx: Context, page: PageConfig, document: Document) -> str | None:
    """A wall the text reads as, or fewer words than the page's threshold (`walls.text_reason`)."""
    quality = ctx.config.quality
    threshold = quality.min_words if page.min_words is None else page.min_words
    # The text is all a reader of it sees: no markup around it, so its words are the visible text too.
    extraction = Extraction(document, 1.0, document.words, document.title, "")
    return text_reason(extraction, ctx.config.walls, min_words=threshold)


def later_texts(
    ctx: Context, page: PageConfig, version: SourceVersion, later: Sequence[SourceVersion]
) -> Later:
    """What the source goes on with after `version` (`later`: its versions after it, oldest first): see
    `Later`. Raw captures are passed over (judging one takes a full extraction)."""
    until = parse_time(version.time) + SHRINK_HELD
    within: list[Document] = []
    for candidate in later:
        if candidate.raw:
            continue
        document = text_document(candidate, candidate.read())
        if words_reason(ctx, page, document) is not None:
            continue
        if within and parse_time(candidate.time) > until:
            break
        within.append(document)
    return Later(tuple(within), within[0] if within else None)
