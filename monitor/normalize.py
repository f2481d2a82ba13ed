"""Text normalization for comparison: the same wording always gives the same bytes.

NFC, invisible characters removed, every kind of space folded to one ASCII space, whitespace
collapsed. Typographic quotes and dashes are *kept* here (a change between them is a real, if
cosmetic, edit); `fold_typography` folds them for matching and for the cosmetic/substantive rule.
"""

from __future__ import annotations

import re
import unicodedata

# Soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM, LRM/RLM and bidi marks.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
    None,
)
# \s in Python's re covers NBSP, thin/hair/figure spaces, narrow NBSP, ideographic space, line/para separators.
_SPACES = re.compile(r"\s+")

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2039": "'", "\u203a": "'",
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u2026": "...",
    }
)


def normalize_text(text: str) -> str:
    """Return `text` in the canonical form used for storing and comparing. Idempotent."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    return _SPACES.sub(" ", text).strip()


def fold_typography(text: str) -> str:
    """Fold quote, apostrophe, dash and ellipsis variants to ASCII (for matching, never for storing)."""
    return text.translate(_TYPOGRAPHY)
