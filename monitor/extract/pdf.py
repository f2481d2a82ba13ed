"""A PDF document to blocks of text: pypdfium2 (PDFium, Apache-2.0/BSD-3-Clause, prebuilt wheels, fast C code).

Lines are rebuilt from PDFium's text segments by position, paragraphs from the vertical gaps between lines. The
running headers, footers and page numbers (the same words, digits aside, at the same place near the top or bottom
of most pages) are left out: they are furniture, as a site's menu is. Headings are the lines that the PDF's outline
(bookmarks) names on their page, or that its structure tree tags as headings (pdf_tags.py), a heading wrapped over
several lines read as one; the outline's level wins where both name a line. Bounded like HTML: a page count and a
time limit, checked page by page.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium  # type: ignore[import-untyped]

from monitor.errors import FetchError
from monitor.extract.document import Extraction
from monitor.extract.normalize import fold_typography, normalize_text
from monitor.extract.pdf_tags import is_tagged, tagged_headings
from monitor.models import Block, Document

MAX_PAGES = 2000
MAX_SECONDS = 60.0
EDGE_SHARE = 0.12  # running headers and footers sit in the top or bottom 12% of a page
PARAGRAPH_STEP = 1.3  # a line this many usual line steps below the last starts a paragraph
RUNNING_SHARE = 0.5  # ... on at least half of the pages (and three)
_PAGE_HINT = "a PDF that PDFium cannot read; open it in a viewer to see whether it is damaged"
_DIGITS = re.compile(r"\d+")
# PDFium marks a hyphen it found at a line's end with U+0002; some PDFs carry a soft hyphen or U+FFFE there.
_BREAK_HYPHENS = "\x02\u00ad\ufffe"
_NO_BREAK_HYPHENS = {ord(c): None for c in _BREAK_HYPHENS}
_SENTENCE_END = tuple(".:;!?)”\"'")
_SPACES = re.compile(r"\s+")
HEADING_MAX_LINES = 4  # a heading wrapped over more lines than this is read line by line
# PDFium is not thread-safe: one document is read at a time in the process.
_LOCK = threading.Lock()


class PdfUnreadable(FetchError):
    """The PDF could not be read into text (damaged, encrypted, too long, too slow)."""


@dataclass(slots=True)
class _Line:
    top: float
    bottom: float
    left: float
    text: str

    @property
    def height(self) -> float:
        return self.top - self.bottom


def extract_pdf(body: bytes, *, url: str = "") -> Extraction:
    """The text of the PDF in `body` as a Document (one heading or paragraph per block)."""
    with _LOCK:
        pages, title, outline = _read(body, url)
    # A heading's lines are never running headers (a chapter's title at the top of its page, "1. Scope").
    in_headings = [_heading_lines(lines, outline.get(n, {})) for n, (_height, lines) in enumerate(pages)]
    running = _running_keys(pages, in_headings)
    pitch = _line_pitch(pages)
    blocks: list[Block] = []
    shown: list[str] = []
    for number, (height, lines) in enumerate(pages):
        kept = [
            line
            for index, line in enumerate(lines)
            if index in in_headings[number] or _edge_key(line, height) not in running
        ]
        shown.extend(line.text for line in kept)
        _append_page(blocks, kept, outline.get(number, {}), pitch)
    document = Document([block for block in blocks if block.text], title=title)
    words = document.words()
    return Extraction(document, 1.0, words, title, normalize_text(" ".join(shown)))


def _read(
    body: bytes, url: str
) -> tuple[list[tuple[float, list[_Line]]], str | None, dict[int, dict[str, int]]]:
    """Each page's height and lines, the document's title, and the headings by page (`_key`: level) that the
    outline names and the structure tree tags."""
    started = time.monotonic()
    try:
        pdf = pdfium.PdfDocument(body)
    except pdfium.PdfiumError as error:
        raise PdfUnreadable(url, f"PDF unreadable: {error}", hint=_PAGE_HINT) from None
    try:
        count = len(pdf)
        if count > MAX_PAGES:
            raise PdfUnreadable(url, f"PDF too long: {count} pages (at most {MAX_PAGES})")
        title = normalize_text(str(pdf.get_metadata_dict().get("Title", ""))) or None
        outline: dict[int, dict[str, int]] = {}
        for item in pdf.get_toc(max_depth=6):
            dest = item.get_dest()
            index = dest.get_index() if dest is not None else None
            if index is not None and (heading := _key(item.get_title())):
                outline.setdefault(index, {}).setdefault(heading, min(item.level + 1, 6))
        tagged = is_tagged(pdf)
        pages = []
        for index in range(count):
            if time.monotonic() - started > MAX_SECONDS:
                raise PdfUnreadable(url, f"PDF too slow to read: over {MAX_SECONDS:g}s at page {index + 1}")
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                if tagged:
                    named = outline.setdefault(index, {})
                    for text, level in tagged_headings(page, textpage):
                        if key := _key(text):
                            named.setdefault(key, level)
                pages.append((page.get_height(), _lines(textpage)))
            finally:
                page.close()
        return pages, title, outline
    except pdfium.PdfiumError as error:
        raise PdfUnreadable(url, f"PDF unreadable: {error}", hint=_PAGE_HINT) from None
    finally:
        pdf.close()


def _lines(textpage: pdfium.PdfTextPage) -> list[_Line]:
    """The page's text lines, top to bottom: PDFium's segments that share a line, joined left to right."""
    try:
        segments = []
        for index in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(index)
            text = textpage.get_text_bounded(left, bottom, right, top)
            if text.strip():
                segments.append((top, bottom, left, right, text))
    finally:
        textpage.close()
    segments.sort(key=lambda s: (-s[0], s[2]))
    grouped: list[list[tuple[float, float, float, float, str]]] = []
    for segment in segments:
        line = grouped[-1] if grouped else None
        if line is not None and _same_line(line, segment):
            line.append(segment)
        else:
            grouped.append([segment])
    lines = []
    for line in grouped:
        line.sort(key=lambda s: s[2])
        text, right = "", None
        for _top, _bottom, left, seg_right, part in line:
            if text and right is not None and left - right > 1.0 and not text[-1:].isspace():
                text += " "
            text += part
            right = seg_right
        top, bottom = max(s[0] for s in line), min(s[1] for s in line)
        lines.append(_Line(top, bottom, line[0][2], text.replace("\r", " ").replace("\n", " ")))
    return lines


def _same_line(line: list[tuple[float, float, float, float, str]], segment: tuple) -> bool:
    top, bottom = max(s[0] for s in line), min(s[1] for s in line)
    overlap = min(top, segment[0]) - max(bottom, segment[1])
    return overlap > 0.5 * min(top - bottom, segment[0] - segment[1])


def _edge_key(line: _Line, height: float) -> tuple[str, int] | None:
    """What a running header or footer looks like on every page: its words with digits folded (page numbers
    differ), and its place. None for a line away from the page's top and bottom."""
    if height <= 0 or EDGE_SHARE * height < line.bottom < (1 - EDGE_SHARE) * height:
        return None
    return _DIGITS.sub("#", _fold(line.text)), round(line.bottom / 4)


