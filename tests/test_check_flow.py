"""One check, one read, one write: the check's path through the store, counted statement by statement.

A whole `check PAGE` (opening the store, its PRAGMAs, BEGIN and COMMIT included) reads the page's state once,
decides outside any lock, and records everything in one short transaction that is a compare-and-set on the
page's current version. Statements are counted with SQLite's own trace callback on the real database; the
pages are served on loopback and checked through the real CLI.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer

import monitor.store.db as store_db
from monitor.config.loading import load_config
from monitor.models import Outcome
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.store.layout import TEXT_SUFFIX, TEXTS

CLAUSE = "When you share your private messages with AI at Meta, we use them to answer you."
FILLER = "<p>We use the information we have to provide, personalise and improve our Products.</p>" * 6
WATCH = f'\n[[watches]]\nid = "private-processing"\nkind = "clause"\ntext = "{CLAUSE}"\npages = ["terms"]\n'


def page(clause: str) -> str:
    return f"<html><body><main><h1>Terms</h1><p>{clause}</p>{FILLER}</main></body></html>"


class Statements:
    """Every SQL statement the process sends to SQLite, from connections opened while it listens."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, statement: str) -> None:
        with self.lock:
            self.seen.append(statement)


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    """SQLite's trace callback on every connection the store opens (an observer: nothing is replaced)."""
    seen = Statements()
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(seen)
        return conn

    monkeypatch.setattr(store_db.sqlite3, "connect", traced)
    close_all()
    yield seen
    close_all()


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> tuple[Path, dict[str, str]]:
    served = {"text": page(CLAUSE)}
    httpserver.expect_request("/terms").respond_with_handler(
        lambda request: __import__("werkzeug").Response(served["text"], content_type="text/html")
    )
    return write_project(tmp_path, {"terms": httpserver.url_for("/terms")}, extra=WATCH), served


def shape(statement: str) -> str:
    """A statement as the tests read it: its verb and, for a write, its table."""
    match = re.match(
        r"\s*(INSERT(?: OR \w+)? INTO|UPDATE|SELECT|BEGIN IMMEDIATE|COMMIT|PRAGMA)\s*(\w*)", statement
    )
    assert match, statement
    verb, table = match.groups()
    return verb if verb in ("SELECT", "BEGIN IMMEDIATE", "COMMIT") else f"{verb} {table}"


def clock_at(day: int) -> datetime:
    return datetime(2026, 5, day, 6, 0, tzinfo=UTC)


def check(config: Path, day: int, statements: Statements) -> tuple[str, list[str]]:
    close_all()  # a new process: the store is opened afresh
    statements.seen.clear()
    code, output = run_cli(config, lambda: clock_at(day), "check", "terms")
    assert code == 0, output
    return output, list(statements.seen)


def test_an_unchanged_check_of_a_watched_page_is_one_read_and_one_short_write(project, statements) -> None:
    config, _ = project
    check(config, 1, statements)
    output, sent = check(config, 2, statements)
    assert output.split()[:2] == ["terms", "unchanged"]
    assert len(sent) <= 10, "\n".join(sent)
    begin = sent.index("BEGIN IMMEDIATE")
    assert sent[begin + 1 :] == [sent[begin + 1], sent[begin + 2], sent[begin + 3], "COMMIT"]
    assert [s.split()[0] for s in sent[begin + 1 : -1]] == [
        "SELECT",
        "INSERT",
        "UPDATE",
    ]  # head, check, timeline


def test_a_changed_check_of_a_watched_page_writes_everything_in_one_transaction(project, statements) -> None:
    config, served = project
    check(config, 1, statements)
    served["text"] = page(CLAUSE.replace("share your private messages with", "interact with"))
    output, sent = check(config, 2, statements)
    assert output.split()[:2] == ["terms", "changed"] and "1 alert" in output
    assert len(sent) <= 14, "\n".join(sent)
    begin = sent.index("BEGIN IMMEDIATE")
    assert sent[begin - 1] == "PRAGMA synchronous = FULL"  # a version, a baseline and a message: durable
    assert [shape(s) for s in sent[begin:]] == [
        "BEGIN IMMEDIATE",
        "SELECT",  # the page's head: the compare-and-set
        "INSERT INTO checks",
        "UPDATE versions",  # the old version ends
        "INSERT INTO versions",
        "INSERT OR REPLACE INTO baselines",  # the watch's new baseline
        "INSERT OR IGNORE INTO outbox",  # the alert's message
        "COMMIT",
    ]


def test_an_unchanged_check_reads_no_stored_text(project, statements, monkeypatch) -> None:
    config, _ = project
    check(config, 1, statements)
    opened: list[Path] = []
    read_bytes = Path.read_bytes

    def watching(path: Path) -> bytes:
        if path.name.endswith(TEXT_SUFFIX) and path.parent.name == TEXTS:
            opened.append(path)
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", watching)
    output, _ = check(config, 2, statements)
    assert output.split()[:2] == ["terms", "unchanged"] and opened == []


