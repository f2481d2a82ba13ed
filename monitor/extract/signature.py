"""What a body is, by its signature or its type: a PDF or not. Light to import (no fetcher, no HTTP library), so
evidence bundles, imports and the fetchers share one test.
"""

from __future__ import annotations

PDF_TYPES = frozenset({"application/pdf", "application/x-pdf", "application/acrobat"})
# PDF readers look for the signature in the first 1024 bytes (a few servers prepend a line or a BOM).
_PDF_WINDOW = 1024


def mime_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def is_pdf(body: bytes, content_type: str = "") -> bool:
    """A PDF document, by its signature, or by its type when there is no body to look at (a 304). The signature
    counts only with no markup before it: an HTML page that mentions "%PDF-" near its top is no PDF."""
    if body:
        head = body[:_PDF_WINDOW]
        at = head.find(b"%PDF-")
        return at >= 0 and b"<" not in head[:at]
    return mime_type(content_type) in PDF_TYPES
