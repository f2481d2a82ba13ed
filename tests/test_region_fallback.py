"""When trafilatura finds fewer than two lines to anchor the automatic region by, the region is the page's one
outermost <main> (or [role=main]) if it holds most of the page's words, else the whole body as before.

Meta's sub-processor list on forwork.meta.com (the Llama API Data Processor Agreement) is mostly a table, which
trafilatura (include_tables=False) does not read: the region was the body, and a country picker, a "Skip to main
content" link and a sales banner outside the page's <main> became document text; the banner appearing was
reported as a substantive change. An in-page skip link is page furniture wherever it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from monitor.cli.main import State, main
from monitor.extract.boilerplate import Skipper, find_widgets
from monitor.extract.document import extract_document
from monitor.extract.html_blocks import html_to_blocks

DPA = Path("html/genai-eu-snapshots/Llama_API/Data_Processor_Agreement")
# The declaration Open Terms Archive reads this page with: the same capture reads cleanly under it.
OTA_SELECT, OTA_REMOVE = ["main"], ["#ssrb_root_content"]
FURNITURE = ("Skip to main content", "Did we select the right country/region?", "France")
BANNER = (
    "Starting on 20 February 2026, Meta Horizon managed services will no longer be available for purchase."
)
HEADING = "Meta Horizon Managed Solutions List of Sub-Processors and Subcontractors"
NOW = datetime(2026, 4, 1, tzinfo=UTC)

# capture -> furniture lines the body holds outside its <main> (each was a block of the document before).
CAPTURES = {
    "2025-11-12T00-52-31Z_70ca8950.html": FURNITURE,
    "2026-03-30T10-33-39Z_184bb2b9.html": (*FURNITURE, BANNER),
}


def texts(html: str, select: Sequence[str] = (), remove: Sequence[str] = ()) -> list[str]:
    return [block.text for block in extract_document(html, select=select, remove=remove).document.blocks]


@pytest.mark.corpus
@pytest.mark.parametrize(("capture", "furniture"), CAPTURES.items())
def test_the_sub_processor_list_reads_as_its_main_without_the_furniture_around_it(
    corpus: Path, capture: str, furniture: tuple[str, ...]
) -> None:
    html = (corpus / DPA / capture).read_text(encoding="utf-8")
    found = texts(html)
    for line in furniture:
        assert not any(text.startswith(line.removesuffix(".")) for text in found), line
    assert found[0] == HEADING
    assert "Effective date: 13 November 2023" in found
    assert "Andale, Inc. | United States" in found
    # The whole document, as the archive's declaration reads it, and nothing else.
    assert found == texts(html, select=OTA_SELECT, remove=OTA_REMOVE)


@pytest.mark.corpus
def test_the_sales_banner_outside_main_is_no_change(corpus: Path, tmp_path: Path) -> None:
    old, new = (str(corpus / DPA / capture) for capture in CAPTURES)
    result = CliRunner().invoke(
        main, ["-c", str(tmp_path / "absent.toml"), "diff", old, new], obj=State(clock=lambda: NOW)
    )
    assert "Meta Horizon managed services" not in result.stdout
    assert "substantive" not in result.stdout.split("\n", 3)[2]
    assert result.exit_code == 0, result.stdout  # no differences


# A table trafilatura does not read (include_tables=False) and headings too short to anchor the region by.
ROWS = "".join(
    f"<tr><td>{name}</td><td>{place}</td></tr>"
    for name, place in [
        ("Andale, Inc.", "United States"),
        ("Cassin Networks Aps", "Denmark"),
        ("Greater Kudu LLC", "United States"),
        ("Goldframe LLC", "United States"),
        ("Morning Hornet LLC", "United States"),
        ("Meta Platforms Ireland Limited", "Ireland"),
    ]
)
TABLE = f"<table><tr><th>Entity</th><th>Location</th></tr>{ROWS}</table>"
# Furniture in lines too short for trafilatura to anchor by (on the real page it keeps none of them).
PICKER = "<div><div>Country or region</div><div>France</div></div>"
SKIP = "<a href='#content'><div>Skip to content</div></a>"
# The one line trafilatura anchors by: fewer than two, so the region falls back.
EFFECTIVE = "<h1>Sub-processors</h1><p>Effective date: 13 November 2023</p>"


def page(body: str) -> str:
    return f"<html><head><title>Sub-processors</title></head><body>{SKIP}{PICKER}{body}</body></html>"


# name -> (body, whether the table is read, whether the picker outside the main is read: whether it is the region)
GUARD_CASES = {
    # The one <main> holds the document: it is the region, the picker beside it is not the document.
    "main holds the document": (f"<main id='content'>{EFFECTIVE}{TABLE}</main>", True, False),
    "role=main holds the document": (f"<div role='main'>{EFFECTIVE}{TABLE}</div>", True, False),
    "a main in a main": (f"<main><div><main>{EFFECTIVE}</main>{TABLE}</div></main>", True, False),
    # A <main> holding a fragment (the title) while the table lies beside it: the body stays the region, as
    # before, or the document would be lost.
    "main holds a fragment": (f"<main>{EFFECTIVE}</main><div>{TABLE}</div>", True, True),
    # A main holding most of the text, and a second table beside it: what lies outside may be the document
    # too, so the body stays the region.
    "a table beside the main": (
        f"<main>{EFFECTIVE}{TABLE}</main><aside><h2>Subcontractors</h2>{TABLE}</aside>",
        True,
        True,
    ),
    # Two outermost mains: neither is the page's, the body stays the region.
    "two mains": (f"<main>{EFFECTIVE}{TABLE}</main><main>{TABLE}</main>", True, True),
}


@pytest.mark.parametrize(("body", "table_read", "picker_read"), GUARD_CASES.values(), ids=GUARD_CASES)
def test_the_region_falls_back_to_the_one_main_only_when_it_holds_the_document(
    body: str, table_read: bool, picker_read: bool
) -> None:
    found = texts(page(body))
    assert ("Andale, Inc. | United States" in found) is table_read
    assert ("Country or region" in found) is picker_read
    assert "Effective date: 13 November 2023" in found
    assert "Skip to content" not in found  # an in-page skip link is furniture, whatever the region


@pytest.mark.parametrize(
    ("body", "picker_read"), [(b, p) for b, _, p in GUARD_CASES.values()], ids=GUARD_CASES
)
def test_the_guard_itself(body: str, picker_read: bool) -> None:
    """`page_main` apart from trafilatura: the outermost main holding most of the body's words, or None."""
    from monitor.extract.region import page_main

    root = lxml_html.document_fromstring(page(body))
    sourced = html_to_blocks([root.body], Skipper([], find_widgets(root, page(body))))
    found = page_main(root.body, sourced)
    if picker_read:
        assert found is None
    else:
        assert found is not None
        assert found.xpath("count(ancestor::main)") == 0  # the outermost one
        assert "Andale, Inc." in found.text_content()


def walk(html: str) -> list[str]:
    """The body's blocks as the automatic region's walk reads them, furniture rules on."""
    root = lxml_html.document_fromstring(html)
    return [s.block.text for s in html_to_blocks([root.body], Skipper([], find_widgets(root, html)))]


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("<a href='#main'>Skip to main content</a>", False),
        ("<a href='#content'><span>Skip to content</span></a>", False),
        ("<a href='#inhalt'>Zum Inhalt springen</a>", False),
        ("<a href='#content'>Aller au contenu principal</a>", False),
        ("<a href='#sharing'>How we share information</a>", True),  # a contents entry: the document's
        ("<a href='/content'>Skip to content</a>", True),  # not in the page: not a skip link
    ],
)
def test_an_in_page_skip_link_is_furniture(link: str, kept: bool) -> None:
    found = walk(f"<html><body><div>{link}</div><p>We keep your data for ninety days.</p></body></html>")
    assert (len(found) == 2) is kept, found
    assert found[-1] == "We keep your data for ninety days."
