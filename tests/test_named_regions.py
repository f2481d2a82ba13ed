"""A region the page's rules name is the user's choice: what it holds is the document, furniture included.

Open Terms Archive's declaration of Meta's sub-processor list selects `main`, and keeps the breadcrumb `nav`
inside it. Boilerplate rules (navigation, headers and footers, dialogs, "Was this helpful?" widgets, small
`aria-hidden` decorations) are heuristics of the automatic region, and of a `select` of the whole page (`body`),
whose furniture nobody chose. In a named region only what no reader sees and what `remove` names are left out.
"""

from __future__ import annotations

from lxml import html as lxml_html

from monitor.extract.boilerplate import Skipper, find_widgets
from monitor.extract.document import extract_document
from monitor.extract.html_blocks import html_to_blocks

SUBPROCESSORS = (
    "<html><head><title>Sub-processors</title></head><body>"
    "<header><a href='/'>Meta for Work</a></header>"
    "<main>"
    "<nav aria-label='Breadcrumb'><a href='/legal/'>Legal Home</a> <span aria-hidden='true'>›</span> "
    "<a href='/legal/work/'>Meta for Work Legal</a></nav>"
    "<h1>List of sub-processors</h1><p>Effective from 13 November 2023.</p>"
    "<table><tr><th>Entity</th><th>Location</th></tr><tr><td>Andale, Inc.</td><td>United States</td></tr></table>"
    "<div><span>Was this page helpful?</span><button>Yes</button><button>No</button></div>"
    "<p hidden>Draft wording nobody sees.</p>"
    "</main>"
    "<footer><a href='/privacy'>Privacy</a><a href='/cookies'>Cookies</a></footer>"
    "</body></html>"
)
NAMED = (
    "Legal Home › Meta for Work Legal\n\n# List of sub-processors\n\nEffective from 13 November 2023.\n\n"
    "| Entity | Location |\n\n| Andale, Inc. | United States |\n\nWas this page helpful? Yes No\n"
)
BODY = "# List of sub-processors\n\nEffective from 13 November 2023.\n\n| Entity | Location |\n\n| Andale, Inc. | United States |\n"


def walk(page: str, select: str | None) -> str:
    """The region's text as the walk reads it, with the Skipper told which region the rules named."""
    root = lxml_html.document_fromstring(page)
    skipper = Skipper(root.cssselect("[hidden]"), find_widgets(root, page))
    roots = root.cssselect(select) if select else [root.body]
    if select:
        skipper.name_region(roots)
    return "\n\n".join(s.block.text for s in html_to_blocks(roots, skipper))


def test_a_named_region_keeps_its_breadcrumb_and_widgets_but_not_what_nobody_sees() -> None:
    text = walk(SUBPROCESSORS, "main")
    assert text.startswith("Legal Home › Meta for Work Legal\n\nList of sub-processors")
    assert "Was this page helpful? Yes No" in text
    assert "Draft wording" not in text


def test_the_whole_page_drops_its_furniture_whether_named_or_not() -> None:
    for select in (None, "body", "html"):
        text = walk(SUBPROCESSORS, select)
        assert text.startswith("List of sub-processors"), select
        assert not any(word in text for word in ("Legal Home", "Meta for Work", "helpful", "Privacy")), select


def test_select_main_gives_what_the_declaration_names() -> None:
    extraction = extract_document(SUBPROCESSORS, select=["main"])
    assert extraction.document.to_text() == NAMED
    assert extraction.coverage == 1.0


def test_select_body_and_the_automatic_region_leave_the_furniture_out() -> None:
    assert extract_document(SUBPROCESSORS, select=["body"]).document.to_text() == BODY
    assert extract_document(SUBPROCESSORS).document.to_text() == BODY


def test_remove_still_takes_out_what_it_names_inside_a_named_region() -> None:
    text = extract_document(SUBPROCESSORS, select=["main"], remove=["nav", "main > div"]).document.to_text()
    assert text == BODY


def test_a_range_keeps_the_furniture_it_spans() -> None:
    page = (
        "<html><body><div role='main'><nav><a href='/a'>Terms</a><a href='/b'>Policies</a></nav>"
        "<h1>Terms</h1><p>You agree to these terms.</p><footer role='contentinfo'>Last updated 1 May</footer>"
        "<div role='separator'></div></div><div>Deutsch English</div></body></html>"
    )
    select = [{"start_before": "[role='main']", "end_after": "[role='separator']"}]
    text = extract_document(page, select=select).document.to_text()
    assert text == "Terms Policies\n\n# Terms\n\nYou agree to these terms.\n\nLast updated 1 May\n"
