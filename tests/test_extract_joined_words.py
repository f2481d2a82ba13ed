"""Inline elements a page lays out as separate items read apart (issue 29): a row of links with nothing between
them, a widget's items (menu entries, tabs, buttons, cells of a table drawn with divs) and inline elements an
inline style makes boxes are separated by a space; inline text that only changes style runs on as the browser
shows it. Decided from the markup a browser lays out, never from the words."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from lxml import html
from test_extract_corpus import SCOPES, Scope, extracted
from test_watch_trajectories import HISTORIES

from monitor.extract.boilerplate import is_invisible
from monitor.extract.document import extract_document
from monitor.extract.normalize import normalize_text

ROOT = Path(__file__).resolve().parent.parent


def page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>T</title></head><body>{body}</body></html>"


APART = [
    # (name, body HTML, exact Document.to_text())
    (
        "links in a row with nothing between them",
        "<div><a href='/r'><span>Sign Up</span></a><a href='/l'><span>Log In</span></a><a href='/m'>Messenger</a>"
        "</div>",
        "Sign Up Log In Messenger\n",
    ),
    (
        "menu entries",
        "<div role='menu'><span role='menuitem'>Privacy</span><span role='menuitem'>Terms</span></div>",
        "Privacy Terms\n",
    ),
    (
        "tabs",
        "<div role='tablist'><span role='tab'>Overview</span><span role='tab'>Details</span></div>",
        "Overview Details\n",
    ),
    (
        "a table drawn with inline elements",
        "<div role='table'><span role='row'><span role='cell'>Name</span><span role='cell'>Meta</span></span>"
        "<span role='row'><span role='cell'>City</span><span role='cell'>Dublin</span></span></div>",
        "Name Meta City Dublin\n",
    ),
    (
        "inline elements an inline style lays out as boxes",
        "<p><span style='display: inline-block'>Cookies</span><span style='display:block'>Policy</span>"
        "<span style='display:flex'>Terms</span></p>",
        "Cookies Policy Terms\n",
    ),
    (
        "links in a row inside a heading",
        "<h2><a href='/a'>Privacy</a><a href='/b'>Terms</a></h2>",
        "## Privacy Terms\n",
    ),
]

JOINED = [
    (
        # The Llama API Terms of Service write "Transaction" and "Taxes" in adjacent spans: the page shows one word.
        "adjacent spans that only carry style",
        "<p>similar taxes (“<span style='line-height: 1'>Transaction</span><span style='line-height: 1'>Taxes"
        "</span>”).</p>",
        "similar taxes (“TransactionTaxes”).\n",
    ),
    (
        # Also from the Llama API Terms: a link wrapped in a span, and its closing bracket linked in the next span.
        "links wrapped in the sentence's own spans",
        "<p>See <span><a href='/brand'>https://about.meta.com/brand/</a></span><span><a href='/x'>)</a></span>.</p>",
        "See https://about.meta.com/brand/).\n",
    ),
    (
        "a link inside a word's sentence",
        "<p>Read the <a href='/p'>Privacy Policy</a><sup>[1]</sup>, then <b>decide</b>.</p>",
        "Read the Privacy Policy[1], then decide.\n",
    ),
    (
        "links with text between them",
        "<p><a href='/a'>Terms</a>, <a href='/b'>Privacy</a> and <a href='/c'>Cookies</a></p>",
        "Terms, Privacy and Cookies\n",
    ),
]


@pytest.mark.parametrize(("name", "body", "expected"), APART, ids=[case[0] for case in APART])
def test_items_laid_out_apart_read_apart_and_stay_fully_covered(name: str, body: str, expected: str) -> None:
    extraction = extract_document(page(body), select=["body"])
    assert extraction.document.to_text() == expected
    assert extraction.coverage == 1.0  # the visible-text reader sees the same words


@pytest.mark.parametrize(("name", "body", "expected"), JOINED, ids=[case[0] for case in JOINED])
def test_text_the_page_runs_on_stays_joined(name: str, body: str, expected: str) -> None:
    assert extract_document(page(body), select=["body"]).document.to_text() == expected


# --- The corpus: what the markup lays out apart, independently of the conversion's own code --------------------

_ITEM_ROLES = {"menuitem", "tab", "option", "button", "cell", "gridcell", "row", "columnheader", "rowheader"}
_WORD = re.compile(r"\w+")
AUTOMATIC = Scope(())


def _shown(element: html.HtmlElement) -> bool:
    return not any(is_invisible(e) for e in (element, *element.iterancestors()))


def boundaries_laid_out_apart(tree: html.HtmlElement) -> list[tuple[str, str]]:
    """(last word before, first word after) at every boundary the browser lays out between two items: sibling
    links with nothing between them, and neighbours of an element with an item role."""
    pairs = []
    for element in tree.iter("a", "span", "div"):
        previous = element.getprevious()
        if previous is None or previous.tail or not isinstance(previous.tag, str):
            continue
        links = element.tag == "a" and previous.tag == "a"
        items = element.get("role") in _ITEM_ROLES and previous.get("role") in _ITEM_ROLES
        if not (links or items) or not _shown(element):
            continue
        before, after = _WORD.findall(previous.text_content()), _WORD.findall(element.text_content())
        if before and after:
            pairs.append((before[-1], after[0]))
    return pairs


@cache
def automatic(path: Path) -> str:
    return extract_document(path.read_text(encoding="utf-8")).document.to_text()


def corpus_captures(corpus: Path) -> list[tuple[Path, Scope]]:
    return [
        (path, scope)
        for folder, scope in SCOPES.items()
        for path in sorted((corpus / "html" / folder).glob("*.html"))
    ]


@pytest.mark.corpus
def test_no_capture_joins_words_the_page_shows_apart(corpus: Path) -> None:
    checked = 0
    for path, scope in corpus_captures(corpus):
        pairs = boundaries_laid_out_apart(html.fromstring(path.read_text(encoding="utf-8")))
        for text in (extracted(path, scope).document.to_text(), automatic(path)):
            words = set(_WORD.findall(text))
            for before, after in pairs:
                if before in words and after in words:  # the boundary lies in this region
                    checked += 1
                    assert not re.search(rf"\b{before}{after}\b", text), (path.name, before, after)
    assert checked > 1000  # the facebook.com/legal pages' rows of links, among others


def watched_clauses() -> list[str]:
    config = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
    clauses = [w["text"] for w in config.get("watches", []) if w.get("kind") == "clause"]
    return clauses + [t.text for history in HISTORIES.values() for t in history.trajectories]


@pytest.mark.corpus
def test_every_watched_clause_a_capture_holds_reads_whole_in_its_text(corpus: Path) -> None:
    """A watched clause the page shows (its words, in order) is in the extracted text word for word."""
    clauses = [(clause, "".join(clause.split())) for clause in watched_clauses()]
    found = 0
    for path, scope in corpus_captures(corpus):
        shown = "".join(
            normalize_text(html.fromstring(path.read_text(encoding="utf-8")).text_content()).split()
        )
        texts = (extracted(path, scope).document.to_text(), automatic(path))
        for clause, squeezed in clauses:
            if squeezed in shown:
                found += 1
                assert all(clause in text for text in texts), (path.name, clause)
    assert found >= 20  # the Meta AI Terms' Private Processing clauses, on every capture since they appeared
