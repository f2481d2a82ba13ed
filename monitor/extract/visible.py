"""What a reader sees of a page, apart from the block conversion: the visible text of the region and of the
whole page (`visible_texts`), and `coverage`, the share of the region's visible words the extracted text holds.

Independent of monitor.extract.html_blocks on purpose, so that coverage checks the conversion. Built to stay
within a page-sized amount of memory on a 19 MiB page: text is normalized a chunk at a time, and a region
above two million characters has its words counted a chunk at a time instead of being kept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from itertools import filterfalse

from lxml import etree
from lxml.html import HtmlElement

from monitor.extract.boilerplate import Skipper, is_invisible
from monitor.extract.html_blocks import BLOCK_TAGS, holds_only_blocks
from monitor.extract.layout import follows_link, is_boxed
from monitor.extract.normalize import normalize_text
from monitor.models import Document

_WORD = re.compile(r"\w+")


def visible_texts(
    page: HtmlElement, roots: list[HtmlElement], skipper: Skipper, *, page_words: int | None = None
) -> tuple[RegionWords, str]:
    """What a reader sees of the region, as its words, and of the whole page (furniture included),
    normalized to one line. A big region's text is counted a chunk at a time and never held whole.

    `page_words`, with no `roots` (the page's text alone): the caller reads no more than that many of the page's
    words (the walls' recognizers stop counting there), so the walk stops once the text has more; the text is
    then a start of the page's with more than `page_words` words. Chunks end at a space, so their words add up.

    Independent of the block conversion on purpose, so that `coverage` can check it: it only decides what is
    shown, not how it reads. One pass over the page. A selected root is read whole even when an ancestor hides
    it, as the conversion does; that text then counts for the region but not for the page.

    A shown root that breaks the text at both ends is normalized once for both: its chunks are the page's
    chunks there (the breaks are spaces, across which normalizing combines nothing).
    """
    page_text, region_text = _Text(), RegionWords()
    region_roots = set(roots)
    hosts = {ancestor for root in roots for ancestor in root.iterancestors()}
    hiding: set[HtmlElement] = (
        set()
    )  # hidden region roots and their hidden ancestors, walked into all the same
    block_parents: dict[HtmlElement, bool] = {}
    removed = skipper.removed
    inside = 0
    page_pieces, region_pieces = page_text.pieces, region_text.pieces
    sharing = False  # inside a root whose text the page shares: it goes to the region's pieces only

    chunk = _Text.CHUNK
    enough = page_words if page_words is not None and not roots else None
    page_chunk = chunk if enough is None else _Text.COUNTED_CHUNK

    def add_break() -> None:
        """A space in the texts being gathered, and what has gathered normalized once it is a chunk, only in a
        text the space was just added to (a chunk ends at a space: a word split across two would read as two)."""
        if not hiding and not sharing:
            page_pieces.append(" ")
            if len(page_pieces) >= page_chunk:
                page_text.flush()
                if enough is not None and page_text.words() > enough:
                    raise _Enough
        if inside:
            region_pieces.append(" ")
            if len(region_pieces) >= chunk:
                region_text.flush()

    # The walk is written out in one loop, without a function call per element or text where one can be saved:
    # it runs over every element of every page.
    ends: list[bool] = []  # whether each open element's end breaks the text
    walker = etree.iterwalk(page, events=("start", "end"))
    skipped = None
    try:
        for event, element in walker:
            if event == "start":
                if element is not page and (is_invisible(element) or element in removed):
                    if element not in hosts and element not in region_roots:
                        walker.skip_subtree()
                        skipped = element
                        continue
                    hiding.add(element)
                # Whether the element's start and its end break the text, by the conversion's own rules for
                # inline items the browser lays out apart (at the start, a box or a link after a link; at the
                # end, only a box), so both read the same words; the end reads its answer back from `ends`.
                if element.tag in BLOCK_TAGS or is_boxed(element):
                    at_start = at_end = True
                else:
                    parent = element.getparent()
                    if parent is not None and parent not in block_parents:
                        block_parents[parent] = holds_only_blocks(parent)
                    if parent is not None and block_parents[parent]:
                        at_start = at_end = True
                    else:
                        at_start, at_end = follows_link(element), False
                if element in region_roots:
                    if not inside:
                        region_pieces.append(" ")  # the roots are read apart, as the conversion reads them
                    if at_start and at_end and not hiding and not inside:
                        page_text.flush()
                        region_text.flush()
                        region_text.shared, sharing = page_text.chunks, True
                    inside += 1
                ends.append(at_end)
                if at_start:
                    add_break()
                if text := element.text:
                    if not hiding and not sharing:
                        page_pieces.append(text)
                    if inside:
                        region_pieces.append(text)
            elif element is not page:
                if element is skipped:
                    skipped = None
                else:
                    if ends.pop():
                        add_break()
                    if element in region_roots:
                        inside -= 1
                        if sharing and not inside:
                            region_text.flush()
                            region_text.shared, sharing = None, False
                    if hiding:
                        hiding.discard(element)
                if tail := element.tail:
                    if not hiding and not sharing:
                        page_pieces.append(tail)
                    if inside:
                        region_pieces.append(tail)
    except _Enough:  # the page's text has more words than the caller reads
        pass
    region_text.flush()
    region_text.shared = None
    return region_text, page_text.normalized()


class _Enough(Exception):
    """The page's text has more words than the caller reads: the walk stops."""


class _Text:
    """Text pieces normalized a chunk at a time, each chunk ending at a space: the same result as normalizing
    the whole at once (normalize_text collapses the space and nothing combines across it), without holding
    the pieces, their join and each normalization's copy of a 19 MiB page at the same time. The walk appends
    to `pieces` and calls `flush` after a space once CHUNK pieces have gathered."""

    CHUNK = 20_000  # pieces
    COUNTED_CHUNK = 256  # pieces, while the words are counted to stop the walk early

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.chunks: list[str] = []
        self._counted = 0  # chunks whose words are in `_words`
        self._words = 0

    def words(self) -> int:
        """The words of the chunks so far (each chunk ends at a space: their words add up)."""
        for chunk in self.chunks[self._counted :]:
            self._words += len(chunk.split())
        self._counted = len(self.chunks)
        return self._words

    def normalized(self) -> str:
        self.flush()
        return " ".join(self.chunks)

    def flush(self) -> None:
        if chunk := normalize_text("".join(self.pieces)):
            self._add(chunk)
        self.pieces.clear()

    def _add(self, chunk: str) -> None:
        self.chunks.append(chunk)


class RegionWords(_Text):
    """The region's visible text, kept while it is page-sized (then `text` is it): most often it reads as the
    extracted text does, and coverage is then whole without counting a word. A bigger one keeps only its
    words' counts (no word spans a chunk's end)."""

    KEEP_MAX = 2_000_000  # characters

    def __init__(self) -> None:
        super().__init__()
        self._size = 0
        self._counts: Counter[str] | None = None  # once the text is too big to keep
        self.shared: list[str] | None = None  # the page's chunks, while the region's text is the page's too

    def _add(self, chunk: str) -> None:
        if self.shared is not None:
            self.shared.append(chunk)
        self._size += len(chunk)
        if self._counts is None and self._size > self.KEEP_MAX:
            self._counts = Counter()
            for kept in self.chunks:
                self._counts.update(_WORD.findall(kept))
            self.chunks.clear()
        if self._counts is None:
            self.chunks.append(chunk)
        else:
            self._counts.update(_WORD.findall(chunk))

    @property
    def text(self) -> str | None:
        return " ".join(self.chunks) if self._counts is None else None

    def counts(self) -> Counter[str]:
        if self._counts is not None:
            return self._counts
        return word_counts(self.chunks)


def word_counts(texts: Iterable[str], window: int = 1_000_000) -> Counter[str]:
    """Each word's count, a window of text at a time (cut at a space): a list of every word of a 19 MiB page
    at once costs ~150 MB."""
    counts: Counter[str] = Counter()
    for text in texts:
        start = 0
        while start < len(text):
            cut = text.find(" ", start + window)
            stop = len(text) if cut < 0 else cut
            counts.update(_WORD.findall(text, start, stop))
            start = stop
    return counts


def word_count(text: str, window: int = 100_000) -> int:
    """How many words (`\\w+`) `text` has, a window at a time (cut at a space). A space-separated token of
    letters and digits only is one word, counted without the regular expression, which reads only the other
    tokens (re's `\\w` is exactly `str.isalnum` or `_`, and no space is either)."""
    count = start = 0
    while start < len(text):
        cut = text.find(" ", start + window)
        stop = len(text) if cut < 0 else cut
        tokens = text[start:stop].split()
        count += sum(map(str.isalnum, tokens))
        count += len(_WORD.findall(" ".join(filterfalse(str.isalnum, tokens))))
        start = stop
    return count


def _document_words(document: Document) -> int:
    """The words of the region that reads exactly as `document` (counted from it: no copy of the text kept)."""
    return word_count(" ".join(block.text for block in document.blocks))


def coverage(region: RegionWords, document: Document) -> tuple[float, int | Callable[[], int]]:
    """The share of the region's visible words the document holds, and how many words the region has, or,
    when the document reads exactly as the region, how to count them: only `privacy-monitor test` and combined
    documents ask, and counting a policy's words costs as much as a tenth of its extraction."""
    text = region.text
    if text is not None and text == " ".join(block.text for block in document.blocks):
        return 1.0, partial(_document_words, document)  # the same words in the same order: all there
    region_tokens = region.counts()
    total = sum(region_tokens.values())
    if not total:
        return 1.0, 0
    found = word_counts(["\n".join(block.text for block in document.blocks)])
    present = sum(min(count, found[token]) for token, count in region_tokens.items())
    return present / total, total
