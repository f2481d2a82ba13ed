"""Shared fixtures and the rules for what may be skipped.

The real-data corpus lives beside the clone in ../shared/corpus, and the browser tests drive a real
Chromium. A user's fresh clone may have neither: then those tests skip with one reason line. Under CI
(`CI=true`) both are required: a missing corpus stops the run before collection (its parametrized cases
would otherwise vanish silently) and a missing Chromium fails every browser test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI explores the same examples every run (a red CI must be reproducible); local runs explore new ones each time.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PRIVACY_MONITOR_CORPUS", ROOT.parent / "shared" / "corpus"))
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
NO_CHROMIUM = "no Chromium: apt-get install chromium"


def corpus_present() -> bool:
    return (CORPUS / "README.md").exists()


def chromium_present() -> bool:
    """Debian's Chromium, or one that `playwright install chromium` put in its cache."""
    from monitor.fetch.browser import SYSTEM_CHROMIUM, is_executable

    if is_executable(SYSTEM_CHROMIUM) or shutil.which("chromium"):
        return True
    cache = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH", Path.home() / ".cache" / "ms-playwright"))
    return any(cache.glob("chromium-*/chrome-linux/chrome"))


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and not corpus_present():
        raise pytest.UsageError(
            f"CI=true but the real-data corpus is missing at {CORPUS}: its tests must run in CI "
            "(lay ../shared/corpus beside the clone or set PRIVACY_MONITOR_CORPUS)"
        )


def _require_chromium(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("browser") and not chromium_present():
        if IN_CI:
            pytest.fail(f"CI=true and {NO_CHROMIUM} (.ci/run installs it)")
        pytest.skip(NO_CHROMIUM)


@pytest.fixture(autouse=True)
def _chromium_for_browser_tests(request: pytest.FixtureRequest) -> None:
    _require_chromium(request)


@pytest.fixture(scope="module", autouse=True)
def _chromium_for_browser_modules(request: pytest.FixtureRequest) -> None:
    """The same, before a module's own module-scoped fixtures (a shared browser) try to launch one."""
    _require_chromium(request)


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not corpus_present():
        pytest.skip(f"real-data corpus not found at {CORPUS} (set PRIVACY_MONITOR_CORPUS to its folder)")
    return CORPUS
