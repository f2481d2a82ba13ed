"""Change the rules, not the record: a new `select`, `remove` or extractor is a technical version, never news.

Each test serves a page on loopback (one answering 304 to a conditional request, one without validators),
checks it through the real CLI into a real store, edits the rules, and checks again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import werkzeug
from cli_support import run_cli, store_of, write_project
from pytest_httpserver import HTTPServer

from monitor.config.loading import load_config
from monitor.models import Outcome
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.store.records import is_technical

CLAUSE = "When you share your private messages with AI at Meta, we use them to answer you."
REWORDED = CLAUSE.replace("share your private messages with", "interact with")
FILLER = "<p>We use the information we have to provide, personalise and improve our Products.</p>" * 6
WATCH = f'\n[[watches]]\nid = "private-processing"\nkind = "clause"\ntext = "{CLAUSE}"\npages = ["terms"]\n'


def page(clause: str) -> str:
    return (
        "<html><body><main><h1>Terms</h1><p class='note'>Updated for our partners.</p>"
        f"<p>{clause}</p>{FILLER}</main></body></html>"
    )


def serve(httpserver: HTTPServer, served: dict[str, str], *, etag: bool) -> None:
    """The page at /terms; with `etag`, a 304 to a request that names the current ETag."""

    def handler(request: werkzeug.Request) -> werkzeug.Response:
        tag = '"' + hashlib.sha256(served["text"].encode()).hexdigest()[:16] + '"'
        if etag and request.headers.get("If-None-Match") == tag:
            return werkzeug.Response(status=304, headers={"ETag": tag})
        headers = {"ETag": tag} if etag else {}
        return werkzeug.Response(served["text"], content_type="text/html", headers=headers)

    httpserver.expect_request("/terms").respond_with_handler(handler)


def project(folder: Path, httpserver: HTTPServer, *, etag: bool) -> tuple[Path, dict[str, str]]:
    folder.mkdir(exist_ok=True)
    served = {"text": page(CLAUSE)}
    serve(httpserver, served, etag=etag)
    return write_project(folder, {"terms": httpserver.url_for("/terms")}, extra=WATCH), served


def check(config: Path, day: int, *, exit_code: int = 0) -> str:
    close_all()  # a new process: the store is opened afresh
    code, output = run_cli(config, lambda: datetime(2026, 5, day, 6, 0, tzinfo=UTC), "check", "terms")
    assert code == exit_code, output
    return output


def edit(config: Path, old: str, new: str) -> None:
    config.write_text(config.read_text().replace(old, new, 1))


def alerts(store: Store) -> list[tuple[str, str]]:
    with sqlite3.connect(store.db.path) as db:  # every message, delivered or not, as anyone can read it
        rows = db.execute("SELECT alerts FROM outbox ORDER BY queued").fetchall()
    import json

    return [(alert["watch"], alert["kind"]) for (data,) in rows for alert in json.loads(data)]


REMOVE_NOTE = ('select = ["main"]', 'select = ["main"]\nremove = ["p.note"]')
NARROWER_SELECT = ('select = ["main"]', 'select = ["main > p"]')


@pytest.mark.parametrize("etag", [True, False], ids=["answering-304", "without-validators"])
@pytest.mark.parametrize("rules", [REMOVE_NOTE, NARROWER_SELECT], ids=["remove", "select"])
def test_a_rule_change_is_one_technical_version_without_alert_or_news(
    tmp_path: Path, httpserver: HTTPServer, etag: bool, rules: tuple[str, str]
) -> None:
    config, _ = project(tmp_path, httpserver, etag=etag)
    assert check(config, 1).split()[:2] == ["terms", "new"]
    edit(config, *rules)
    assert check(config, 2).split()[:2] == ["terms", "unchanged"]
    assert check(config, 3).split()[:2] == ["terms", "unchanged"]
    store = store_of(config)
    records = store.checks.list("terms")
    assert [(str(r.outcome), is_technical(r)) for r in records] == [
        ("new", False),
        ("changed", True),
        ("unchanged", False),
        ("unchanged", False),
    ]
    technical = records[1]
    assert technical.alerts == [] and technical.raw_sha256 == records[0].raw_sha256
    assert (
        technical.source is not None
        and rules[1].split("\n")[-1].split(" = ")[0] in technical.source["changed"]
    )
    assert (
        len(store.versions.list("terms")) == 2 and store.versions.list("terms")[-1].id == records[-1].version
    )
    assert [r.outcome for r in store.checks.changes()] == [Outcome.NEW]  # the digest's and the feed's news
    assert alerts(store) == []
    assert store.verify().problems == []  # the timeline is the one its records make


def test_the_new_fingerprint_is_written_once_so_later_checks_read_no_stored_text(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    edit(config, *REMOVE_NOTE)
    check(config, 2)
    from monitor.store.versions import Versions

    read: list[str] = []
    real = Versions.read_raw

    def counted(self: Versions, page_id: str, version: object) -> bytes | None:
        read.append(page_id)
        return real(self, page_id, version)  # type: ignore[arg-type]

    monkeypatch.setattr(Versions, "read_raw", counted)
    assert check(config, 3).split()[:2] == ["terms", "unchanged"]
    assert read == []
    store = store_of(config)
    assert store.versions.list("terms")[-1].rules == store.checks.list("terms")[-1].rules


def test_a_real_change_with_a_rule_change_gives_exactly_the_real_changes_alerts(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """The same reword of the watched clause, once alone and once together with a new `remove`."""
    outcomes = {}
    for name, rules in (("alone", None), ("with-rules", REMOVE_NOTE)):
        config, served = project(tmp_path / name, httpserver, etag=False)
        check(config, 1)
        served["text"] = page(REWORDED)
        if rules:
            edit(config, *rules)
        assert check(config, 2).split()[:2] == ["terms", "changed"]
        store = store_of(config)
        last = store.checks.list("terms")[-1]
        outcomes[name] = (alerts(store), last.changes.get("by_class"))
        httpserver.clear()
    assert outcomes["alone"][0] and outcomes["alone"] == outcomes["with-rules"]


def test_an_extractor_that_reads_the_same_text_makes_no_technical_version(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.extract.rules as rules

    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    monkeypatch.setattr(rules, "EXTRACTION_VERSION", rules.EXTRACTION_VERSION + 1)
    rules.extractor.cache_clear()
    try:
        assert check(config, 2).split()[:2] == ["terms", "unchanged"]
        store = store_of(config)
        assert [is_technical(r) for r in store.checks.list("terms")] == [False, False]
        assert store.versions.list("terms")[-1].rules == store.checks.list("terms")[-1].rules
    finally:
        monkeypatch.undo()
        rules.extractor.cache_clear()


def test_an_extractor_that_reads_otherwise_is_one_technical_version_without_alert(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new extraction (here: one that leaves out the note) under a bumped EXTRACTION_VERSION."""
    import monitor.extract.document as document
    import monitor.extract.rules as rules

    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    extract: Callable[..., object] = document.extract_document

    def newer(html: str, **options: object) -> object:
        return extract(html.replace("<p class='note'>Updated for our partners.</p>", ""), **options)

    monkeypatch.setattr(document, "extract_document", newer)
    monkeypatch.setattr(rules, "EXTRACTION_VERSION", rules.EXTRACTION_VERSION + 1)
    rules.extractor.cache_clear()
    try:
        assert check(config, 2).split()[:2] == ["terms", "unchanged"]
        store = store_of(config)
        records = store.checks.list("terms")
        assert [is_technical(r) for r in records] == [False, True, False]
        assert records[1].source is not None and "extractor" in records[1].source["changed"]
        assert alerts(store) == []
    finally:
        monkeypatch.undo()
        rules.extractor.cache_clear()


