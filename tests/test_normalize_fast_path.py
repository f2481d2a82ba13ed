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
        text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(text.split())


def test_every_space_but_the_ascii_one_is_unprintable() -> None:
    # What lets a printable text with no double, leading or trailing space skip the split.
    assert [space for space in SPACES if space.isprintable()] == [" "]


def test_every_invisible_character_is_unprintable() -> None:
    # What lets a printable text skip the search for invisible characters.
    invisible = [chr(code) for code in range(sys.maxunicode + 1) if _INVISIBLE.fullmatch(chr(code))]
    assert invisible
    assert not any(character.isprintable() for character in invisible)


@given(st.lists(st.sampled_from([*SPACES, "a", "é", "\u00ad", "e\u0301", "\x00", "\x7f", "."]), max_size=12))
def test_the_same_as_splitting(parts: list[str]) -> None:
    text = "".join(parts)
    assert normalize_text(text) == split_and_joined(text)


@given(st.text(max_size=40))
def test_the_same_as_splitting_any_text(text: str) -> None:
    assert normalize_text(text) == split_and_joined(text)
