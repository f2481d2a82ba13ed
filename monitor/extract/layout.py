"""How the browser lays out inline HTML, as far as the text depends on it: which inline elements are drawn as
boxes of their own (so their words never run into their neighbours') and which are drawn bold (so a short bold line
can read as a heading). Read from the markup and its inline styles only; style sheets are not consulted.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

CELL_TAGS = frozenset({"td", "th"})
# Inline, but never run into the words around them (a line break; a button is drawn as a box).
SPACED_TAGS = frozenset({"br", "button"})
# Widgets drawn as boxes of their own, whatever their tag: their text never runs into the next one's.
ITEM_ROLES = frozenset(
    {"button", "menuitem", "menuitemcheckbox", "menuitemradio", "tab", "option", "treeitem", "switch"}
    | {"row", "cell", "gridcell", "columnheader", "rowheader"}
)
_BOX_DISPLAY = re.compile(
    r"(?:^|;)\s*display\s*:\s*(?:block|flex|grid|flow-root|list-item|table[\w-]*|inline-(?:block|flex|grid|table))",
    re.I,
)
# What the layout reads of an element besides its tag.
LAYOUT_ATTRIBUTES = frozenset({"role", "style"})
BOLD_TAGS = frozenset({"b", "strong"})
_BOLD_STYLE = re.compile(r"(?:^|;)\s*font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b", re.I)


def is_boxed(element: HtmlElement) -> bool:
    """An inline element drawn as a box of its own: a line break, a button, a widget's item, an inline style that
    makes it a block, a flex or grid item holder, an inline-block or a table part."""
    tag = element.tag
    if tag in SPACED_TAGS:
        return True
    names = element.keys()  # called for every element: most have neither attribute, and one look tells
    return (
        bool(names)
        and not LAYOUT_ATTRIBUTES.isdisjoint(names)
        and boxed(tag, element.get("role"), element.get("style"))
    )


def boxed(tag: str, role: str | None, style: str | None) -> bool:
    """`is_boxed` from the element's tag, role and style attributes, for a walk that has read them already."""
    return (
        tag in SPACED_TAGS
        or role in ITEM_ROLES
        or bool(style and "display" in style and _BOX_DISPLAY.search(style))
    )


def follows_link(element: HtmlElement) -> bool:
    """A link right after a sibling link with nothing between them: the browser shows its text apart from the
    text before it, as it does a box's (`is_boxed`). A row of links, such as a site's footer, is laid out as
    separate items; a link wrapped in the markup of the text around it is not, as in `<span><a>`."""
    if element.tag != "a":
        return False
    previous = element.getprevious()
    return previous is not None and previous.tag == "a" and not previous.tail


def bold_style(style: str) -> bool:
    """A style attribute that draws its element bold."""
    return "font-weight" in style and _BOLD_STYLE.search(style) is not None


def is_layout_table(table: HtmlElement) -> bool:
    """A table used for page layout (its cells hold whole sections), not a table of data."""
    if table.get("role") in ("presentation", "none"):
        return True
    if next(table.iterdescendants("table"), None) is not None:
        return True
    widest = max((sum(1 for cell in row if cell.tag in CELL_TAGS) for row in table.iter("tr")), default=0)
    return widest < 2
