"""Shared fixtures. The real-data corpus lives beside the clone in ../shared/corpus (CI has it; a user's
fresh clone may not, and then the tests that need it skip with a reason)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run (a red CI must be reproducible); local runs explore new ones each time.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PRIVACY_MONITOR_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "README.md").exists():
        pytest.skip(f"real-data corpus not found at {CORPUS} (set PRIVACY_MONITOR_CORPUS to its folder)")
    return CORPUS
