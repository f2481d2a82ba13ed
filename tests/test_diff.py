"""The structured diff: block alignment, moves, splits and merges, word operations, the cosmetic rule, signals."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.diff import signals
from monitor.diff.classify import classify, word_diff
from monitor.diff.core import Change, apply_diff, diff_documents
from monitor.diff.signals import find_signals
from monitor.errors import UsageError
from monitor.models import Block, Document

USE = (
    "We use the information we collect to provide, personalize and improve our Products, and we may share it "
    "with partners who help us measure how well ads and other content work on and off our Products."
)
PARTNERS = "These partners must follow strict confidentiality rules and cannot sell your information."
RETENTION = "We keep information for as long as we need it to provide our Products."
ANY_OTHER = "Other text stays the same and gives the changes their context."


def doc(*lines: str) -> Document:
    """A document in the stored text form: one block per line ('# ' heading, '- ' item, else paragraph)."""
    return Document.from_text("\n\n".join(lines) + "\n")


def edits(change: Change) -> list[tuple[str, str, str]]:
    return [(op.tag, op.old, op.new) for op in change.ops if op.tag != "equal"]


def brief(change: Change) -> tuple[str, str, str, list[tuple[str, str, str]]]:
    return (change.kind, change.cls, change.section_path, edits(change))


# Each case: old lines, new lines, the changes expected (kind, class, section, the non-equal ops).
CASES = {
    "single word swap in a long paragraph": (
        ["# Policy", "## How we use information", USE, ANY_OTHER],
        ["# Policy", "## How we use information", USE.replace("we may share", "we will share"), ANY_OTHER],
        [("modified", "substantive", "Policy › How we use information", [("replace", "may", "will")])],
    ),
    "inserted negation": (
        ["# Policy", "We sell your personal information to advertisers.", ANY_OTHER],
        ["# Policy", "We do not sell your personal information to advertisers.", ANY_OTHER],
        [("modified", "substantive", "Policy", [("insert", "", "do not ")])],
    ),
    "moved paragraph": (
        ["# Policy", "## Use", USE, "## Sharing", PARTNERS, ANY_OTHER],
        ["# Policy", "## Use", "## Sharing", PARTNERS, ANY_OTHER, USE],
        [("moved", "substantive", "Policy › Sharing", [])],
    ),
    "paragraph moved within its section": (
        ["# Policy", USE, PARTNERS, RETENTION, ANY_OTHER],
        ["# Policy", PARTNERS, RETENTION, ANY_OTHER, USE],
        [("moved", "cosmetic", "Policy", [])],
    ),
    "moved paragraph with an edit": (
        ["# Policy", "## Use", USE, "## Sharing", PARTNERS, ANY_OTHER],
        ["# Policy", "## Use", "## Sharing", PARTNERS, ANY_OTHER, USE.replace("well ads", "well all ads")],
        [("moved", "substantive", "Policy › Sharing", [("insert", "", "all ")])],
    ),
    "split paragraph": (
        ["# Policy", USE + " " + PARTNERS, ANY_OTHER],
        ["# Policy", USE, PARTNERS, ANY_OTHER],
        [("modified", "cosmetic", "Policy", [("replace", " ", "\n\n")])],
    ),
    "split paragraph with an edit": (
        ["# Policy", USE + " " + PARTNERS, ANY_OTHER],
        ["# Policy", USE, PARTNERS.replace("cannot", "can"), ANY_OTHER],
        [("modified", "substantive", "Policy", [("replace", " ", "\n\n"), ("replace", "cannot", "can")])],
    ),
    "merged paragraphs": (
        ["# Policy", USE, PARTNERS, ANY_OTHER],
        ["# Policy", USE + " " + PARTNERS, ANY_OTHER],
        [("modified", "cosmetic", "Policy", [("replace", "\n\n", " ")])],
    ),
    "new section": (
        ["# Policy", "## Use", USE],
        ["# Policy", "## Use", USE, "## Retention", RETENTION, "We delete it after 90 days."],
        [
            ("added", "substantive", "Policy › Retention", [("insert", "", "Retention")]),
            ("added", "substantive", "Policy › Retention", [("insert", "", RETENTION)]),
            ("added", "substantive", "Policy › Retention", [("insert", "", "We delete it after 90 days.")]),
        ],
    ),
    "removed paragraph": (
        ["# Policy", USE, PARTNERS, ANY_OTHER],
        ["# Policy", USE, ANY_OTHER],
        [("removed", "substantive", "Policy", [("delete", PARTNERS, "")])],
    ),
    "typographic quotes and dashes": (
        ["# Policy", "We don't share your “private” data – ever.", ANY_OTHER],
        ["# Policy", 'We don’t share your "private" data - ever.', ANY_OTHER],
        [
            (
                "modified",
                "cosmetic",
                "Policy",
                [("replace", "'", "’"), ("replace", "“", '"'), ("replace", "”", '"'), ("replace", "–", "-")],
            )
        ],
    ),
    "whitespace and punctuation": (
        ["# Policy", "Learn more ( see below ) about ads , cookies and settings", ANY_OTHER],
        ["# Policy", "Learn more (see below) about ads, cookies and settings.", ANY_OTHER],
        [
            (
                "modified",
                "cosmetic",
                "Policy",
                [("delete", " ", ""), ("delete", " ", ""), ("delete", " ", ""), ("insert", "", ".")],
            )
        ],
    ),
    "case only": (
        ["# Policy", "Your Information In Accounts Center", ANY_OTHER],
        ["# Policy", "Your information in Accounts Center", ANY_OTHER],
        [("modified", "cosmetic", "Policy", [("replace", "Information In", "information in")])],
    ),
    "list renumbering after an inserted item": (
        ["# Rights", "- 1. Access your information", "- 2. Object to processing"],
        [
            "# Rights",
            "- 1. Port your information",
            "- 2. Access your information",
            "- 3. Object to processing",
        ],
        [
            ("added", "substantive", "Rights", [("insert", "", "1. Port your information")]),
            ("modified", "cosmetic", "Rights", [("replace", "1", "2")]),
            ("modified", "cosmetic", "Rights", [("replace", "2", "3")]),
        ],
    ),
    "footnote references renumbered": (
        ["# Policy", "Apps and features you use. See examples[8].", ANY_OTHER],
        ["# Policy", "Apps and features you use. See examples[9].", ANY_OTHER],
        [("modified", "cosmetic", "Policy", [("replace", "8", "9")])],
    ),
    "heading level changed": (
        ["# Policy", "## Use", USE],
        ["# Policy", "### Use", USE],
        [("modified", "cosmetic", "Policy › Use", [])],
    ),
    "German modal and scope words": (
        ["# Datenschutzrichtlinie", "Wir können alle Konten in der Kontenübersicht verknüpfen.", ANY_OTHER],
        ["# Datenschutzrichtlinie", "Wir werden einige Konten in der Kontenübersicht verknüpfen.", ANY_OTHER],
        [("modified", "substantive", "Datenschutzrichtlinie", [("replace", "können alle", "werden einige")])],
    ),
    "German polite address is not a case change": (
        ["# Datenschutz", "Wir informieren Sie über die Änderungen, wenn wir die Daten nutzen.", ANY_OTHER],
        ["# Datenschutz", "Wir informieren sie über die Änderungen, wenn wir die Daten nutzen.", ANY_OTHER],
        [("modified", "substantive", "Datenschutz", [("replace", "Sie", "sie")])],
    ),
    "German typography": (
        ["# Datenschutz", "Die „KI bei Meta“ – unser Assistent – kann nicht alles.", ANY_OTHER],
        ["# Datenschutz", 'Die "KI bei Meta" - unser Assistent - kann nicht alles.', ANY_OTHER],
        [
            (
                "modified",
                "cosmetic",
                "Datenschutz",
                [("replace", "„", '"'), ("replace", "“ –", '" -'), ("replace", "–", "-")],
            )
        ],
    ),
    "identical": (["# Policy", USE], ["# Policy", USE], []),
}


@pytest.mark.parametrize("old, new, expected", CASES.values(), ids=CASES.keys())
def test_diff_documents(old: list[str], new: list[str], expected: list[tuple]) -> None:
    before, after = doc(*old), doc(*new)
    result = diff_documents(before, after)
    assert [brief(change) for change in result.changes] == expected
    assert apply_diff(before, result) == after


# Each case: old, new, the signal words the change must carry (removed side first).
SIGNAL_CASES = {
    "may → will": (USE, USE.replace("we may share", "we will share"), ["may", "will"]),
    "negation": ("We sell data.", "We never sell data.", ["never"]),
    "number and date": (
        "Effective June 16, 2025. We keep logs 30 days.",
        "Effective December 16, 2025. We keep logs 90 days.",
        ["June", "30", "December", "90"],
    ),
    "scope": (
        "We share some information.",
        "We share all information, except messages.",
        ["some", "all", "except"],
    ),
    "product phrase": ("Manage it in Settings.", "Manage it in Accounts Center.", ["Accounts Center"]),
    "German": (
        "Sie kann alle Konten sehen.",
        "Sie wird nur einige Konten sehen.",
        ["kann", "alle", "wird", "nur", "einige"],
    ),
    "German product": (
        "Sie finden das in den Einstellungen Ihres Kontos.",
        "Sie finden das in der Kontenübersicht Ihres Kontos.",
        ["Kontenübersicht"],
    ),
    "product renamed": (
        "Wir nutzen diese Daten für Meta AI.",
        "Wir nutzen diese Daten für KI bei Meta.",
        ["Meta AI", "KI bei Meta"],
    ),
    "untouched signal words are not signals": (
        "We may share some data.",
        "We may share some information.",
        [],
    ),
}


@pytest.mark.parametrize("old, new, signals", SIGNAL_CASES.values(), ids=SIGNAL_CASES.keys())
def test_signals_are_the_meaningful_words_an_edit_touches(old: str, new: str, signals: list[str]) -> None:
    (change,) = diff_documents(doc("# P", old), doc("# P", new)).changes
    assert change.signals == signals


def test_cosmetic_changes_carry_no_signals() -> None:
    (change,) = diff_documents(doc("# P", "We MAY share it."), doc("# P", "We may share it.")).changes
    assert (change.cls, change.signals) == ("cosmetic", [])


CLASSIFY = [
    ("We may share it.", "We will share it.", "substantive"),
    ("We may share it.", "We may share it", "cosmetic"),
    ("“Meta AI”", '"Meta AI"', "cosmetic"),
    ("e-mail – or SMS", "e-mail — or SMS", "cosmetic"),
    ("1. Access", "2. Access", "cosmetic"),
    ("a) Access", "b) Access", "cosmetic"),
    ("(iv) Access", "(v) Access", "cosmetic"),
    ("We keep it 30 days.", "We keep it 90 days.", "substantive"),
    ("5% of users", "5 of users", "substantive"),
    ("a part", "apart", "substantive"),
    ("derselben Kontenübersicht", "derselben Konten-Übersicht", "cosmetic"),  # a hyphen joins or splits
    ("Send us an e-mail.", "Send us an email.", "cosmetic"),
    ("You can opt-out.", "You can opt out.", "cosmetic"),
    ("COVID-19 data", "COVID19 data", "substantive"),  # not between two letters
    ("Please re-sign the form.", "Please resign the form.", "substantive"),  # "re-" makes another word
    ("We may re-use it.", "We may reuse it.", "cosmetic"),
    ("a browser plug-in", "a browser plugin", "cosmetic"),
    ("eine Drittanbieter-E-Mail", "eine Drittanbieter-Email", "cosmetic"),
    ("We will not contact you.", "We will no-t contact you.", "substantive"),  # a fragment is no word joined
    ("the US", "the U-S", "substantive"),
    ("Konten-Übersicht aller Konten", "Kontenübersicht einiger Konten", "substantive"),
    ("Straße", "Strasse", "cosmetic"),
    ("Wir informieren Sie heute.", "Wir informieren sie heute.", "substantive"),
    ("Sie können widersprechen.", "sie können widersprechen.", "cosmetic"),  # the start of a sentence
    ("We inform You today.", "We inform you today.", "cosmetic"),  # English has no polite capital
    ("", "", "cosmetic"),
]


@pytest.mark.parametrize("old, new, expected", CLASSIFY)
def test_classify(old: str, new: str, expected: str) -> None:
    assert classify(old, new) == expected


WORD_DIFFS = [
    (
        "we may share",
        "we will share",
        [("equal", "we ", "we "), ("replace", "may", "will"), ("equal", " share", " share")],
    ),
    ("", "new text", [("insert", "", "new text")]),
    ("old text", "", [("delete", "old text", "")]),
    ("same", "same", [("equal", "same", "same")]),
    ("", "", []),
    # Two edits one space apart read as one.
    (
        "the old data here",
        "a new info here",
        [("replace", "the old data", "a new info"), ("equal", " here", " here")],
    ),
]


@pytest.mark.parametrize("old, new, expected", WORD_DIFFS)
def test_word_diff(old: str, new: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(op.tag, op.old, op.new) for op in word_diff(old, new)] == expected


def test_find_signals_reports_category_and_position() -> None:
    text = "We won't share it with Meta AI before 1 May 2026, and you may object in Accounts  Center."
    assert [(s.word, s.category) for s in find_signals(text)] == [
        ("n't", "negation"),
        ("Meta AI", "product"),
        ("1", "number"),
        ("May", "date"),  # capitalized mid-sentence: the month
        ("2026", "number"),
        ("may", "modal"),
        ("Accounts  Center", "product"),
    ]
    assert all(text[s.start : s.end] == s.word for s in find_signals(text))


def test_summary_counts_by_kind_and_class() -> None:
    result = diff_documents(doc(*CASES["new section"][0]), doc(*CASES["new section"][1]))
    assert result.summary() == {
        "by_kind": {"modified": 0, "added": 3, "removed": 0, "moved": 0},
        "by_class": {"substantive": 3, "cosmetic": 0},
        "total": 3,
    }
    assert (result.substantive, result.cosmetic_only) == (True, False)


def test_cosmetic_only_and_empty_diffs() -> None:
    cosmetic = diff_documents(doc("# P", "We don't."), doc("# P", "We don’t."))
    assert (cosmetic.substantive, cosmetic.cosmetic_only) == (False, True)
    same = diff_documents(doc("# P", USE), doc("# P", USE))
    assert (same.changes, same.structure, same.substantive, same.cosmetic_only) == ([], {}, False, False)


STRUCTURE = {
    "section added": (
        ["# Policy", "## Use", USE],
        ["# Policy", "## Use", USE, "## Retention", RETENTION],
        {"sections_added": ["Policy › Retention"]},
    ),
    "section removed": (
        ["# Policy", "## Use", USE, "## Retention", RETENTION],
        ["# Policy", "## Use", USE],
        {"sections_removed": ["Policy › Retention"]},
    ),
    "section renamed": (
        ["# Policy", "## How we use data", USE],
        ["# Policy", "## How we use information", USE],
        {"sections_renamed": [{"old": "Policy › How we use data", "new": "Policy › How we use information"}]},
    ),
    "sections reordered": (
        ["# Policy", "## Use", USE, "## Retention", RETENTION],
        ["# Policy", "## Retention", RETENTION, "## Use", USE],
        {"sections_reordered": ["Policy › Retention"]},  # the block diff also calls Retention the moved one
    ),
    "section moved under another parent": (
        ["# Policy", "## Use", USE, "### Ads", PARTNERS, "## Retention", RETENTION],
        ["# Policy", "## Use", USE, "## Retention", RETENTION, "### Ads", PARTNERS],
        {"sections_moved": [{"old": "Policy › Use › Ads", "new": "Policy › Retention › Ads"}]},
    ),
    "date line": (
        ["# Policy", "Effective June 16, 2025", USE],
        ["# Policy", "Effective December 16, 2025", USE],
        {"metadata": {"updated": {"old": "Effective June 16, 2025", "new": "Effective December 16, 2025"}}},
    ),
    "German date line": (
        ["# Richtlinie", "Zuletzt aktualisiert: 16. Juni 2025", USE],
        ["# Richtlinie", "Zuletzt aktualisiert: 16. Dezember 2025", USE],
        {
            "metadata": {
                "updated": {
                    "old": "Zuletzt aktualisiert: 16. Juni 2025",
                    "new": "Zuletzt aktualisiert: 16. Dezember 2025",
                }
            }
        },
    ),
}


@pytest.mark.parametrize("old, new, expected", STRUCTURE.values(), ids=STRUCTURE.keys())
def test_structure(old: list[str], new: list[str], expected: dict) -> None:
    assert diff_documents(doc(*old), doc(*new)).structure == expected


def test_title_change_is_metadata_and_applies() -> None:
    old, new = (
        Document([Block("paragraph", USE)], title="Privacy Policy"),
        Document([Block("paragraph", USE)], title="Privacy Notice"),
    )
    result = diff_documents(old, new)
    assert result.structure == {"metadata": {"title": {"old": "Privacy Policy", "new": "Privacy Notice"}}}
    assert apply_diff(old, result) == new


def test_filtered_keeps_substantive_changes_in_a_section() -> None:
    old = doc("# Policy", "## Use", USE, "## Sharing", PARTNERS, "We don't sell it.")
    new = doc(
        "# Policy",
        "## Use",
        USE.replace("may", "will"),
        "## Sharing",
        PARTNERS.replace("must", "should"),
        "We don’t sell it.",
    )
    result = diff_documents(old, new)
    assert [c.section_path for c in result.filtered(substantive_only=True).changes] == [
        "Policy › Use",
        "Policy › Sharing",
    ]
    assert [c.cls for c in result.filtered(section="SHARING").changes] == ["substantive", "cosmetic"]
    assert [c.new for c in result.filtered(substantive_only=True, section="sharing").changes] == [
        PARTNERS.replace("must", "should")
    ]


def test_apply_diff_refuses_a_diff_of_another_document() -> None:
    result = diff_documents(doc("# P", USE, PARTNERS), doc("# P", USE))
    with pytest.raises(UsageError, match="does not apply"):
        apply_diff(doc("# P", USE, RETENTION), result)


SIGNAL_PIECES = ["won't", "don’T", "Meta AI", "Meta", "KI bei Meta", "AI at Meta", "Accounts Center", "accounts center",
                 "May", "may", "MUSS", "außer", "ausser", "30", "§ 6", "1.5", "nicht", "Nicht", "we", "share", "'", "’",
                 "-", "\n", "  ", "ǅ", "ﬁ"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SIGNAL_PIECES) | st.text(max_size=4), max_size=30))
def test_signals_skipped_searches_never_change_what_is_found(pieces: list[str]) -> None:
    # A text without a digit is not searched for numbers, one without an apostrophe or a product name's first
    # word not for phrases: the full search finds the very same signals.
    text = " ".join(pieces)
    assert signals._find_signals.__wrapped__(text) == signals._scan(text, numbers=True, phrases=True)


def test_a_diff_leaves_the_garbage_collector_as_it_found_it() -> None:
    # The collector is held off during a diff (it walked every object of the process, again and again).
    old, new = doc("We collect data."), doc("We may collect data.")
    assert gc.isenabled()
    diff_documents(old, new)
    assert gc.isenabled()
    gc.disable()
    try:
        diff_documents(old, new)
        assert not gc.isenabled()
    finally:
        gc.enable()
