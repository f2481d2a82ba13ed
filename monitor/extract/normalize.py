"""Text normalization for comparison: the same wording always gives the same bytes.

NFC, invisible characters removed, every kind of space folded to one ASCII space, whitespace
collapsed. Typographic quotes and dashes are *kept* here (a change between them is a real, if
cosmetic, edit); `fold_typography` folds them for matching and for the cosmetic/substantive rule.
"""

from __future__ import annotations

import re
import unicodedata

# Soft hyphen, zero-width space/non-joiner/joiner, word joiner, BOM, LRM/RLM and bidi marks, the Mongolian vowel
# separator and the invisible math operators (function application, invisible times/separator/plus).
_INVISIBLE = re.compile(
    "[\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u180e\u2061\u2062\u2063\u2064]"
)  # a regex, not str.translate: translate is ten times slower on non-ASCII text

_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": "'",
        "\u203a": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2026": "...",
    }
)


def normalize_text(text: str) -> str:
    """Return `text` in the canonical form used for storing and comparing. Idempotent."""
    if not text.isascii():  # O(1) in CPython; ASCII text is NFC and holds no invisible characters
        if not text.isprintable():  # every invisible character is a format character: none in printable text
            # Removed before composing: one between a letter and its accent ("e\u200b\u0301") would otherwise
            # keep them apart until the text is normalized a second time.
            text = _INVISIBLE.sub("", text)
        text = unicodedata.normalize("NFC", text)
    # No whitespace but the ASCII space, as in most text: then it is in normal form already unless a space is
    # doubled or at an end. These checks in C cost half of splitting it.
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    # str.split() splits on exactly what re's \s matches (NBSP, thin/hair/figure spaces, narrow NBSP,
    # ideographic space, line/paragraph separators...), three times faster than a \s+ substitution.
    return " ".join(text.split())


def fold_typography(text: str) -> str:
    """Fold quote, apostrophe, dash and ellipsis variants to ASCII (for matching, never for storing)."""
    if text.isascii():
        return text.translate(_TYPOGRAPHY)
    return _TYPOGRAPHIC.sub(_fold_match, text)  # str.translate is slow on non-ASCII text


_TYPOGRAPHIC_FOLDS = {chr(code): folded for code, folded in _TYPOGRAPHY.items()}
_TYPOGRAPHIC = re.compile("[" + re.escape("".join(_TYPOGRAPHIC_FOLDS)) + "]")


def _fold_match(match: re.Match[str]) -> str:
    return _TYPOGRAPHIC_FOLDS[match.group()]
