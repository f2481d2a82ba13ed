"""Shared fixtures. The real-data corpus lives beside the clone in ../shared/corpus (CI has it; a user's
fresh clone may not, and then the tests that need it skip with a reason)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PRIVACY_MONITOR_CORPUS", ROOT.parent / "shared" / "corpus"))


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "README.md").exists():
        pytest.skip(f"real-data corpus not found at {CORPUS} (set PRIVACY_MONITOR_CORPUS to its folder)")
    return CORPUS
