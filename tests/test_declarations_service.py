"""A running service follows its declarations: each check reads a declaration page's declaration again, once,
so a `git pull` in the checkout changes the page's URL and rules at its next check, without a restart; and a
declaration a pull broke, then mended, fails only the checks in between. Real service ticks on a simulated
clock, the pages served on loopback, the declaration a file the test rewrites between two ticks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config, utc

from monitor.models import Outcome
from monitor.pipeline.check import Context
from monitor.service.runner import Service
from monitor.store.core import Store

FILLER = "<p>We keep the information you give us only as long as we need it to run the service.</p>" * 4
OLD = f"<html><body><nav>Menu</nav><div id='terms'><h1>Terms</h1>{FILLER}</div></body></html>"
NEW = (
    f"<html><body><nav>Menu</nav><div id='terms'><h1>Terms</h1>{FILLER}"
    "<p>We now also use your posts to train our models.</p></div></body></html>"
)


@pytest.fixture
def server() -> Iterator[HTTPServer]:
    server = HTTPServer()
    server.start()
    server.expect_request("/terms").respond_with_data(OLD, content_type="text/html")
    server.expect_request("/terms-2026").respond_with_data(NEW, content_type="text/html")
    yield server
    server.clear()
    server.stop()


def declare(folder: Path, terms: dict[str, object] | str) -> Path:
    """`folder/declarations/Example.json` declaring `terms` as its Terms of Service (or the raw text given)."""
    file = folder / "declarations" / "Example.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    text = (
        terms
        if isinstance(terms, str)
        else json.dumps({"name": "Example", "terms": {"Terms of Service": terms}})
    )
    file.write_text(text, encoding="utf-8")
    return file


def start(checkout: Path, tmp_path: Path, clock: FakeClock) -> Service:
    """What `privacy-monitor run` builds for one page following the checkout's declaration."""
    config = make_config(
        [
            {
                "id": "terms",
                "declaration": {"path": str(checkout), "service": "Example", "terms": "Terms of Service"},
            }
        ],
        fetch={"retries": 0, "timeout": 5, "per_host_min_gap": 0},
        service={"default_schedule": "every 12h", "jitter": "0s"},
    )
    store = Store(tmp_path / "store", clock=clock)
    return Service(Context(loaded(config, tmp_path), store, clock=clock))


class Reads:
    """Which files `Path.read_text` read (an observer: every read still happens)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[Path] = []
        read_text = Path.read_text

        def counted(path: Path, *args: object, **kwargs: object) -> str:
            self.files.append(path)
            return read_text(path, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(Path, "read_text", counted)


def test_a_pull_that_moves_the_url_and_the_rules_is_followed_at_the_next_tick_reading_the_file_once(
    server: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    file = declare(checkout, {"fetch": server.url_for("/terms"), "select": "#terms"})
    clock = FakeClock(utc("2026-05-01 08:00"))
    service = start(checkout, tmp_path, clock)
    [first] = service.tick().checked
    assert first.record.outcome == Outcome.NEW and first.record.url == server.url_for("/terms")

    # a `git pull`: the document moved, and the rules now keep the heading out
    declare(checkout, {"fetch": server.url_for("/terms-2026"), "select": "#terms", "remove": "h1"})
    reads = Reads(monkeypatch)
    clock.advance(hours=12)
    [second] = service.tick().checked
    assert second.record.url == server.url_for("/terms-2026")
    assert [request.path for request, _ in server.log][-1] == "/terms-2026"
    assert second.record.version is not None and second.record.rules != first.record.rules
    text = service.store.versions.read_text("terms", second.record.version)
    assert "train our models" in text and "# Terms" not in text and "Menu" not in text
    assert reads.files.count(file) == 1  # the declaration, read once for the whole check

    import monitor.extract.rules as rules

    made: list[object] = []
    rule_parts = rules.rule_parts
    monkeypatch.setattr(rules, "rule_parts", lambda *a, **k: made.append(a) or rule_parts(*a, **k))
    clock.advance(hours=12)
    [third] = service.tick().checked
    assert third.record.outcome == Outcome.UNCHANGED
    assert reads.files.count(file) == 2 and len(made) == 1  # once each for the whole check


def test_a_declaration_broken_by_a_pull_fails_its_checks_until_a_pull_mends_it(
    server: HTTPServer, tmp_path: Path
) -> None:
    checkout = tmp_path / "checkout"
    file = declare(checkout, "{ not json")
    clock = FakeClock(utc("2026-05-01 08:00"))
    service = start(checkout, tmp_path, clock)  # the service starts on the broken declaration
    [first] = service.tick().checked
    assert first.record.outcome == Outcome.FAILED
    assert (
        first.record.reason
        == f"{file}: not valid JSON: line 1: Expecting property name enclosed in double quotes"
    )

    declare(checkout, {"fetch": server.url_for("/terms"), "select": "#terms"})  # mended, no restart
    clock.advance(hours=12)
    [second] = service.tick().checked
    assert second.record.outcome == Outcome.NEW and second.record.url == server.url_for("/terms")

    declare(checkout, {"select": "#terms"})  # broken again: no fetch URL
    clock.advance(hours=12)
    [third] = service.tick().checked
    assert third.record.outcome == Outcome.FAILED
    assert third.record.reason == f"{file}: terms.Terms of Service.fetch: missing (the document's URL)"
