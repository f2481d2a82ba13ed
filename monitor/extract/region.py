"""The automatic region: the container of the page's main content as trafilatura sees it (`trafilatura_region`),
the shortcut that finds it without trafilatura when one main container holds every block
(`container_of_everything`), and the page's title as trafilatura gives it (`trafilatura_title`, `html_title`).

trafilatura only points at the content: the lines it keeps that are long enough to be distinctive are found
among the body's blocks, and the region is their smallest common container (climbing to the outermost main,
article or role=main around it). Its own text is never used (monitor/extract/document.py says why). Where it
finds fewer than two such lines (a page that is mostly a table, which it is asked not to read), the page's own
<main> is the region when it holds the page's text (`page_main`), else the whole body.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.html_blocks import SourcedBlock
from monitor.extract.normalize import normalize_text
from monitor.extract.parse import xml_text

__all__ = [
    "common_ancestor",
    "container_of_everything",
    "html_title",
    "inside",
    "page_main",
    "trafilatura_region",
    "trafilatura_title",
]

# Lines trafilatura keeps that are this long are distinctive enough to locate the content by.
_ANCHOR_MIN_WORDS = 4
_CONTENT_CONTAINERS = ("main", "article")
_ATOMIC_CLASS = re.compile(r"(?<!\S)x[0-9a-z]{5,8}(?!\S)")
_CLASSES = etree.XPath("//@class", smart_strings=False)
# The page's outermost main elements: those no other main holds.
_OUTERMOST_MAINS = etree.XPath(
    "//*[self::main or @role='main'][not(ancestor::*[self::main or @role='main'])]", smart_strings=False
)
# Without anchors, the page's one main is the region when it holds more than this share of the words of the
# body's blocks: most of the page's text. In the corpus (../shared/corpus, 112 captures) a main, where there is
# one, holds the document and 86-100% of the words: all of them on the 88 captures whose every block lies in it,
# 2101 of 2106 on Pinterest's reports list, and 203 of 207-237 on Meta's sub-processor list (forwork.meta.com),
# the only page there whose anchors fail with a main present: outside its main lie only a skip link, a country
# picker and a sales banner, 4 to 34 words. A main holding a fragment (a title, an intro, while the text lies
# beside it) holds a small share: there the body stays the region, as before, and keeps the text. So does a main
# holding most but not nearly all of it (a second table beside it): what lies outside may be the document too.
_MAIN_MIN_SHARE = 0.8


def html_title(page: HtmlElement) -> str | None:
    """The page's own title: its og:title, else its <title>."""
    for meta in page.iterfind(".//meta[@property='og:title']"):
        if title := normalize_text(meta.get("content") or ""):
            return title
    element = page.find(".//title")
    return (normalize_text(element.text_content()) or None) if element is not None else None


def trafilatura_region(
    page: HtmlElement, body: HtmlElement, sourced: list[SourcedBlock]
) -> tuple[HtmlElement, str | None]:
    """The container of the main content as trafilatura sees it, and the title trafilatura gives the page.
    When it finds fewer than two distinctive lines among `sourced` (the body's blocks), the region is the
    page's one main if it holds most of their words (`page_main`), else the body."""
    import trafilatura  # slow to import; only pages without `select` need it

    found: Any  # trafilatura's Document (its return type also admits a dict, which as_dict=False never gives)
    try:
        # Only the main region is used: metadata off spares htmldate/dateparser (most of the time on big
        # pages), comments off spares a second search, and the fast mode its readability/justext fallbacks.
        # On the 104 corpus captures the region is the same as with the default options. It reads our own
        # tree (it works on copies of it), so the page is parsed once.
        with _without_atomic_classes(page):
            found = trafilatura.bare_extraction(page, include_tables=False, fast=True, include_comments=False)
    except Exception:  # noqa: BLE001 - a heuristic failing must not fail the check; the whole body is the region
        found = None
    title = trafilatura_title(page) if found is not None else None
    if not title:
        title = html_title(page)
    by_text: dict[str, HtmlElement] = {}
    for s in sourced:
        by_text.setdefault(s.block.text, s.element)
    anchors = []
    for line in (found.text or "").split("\n") if found is not None else ():
        text = normalize_text(line).removeprefix("- ")  # still normalized: one space between words
        if text.count(" ") >= _ANCHOR_MIN_WORDS - 1 and text in by_text:
            anchors.append(by_text[text])
    if len(set(anchors)) < 2:
        # Only here, when trafilatura already failed to point anywhere: the common path never pays for it.
        main = page_main(body, sourced)
        return (body if main is None else main), title
    common = common_ancestor(*anchors)
    container = _outermost_container(common)
    return (common if container is None else container), title


