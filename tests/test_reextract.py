"""`reextract PAGE [--dry-run]` over a real capture history: the Meta AI Terms (EU), imported as OTA's dated
HTML captures under the older region rule (the whole main region, its footer links included), then read again
under the declaration's range (from the main region to its separator), as config.toml follows it now."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli

from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.records import is_technical

pytestmark = pytest.mark.corpus

CAPTURES = "html/genai-eu-snapshots/Meta_AI/Terms_of_Service"
OLD_RULE = "select = [\"[role='main']\"]"
RANGE_RULE = "select = [{ start_before = \"[role='main']\", end_after = \"[role='separator']\" }]"


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def history(corpus: Path, tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[[pages]]\nid = "meta-ai-terms-en"\nurl = "https://www.facebook.com/legal/eu-ai-terms"\n{OLD_RULE}\n'
    )
    code, output = run_cli(config, clock, "import", "meta-ai-terms-en", str(corpus / CAPTURES))
    assert (code, output.splitlines()[-1]) == (0, "7 versions imported, 13 merged, 0 failed"), output
    config.write_text(config.read_text().replace(OLD_RULE, RANGE_RULE))
    return config


def test_a_dry_run_lists_the_versions_that_would_merge_and_writes_nothing(history: Path) -> None:
    store_file = load_config(history).store_path / "monitor.db"
    before = store_file.read_bytes()
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en", "--dry-run")
    assert code == 0, output
    merges = [line for line in output.splitlines() if line.startswith("merge: ")]
    assert merges == [
        "merge: 2026-01-21 23:36 UTC and 2026-01-22 23:36 UTC would be the same version",
        "merge: 2026-01-22 23:36 UTC and 2026-02-18 11:34 UTC would be the same version",
        "merge: 2026-02-18 11:34 UTC and 2026-03-03 23:35 UTC would be the same version",
        "merge: 2026-03-03 23:35 UTC and 2026-03-16 23:34 UTC would be the same version",
    ]
    assert output.splitlines()[-2:] == [
        "7 of 7 stored versions read otherwise, 4 merges, 0 alerts silent, 0 would fire",
        "dry run: nothing written",
    ]
    assert store_file.read_bytes() == before


def test_reextract_records_one_technical_version_and_keeps_the_history(history: Path) -> None:
    store = Store(load_config(history).store_path)
    records = len(store.checks.list("meta-ai-terms-en"))
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert code == 0 and output.splitlines()[-1].startswith("recorded technical version "), output
    checks = store.checks.list("meta-ai-terms-en")
    assert len(checks) == records + 1 and is_technical(checks[-1]) and checks[-1].alerts == []
    assert store.checks.changes() == []  # history and technical versions are never news
    assert store.verify().ok
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert (
        output.splitlines()[-1]
        == "recorded nothing: the version in effect was recorded under today's rules already"
    )


def test_reextract_of_a_page_with_nothing_stored_says_so(history: Path, tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('[[pages]]\nid = "empty"\nurl = "https://example.com/terms"\n')
    code, output = run_cli(config, clock, "reextract", "empty", "--dry-run")
    assert (code, output) == (0, "empty: nothing stored yet; nothing to extract again\n")


def test_a_rule_change_that_reads_the_same_is_recorded_once_as_a_note(history: Path) -> None:
    """The old rule again: every capture reads as imported, so no technical version, but the rules changed
    since the import's fingerprint (its declaration of the region) is recorded once, with what changed."""
    history.write_text(history.read_text().replace(RANGE_RULE, OLD_RULE + '\nremove = ["script"]'))
    store = Store(load_config(history).store_path)
    records = len(store.checks.list("meta-ai-terms-en"))
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert code == 0 and output.splitlines()[-1].startswith("recorded the rule change on version "), output
    *_, note = store.checks.list("meta-ai-terms-en")
    assert len(store.checks.list("meta-ai-terms-en")) == records + 1 and is_technical(note)
    assert str(note.outcome) == "unchanged" and note.reason is not None
    assert note.reason.startswith("rules changed (remove none -> script): ")
    assert store.versions.list("meta-ai-terms-en")[-1].rules == note.rules
    assert store.verify().problems == []
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert (
        output.splitlines()[-1]
        == "recorded nothing: the version in effect was recorded under today's rules already"
    )