def test_a_writer_that_moves_the_page_meanwhile_makes_the_check_decide_again(
    project, tmp_path: Path, httpserver: HTTPServer, monkeypatch
) -> None:
    """Another writer records a version between this check's decision and its commit: the commit writes
    nothing, the check decides again against the new version, and the history is A, C, B with its chain."""
    config, served = project
    loaded = load_config(config)
    store = Store(loaded.store_path)
    ctx = Context(loaded, store, clock=lambda: clock_at(1), deliver=False)
    terms = loaded.config.pages[0]
    first = check_page(ctx, terms).record.version
    httpserver.expect_request("/other").respond_with_data(
        page("We changed this sentence entirely."), content_type="text/html"
    )
    other = terms.model_copy(update={"url": httpserver.url_for("/other")})
    commit = Store.commit_check
    moved: list[str | None] = []

    def another_writer_first(self: Store, record, *, expected, writes) -> bool:  # noqa: ANN001
        if not moved:  # once: the other writer's own check commits through here too
            moved.append(None)
            moved[0] = check_page(
                Context(loaded, Store(self.root), clock=lambda: clock_at(2)), other
            ).record.version
        return commit(self, record, expected=expected, writes=writes)

    served["text"] = page(CLAUSE.replace("private messages", "messages"))
    monkeypatch.setattr(Store, "commit_check", another_writer_first)
    result = check_page(Context(loaded, store, clock=lambda: clock_at(3), deliver=False), terms)
    assert result.record.outcome == Outcome.CHANGED
    assert result.record.previous == moved[0] != first
    assert [v.id for v in store.versions.list("terms")] == [first, moved[0], result.record.version]
    assert store.verify().ok


def test_the_run_delivers_once_after_its_checks(project, statements) -> None:
    """`check_page` itself sends nothing: the alert waits in the outbox for the run to deliver it."""
    config, served = project
    loaded = load_config(config)
    store = Store(loaded.store_path)
    terms = loaded.config.pages[0]
    check_page(Context(loaded, store, clock=lambda: clock_at(1)), terms)
    served["text"] = page(CLAUSE.replace("share your private messages with", "interact with"))
    result = check_page(Context(loaded, store, clock=lambda: clock_at(2)), terms)
    assert [alert.kind for alert in result.alerts] == ["changed"]
    assert result.message is not None
    entry = store.outbox.get(result.message)
    assert entry is not None and entry.status == "pending" and entry.targets == {}


def test_an_error_nobody_foresaw_in_one_page_fails_that_page_and_the_run_goes_on(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug an input sets off (here injected into extraction, for one page) is that page's failed check,
    named by the error's type, never an exit 70 for every page."""
    import monitor.extract.document as document

    for name in ("policy", "terms"):
        httpserver.expect_request(f"/{name}").respond_with_data(
            page(f"{name}: {CLAUSE}"), content_type="text/html"
        )
    config = write_project(tmp_path, {name: httpserver.url_for(f"/{name}") for name in ("policy", "terms")})
    extract = document.extract_document

    def breaks_on_terms(html: str, **options: object) -> object:
        if "terms:" in html:
            raise LookupError("unknown encoding: hex")
        return extract(html, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(document, "extract_document", breaks_on_terms)
    code, output = run_cli(config, lambda: clock_at(1), "check")
    assert code == 3
    assert [line.split(None, 2)[:2] for line in output.splitlines()] == [
        ["policy", "new"],
        ["terms", "failed"],
    ]
    assert output.splitlines()[1].split(None, 2)[2] == "extraction failed: LookupError: unknown encoding: hex"


def test_the_same_capture_under_the_same_rules_is_unchanged_without_extracting(
    project, statements, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A capture that hashes like the last good one's, under the same rules fingerprint, gives the same text:
    the check says `unchanged` without parsing it. New rules (here a `remove`) make it extract again."""
    import monitor.extract.document as document

    config, _ = project
    check(config, 1, statements)
    extract = document.extract_document
    extracted: list[str] = []

    def counted(html: str, **options: object) -> object:
        extracted.append(html)
        return extract(html, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(document, "extract_document", counted)
    output, _ = check(config, 2, statements)
    assert output.split()[:2] == ["terms", "unchanged"] and extracted == []
    config.write_text(config.read_text().replace('select = ["main"]', 'select = ["main"]\nremove = ["h1"]'))
    output, _ = check(config, 3, statements)
    assert len(extracted) == 1
    records = Store(load_config(config).store_path).checks.list("terms")
    # the new rules first make a technical version (the stored capture re-read under them), then the check
    assert [record.rules is not None for record in records] == [True, True, True, True]
    assert records[0].rules == records[1].rules != records[2].rules
