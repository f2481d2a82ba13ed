"""What a check says when the rules changed: a rule change that reads the stored capture the same still says so,
once, and a rule is named as config.toml writes it (a range as an inline table, never a Python dict).

Each test serves a page on loopback, checks it through the real CLI into a real store, edits config.toml, and
checks again (see test_rule_changes.py for the technical versions themselves)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, store_of, write_project
from pytest_httpserver import HTTPServer
from test_rule_changes import CLAUSE, REWORDED, check, edit, page, project

from monitor.store.db import close_all
from monitor.store.records import is_technical, rules_note

SAME_TEXT = "rules changed (min_words 30 -> 40): the stored capture reads the same under them"


@pytest.mark.parametrize("etag", [True, False], ids=["answering-304", "without-validators"])
def test_a_rule_change_that_reads_the_same_is_said_once_and_makes_no_version(
    tmp_path: Path, httpserver: HTTPServer, etag: bool
) -> None:
    config, _ = project(tmp_path, httpserver, etag=etag)
    check(config, 1)
    edit(config, "[fetch]", "[quality]\nmin_words = 40\n\n[fetch]")
    assert SAME_TEXT in check(config, 2)
    assert SAME_TEXT not in check(config, 3)  # the version now carries the new fingerprint
    records = store_of(config).checks.list("terms")
    assert [(str(r.outcome), r.reason) for r in records] == [
        ("new", None),
        ("unchanged", SAME_TEXT),
        ("unchanged", None),
    ]
    assert not any(is_technical(r) for r in records)


def test_a_range_is_named_as_config_toml_writes_it(tmp_path: Path, httpserver: HTTPServer) -> None:
    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    edit(config, 'select = ["main"]', 'select = [{ start_after = "p.note", end_after = "main" }]')
    assert check(config, 2).split()[:2] == ["terms", "unchanged"]
    technical = [r for r in store_of(config).checks.list("terms") if is_technical(r)]
    assert len(technical) == 1
    assert rules_note(technical[0]) == (
        'rules changed (select main -> { start_after = "p.note", end_after = "main" })'
    )


def test_a_rebuilt_timeline_keeps_the_fingerprint_so_the_rule_change_is_still_said_once(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The first version carries a draft line the second does not; `remove = ["p.draft"]` reads the second the
    same (said once, and marked on it) but the first otherwise, so `reextract` records a re-reading of the first
    and rebuilds the timeline: the second version keeps the mark, so neither the re-reading nor the next
    check says the rule change again."""
    config, served = project(tmp_path, httpserver, etag=False)
    served["text"] = page(CLAUSE).replace(
        "<h1>Terms</h1>", "<h1>Terms</h1><p class='draft'>Draft for review.</p>"
    )
    check(config, 1)
    served["text"] = page(REWORDED)
    assert check(config, 2).split()[:2] == ["terms", "changed"]
    edit(config, 'select = ["main"]', 'select = ["main"]\nremove = ["p.draft"]')
    assert "the stored capture reads the same under them" in check(config, 3)
    close_all()
    code, output = run_cli(config, lambda: datetime(2026, 5, 4, 6, 0, tzinfo=UTC), "reextract", "terms")
    assert code == 0 and "recorded nothing" not in output, output
    assert "rules changed" not in check(config, 5)
    store = store_of(config)
    records = store.checks.list("terms")
    assert [r.reason for r in records if r.reason and "rules changed" in r.reason] == [
        "rules changed (remove none -> p.draft): the stored capture reads the same under them"
    ]
    # the version in effect carries today's fingerprint: later checks compare fingerprints and read no text
    assert store.versions.list("terms")[-1].rules == records[-1].rules
    assert store.verify().problems == []


def test_a_low_coverage_warning_repeats_but_the_rules_note_beside_it_is_said_once(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """A `select` of the whole body leaves its navigation out but counts its words: every check warns of low
    coverage, and the rule change that reads the same is said on the one check that found it."""
    menu = "<nav>" + " ".join(f"<a href='/{n}'>Topic {n}</a>" for n in range(60)) + "</nav>"
    httpserver.expect_request("/terms").respond_with_data(
        page(CLAUSE).replace("<main>", menu + "<main>"), content_type="text/html"
    )
    config = write_project(tmp_path, {"terms": httpserver.url_for("/terms")}, select="body")
    check(config, 1)
    edit(config, "[fetch]", "[quality]\nmin_words = 40\n\n[fetch]")
    check(config, 2)
    check(config, 3)
    check(config, 4)
    reasons = [r.reason or "" for r in store_of(config).checks.list("terms")]
    assert all(reason.startswith("low coverage: ") for reason in reasons), reasons
    assert [SAME_TEXT in reason for reason in reasons] == [False, True, False, False]
