"""Headings are found the way a reader finds them (issue 29): `<h1-6>` and `role="heading"` with `aria-level`,
and on pages that style their headings as body text, a short line of its own (no closing full stop) followed by
body text, when it is all bold or is the first line of a list item. A found heading goes below the last real
heading, one level deeper per list. Each case is the exact stored text it must give; the real captures say
where the rule must fire and where it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract.document import extract_document
from monitor.models import Block

META_AI_TERMS = "html/genai-eu-snapshots/Meta_AI/Terms_of_Service"
FACEBOOK_LEGAL = {"select": ['[role="main"]'], "remove": ['[role="separator"] ~ *']}
PRINTABLE = {"select": ["#root"], "remove": ["img"]}


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>"


def text_of(body: str) -> str:
    return extract_document(page(body), select=["body"]).document.to_text()


FIRES = [
    # (name, body HTML, exact Document.to_text())
    (
        "role=heading takes its aria-level",
        "<div role='heading' aria-level='3'>Your rights</div><p>You can object.</p>",
        "### Your rights\n\nYou can object.\n",
    ),
    (
        "a block holding only a short bold line, then body text",
        "<p><b>Your data</b></p><p>We collect what you give us.</p>",
        "# Your data\n\nWe collect what you give us.\n",
    ),
    (
        "a bold line of its own at the start of a block, then body text in it",
        "<div><span><strong>Retention</strong><div>We keep data as long as we need it.</div></span></div>",
        "# Retention\n\nWe keep data as long as we need it.\n",
    ),
    (
        "bold by inline style",
        "<p><span style='font-weight: 700'>Retention</span></p><p>We keep data as long as we need it.</p>",
        "# Retention\n\nWe keep data as long as we need it.\n",
    ),
    (
        "the first short line of a list item whose further paragraph is body text",
        "<ol><li><div>Eligibility</div><div>You must be 13 or older to use AIs.</div></li></ol>",
        "# Eligibility\n\nYou must be 13 or older to use AIs.\n",
    ),
    (
        "found headings go below the last real heading, one level deeper per list",
        "<h2>Terms</h2><ol><li><b>Your Commitments</b><ol><li><div>Eligibility</div>"
        "<div>You must be 13.</div></li></ol></li></ol>",
        "## Terms\n\n### Your Commitments\n\n#### Eligibility\n\nYou must be 13.\n",
    ),
    (
        "in a list whose items are sections, a short line after an item's heading is its body",
        "<ol><li><div>Severability</div><div>If a portion is unenforceable, the rest stays in force.</div></li>"
        "<li><div>Effective Date</div><div>Effective May 13, 2026</div></li></ol>",
        "# Severability\n\nIf a portion is unenforceable, the rest stays in force.\n\n# Effective Date\n\n"
        "Effective May 13, 2026\n",
    ),
]

DOES_NOT_FIRE = [
    (
        "bold words that begin a paragraph are not a line of their own",
        "<div><b>United Kingdom:</b> The UK terms govern the use of AIs.</div><p>Body text follows here, long.</p>",
        "United Kingdom: The UK terms govern the use of AIs.\n\nBody text follows here, long.\n",
    ),
    (
        "a bold sentence is not a heading",
        "<p><b>Please read these terms.</b></p><p>They apply to you when you use AIs.</p>",
        "Please read these terms.\n\nThey apply to you when you use AIs.\n",
    ),
    (
        "a bold line followed by a list is not a heading",
        "<p><b>Cookies we use</b></p><ul><li>Session cookies</li></ul>",
        "Cookies we use\n\n- Session cookies\n",
    ),
    (
        "a long bold line is not a heading",
        "<p><b>One two three four five six seven eight nine ten eleven twelve thirteen</b></p><p>Body text.</p>",
        "One two three four five six seven eight nine ten eleven twelve thirteen\n\nBody text.\n",
    ),
    (
        "short list items without further paragraphs stay items",
        "<ul><li>To conduct and support research</li><li>To provide services</li></ul><p>Body text after it.</p>",
        "- To conduct and support research\n\n- To provide services\n\nBody text after it.\n",
    ),
    (
        "an item whose first line leads a sub-list stays an item",
        "<ul><li>Communications Security<ul><li>Meta will employ technology for network segregation.</li>"
        "</ul></li></ul>",
        "- Communications Security\n\n  - Meta will employ technology for network segregation.\n",
    ),
    (
        "an item whose next line is short is a pair, not a section",
        "<ul><li><div>Name</div><div>Value</div></li></ul>",
        "- Name\n\nValue\n",
    ),
    (
        "a menu of links is not headings",
        "<ul><li><a href='/p'>Products</a><ul><li><a href='/m'>Messenger</a></li></ul></li></ul>",
        "- Products\n\n  - Messenger\n",
    ),
    (
        "of two bold lines at the same level only the one the body follows heads it",
        "<p><b>Overview</b></p><p><b>Retention</b></p><p>We keep data as long as we need it.</p>",
        "Overview\n\n# Retention\n\nWe keep data as long as we need it.\n",
    ),
    (
        "a bold line followed by a real heading is not a heading",
        "<p><b>Overview</b></p><h2>Retention</h2><p>We keep data as long as we need it.</p>",
        "Overview\n\n## Retention\n\nWe keep data as long as we need it.\n",
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), FIRES, ids=[case[0] for case in FIRES])
def test_a_line_a_reader_takes_for_a_heading_is_a_heading(name: str, body: str, expected: str) -> None:
    assert text_of(body) == expected


@pytest.mark.parametrize(("name", "body", "expected"), DOES_NOT_FIRE, ids=[case[0] for case in DOES_NOT_FIRE])
def test_a_line_that_is_not_a_heading_stays_as_it_reads(name: str, body: str, expected: str) -> None:
    assert text_of(body) == expected


OUTSIDE = (  # a bold lead-in, then the sentence on the same line
    "Outside of the United Kingdom, Brazil, or the European Region: The Meta AIs Terms of Service govern the use "
    "of our Generative AI products and features by users outside of the UK, Brazil, and the European Region."
)
# Real captures: (folder, capture index in date order, region rules, the block's text, the block it must be).
REAL_CASES = [
    # Must fire: the Meta AI Terms (a `<b>` line, then the first `<div>` of `<li>`s in a nested `<ol>`).
    (META_AI_TERMS, -1, FACEBOOK_LEGAL, "Your Commitments", Block("heading", "Your Commitments", 1)),
    (META_AI_TERMS, -1, FACEBOOK_LEGAL, "Eligibility", Block("heading", "Eligibility", 2)),
    (
        META_AI_TERMS,
        -1,
        FACEBOOK_LEGAL,
        "Meta’s Rights Regarding Content",
        Block("heading", "Meta’s Rights Regarding Content", 2),
    ),
    (META_AI_TERMS, -1, FACEBOOK_LEGAL, "Effective Date", Block("heading", "Effective Date", 1)),
    (META_AI_TERMS, 0, FACEBOOK_LEGAL, "Acceptable Uses", Block("heading", "Acceptable Uses", 2)),
    (
        META_AI_TERMS,
        -1,
        FACEBOOK_LEGAL,
        "Our AI Terms are different depending on the region you live in",
        Block("heading", "Our AI Terms are different depending on the region you live in", 1),
    ),
    (
        "html/genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-Meta-Global-Processor-Terms",
        -1,
        FACEBOOK_LEGAL,
        "General Terms",
        Block("heading", "General Terms", 1),
    ),
    # Must not fire: a plain line, a bold lead-in, a short item alone, the date line.
    (
        META_AI_TERMS,
        -1,
        FACEBOOK_LEGAL,
        "Meta AIs Terms of Service (EU)",
        Block("paragraph", "Meta AIs Terms of Service (EU)"),
    ),
    (
        META_AI_TERMS,
        -1,
        FACEBOOK_LEGAL,
        "To conduct and support research",
        Block("item", "To conduct and support research", 2),
    ),
    (
        META_AI_TERMS,
        -1,
        FACEBOOK_LEGAL,
        "Effective May 13, 2026",
        Block("paragraph", "Effective May 13, 2026"),
    ),
    (META_AI_TERMS, -1, FACEBOOK_LEGAL, OUTSIDE, Block("paragraph", OUTSIDE)),
    # Items that only lead sub-lists of sentences, never body paragraphs.
    (
        "html/genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-data_security_terms",
        -1,
        FACEBOOK_LEGAL,
        "Communications Security",
        Block("item", "Communications Security", 0),
    ),
    (
        "html/genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-data_security_terms",
        -1,
        FACEBOOK_LEGAL,
        "Personnel",
        Block("item", "Personnel", 0),
    ),
]


def capture(corpus: Path, folder: str, index: int) -> Path:
    return sorted((corpus / folder).glob("*.html"))[index]


def extract(path: Path, scope: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    return extract_document(path.read_text(encoding="utf-8"), **scope).document


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("folder", "index", "scope", "text", "expected"),
    REAL_CASES,
    ids=[f"{c[3][:30]}-{c[1]}" for c in REAL_CASES],
)
def test_real_captures_find_the_headings_a_reader_sees_and_no_others(
    corpus: Path, folder: str, index: int, scope: dict[str, list[str]], text: str, expected: Block
) -> None:
    document = extract(capture(corpus, folder, index), scope)
    assert [block for block in document.blocks if block.text == text] == [expected]


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["Privacy_Policy_privacy-policy-printable", "Trackers_Policy"])
def test_pages_with_real_headings_get_no_found_ones(corpus: Path, name: str) -> None:
    """The printable policies mark every heading with `<h*>`: no bold line or list item becomes one."""
    from lxml import html

    path = capture(corpus, f"html/genai-eu-snapshots/Llama_API/{name}", -1)
    tree = html.fromstring(path.read_text(encoding="utf-8"))
    marked = {"".join(e.text_content().split()) for e in tree.iter("h1", "h2", "h3", "h4", "h5", "h6")}
    headings = ["".join(b.text.split()) for b in extract(path, PRINTABLE).blocks if b.kind == "heading"]
    assert headings
    assert set(headings) <= marked


@pytest.mark.corpus
def test_every_meta_ai_terms_capture_places_its_clauses_in_sections(corpus: Path) -> None:
    """Alerts and summaries name the section: on every capture the clauses sit under their headings."""
    paths = sorted((corpus / META_AI_TERMS).glob("*.html"))
    assert len(paths) == 20
    for path in paths:
        document = extract(path, FACEBOOK_LEGAL)
        sections = dict(zip((b.text for b in document.blocks), document.sections(), strict=True))
        eligibility = next(text for text in sections if text.startswith("Without limiting the Meta Terms"))
        assert sections[eligibility] == ("Your Commitments", "Eligibility"), path.name
        review = next(text for text in sections if text.startswith("In some cases, Meta will review"))
        assert sections[review] == ("Prompts, Results, and Other Content", "Personal Information"), path.name
        contact = next(text for text in sections if text.startswith("You can contact Meta Platforms Ireland"))
        assert sections[contact] == ("How to Contact Us",), path.name
