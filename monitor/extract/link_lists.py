"""Lists of links beside the document in an automatic region (`find_link_lists`): related topics, "more
resources", language menus, rows of site links. They change from one capture to the next and are not the
document, so the automatic region leaves them out as if the page's rules removed them. A region the page's rules
name keeps them: there they are the user's choice (monitor/extract/boilerplate.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.found_headings import is_body, reads_as_heading
from monitor.extract.html_blocks import BLOCK_TAGS, SourcedBlock
from monitor.extract.region import common_ancestor

# A list of links to elsewhere is a short line per link: longer linked text is a card or a sentence.
LINK_ITEM_MAX_WORDS = 15
# Links out of the page, links that go nowhere ("#", scripts) and controls drawn as links or buttons (a language
# menu); a link to a named place in the page (a table of contents) is the document's own.
_CONTROL_ROLES = frozenset({"link", "button", "menuitem"})
_LINK = "self::a or @role='link' or @role='button' or @role='menuitem'"
# The page's roles, for whether it has controls: libxml2 tests a predicate on every element ten times slower (a
# `//*[@role=...]` took 1.8 ms on a page of 2,400 elements) than it lists the attributes.
_ROLES = etree.XPath("//@role", smart_strings=False)
_TEXT_OUTSIDE_LINKS = etree.XPath(f".//text()[not(ancestor::*[{_LINK}])]")
_LINKS_OUT = etree.XPath(
    ".//a[@href and not(starts-with(normalize-space(@href), '#') and string-length(normalize-space(@href)) > 1)]"
    "| .//*[@role='link' or @role='button' or @role='menuitem'] | self::*[@role='link' or @role='button']"
)
_WORD_CHAR = re.compile(r"\w")


def find_link_lists(sourced: Sequence[SourcedBlock]) -> list[HtmlElement]:
    """The link lists among a region's blocks, with their labels: the elements to take out of an automatic
    region (related topics, "more resources", navigation drawn as plain links inside the main element).

    A link list is two or more blocks in a row, or one row holding two or more links, whose every word is the
    text of a link to another page or of a control (a table of contents, whose links point into the page, is
    the document's own), lying apart from the document's body: before its first body paragraph or after its
    last, and not in the part of the document that paragraph is in (a list between two paragraphs, or one that
    follows "... at the links below" in its section, is the document's own). Its label, a short line or a
    heading right before it, goes with it when no body text follows the list. A region without body text keeps
    everything."""
    if not sourced:
        return []
    links = _LinkTest(sourced[0].element.getroottree().getroot())
    flags = [links.elsewhere(s) for s in sourced]
    if not any(flags):
        return []
    # Only the first and the last body paragraph place a list: found from each end, not by testing every block.
    body = _body_ends(sourced, flags)
    if not body:
        return []  # a page of links, or no document at all: nothing to keep apart
    found: list[HtmlElement] = []
    start = 0
    while start < len(sourced):
        if not flags[start]:
            start += 1
            continue
        end = start
        while end < len(sourced) and flags[end]:
            end += 1
        run = sourced[start:end]
        # A list between two body paragraphs is the document's own, and so is one right after the last or
        # before the first in a part of the document it shares with that paragraph ("... at the links below").
        beside = end < body[0] or start > body[-1] + 1
        if end == body[0] or start == body[-1] + 1:
            part = sourced[body[0] if end == body[0] else body[-1]].element.getparent()
            beside = part is None or not (
                part in set(run[0].element.iterancestors())
                and not _holds(part, sourced[body[0]], sourced[body[-1]])
            )
        if beside and (len(run) >= 2 or len(_LINKS_OUT(run[0].element)) >= 2):
            found.extend(s.element for s in run)
            label = sourced[start - 1] if start > 0 and not flags[start - 1] else None
            after = sourced[end] if end < len(sourced) else None
            if (
                label is not None
                and (after is None or after.block.kind == "heading")
                and _words(label.element) == len(label.block.text.split())
                and (
                    label.block.kind == "heading"
                    or (reads_as_heading(label.block.text) and _grouped(sourced, start - 1, end))
                )
            ):
                found.append(label.element)
        start = end
    return list(dict.fromkeys(found))


def _body_ends(sourced: Sequence[SourcedBlock], flags: list[bool]) -> list[int]:
    """The first and the last body paragraph (one index when they are the same block, none when there is none):
    blocks of body text that are neither a heading nor a link list's."""

    def body(n: int) -> bool:
        block = sourced[n].block
        return not flags[n] and block.kind != "heading" and is_body(block.text)

    first = next((n for n in range(len(sourced)) if body(n)), None)
    if first is None:
        return []
    last = next(n for n in range(len(sourced) - 1, first - 1, -1) if body(n))
    return [first] if last == first else [first, last]


def _holds(part: HtmlElement, first: SourcedBlock, last: SourcedBlock) -> bool:
    """`part` holds the whole body, from its first paragraph to its last: it is the document, not a part of it."""
    return all(part in set(s.element.iterancestors()) for s in (first, last))


def _grouped(sourced: Sequence[SourcedBlock], first: int, end: int) -> bool:
    """The blocks `first` to `end` (excluded) have a container of their own: no block before or after is in it."""
    common = common_ancestor(*(s.element for s in sourced[first:end]))
    neighbours = [sourced[n].element for n in (first - 1, end) if 0 <= n < len(sourced)]
    return not any(n is common or common in set(n.iterancestors()) for n in neighbours)


class _LinkTest:
    """Whether a block's every word is the text of a link elsewhere or of a control. Most blocks are decided by
    their own first words; the page's cards (links drawn around blocks) and controls are looked up once."""

    def __init__(self, root: HtmlElement) -> None:
        self.root = root
        self._in_cards: set[HtmlElement] | None = None
        self._cards_or_controls: bool | None = None

    @property
    def in_cards(self) -> set[HtmlElement]:
        if self._in_cards is None:
            cards = (a for a in self.root.iter("a") if any(c.tag in BLOCK_TAGS for c in a))
            self._in_cards = {e for a in cards for e in a.iter()}
        return self._in_cards

    def elsewhere(self, sourced: SourcedBlock) -> bool:
        if sourced.block.kind == "heading":
            return False  # a heading that is a link names a part of the document (the printable policy's contents)
        element = sourced.element
        text = element.text
        if (
            text
            and _WORD_CHAR.search(text)
            and element.tag != "a"
            and element.get("role") not in _CONTROL_ROLES
        ) and element not in self.in_cards:
            return False  # words of its own, outside any link: most blocks, decided without a search
        words = sourced.block.text.count(" ") + 1  # a block's text is normalized: one space between words
        if next(element.iter("a"), None) is None and (
            words > LINK_ITEM_MAX_WORDS or not self.cards_or_controls()
        ):
            return False  # no link in it, and too long to be a control's or a card's line
        if len(element.text_content()) > 2 * len(sourced.block.text) + 40:
            return False  # the loose text of a container of other blocks
        links = len(_LINKS_OUT(element))
        if words > LINK_ITEM_MAX_WORDS * max(links, 1) or (not links and element not in self.in_cards):
            return False
        return not any(_WORD_CHAR.search(text) for text in _TEXT_OUTSIDE_LINKS(element))

    def cards_or_controls(self) -> bool:
        if self._cards_or_controls is None:
            controls = any(role in _CONTROL_ROLES for role in _ROLES(self.root))
            self._cards_or_controls = controls or bool(self.in_cards)
        return self._cards_or_controls


def _words(element: HtmlElement) -> int:
    return len(element.text_content().split())
