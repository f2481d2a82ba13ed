"""The real captures in ../shared/corpus/html: every one extracts completely (coverage >= 99.5%) with the region
rules the public archive uses for the page, and consecutive captures give byte-identical text unless the visible
wording really changed (determined by reading each diff; listed below with what changed).

Each capture is parsed once per session."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lxml.html
import pytest

from monitor.extract.document import Extraction, document_from_markdown, extract_document

pytestmark = pytest.mark.corpus

MIN_COVERAGE = 0.995


@dataclass(frozen=True)
class Scope:
    select: tuple[str, ...]
    remove: tuple[str, ...] = ()


PRINTABLE = Scope(("#root",), ("img",))  # as the archive declares the printable policy and cookies pages
# www.facebook.com/legal/...: the archive reads from [role="main"] to the first [role="separator"]; what follows
# the separators (language picker, site links) is removed here to the same effect.
FACEBOOK_LEGAL = Scope(('[role="main"]',), ('[role="separator"] ~ *',))
LLAMA_DEVELOPER = Scope(('[data-pagelet="LLMDCPageMainContent"]',))  # llama.developer.meta.com
FORWORK = Scope(("main",), ("nav",))  # forwork.meta.com: the page's main, without its breadcrumbs

SCOPES = {
    "genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable": PRINTABLE,
    "genai-eu-snapshots/Llama_API/Trackers_Policy": PRINTABLE,
    "genai-eu-snapshots/Meta_AI/Terms_of_Service": FACEBOOK_LEGAL,
    "genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-Meta-Global-Processor-Terms": FACEBOOK_LEGAL,
    "genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-Meta-Global-Processor-Terms-Europe": FACEBOOK_LEGAL,
    "genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-data_security_terms": FACEBOOK_LEGAL,
    "genai-eu-snapshots/Llama_API/Acceptable_Use_Policy": LLAMA_DEVELOPER,
    "genai-eu-snapshots/Llama_API/Privacy_Policy_docs-trust-data-commitments": LLAMA_DEVELOPER,
    "genai-eu-snapshots/Llama_API/Terms_of_Service_legal-terms-of-service": LLAMA_DEVELOPER,
    "genai-eu-snapshots/Llama_API/Data_Processor_Agreement": FORWORK,
}

# Captures where Meta served an error page inside the page's own shell: the region matches, and holds only the
# error (the walls stage must reject these; the archive recorded some of them as versions).
ERROR_CAPTURES = {
    "Acceptable_Use_Policy/2025-11-11T15-33-22Z_c5f85ba1.html": "This page isn’t available",
    "Acceptable_Use_Policy/2026-04-24T10-31-17Z_d2369c9c.html": "This page isn’t available",
    "Privacy_Policy_docs-trust-data-commitments/2025-11-12T00-53-17Z_ba97f46b.html": "This page isn’t available",
    "Privacy_Policy_docs-trust-data-commitments/2026-04-08T22-33-48Z_918dfaca.html": "This page isn’t available",
    "Privacy_Policy_docs-trust-data-commitments/2026-07-09T10-33-37Z_f0459b43.html": "Page not found",
    "Terms_of_Service_legal-terms-of-service/2025-11-11T15-33-45Z_f5331ae5.html": "This page isn’t available",
}

# Consecutive captures whose visible text differs, by the later capture: what changed. Every other consecutive
# pair must extract to byte-identical text, however much its markup and link targets changed.
TEXT_CHANGES = {
    "Privacy_Policy_privacy-policy-printable/2025-11-25T11-36-29Z_02a3ef8e.html": "face analysis wording",
    "Privacy_Policy_privacy-policy-printable/2025-12-16T23-35-44Z_a98ddaea.html": "new policy, effective 2025-12-16",
    "Privacy_Policy_privacy-policy-printable/2026-01-17T23-35-47Z_bdbb193f.html": "'We updated our Privacy Policy' "
    "banner gone",
    "Privacy_Policy_privacy-policy-printable/2026-03-14T11-34-26Z_2ef4c208.html": "one list item removed",
    "Privacy_Policy_privacy-policy-printable/2026-08-21T22-33-04Z_adeba34d.html": "new policy, effective 2026-07-23",
    "Terms_of_Service/2026-04-21T10-32-37Z_07869f63.html": "'January 5, 2026' became 'Effective January 5, 2026'",
    "Terms_of_Service/2026-05-13T10-32-30Z_3c4d6896.html": "paragraphs reworded and moved, effective 2026-05-13",
    "Terms_of_Service_legal-terms-Meta-Global-Processor-Terms/2026-03-17T23-33-57Z_14a6c118.html": "update notice",
    "Terms_of_Service_legal-terms-Meta-Global-Processor-Terms/2026-08-05T22-32-16Z_693b51b0.html": "new terms, "
    "effective 2026-03-20",
    "Terms_of_Service_legal-terms-Meta-Global-Processor-Terms-Europe/2026-03-17T23-33-57Z_c1f309c0.html": "update "
    "notice and UK Addendum wording",
    "Terms_of_Service_legal-terms-Meta-Global-Processor-Terms-Europe/2026-08-05T22-32-16Z_392be4f6.html": "new "
    "terms, effective 2026-03-20",
    "Acceptable_Use_Policy/2025-11-13T12-51-50Z_0b5c103e.html": "the policy after an error page",
    "Acceptable_Use_Policy/2026-04-24T10-31-17Z_d2369c9c.html": "an error page",
    "Acceptable_Use_Policy/2026-08-18T22-32-48Z_0605234e.html": "renamed Meta Model API policy after an error page",
    "Privacy_Policy_docs-trust-data-commitments/2025-11-12T00-53-17Z_ba97f46b.html": "an error page",
    "Privacy_Policy_docs-trust-data-commitments/2026-04-15T10-31-39Z_3e13e0a9.html": "the page after an error page",
    "Privacy_Policy_docs-trust-data-commitments/2026-07-09T10-33-37Z_f0459b43.html": "page not found",
    "Terms_of_Service_legal-terms-of-service/2025-11-13T00-52-16Z_4cc4a840.html": "the terms after an error page",
    "Terms_of_Service_legal-terms-of-service/2026-08-05T22-32-16Z_75e03cc0.html": "renamed Meta Model API terms",
    "Terms_of_Service_legal-terms-of-service/2026-08-22T10-32-23Z_54c413c5.html": "terms updated 2026-08-21",
    "Data_Processor_Agreement/2026-08-14T22-33-36Z_acca4497.html": "title case and 'Effective from'",
}

# Text changes the archive recorded no version for, and why. (The printable policy's July 2026 change reached the
# archive's other collection as the table-of-contents-only capture; that capture is not in this HTML sample.)
UNRECORDED_CHANGES = {
    "Privacy_Policy_privacy-policy-printable/2026-08-21T22-33-04Z_adeba34d.html": "no version after 2026-04-15",
    "Privacy_Policy_docs-trust-data-commitments/2026-07-09T10-33-37Z_f0459b43.html": "an error page, rightly",
    "Acceptable_Use_Policy/2026-04-24T10-31-17Z_d2369c9c.html": "an error page, rightly",
}


@dataclass(frozen=True)
class Capture:
    name: str  # "<document folder>/<file>", as in the tables above
    path: Path
    produced_version: (
        bool  # the archive's index cites this snapshot (or an unsampled one since the last sample)
    )


def captures(corpus: Path, folder: str) -> list[Capture]:
    rows = list(
        csv.DictReader((corpus / "html" / folder / "index.tsv").open(encoding="utf-8"), delimiter="\t")
    )
    result, version_since_last = [], False
    for row in rows:
        version_since_last |= bool(row["referenced_by_version_commit"])
        if row["extracted_file"]:
            name = f"{folder.rsplit('/', 1)[1]}/{row['extracted_file']}"
            result.append(Capture(name, corpus / "html" / folder / row["extracted_file"], version_since_last))
            version_since_last = False
    return result


@cache
def extracted(path: Path, scope: Scope) -> Extraction:
    return extract_document(path.read_text(encoding="utf-8"), select=scope.select, remove=scope.remove)


def test_every_html_folder_has_region_rules(corpus: Path) -> None:
    on_disk = {str(p.parent.relative_to(corpus / "html")) for p in (corpus / "html").glob("*/*/*/index.tsv")}
    assert on_disk == set(SCOPES)


@pytest.mark.parametrize("folder", SCOPES)
def test_every_capture_extracts_completely(corpus: Path, folder: str) -> None:
    for capture in captures(corpus, folder):
        extraction = extracted(capture.path, SCOPES[folder])
        assert extraction.coverage >= MIN_COVERAGE, capture.name
        text = extraction.document.to_text()
        if capture.name in ERROR_CAPTURES:
            assert ERROR_CAPTURES[capture.name] in text
            assert extraction.document.words() < 30, capture.name
        else:
            assert extraction.document.words() > 150, capture.name


@pytest.mark.parametrize("folder", SCOPES)
def test_consecutive_captures_differ_only_where_the_wording_changed(corpus: Path, folder: str) -> None:
    sequence = captures(corpus, folder)
    for earlier, later in zip(sequence, sequence[1:], strict=False):
        changed = (
            extracted(earlier.path, SCOPES[folder]).document.to_text()
            != extracted(later.path, SCOPES[folder]).document.to_text()
        )
        assert changed == (later.name in TEXT_CHANGES), later.name
        if changed and not later.produced_version:
            assert later.name in UNRECORDED_CHANGES, later.name


def test_versions_the_archive_recorded_for_link_noise_give_identical_text(corpus: Path) -> None:
    """On the printable policy, most recorded versions only carry new signed link targets (h=, oh=, oe=, _nc_*)."""
    folder = "genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"
    sequence = captures(corpus, folder)
    link_only = 0
    for earlier, later in zip(sequence, sequence[1:], strict=False):
        if later.produced_version and later.name not in TEXT_CHANGES:
            hrefs = [set(lxml.html.parse(str(c.path)).getroot().xpath("//a/@href")) for c in (earlier, later)]
            assert hrefs[0] != hrefs[1], later.name
            link_only += 1
    assert link_only >= 10


def test_the_printable_policy_reads_like_the_archives_own_version(corpus: Path) -> None:
    """Same capture, two converters: every paragraph of the archive's Markdown version is in our text."""
    capture = corpus / "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"
    ours = extracted(capture / "2026-04-15T10-31-39Z_eea36448.html", PRINTABLE).document
    version = corpus / "versions/genai-eu-versions/Llama_API/Privacy_Policy/2026-04-15T11-50-46Z_19f65b73.md"
    theirs = document_from_markdown(version.read_text(encoding="utf-8"))
    # The archive's version combines two documents; the printable policy's part starts at its first heading.
    start = next(i for i, block in enumerate(theirs.blocks) if block.text == "How to manage the info we use")
    our_words = " ".join(block.text for block in ours.blocks)
    missing = [
        b.text
        for b in theirs.blocks[start:]
        if b.text not in our_words and b.text.replace(" ", "") not in our_words.replace(" ", "")
    ]
    assert missing == []


@pytest.mark.parametrize("folder", SCOPES)
def test_the_automatic_region_skips_trafilatura_only_where_trafilatura_finds_the_same_region(
    corpus: Path, folder: str
) -> None:
    """A page whose every block lies in one main/article container gets that container as its region without
    asking trafilatura (most of the automatic region's time): on every capture where that shortcut applies,
    trafilatura's own answer is the very same element, and the title is the same."""
    from monitor.extract import document
    from monitor.extract.boilerplate import Skipper, find_widgets
    from monitor.extract.html_blocks import html_to_blocks

    for capture in captures(corpus, folder):
        html = capture.path.read_text(encoding="utf-8")
        page = document._parse(html)
        assert page is not None
        sourced = html_to_blocks([page.body], Skipper([], find_widgets(page, html)))
        shortcut = document._container_of_everything(sourced)
        if shortcut is None:
            continue
        region, title = document._trafilatura_region(page, page.body, sourced)
        assert region is shortcut, capture.name
        assert document._main_region(html, page.body, sourced) == (shortcut, title, sourced), capture.name
