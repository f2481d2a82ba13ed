"""Hostile HTML loses no text: whatever a browser shows of a page reaches the stored text, or the check fails
saying why. Each page is served on loopback and goes through the real `check` (or `test`), fetcher, parser,
extraction and store.

libxml2 used to stop quietly: 2,048 elements deep (even with huge_tree), it kept the tree built so far, so a
clause nested deeper and the whole rest of the page were missing while coverage said 100%. Chromium keeps
such a page whole (past 512 levels it attaches elements beside their parent), and so does extraction now.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock

import monitor.extract.parse as parse_module
from monitor.extract.document import extract_document
from monitor.extract.walls import needs_browser

INTRO = (
    "We use the information we have to provide, personalise and improve our Products, and we keep it "
    "only as long as we need it to provide them, or until your account is deleted, whichever comes first."
)
CLAUSE = "Your objection applies to all accounts in the same Accounts Center."
AFTER = "You can object to this use at any time in the settings of your Accounts Center."


def page(middle: str, *, after: str = f"<p>{AFTER}</p>") -> str:
    return (
        "<!DOCTYPE html><html><head><title>Privacy Policy</title></head><body>"
        f"<h1>Privacy Policy</h1><p>{INTRO}</p>{middle}{after}</body></html>"
    )


def nested(open_tags: str, close_tags: str, times: int, inner: str = CLAUSE) -> str:
    return open_tags * times + inner + close_tags * times


SHOWN_WHOLE = f"# Privacy Policy\n\n{INTRO}\n\n{CLAUSE}\n\n{AFTER}\n"

# (name, HTML, the exact stored text): what Chromium shows of the page, in blocks.
HOSTILE_PAGES = [
    ("3,000 nested divs", page(nested("<div>", "</div>", 3000, f"<p>{CLAUSE}</p>")), SHOWN_WHOLE),
    ("2,000 nested divs (under libxml2's limit)", page(nested("<div>", "</div>", 2000)), SHOWN_WHOLE),
    ("100,000 nested divs", page(nested("<div>", "</div>", 100_000)), SHOWN_WHOLE),
    ("5,000 nested inline elements", page(nested("<b>", "</b>", 5000, f"<p>{CLAUSE}</p>")), SHOWN_WHOLE),
    ("5,000 unclosed inline elements", page("<p>" + "<span>" * 5000 + CLAUSE + "</p>"), SHOWN_WHOLE),
    (
        "1,500 nested lists",
        page(nested("<ul><li>", "</li></ul>", 1500)),
        # Chromium too keeps 512 levels, two a list: the item is drawn 254 lists in.
        f"# Privacy Policy\n\n{INTRO}\n\n" + "  " * 254 + f"- {CLAUSE}\n\n{AFTER}\n",
    ),
    ("1,000 nested tables", page(nested("<table><tr><td>", "</td></tr></table>", 1000)), SHOWN_WHOLE),
    (
        "a 12 MB attribute value",
        page(f'<p title="{"x" * 12_000_000}">{CLAUSE}</p>'),
        SHOWN_WHOLE,
    ),
    (
        "a NUL byte in the text",
        page("<p>Your objection applies to all acc\x00ounts in the same Accounts Center.</p>"),
        SHOWN_WHOLE,
    ),
    ("text after </body>", page("", after="") + f"<p>{CLAUSE}</p><p>{AFTER}</p>", SHOWN_WHOLE),
    (
        "a second document after </html>",
        page("", after="") + f"<html><body><p>{CLAUSE}</p><p>{AFTER}</p></body></html>",
        SHOWN_WHOLE,
    ),
    (
        "a second <body>",
        page("", after="</body><body>") + f"<p>{CLAUSE}</p><p>{AFTER}</p>",
        SHOWN_WHOLE,
    ),
    # Chromium shows the rest of the page after <plaintext> as text, markup and all.
    (
        "<plaintext>",
        page(f"<plaintext>{CLAUSE}", after=f"<p>{AFTER}</p>"),
        f"# Privacy Policy\n\n{INTRO}\n\n{CLAUSE}<p>{AFTER}</p></body></html>\n",
    ),
    # A comment left open runs to the end of the page in a browser too: nothing after it is shown.
    (
        "an unclosed comment",
        page(f"<p>{CLAUSE}</p><!-- note to self "),
        f"# Privacy Policy\n\n{INTRO}\n\n{CLAUSE}\n",
    ),
]


class Clock(FakeClock):
    def __init__(self) -> None:
        super().__init__(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Iterator[Path]:
    yield write_project(tmp_path, {"policy": httpserver.url_for("/policy")}, select=None)


def serve(server: HTTPServer, html: str) -> None:
    server.clear()
    server.expect_request("/policy").respond_with_data(
        html.encode("utf-8"), content_type="text/html; charset=utf-8"
    )


def check(project: Path, clock: Clock) -> tuple[int, dict]:
    code, output = run_cli(project, clock, "check", "--json")
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return code, json.loads(lines[0])


@pytest.mark.parametrize(
    ("html", "stored"), [case[1:] for case in HOSTILE_PAGES], ids=[case[0] for case in HOSTILE_PAGES]
)
def test_a_hostile_page_is_stored_as_a_browser_shows_it(
    project: Path, httpserver: HTTPServer, html: str, stored: str
) -> None:
    clock = Clock()
    serve(httpserver, html)

    code, result = check(project, clock)

    assert (code, result["outcome"], result["reason"], result["coverage"]) == (0, "new", None, 1.0)
    code, text = run_cli(project, clock, "show", "policy", "latest")
    assert (code, text) == (0, stored)


def test_a_huge_text_node_is_stored_whole(project: Path, httpserver: HTTPServer) -> None:
    """Above libxml2's 10 MB text limit (XML_MAX_TEXT_LENGTH), which huge_tree lifts."""
    words = "consent " * 1_500_000
    serve(httpserver, page(f"<p>{words}{CLAUSE}</p>"))
    clock = Clock()

    code, result = check(project, clock)

    assert (code, result["outcome"], result["coverage"]) == (0, "new", 1.0)
    code, text = run_cli(project, clock, "show", "policy", "latest")
    assert (code, text) == (0, f"# Privacy Policy\n\n{INTRO}\n\n{words}{CLAUSE}\n\n{AFTER}\n")


