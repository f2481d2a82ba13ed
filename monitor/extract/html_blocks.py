"""Convert an HTML region to blocks, completely: every visible word of the region lands in some block.

One pass over the tree (lxml `iterwalk`, so deep pages cannot overflow the stack). Inline elements join into
their block's text; block-level elements break blocks, so text sitting directly in a `div` between two child
blocks becomes a paragraph of its own. Headings and data-table rows are atomic: whatever sits inside them is
joined into one block (a row's cells with " | "). Link targets, images and form controls are never text.
An inline element the browser draws as an item of its own (a button, a menu entry, a cell, a link in a row of
links) is set apart by a space, so items laid out apart never read as one word (`is_boxed`, `follows_link`).

Headings are found the way a reader finds them: `<h1-6>` and `role="heading"`, and, in pages that style their
headings as body text, a line of its own that is short, has no closing full stop and is followed by body text,
when it is all bold or is the first line of a list item (the Meta AI Terms: "Your Commitments" is a `<b>`,
"Eligibility" the first `<div>` of an `<li>`). Such a line is emitted as it reads and turned into a heading
when the next block turns out to be body text; its level follows the last real heading, one deeper per list.

Which elements are skipped (hidden, boilerplate, removed by the page's rules) is decided by `Skipper` in
monitor/boilerplate.py; this module only knows how visible HTML reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.found_headings import Candidate, ListState, reads_as_heading, settle
from monitor.extract.layout import (
    BOLD_TAGS,
    CELL_TAGS,
    LAYOUT_ATTRIBUTES,
    bold_style,
    boxed,
    follows_link,
    is_layout_table,
)
from monitor.extract.normalize import normalize_text
from monitor.models import Block, BlockKind

HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
_SECTIONS = {"html", "body", "main", "article", "section", "aside", "nav", "header", "footer", "search"}
_TEXT_BLOCKS = {"p", "div", "center", "address", "blockquote", "pre", "hr", "form", "fieldset", "hgroup"}
_LISTS_AND_TABLES = {"li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr"}
_OTHER_BOXES = {"figure", "figcaption", "details", "summary", "dialog", "legend", "frameset", "noframes"}
BLOCK_TAGS = frozenset(
    _SECTIONS | _TEXT_BLOCKS | _LISTS_AND_TABLES | _OTHER_BOXES | HEADING_TAGS.keys() | LIST_TAGS | CELL_TAGS
)


@dataclass(slots=True)
class SourcedBlock:
    """A block and the element whose content produced it (for choosing a region after the fact)."""

    block: Block
    element: HtmlElement


@dataclass(slots=True)
class _Item:
    level: int
    has_text: bool = False


# What an element's end does, decided at its start from what the start read (its tag, role and style), so that
# the end reads none of them again (the walk is most of the conversion's time, a few microseconds an element):
# its tail follows (_TAIL), after a space (_SPACE); a row's cell, a block, a list, an item, a heading or a
# row ends (_CELL, _BLOCK, _LIST, _ITEM, _ATOMIC).
_TAIL, _SPACE, _CELL, _BLOCK, _LIST, _ITEM, _ATOMIC = range(7)


@dataclass
class _Converter:
    skip: Callable[[HtmlElement], bool]
    out: list[SourcedBlock] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)  # the text gathered for the next block
    owner: list[HtmlElement] = field(default_factory=list)  # innermost open block element
    items: list[_Item] = field(default_factory=list)
    lists: list[ListState] = field(default_factory=list)
    pending: list[Candidate] = field(default_factory=list)
    context_level: int = 0  # the level of the last real heading: a found heading goes below it
    bold: list[HtmlElement] = field(default_factory=list)  # open bold elements
    line_bold: bool = False  # the line being gathered has bold words
    line_plain: bool = False  # ... and words that are not bold
    atomic: HtmlElement | None = None  # the open heading or table row that swallows its descendants
    atomic_kind: BlockKind = "paragraph"
    atomic_level: int = 0
    cells: list[str] = field(default_factory=list)
    layout_tables: dict[HtmlElement, bool] = field(default_factory=dict)
    block_parents: dict[HtmlElement, bool] = field(default_factory=dict)

    def run(self, root: HtmlElement) -> None:
        self.owner.append(root)
        ends: list[int] = []  # what each open element's end does
        walker = etree.iterwalk(root, events=("start", "end"))
        skip, bold = self.skip, self.bold
        for event, element in walker:
            if event == "start":
                if element is not root and skip(element):
                    walker.skip_subtree()  # its "end" still comes, right after, and adds its tail
                    ends.append(_TAIL)
                else:
                    ends.append(self.open(element))
                continue
            if bold and bold[-1] is element:
                bold.pop()
            end = ends.pop()
            if element is root:  # its tail is not its text; an inline root still ends its block
                self.close(root, _BLOCK if end <= _SPACE else end)
                continue
            if end != _TAIL:
                self.close(element, end)
            if tail := element.tail:
                self.text(tail)
        if self.pieces:
            self.flush()
        if self.owner and self.owner[-1] is root:  # an inline root's own end has closed it already
            self.owner.pop()

    # The walk: `open` sees an element's start and its text, `close` its end (`run` adds its tail).
    def open(self, element: HtmlElement) -> int:
        tag = element.tag
        names = element.keys()  # most elements have neither: one look at the names costs less than two reads
        if names and not LAYOUT_ATTRIBUTES.isdisjoint(names):
            role, style = element.get("role"), element.get("style")
        else:
            role = style = None
        if self.atomic is not None:
            apart = tag in BLOCK_TAGS or boxed(tag, role, style)
            if tag in CELL_TAGS and self.atomic_kind == "row":
                self.pieces = []
                end = _CELL
            else:
                if apart or follows_link(element):
                    self.pieces.append(" ")
                end = _SPACE if apart else _TAIL
            if text := element.text:
                self.text(text)
            return end
        if tag in BOLD_TAGS or (style and bold_style(style)):
            self.bold.append(element)
        heading = HEADING_TAGS.get(tag) or (_aria_level(element) if role == "heading" else 0)
        if heading or (tag == "tr" and not self.in_layout_table(element)):
            end = _ATOMIC
        elif tag in LIST_TAGS or role == "list":
            end = _LIST
        elif tag == "li" or role == "listitem":
            end = _ITEM
        elif tag in BLOCK_TAGS or self.promoted(element):
            end = _BLOCK
        else:
            end = _SPACE if boxed(tag, role, style) else _TAIL
            if end == _SPACE or follows_link(element):
                self.pieces.append(" ")
            if text := element.text:
                self.text(text)
            return end
        if self.pieces:  # a block element ends the line before it
            self.flush()
        if heading:
            self.atomic, self.atomic_kind, self.atomic_level = element, "heading", heading
        elif end == _ATOMIC:
            self.atomic, self.atomic_kind, self.cells = element, "row", []
        elif end == _LIST:
            self.lists.append(ListState())
        elif end == _ITEM:
            self.items.append(_Item(max(len(self.lists) - 1, 0)))
        self.owner.append(element)
        if text := element.text:
            self.text(text)
        return end

    def close(self, element: HtmlElement, end: int) -> None:
        if end == _SPACE:
            self.pieces.append(" ")
        elif end == _CELL:
            self.cells.append(normalize_text("".join(self.pieces)))
            self.pieces = []
        elif end == _ATOMIC:
            self.close_atomic(element)
        elif end != _TAIL:
            if self.pieces:
                self.flush()
            self.owner.pop()
            if end == _LIST:
                self.lists.pop()
            elif end == _ITEM:
                item = self.items.pop()
                if self.pending:  # an item's first line is a heading only if body text follows in the item
                    self.pending = [c for c in self.pending if c.scope is not item]

    def close_atomic(self, element: HtmlElement) -> None:
        if self.atomic_kind == "row":
            text = " | ".join(cell for cell in self.cells if cell)
        else:
            text = normalize_text("".join(self.pieces))
        self.pieces = []
        self.line_bold = self.line_plain = False
        self.pending.clear()  # a heading or a row is not body text
        if self.atomic_kind == "heading":
            self.context_level = self.atomic_level
        self.emit(self.atomic_kind, text, self.atomic_level, element)
        self.atomic = None
        self.owner.pop()

    def text(self, text: str) -> None:
        self.pieces.append(text)
        if self.bold:
            if not self.line_bold and not text.isspace():
                self.line_bold = True
        elif not self.line_plain and not text.isspace():
            self.line_plain = True

    def flush(self) -> None:
        """The line gathered so far as a block. Only called with a line gathered: without one, there are no
        bold or plain words to forget either."""
        all_bold = self.line_bold and not self.line_plain
        self.line_bold = self.line_plain = False
        text = normalize_text("".join(self.pieces))
        self.pieces = []
        if not text:
            return
        first_of_item = self.items[-1] if self.items and not self.items[-1].has_text else None
        candidate = None
        if (first_of_item is not None or all_bold) and reads_as_heading(text):
            level = min(self.context_level + max(len(self.lists), 1), 6)
            scope = self.items[-1] if self.items else None
            candidate = Candidate(len(self.out), level, scope, self.lists[-1] if self.lists else None)
        if self.pending:
            self.settle(text, first_of_item is None, candidate)
        if candidate is not None:
            self.pending.append(candidate)
        if first_of_item is not None:
            first_of_item.has_text = True
            self.emit("item", text, first_of_item.level, self.owner[-1])
        else:
            self.emit("paragraph", text, 0, self.owner[-1])

    def settle(self, text: str, paragraph: bool, candidate: Candidate | None) -> None:
        settle(self.pending, text, paragraph, candidate, self._promote)

    def _promote(self, found: Candidate) -> None:
        sourced = self.out[found.index]
        self.out[found.index] = SourcedBlock(
            Block("heading", sourced.block.text, found.level), sourced.element
        )

    def emit(self, kind: BlockKind, text: str, level: int, element: HtmlElement) -> None:
        if text:
            self.out.append(SourcedBlock(Block(kind, text, level), element))

    def promoted(self, element: HtmlElement) -> bool:
        """An inline element standing as a sibling of blocks, with no loose text around: styled as a block.

        React pages (Meta's legal pages among them) make paragraphs of `<span>`s next to an `<h1>`; read as
        inline they would run a whole document together into one paragraph.
        """
        parent = element.getparent()
        if parent is None:
            return False
        if parent not in self.block_parents:
            self.block_parents[parent] = holds_only_blocks(parent)
        return self.block_parents[parent]

    def in_layout_table(self, row: HtmlElement) -> bool:
        table = next((a for a in row.iterancestors("table")), None)
        if table is None:
            return True
        if table not in self.layout_tables:
            self.layout_tables[table] = is_layout_table(table)
        return self.layout_tables[table]


def holds_only_blocks(parent: HtmlElement) -> bool:
    """True when `parent` has a block-level child and no text of its own between its children."""
    if (text := parent.text) and not text.isspace():
        return False
    has_block = False
    for child in parent:
        if (tail := child.tail) and not tail.isspace():
            return False
        if not has_block:
            has_block = child.tag in BLOCK_TAGS or child.get("role") in ("heading", "list", "listitem")
    return has_block


def _aria_level(element: HtmlElement) -> int:
    level = element.get("aria-level", "2")
    return min(max(int(level), 1), 6) if level.isascii() and level.isdigit() else 2  # "²" is a digit too


def html_to_blocks(roots: Iterable[HtmlElement], skip: Callable[[HtmlElement], bool]) -> list[SourcedBlock]:
    """The blocks of each root in turn (roots in document order, none inside another)."""
    converter = _Converter(skip)
    for root in roots:
        converter.run(root)
    return converter.out
