"""The diff on real Meta documents (../shared/corpus/versions): every consecutive pair of recorded versions.

index.tsv says, for each version, whether its text changed against the version before it (`text_change`) or only
link targets, bare URLs or whitespace did (`url_or_whitespace_only`, e.g. Facebook's signed video URLs that change
at every fetch). A text change must give a substantive diff; the noise must not. Real documents also check that
the diff applies back exactly.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pytest
from conftest import CORPUS

from monitor.diff.core import apply_diff, diff_documents
from monitor.extract.document import document_from_markdown
from monitor.models import Document

pytestmark = pytest.mark.corpus
# The same place the `corpus` fixture looks (the pairs are listed at collection time, before fixtures run).

FOLDERS = [
    "pga-versions/Facebook/Privacy_Policy",
    "pga-versions/Instagram/Privacy_Policy",
    "user-rights-versions/Facebook/Privacy_Policy",  # the policy combined with the generative-AI page
    "genai-eu-versions/Meta_AI/Terms_of_Service",
]


def consecutive_pairs() -> list[tuple[str, str, str, str]]:
    """(folder, older file, newer file, change class) for each two versions in a row in the corpus. When versions
    between them were not extracted, the pair counts only if every one of those was noise too (`noise run`)."""
    pairs = []
    for folder in FOLDERS:
        index = CORPUS / "versions" / folder / "index.tsv"
        if not index.exists():
            continue
        with index.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        extracted = [number for number, row in enumerate(rows) if row["extracted_file"]]
        for before, after in zip(extracted, extracted[1:], strict=False):
            # "+reverts_to_earlier_blob" is still a change against the version just before.
            classes = {row["change_class"].split("+")[0] for row in rows[before + 1 : after + 1]}
            if after == before + 1:
                change = classes.pop()
            elif classes == {"url_or_whitespace_only"}:
                change = "noise run"
            else:
                continue
            pairs.append((folder, rows[before]["extracted_file"], rows[after]["extracted_file"], change))
    return pairs


PAIRS = consecutive_pairs()


@cache
def version(folder: str, name: str) -> Document:
    return document_from_markdown((CORPUS / "versions" / folder / name).read_text(encoding="utf-8"))


def test_the_corpus_has_both_kinds_of_pairs(corpus: Path) -> None:
    kinds = [change for *_, change in PAIRS]
    assert (kinds.count("text_change"), kinds.count("url_or_whitespace_only"), kinds.count("noise run")) == (
        72,
        5,
        26,
    )


@pytest.mark.parametrize(
    "folder, older, newer, change",
    PAIRS,
    ids=[f"{folder.split('/')[1]}-{newer[:10]}-{change}" for folder, _, newer, change in PAIRS],
)
def test_consecutive_versions(corpus: Path, folder: str, older: str, newer: str, change: str) -> None:
    old, new = version(folder, older), version(folder, newer)
    result = diff_documents(old, new)
    if change == "text_change":
        assert result.changes and result.substantive, f"{newer}: a text change gave {result.summary()}"
    else:
        substantive = [(c.kind, c.old, c.new) for c in result.changes if c.substantive]
        assert not substantive, f"{newer}: link/whitespace noise gave substantive changes {substantive[:3]}"
    assert apply_diff(old, result) == new


def test_the_december_2025_update_names_what_changed(corpus: Path) -> None:
    """Facebook's privacy policy of 16 December 2025 against the one before: the date line, and AI at Meta
    joining the products it covers, show up as word-level edits with their signal words."""
    folder = "pga-versions/Facebook/Privacy_Policy"
    result = diff_documents(
        version(folder, "2025-11-26T00-30-51Z_49ebd3da.md"),
        version(folder, "2025-12-17T00-30-45Z_df69a0e3.md"),
    )
    assert result.structure["metadata"] == {
        "updated": {"old": "Effective June 16, 2025", "new": "Effective December 16, 2025"}
    }
    date, products = result.changes[0], result.changes[1]
    assert (date.kind, date.section_path, date.signals) == (
        "modified",
        "What is the Privacy Policy and what does it cover?",
        ["June", "December"],
    )
    assert [(op.tag, op.old, op.new) for op in date.ops if op.tag != "equal"] == [
        ("replace", "June", "December")
    ]
    assert products.section_path == "What is the Privacy Policy and what does it cover? › Highlights"
    assert [(op.tag, op.old, op.new) for op in products.ops if op.tag != "equal"] == [
        ("insert", "", "Messenger "),
        ("replace", "Messenger", "AI at Meta "),
    ]
    assert "AI at Meta" in products.signals
