"""Extraction reads a page the way a person does: every visible sentence of the region, in blocks (headings with
their level, paragraphs, nested list items, table rows), normalized, never a link target, never page furniture.
OTA Markdown versions read into the same blocks. Each case is the exact stored text it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

import monitor.extract.document as document_module
import monitor.extract.visible as visible_module
from monitor.errors import ConfigError, FetchError
from monitor.extract.document import document_from_markdown, extract_document
from monitor.models import Block

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>"


HTML_CASES = [
    # (name, body HTML, exact Document.to_text())
    (
        "headings and paragraphs",
        "<h1>Privacy Policy</h1><p>We collect.</p><h3>Details</h3><p>More.</p>",
        "# Privacy Policy\n\nWe collect.\n\n### Details\n\nMore.\n",
    ),
    (
        "inline elements join into their block",
        "<p>Use <b>Meta</b> <a href='/x'>Products</a><sup>[1]</sup>.</p>",
        "Use Meta Products[1].\n",
    ),
    (
        "br is a space",
        "<p>Meta Platforms Ireland Limited<br>Merrion Road<br/>Dublin 4</p>",
        "Meta Platforms Ireland Limited Merrion Road Dublin 4\n",
    ),
    (
        "text directly in a div between blocks is kept",
        "<div>Before<p>First.</p>Between the blocks<p>Second.</p>After</div>",
        "Before\n\nFirst.\n\nBetween the blocks\n\nSecond.\n\nAfter\n",
    ),
    (
        "nested lists",
        "<ul><li>One<ul><li>One a</li><li>One b<ol><li>deep</li></ol></li></ul></li><li>Two</li></ul>",
        "- One\n\n  - One a\n\n  - One b\n\n    - deep\n\n- Two\n",
    ),
    (
        "an item's later paragraphs are paragraphs",
        "<ul><li><b>Ownership</b><p>We retain all rights.</p><p>Second thought.</p></li></ul>",
        # The bold first line followed by body text is the item's heading (issue 29): below the page's (no)
        # headings, one level per list.
        "# Ownership\n\nWe retain all rights.\n\nSecond thought.\n",
    ),
    (
        "an item whose text sits in a paragraph",
        "<ol><li><p>Only paragraph.</p></li></ol>",
        "- Only paragraph.\n",
    ),
    (
        "data table rows",
        "<table><tr><th>Entity</th><th>Location</th></tr><tr><td>Meta <b>UK</b></td><td>London</td>"
        "</tr><tr><td>Meta Spain</td><td></td></tr></table>",
        "| Entity | Location |\n\n| Meta UK | London |\n\n| Meta Spain |\n",
    ),
    (
        "a cell's paragraphs and lists join into the row",
        "<table><tr><td><h3>Why</h3><p>To personalize.</p></td><td><ul><li>Content</li><li>Device</li></ul></td></tr>"
        "<tr><td>a</td><td>b</td></tr></table>",
        "| Why To personalize. | Content Device |\n\n| a | b |\n",
    ),
    (
        "a layout table is read as blocks",
        "<table role='presentation'><tr><td><h1>Policy</h1><p>Text.</p></td></tr></table>",
        "# Policy\n\nText.\n",
    ),
    (
        "a one-column table is layout",
        "<table><tr><td><p>A.</p></td></tr><tr><td><p>B.</p></td></tr></table>",
        "A.\n\nB.\n",
    ),
    (
        "a heading swallows its inner blocks",
        "<h2><div>Your</div> <span>rights</span></h2>",
        "## Your rights\n",
    ),
    (
        "ARIA headings and lists",
        "<div role='heading' aria-level='3'>Section</div><div role='list'>"
        "<div role='listitem'>First</div><div role='listitem'>Second</div></div>",
        "### Section\n\n- First\n\n- Second\n",
    ),
    (
        "spans beside a heading are paragraphs",
        "<div><h1>Terms</h1><span>First para.</span><span>Second.</span></div>",
        "# Terms\n\nFirst para.\n\nSecond.\n",
    ),
    (
        "hidden elements are not text",
        "<p>Shown<span style='display: none'> hidden</span><span hidden> too</span><span style='visibility:hidden'>"
        " also</span>.</p><script>var x = 1;</script><style>p{}</style><noscript>Enable JS</noscript>"
        "<template><p>tpl</p></template><svg><text>svg</text></svg><p><img alt='picture' src='a.png'>End.</p>",
        "Shown.\n\nEnd.\n",
    ),
    (
        "small aria-hidden decorations go, a page behind a dialog stays",
        "<ul><li><span aria-hidden='true'>\u2022</span>Bullet</li></ul><div aria-hidden='true'><p>This page isn't "
        "available. An unexpected error has occurred.</p></div>",
        "- Bullet\n\nThis page isn't available. An unexpected error has occurred.\n",
    ),
    (
        "page furniture goes",
        "<header><a href='/'>Home</a></header><nav><a>Menu</a></nav><main><p>Body.</p></main>"
        "<div role='dialog'><p>Allow cookies?</p></div><footer>Copyright</footer><div role='contentinfo'>About</div>",
        "Body.\n",
    ),
    (
        "an article's own header and footer stay",
        "<article><header><h1>Terms</h1><p>Effective 1 May</p></header><p>Body.</p><footer>Last updated</footer>"
        "</article>",
        "# Terms\n\nEffective 1 May\n\nBody.\n\nLast updated\n",
    ),
    (
        "feedback widget goes",
        "<p>Policy text.</p><div><div><span>Was this page helpful?</span></div>"
        "<button>Yes</button><button>No</button></div>",
        "Policy text.\n",
    ),
    (
        "cookie banner goes",
        "<div id='cookie-banner'><p>We use cookies.</p><button>Accept</button></div><p>Text.</p>",
        "Text.\n",
    ),
    (
        "entities, spaces and invisibles",
        "<p>Caf&eacute;&nbsp;&amp;&#8239;Co pri&shy;vacy zero&#8203;width Cafe\u0301</p>",
        "Caf\u00e9 & Co privacy zerowidth Caf\u00e9\n",
    ),
    ("comments vanish without splitting words", "<p>Pri<!-- x -->vacy</p>", "Privacy\n"),
    (
        "a paragraph that looks like markup is escaped",
        "<p># not a heading</p><p>- not an item</p>",
        "\\# not a heading\n\n\\- not an item\n",
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), HTML_CASES, ids=[case[0] for case in HTML_CASES])
def test_html_reads_as_blocks(name: str, body: str, expected: str) -> None:
    extraction = extract_document(page(body), select=["body"])
    assert extraction.document.to_text() == expected


BLOCK_CASES = [
    ("<h4>Four</h4>", [Block("heading", "Four", 4)]),
    ("<ul><li>a<ul><li>b</li></ul></li></ul>", [Block("item", "a", 0), Block("item", "b", 1)]),
    ("<table><tr><td>x</td><td>y</td></tr></table>", [Block("row", "x | y")]),
]


@pytest.mark.parametrize(("body", "blocks"), BLOCK_CASES)
def test_blocks_carry_kind_and_level(body: str, blocks: list[Block]) -> None:
    assert extract_document(page(body), select=["body"]).document.blocks == blocks


SCOPE_CASES = [
    # (select, remove, exact text)
    (["#b", "#a"], [], "A.\n\nB.\n"),  # a union, in document order
    (["#a", "#a p"], [], "A.\n"),  # a match inside another match is not read twice
    (["section"], ["#b"], "A.\n\nC.\n"),
    (["section"], ["p"], ""),
    ([], ["#a", "#c"], "B.\n"),
]
SCOPE_PAGE = page(
    "<nav>Menu</nav><section><div id='a'><p>A.</p></div><div id='b'><p>B.</p></div>"
    "<div id='c'><p>C.</p></div></section>"
)


@pytest.mark.parametrize(("select", "remove", "expected"), SCOPE_CASES)
def test_select_and_remove_scope_the_region(select: list[str], remove: list[str], expected: str) -> None:
    assert extract_document(SCOPE_PAGE, select=select, remove=remove).document.to_text() == expected


def test_a_selector_that_matches_nothing_is_a_failed_fetch_that_says_what_the_page_shows() -> None:
    html = page("<h1>Log in to Facebook</h1><p>You must log in to continue.</p>")
    with pytest.raises(FetchError) as raised:
        extract_document(html, url="https://x.test/policy", select=["#root", "main"])
    assert raised.value.reason == "selector matched nothing: #root, main"
    assert raised.value.url == "https://x.test/policy"
    assert "config.toml" in raised.value.hint
    assert raised.value.extraction.visible_text == "Log in to Facebook You must log in to continue."
    assert raised.value.extraction.title == "T"


def test_an_invalid_selector_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"https://x.test/: invalid CSS selector 'div\[' in select/remove"):
        extract_document(page("<p>x</p>"), url="https://x.test/", select=["div["])


def test_link_targets_and_markup_never_change_the_text() -> None:
    first = page(
        "<div class='a1'><p>See <a href='/v?oh=00_Af1&oe=6941&_nc_cat=1&utm_source=x'>video</a>.</p></div>"
    )
    second = page(
        "<section id='new'>\n  <p class='b2'>See\n <a href='/v?oh=00_Zz9&oe=7000&_nc_cat=2'><span>video</span></a>."
        "</p>\n</section>"
    )
    texts = {extract_document(html).document.to_text() for html in (first, second)}
    assert texts == {"See video.\n"}


COVERAGE_CASES = [
    # (body, select, remove, coverage, region words)
    ("<p>one two three four</p>", ["body"], [], 1.0, 4),
    (
        "<nav>one two</nav><p>three four five six seven eight</p>",
        ["body"],
        [],
        0.75,
        8,
    ),  # furniture is visible
    ("<nav>one two</nav><p>three four five six seven eight</p>", ["body"], ["nav"], 1.0, 6),
    ("<p>one<span hidden>two</span></p>", ["body"], [], 1.0, 1),
    ("<div>", ["body"], [], 1.0, 0),
    # A selected element is read even when hidden: the user chose it.
    ("<div hidden><p id='r'>one two</p></div><p>three</p>", ["#r"], [], 1.0, 2),
]


@pytest.mark.parametrize(("body", "select", "remove", "coverage", "words"), COVERAGE_CASES)
def test_coverage_is_the_share_of_visible_region_words_extracted(
    body: str, select: list[str], remove: list[str], coverage: float, words: int
) -> None:
    extraction = extract_document(page(body), select=select, remove=remove)
    assert (extraction.coverage, extraction.region_words) == (coverage, words)


def test_title_prefers_og_title() -> None:
    html = "<html><head><title>Site</title><meta property='og:title' content='Privacy Policy'></head><body>x</body>"
    assert extract_document(html, select=["body"]).title == "Privacy Policy"


@pytest.mark.parametrize("html", ["", "   \n", "<!-- only a comment -->"])
def test_an_empty_page_is_an_empty_document(html: str) -> None:
    extraction = extract_document(html, select=["#root"])
    assert (extraction.document.blocks, extraction.coverage, extraction.visible_text) == ([], 1.0, "")


def test_an_xml_declared_page_parses() -> None:
    html = "<?xml version='1.0' encoding='utf-8'?><html><body><p>Caf\u00e9</p></body></html>"
    assert extract_document(html).document.to_text() == "Caf\u00e9\n"


def test_deep_pages_do_not_overflow() -> None:
    html = page("<div>" * 1500 + "<p>deep</p>" + "</div>" * 1500)  # deeper than Python's recursion limit
    assert "deep" in extract_document(html, select=["body"]).document.to_text()


def test_without_a_selector_the_main_content_is_found_and_read_completely() -> None:
    html = (FIXTURES / "article-with-furniture.html").read_text(encoding="utf-8")
    extraction = extract_document(html)
    assert extraction.document.to_text() == (FIXTURES / "article-with-furniture.txt").read_text(
        encoding="utf-8"
    )
    assert extraction.title == "Example Privacy Notice"
    # The region is the content column; only its feedback widget ("Was this page helpful? Yes No") is not text.
    assert (extraction.region_words, extraction.coverage) == (189, 183 / 189)
    assert "Subscribe to our newsletter" in extraction.visible_text


def test_a_page_read_a_chunk_at_a_time_reads_as_when_read_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Big pages normalize their visible text in chunks (memory); the chunking must not change a character.
    html = (FIXTURES / "article-with-furniture.html").read_text(encoding="utf-8")
    whole = extract_document(html)
    monkeypatch.setattr(visible_module._Text, "CHUNK", 2)
    chunked = extract_document(html)
    assert (chunked.visible_text, chunked.coverage, chunked.region_words) == (
        whole.visible_text,
        whole.coverage,
        whole.region_words,
    )


def test_a_page_too_big_for_the_region_heuristic_is_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Above TRAFILATURA_MAX_CHARS the body is the region (trafilatura took 545 MB on a 19 MiB page).
    html = (FIXTURES / "article-with-furniture.html").read_text(encoding="utf-8")
    monkeypatch.setattr(document_module, "TRAFILATURA_MAX_CHARS", len(html) - 1)
    extraction = extract_document(html)
    assert "Subscribe to our newsletter" in extraction.document.to_text()  # the furniture is in the body
    assert extraction.title == "Example Privacy Notice"
    assert extraction.coverage == extract_document(html, select=["body"]).coverage


MARKDOWN_CASES = [
    (
        "setext and ATX headings",
        "Privacy Policy\n==============\n\nHighlights\n----------\n\n### Details ###\n",
        "# Privacy Policy\n\n## Highlights\n\n### Details\n",
    ),
    (
        "a paragraph's lines are joined",
        "We collect\ninformation  \nabout you.\n\nNext.",
        "We collect information about you.\n\nNext.\n",
    ),
    (
        "turndown lists, nested by four spaces",
        "*   One\n    *   One a\n        1.  deep\n*   Two\n\n1.  First\n2.  Second",
        "- One\n\n  - One a\n\n    - deep\n\n- Two\n\n- First\n\n- Second\n",
    ),
    (
        "an item's later paragraphs",
        "*   **Ownership**\n    \n    We retain all rights.\n    \n*   Next",
        "# Ownership\n\nWe retain all rights.\n\n- Next\n",  # the item's bold first line heads its body, as in HTML
    ),
    (
        "an empty marker, its text on the next line",
        "*     \n    **i. _Your Content:_**\n",
        "- i. Your Content:\n",
    ),
    ("a paragraph after a list ends it", "*   item\n\nParagraph.", "- item\n\nParagraph.\n"),
    (
        "links keep their text only",
        'Use [Meta Products\\[1\\]](https://x.test/a_(b)?oh=1) and [AI](/ai "t").[](#)',
        "Use Meta Products[1] and AI.\n",
    ),
    ("images are dropped", "![A headset](https://x.test/a.png)Text [![icon](i.png)](/x)", "Text\n"),
    (
        "a link around several paragraphs",
        "[![](https://x.test/i.png?oh=1)\n\nSafety Tools  \n\nLearn More](https://x.test/tools/?_nc_cat=1)",
        "Safety Tools\n\nLearn More\n",
    ),
    (
        "brackets that are not links",
        "See \\[1\\] and [not a link] (really)",
        "See [1] and [not a link] (really)\n",
    ),
    (
        "emphasis markers go, snake_case stays",
        "**Bold** and _it_ and __strong__ in a snake_case_name *x*",
        "Bold and it and strong in a snake_case_name x\n",
    ),
    (
        "escapes are unescaped",
        "\\*not emphasis\\* 1\\. \\- \\_ \\> \\# \\[x\\]",
        "*not emphasis* 1. - _ > # [x]\n",
    ),
    ("entities", "Caf&eacute;&nbsp;&amp; Co &#8239;x", "Caf\u00e9 & Co x\n"),
    (
        "tables: br and list markers inside cells",
        "| ### Why | What |\n| --- | --- |\n| To show ads:<br><br>If we "
        "show ads. | [Activity](/a):<br><br>*   Content<br>*   Device |",
        "| Why | What |\n\n| To show ads: If we show ads. | Activity: Content Device |\n",
    ),
    (
        "the combined-document separator",
        "First document.\n\n- - -\n\nSecond document.",
        "First document.\n\n\\- - -\n\nSecond document.\n",
    ),
    (
        "block quotes",
        "> **Things you do.**\n> \n> * Content you provide.",
        "Things you do.\n\n- Content you provide.\n",
    ),
    ("Windows line ends", "Title\r\n=====\r\n\r\nText\r\n", "# Title\n\nText\n"),
]


@pytest.mark.parametrize(("name", "markdown", "expected"), MARKDOWN_CASES, ids=[c[0] for c in MARKDOWN_CASES])
def test_markdown_reads_as_blocks(name: str, markdown: str, expected: str) -> None:
    assert document_from_markdown(markdown).to_text() == expected


SAME_IN_BOTH = [
    # (HTML body, the OTA Markdown of it): both read as the same blocks.
    (
        "<h1>Policy</h1><p>Use <a href='/p'>Meta Products<sup>[1]</sup></a>.</p><ul><li>One<ul><li>Sub</li></ul></li>"
        "</ul>",
        "Policy\n======\n\nUse [Meta Products\\[1\\]](/p).\n\n*   One\n    *   Sub\n",
    ),
    (
        "<table><tr><th>Why</th><th>What</th></tr><tr><td><p>Ads:</p><p>We show ads.</p></td><td><ul><li>Content</li>"
        "<li>Device</li></ul></td></tr></table>",
        "| Why | What |\n| --- | --- |\n| Ads:<br><br>We show ads. | *   Content<br>*   Device |",
    ),
]


@pytest.mark.parametrize(("body", "markdown"), SAME_IN_BOTH)
def test_html_and_its_markdown_give_the_same_blocks(body: str, markdown: str) -> None:
    assert (
        extract_document(page(body), select=["body"]).document.blocks
        == document_from_markdown(markdown).blocks
    )


def test_a_page_whose_text_all_lies_in_its_main_has_that_main_as_its_region() -> None:
    """The automatic region: when every block of the body lies in one main/article container, that container
    is the region without asking trafilatura (it is where trafilatura's region climbs to). On a short page
    trafilatura finds too little to point at anything and the body was the region: the text is the same, but
    the site's header and footer no longer count as region words the text lost."""
    html = (
        "<html><body><header><nav><a href='/'>Home</a> <a href='/help'>Help</a> <a href='/about'>About us"
        "</a></nav></header><main><h1>Policy</h1><p>We collect data.</p><p>We share it.</p></main><footer>"
        "(c) 2026 Example Inc all rights reserved</footer></body></html>"
    )
    extraction = extract_document(html)

    assert extraction.document.to_text() == "# Policy\n\nWe collect data.\n\nWe share it.\n"
    assert (extraction.coverage, extraction.region_words) == (1.0, 7)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><main><h1>Policy</h1><p>We collect data, and we share it.</p><p>You may object.</p></main>"
        "<nav>Home Help</nav></body></html>",
        "<html><body><table><tr><td>Data</td><td>Why we keep it</td></tr><tr><td>Posts</td><td>To show them"
        "</td></tr></table><p>Ask us anything.</p><p hidden>secret</p></body></html>",
    ],
)
def test_coverage_is_the_same_whether_the_region_text_is_kept_or_only_counted(
    html: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page-sized region keeps its text (coverage is whole without counting when it reads as the extracted
    text); a bigger one is only counted, a chunk at a time. Both give the same figures."""
    from monitor.extract import visible

    kept = extract_document(html)
    monkeypatch.setattr(visible.RegionWords, "KEEP_MAX", 5)
    counted = extract_document(html)

    assert (counted.coverage, counted.region_words) == (kept.coverage, kept.region_words)
    assert kept.region_words > 0


@pytest.mark.parametrize("select", [["#policy"], ["#policy span"], ["p"], ["body"], ["html"]])
def test_the_page_reads_the_same_whatever_region_the_rules_name(select: list[str]) -> None:
    """The page's visible text (what the walls read) does not depend on the region: a region that breaks the
    text at both ends lends its normalized text to the page, one that runs inline does not, and both read as
    the page does with no region at all."""
    html = page(
        "<nav>Menu <a href='/'>Home</a></nav><div id='policy'>Cafe\u0301 <span>terms\u200b apply</span>"
        "here.<p>We collect\u00a0data.</p></div>tail<span>text</span>"
    )
    with pytest.raises(FetchError) as missed:
        extract_document(html, select=["#nothing"])
    alone = missed.value.extraction.visible_text  # type: ignore[attr-defined]

    assert extract_document(html, select=select).visible_text == alone
    assert alone == "Menu Home Caf\u00e9 terms applyhere. We collect data. tailtext"


def test_a_region_counts_its_words_as_a_word_pattern_does() -> None:
    """Words are runs of letters, digits and underscores in any script; the count takes the plain tokens
    without the pattern and must agree with it everywhere."""
    import re

    text = "snake_case l\u2019\u00e9t\u00e9 42 \u0663\u0664 x-y \u216b [link](https://a.b/c?d=1) \u4e2d\u6587 __ -- \u00bd"
    for window in (1, 5, 100_000):
        assert visible_module.word_count(text, window) == len(re.findall(r"\w+", text))


def test_a_region_of_inline_elements_reads_each_apart() -> None:
    """`select` may name inline elements: each is read as a block of its own, and coverage counts its words
    apart from the next one's."""
    html = page("<div id='policy'>Cafe <span>terms apply</span>here. <span>Two</span></div>")
    extraction = extract_document(html, select=["#policy span"])
    assert extraction.document.to_text() == "terms apply\n\nTwo\n"
    assert (extraction.coverage, extraction.region_words) == (1.0, 3)
