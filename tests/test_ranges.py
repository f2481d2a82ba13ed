"""Range rules keep or remove everything between two boundaries in document order, across elements, as OTA's."""

from __future__ import annotations

import pytest

from monitor.config.loading import parse_config
from monitor.errors import ConfigError
from monitor.extract.document import SelectorMissed, extract_document

PAGE = """<html><body><nav>Deutsch Türkçe</nav>
<div id="main"><h1>Terms</h1>Intro words<p>First part</p>
<div><p>Nested part</p><hr id="sep"><p>Footer link</p></div><p>After all</p></div>
<footer>Foot</footer></body></html>"""


def text(select: list = (), remove: list = ()) -> str:  # type: ignore[assignment]
    return extract_document(PAGE, select=select, remove=remove).document.to_text()


def test_start_before_and_end_after_keep_both_boundaries_and_cut_inside_the_element_that_holds_the_end() -> (
    None
):
    kept = text([{"start_before": "#main", "end_after": "#sep"}])
    assert kept.strip().split("\n\n") == ["# Terms", "Intro words", "First part", "Nested part"]


def test_start_after_and_end_before_leave_both_boundaries_out() -> None:
    kept = text([{"start_after": "h1", "end_before": "#sep"}])
    assert kept.strip().split("\n\n") == ["Intro words", "First part", "Nested part"]


def test_a_range_crossing_out_of_nested_elements_keeps_what_follows_them() -> None:
    kept = text([{"start_before": "#sep", "end_before": "footer"}])
    assert kept.strip().split("\n\n") == ["Footer link", "After all"]


def test_a_range_in_remove_deletes_its_span_and_leaves_the_rest_of_the_elements_it_crosses() -> None:
    kept = text(["#main"], [{"start_before": "#sep", "end_after": "body"}])
    assert kept.strip().split("\n\n") == ["# Terms", "Intro words", "First part", "Nested part"]


def test_a_range_and_a_selector_together_give_their_union_once() -> None:
    kept = text([{"start_before": "h1", "end_before": "#sep"}, "h1"])
    assert kept.strip().split("\n\n") == ["# Terms", "Intro words", "First part", "Nested part"]


def test_a_range_whose_boundary_is_missing_matches_nothing_and_says_so() -> None:
    with pytest.raises(SelectorMissed) as caught:
        text([{"start_before": "#gone", "end_after": "#sep"}])
    assert caught.value.reason == "selector matched nothing: from before #gone to after #sep"


def test_ranges_are_written_in_toml_alone_or_in_lists() -> None:
    page = {"id": "p", "url": "https://example.org/"}
    one = parse_config({"pages": [page | {"select": {"start_before": "h1", "end_after": "hr"}}]})
    assert one.pages[0].select == [{"start_before": "h1", "end_after": "hr"}]
    with pytest.raises(ConfigError) as caught:
        parse_config(
            {"pages": [page | {"remove": [{"start_before": "h1", "end_after": "hr", "end_before": "p"}]}]}
        )
    assert str(caught.value) == (
        "config.toml: pages[0] (id 'p').remove: a range needs one of start_before/start_after "
        "and one of end_before/end_after"
    )


def test_a_removed_range_whose_neighbour_text_holds_a_character_xml_forbids_is_removed() -> None:
    # libxml2's tree keeps the control character; the text moved beside it is set without it.
    html = "<html><body><p>Before\x1c<nav>menu</nav> after the menu.</p></body></html>"

    extraction = extract_document(html, remove=[{"start_before": "nav", "end_after": "nav"}])

    assert [block.text for block in extraction.document.blocks] == ["Before after the menu."]
