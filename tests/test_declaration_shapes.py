"""Every shape of rule the public Open Terms Archive declarations write, read from a declaration and checked on
loopback: ranges in `select`, in `remove` and inside `combine` parts, selector lists, parts overriding the shared
rules, and selectors a browser reads that cssselect needs spelled out. Each row is a terms type of one service:
its declaration entry (OTA's JSON keys) and the text the check stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.store.core import Store
from monitor.store.db import close_all

FILLER = "These words are here so that the page reads as a document and not as an empty shell. " * 5
PAGES = {
    "/one": f"""<html><body><nav>Deutsch Français</nav><div role="main"><h1>Terms</h1><p>{FILLER}</p>
<div><p>Kept inside</p><div role="separator"></div><p>Language menu</p></div><p>After the end</p></div>
<footer>Footer links</footer></body></html>""",
    "/two": f"""<html><body><main><h2>Part two</h2><p>{FILLER}</p><p class="ad">Buy now</p>
<h3 id="old">Old section</h3><p>Old words</p><h3 id="new">New section</h3><p>New words</p></main></body></html>""",
    "/three": f"""<html><body><main><div class="block">First block {FILLER}</div>
<div class="block">Second block {FILLER}</div><section class="block">A section</section></main></body></html>""",
}
SEPARATOR_RANGE = {"startBefore": "[role='main']", "endBefore": "[role='separator']"}

# (terms type, declaration entry with {server} for the loopback address, the stored text's paragraphs)
SHAPES = [
    (
        "Range select",
        {"fetch": "{server}/one", "select": SEPARATOR_RANGE},
        ["# Terms", FILLER, "Kept inside"],
    ),
    (
        "Range and selector list",
        {"fetch": "{server}/one", "select": [SEPARATOR_RANGE, "footer"]},
        ["# Terms", FILLER, "Kept inside", "Footer links"],
    ),
    (
        "Range remove",
        {
            "fetch": "{server}/two",
            "select": "main",
            "remove": [".ad", {"startBefore": "#old", "endBefore": "#new"}],
        },
        ["## Part two", FILLER, "### New section", "New words"],
    ),
    (
        "Range after boundaries",
        {"fetch": "{server}/two", "select": {"startAfter": "h2", "endAfter": "#old + p"}},
        [FILLER, "Buy now", "### Old section", "Old words"],
    ),
    (
        "Combined",
        {
            "select": "main",
            "remove": ".ad",
            "combine": [
                {"fetch": "{server}/one", "select": SEPARATOR_RANGE},
                {
                    "fetch": "{server}/two",
                    "remove": [".ad", {"startAfter": "#old + p", "endBefore": "#new + p"}],
                },
                {"fetch": "{server}/three", "select": "main > .block:nth-of-type(2)"},
            ],
        },
        ["# Terms", FILLER, "Kept inside", "## Part two", FILLER, "### Old section", "Old words", "New words"]
        + ["Second block " + FILLER],
    ),
]


def clock() -> datetime:
    return datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def stored(httpserver: HTTPServer, tmp_path: Path) -> dict[str, str]:
    """Every row checked once, in one run: its page id -> the stored text."""
    for path, html in PAGES.items():
        httpserver.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")
    server = httpserver.url_for("").rstrip("/")
    terms = {name: json.loads(json.dumps(entry).replace("{server}", server)) for name, entry, _ in SHAPES}
    folder = tmp_path / "checkout" / "declarations"
    folder.mkdir(parents=True)
    (folder / "Example.json").write_text(json.dumps({"name": "Example", "terms": terms}), encoding="utf-8")
    tables = [
        f'[[pages]]\nid = "shape-{n}"\nrenderer = "http"\n'
        f'declaration = {{ path = "{folder.parent}", service = "Example", terms = "{name}" }}\n'
        for n, (name, _, _) in enumerate(SHAPES)
    ]
    config = tmp_path / "config.toml"
    config.write_text(LOOPBACK_FETCH + "\n" + "\n".join(tables), encoding="utf-8")
    close_all()
    code, output = run_cli(config, clock, "check", "--json")
    assert code == 0, output
    store = Store(tmp_path / "snapshots")
    return {
        f"shape-{n}": store.versions.read_text(f"shape-{n}", store.versions.current(f"shape-{n}").id)
        for n in range(len(SHAPES))
    }


def test_each_declared_shape_stores_the_text_its_rules_select(stored: dict[str, str]) -> None:
    got = {name: stored[f"shape-{n}"].strip().split("\n\n") for n, (name, _, _) in enumerate(SHAPES)}
    want = {name: [paragraph.strip() for paragraph in expected] for name, _, expected in SHAPES}
    assert got == want
