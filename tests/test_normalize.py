"""Normalization: the same wording always gives the same bytes, whatever invisible characters or kinds of space a
capture carries; and the stored text form reads back into the very blocks it was written from."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.extract.normalize import fold_typography, normalize_text
from monitor.models import Block, Document

NORMALIZED = [
    # (what a capture carries, the normalized text)
    ("plain text", "plain text"),
    ("  leading and trailing  ", "leading and trailing"),
    ("line\nbreaks\r\nand\ttabs", "line breaks and tabs"),
    ("no-break\u00a0space", "no-break space"),
    ("narrow\u202fno-break space", "narrow no-break space"),
    ("thin\u2009hair\u200afigure\u2007ideographic\u3000spaces", "thin hair figure ideographic spaces"),
    ("line\u2028and paragraph\u2029separators", "line and paragraph separators"),
    ("pri\u00advacy", "privacy"),  # soft hyphen
    ("zero\u200bwidth\u200c\u200djoiners\u2060", "zerowidthjoiners"),
    ("\ufeffbyte order mark", "byte order mark"),
    (
        "\u200eleft-to-right\u200f and \u202aembedding\u202c marks\u2066\u2069",
        "left-to-right and embedding marks",
    ),
    ("Cafe\u0301", "Caf\u00e9"),  # NFC: e + combining acute -> é
    ("invisible\u2062times and\u180eMongolian separator", "invisibletimes andMongolian separator"),
    ("\u00a0\u00a0", ""),
    ("typographic \u201cquotes\u201d \u2013 kept", "typographic \u201cquotes\u201d \u2013 kept"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALIZED)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


FOLDED = [
    ("\u201cquoted\u201d", '"quoted"'),
    ("it\u2019s", "it's"),
    ("2020\u20132024 \u2014 dash", "2020-2024 - dash"),
    ("wait\u2026", "wait..."),
    ("\u00abguillemets\u00bb", '"guillemets"'),
]


@pytest.mark.parametrize(("text", "expected"), FOLDED)
def test_fold_typography(text: str, expected: str) -> None:
    assert fold_typography(text) == expected


@given(st.text(alphabet=st.sampled_from("ab \u00e9\u2018\u2019\u201c\u201d\u2013\u2014\u2026`\u00ab")))
def test_fold_typography_folds_each_character_alike_in_ascii_and_unicode_text(text: str) -> None:
    folded = fold_typography(text)
    assert folded == "".join(fold_typography(char) for char in text)
    assert fold_typography(folded) == folded


# Text with plenty of the characters normalization is about.
messy_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("\u00a0\u202f\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u0301\u2028 \t\n\r-#|\\"),
    ),
    max_size=60,
)


@given(messy_text)
def test_normalize_text_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(messy_text)
def test_normalized_text_is_one_line_of_single_spaces_without_invisibles(text: str) -> None:
    result = normalize_text(text)
    assert result == result.strip()
    assert not re.search(r"\s\s|[^\S ]", result)
    assert not set(result) & set("\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f")
    assert unicodedata.is_normalized("NFC", result)


block_text = messy_text.map(normalize_text).filter(bool)
blocks = st.one_of(
    st.builds(Block, st.just("heading"), block_text, st.integers(1, 6)),
    st.builds(Block, st.just("paragraph"), block_text),
    st.builds(Block, st.just("item"), block_text, st.integers(0, 8)),
    st.builds(Block, st.just("row"), block_text),
)


@given(st.lists(blocks, max_size=12))
def test_document_text_round_trips(blocks: list[Block]) -> None:
    text = Document(blocks).to_text()
    assert Document.from_text(text).blocks == blocks
    assert Document.from_text(text).to_text() == text