def test_a_store_from_before_fingerprints_takes_todays_rules_without_a_technical_version(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    store = store_of(config)
    with sqlite3.connect(store.db.path) as conn:
        conn.execute("UPDATE versions SET rules = NULL")
    conn.close()
    edit(config, *REMOVE_NOTE)  # whatever the rules were, a version without a fingerprint was made by today's
    assert check(config, 2).split()[:2] == ["terms", "unchanged"]
    store = store_of(config)
    assert [is_technical(r) for r in store.checks.list("terms")] == [False, False]
    assert store.versions.list("terms")[-1].rules == store.checks.list("terms")[-1].rules


def test_a_rule_change_that_breaks_extraction_fails_the_check_of_a_304_page(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    edit(config, 'select = ["main"]', 'select = ["#nowhere"]')
    output = check(config, 2, exit_code=3)  # ExitStatus.PAGE_FAILED, as any failed check
    assert output.split()[:2] == ["terms", "failed"], output
    store = store_of(config)
    records = store.checks.list("terms")
    assert [str(r.outcome) for r in records] == ["new", "failed"]
    assert records[-1].reason is not None and records[-1].reason.startswith(
        "rules changed (select main -> #nowhere)"
    )
    assert len(store.versions.list("terms")) == 1


def test_a_version_without_its_raw_capture_gets_a_note(tmp_path: Path, httpserver: HTTPServer) -> None:
    config, _ = project(tmp_path, httpserver, etag=False)
    check(config, 1)
    store = store_of(config)
    with sqlite3.connect(store.db.path) as conn:
        conn.execute("UPDATE versions SET raw_sha256 = NULL")  # as a version imported from text is stored
    conn.close()
    edit(config, *REMOVE_NOTE)
    check(config, 2)
    records = store_of(config).checks.list("terms")
    assert not any(is_technical(r) for r in records)
    assert records[-1].reason is not None and "has no stored capture to extract again" in records[-1].reason


def test_history_and_the_report_mark_a_technical_version_rules_changed(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    config, _ = project(tmp_path, httpserver, etag=True)
    check(config, 1)
    edit(config, *REMOVE_NOTE)
    check(config, 2)
    close_all()
    code, output = run_cli(config, lambda: datetime(2026, 5, 3, tzinfo=UTC), "history", "terms")
    assert code == 0, output
    assert "  rules changed (remove none -> p.note): 1 substantive change" in output.splitlines(), output
    code, output = run_cli(config, lambda: datetime(2026, 5, 3, tzinfo=UTC), "history", "terms", "--checks")
    assert [line.split("  ")[1:2] for line in output.splitlines()][1] == ["changed"]
    assert "rules changed (remove none -> p.note)" in output.splitlines()[1]
    from monitor.report.model import page_model

    model = page_model(store_of(config), load_config(config).config.pages[0])
    assert [change.line.split(":")[0] for change in model.changes] == [
        "rules changed (remove none -> p.note)"
    ]
    assert model.versions[1].change == model.changes[0].file
    code, output = run_cli(
        config, lambda: datetime(2026, 5, 3, tzinfo=UTC), "diff", "terms", "previous", "latest"
    )
    assert code == 1 and output.splitlines()[1].endswith("· rules changed (remove none -> p.note)"), output


def test_editing_the_declaration_a_page_follows_is_one_technical_version(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    """A `git pull` that changes a declaration's `remove` changes the page's rules as an edit of config.toml
    does: one technical version, no alert, no news."""
    import json

    served = {"text": page(CLAUSE)}
    serve(httpserver, served, etag=True)
    declarations = tmp_path / "checkout" / "declarations"
    declarations.mkdir(parents=True)
    declaration = {
        "name": "Example",
        "terms": {"Terms of Service": {"fetch": httpserver.url_for("/terms"), "select": "main"}},
    }
    (declarations / "Example.json").write_text(json.dumps(declaration))
    config = tmp_path / "config.toml"
    config.write_text(
        '[fetch]\nretries = 0\ntimeout = 5\n\n[[pages]]\nid = "terms"\n'
        f'declaration = {{ path = "{tmp_path / "checkout"}", service = "Example", terms = "Terms of Service" }}\n'
        + WATCH
    )
    assert check(config, 1).split()[:2] == ["terms", "new"]
    declaration["terms"]["Terms of Service"]["remove"] = "p.note"
    (declarations / "Example.json").write_text(json.dumps(declaration))
    assert check(config, 2).split()[:2] == ["terms", "unchanged"]
    store = store_of(config)
    assert [(str(r.outcome), is_technical(r)) for r in store.checks.list("terms")] == [
        ("new", False),
        ("changed", True),
        ("unchanged", False),
    ]
    assert "Updated for our partners" not in store.versions.read_text("terms", "latest")
    assert alerts(store) == [] and [r.outcome for r in store.checks.changes()] == [Outcome.NEW]


def test_a_declaration_s_filters_and_their_script_are_part_of_the_rules(tmp_path: Path) -> None:
    """A filter added to a declaration, or its script edited, changes the rules a page's text is made under,
    so the next check re-reads the stored capture under them instead of taking a byte-identical capture as
    unchanged."""
    import json

    from monitor.extract.rules import fingerprint_of
    from monitor.pipeline.capture import Context
    from monitor.pipeline.fingerprint import rule_parts_now

    declarations = tmp_path / "checkout" / "declarations"
    declarations.mkdir(parents=True)
    terms = {"fetch": "https://example.org/terms", "select": "main"}
    (declarations / "Example.json").write_text(
        json.dumps({"name": "Example", "terms": {"Terms of Service": terms}})
    )
    config = tmp_path / "config.toml"
    config.write_text(
        '[[pages]]\nid = "terms"\n'
        f'declaration = {{ path = "{tmp_path / "checkout"}", service = "Example", terms = "Terms of Service" }}\n'
    )

    def fingerprint() -> str:
        loaded = load_config(config)
        return fingerprint_of(
            rule_parts_now(Context(loaded, Store(tmp_path / "store")), loaded.config.pages[0])
        )

    plain = fingerprint()
    terms["filter"] = ["dropBanner"]
    (declarations / "Example.json").write_text(
        json.dumps({"name": "Example", "terms": {"Terms of Service": terms}})
    )
    script = declarations / "Example.filters.js"
    script.write_text(
        "export function dropBanner(document) { document.querySelector('.banner')?.remove(); }\n"
    )
    filtered = fingerprint()
    script.write_text(
        "export function dropBanner(document) { document.querySelector('.notice')?.remove(); }\n"
    )
    edited = fingerprint()
    assert len({plain, filtered, edited}) == 3


def test_a_check_under_new_rules_works_them_out_once(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rules change is told from the parts the check fingerprinted, not from a second reading of them."""
    import monitor.pipeline.fingerprint as fingerprint

    config, _ = project(tmp_path, httpserver, etag=False)
    check(config, 1)
    edit(config, *REMOVE_NOTE)
    worked_out: list[str] = []
    real = fingerprint.rule_parts_now

    def counted(ctx: object, page: object) -> dict[str, object]:
        worked_out.append(getattr(page, "id", ""))
        return real(ctx, page)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprint, "rule_parts_now", counted)
    assert check(config, 2).split()[:2] == ["terms", "unchanged"]
    assert worked_out == ["terms"]
    assert [is_technical(r) for r in store_of(config).checks.list("terms")] == [False, True, False]
