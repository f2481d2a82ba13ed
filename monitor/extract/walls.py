"""Captures that are not the document: walls, error pages, JavaScript shells, empty and collapsed texts.

A 200 answer can still be a login form, a cookie-consent dialog, Meta's "Sorry, something went wrong", a
JavaScript shell, or a capture that lost most of its text. `classify_capture` names what it is (the reason
of the failed check) or returns None for the document itself. Checks run from the most specific to the most
general: walls recognized by their wording (the user's `[[walls]]` first, then `RECOGNIZERS`), the JavaScript
shell, the empty page, the table-of-contents-only capture, the collapse against the last good text.

Recognizers are data: (reason, pattern, max_words). A pattern is a case-insensitive regular expression searched
in the page's visible text and title after typography folding (write ASCII quotes and dashes); it only applies to
pages of at most `max_words` words, so a policy that quotes "Log in to Facebook" is never taken for a wall.

A banner is not a wall: Meta shows a cookie dialog or a login prompt over pages it does show. What decides is
the document region (the page's `select`, or what extraction kept): when the wall's wording is only outside it
and the region still holds at least `min_words` words of its own, the capture is the document (a 90-word
objection notice under a cookie banner). A wall is a page whose region holds the wall's wording, or nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol
from urllib.parse import urlsplit

from monitor.config.loading import PageConfig, QualityConfig, WallConfig
from monitor.extract.normalize import fold_typography, normalize_text
from monitor.extract.parse import PageUnreadable, parse_html
from monitor.models import Document, FetchResult


@dataclass(frozen=True, slots=True)
class Recognizer:
    reason: str
    pattern: re.Pattern[str]
    max_words: int | None = None

    @classmethod
    def of(cls, reason: str, pattern: str, max_words: int | None = None) -> Recognizer:
        return cls(reason, re.compile(fold_typography(pattern), re.IGNORECASE), max_words)


# Meta's wall pages carry a header and footer (languages, links) of one to three hundred words; its documents have
# thousands. Order matters: the first match names the capture, so a login or error page that also shows the cookie
# banner is reported as what it is, and the consent wall (a banner over nothing) comes last.
RECOGNIZERS: tuple[Recognizer, ...] = tuple(
    Recognizer.of(*row)
    for row in (
        ("login wall", r"\blog ?in ?to (facebook|instagram|threads)\b", 600),
        ("login wall", r"\byou must log ?in to continue\b", 600),
        ("login wall", r"\bmelde dich an, um fortzufahren\b", 600),
        ("login wall", r"\bmelde dich bei (facebook|instagram|threads) an\b", 600),
        ("login wall", r"\bbei (facebook|instagram|threads) anmelden\b", 600),
        ("error page", r"\bsorry, something went wrong\b|\ban unexpected error has occurred\b", 400),
        ("error page", r"\bthis (content|page) isn't available( right now| at the moment)?\b", 400),
        (
            "error page",
            r"\bpage not found\b|\bthe page you('re| are) looking for (doesn't|does not) exist\b",
            400,
        ),
        ("error page", r"\b(dieser inhalt|diese seite) ist (derzeit|momentan|gerade) nicht verfügbar\b", 400),
        (
            "error page",
            r"\b(leider|es) ist ein( unerwarteter)? fehler aufgetreten\b|\bseite nicht gefunden\b",
            400,
        ),
        (
            "temporarily blocked",
            r"\byou're temporarily blocked\b|\bdu wurdest vorübergehend blockiert\b",
            400,
        ),
        ("checkpoint", r"\bconfirm (that )?you're (a )?human\b|\bsecurity check\b|\bcheckpoint\b", 400),
        ("checkpoint", r"\bbestätige, dass du ein mensch bist\b|\bsicherheitsüberprüfung\b", 400),
        (
            "consent wall",
            r"\ballow the use of cookies (from|by) (facebook|instagram|meta) (on|in) this browser\b",
            400,
        ),
        (
            "consent wall",
            r"\berlaube die verwendung von cookies (von|durch) (facebook|instagram|meta) in diesem browser\b",
            400,
        ),
        ("consent wall", r"\b(decline|reject) optional cookies\b|\boptionale cookies ablehnen\b", 400),
    )
)
# Where Meta sends a visitor it will not show the page to (matched on the final URL's path after a redirect).
REDIRECT_RECOGNIZERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("login wall", re.compile(r"^/(login|accounts/login)\b")),
    ("checkpoint", re.compile(r"^/checkpoint\b")),
)
# A page asking for JavaScript, in a <noscript> or its text (English, German).
_ENABLE_JAVASCRIPT = re.compile(
    r"enable javascript|javascript is (disabled|required|turned off)|requires javascript"
    r"|javascript aktivieren|aktiviere javascript|javascript ist (in deinem browser )?deaktiviert",
    re.IGNORECASE,
)
SHELL_MAX_WORDS = 150  # a page asking for JavaScript with more visible text than this is the page itself
RUNNING_TEXT_WORDS = 12  # a block this long is running text; headings and contents entries are shorter
TOC_MIN_PARAGRAPHS = 10  # the last good text had at least this many running-text blocks ...
TOC_MAX_SHARE = 0.1  # ... and the new one has at most this share of them ...
TOC_MIN_ENTRIES = 5  # ... and at least this many short headings/items, outnumbering its running text.
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "head")


class ExtractionLike(Protocol):
    document: Document
    title: str | None
    visible_text: str


EMPTY_PAGE = "empty page"  # fewer words than the threshold, and no wall they read as


def classify_capture(
    fetched: FetchResult,
    extraction: ExtractionLike,
    *,
    last_good: Document | None,
    page: PageConfig,
    quality: QualityConfig,
    walls: Sequence[WallConfig] = (),
) -> str | None:
    """The reason this capture is not the document, or None when it is."""
    if fetched.not_modified:
        return None
    document = extraction.document
    if reason := _redirected_away(fetched):
        return reason
    min_words = quality.min_words if page.min_words is None else page.min_words
    if reason := _recognized(extraction, walls, min_words=min_words):
        return reason
    new_words = document.words()
    rendered = fetched.renderer == "browser"
    if new_words < max(min_words, SHELL_MAX_WORDS) and javascript_shell(
        fetched.html, min_words=min_words, rendered=rendered
    ):
        return "JavaScript-only shell"
    if new_words < min_words:
        return EMPTY_PAGE
    if last_good is None:
        return None
    return collapse_reason(document, last_good, page=page, quality=quality, new_words=new_words)


def text_reason(extraction: ExtractionLike, walls: Sequence[WallConfig], *, min_words: int) -> str | None:
    """Why a text is not the document by its words alone: a wall it reads as, or fewer than `min_words` words;
    None when it is. What a combined document is judged by as a whole, each part's answer judged already."""
    if reason := _recognized(extraction, walls, min_words=min_words):
        return reason
    return EMPTY_PAGE if extraction.document.words() < min_words else None


