"""Text already in normal form is returned as it is, without splitting it or searching it for invisible
characters: the result is the same as the full treatment gives, whatever the text holds."""

from __future__ import annotations

import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from monitor.extract.normalize import _INVISIBLE, normalize_text

SPACES = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]


def split_and_joined(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    return " ".join(text.split())


def test_every_space_but_the_ascii_one_is_unprintable() -> None:
    # What lets a printable text with no double, leading or trailing space skip the split.
    assert [space for space in SPACES if space.isprintable()] == [" "]


def test_every_invisible_character_is_unprintable() -> None:
    # What lets a printable text skip the search for invisible characters.
    invisible = [chr(code) for code in range(sys.maxunicode + 1) if _INVISIBLE.fullmatch(chr(code))]
    assert invisible
    assert not any(character.isprintable() for character in invisible)


PARTS = [*SPACES, "a", "é", "e", "\u0301", "\u00ad", "\u200b", "e\u0301", "\x00", "\x7f", "."]


@given(st.lists(st.sampled_from(PARTS), max_size=12))
def test_the_same_as_splitting(parts: list[str]) -> None:
    text = "".join(parts)
    assert normalize_text(text) == split_and_joined(text)


@given(st.lists(st.sampled_from(PARTS), max_size=12))
def test_normalizing_again_changes_nothing(parts: list[str]) -> None:
    once = normalize_text("".join(parts))
    assert normalize_text(once) == once


def test_an_invisible_character_between_a_letter_and_its_accent_is_gone_before_they_are_composed() -> None:
    assert normalize_text("e\u200b\u0301") == normalize_text("e\u0301") == "\u00e9"


@given(st.text(max_size=40))
def test_the_same_as_splitting_any_text(text: str) -> None:
    assert normalize_text(text) == split_and_joined(text)
