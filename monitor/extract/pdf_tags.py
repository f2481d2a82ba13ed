"""Headings a tagged PDF marks in its structure tree: the elements of type H1-H6, H or Title on a page, and the
text of the marked content they own. Read through PDFium's raw API (`FPDF_StructTree_*`, `FPDF_StructElement_*`;
pypdfium2 has no helper for it): the structure tree only names marked-content ids, so a heading's text is that
of the page's text objects carrying those ids. An untagged PDF (most) costs one catalog look-up.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator

import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

HEADING_LEVELS = {f"H{n}": n for n in range(1, 7)} | {"Title": 1}
# `H` is a heading whose level is its depth in sections (`Sect`), as the PDF specification has it.
_SECTION = "Sect"
# A deeper tree is damage or a trap: its headings are left unread.
MAX_DEPTH = 64


def is_tagged(pdf: pdfium.PdfDocument) -> bool:
    """The document says it is tagged (its catalog has a structure tree and `MarkInfo /Marked true`)."""
    return bool(pdfium_c.FPDFCatalog_IsTagged(pdf.raw))


def tagged_headings(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> list[tuple[str, int]]:
    """The page's tagged headings in the structure tree's order: each one's text and level (1-6), the text as its text objects
    spell it (spaces between them may be missing or extra: compare it without spaces)."""
    levels: list[int] = []
    owner: dict[int, int] = {}  # marked-content id -> index of the heading that owns it
    tree = pdfium_c.FPDF_StructTree_GetForPage(page.raw)
    if not tree:
        return []
    try:
        for index in range(pdfium_c.FPDF_StructTree_CountChildren(tree)):
            child = pdfium_c.FPDF_StructTree_GetChildAtIndex(tree, index)
            if child:
                _collect(child, 0, 0, levels, owner)
    finally:
        pdfium_c.FPDF_StructTree_Close(tree)
    if not levels:
        return []
    texts = [""] * len(levels)
    for obj in _text_objects(page):
        heading = owner.get(pdfium_c.FPDFPageObj_GetMarkedContentID(obj))
        if heading is not None:
            texts[heading] += " " + _object_text(obj, textpage)
    return [(text, level) for text, level in zip(texts, levels, strict=True) if text.strip()]


def _text_objects(page: pdfium.PdfPage) -> Iterator[object]:
    """The page's text objects, those in form XObjects included, in content order. Raw handles: a page holds
    thousands of objects, and pypdfium2's wrapper objects cost more than the look-up itself."""
    # (holder, next index, count, whether the holder is a form object)
    stack = [(page.raw, 0, pdfium_c.FPDFPage_CountObjects(page.raw), False)]
    while stack:
        holder, index, total, in_form = stack.pop()
        if index >= total:
            continue
        stack.append((holder, index + 1, total, in_form))
        if in_form:
            obj = pdfium_c.FPDFFormObj_GetObject(holder, index)
        else:
            obj = pdfium_c.FPDFPage_GetObject(holder, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            yield obj
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and len(stack) < MAX_DEPTH:
            stack.append((obj, 0, pdfium_c.FPDFFormObj_CountObjects(obj), True))


def _object_text(obj: object, textpage: pdfium.PdfTextPage) -> str:
    size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
    if size <= 2:
        return ""
    buffer = (pdfium_c.FPDF_WCHAR * (size // 2))()
    pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, buffer, size)
    return bytes(memoryview(buffer))[: size - 2].decode("utf-16-le", errors="replace")


def _collect(element: object, depth: int, sections: int, levels: list[int], owner: dict[int, int]) -> None:
    """Walk `element`'s subtree: each heading's level, and which heading owns each marked-content id (the ids
    of a heading's descendants, such as a `Span` in it, are the heading's)."""
    if depth > MAX_DEPTH:
        return
    kind = _string(pdfium_c.FPDF_StructElement_GetType, element)
    level = HEADING_LEVELS.get(kind) or (min(max(sections, 1), 6) if kind == "H" else 0)
    if level:
        levels.append(level)
        for mcid in _marked_ids(element):
            owner.setdefault(mcid, len(levels) - 1)
        _claim_descendants(element, depth, len(levels) - 1, owner)
        return
    inner = sections + (kind == _SECTION)
    for index in range(max(pdfium_c.FPDF_StructElement_CountChildren(element), 0)):
        child = pdfium_c.FPDF_StructElement_GetChildAtIndex(element, index)
        if child:
            _collect(child, depth + 1, inner, levels, owner)


def _claim_descendants(element: object, depth: int, heading: int, owner: dict[int, int]) -> None:
    for index in range(max(pdfium_c.FPDF_StructElement_CountChildren(element), 0)):
        child = pdfium_c.FPDF_StructElement_GetChildAtIndex(element, index)
        if child and depth < MAX_DEPTH:
            for mcid in _marked_ids(child):
                owner.setdefault(mcid, heading)
            _claim_descendants(child, depth + 1, heading, owner)


def _marked_ids(element: object) -> list[int]:
    count = pdfium_c.FPDF_StructElement_GetMarkedContentIdCount(element)
    ids = (pdfium_c.FPDF_StructElement_GetMarkedContentIdAtIndex(element, i) for i in range(max(count, 0)))
    return [mcid for mcid in ids if mcid >= 0]


def _string(function: Callable[..., int], element: object) -> str:
    """A string PDFium writes as UTF-16LE into a buffer it is handed (its length asked first)."""
    size = function(element, None, 0)
    if size <= 2:
        return ""
    buffer = ctypes.create_string_buffer(size)
    function(element, buffer, size)
    return buffer.raw[: size - 2].decode("utf-16-le", errors="replace")
