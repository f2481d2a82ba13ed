"""Selectors written in Open Terms Archive's declarations select what a browser's querySelectorAll selects, also
where cssselect alone refuses them (each row is a shape found in the public declaration repositories)."""

from __future__ import annotations

import pytest

from monitor.config.loading import parse_config
from monitor.errors import ConfigError
from monitor.extract.document import extract_document

PAGE = """<html><body>
<div id="legal"><h2>Legal</h2>
  <section class="block">Privacy words</section>
  <div class="block">First block</div><div class="block">Second block</div>
  <p class="block">Paragraph block</p>
</div>
<main><div class="container-fluid">Main words</div><div class="container-fluid">Other words</div></main>
<p><a href="/es--espanol">Leer en español</a> <img src="data:image/svg+xml;base64,AA" alt="icon"> Kept</p>
<button onclick="window.print();">Print</button>
</body></html>"""

# (what the declaration selects, the page's text as the browser's selection gives it): of-type counts the
# siblings of each element's own name, so the second .block <div> is the only second of its type.
SHAPES = [
    ("#legal .block:nth-of-type(2)", "Second block"),
    ("#legal .block:nth-of-type(1)", "Privacy words\n\nFirst block\n\nParagraph block"),
    ("main>.container-fluid:first-of-type", "Main words"),
    ("#legal .block:last-of-type", "Privacy words\n\nSecond block\n\nParagraph block"),
    ("#legal > :only-of-type", "## Legal\n\nPrivacy words\n\nParagraph block"),
    ("#legal .block:not(:first-of-type)", "Second block"),
]
REMOVALS = [
    ("img[src^='data:image/svg+xml", "Leer en español Kept"),  # a string left open: the browser closes it
    ('button[onclick="window.print();"', "Leer en español Kept"),  # a bracket left open
    ("a[href$=--espanol]", "Kept"),  # an unquoted value starting with two hyphens
]


def page(**rules: object) -> dict[str, object]:
    return {"id": "p", "url": "https://example.org/", **rules}


def text(select: list[object], remove: list[object] | None = None) -> str:
    config = parse_config({"pages": [page(select=select, remove=remove or [])]})
    rules = config.pages[0]
    return extract_document(PAGE, select=rules.select, remove=rules.remove).document.to_text().strip()


@pytest.mark.parametrize(("selector", "expected"), SHAPES)
def test_of_type_pseudo_classes_without_an_element_name_count_siblings_of_the_same_name(
    selector: str, expected: str
) -> None:
    assert text([selector]) == expected


@pytest.mark.parametrize(("selector", "expected"), REMOVALS)
def test_selectors_a_browser_repairs_or_reads_as_identifiers_remove_what_they_name(
    selector: str, expected: str
) -> None:
    assert text(["body > p"], [selector]) == expected


def test_of_type_spelled_out_works_in_a_range_boundary_too() -> None:
    rule = {"start_before": "#legal .block:nth-of-type(2)", "end_after": "#legal > p"}
    assert text([rule]) == "Second block\n\nParagraph block"


def test_a_selector_that_no_browser_reads_is_still_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"pages": [page(select=["This unused `select` is there"])]})
    assert str(caught.value).startswith(
        "config.toml: pages[0] (id 'p').select: not a CSS selector: 'This unused `select` is there' ("
    )


def test_a_selector_cssselect_reads_already_is_kept_as_written() -> None:
    written = ["div.block:nth-of-type(2)", "a[href*='x'] + p", {"start_before": "h2", "end_after": "p"}]
    assert parse_config({"pages": [page(select=written)]}).pages[0].select == written