@contextlib.contextmanager
def _without_atomic_classes(page: HtmlElement) -> Iterator[None]:
    """The page without its atomic class names for as long as trafilatura reads it, then as it was.

    Atomic CSS (Meta's StyleX: `x1i10hfl xjbqb8w ...`, dozens per element) names no part of a page, but
    trafilatura tests every class attribute against its word lists with regular expressions, which on Meta's
    pages was most of its time (26 ms of a 41 ms cleaning pass); a word it finds in such a name is chance."""
    # What each class attribute keeps, None for one without atomic names: each value is worked out once (a
    # component's elements share theirs). The values come by XPath, without walking the elements, and a page
    # none of whose values holds an atomic name is never walked (0.5 ms instead of 1.2 on 2,400 elements).
    # A value holding a character XML forbids (the parser keeps them) could not be set back: it is left as it is.
    kept: dict[str, str | None] = {}
    for names in dict.fromkeys(_CLASSES(page)):
        atomic = _ATOMIC_CLASS.search(names) is not None and xml_text(names) == names
        kept[names] = " ".join(_ATOMIC_CLASS.sub("", names).split()) if atomic else None
    saved = []
    try:
        for element in page.iter() if any(rest is not None for rest in kept.values()) else ():
            names = element.get("class")
            if names and (rest := kept.get(names)) is not None:
                saved.append((element, names))
                if rest:
                    element.set("class", rest)
                else:
                    del element.attrib["class"]
        yield
    finally:
        for element, names in saved:
            element.set("class", names)


def _is_container(element: HtmlElement) -> bool:
    return element.tag in _CONTENT_CONTAINERS or element.get("role") == "main"


def _outermost_container(element: HtmlElement) -> HtmlElement | None:
    """The outermost content container (main, article, role=main) among `element` and its ancestors."""
    outermost = element if _is_container(element) else None
    for ancestor in element.iterancestors():
        if _is_container(ancestor):
            outermost = ancestor
    return outermost


def container_of_everything(sourced: list[SourcedBlock]) -> HtmlElement | None:
    """The outermost content container holding every block of the body, or None when there is none.

    Any anchors trafilatura finds are some of these blocks: their common ancestor lies within the common
    ancestor of all of them, and so climbs to the same outermost container, which holds the same text."""
    if not sourced:
        return None
    elements = dict.fromkeys(s.element for s in sourced)
    container = _outermost_container(common_ancestor(sourced[0].element, sourced[-1].element))
    if container is None or len(inside(container, elements)) < len(elements):
        return None
    return container


def page_main(body: HtmlElement, sourced: list[SourcedBlock]) -> HtmlElement | None:
    """The page's one outermost main (<main> or role=main) when it holds nearly all (_MAIN_MIN_SHARE) the words of the body's
    blocks (`sourced`), else None (no main, several, or one holding a fragment of the text).

    The page's author named it the main content: what lies beside it (skip links, a country picker, a sales
    banner) is furniture that changes with the site, not the document. Several outermost mains name none."""
    mains = _OUTERMOST_MAINS(body)
    if len(mains) != 1:
        return None
    main = mains[0]
    words: dict[HtmlElement, int] = {}
    for s in sourced:  # an element may give several blocks; their text is normalized: one space between words
        words[s.element] = words.get(s.element, 0) + s.block.text.count(" ") + 1
    total = sum(words.values())
    held = sum(words[element] for element in inside(main, words) if element in words)
    return main if total and held > total * _MAIN_MIN_SHARE else None


def trafilatura_title(page: HtmlElement) -> str | None:
    """The title trafilatura's metadata gives (meta tags, JSON-LD, the single <h1>, the <title> split at its
    separator), from the same steps it takes, without the date, author and site name searches around them."""
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

    try:
        metadata = examine_meta(page)
        with contextlib.suppress(Exception):  # trafilatura guards its JSON-LD reading the same way
            metadata = extract_meta_json(page, metadata)
        title = metadata.title or extract_title(page)
    except Exception:  # noqa: BLE001 - a heuristic failing must not fail the check; the <title> serves
        return None
    return normalize_text(title or "") or None


def common_ancestor(first: HtmlElement, *others: HtmlElement) -> HtmlElement:
    """The smallest element that is or holds each of the elements (all of one tree): a range's holder, the
    container of the blocks trafilatura points at, a link list's own container."""
    common = first
    for element in others:
        lineage = {element, *element.iterancestors()}
        while common not in lineage:
            common = common.getparent()
    return common


def inside(region: HtmlElement, elements: Iterable[HtmlElement]) -> set[HtmlElement]:
    """Those of `elements` that are `region` or lie in it. Each walk up stops at an element already placed,
    so blocks sharing ancestors cost little (a block-by-block ancestor walk cost milliseconds on deep pages)."""
    placed: dict[HtmlElement, bool] = {region: True}
    for element in elements:
        path = []
        node: HtmlElement | None = element
        while node is not None and node not in placed:
            path.append(node)
            node = node.getparent()
        verdict = node is not None and placed[node]
        placed.update(dict.fromkeys(path, verdict))
    return {element for element, verdict in placed.items() if verdict}
