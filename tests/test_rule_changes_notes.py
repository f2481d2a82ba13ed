"""What a check says when the rules changed: a rule change that reads the stored capture the same still says so,
once, and a rule is named as config.toml writes it (a range as an inline table, never a Python dict).

Each test serves a page on loopback, checks it through the real CLI into a real store, edits config.toml, and
checks again (see test_rule_changes.py for the technical versions themselves)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from test_rule_changes import check, edit, project, store_of

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
