"""Watches on small documents: each row of a table is a page history and the alerts it must give.

A page is written in the stored text form (`# Heading`, paragraphs separated by a blank line). A history
is evaluated version by version against a real Store in tmp_path, exactly as the pipeline calls it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_support import evaluate_and_keep

from monitor.config.loading import WatchConfig, parse_config
from monitor.errors import ConfigError
from monitor.models import Document
from monitor.store.core import Store
from monitor.watch.alerts import Alert
from monitor.watch.evaluate import read_watch_states, unevaluated
from monitor.watch.locate import ClauseIndex

PAGE = "facebook-ai-objection-de"
CLAUSE_DE = (
    "Der Widerspruch wird auf das Konto angewendet, bei dem du angemeldet bist, sowie auf alle Konten, "
    "die du derselben Kontenübersicht hinzugefügt hast."
)
CLAUSE_EN = (
    "Even if you don't use our Products or have an account, we may still process information about you."
)

INTRO = "Wir verbessern KI bei Meta laufend. Hier erfährst du, wie wir deine Informationen verwenden."
OTHER = "Du kannst der Verwendung deiner Informationen zu diesen Zwecken widersprechen."
FILLER = "Weitere Informationen findest du in unserer Datenschutzrichtlinie und in den Einstellungen."


def page(*sections: tuple[str, list[str]]) -> str:
    """A page: (heading, paragraphs) pairs in the stored text form."""
    blocks: list[str] = []
    for heading, paragraphs in sections:
        blocks.append(f"# {heading}")
        blocks.extend(paragraphs)
    return "\n\n".join(blocks) + "\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def evaluate_history(store: Store, watches: list[WatchConfig], texts: list[str]) -> list[list[Alert]]:
    """Evaluate each version in turn, as check.py does for a new or changed version."""
    results = []
    old: Document | None = None
    previous: str | None = None
    for day, text in enumerate(texts, start=1):
        new = Document.from_text(text)
        version = sha(text)
        results.append(
            evaluate_and_keep(
                store,
                watches,
                PAGE,
                old=old,
                new=new,
                diff=None,
                version=version,
                previous=previous,
                time=f"2026-05-{day:02d}T10:00:00Z",
            )  # fmt: skip
        )
        old, previous = new, version
    return results


def watch(kind: str = "clause", text: str = CLAUSE_DE, **options: Any) -> WatchConfig:
    return WatchConfig(
        id="accounts-center-scope", pages=[PAGE], kind=kind, text=text, severity="high", **options
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "snapshots")


@dataclass
class Case:
    name: str
    versions: list[str]
    expected: list[list[str]]  # alert kinds per version
    options: dict[str, Any] = field(default_factory=dict)
    kind: str = "clause"
    text: str = CLAUSE_DE


BASE = page(("KI bei Meta", [INTRO, CLAUSE_DE, OTHER]), ("Weitere Informationen", [FILLER]))

CLAUSE_CASES = [
    Case(
        "only the rest of the page changes",
        [BASE, page(("KI bei Meta", ["Ganz neue Einleitung.", CLAUSE_DE, OTHER, "Ein neuer Absatz."]),
                    ("Weitere Informationen", ["Anderer Text."]))],
        [[], []],
    ),
    Case(
        "a word of the clause changes",
        [BASE, BASE.replace("sowie auf alle Konten", "sowie auf einige Konten")],
        [[], ["changed"]],
    ),
    Case(
        "a qualifier is added at the end of the sentence",
        [BASE, BASE.replace("hinzugefügt hast.", "hinzugefügt hast, sofern diese Konten in der EU registriert sind.")],
        [[], ["changed"]],
    ),
    Case(
        "another sentence takes the clause's place: a rewording, however far from the old words",
        [BASE, BASE.replace(CLAUSE_DE, "Dein Widerspruch gilt nur für dieses Konto.")],
        [[], ["changed"]],
    ),
    Case(
        "the clause is deleted and nothing takes its place",
        [BASE, BASE.replace(CLAUSE_DE + "\n\n", "")],
        [[], ["removed"]],
    ),
    Case(
        "the clause is deleted, then comes back",
        [BASE, page(("KI bei Meta", [INTRO, OTHER])), BASE],
        [[], ["removed"], ["reappeared"]],
    ),
    Case(
        "the clause moves to another section, among other sentences",
        [BASE, page(("KI bei Meta", [INTRO, OTHER]), ("Weitere Informationen", [FILLER, CLAUSE_DE]))],
        [[], ["moved"]],
    ),
    Case(
        "the heading above the clause is renamed",
        [BASE, BASE.replace("# KI bei Meta", "# So verwenden wir Informationen für KI bei Meta")],
        [[], []],
    ),
    Case(
        "the whole section moves with the clause",
        [BASE, page(("Weitere Informationen", [FILLER]), ("KI bei Meta", [INTRO, CLAUSE_DE, OTHER]))],
        [[], []],
    ),
    Case(
        "the clause is reflowed into two paragraphs",
        [BASE, BASE.replace("angemeldet bist, sowie", "angemeldet bist,\n\nsowie")],
        [[], []],
    ),
    Case(
        "the config quotes a clause the page splits across two paragraphs, later reworded",
        [BASE.replace("angemeldet bist, sowie", "angemeldet bist,\n\nsowie"),
         BASE.replace("angemeldet bist, sowie auf alle", "angemeldet bist,\n\nsowie auf keine")],
        [[], ["changed"]],
    ),
    Case(
        "typographic quotes, non-breaking spaces and case only (cosmetic = ignore)",
        [BASE, BASE.replace("Der Widerspruch wird", "Der \u201eWiderspruch\u201c\u00a0WIRD")],
        [[], []],
    ),
    Case(
        "typographic quotes only, with cosmetic = note",
        [BASE, BASE.replace("Der Widerspruch wird", "Der \u201eWiderspruch\u201c wird")],
        [[], ["cosmetic"]],
        {"cosmetic": "note"},
    ),
    Case(
        "config text with typographic apostrophe and NBSP matches the ASCII page text",
        [page(("AI at Meta", [INTRO, CLAUSE_EN, OTHER]))],
        [[]],
        text=CLAUSE_EN.replace("don't", "don\u2019t").replace("our Products", "our\u00a0Products"),
    ),
    Case(
        "umlauts written decomposed in the config (NFD) match the page",
        [BASE],
        [[]],
        text=__import__("unicodedata").normalize("NFD", CLAUSE_DE),
    ),
    Case(
        "not found on the first check: a typo in the config shows at once",
        [page(("KI bei Meta", [INTRO, OTHER]))],
        [["not_found"]],
    ),
    Case(
        "present twice: the copy in the watched section changes",
        [page(("KI bei Meta", [INTRO, CLAUSE_DE]), ("Weitere Informationen", [FILLER, CLAUSE_DE])),
         page(("KI bei Meta", [INTRO, CLAUSE_DE.replace("alle", "einige")]), ("Weitere Informationen", [FILLER, CLAUSE_DE]))],
        [[], ["changed"]],
    ),
    Case(
        "present twice: the other copy changes",
        [page(("KI bei Meta", [INTRO, CLAUSE_DE]), ("Weitere Informationen", [FILLER, CLAUSE_DE])),
         page(("KI bei Meta", [INTRO, CLAUSE_DE]), ("Weitere Informationen", [FILLER, CLAUSE_DE.replace("alle", "einige")]))],
        [[], []],
    ),
    Case(
        "changed, then changed again: the baseline follows the document",
        [BASE, BASE.replace("alle Konten", "einige Konten"),
         BASE.replace("alle Konten", "einige Konten").replace(INTRO, "Neue Einleitung."),
         BASE.replace("alle Konten", "wenige Konten")],
        [[], ["changed"], [], ["changed"]],
    ),
]  # fmt: skip


@pytest.mark.parametrize("case", CLAUSE_CASES, ids=lambda case: case.name)
def test_clause_watch(store: Store, case: Case) -> None:
    config = watch(case.kind, case.text, **case.options)
    alerts = evaluate_history(store, [config], case.versions)
    assert [[alert.kind for alert in step] for step in alerts] == case.expected


def test_changed_alert_carries_the_word_diff_of_the_clause_alone(store: Store) -> None:
    new = BASE.replace("sowie auf alle Konten", "sowie auf einige Konten").replace(INTRO, "Neue Einleitung.")
    _, [alert] = evaluate_history(store, [watch()], [BASE, new])
    assert (alert.kind, alert.severity, alert.section) == ("changed", "high", ("KI bei Meta",))
    assert alert.old == CLAUSE_DE
    assert alert.new == CLAUSE_DE.replace("alle", "einige")
    assert [(op.tag, op.old, op.new) for op in alert.ops if op.tag != "equal"] == [
        ("replace", "alle", "einige")
    ]
    assert "".join(op.old for op in alert.ops) == alert.old
    assert alert.to_json()["ops"][1] == {"tag": "replace", "old": "alle", "new": "einige"}


def test_removed_alert_names_the_best_near_match(store: Store) -> None:
    _, [alert] = evaluate_history(store, [watch()], [BASE, BASE.replace(CLAUSE_DE + "\n\n", "")])
    near = alert.details["near"]
    assert (alert.kind, alert.old, alert.new) == ("removed", CLAUSE_DE, None)
    assert near["section"] == ["KI bei Meta"]
    assert near["score"] < 80 == alert.details["threshold"]


def test_first_check_not_found_says_so_with_the_nearest_text(store: Store) -> None:
    [[alert]] = evaluate_history(
        store, [watch(text=CLAUSE_DE.replace("Konto", "Kontoo"))], [page(("A", [OTHER]))]
    )
    assert alert.kind == "not_found" and alert.details["first"] is True
    assert alert.headline == "accounts-center-scope not found (high)"


def test_moved_alert_names_both_sections(store: Store) -> None:
    moved = page(("KI bei Meta", [INTRO, OTHER]), ("Weitere Informationen", [FILLER, CLAUSE_DE]))
    _, [alert] = evaluate_history(store, [watch()], [BASE, moved])
    assert alert.section == ("Weitere Informationen",)
    assert alert.details["moved_from"] == ["KI bei Meta"]


def test_clause_present_twice_reports_the_count(store: Store) -> None:
    twice = page(("A", [INTRO, CLAUSE_DE]), ("B", [FILLER, CLAUSE_DE]))
    evaluate_history(store, [watch()], [twice])
    state = store.baselines.get("accounts-center-scope", PAGE)
    assert (state["status"], state["count"], state["section"]) == ("found", 2, ["A"])


def test_split_clause_is_recorded_as_the_exact_page_text_of_both_paragraphs(store: Store) -> None:
    split = BASE.replace("angemeldet bist, sowie", "angemeldet bist,\n\nsowie")
    evaluate_history(store, [watch()], [split])
    state = store.baselines.get("accounts-center-scope", PAGE)
    assert (state["wording"], state["blocks"], state["score"]) == (CLAUSE_DE, 2, 100.0)


def test_same_version_again_gives_the_same_alerts_and_leaves_the_state_alone(store: Store) -> None:
    changed = BASE.replace("alle Konten", "einige Konten")
    _, first = evaluate_history(store, [watch()], [BASE, changed])
    state = store.baselines.get("accounts-center-scope", PAGE)
    again = evaluate_and_keep(
        store, [watch()], PAGE, old=Document.from_text(BASE), new=Document.from_text(changed), diff=None,
        version=sha(changed), previous=sha(BASE), time="2026-05-09T00:00:00Z",
    )  # fmt: skip
    assert [a.to_json() for a in again] == [a.to_json() for a in first]
    assert store.baselines.get("accounts-center-scope", PAGE) == state


def test_flip_flopping_page_gives_a_new_alert_id_each_time(store: Store) -> None:
    other = BASE.replace("alle Konten", "einige Konten")
    steps = evaluate_history(store, [watch()], [BASE, other, BASE, other])
    ids = [alert.id for step in steps for alert in step]
    assert len(ids) == 3 == len(set(ids))


def test_a_watch_added_later_starts_from_the_previous_version(store: Store) -> None:
    changed = BASE.replace("alle Konten", "einige Konten")
    alerts = evaluate_and_keep(
        store, [watch()], PAGE, old=Document.from_text(BASE), new=Document.from_text(changed), diff=None,
        version=sha(changed), previous=sha(BASE), time="2026-05-02T10:00:00Z",
    )  # fmt: skip
    assert [alert.kind for alert in alerts] == ["changed"]


def test_editing_the_watch_text_starts_a_new_baseline(store: Store) -> None:
    evaluate_history(store, [watch()], [BASE])
    [[]] = evaluate_history(store, [watch(text=OTHER)], [BASE])
    [(config, page_id, state)] = read_watch_states(store, [watch(text=OTHER)])
    assert state is not None and state["wording"] == OTHER


def test_watches_for_other_pages_are_skipped(store: Store) -> None:
    elsewhere = WatchConfig(id="elsewhere", pages=["instagram"], kind="clause", text=CLAUSE_DE)
    assert evaluate_history(store, [elsewhere], [BASE]) == [[]]
    assert store.baselines.get("elsewhere", PAGE) is None


# -- terms and sections --------------------------------------------------------------------------------

LEGAL_BASIS = page(("KI bei Meta", [INTRO, "Wir stützen uns auf die Grundlage berechtigter Interessen."]))
NO_BASIS = page(("KI bei Meta", [INTRO, "Wir stützen uns auf deine Einwilligung."]))

TERM_CASES = [
    Case("present from the start, stays", [LEGAL_BASIS, LEGAL_BASIS + "\nMehr.\n"], [[], []]),
    Case("disappears, comes back", [LEGAL_BASIS, NO_BASIS, LEGAL_BASIS], [[], ["removed"], ["reappeared"]]),
    Case("absent at first (not found on the first check), then appears", [NO_BASIS, LEGAL_BASIS], [["not_found"], ["appeared"]]),
    Case("a phrase matches across line reflow and case", [NO_BASIS, LEGAL_BASIS.replace("berechtigter Interessen", "Berechtigter\u00a0INTERESSEN")], [["not_found"], ["appeared"]]),
    Case("a phrase does not match inside a longer word", [NO_BASIS, NO_BASIS.replace("Einwilligung", "berechtigter Interessenten")], [["not_found"], []]),
    Case("a date with typographic spaces", [NO_BASIS, NO_BASIS + "\nAb dem 27.\u202fMai\u00a02025 gilt das.\n"], [["not_found"], ["appeared"]], text="27. Mai 2025"),
    Case("regex: Accounts Center or Centre", [page(("A", ["Add it to your Accounts Centre."])), page(("A", ["Nothing."]))],
         [[], ["removed"]], {"regex": True}, text=r"accounts cent(er|re)"),
    Case("regex written with ß matches", [page(("A", ["Die Straße."])), page(("A", ["Weg."]))], [[], ["removed"]], {"regex": True}, text=r"Stra(ß|ss)e"),
]  # fmt: skip


@pytest.mark.parametrize("case", TERM_CASES, ids=lambda case: case.name)
def test_term_watch(store: Store, case: Case) -> None:
    text = case.text if case.text != CLAUSE_DE else "berechtigter Interessen"
    alerts = evaluate_history(store, [watch("term", text, **case.options)], case.versions)
    assert [[alert.kind for alert in step] for step in alerts] == case.expected


def test_term_alert_quotes_the_sentence_holding_it(store: Store) -> None:
    _, [alert] = evaluate_history(store, [watch("term", "berechtigter Interessen")], [NO_BASIS, LEGAL_BASIS])
    assert (alert.new, alert.section) == (
        "Wir stützen uns auf die Grundlage berechtigter Interessen.",
        ("KI bei Meta",),
    )


AI = "Wie wir Informationen für KI bei Meta verwenden"
SECTIONED = page((AI, ["Wir verwenden öffentliche Beiträge."]), ("Cookies", ["Wir setzen Cookies ein."]))

SECTION_CASES = [
    Case("substantive change under the heading", [SECTIONED, SECTIONED.replace("öffentliche Beiträge", "alle Beiträge")], [[], ["changed"]]),
    Case("cosmetic change under the heading", [SECTIONED, SECTIONED.replace("öffentliche Beiträge.", "öffentliche Beiträge")], [[], []]),
    Case("change under another heading", [SECTIONED, SECTIONED.replace("Cookies ein", "keine Cookies ein")], [[], []]),
    Case("the heading goes away, comes back", [SECTIONED, page(("Cookies", ["Wir setzen Cookies ein."])), SECTIONED],
         [[], ["removed"], ["reappeared"]]),
    Case("regex on the heading", [SECTIONED, SECTIONED.replace("öffentliche", "private")], [[], ["changed"]], {"regex": True}, text=r"\bKI\b"),
]  # fmt: skip


@pytest.mark.parametrize("case", SECTION_CASES, ids=lambda case: case.name)
def test_section_watch(store: Store, case: Case) -> None:
    text = case.text if case.text != CLAUSE_DE else "KI bei Meta"
    alerts = evaluate_history(store, [watch("section", text, **case.options)], case.versions)
    assert [[alert.kind for alert in step] for step in alerts] == case.expected


def test_section_alert_carries_the_changes(store: Store) -> None:
    changed = SECTIONED.replace("öffentliche Beiträge", "alle Beiträge")
    _, [alert] = evaluate_history(store, [watch("section", "KI bei Meta")], [SECTIONED, changed])
    assert (alert.section, alert.old, alert.new) == (
        (AI,),
        "Wir verwenden öffentliche Beiträge.",
        "Wir verwenden alle Beiträge.",
    )
    assert alert.details["count"] == 1


@pytest.mark.parametrize(
    ("watch_table", "message"),
    [
        ({"kind": "clause"}, "kind 'clause' needs `text` (the wording to follow)"),
        ({"kind": "term", "text": "(unclosed", "regex": True},
         "`text` is not a regular expression: missing ), unterminated subpattern at position 0"),
        ({"kind": "clase", "text": "x"}, "unknown watch kind 'clase'; did you mean 'clause'?"),
    ],
)  # fmt: skip
def test_bad_watch_config_is_one_clear_line(watch_table: dict[str, Any], message: str) -> None:
    data = {
        "pages": [{"id": PAGE, "url": "https://www.facebook.com/"}],
        "watches": [{"id": "w", "pages": [PAGE], **watch_table}],
    }
    with pytest.raises(ConfigError) as raised:
        parse_config(data)
    assert str(raised.value) == f"config.toml: watches[0] (id 'w'): {message}"


# -- properties ------------------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "wir",
        "verwenden",
        "deine",
        "informationen",
        "konto",
        "meta",
        "ki",
        "daten",
        "beiträge",
        "nutzer",
        "dienste",
        "zwecke",
    ]
)
SENTENCE = st.lists(WORDS, min_size=4, max_size=14).map(lambda words: " ".join(words).capitalize() + ".")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    before=st.lists(SENTENCE, max_size=6),
    after=st.lists(SENTENCE, max_size=6),
    new_rest=st.lists(SENTENCE, max_size=8),
)
def test_rewriting_the_rest_of_a_section_never_alerts(tmp_path_factory, before, after, new_rest) -> None:
    store = Store(tmp_path_factory.mktemp("store"))
    old = page(("KI bei Meta", [*before, CLAUSE_DE, *after]))
    new = page(("KI bei Meta", [*new_rest[:3], CLAUSE_DE, *new_rest[3:]]))
    assert evaluate_history(store, [watch()], [old, new]) == [[], []]


@settings(max_examples=60, deadline=None)
@given(paragraphs=st.lists(SENTENCE, min_size=1, max_size=12), pick=st.integers(min_value=0))
def test_a_sentence_of_the_page_is_found_exactly(paragraphs, pick) -> None:
    clause = paragraphs[pick % len(paragraphs)]
    search = ClauseIndex(Document.from_text(page(("A", paragraphs)))).find(clause, threshold=80)
    assert search.best is not None and (search.best.text, search.best.score) == (clause, 100.0)


@pytest.mark.parametrize(
    ("page_text", "config_text"),
    [
        ("Gemäß Art. 21 DSGVO kannst du widersprechen … jederzeit.", "gemäss Art. 21 DSGVO kannst du widersprechen ... jederzeit."),
        ("Die Straße heißt „Hauptstraße“ – seit 2025.", 'Die Strasse heisst "Hauptstrasse" - seit 2025.'),
    ],
)  # fmt: skip
def test_folding_that_changes_the_length_still_reports_the_exact_page_text(
    page_text: str, config_text: str
) -> None:
    document = Document.from_text(page(("A", [INTRO, page_text, FILLER])))
    search = ClauseIndex(document).find(config_text, threshold=80)
    assert search.best is not None and (search.best.text, search.best.score) == (page_text, 100.0)


def test_unevaluated_names_the_watches_a_page_has_no_baseline_for(store: Store) -> None:
    term = WatchConfig(id="term", pages=[PAGE], kind="term", text="berechtigter Interessen")
    evaluate_history(store, [watch()], [BASE])
    assert [w.id for w in unevaluated([watch(), term], PAGE, sha(BASE), store.baselines.of_page(PAGE))] == [
        "term"
    ]
    assert [
        w.id for w in unevaluated([watch(), term], PAGE, "another-version", store.baselines.of_page(PAGE))
    ] == [
        "accounts-center-scope",
        "term",
    ]


def test_an_exact_sentence_beats_a_longer_one_that_contains_it() -> None:
    # Found by hypothesis: both score 100, the whole-sentence match must win.
    search = ClauseIndex(
        Document.from_text(page(("A", ["Wir wir wir wir wir wir.", "Wir wir wir wir."])))
    ).find("Wir wir wir wir.", threshold=80)
    assert search.best is not None and search.best.text == "Wir wir wir wir."
