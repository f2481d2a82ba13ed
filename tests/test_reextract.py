"""`reextract PAGE [--dry-run]`: a page's stored captures read again under today's rules, then recorded as
technical versions that history, `show`, `diff`, the report and the watches read instead of the old readings.

Two histories: a page checked live on loopback whose `remove` rule changes afterwards, and a real capture
history, the Meta AI Terms (EU), imported as OTA's dated HTML captures under the older region rule (the whole
main region, its footer links included), then read again under the declaration's range (from the main region
to its separator), as config.toml follows it now."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import werkzeug
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer

from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.store.records import is_technical

CLAUSE = "When you share your private messages with AI at Meta, we use them to answer you."
REWORDED = CLAUSE.replace("share your private messages with", "interact with")
FILLER = "<p>We use the information we have to provide, personalise and improve our Products.</p>" * 6
NOTHING = "recorded nothing: every stored version already reads as today's rules read it"
WATCH = f'\n[[watches]]\nid = "private-processing"\nkind = "clause"\ntext = "{CLAUSE}"\npages = ["terms"]\n'


def terms(note: str, clause: str = CLAUSE) -> str:
    return f"<html><body><main><h1>Terms</h1><p class='note'>{note}</p><p>{clause}</p>{FILLER}</main></body></html>"


def on(day: int) -> Callable[[], datetime]:
    return lambda: datetime(2026, 5, day, 6, 0, tzinfo=UTC)


def cli(config: Path, day: int, *args: str) -> tuple[int, str]:
    close_all()  # each command a new process: the store is opened afresh
    return run_cli(config, on(day), *args)


@pytest.fixture
def live(tmp_path: Path, httpserver: HTTPServer) -> Path:
    """Three versions checked live: the page's note line changed on 3 May (nothing else), its clause was
    reworded on 4 May; checked unchanged on 2 May. Then `remove = ["p.note"]` is added to the page's rules."""
    served = {"text": terms("Updated 1 May.")}
    httpserver.expect_request("/terms").respond_with_handler(
        lambda _: werkzeug.Response(served["text"], content_type="text/html")
    )
    config = write_project(tmp_path, {"terms": httpserver.url_for("/terms")}, extra=WATCH)
    for day, text in (
        (1, None),
        (2, None),
        (3, terms("Updated 3 May.")),
        (4, terms("Updated 4 May.", REWORDED)),
    ):
        served["text"] = text or served["text"]
        code, output = cli(config, day, "check", "terms")
        assert code == 0, output
    config.write_text(
        config.read_text().replace('select = ["main"]', 'select = ["main"]\nremove = ["p.note"]')
    )
    return config


