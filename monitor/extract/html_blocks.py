"""Convert an HTML region to blocks, completely: every visible word of the region lands in some block.

One pass over the tree (lxml `iterwalk`, so deep pages cannot overflow the stack). Inline elements join into
their block's text; block-level elements break blocks, so text sitting directly in a `div` between two child
blocks becomes a paragraph of its own. Headings and data-table rows are atomic: whatever sits inside them is
joined into one block (a row's cells with " | "). Link targets, images and form controls are never text.

Which elements are skipped (hidden, boilerplate, removed by the page's rules) is decided by `Skipper` in
monitor/boilerplate.py; this module only knows how visible HTML reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.normalize import normalize_text
from monitor.models import Block, BlockKind

HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
CELL_TAGS = frozenset({"td", "th"})
_SECTIONS = {"html", "body", "main", "article", "section", "aside", "nav", "header", "footer", "search"}
_TEXT_BLOCKS = {"p", "div", "center", "address", "blockquote", "pre", "hr", "form", "fieldset", "hgroup"}
_LISTS_AND_TABLES = {"li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr"}
_OTHER_BOXES = {"figure", "figcaption", "details", "summary", "dialog", "legend", "frameset", "noframes"}
BLOCK_TAGS = frozenset(
    _SECTIONS | _TEXT_BLOCKS | _LISTS_AND_TABLES | _OTHER_BOXES | HEADING_TAGS.keys() | LIST_TAGS | CELL_TAGS
)
# Inline, but never run into the words around them (a line break; a button is drawn as a box).
SPACED_TAGS = frozenset({"br", "button"})


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
    list_depth: int = 0
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
        self.owner.pop()

    # The walk: `open` sees an element's start and its text, `close` its end and then its tail.
    def open(self, element: HtmlElement) -> None:
        tag = element.tag
        if self.atomic is not None:
            if tag in CELL_TAGS and self.atomic_kind == "row":
                self.pieces = []
            elif tag in BLOCK_TAGS or tag in SPACED_TAGS:
                self.pieces.append(" ")
            self.text(element.text)
            return
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
            self.list_depth += 1
        elif tag == "li" or role == "listitem":
            self.flush()
            self.items.append(_Item(max(self.list_depth - 1, 0)))
        elif tag in BLOCK_TAGS or self.promoted(element):
            self.flush()
        else:
            if tag in SPACED_TAGS:
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
            elif tag in BLOCK_TAGS or tag in SPACED_TAGS:
                self.pieces.append(" ")
        elif element is self.atomic:
            if self.atomic_kind == "row":
                text = " | ".join(cell for cell in self.cells if cell)
                self.pieces = []
            else:
                text = normalize_text("".join(self.pieces))
                self.pieces = []
            self.emit(self.atomic_kind, text, self.atomic_level, element)
            self.atomic = None
            self.owner.pop()
        elif self.owner and self.owner[-1] is element:
            self.flush()
            self.owner.pop()
            if tag in LIST_TAGS or element.get("role") == "list":
                self.list_depth -= 1
            elif tag == "li" or element.get("role") == "listitem":
                self.items.pop()
        elif tag in SPACED_TAGS:
            self.pieces.append(" ")
        if not is_root:
            self.text(element.tail)

    def text(self, text: str | None) -> None:
        if text:
            self.pieces.append(text)

    def flush(self) -> None:
        if not self.pieces:
            return
        text = normalize_text("".join(self.pieces))
        self.pieces = []
        if not text:
            return
        if self.items and not self.items[-1].has_text:
            self.items[-1].has_text = True
            self.emit("item", text, self.items[-1].level, self.owner[-1])
        else:
            self.emit("paragraph", text, 0, self.owner[-1])

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
            self.layout_tables[table] = _is_layout_table(table)
        return self.layout_tables[table]


def _is_layout_table(table: HtmlElement) -> bool:
    """A table used for page layout (its cells hold whole sections), not a table of data."""
    if table.get("role") in ("presentation", "none"):
        return True
    if next(table.iterdescendants("table"), None) is not None:
        return True
    widest = max((sum(1 for cell in row if cell.tag in CELL_TAGS) for row in table.iter("tr")), default=0)
    return widest < 2


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
