"""Inputs at the edges of what extraction reads: attribute values a browser would not take as a number, and a
hidden region's text landing at the very end of a normalization chunk."""

from __future__ import annotations

import pytest

from monitor.extract import visible
from monitor.extract.boilerplate import Skipper
from monitor.extract.document import extract_document
from monitor.extract.parse import parse_html


def test_an_aria_level_that_is_a_digit_only_to_unicode_is_the_default_level() -> None:
    html = (
        "<html><body><div role='heading' aria-level='²'>Your rights</div><p>You can object.</p></body></html>"
    )

    blocks = extract_document(html).document.blocks

    assert [(block.kind, block.level, block.text) for block in blocks] == [
        ("heading", 2, "Your rights"),
        ("paragraph", 0, "You can object."),
    ]


@pytest.mark.parametrize("chunk", [1, 2, 3, 20_000])
def test_a_hidden_region_root_never_splits_a_word_of_the_page(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    # The region's chunk may end where the page has no break: the page's text is cut only at its own spaces.
    monkeypatch.setattr(visible._Text, "CHUNK", chunk)
    page = parse_html("<html><body><div>foo<span hidden><div id='r'>x</div></span>bar</div></body></html>")
    assert page is not None
    root = page.get_element_by_id("r")

    region, page_text = visible.visible_texts(page, [root], Skipper([]))

    assert (region.text, page_text) == ("x", "foobar")
