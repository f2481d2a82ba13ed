"""Captures that are not the document: recorded wall pages (written for these tests, English and German) give
their reason; real captures and real versions from the corpus give None, and the corpus's broken captures (a
29-byte Instagram policy, a table-of-contents-only Facebook policy) give theirs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CORPUS
from hypothesis import given
from hypothesis import strategies as st

from monitor.config.loading import PageConfig, QualityConfig, WallConfig
from monitor.extract.document import document_from_markdown, extract_document
from monitor.extract.walls import (
    RECOGNIZERS,
    classify_capture,
    javascript_shell,
    needs_browser,
    table_of_contents_only,
)
from monitor.models import Block, Document, FetchResult

FIXTURES = Path(__file__).parent / "fixtures" / "walls"
# Where the `corpus` fixture looks (tests/conftest.py); read here too, to parametrize by document.
URL = "https://www.facebook.com/privacy/policy/"
PAGE = PageConfig(id="facebook-privacy-policy-en", url=URL)
QUALITY = QualityConfig()

WALL_PAGES = [
    ("login-facebook.en.html", "login wall"),
    ("login-facebook.de.html", "login wall"),
    ("login-instagram.en.html", "login wall"),
    ("login-instagram.de.html", "login wall"),
    ("consent.en.html", "consent wall"),
    ("consent.de.html", "consent wall"),
    ("error.en.html", "error page"),
    ("error.de.html", "error page"),
    ("unavailable.en.html", "error page"),
    ("unavailable.de.html", "error page"),
    ("blocked.en.html", "temporarily blocked"),
    ("blocked.de.html", "temporarily blocked"),
    ("checkpoint.en.html", "checkpoint"),
    ("checkpoint.de.html", "checkpoint"),
    ("shell.en.html", "JavaScript-only shell"),
    ("shell.de.html", "JavaScript-only shell"),
    ("empty.en.html", "empty page"),
    ("empty.de.html", "empty page"),
]


@dataclass
class Capture:
    """An extraction for texts that come as Documents (the corpus's recorded versions), not as HTML."""

    document: Document
    coverage: float = 1.0
    region_words: int = 0
    title: str | None = None
    visible_text: str = ""

    @classmethod
    def of(cls, document: Document) -> Capture:
        return cls(
            document, region_words=document.words(), visible_text=" ".join(b.text for b in document.blocks)
        )


def fetched(html: str = "<html><body></body></html>", *, final_url: str = URL) -> FetchResult:
    body = html.encode()
    return FetchResult(URL, final_url, 200, {}, body, html, "utf-8", "http", 0.1)


def classify(
    html: str,
    *,
    last_good: Document | None = None,
    page: PageConfig = PAGE,
    quality: QualityConfig = QUALITY,
    walls: list[WallConfig] | None = None,
    final_url: str = URL,
) -> str | None:
    extraction = extract_document(html, url=final_url, select=page.select, remove=page.remove)
    capture = fetched(html, final_url=final_url)
    return classify_capture(
        capture, extraction, last_good=last_good, page=page, quality=quality, walls=walls or []
    )


def classify_document(
    document: Document,
    *,
    last_good: Document | None,
    page: PageConfig = PAGE,
    quality: QualityConfig = QUALITY,
) -> str | None:
    return classify_capture(
        fetched(), Capture.of(document), last_good=last_good, page=page, quality=quality, walls=[]
    )


SENTENCES = [
    "We collect the content, communications and other information you provide when you use our Products.",
    "Wir erheben die Inhalte, die Kommunikation und andere Informationen, die du bei der Nutzung angibst.",
    "Info shared with AI at Meta features is used to improve AI at Meta unless you have objected.",
    "Du hast das Recht, der Verarbeitung deiner Informationen zu widersprechen, und kannst das jederzeit tun.",
]


def policy(paragraphs: int, *, quote: str = "") -> Document:
    """A long policy text; `quote` lands in one paragraph (policies do quote the pages they describe)."""
    blocks = [Block("heading", "Privacy Policy", 1)]
    for index in range(paragraphs):
        if index % 10 == 0:
            blocks.append(Block("heading", f"Section {index // 10 + 1}: what we do with your information", 2))
        text = SENTENCES[index % len(SENTENCES)]
        blocks.append(Block("paragraph", f"{text} {quote}" if index == paragraphs // 2 and quote else text))
    return Document(blocks)


def html_of(document: Document) -> str:
    tags = {"heading": "h2", "paragraph": "p", "item": "li", "row": "p"}
    body = "\n".join(f"<{tags[b.kind]}>{b.text}</{tags[b.kind]}>" for b in document.blocks)
    return (
        f"<html><head><title>Privacy Policy</title><script>init()</script></head><body>{body}</body></html>"
    )


LONG_POLICY = policy(200)


# --- recorded wall pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "reason"), WALL_PAGES)
@pytest.mark.parametrize("last_good", [None, LONG_POLICY], ids=["first check", "after a good version"])
def test_each_recorded_wall_page_gives_its_reason(name: str, reason: str, last_good: Document | None) -> None:
    html = (FIXTURES / name).read_text(encoding="utf-8")

    assert classify(html, last_good=last_good) == reason


def test_every_reason_has_a_recorded_page_in_english_and_german() -> None:
    recorded = {(reason, name.split(".")[-2]) for name, reason in WALL_PAGES}
    reasons = {recognizer.reason for recognizer in RECOGNIZERS} | {"JavaScript-only shell", "empty page"}

    assert recorded == {(reason, language) for reason in reasons for language in ("en", "de")}
    assert sorted(path.name for path in FIXTURES.glob("*.html")) == sorted(name for name, _ in WALL_PAGES)


# --- a banner is not a wall --------------------------------------------------------------------------------

NOTICES = FIXTURES / "documents"  # short notices with a cookie dialog or a login prompt on the same page
CONTENT = PageConfig(id="facebook-ai-objection", url=URL, select=["#content"])


@pytest.mark.parametrize(
    "name",
    [
        "notice-under-cookie-banner.en.html",
        "notice-under-cookie-banner.de.html",
        "notice-under-login-prompt.en.html",
    ],
)
@pytest.mark.parametrize("page", [PAGE, CONTENT], ids=["found by extraction", "region rule #content"])
def test_a_short_notice_under_a_cookie_banner_or_login_prompt_is_the_document(
    name: str, page: PageConfig
) -> None:
    """The objection notice is about 100 words; the cookie dialog beside it is longer. The region holds the
    notice and none of the dialog's wording, so the capture is the notice."""
    html = (NOTICES / name).read_text(encoding="utf-8")

    assert classify(html, page=page) is None
    assert classify(html, page=page, last_good=extract_document(html, select=page.select).document) is None


def test_a_region_that_holds_only_the_consent_text_is_a_consent_wall() -> None:
    html = (FIXTURES / "consent.en.html").read_text(encoding="utf-8")
    dialog = PageConfig(id="facebook-ai-objection", url=URL, select=["div[role=dialog]"])

    assert classify(html, page=dialog) == "consent wall"


def test_a_banner_over_a_region_with_too_few_words_of_its_own_is_still_a_wall() -> None:
    html = (NOTICES / "notice-under-cookie-banner.en.html").read_text(encoding="utf-8")
    stub = html.replace(html[html.index("<p>AI at Meta") : html.index("</main>")], "<p>Object here.</p>")

    assert classify(stub, page=CONTENT) == "consent wall"


@pytest.mark.parametrize(
    "quote",
    [
        'If you see "Log in to Facebook", log in to continue.',
        "Melde dich an, um fortzufahren, wenn du deine Einstellungen ändern willst.",
        'The message "Sorry, something went wrong" means the page could not load.',
        "Allow the use of cookies from Facebook on this browser? You can decline optional cookies.",
        "If you're temporarily blocked, wait and try again. Complete the security check.",
    ],
)
def test_a_long_policy_quoting_wall_phrases_is_the_document(quote: str) -> None:
    document = policy(200, quote=quote)

    assert classify(html_of(document), last_good=LONG_POLICY) is None


def test_a_user_recognizer_extends_the_table_and_comes_first() -> None:
    maintenance = WallConfig(
        reason="maintenance", pattern=r"wartungsarbeiten|down for maintenance", max_words=100
    )
    html = "<html><body><h1>Wartungsarbeiten</h1><p>Sorry, something went wrong. Bitte versuche es später.</p></body></html>"

    assert classify(html, walls=[maintenance]) == "maintenance"
    assert classify(html) == "error page"
    assert classify(html_of(policy(200, quote="Down for maintenance."))) is None
    assert classify(html_of(policy(200, quote="Down for maintenance.")), walls=[maintenance]) is None


def test_a_user_recognizer_without_max_words_applies_to_any_length() -> None:
    moved = WallConfig(reason="moved", pattern=r"this policy has moved to")
    document = policy(200, quote="This policy has moved to a new address.")

    assert classify(html_of(document), walls=[moved]) == "moved"


def test_a_user_pattern_with_groups_of_its_own_still_matches() -> None:
    """The recognizers are first searched as one union; a pattern whose groups a union would renumber (a
    back-reference, a named group) makes each pattern be searched on its own, as before."""
    repeated = WallConfig(reason="stutter", pattern=r"\b(\w+) \1 \1\b", max_words=50)
    named = WallConfig(reason="named", pattern=r"(?P<word>blocked) (?P=word)", max_words=50)
    group = WallConfig(reason="group", pattern=r"(account) disabled", max_words=50)
    conditional = WallConfig(reason="signed out", pattern=r"(signed)?(?(1) out|please log in)", max_words=50)
    html = "<html><body><p>Access is blocked blocked here, sorry sorry sorry.</p></body></html>"

    assert classify(html, walls=[repeated]) == "stutter"
    assert classify(html, walls=[named]) == "named"
    signed_out = "<html><body><p>You are signed out.</p></body></html>"
    assert classify(signed_out, walls=[group, conditional]) == "signed out"


def test_user_patterns_match_typographic_quotes_written_either_way() -> None:
    curly = WallConfig(reason="gone", pattern=r"we’re sorry, this page is gone", max_words=50)
    html = "<html><body><p>We're sorry, this page is gone.</p></body></html>"

    assert classify(html, walls=[curly]) == "gone"


@pytest.mark.parametrize(
    ("final_url", "reason"),
    [
        (
            "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fprivacy%2Fpolicy%2F",
            "login wall",
        ),
        ("https://www.instagram.com/accounts/login/?next=/privacy/", "login wall"),
        ("https://www.facebook.com/checkpoint/1501092823525282/?next=%2Fprivacy", "checkpoint"),
        ("https://de-de.facebook.com/privacy/policy/", None),
    ],
)
def test_a_redirect_to_login_or_checkpoint_is_a_wall(final_url: str, reason: str | None) -> None:
    assert classify(html_of(LONG_POLICY), final_url=final_url) == reason


def test_a_page_that_is_itself_a_login_url_is_not_a_redirect_wall() -> None:
    page = PageConfig(id="login-help", url="https://www.facebook.com/login/help/")
    capture = fetched(html_of(LONG_POLICY), final_url="https://www.facebook.com/login/help/")
    capture.url = page.url
    extraction = extract_document(capture.html, url=page.url)

    assert classify_capture(capture, extraction, last_good=None, page=page, quality=QUALITY, walls=[]) is None


# --- JavaScript shells -------------------------------------------------------------------------------------

SCRIPT = "<script src='/app.js'></script>"
PLEA = "<noscript>Please enable JavaScript to view this page.</noscript>"
WORDS_100 = " ".join(["Datenschutz"] * 100)
WORDS_200 = " ".join(["Datenschutz"] * 200)


@pytest.mark.parametrize(
    ("html", "shell"),
    [
        (f"<html><head>{SCRIPT}</head><body><div id='root'></div></body></html>", True),
        (f"<html><body>{SCRIPT}<div>Loading …</div></body></html>", True),
        (f"<html><body>{PLEA}{SCRIPT}<p>{WORDS_100}</p></body></html>", True),
        (
            f"<html><body><p>JavaScript is disabled in your browser.</p>{SCRIPT}<p>{WORDS_100}</p></body></html>",
            True,
        ),
        (f"<html><body>{PLEA}{SCRIPT}<p>{WORDS_200}</p></body></html>", False),
        (f"<html><body>{SCRIPT}<p>{WORDS_100}</p></body></html>", False),
        ("<html><body><div id='root'></div></body></html>", False),  # no script: an empty page, not a shell
        (f"<html><body>{PLEA}<p>Privacy Policy</p></body></html>", False),
        ('<?xml version="1.0" encoding="utf-8"?><html><body><script>x()</script></body></html>', True),
        ("", False),
    ],
)
def test_a_javascript_shell_has_scripts_and_no_text_or_pleads_for_javascript(html: str, shell: bool) -> None:
    assert javascript_shell(html) is shell
    assert needs_browser(html) is shell


# --- empty, table of contents, collapse ---------------------------------------------------------------------


def words(count: int) -> Document:
    return Document([Block("paragraph", " ".join(["Wort"] * count))])


@pytest.mark.parametrize(
    ("new_words", "page_min_words", "reason"),
    [
        (0, None, "empty page"),
        (29, None, "empty page"),
        (30, None, None),
        (10, 5, None),
        (40, 50, "empty page"),
    ],
)
def test_an_empty_page_has_fewer_than_min_words(
    new_words: int, page_min_words: int | None, reason: str | None
) -> None:
    page = PageConfig(id="p", url=URL, min_words=page_min_words)

    assert classify_document(words(new_words), last_good=None, page=page) == reason


@pytest.mark.parametrize(
    ("new_words", "page_ratio", "reason"),
    [
        (160, None, "collapsed: 16% of the last good text"),
        (499, None, "collapsed: 49% of the last good text"),
        (500, None, None),
        (1500, None, None),
        (800, 0.9, "collapsed: 80% of the last good text"),
        (200, 0.1, None),
    ],
)
def test_a_text_collapsed_against_the_last_good_one(
    new_words: int, page_ratio: float | None, reason: str | None
) -> None:
    page = PageConfig(id="p", url=URL, collapse_ratio=page_ratio)

    assert classify_document(words(new_words), last_good=words(1000), page=page) == reason


@given(st.integers(min_value=30, max_value=5000), st.integers(min_value=1, max_value=5000))
def test_collapse_is_exactly_below_the_ratio(new: int, old: int) -> None:
    reason = classify_document(words(new), last_good=words(old))

    if new < 0.5 * old:
        assert reason == f"collapsed: {100 * new // old}% of the last good text"
    else:
        assert reason is None


def contents_of(document: Document) -> Document:
    """What the table-of-contents-only capture looks like: the title, a banner and the section headings."""
    headings = [b for b in document.blocks if b.kind == "heading"]
    return Document([*headings[:1], Block("paragraph", SENTENCES[2]), *headings[1:]])


def test_a_table_of_contents_without_the_text_is_recognized() -> None:
    assert table_of_contents_only(contents_of(LONG_POLICY), LONG_POLICY)
    assert classify_document(contents_of(LONG_POLICY), last_good=LONG_POLICY) == "table of contents only"
    assert not table_of_contents_only(LONG_POLICY, LONG_POLICY)
    assert not table_of_contents_only(contents_of(LONG_POLICY), contents_of(LONG_POLICY))


def test_a_short_text_without_many_headings_is_a_collapse_not_a_table_of_contents() -> None:
    short = Document(LONG_POLICY.blocks[:40])

    assert classify_document(short, last_good=LONG_POLICY) == "collapsed: 17% of the last good text"


def test_not_modified_is_never_a_failure() -> None:
    capture = fetched("")
    capture.not_modified = True

    assert (
        classify_capture(capture, Capture.of(Document()), last_good=LONG_POLICY, page=PAGE, quality=QUALITY)
        is None
    )


# --- the real corpus ----------------------------------------------------------------------------------------


def versions(folder: Path) -> list[tuple[dict[str, str], str]]:
    with open(folder / "index.tsv", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"]]
    return [(row, (folder / row["extracted_file"]).read_text(encoding="utf-8")) for row in rows]


@pytest.mark.corpus
def test_the_printable_policy_that_collapsed_to_its_table_of_contents(corpus: Path) -> None:
    folder = corpus / "versions" / "user-rights-versions" / "Facebook" / "Privacy_Policy"
    texts = {row["date_utc"][:10]: text for row, text in versions(folder)}
    # The version combines the printable policy with the generative-AI page; the printable page comes first.
    printable = {date: document_from_markdown(text.split("\n\n- - -\n\n")[0]) for date, text in texts.items()}
    combined = {date: document_from_markdown(text) for date, text in texts.items()}

    assert (
        classify_document(printable["2026-07-23"], last_good=printable["2026-07-09"])
        == "table of contents only"
    )
    assert (
        classify_document(combined["2026-07-23"], last_good=combined["2026-07-09"])
        == "collapsed: 15% of the last good text"
    )
    assert classify_document(printable["2026-07-09"], last_good=printable["2026-07-07"]) is None


@pytest.mark.corpus
def test_replaying_instagrams_blinking_policy_keeps_only_the_real_versions(corpus: Path) -> None:
    folder = corpus / "versions" / "pga-versions" / "Instagram" / "Privacy_Policy"
    history = [
        (row, text) for row, text in versions(folder) if "2025-05-01" <= row["date_utc"] <= "2025-06-22"
    ]
    assert len(history) >= 16
    last_good: Document | None = None
    outcomes = []
    for row, text in history:
        document = document_from_markdown(text)
        reason = classify_document(document, last_good=last_good)
        outcomes.append((int(row["bytes"]) < 100, reason))
        last_good = last_good if reason else document

    assert {reason for broken, reason in outcomes if broken} == {"empty page"}
    assert {reason for broken, reason in outcomes if not broken} == {None}


# Real broken captures: an archive recorded each of these as a "version" of its document (e.g. a 131-byte
# Acceptable Use Policy alternating with the 4.7 KB real one). Every other capture in the corpus is the document.
BROKEN_CAPTURES = {
    "Llama_API/Acceptable_Use_Policy/2025-11-11T15-33-22Z_c5f85ba1.html": "error page",
    "Llama_API/Acceptable_Use_Policy/2026-04-24T10-31-17Z_d2369c9c.html": "error page",
    "Llama_API/Data_Processor_Agreement/2025-11-11T15-33-39Z_6ee7246e.html": "consent wall",
    "Llama_API/Privacy_Policy_docs-trust-data-commitments/2025-11-12T00-53-17Z_ba97f46b.html": "error page",
    "Llama_API/Privacy_Policy_docs-trust-data-commitments/2026-04-08T22-33-48Z_918dfaca.html": "error page",
    "Llama_API/Privacy_Policy_docs-trust-data-commitments/2026-07-09T10-33-37Z_f0459b43.html": "error page",
    "Llama_API/Terms_of_Service_legal-terms-of-service/2025-11-11T15-33-45Z_f5331ae5.html": "error page",
}
# The printable pages' region, as the default config and the archive select it.
SELECT = {"Privacy_Policy_privacy-policy-printable": ["#root"], "Trackers_Policy": ["#root"]}
SNAPSHOTS = CORPUS / "html" / "genai-eu-snapshots"
DOCUMENTS = (
    sorted(f"{path.parent.name}/{path.name}" for path in SNAPSHOTS.glob("*/*")) if SNAPSHOTS.exists() else []
)


@pytest.mark.corpus
@pytest.mark.parametrize("document", DOCUMENTS or ["(corpus absent)"])
def test_every_real_capture_is_the_document_except_the_known_broken_ones(corpus: Path, document: str) -> None:
    """Each document's captures in order, each compared with the last good one, as a check would."""
    folder = corpus / "html" / "genai-eu-snapshots" / document
    page = PageConfig(id="p", url=URL, select=SELECT.get(folder.name, []))
    last_good: Document | None = None
    reasons = {}
    for path in sorted(folder.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        extraction = extract_document(html, url=URL, select=page.select)
        reason = classify_capture(fetched(html), extraction, last_good=last_good, page=page, quality=QUALITY)
        reasons[f"{document}/{path.name}"] = reason
        last_good = last_good if reason else extraction.document

    assert len(reasons) >= 5
    assert reasons == {name: BROKEN_CAPTURES.get(name) for name in reasons}
