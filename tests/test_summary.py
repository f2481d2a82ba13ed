"""`summarize(diff)`: what a change amounts to, in the few lines a reader sees first (diff, alert, digest, feed).

The real case is Meta's update of 16 December 2025 (the Facebook privacy policy versions in the corpus): well
over a thousand edits, of which a reader wants the new date line, the sections that came and went, and the few
edits about AI at Meta, objection, consent, sharing and the like."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.diff.core import Change, DocumentDiff, diff_documents
from monitor.diff.segments import Segment, marked
from monitor.diff.summary import ChangeSummary, Watched, bounded, summarize
from monitor.diff.wording import kind_label, touches
from monitor.extract.document import document_from_markdown
from monitor.models import Document


def doc(*lines: str) -> Document:
    return Document.from_text("\n\n".join(lines) + "\n")


OLD = doc(
    "# Privacy Policy",
    "Effective June 16, 2025",
    "## How we use information",
    "We may share your information with partners.",
    "We show you ads.",
    "## Your rights",
    "You can object to this use at any time.",
)
NEW = doc(
    "# Privacy Policy",
    "Effective December 16, 2025",
    "## How we use information",
    "We will share your information with partners.",
    "We show you more ads.",
    "## Your rights",
    "You can object to this use once a year.",
    "## AI at Meta",
    "We use your chats with AI at Meta to train our models.",
)


def test_the_one_line_form_names_the_date_line_the_sections_and_the_count() -> None:
    summary = summarize(diff_documents(OLD, NEW))

    assert summary.line() == "Effective December 16, 2025 · 1 section added · 6 substantive changes"
    assert (summary.effective, summary.effective_before) == (
        "Effective December 16, 2025",
        "Effective June 16, 2025",
    )
    assert summary.sections_added == ("Privacy Policy › AI at Meta",)


def test_the_changes_to_read_first_are_about_ai_sharing_and_objection_in_document_order() -> None:
    """Edits whose changed words name a topic first (the new AI section); then edits inside a sentence about
    one, by their signal words ("may" → "will" on sharing before "at any time" → "once a year")."""
    summary = summarize(diff_documents(OLD, NEW), limit=4)

    assert [(h.kind, h.section, h.topics) for h in summary.highlights] == [
        ("modified", "Privacy Policy › How we use information", ("sharing", "third parties")),
        ("modified", "Privacy Policy › Your rights", ("objection",)),
        ("added", "Privacy Policy › AI at Meta", ("AI",)),
        ("added", "Privacy Policy › AI at Meta", ("AI", "AI training")),
    ]
    assert marked(list(summary.highlights[1].segments)) == (
        "You can object to this use [-at any time-]{+once a year+}."
    )
    assert summary.more == 2


def test_an_edit_touching_a_watched_clause_or_term_comes_first() -> None:
    summary = summarize(diff_documents(OLD, NEW), watched=["more ads"], limit=1)

    (first,) = summary.highlights
    assert (first.section, first.watched) == ("Privacy Policy › How we use information", ("more ads",))
    section = Watched("rights", "Your rights", kind="section")
    assert summarize(diff_documents(OLD, NEW), watched=[section], limit=1).highlights[0].watched == (
        "rights",
    )


def test_a_watched_term_counts_where_the_watch_would_match_it_not_inside_another_word() -> None:
    # The ranking matches as the term watch does: whole words, typography folded.
    old, new = doc("# P", "He said no."), doc("# P", "He said yes.")
    assert summarize(diff_documents(old, new), watched=["AI"]).highlights[0].watched == ()
    old, new = doc("# P", "We don’t train AI."), doc("# P", "We do train AI.")
    assert summarize(diff_documents(old, new), watched=["don't train"]).highlights[0].watched == (
        "don't train",
    )


def test_the_summary_survives_json_as_the_pipeline_stores_it() -> None:
    summary = summarize(diff_documents(OLD, NEW))
    data = json.loads(json.dumps(summary.to_json()))

    assert ChangeSummary.from_json(data) == summary
    assert data["line"] == summary.line()


def test_cosmetic_only_and_unknown_kinds_read_as_words() -> None:
    """A kind a newer diff adds (the alignment rewrite's cosmetic "restructured") is counted and named."""
    base = summarize(diff_documents(doc("# P", "Text."), doc("# P", "Text!")))
    regrouped = Change("restructured", "cosmetic", ("P",), "A. B.", "A. B.", [], 1, 1)  # type: ignore[arg-type]
    summary = summarize(DocumentDiff([regrouped], {}, doc("# P"), doc("# P")))

    assert base.line() == "no substantive change (1 cosmetic edit)"
    assert summary.line() == "no substantive change (1 cosmetic edit)"
    assert (kind_label("restructured"), kind_label("split_merge"), kind_label("added")) == (
        "Regrouped",
        "Split merge",
        "New text",
    )


def test_signal_words_are_named_for_what_they_do() -> None:
    assert touches(("AI",), ["may", "can", "no", "December", "30", "Instagram"]) == (
        "AI; may, can (permission or duty); no (negation); December (dates); 30 (numbers); Instagram (products)"
    )


def test_a_huge_passage_is_cut_at_a_word_to_a_clause() -> None:
    words = " ".join(f"word{i}" for i in range(400))
    cut = bounded([Segment("ins", words)], limit=40)

    assert cut == [Segment("ins", "word0 word1 word2 word3 word4 word5"), Segment("gap", " …")]


def test_the_december_2025_update_of_facebooks_privacy_policy(corpus: Path) -> None:
    folder = corpus / "versions" / "pga-versions" / "Facebook" / "Privacy_Policy"
    old, new = (
        document_from_markdown((folder / name).read_text(encoding="utf-8"))
        for name in ("2025-11-26T00-30-51Z_49ebd3da.md", "2025-12-17T00-30-45Z_df69a0e3.md")
    )
    summary = summarize(diff_documents(old, new))

    assert summary.line().startswith("Effective December 16, 2025 · 4 sections added · ")
    sections = [h.section for h in summary.highlights]
    # The legal-basis tables became headings and lists: a regrouping, read after the sentences reworded about
    # AI at Meta (issue 23; before, three regrouped tables came first).
    assert not any(section.startswith("Legal basis information") for section in sections)
    assert "What information do we collect? › Your activity and information you provide" in sections
    assert all(len(marked(list(h.segments))) < 600 for h in summary.highlights)
