"""The raw page's scan for a feedback prompt ("Was this helpful?") finds exactly what the plain pattern finds: its
lookahead and possessive spaces only make it faster, and a prompt it missed would leave the widget in the text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.extract import boilerplate

PLAIN = re.compile(
    r">\s*(?:was this|did this|did you find this|war das|ist das|war diese|ist diese|war dieser|ist dieser|cette)"
    r"[^<]{0,40}(?:helpful|help|hilfreich|utile)",
    re.I,
)
PROMPTS = ["Was this helpful?", "DID THIS HELP", "did you find this page helpful", "War das hilfreich?",
           "Ist diese Seite hilfreich", "ist dieser Artikel hilfreich", "Cette page vous a-t-elle été utile",
           "WAS THI\u017f helpful", "\u0130st das hilfreich", "Ist das hilfreich", "was th\u0131s helpful",
           "Di\u212a this help", "was this", "help was this", "Wa s this helpful"]  # fmt: skip
SPACES = ["", " ", "\n  ", "\u00a0", "\u2003\t", "x"]


@pytest.mark.parametrize("prompt", PROMPTS)
@pytest.mark.parametrize("space", SPACES)
def test_the_fast_scan_finds_what_the_plain_pattern_finds(prompt: str, space: str) -> None:
    for html in (f"<p>{space}{prompt}</p>", f"<div><b>x</b>{space}{prompt}<br>", f">{space}{prompt}", prompt):
        assert bool(boilerplate._FEEDBACK_IN_HTML.search(html)) == bool(PLAIN.search(html)), html


def test_the_fast_scan_agrees_on_the_corpus(corpus: Path) -> None:
    for page in sorted(corpus.glob("**/*.html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        assert bool(boilerplate._FEEDBACK_IN_HTML.search(html)) == bool(PLAIN.search(html)), page
