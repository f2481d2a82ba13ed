"""Reflow-proof diffs on the real corpus: every consecutive pair of captures (../shared/corpus/html, extracted with
the page's region rules) and of recorded versions (../shared/corpus/versions, every index.tsv) meets the target of
tests/test_diff_reflow.py (words reported <= 1.5 x the visible word diff + 20, every changed sentence shown).
Skipped where the corpus is absent; under CI=true its absence fails."""

from __future__ import annotations

import csv
import os
from functools import cache
from pathlib import Path

import pytest
from reflow_support import check
from test_extract_corpus import SCOPES, captures, extracted

from monitor.diff.core import diff_documents
from monitor.extract.document import document_from_markdown
from monitor.models import Document

CORPUS = Path(
    os.environ.get("PRIVACY_MONITOR_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
DECEMBER = "genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"


@pytest.fixture(scope="module")
def real_corpus() -> Path:
    """The corpus, or a skip; CI must have it, so there its absence fails."""
    if not (CORPUS / "README.md").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the real-data corpus is not at {CORPUS}")
        pytest.skip(f"real-data corpus not found at {CORPUS} (set PRIVACY_MONITOR_CORPUS to its folder)")
    return CORPUS


def version_folders() -> list[str]:
    root = CORPUS / "versions"
    return sorted(str(p.parent.relative_to(root)) for p in root.glob("*/*/*/index.tsv"))


@cache
def versions(folder: str) -> list[Document]:
    index = CORPUS / "versions" / folder / "index.tsv"
    with index.open(encoding="utf-8") as handle:
        names = [
            row["extracted_file"] for row in csv.DictReader(handle, delimiter="\t") if row["extracted_file"]
        ]
    return [document_from_markdown((index.parent / name).read_text(encoding="utf-8")) for name in names]


@pytest.mark.corpus
@pytest.mark.parametrize("folder", sorted(SCOPES))
def test_every_pair_of_real_captures(real_corpus: Path, folder: str) -> None:
    sequence = [extracted(c.path, SCOPES[folder]).document for c in captures(real_corpus, folder)]
    for old, new in zip(sequence, sequence[1:], strict=False):
        if old != new:
            check(old, new)


@pytest.mark.corpus
@pytest.mark.parametrize("folder", version_folders() or ["(corpus absent)"])
def test_every_pair_of_recorded_versions(real_corpus: Path, folder: str) -> None:
    sequence = versions(folder)
    for old, new in zip(sequence, sequence[1:], strict=False):
        if old != new:
            check(old, new)


@pytest.mark.corpus
def test_the_december_2025_regrouping_reports_what_changed(real_corpus: Path) -> None:
    """The printable policy of 16 December 2025: its legal-basis tables became headings and lists. Before
    this alignment, 24,800 words were reported (990 blocks "added"); the visible texts differ by about 4,900."""
    folder = real_corpus / "html" / DECEMBER
    old, new = (
        extracted(folder / name, SCOPES[DECEMBER]).document
        for name in ("2025-12-11T23-35-48Z_5411edc4.html", "2025-12-16T23-35-44Z_a98ddaea.html")
    )
    reported, visible = check(old, new)
    assert reported <= 7_300
    diff = diff_documents(old, new)
    assert diff.summary()["by_class"]["substantive"] < 400