def collapse_reason(
    document: Document,
    last_good: Document,
    *,
    page: PageConfig,
    quality: QualityConfig,
    new_words: int | None = None,
) -> str | None:
    """Why a capture that passed the wall tests is still not the document, judged against the last good version
    (a table of contents alone, a collapsed text), or None. A check asks this only when the text changed."""
    new_words = document.words() if new_words is None else new_words
    good_words = last_good.words()
    # A table of contents is far shorter than its text; only then is it worth looking at the blocks.
    if new_words < good_words / 2 and table_of_contents_only(document, last_good):
        return "table of contents only"
    ratio = quality.collapse_ratio if page.collapse_ratio is None else page.collapse_ratio
    if good_words and new_words < ratio * good_words:
        return f"collapsed: {100 * new_words // good_words}% of the last good text"
    return None


def page_words_read(walls: Sequence[WallConfig] = ()) -> int | None:
    """How many of a page's visible words recognizing walls reads (None: all of them, when a wall of the config
    has no `max_words`): a page with more is too long for every recognizer, so the rest of its text can go
    unread (`extract_document(page_words=...)`)."""
    limits = [wall.max_words for wall in walls] + [r.max_words for r in RECOGNIZERS]
    return None if None in limits else max(limit for limit in limits if limit is not None)


