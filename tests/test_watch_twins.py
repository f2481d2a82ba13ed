"""A clause watch and the sentences that look like it: when the watched sentence also stands elsewhere on the
page (word for word, or nearly), a rewording of the watched one is `changed`, never silence or a "move" to
its twin; and once a clause is gone, a near-twin that stood on the page all along is not the clause coming
back, nor is a new sentence unlike it put later where it stood; a hyphen that joins or splits a word of the
clause is cosmetic (no alert with the default `cosmetic`).
Each case is checked through the real pipeline: a page served on loopback, `check` once per version."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock, utc

CLAUSE = (
    "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, "
    "die du derselben Kontenübersicht hinzugefügt hast."
)
NARROWED = (
    "Der Widerspruch wird ausschließlich auf das Konto angewendet, bei dem du gerade angemeldet bist, "
    "und nicht auf weitere Konten deiner Kontenübersicht."
)
INSTAGRAM_TWIN = CLAUSE.replace("auf das Konto", "auf das Instagram-Konto")
INTRO = "Wir verbessern KI bei Meta laufend. Hier erfährst du, wie wir deine Informationen verwenden."
OBJECT = "Du kannst der Verwendung deiner Informationen zu diesen Zwecken widersprechen."
MORE = "Weitere Informationen findest du in unserer Datenschutzrichtlinie und in den Einstellungen."
UPDATED = "Diese Seite wurde zuletzt im Juni aktualisiert."
SERVERS = "Unsere Server stehen in Irland und werden mit erneuerbarer Energie betrieben."


def page(*sections: tuple[str, list[str]]) -> str:
    body = "".join(
        f"<h2>{heading}</h2>" + "".join(f"<p>{sentence}</p>" for sentence in sentences)
        for heading, sentences in sections
    )
    return f"<html><head><title>KI bei Meta</title></head><body><main><h1>KI bei Meta</h1>{body}</main></body></html>"


CASES = {
    "the same sentence under another heading; the watched one narrowed": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT]), ("Instagram", [MORE, CLAUSE])), []),
        (
            page(("Facebook", [INTRO, NARROWED, OBJECT]), ("Instagram", [MORE, CLAUSE])),
            ["alert high: watch accounts-center-scope changed on ki"],
        ),
    ],
    "the same sentence twice in one section; the watched one narrowed": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT, MORE, CLAUSE])), []),
        (
            page(("Facebook", [INTRO, NARROWED, OBJECT, MORE, CLAUSE])),
            ["alert high: watch accounts-center-scope changed on ki"],
        ),
    ],
    "moved to a later paragraph of its section while its twin stands elsewhere: nothing to say": [
        (page(("Facebook", [f"{INTRO} {CLAUSE}", OBJECT, MORE, UPDATED]), ("Instagram", [CLAUSE])), []),
        (
            page(
                ("Facebook", [f"{INTRO} {SERVERS}", OBJECT, MORE, f"{UPDATED} {CLAUSE}"]),
                ("Instagram", [CLAUSE]),
            ),
            [],
        ),
    ],
    "the clause's paragraph and its twin's merged into one: nothing to say": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT, MORE, CLAUSE])), []),
        (page(("Facebook", [f"{INTRO} {CLAUSE} {OBJECT} {MORE} {CLAUSE}"])), []),
    ],
    "both copies kept: nothing to say": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT]), ("Instagram", [MORE, CLAUSE])), []),
        (page(("Facebook", [INTRO, CLAUSE, OBJECT, UPDATED]), ("Instagram", [MORE, CLAUSE])), []),
    ],
    "removed, then an unrelated sentence put where it stood is not the clause coming back": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT, MORE])), []),
        (
            page(("Facebook", [INTRO, OBJECT, MORE])),
            ["alert high: watch accounts-center-scope removed on ki"],
        ),
        (page(("Facebook", [INTRO, SERVERS, OBJECT, MORE])), []),
    ],
    "a hyphen inside a word: cosmetic": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT])), []),
        (page(("Facebook", [INTRO, CLAUSE.replace("Kontenübersicht", "Konten-Übersicht"), OBJECT])), []),
    ],
    "removed, then the near-twin that was always there is not the clause coming back": [
        (page(("Facebook", [INTRO, CLAUSE, OBJECT]), ("Instagram", [MORE, INSTAGRAM_TWIN])), []),
        (
            page(("Facebook", [INTRO, OBJECT]), ("Instagram", [MORE, INSTAGRAM_TWIN])),
            ["alert high: watch accounts-center-scope removed on ki"],
        ),
        (
            page(
                ("Facebook", [INTRO, OBJECT]), ("Instagram", [MORE, INSTAGRAM_TWIN]), ("Sonstiges", [UPDATED])
            ),
            [],
        ),
        (
            page(("Facebook", [INTRO, CLAUSE, OBJECT]), ("Instagram", [MORE, INSTAGRAM_TWIN])),
            ["alert high: watch accounts-center-scope reappeared on ki"],
        ),
    ],
}


@pytest.mark.parametrize("versions", CASES.values(), ids=CASES.keys())
def test_a_clause_and_its_twins(
    tmp_path: Path, httpserver: HTTPServer, versions: list[tuple[str, list[str]]]
) -> None:
    watch = f"""
[[watches]]
id = "accounts-center-scope"
pages = ["ki"]
kind = "clause"
text = "{CLAUSE}"
severity = "high"
"""
    config = write_project(tmp_path, {"ki": httpserver.url_for("/ki")}, extra=watch)
    assert alerts_of_checks(config, httpserver, [html for html, _ in versions]) == [a for _, a in versions]


def alerts_of_checks(
    config: Path, httpserver: HTTPServer, pages: list[str], before: Callable[[int], None] = lambda n: None
) -> list[list[str]]:
    """The alert lines of one `check` per page served in turn, a day apart (`before(n)` runs before the n-th)."""
    clock = FakeClock(utc("2026-05-01 10:00"))
    seen = []
    for n, html in enumerate(pages):
        before(n)
        httpserver.clear()
        httpserver.expect_request("/ki").respond_with_data(html, content_type="text/html")
        code, output = run_cli(config, clock, "check")
        assert code == 0, output
        seen.append([line.strip() for line in output.splitlines() if line.strip().startswith("alert ")])
        clock.advance(days=1)
    return seen


def test_a_clause_never_found_appears_once_a_lower_threshold_finds_it(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """Not found at the default threshold, found once the watch's threshold is lowered: `appeared`, though
    the sentence stood on the page all along (only a clause once found and then gone is held to that)."""
    reworded = "Der Widerspruch gilt nur für das Konto, mit dem du angemeldet bist, und für alle Konten deiner Kontenübersicht."
    watch = (
        f'[[watches]]\nid = "scope"\npages = ["ki"]\nkind = "clause"\ntext = "{CLAUSE}"\nseverity = "high"\n'
    )
    config = write_project(tmp_path, {"ki": httpserver.url_for("/ki")}, extra=watch)

    def lower_threshold(n: int) -> None:
        if n == 1:
            config.write_text(config.read_text() + "threshold = 50\n", encoding="utf-8")

    pages = [
        page(("Facebook", [INTRO, reworded, OBJECT, MORE])),
        page(("Facebook", [INTRO, reworded, OBJECT, MORE, UPDATED])),
    ]
    assert alerts_of_checks(config, httpserver, pages, lower_threshold) == [
        ["alert high: watch scope not found on ki"],
        ["alert high: watch scope appeared on ki"],
    ]
