"""Convert an HTML region to blocks, completely: every visible word of the region lands in some block.

One pass over the tree (lxml `iterwalk`, so deep pages cannot overflow the stack). Inline elements join into
their block's text; block-level elements break blocks, so text sitting directly in a `div` between two child
blocks becomes a paragraph of its own. Headings and data-table rows are atomic: whatever sits inside them is
joined into one block (a row's cells with " | "). Link targets, images and form controls are never text.
An inline element the browser draws as an item of its own (a button, a menu entry, a cell, a link in a row of
links) is set apart by a space, so items laid out apart never read as one word (`lays_out_apart`).

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
from monitor.extract.layout import BOLD_TAGS, CELL_TAGS, bold_style, is_boxed, is_layout_table, lays_out_apart
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


@dataclass
class _Converter:
    skip: Callable[[HtmlElement], bool]
    out: list[SourcedBlock] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
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
        walker = etree.iterwalk(root, events=("start", "end"))
        skipped: HtmlElement | None = None
        for event, element in walker:
            if event == "start":
                if element is not root and self.skip(element):
                    walker.skip_subtree()  # its "end" still comes, right after
                    skipped = element
                else:
                    self.open(element)
            elif skipped is not None and element is skipped:
                self.text(skipped.tail)
                skipped = None
            else:
                self.close(element, is_root=element is root)
        self.flush()
        if self.owner and self.owner[-1] is root:  # an inline root's own end has closed it already
            self.owner.pop()

    # The walk: `open` sees an element's start and its text, `close` its end and then its tail.
    def open(self, element: HtmlElement) -> None:
        tag = element.tag
        if self.atomic is not None:
            if tag in CELL_TAGS and self.atomic_kind == "row":
                self.pieces = []
            elif tag in BLOCK_TAGS or lays_out_apart(element):
                self.pieces.append(" ")
            self.text(element.text)
            return
        if tag in BOLD_TAGS or bold_style(element):
            self.bold.append(element)
        role = element.get("role")
        heading = HEADING_TAGS.get(tag) or (_aria_level(element) if role == "heading" else 0)
        if heading:
            self.flush()
            self.atomic, self.atomic_kind, self.atomic_level = element, "heading", heading
        elif tag == "tr" and not self.in_layout_table(element):
            self.flush()
            self.atomic, self.atomic_kind, self.cells = element, "row", []
        elif tag in LIST_TAGS or role == "list":
            self.flush()
            self.lists.append(ListState())
        elif tag == "li" or role == "listitem":
            self.flush()
            self.items.append(_Item(max(len(self.lists) - 1, 0)))
        elif tag in BLOCK_TAGS or self.promoted(element):
            self.flush()
        else:
            if lays_out_apart(element):
                self.pieces.append(" ")
            self.text(element.text)
            return
        self.owner.append(element)
        self.text(element.text)

    def close(self, element: HtmlElement, *, is_root: bool = False) -> None:
        tag = element.tag
        if self.atomic is not None and element is not self.atomic:
            if tag in CELL_TAGS and self.atomic_kind == "row":
                self.cells.append(normalize_text("".join(self.pieces)))
                self.pieces = []
            elif tag in BLOCK_TAGS or is_boxed(element):
                self.pieces.append(" ")
            self.text(element.tail)
            return
        if self.bold and self.bold[-1] is element:
            self.bold.pop()
        if element is self.atomic:
            if self.atomic_kind == "row":
                text = " | ".join(cell for cell in self.cells if cell)
                self.pieces = []
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
        elif self.owner and self.owner[-1] is element:
            self.flush()
            self.owner.pop()
            if tag in LIST_TAGS or element.get("role") == "list":
                self.lists.pop()
            elif tag == "li" or element.get("role") == "listitem":
                item = self.items.pop()
                if self.pending:  # an item's first line is a heading only if body text follows in the item
                    self.pending = [c for c in self.pending if c.scope is not item]
        elif is_boxed(element):
            self.pieces.append(" ")
        if not is_root:
            self.text(element.tail)

    def text(self, text: str | None) -> None:
        if text:
            self.pieces.append(text)
            if self.bold:
                if not self.line_bold and not text.isspace():
                    self.line_bold = True
            elif not self.line_plain and not text.isspace():
                self.line_plain = True

    def flush(self) -> None:
        all_bold = self.line_bold and not self.line_plain
        self.line_bold = self.line_plain = False
        if not self.pieces:
            return
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
    if parent.text and not parent.text.isspace():
        return False
    has_block = False
    for child in parent:
        if child.tail and not child.tail.isspace():
            return False
        if child.tag in BLOCK_TAGS or child.get("role") in ("heading", "list", "listitem"):
            has_block = True
    return has_block


def _aria_level(element: HtmlElement) -> int:
    level = element.get("aria-level", "2")
    return min(max(int(level), 1), 6) if level.isdigit() else 2


def html_to_blocks(roots: Iterable[HtmlElement], skip: Callable[[HtmlElement], bool]) -> list[SourcedBlock]:
    """The blocks of each root in turn (roots in document order, none inside another)."""
    converter = _Converter(skip)
    for root in roots:
        converter.run(root)
    return converter.out
