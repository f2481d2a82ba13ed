"""Adding a part to a combined document (or removing one) changes its rules, not the policy: the check reads
the stored parts of the version in effect again, with the added part read from its own capture (a removed
part drops out), records that as one technical version ("rules changed (parts ...)"), and then compares its
capture with it as usual: `unchanged` when nothing else moved. No alert, no outbox message, no digest news;
the technical version's captures name the parts it was read from."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
import werkzeug
from cli_support import LOOPBACK_FETCH, run_cli, store_of
from pytest_httpserver import HTTPServer

from monitor.models import Outcome
from monitor.store.core import Store
from monitor.store.db import close_all
from monitor.store.records import is_technical

WORDS = "<p>We keep the information you give us only as long as we need it to run the service.</p>" * 3
PARTS = {
    "/one": f"<html><body><main><h1>Part one</h1>{WORDS}</main></body></html>",
    "/two": f"<html><body><main><h2>Part two</h2>{WORDS}</main></body></html>",
    "/three": f"<html><body><main><h2>Part three</h2><p>Your data travels to our partners.</p>{WORDS}</main></body></html>",
}
# A term in the third part: had its text been taken for the policy's, the watch would alert.
WATCH = '\n[[watches]]\nid = "partners"\nkind = "term"\ntext = "our partners"\npages = ["doc"]\n'


@pytest.fixture
def site(httpserver: HTTPServer) -> HTTPServer:
    """The three parts on loopback, each answering 304 to the ETag it gave."""
    for path, body in PARTS.items():

        def answer(request: werkzeug.Request, path: str = path, body: str = body) -> werkzeug.Response:
            tag = f'"{path}"'
            if request.headers.get("If-None-Match") == tag:
                return werkzeug.Response(status=304, headers={"ETag": tag})
            return werkzeug.Response(body, content_type="text/html", headers={"ETag": tag})

        httpserver.expect_request(path).respond_with_handler(answer)
    return httpserver


def write_config(tmp_path: Path, site: HTTPServer, paths: list[str]) -> Path:
    config = tmp_path / "config.toml"
    parts = "".join(f'  {{ url = "{site.url_for(path)}" }},\n' for path in paths)
    config.write_text(
        LOOPBACK_FETCH + f'[[pages]]\nid = "doc"\nselect = "main"\ncombine = [\n{parts}]\n' + WATCH,
        encoding="utf-8",
    )
    return config


def cli(config: Path, day: int, *args: str) -> tuple[int, str]:
    close_all()  # each command a new process: the store is opened afresh
    return run_cli(config, lambda: datetime(2026, 6, day, 8, 0, tzinfo=UTC), *args)


def outbox(store: Store) -> list[tuple[str, str]]:
    with sqlite3.connect(store.db.path) as db:  # every message, delivered or not
        return db.execute("SELECT id, alerts FROM outbox ORDER BY id").fetchall()


@pytest.mark.parametrize(
    ("before", "after"),
    [(["/one", "/two"], ["/one", "/two", "/three"]), (["/one", "/two", "/three"], ["/one", "/three"])],
    ids=["a part added", "a part removed"],
)
def test_adding_or_removing_a_part_is_one_technical_version_never_news(
    tmp_path: Path, site: HTTPServer, before: list[str], after: list[str]
) -> None:
    config = write_config(tmp_path, site, before)
    code, output = cli(config, 1, "check", "doc")
    assert code == 0 and output.split()[:2] == ["doc", "new"], output
    store = store_of(config)
    first = store.versions.list("doc")[0]
    stored = {url: raw for _, url, raw in store.versions.captures("doc", first)}
    messages = outbox(store)

    write_config(tmp_path, site, after)
    code, output = cli(config, 2, "check", "doc")
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output
    code, output = cli(config, 3, "check", "doc")  # every part answers 304 now
    assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output

    store = store_of(config)
    records = store.checks.list("doc")
    assert [(record.outcome, is_technical(record)) for record in records] == [
        (Outcome.NEW, False),
        (Outcome.CHANGED, True),
        (Outcome.UNCHANGED, False),
        (Outcome.UNCHANGED, False),
    ]
    technical = records[1]
    assert (
        technical.source is not None and technical.source["changed"] == f"parts {len(before)} -> {len(after)}"
    )
    assert technical.alerts == [] and outbox(store) == messages  # no alert, no message
    assert [record.outcome for record in store.checks.changes()] == [Outcome.NEW]  # no digest or feed news
    text = store.versions.read_text("doc", "latest")
    assert ("Part three" in text) == ("/three" in after) and ("Part two" in text) == ("/two" in after)

    versions = store.versions.list("doc")
    assert len(versions) == 2 and versions[-1].id == technical.version == records[-1].version
    captures = store.versions.captures("doc", versions[-1])
    assert [(number, url) for number, url, _ in captures] == [
        (number, site.url_for(path)) for number, path in enumerate(after, 1)
    ]
    for _, url, raw in captures:  # the stored parts where there were some, the added part as fetched
        assert raw == stored.get(url, raw)
        assert store.blobs.read_raw_blob("doc", raw).decode() in PARTS.values()
    assert cli(config, 3, "verify")[0] == 0


def test_a_part_added_while_another_part_changed_gives_exactly_the_other_part_s_change(
    tmp_path: Path, site: HTTPServer, httpserver: HTTPServer
) -> None:
    """The technical version is the stored parts plus the new part under today's rules, so what the check then
    finds is the change of the part that moved, and only that."""
    config = write_config(tmp_path, site, ["/one", "/two"])
    assert cli(config, 1, "check", "doc")[0] == 0
    reworded = PARTS["/two"].replace("<h2>Part two</h2>", "<h2>Part two, reworded</h2>")
    httpserver.clear()
    for path, body in {**PARTS, "/two": reworded}.items():
        httpserver.expect_request(path).respond_with_data(body, content_type="text/html")
    write_config(tmp_path, site, ["/one", "/two", "/three"])
    code, output = cli(config, 2, "check", "doc")
    assert code == 0 and output.split()[:2] == ["doc", "changed"], output

    store = store_of(config)
    records = store.checks.list("doc")
    assert [(record.outcome, is_technical(record)) for record in records] == [
        (Outcome.NEW, False),
        (Outcome.CHANGED, True),
        (Outcome.CHANGED, False),
    ]
    change = records[-1]
    # the watched term came with the added part (the rules' change), not with the change of part two
    assert change.alerts == [] and change.changes, change
    code, output = cli(config, 2, "diff", "doc", "previous", "latest", "--format", "text")
    assert code == 1 and "reworded" in output and "our partners" not in output, output


def test_a_declaration_that_adds_a_part_is_a_rules_change_too(tmp_path: Path) -> None:
    """The Llama API Terms of Service (four combined pages, the shared OTA corpus, served on loopback): its
    declaration followed with three parts, then a `git pull` brings the fourth."""
    import json

    from test_combine import CASE, setup

    if not CASE.is_dir():
        pytest.skip("the shared OTA corpus is not here")
    server = HTTPServer()
    server.start()
    try:
        config, _ = setup(server, tmp_path)
        [file] = (tmp_path / "checkout" / "declarations").glob("*.json")
        declaration = json.loads(file.read_text(encoding="utf-8"))
        case = json.loads((CASE / "case.json").read_text(encoding="utf-8"))
        terms = declaration["terms"][case["terms"]]
        every = list(terms["combine"])
        terms["combine"] = every[:3]
        file.write_text(json.dumps(declaration), encoding="utf-8")
        code, output = cli(config, 1, "check", "doc")
        assert code == 0 and output.split()[:2] == ["doc", "new"], output
        terms["combine"] = every
        file.write_text(json.dumps(declaration), encoding="utf-8")
        code, output = cli(config, 2, "check", "doc")
        assert code == 0 and output.split()[:2] == ["doc", "unchanged"], output
    finally:
        server.clear()
        server.stop()
    store = store_of(config)
    records = store.checks.list("doc")
    assert [(record.outcome, is_technical(record)) for record in records] == [
        (Outcome.NEW, False),
        (Outcome.CHANGED, True),
        (Outcome.UNCHANGED, False),
    ]
    assert [record.outcome for record in store.checks.changes()] == [Outcome.NEW]
    latest = store.versions.list("doc")[-1]
    assert [url for _, url, _ in store.versions.captures("doc", latest)] == [part["fetch"] for part in every]
    assert cli(config, 2, "verify")[0] == 0
