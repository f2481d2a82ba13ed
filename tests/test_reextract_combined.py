"""`reextract` of a combined document (`combine` in config.toml): each version's stored parts are read again,
each under its part's rules now, as a live rule change reads them, so the document's history is re-read as a
single page's is, in the dry run and when recorded.

The document is two pages on loopback, checked on three days; its second part's note line changed between the
first and the second day (nothing else did). Then `remove = [".note"]` is added to that part's rules: the
change of the second day was the rules', and the two first versions become one."""

from __future__ import annotations

import gzip
import sqlite3
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import werkzeug
from cli_support import LOOPBACK_FETCH, run_cli
from pytest_httpserver import HTTPServer

from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.store.records import is_technical

WORDS = "<p>We keep the information you give us only as long as we need it to run the service.</p>" * 4
ONE = f"<html><body><main><h1>Part one</h1>{WORDS}</main></body></html>"
NOTHING = "recorded nothing: every stored version already reads as today's rules read it"
# A term watch on the note's second wording: it fired live on 2 June, and never would under today's rules.
WATCH = '\n[[watches]]\nid = "june-note"\nkind = "term"\ntext = "2 June"\npages = ["doc"]\n'


def two(note: str) -> str:
    return f"<html><body><main><h2>Part two</h2>{WORDS}<p class='note'>{note}</p></main></body></html>"


def on(day: int) -> Callable[[], datetime]:
    return lambda: datetime(2026, 6, day, 8, 0, tzinfo=UTC)


def cli(config: Path, day: int, *args: str) -> tuple[int, str]:
    close_all()  # each command a new process: the store is opened afresh
    return run_cli(config, on(day), *args)


def outbox(config: Path) -> list[tuple[str, ...]]:
    with sqlite3.connect(load_config(config).store_path / "monitor.db") as db:
        return db.execute("SELECT id, status, alerts FROM outbox ORDER BY id").fetchall()


@pytest.fixture
def combined(tmp_path: Path, httpserver: HTTPServer) -> Path:
    """Checked on 1, 2 and 3 June (the note of part two reworded on the 2nd), then the note removed by the
    part's rules."""
    served = {"/one": ONE, "/two": two("Updated 1 June.")}
    for path in served:
        httpserver.expect_request(path).respond_with_handler(
            lambda _, path=path: werkzeug.Response(served[path], content_type="text/html")
        )
    config = tmp_path / "config.toml"
    config.write_text(
        LOOPBACK_FETCH
        + '[[pages]]\nid = "doc"\nselect = "main"\ncombine = [\n'
        + f'  {{ url = "{httpserver.url_for("/one")}" }},\n'
        + f'  {{ url = "{httpserver.url_for("/two")}" }},\n]\n'
        + WATCH,
        encoding="utf-8",
    )
    for day, outcome in ((1, "new"), (2, "changed"), (3, "unchanged")):
        if day == 2:
            served["/two"] = two("Updated 2 June.")
        code, output = cli(config, day, "check", "doc")
        assert code == 0 and output.split()[:2] == ["doc", outcome], output
    part = f'{{ url = "{httpserver.url_for("/two")}" }}'
    config.write_text(config.read_text().replace(part, part[:-2] + ', remove = [".note"] }'))
    return config


def test_the_dry_run_reads_the_stored_parts_again_and_lists_the_merge(combined: Path) -> None:
    store_file = load_config(combined).store_path / "monitor.db"
    close_all()  # the last check's writes in the file itself
    before = store_file.read_bytes()
    code, output = cli(combined, 4, "reextract", "doc", "--dry-run")
    assert code == 0, output
    assert "no stored capture" not in output, output
    assert "merge: 2026-06-01 08:00 UTC and 2026-06-02 08:00 UTC would be the same version" in output, output
    assert "alert june-note (appeared) of 2026-06-02 08:00 UTC would have stayed silent" in output, output
    assert output.splitlines()[-2:] == [
        "2 of 2 stored versions read otherwise, 1 merge, 1 alerts silent, 0 would fire",
        "dry run: nothing written",
    ]
    assert store_file.read_bytes() == before


def test_reextract_records_the_merge_and_history_shows_one_version(combined: Path) -> None:
    store = Store(load_config(combined).store_path)
    records, queued = store.checks.list("doc"), outbox(combined)
    code, output = cli(combined, 4, "reextract", "doc")
    assert code == 0, output
    assert output.splitlines()[-1] == (
        "recorded 2 technical versions (rules changed), 1 merge: the history reads as today's rules read it;"
        " no alert, no news"
    )
    after = store.checks.list("doc")
    assert [r.to_json() for r in after if not is_technical(r)] == [r.to_json() for r in records]
    assert [str(r.outcome) for r in after if is_technical(r)] == ["new", "unchanged"]
    assert all(r.alerts == [] for r in after if is_technical(r))
    assert outbox(combined) == queued and store.checks.changes()[-1] == records[1]  # nothing news

    timeline = store.versions.list("doc")
    assert [(entry.since[:10], entry.checks) for entry in timeline] == [("2026-06-01", 3)]
    text = store.versions.read_text("doc", timeline[0].id)
    assert "Part one" in text and "Part two" in text and "Updated" not in text
    code, output = cli(combined, 4, "history", "doc")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[1].split()[0] == timeline[0].id[:12] and len(lines) == 3, output
    assert lines[2].startswith("  rules changed (") and "first version" in lines[2], output

    code, output = cli(combined, 4, "reextract", "doc")
    assert (code, output.splitlines()[-1]) == (0, NOTHING), output
    assert len(store.checks.list("doc")) == len(after) and outbox(combined) == queued


def test_after_reextract_the_next_check_reads_todays_rules(combined: Path) -> None:
    assert cli(combined, 4, "reextract", "doc")[0] == 0
    code, output = cli(combined, 5, "check", "doc")
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output


def test_verify_is_clean_before_and_after_reextract(combined: Path) -> None:
    code, output = cli(combined, 4, "verify")
    assert code == 0, output
    assert cli(combined, 4, "reextract", "doc")[0] == 0
    code, output = cli(combined, 5, "verify")
    assert code == 0, output


def test_a_second_rule_change_reads_the_first_reextract_s_readings_again(combined: Path) -> None:
    assert cli(combined, 4, "reextract", "doc")[0] == 0
    combined.write_text(combined.read_text().replace('remove = [".note"]', 'remove = [".note", "h2"]'))
    code, output = cli(combined, 5, "reextract", "doc", "--dry-run")
    assert code == 0 and "no stored capture" not in output, output
    code, output = cli(combined, 5, "reextract", "doc")
    assert code == 0 and output.splitlines()[-1].startswith("recorded 1 technical version"), output
    store = Store(load_config(combined).store_path)
    timeline = store.versions.list("doc")
    assert len(timeline) == 1 and "Part two" not in store.versions.read_text("doc", timeline[0].id)


def test_the_export_of_a_re_read_version_holds_one_response_per_part(combined: Path, tmp_path: Path) -> None:
    assert cli(combined, 4, "reextract", "doc")[0] == 0
    bundle = tmp_path / "doc.zip"
    code, output = cli(combined, 4, "export", "doc", "--at", "2026-06-02", "--out", str(bundle))
    assert code == 0, output
    warc = gzip.decompress(zipfile.ZipFile(bundle).read("capture.warc.gz"))
    assert warc.count(b"WARC-Type: response") == 2
