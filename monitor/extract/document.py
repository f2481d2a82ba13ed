"""Page HTML to the document's complete, normalized text (`extract_document`), and OTA Markdown versions to the
same block model (`document_from_markdown`).

The region is the page's `select` selectors when set; otherwise trafilatura points at the main content and the
region is the smallest container holding everything it found (its own output is never used as the text: on the
real printable privacy policy it drops about 6% of the paragraphs; monitor/extract/region.py finds the region).
The region is then converted completely (monitor/extract/html_blocks.py) minus what the rules in
monitor/extract/boilerplate.py and the page's `remove` selectors take out. `coverage` (monitor/extract/visible.py)
checks that claim independently: the share of the region's visible words found in the extracted text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cssselect import HTMLTranslator, SelectorError
from lxml import etree
from lxml.html import HtmlElement

from monitor.errors import ConfigError, FetchError
from monitor.extract.boilerplate import Skipper, find_link_lists, find_widgets
from monitor.extract.html_blocks import (
    SourcedBlock,
    html_to_blocks,
)
from monitor.extract.markdown_blocks import document_from_markdown
from monitor.extract.parse import parse_html
from monitor.extract.ranges import Positions, Rule, describe, is_range, prune, spans
from monitor.extract.region import container_of_everything as _container_of_everything
from monitor.extract.region import html_title as _html_title
from monitor.extract.region import inside as _inside
from monitor.extract.region import trafilatura_region as _trafilatura_region
from monitor.extract.region import trafilatura_title as _trafilatura_title
from monitor.extract.visible import coverage, visible_texts
from monitor.models import Document

__all__ = ["Extraction", "document_from_markdown", "extract_document"]

SELECT_HINT = "check the page's select in config.toml; try `privacy-monitor test PAGE`"
# Above this size (characters) trafilatura is not asked for the region, the body is: on a 19 MiB page it took
# 545 MB and 141 s (its tree copies), for a region that on every real capture we have is the body anyway.
TRAFILATURA_MAX_CHARS = 2_000_000


@dataclass(slots=True)
class Extraction:
    """`document`: the region's text. `coverage`: share of the region's visible words present in it (1.0 = nothing
    lost). `region_words`: how many visible words the region has. `visible_text`: the whole page's visible text,
    normalized to one line (what a reader sees, for recognizing login walls and error pages); with
    `extract_document(page_words=N)`, it may be only a start of it, one with more than N words."""

    document: Document
    coverage: float
    counted_words: int | Callable[[], int]  # `region_words`, or how to count them (counted when first asked)
    title: str | None
    visible_text: str

    @property
    def region_words(self) -> int:
        if not isinstance(self.counted_words, int):
            self.counted_words = self.counted_words()
        return self.counted_words


class SelectorMissed(FetchError):
    """The page's `select` matched nothing. `extraction` holds what the page shows instead (a login wall,
    an error page), with an empty document, so the caller can say which it is."""

    def __init__(self, url: str, select: Sequence[Rule], extraction: Extraction) -> None:
        shown = ", ".join(describe(rule) for rule in select)
        super().__init__(url, f"selector matched nothing: {shown}", hint=SELECT_HINT)
        self.extraction = extraction


def extract_document(
    html: str,
    *,
    url: str = "",
    select: Sequence[Rule] = (),
    remove: Sequence[Rule] = (),
    page_words: int | None = None,
) -> Extraction:
    """The document in `html`, scoped by the page's `select`/`remove` rules: CSS selectors and ranges
    (monitor/extract/ranges.py).

    `page_words`: how many of the page's visible words the caller reads (`walls.page_words_read`; None: all).
    A page with more may then have only a start of its visible text in `Extraction.visible_text`, one with more
    than that many words: a range's region is read apart from the page, which costs a walk of its own.

    Raises FetchError when `select` is given and matches nothing (the page is not the document, or the
    selector went stale); its `extraction` attribute then holds the page's title and visible text, with an
    empty document, for recognizing what the page is instead. Raises PageUnreadable (a FetchError) when the
    HTML parser stopped before the end of the page. Raises ConfigError when a selector is not valid CSS.
    """
    page = _parse(html, url)
    if page is None:
        return Extraction(Document(), 1.0, 0, None, "")
    css_remove = [rule for rule in remove if isinstance(rule, str)]
    if len(css_remove) < len(remove):
        # As Open Terms Archive does: a removed range is deleted from the page before anything is selected.
        places = Positions(page)
        removed, _ = spans(
            [rule for rule in remove if is_range(rule)], page, lambda css: _match(page, [css], url), places
        )
        prune(page, removed, keep_inside=False, places=places)
    skipper = Skipper(_match(page, css_remove, url))

    def leave_widgets_out() -> None:
        # Only furniture rules consult the widgets: a region the rules name, which keeps its furniture, never
        # pays the page-wide search for them.
        skipper.widgets = set(find_widgets(page, html))

    if any(is_range(rule) for rule in select):
        return _extract_ranges(page, url, select, skipper, page_words)
    if select:
        roots = _outermost(_match(page, [rule for rule in select if isinstance(rule, str)], url))
        if not roots:
            shown = visible_texts(page, [], skipper)[1]
            raise SelectorMissed(url, select, Extraction(Document(), 1.0, 0, _html_title(page), shown))
        skipper.name_region(roots)  # what the rules name is the reader's choice: its furniture stays
        if skipper.furniture:  # the rules named the page itself (body, html): its furniture goes
            leave_widgets_out()
        sourced = html_to_blocks(roots, skipper)
        title = _html_title(page)
    else:
        leave_widgets_out()
        body = page.body if page.find("body") is not None else page
        sourced = html_to_blocks([body], skipper)
        region, title, sourced = _main_region(html, body, sourced)
        roots = [region]
        if link_lists := find_link_lists(sourced):
            # Lists of links beside the document change from one capture to the next (related topics
            # rotate): they are not the document, and leave the region as if the page's rules removed them.
            skipper.removed.update(link_lists)
            sourced = html_to_blocks(roots, skipper)
    document = Document([s.block for s in sourced], title=title)
    region, visible_text = visible_texts(page, roots, skipper)
    share, region_words = coverage(region, document)
    return Extraction(
        document=document,
        coverage=share,
        counted_words=region_words,
        title=title,
        visible_text=visible_text,
    )


def _extract_ranges(
    page: HtmlElement, url: str, select: Sequence[Rule], skipper: Skipper, page_words: int | None
) -> Extraction:
    """The region of a `select` holding ranges: the page keeping only what the rules span, so that text a range
    leaves out inside an element it starts or ends in is never read. What the walls read of the whole page (its
    title, its visible text) is read first; the page is this call's own parse, so it is pruned in place. A
    range is a region the rules name: its furniture stays, as in OTA's engine."""
    title = _html_title(page)
    visible_text = visible_texts(page, [], skipper, page_words=page_words)[1]
    skipper.furniture = False  # a region the rules name: what it holds stays, furniture included
    places = Positions(page)
    kept, holders = spans(select, page, lambda css: _match(page, [css], url), places)
    if not kept:
        raise SelectorMissed(url, select, Extraction(Document(), 1.0, 0, title, visible_text))
    prune(page, kept, keep_inside=True, places=places)
    order = {element: n for n, element in enumerate(page.iter())}
    roots = _outermost(sorted(dict.fromkeys(h for h in holders if h in order), key=order.__getitem__))
    sourced = html_to_blocks(roots, skipper)
    document = Document([s.block for s in sourced], title=title)
    region = visible_texts(page, roots, skipper)[0]
    share, region_words = coverage(region, document)
    return Extraction(document, share, region_words, title, visible_text)