def test_trying_a_deep_page_shows_its_whole_text_and_true_coverage(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The reported fault: `test URL --full` on 3,000 nested divs said 100% and showed neither the clause nor
    the rest. The page has a script, so `auto` asks whether it needs a browser: its text is all there."""
    html = page(nested("<div>", "</div>", 3000, f"<p>{CLAUSE}</p>")).replace(
        "</head>", "<script>window.ready = true;</script></head>"
    )
    serve(httpserver, html)

    code, output = run_cli(None, Clock(), "test", httpserver.url_for("/policy"), "--full")

    assert code == 0, output
    lines = output.splitlines()
    assert lines[1] == "coverage 100.0% of 65 words; 4 blocks, 65 words extracted; title 'Privacy Policy'"
    assert lines[2:] == ["ok: the document", "---", *SHOWN_WHOLE.rstrip("\n").split("\n")]
    assert not needs_browser(html)


def test_a_parse_that_stopped_early_is_a_failed_check_naming_why(
    project: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any fatal libxml2 error that nothing recovers from fails the check; it is never a shorter version.
    (libxml2's depth error is the one a served page can trigger; here it is made unrecoverable.)"""
    monkeypatch.setattr(parse_module, "_DEPTH_ERROR", "an error nothing recovers from")
    serve(httpserver, page(nested("<div>", "</div>", 3000)))

    code, result = check(project, Clock())

    assert (code, result["outcome"], result["version"]) == (3, "failed", None)
    assert result["reason"] == (
        "HTML parser stopped at line 1, column 4361: Excessive depth in document: 2048, use XML_PARSE_HUGE option"
    )


def test_a_deep_tree_is_flattened_as_chromium_flattens_it_and_keeps_every_text() -> None:
    """Past 512 levels an element is attached beside its parent (no walker recurses deeper than that), and
    text goes to the element open at that point, as in Chromium: the innermost div holds the clause, and the
    last paragraph, opened inside that div, was attached after it."""
    html = page(nested("<div><p>Level</p>", "</div>", 4000))
    tree = parse_module.parse_html(html)
    assert tree is not None
    assert (
        max(sum(1 for _ in element.iterancestors()) for element in tree.iter()) == parse_module.MAX_TREE_DEPTH
    )
    blocks = extract_document(html).document.blocks
    assert [block.text for block in blocks[2:]] == ["Level"] * 3999 + [CLAUSE, "Level", AFTER]


def test_a_class_name_with_a_character_xml_forbids_leaves_the_automatic_region_as_it_was() -> None:
    """The parser keeps a control character in an attribute (as browsers do) that lxml will not set back: the
    atomic class names are taken off for trafilatura and put back, and this one was, once, a failure that made
    the region the whole body, footer included."""
    sentence = (
        "We collect information about how you use our Products, such as the content you view or engage with, "
        "and the features you use. Section {n} explains more about this topic here."
    )
    paragraphs = "".join(f'<p class="x1i10hfl xjbqb8w">{sentence.format(n=n)}</p>' for n in range(8))

    def page(header_class: str) -> str:
        return (
            f'<html><head><title>Privacy Policy</title></head><body><div class="{header_class}">'
            '<a href="/a">Home</a> <a href="/b">Help Centre for everyone</a> <a href="/c">Log in to your account</a>'
            f'</div><div class="x78zum5 xdt5ytf"><h1>Privacy Policy</h1>{paragraphs}</div>'
            "<div>Footer: Meta © 2026 · Terms · Cookies · Careers at the company · Developers</div></body></html>"
        )

    clean = extract_document(page("x1n2onr6 header")).document.to_text()
    assert "Footer" not in clean and "Section 7" in clean
    assert extract_document(page("x1n2onr6 head\x01er")).document.to_text() == clean
