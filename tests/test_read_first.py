"""The summary's "Read first": what a reader must read, first (issue 23, item 3).

New sections and passages new in substance first, then reworded sentences that carry signal words (may, not,
all ...) or topics (AI, sharing ...), then the rest. A change that only regroups the same words (a table become
paragraphs, a list become lines, a label repeated over regrouped rows) is never read first and never shows
markup (a pilcrow, a line break) in any output; a footnote label that moved with its note is cosmetic.

Each row of CASES is an update in a few blocks: the old and new texts (one block a line, `Document.from_text`
syntax: "## heading", "- item", "| row |"), how many highlights to ask for, and what they must be, as the
plain word diff of each (in document order). The real case is Meta's update of 16 December 2025.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from monitor.diff.core import diff_documents
from monitor.diff.formats import render
from monitor.diff.segments import marked
from monitor.diff.summary import ChangeSummary, summarize
from monitor.extract.document import extract_document
from monitor.models import Document


def doc(*lines: str) -> Document:
    return Document.from_text("\n\n".join(lines) + "\n")


@dataclass(frozen=True)
class Case:
    name: str
    old: tuple[str, ...]
    new: tuple[str, ...]
    read_first: tuple[str, ...]  # each highlight's marked word diff, in document order
    limit: int = 5
    substantive: int | None = None  # how many substantive changes, when the case is about the class


POLICY = ("# Privacy Policy", "## How we use information", "We may share your information with partners.")

CASES = [
    Case(
        "a table become headings and paragraphs, with its column label repeated, is never read first",
        old=(
            *POLICY,
            "## Legal basis",
            "| Why we process it | Information we use |",
            "| Providing our Products | Your activity and the content you create |",
            "| Measuring ads | Ads you see and how you interact with them |",
        ),
        new=(
            *POLICY[:2],
            "We will share your information with partners.",
            "## Legal basis",
            "### Providing our Products",
            "Why we process it:",
            "Providing our Products",
            "Information we use:",
            "Your activity and the content you create",
            "### Measuring ads",
            "Why we process it:",
            "Measuring ads",
            "Information we use:",
            "Ads you see and how you interact with them",
        ),
        read_first=("We [-may-]{+will+} share your information with partners.",),
    ),
    Case(
        "a list become lines, a paragraph split in two: the same words, nothing to read first",
        old=(*POLICY, "- We keep it for 30 days.", "- Then we delete it.", "You can object. We stop then."),
        new=(*POLICY, "We keep it for 30 days.", "Then we delete it.", "You can object.", "We stop then."),
        read_first=(),
        substantive=0,
    ),
    Case(
        "a footnote label that moved with its note, and one more label, are cosmetic",
        old=(
            *POLICY,
            "Learn more[1].",
            "## Notes",
            "1",
            "## Partners",
            "Partners are companies we work with.",
        ),
        new=(
            *POLICY,
            "Learn more[1]. See examples[2].",
            "## Notes",
            "## Partners",
            "1",
            "Partners are companies we work with.",
            "2",
        ),
        read_first=("Learn more[1].{+ See examples[2].+}",),
        substantive=1,
    ),
    Case(
        "a new section comes first, by a passage that says something rather than its heading",
        old=(*POLICY, "## Your rights", "You can object to this use at any time."),
        new=(
            *POLICY[:2],
            "We will share your information with partners.",
            "## Your rights",
            "You can object to this use once a year.",
            "## AI at Meta",
            "We use your chats with AI at Meta to train our models.",
        ),
        read_first=("{+We use your chats with AI at Meta to train our models.+}",),
        limit=1,
    ),
    Case(
        "a reworded sentence with a signal word comes before one without",
        old=(*POLICY, "We show you ads.", "## Contact", "Write to our office in Dublin."),
        new=(
            *POLICY[:2],
            "We will share your information with partners.",
            "We show you more ads.",
            "## Contact",
            "Write to our office in Cork.",
        ),
        read_first=("We [-may-]{+will+} share your information with partners.",),
        limit=1,
    ),
    Case(
        "then the rest, a sentence edited in place before text that came or went",
        old=(*POLICY, "We show you ads.", "## Contact", "Write to our office in Dublin."),
        new=(
            *POLICY,
            "We show you more ads.",
            "## Contact",
            "Write to our office in Cork.",
            "Our office is open on weekdays.",
        ),
        read_first=("We show you {+more +}ads.", "Write to our office in [-Dublin-]{+Cork+}."),
        limit=2,
    ),
    Case(
        "the same edit made in several places is read once",
        old=(
            *POLICY,
            "## Ads",
            "Interactions with our artificial intelligence technology.",
            "## Measurement",
            "Interactions with our artificial intelligence technology.",
            "## Contact",
            "Write to our office in Dublin.",
        ),
        new=(
            *POLICY,
            "## Ads",
            "Interactions with AI at Meta.",
            "## Measurement",
            "Interactions with AI at Meta.",
            "## Contact",
            "Write to our office in Cork.",
        ),
        read_first=(
            "Interactions with [-our artificial intelligence technology-]{+AI at Meta+}.",
            "Write to our office in [-Dublin-]{+Cork+}.",
        ),
        limit=2,
    ),
    Case(
        "a word swapped for one the page uses elsewhere is still a rewording",
        old=(*POLICY, "We will tell you. We may use it for ads.", "## Contact", "Write to us."),
        new=(
            *POLICY[:2],
            "We will share your information with partners.",
            "We will tell you. We may use it for ads.",
            "## Contact",
            "Write to us.",
        ),
        read_first=("We [-may-]{+will+} share your information with partners.",),
    ),
    Case(
        "a sentence reworded while its paragraph was split shows its words, not the split",
        old=(*POLICY, "We keep your messages. We may delete them after a year."),
        new=(*POLICY, "We keep your messages.", "We will delete them after a year."),
        read_first=("We keep your messages. We [-may-]{+will+} delete them after a year.",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_read_first(case: Case) -> None:
    diff = diff_documents(doc(*case.old), doc(*case.new))
    summary = summarize(diff, limit=case.limit)

    assert tuple(marked(list(h.segments)) for h in summary.highlights) == case.read_first
    if case.substantive is not None:
        assert summary.substantive == case.substantive
    assert_no_markup(summary)
    for fmt in ("text", "markdown", "html"):
        assert "¶" not in render(diff, fmt)  # no change here adds words across a block break


def assert_no_markup(summary: ChangeSummary) -> None:
    for h in summary.highlights:
        assert not any("\n" in s.text or "¶" in s.text for s in h.segments), h


DECEMBER = "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"


def printable(folder: Path, name: str) -> Document:
    html = (folder / name).read_text(encoding="utf-8")
    return extract_document(html, select=("#root",), remove=("img",)).document


@pytest.mark.corpus
def test_the_16_december_2025_update_reads_first_the_new_section_on_ai_at_meta(corpus: Path) -> None:
    """The README's own example: the printable Facebook privacy policy, captured on 11 and 16 December 2025
    (index.tsv: the capture of the 16th made the new version). Five "Legal basis information" tables became
    headings and lists; the new section "Information you or others exchange with AI at Meta" came."""
    folder = corpus / DECEMBER
    diff = diff_documents(
        printable(folder, "2025-12-11T23-35-48Z_5411edc4.html"),
        printable(folder, "2025-12-16T23-35-44Z_a98ddaea.html"),
    )
    summary = summarize(diff)
    shown = [marked(list(h.segments)) for h in summary.highlights]

    assert len(shown) == 5
    new_section = "Information you or others exchange with AI at Meta"
    assert any(h.section.endswith(new_section) and h.kind == "added" for h in summary.highlights)
    assert any("collectively called AI at Meta" in words for words in shown)
    regrouped = [
        c for c in diff.changes if c.kind == "modified" and len(c.new_blocks) > len(c.old_blocks) > 0
    ]
    regrouped_tables = [c for c in regrouped if c.section[0] == "Legal basis information"]
    assert len(regrouped_tables) >= 5
    tables = {c.section_path for c in regrouped_tables}
    assert not any(h.section in tables and h.kind == "modified" for h in summary.highlights), shown
    assert_no_markup(summary)
    # The 87 footnote labels (a line that is only a number) moved or were renumbered: none is substantive.
    labels = [c for c in diff.changes if (c.old or c.new or "").strip().isdigit()]
    assert len(labels) >= 38
    assert all(c.cls == "cosmetic" for c in labels)
    assert summary.substantive == 242