def _parse(html: str, url: str = "") -> HtmlElement | None:
    return parse_html(html, url=url)


@lru_cache(maxsize=256)
def _xpath(selectors: tuple[str, ...], url: str) -> etree.XPath:
    translator = HTMLTranslator()
    paths = []
    for selector in selectors:
        try:
            paths.append(translator.css_to_xpath(selector))
        except SelectorError as error:
            raise ConfigError(
                f"{url or 'page'}: invalid CSS selector {selector!r} in select/remove: {error}"
            ) from None
    return etree.XPath(" | ".join(paths))


def _match(page: HtmlElement, selectors: Sequence[str], url: str) -> list[HtmlElement]:
    """Elements matching any selector, in document order (an XPath union keeps that order)."""
    if not selectors:
        return []
    return [e for e in _xpath(tuple(selectors), url)(page) if isinstance(e, HtmlElement)]


def _outermost(elements: list[HtmlElement]) -> list[HtmlElement]:
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def _main_region(
    html: str, body: HtmlElement, sourced: list[SourcedBlock]
) -> tuple[HtmlElement, str | None, list[SourcedBlock]]:
    """The container of the main content as trafilatura sees it, the title trafilatura gives the page, and
    the blocks of the body that lie in that container."""
    page = body.getroottree().getroot()
    if len(html) > TRAFILATURA_MAX_CHARS:
        return body, _trafilatura_title(page) or _html_title(page), sourced
    if (container := _container_of_everything(sourced)) is not None:
        # What trafilatura would point at lies in this container, and the region climbs to it (below): the
        # region's text is the whole body's whatever trafilatura finds. The Meta legal pages are all like this.
        return container, _trafilatura_title(page) or _html_title(page), sourced
    region, title = _trafilatura_region(page, body, sourced)
    if region is not body:
        inside = _inside(region, dict.fromkeys(s.element for s in sourced))
        sourced = [s for s in sourced if s.element in inside]
    return region, title, sourced