def _running_keys(
    pages: list[tuple[float, list[_Line]]], in_headings: list[set[int]]
) -> set[tuple[str, int]]:
    """The running headers and footers: edge lines seen on half of the pages, never a heading's line (by page,
    `in_headings`)."""
    seen: Counter[tuple[str, int]] = Counter()
    for number, (height, lines) in enumerate(pages):
        skipped = in_headings[number]
        seen.update(
            {
                key
                for index, line in enumerate(lines)
                if index not in skipped and (key := _edge_key(line, height)) is not None
            }
        )
    least = max(3, RUNNING_SHARE * len(pages))
    return {key for key, count in seen.items() if count >= least}


def _line_pitch(pages: list[tuple[float, list[_Line]]]) -> float:
    """The document's usual distance from one line's bottom to the next's, within a paragraph."""
    steps = sorted(
        round(above.bottom - below.bottom, 1)
        for _height, lines in pages
        for above, below in zip(lines, lines[1:], strict=False)
        if above.bottom - below.bottom > 0
    )
    return steps[len(steps) // 2] if steps else 0.0


def _append_page(blocks: list[Block], lines: list[_Line], headings: dict[str, int], pitch: float) -> None:
    """Append a page's lines as blocks: a line the outline names is a heading; a step to the next line a third
    longer than the document's usual one starts a paragraph; a paragraph cut by the page break goes on into the
    next page."""
    previous: _Line | None = None
    last = blocks[-1] if blocks else None
    carry = last is not None and last.kind == "paragraph" and not last.text.endswith(_SENTENCE_END)
    # The paragraph's last line ended with a hyphen PDFium marked as a possible line break: reports hyphenate
    # compounds ("policy-violating"), hardly ever split words, so the hyphen is kept and the halves joined.
    tight = False
    runs = _heading_runs(lines, headings)
    skip_to = 0
    for index, line in enumerate(lines):
        if index < skip_to:
            continue
        raw = line.text.rstrip()
        text = normalize_text(raw.translate(_NO_BREAK_HYPHENS))
        if not text:
            continue
        if index in runs:
            skip_to, level = runs[index]
            wrapped = " ".join(
                part.text.rstrip().translate(_NO_BREAK_HYPHENS) for part in lines[index:skip_to]
            )
            blocks.append(Block("heading", normalize_text(wrapped), level))
            previous, carry = None, False
            continue
        if previous is None:
            starts = not (carry and text[:1].islower())
        else:
            step = previous.bottom - line.bottom
            starts = (
                step > PARAGRAPH_STEP * max(pitch, line.height) or step < 0 or blocks[-1].kind == "heading"
            )
        if starts or not blocks:
            blocks.append(Block("paragraph", text))
        else:
            blocks[-1] = Block("paragraph", blocks[-1].text + ("-" if tight else " ") + text)
        tight = raw[-1:] in _BREAK_HYPHENS
        previous, carry = line, False


def _fold(text: str) -> str:
    return normalize_text(fold_typography(text.translate(_NO_BREAK_HYPHENS))).lower()


def _key(text: str) -> str:
    """A heading's text as the outline, the tags and the page's lines are compared: folded, without spaces (a
    tagged heading's words may sit in separate text objects, and a wrapped one on separate lines)."""
    return _SPACES.sub("", _fold(text))


def _heading_lines(lines: list[_Line], headings: dict[str, int]) -> set[int]:
    """The indices of the page's lines that are (part of) a heading."""
    return {
        index
        for start, (end, _level) in _heading_runs(lines, headings).items()
        for index in range(start, end)
    }


def _heading_runs(lines: list[_Line], headings: dict[str, int]) -> dict[int, tuple[int, int]]:
    """The page's headings as runs of lines: first line's index -> (index after the last, level). A heading
    on one line, or wrapped over a few consecutive ones (their keys joined spell a heading's key)."""
    runs: dict[int, tuple[int, int]] = {}
    if not headings:
        return runs
    keys = [_key(line.text) for line in lines]
    start = 0
    while start < len(lines):
        joined, end = "", start
        while end < len(lines) and end - start < HEADING_MAX_LINES and keys[end]:
            joined += keys[end]
            end += 1
            if joined in headings:
                runs[start] = (end, headings[joined])
                break
            if not any(key.startswith(joined) for key in headings):
                break
        start = runs[start][0] if start in runs else start + 1
    return runs
