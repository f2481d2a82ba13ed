"""Open Terms Archive Markdown finds headings by the rule the HTML reader follows (issue 29): a short paragraph
that is all bold, or the first paragraph of a list item, becomes a heading when body text follows it, one level
deeper per list below the last real heading. So an imported version and a live capture of the same text give
the same blocks, and imported history gets the section paths alerts and summaries name."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract.document import document_from_markdown, extract_document

META_AI_TERMS_VERSIONS = "versions/genai-eu-versions/Meta_AI/Terms_of_Service"
META_AI_TERMS_CAPTURES = "html/genai-eu-snapshots/Meta_AI/Terms_of_Service"
OTA_RANGE = [{"start_before": "[role='main']", "end_after": "[role='separator']"}]

CASES = [
    # (name, OTA Markdown, exact Document.to_text())
    (
        "a bold paragraph followed by body text is a heading",
        "**Your data**\n\nWe collect what you give us.\n",
        "# Your data\n\nWe collect what you give us.\n",
    ),
    (
        "an item's first short line followed by its body paragraph is a heading, one level per list",
        "*   **Your Commitments**\n    \n    *   Eligibility\n        \n        You must be 13 or older to use AIs.\n",
        "# Your Commitments\n\n## Eligibility\n\nYou must be 13 or older to use AIs.\n",
    ),
    (
        "found headings go below the last real heading",
        "## Terms\n\n*   Eligibility\n    \n    You must be 13.\n",
        "## Terms\n\n### Eligibility\n\nYou must be 13.\n",
    ),
    (
        "in a list whose items are sections, a short line after an item's heading is its body",
        "1.  Severability\n    \n    If a portion is unenforceable, the rest stays in force.\n    \n"
        "2.  Effective Date\n    \n    Effective May 13, 2026\n",
        "# Severability\n\nIf a portion is unenforceable, the rest stays in force.\n\n# Effective Date\n\n"
        "Effective May 13, 2026\n",
    ),
    (
        "an item with no body paragraph stays an item",
        "*   Content you create\n*   Device information\n\nWe use both to show you ads.\n",
        "- Content you create\n\n- Device information\n\nWe use both to show you ads.\n",
    ),
    (
        "a bold sentence is not a heading",
        "**Please read these terms.**\n\nThey apply to you when you use AIs.\n",
        "Please read these terms.\n\nThey apply to you when you use AIs.\n",
    ),
    (
        "bold words that begin a paragraph are not a line of their own",
        "**United Kingdom:** The UK terms govern the use of AIs.\n\nBody text follows here, long.\n",
        "United Kingdom: The UK terms govern the use of AIs.\n\nBody text follows here, long.\n",
    ),
    (
        "a short bold line followed by a table row is no heading",
        "**Recipients**\n\n| Who | Why |\n| --- | --- |\n| Partners | Ads |\n",
        "Recipients\n\n| Who | Why |\n\n| Partners | Ads |\n",
    ),
]


@pytest.mark.parametrize(("name", "markdown", "expected"), CASES, ids=[case[0] for case in CASES])
def test_markdown_finds_the_headings_a_reader_sees(name: str, markdown: str, expected: str) -> None:
    assert document_from_markdown(markdown).to_text() == expected


@pytest.mark.parametrize("markdown", [case[1] for case in CASES[:5]])
def test_the_same_rule_reads_html_and_markdown_alike(markdown: str) -> None:
    """The HTML of each case, written the way the Meta AI Terms draw it, gives the very same blocks."""
    html = {
        CASES[0][1]: "<p><b>Your data</b></p><p>We collect what you give us.</p>",
        CASES[1][1]: "<ol><li><b>Your Commitments</b><ol><li><div>Eligibility</div>"
        "<div>You must be 13 or older to use AIs.</div></li></ol></li></ol>",
        CASES[2][1]: "<h2>Terms</h2><ul><li><div>Eligibility</div><div>You must be 13.</div></li></ul>",
        CASES[3][
            1
        ]: "<ol><li><div>Severability</div><div>If a portion is unenforceable, the rest stays in force."
        "</div></li><li><div>Effective Date</div><div>Effective May 13, 2026</div></li></ol>",
        CASES[4][1]: "<ul><li>Content you create</li><li>Device information</li></ul>"
        "<p>We use both to show you ads.</p>",
    }[markdown]
    page = f"<html><body>{html}</body></html>"
    assert document_from_markdown(markdown).blocks == extract_document(page, select=["body"]).document.blocks


@pytest.mark.corpus
def test_an_imported_meta_ai_terms_version_and_the_capture_of_its_day_give_the_same_blocks(
    corpus: Path,
) -> None:
    versions = sorted((corpus / META_AI_TERMS_VERSIONS).glob("*.md"))
    assert len(versions) == 3
    for version in versions:
        (capture,) = (corpus / META_AI_TERMS_CAPTURES).glob(f"{version.name[:20]}*.html")
        live = extract_document(capture.read_text(encoding="utf-8"), select=OTA_RANGE).document
        imported = document_from_markdown(version.read_text(encoding="utf-8"))
        assert imported.blocks == live.blocks, version.name
        sections = dict(zip((b.text for b in imported.blocks), imported.sections(), strict=True))
        eligibility = next(text for text in sections if text.startswith("Without limiting the Meta Terms"))
        assert sections[eligibility] == ("Your Commitments", "Eligibility"), version.name