def outbox(config: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(load_config(config).store_path / "monitor.db") as db:
        return db.execute("SELECT id, status, alerts FROM outbox ORDER BY id").fetchall()


def test_the_dry_run_of_a_live_history_lists_the_merge_the_rule_makes(live: Path) -> None:
    code, output = cli(live, 5, "reextract", "terms", "--dry-run")
    assert code == 0, output
    assert "merge: 2026-05-01 06:00 UTC and 2026-05-03 06:00 UTC would be the same version" in output, output
    assert output.splitlines()[-2:] == [
        "3 of 3 stored versions read otherwise, 1 merge, 0 alerts silent, 0 would fire",
        "dry run: nothing written",
    ]


def test_reextract_records_todays_reading_of_each_past_capture(live: Path) -> None:
    """Versions 1 and 2 differed only in the note line the rules now remove: after `reextract` they are one
    version, the change between them was the rules'; the clause's rewording on 4 May is still the page's."""
    store = Store(load_config(live).store_path)
    records, queued = store.checks.list("terms"), outbox(live)
    code, output = cli(live, 5, "reextract", "terms")
    assert code == 0, output
    assert output.splitlines()[-1] == (
        "recorded 3 technical versions (rules changed), 1 merge: the history reads as today's rules read it;"
        " no alert, no news"
    )
    after = store.checks.list("terms")
    assert [r.to_json() for r in after if not is_technical(r)] == [r.to_json() for r in records]
    assert [str(r.outcome) for r in after if is_technical(r)] == ["new", "unchanged", "changed"]
    # the records the timeline reads: each re-read check stands aside for its re-reading
    readings = store.checks.list_and_readings("terms")[1]
    assert [(r.time[8:10], str(r.outcome), is_technical(r)) for r in readings] == [
        ("01", "new", True),
        ("02", "unchanged", False),
        ("03", "unchanged", True),
        ("04", "changed", True),
    ]
    assert outbox(live) == queued and store.checks.changes()[-1] == records[-1]  # no alert, no news

    code, output = cli(live, 5, "history", "terms")
    assert code == 0, output
    lines = output.splitlines()
    assert [line.split()[0] for line in lines[1::2]] == [v.id[:12] for v in store.versions.list("terms")]
    assert len(store.versions.list("terms")) == 2, output
    assert lines[2] == "  rules changed (remove none -> p.note): first version", output
    assert lines[4].startswith("  rules changed (remove none -> p.note): "), output
    first = store.versions.list("terms")[0]
    assert (first.since, first.until, first.checks) == ("2026-05-01T06:00:00Z", "2026-05-04T06:00:00Z", 3)

    code, output = cli(live, 5, "diff", "terms", "2026-05-01", "2026-05-03")
    assert code == 0, output  # the change between them was the rules'
    code, output = cli(live, 5, "diff", "terms", "2026-05-03", "2026-05-04")
    assert code == 1 and "{+interact+}" in output, output
    code, output = cli(live, 5, "show", "terms", "2026-05-02")
    assert code == 0 and "Updated" not in output and CLAUSE in output, output

    from monitor.report.model import page_model

    report = page_model(store, load_config(live).config.page("terms"))
    assert [change.record.time[8:10] for change in report.changes] == ["04"], (
        report.changes
    )  # the report reads them too

    code, output = cli(live, 5, "verify")
    assert code == 0, output
    code, output = cli(live, 5, "reextract", "terms")
    assert (code, output.splitlines()[-1]) == (
        0,
        NOTHING,
    ), output
    assert len(store.checks.list("terms")) == len(after) and outbox(live) == queued


def test_after_reextract_the_watch_history_and_the_next_check_read_todays_rules(live: Path) -> None:
    code, output = cli(live, 5, "reextract", "terms")
    assert code == 0, output
    code, output = cli(live, 5, "watches", "private-processing", "--history")
    assert code == 0 and "private-processing (clause) on terms: 2 wordings in 2 versions" in output, output
    assert "change:   When you [-share your private messages-]{+interact+} with AI" in output
    code, output = cli(live, 6, "check", "terms")
    assert code == 0 and output.split()[:2] == ["terms", "unchanged"], output
    code, output = cli(live, 6, "verify")
    assert code == 0, output


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


@pytest.mark.corpus
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


@pytest.mark.corpus
def test_reextract_of_a_real_history_makes_the_merges_the_dry_run_listed(history: Path) -> None:
    """Seven imported versions, the first five of which differed only in what the range leaves out: read
    again, they are three, and the imported records stay as they were."""
    store = Store(load_config(history).store_path)
    records = [record.to_json() for record in store.checks.list("meta-ai-terms-en")]
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert code == 0, output
    assert output.splitlines()[-1] == (
        "recorded 7 technical versions (rules changed), 4 merges: the history reads as today's rules read it;"
        " no alert, no news"
    )
    checks = store.checks.list("meta-ai-terms-en")
    assert [record.to_json() for record in checks if not is_technical(record)] == records
    assert all(record.alerts == [] for record in checks if is_technical(record))
    assert store.checks.changes() == []  # history and technical versions are never news
    assert [entry.since[:10] for entry in store.versions.list("meta-ai-terms-en")] == [
        "2026-01-21",
        "2026-04-21",
        "2026-05-13",
    ]
    assert store.verify().problems == []
    code, output = run_cli(history, clock, "reextract", "meta-ai-terms-en")
    assert output.splitlines()[-1] == NOTHING, output


@pytest.mark.corpus
def test_reextract_of_a_page_with_nothing_stored_says_so(history: Path, tmp_path: Path) -> None:
    config = tmp_path / "other.toml"
    config.write_text('[[pages]]\nid = "empty"\nurl = "https://example.com/terms"\n')
    code, output = run_cli(config, clock, "reextract", "empty", "--dry-run")
    assert (code, output) == (0, "empty: nothing stored yet; nothing to extract again\n")


@pytest.mark.corpus
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
    assert output.splitlines()[-1] == NOTHING, output


def test_a_second_rule_change_reads_the_readings_again(live: Path) -> None:
    """Rules change twice: the second reextract re-reads the first one's readings (placed after them, which
    stand after the records they re-read), and the timeline, verify and the record of the past still agree."""
    assert cli(live, 5, "reextract", "terms")[0] == 0
    live.write_text(live.read_text().replace('remove = ["p.note"]', 'remove = ["p.note", "h1"]'))
    code, output = cli(live, 6, "reextract", "terms")
    assert code == 0 and output.splitlines()[-1].startswith("recorded 2 technical versions"), output
    store = Store(load_config(live).store_path)
    timeline = store.versions.list("terms")
    assert [(entry.since[:10], entry.checks) for entry in timeline] == [("2026-05-01", 3), ("2026-05-04", 1)]
    assert "Terms" not in store.versions.read_text("terms", timeline[0].id)
    assert cli(live, 6, "verify")[0] == 0
    code, output = cli(live, 7, "check", "terms")
    assert code == 0 and output.split()[:2] == ["terms", "unchanged"], output
    assert cli(live, 7, "reextract", "terms")[1].splitlines()[-1] == NOTHING


def test_verify_reads_the_readings_as_the_timeline_does(live: Path) -> None:
    """verify derives the timeline from the records by its own implementation: a versions row that reads the
    stored text instead of its re-reading is named."""
    store = Store(load_config(live).store_path)
    stored = store.versions.list("terms")[0].id
    assert cli(live, 5, "reextract", "terms")[0] == 0
    close_all()
    with sqlite3.connect(load_config(live).store_path / "monitor.db") as db:
        db.execute("UPDATE versions SET version = ? WHERE page = 'terms' AND seq = 1", (stored,))
    db.close()
    code, output = cli(live, 5, "verify")
    assert code == 4 and "versions row 1 of page 'terms'" in output, output
    assert f"version '{stored}' but the page's checks make it version '" in output, output
