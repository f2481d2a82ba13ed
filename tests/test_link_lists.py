"""The automatic region keeps to the document (issue 29): lists of links beside it (related topics, "more
resources", navigation drawn as plain links inside the main element, a language menu) stay out, so a capture whose
only difference is such a list is `unchanged`. Lists that are the document's own (a table of contents, the links a
paragraph points to "below", links between two paragraphs) stay in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock

from monitor.extract.document import extract_document

# About 90 words, like the objection page's text.
NOTICE = (
    "<h1>Objecting to the use of your information for AI</h1><p>You have the right to object to Meta using the "
    "information you have shared on our Products and services to develop and improve AI at Meta. You can submit "
    "this form to exercise that right.</p><p>Your objection applies to the account you are logged in to and to all "
    "accounts in the same Accounts Center. If your objection is honoured, it will be applied going forward. We may "
    "still process information about you to develop and improve AI at Meta, even if you object or do not use our "
    "Products, for example if you appear in an image that someone shares.</p>"
)
NOTICE_TEXT = extract_document(f"<html><body>{NOTICE}</body></html>", select=["body"]).document.to_text()
TOPICS = [
    "How to delete your account",
    "Manage your ad preferences",
    "Privacy Checkup",
    "Download your information",
    "Control who sees your posts",
    "Two-factor authentication",
    "Report a privacy violation",
]


def topics(capture: int) -> list[str]:
    """Four topics, a different choice at each capture, as a site that rotates its suggestions."""
    return [TOPICS[(capture * 3 + n) % len(TOPICS)] for n in range(4)]


def items(capture: int) -> str:
    return "".join(f"<li><a href='/help/{n}'>{t}</a></li>" for n, t in enumerate(topics(capture)))


LAYOUTS: dict[str, Callable[[int], str]] = {
    "a related topics list inside main": lambda c: (
        f"<main>{NOTICE}<div><h2>Related topics</h2><ul>{items(c)}</ul></div></main>"
    ),
    "a sidebar beside the article, no main": lambda c: (
        f"<div><aside><h3>Related topics</h3><ul>{items(c)}</ul></aside><article>{NOTICE}</article></div>"
    ),
    "more resources as plain divs, no main": lambda c: (
        "<div><div>"
        + NOTICE
        + "</div><div><b>More resources</b>"
        + "".join(f"<div><a href='/r/{n}'>{t}</a></div>" for n, t in enumerate(topics(c)))
        + "</div></div>"
    ),
    "a row of links drawn inside main": lambda c: (
        "<main><div>"
        + " ".join(f"<a href='/h/{n}'>{t}</a>" for n, t in enumerate(topics(c)))
        + f"</div>{NOTICE}</main>"
    ),
    "cards of suggestions after the text": lambda c: (
        f"<main>{NOTICE}<section><h2>You may also like</h2>"
        + "".join(f"<a href='/h/{n}'><div><span>{t}</span></div></a>" for n, t in enumerate(topics(c)))
        + "</section></main>"
    ),
    "a language menu of buttons and a row of site links": lambda c: (
        f"<main>{NOTICE}<div><div role='button'>English (US)</div><div role='button'>Deutsch</div></div>"
        + "<div>"
        + "".join(f"<a href='/s/{n}'>{t}</a>" for n, t in enumerate(topics(c)))
        + "</div></main>"
    ),
}


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>Objection</title></head><body>{body}</body></html>"


class Clock(FakeClock):
    def __init__(self) -> None:
        super().__init__(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_a_short_notice_whose_related_links_rotate_is_unchanged(
    layout: str, tmp_path: Path, httpserver: HTTPServer
) -> None:
    config = write_project(tmp_path, {"objection": httpserver.url_for("/objection")}, select=None)
    clock = Clock()
    outcomes = []
    for capture in range(3):
        httpserver.clear()
        httpserver.expect_request("/objection").respond_with_data(
            page(LAYOUTS[layout](capture)), content_type="text/html"
        )
        code, output = run_cli(config, clock, "check", "--json")
        record = json.loads(output.strip().splitlines()[-1])
        outcomes.append((code, record["outcome"]))
        clock.set(clock.now + timedelta(days=1))
    assert outcomes == [(0, "new"), (0, "unchanged"), (0, "unchanged")]
    code, shown = run_cli(config, clock, "show", "objection")
    assert code == 0
    assert not [topic for topic in TOPICS if topic in shown]


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_the_region_is_the_notice_alone_and_fully_covered(layout: str) -> None:
    extraction = extract_document(page(LAYOUTS[layout](0)))
    assert extraction.document.to_text() == NOTICE_TEXT
    assert extraction.coverage == 1.0


KEPT = [
    (
        "a table of contents pointing into the page",
        "<main><ul><li><a href='#use'>How we use it</a></li><li><a href='#rights'>Your rights</a></li></ul>"
        f"{NOTICE}</main>",
        ["How we use it", "Your rights"],
    ),
    (
        "the links a paragraph points to below",
        f"<main>{NOTICE}<div><p>You may find what browsers offer at the links below.</p><ul>"
        "<li><a href='https://x.test/chrome'>Google Chrome</a></li><li><a href='https://x.test/ff'>Firefox</a></li>"
        "</ul></div></main>",
        ["Google Chrome", "Firefox"],
    ),
    (
        "links between two paragraphs",
        "<main><h1>Notice</h1><p>We work with the partners listed here, whose terms apply too.</p><ul>"
        "<li><a href='/p/1'>Partner one</a></li><li><a href='/p/2'>Partner two</a></li></ul>"
        "<p>Each of them processes your information only as we instruct it to.</p></main>",
        ["Partner one", "Partner two"],
    ),
    (
        "a page that is only links keeps them",
        "<main><h1>Help topics</h1><ul><li><a href='/1'>Privacy</a></li><li><a href='/2'>Safety</a></li></ul></main>",
        ["Help topics", "Privacy", "Safety"],
    ),
]


@pytest.mark.parametrize(("name", "body", "words"), KEPT, ids=[case[0] for case in KEPT])
def test_lists_of_links_that_are_the_documents_own_stay(name: str, body: str, words: list[str]) -> None:
    text = extract_document(page(body)).document.to_text()
    assert [word for word in words if word in text] == words


def test_with_select_the_page_s_rules_alone_decide() -> None:
    body = LAYOUTS["a related topics list inside main"](0)
    text = extract_document(page(body), select=["main"]).document.to_text()
    assert "Related topics" in text and topics(0)[0] in text
