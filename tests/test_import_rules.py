"""An imported capture carries the rules fingerprint a live check computes under the same rules, filters included,
so the first live check after an import with the same bytes reads nothing again: no technical version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, store_of
from pytest_httpserver import HTTPServer
from test_filters import PAGE, project

from monitor.store.records import is_technical

pytestmark = pytest.mark.browser


def clock() -> datetime:
    return datetime(2026, 4, 1, 8, 0, tzinfo=UTC)


def test_a_live_check_of_the_imported_capture_takes_the_imported_fingerprint(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    history = tmp_path / "history"
    history.mkdir()
    (history / "2026-03-01.html").write_text(PAGE, encoding="utf-8")
    httpserver.expect_request("/terms").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    config = project(tmp_path, httpserver.url_for("/terms"), ["removePromo"])
    code, output = run_cli(config, clock, "import", "terms", str(history))
    assert (code, output.splitlines()[-1]) == (0, "1 version imported, 0 merged, 0 failed"), output

    code, output = run_cli(config, clock, "check", "--json")

    assert (code, json.loads(output)["outcome"]) == (0, "unchanged"), output
    store = store_of(config)
    imported, live = store.checks.list("terms")
    assert imported.rules == live.rules and not is_technical(live)
    assert [entry.rules for entry in store.versions.list("terms")] == [live.rules]
    assert "Download our app" not in store.versions.read_text(
        "terms", "latest"
    )  # the filter ran on the import too