def _recognized(extraction: ExtractionLike, walls: Sequence[WallConfig], *, min_words: int = 0) -> str | None:
    # A visible text cut short by `page_words_read` has more words than any limit: no recognizer applies.
    body = extraction.visible_text or extraction.document.to_text()
    user = tuple(Recognizer.of(wall.reason, wall.pattern, wall.max_words) for wall in walls)
    recognizers = user + RECOGNIZERS
    # Words counted only up to the largest limit: on a 19 MiB page a full split() alone costs 70 MB.
    limit = page_words_read(walls)
    words = _count_words(f"{extraction.title or ''} ", body, limit=None if limit is None else limit + 1)
    candidates = [r for r in recognizers if r.max_words is None or words <= r.max_words]
    if not candidates:  # a long page (the usual case): no need to fold its text
        return None
    text = fold_typography(normalize_text(f"{extraction.title or ''} {body}"))
    if (anything := _any_of(recognizers)) is not None and not anything.search(text):
        return None  # the usual case on a short page too: one search instead of one per recognizer
    found = [r for r in candidates if r.pattern.search(text)]
    if not found:
        return None
    region = fold_typography(normalize_text(" ".join(block.text for block in extraction.document.blocks)))
    inside = next((r.reason for r in found if r.pattern.search(region)), None)
    if inside or extraction.document.words() < max(min_words, 1):
        return inside or found[0].reason
    return None  # a banner or prompt beside a region that holds the text: the document


@lru_cache(maxsize=32)
def _any_of(recognizers: tuple[Recognizer, ...]) -> re.Pattern[str] | None:
    """One pattern matching where any of `recognizers` matches, or None when their patterns cannot be joined
    (a back-reference or a named group would change meaning in a union)."""
    sources = [r.pattern.pattern for r in recognizers]
    if any(_REFERENCE.search(source) for source in sources):
        return None
    try:
        return re.compile("|".join(f"(?:{source})" for source in sources), re.IGNORECASE)
    except re.error:
        return None


_REFERENCE = re.compile(r"\\[1-9]|\(\?P[=<]|\(\?<|\(\?\(")


def _count_words(*texts: str, limit: int | None) -> int:
    """Whitespace-separated words in `texts`, counting no further than `limit` (None: all of them)."""
    count = 0
    for text in texts:
        for _ in _WORD_RUN.finditer(text):
            count += 1
            if limit is not None and count >= limit:
                return count
    return count


_WORD_RUN = re.compile(r"\S+")
_SCRIPT_TAG = re.compile(r"<script", re.IGNORECASE)


def _redirected_away(fetched: FetchResult) -> str | None:
    requested, final = urlsplit(fetched.url).path, urlsplit(fetched.final_url).path
    if final == requested:
        return None
    return next((reason for reason, pattern in REDIRECT_RECOGNIZERS if pattern.search(final)), None)


def javascript_shell(html: str, *, min_words: int = 30, rendered: bool = False) -> bool:
    """A page whose text JavaScript would write: scripts and (almost) no visible text, or a plea for JavaScript.

    `rendered`: the HTML comes from a browser, so the scripts did run and a left-over plea means nothing.
    """
    if not _SCRIPT_TAG.search(html):  # no script at all: nothing to write the text (and no parse needed)
        return False
    try:
        root = parse_html(html)  # the tree extraction reads: a deep page's text is not taken for missing
    except PageUnreadable:  # not a shell: extraction names what is wrong with the page
        return False
    if root is None:  # nothing to parse
        return False
    if not root.xpath("//script"):
        return False
    asks_for_javascript = any(
        _ENABLE_JAVASCRIPT.search(node.text_content()) for node in root.iter("noscript")
    )
    for node in list(root.iter(*_INVISIBLE_TAGS)):
        node.drop_tree()
    visible = root.text_content()
    del root  # the tree of a big page is most of the memory here; only its text is needed from now on
    # Counted no further than the largest limit: a list of every word of a 19 MiB page costs ~70 MB.
    words = _count_words(visible, limit=max(SHELL_MAX_WORDS, min_words) + 1)
    if not rendered and (asks_for_javascript or _ENABLE_JAVASCRIPT.search(visible)):
        return words <= SHELL_MAX_WORDS
    return words < min_words


def needs_browser(html: str) -> bool:
    """Whether a plain-HTTP answer needs a browser to show its text (the `auto` renderer asks this)."""
    return javascript_shell(html)


def table_of_contents_only(document: Document, last_good: Document) -> bool:
    """Only the contents of a long text: short headings and items, hardly any of the running text it had."""
    before = _running_text_blocks(last_good)
    if before < TOC_MIN_PARAGRAPHS:
        return False
    now = _running_text_blocks(document)
    entries = sum(
        1
        for block in document.blocks
        if block.kind in ("heading", "item") and len(block.text.split()) < RUNNING_TEXT_WORDS
    )
    return now <= TOC_MAX_SHARE * before and entries >= max(TOC_MIN_ENTRIES, now + 1)


def _running_text_blocks(document: Document) -> int:
    return sum(
        1
        for block in document.blocks
        if block.kind != "heading" and len(block.text.split()) >= RUNNING_TEXT_WORDS
    )
