"""What a `check` run works out once rather than at every page: the rules fingerprint of a page whose rules are
all in config.toml (a declaration page's is worked out at each check, from the declaration that check read),
and whether the CLI writes to a terminal (asked once per stream, not for every line)."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import write_project
from pytest_httpserver import HTTPServer

import monitor.pipeline.fingerprint as fingerprint
from monitor.cli.output import say
from monitor.config.loading import load_config
from monitor.extract.rules import fingerprint_of
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store

PAGE = "<html><body><main><h1>Privacy Policy</h1><p>{}</p></main></body></html>"
WORDS = "We collect information about how you use our Products and the features you use. " * 8


def clock_at(day: int) -> datetime:
    return datetime(2026, 5, day, 6, 0, tzinfo=UTC)


@pytest.fixture
def context(tmp_path: Path, httpserver: HTTPServer) -> Context:
    httpserver.expect_request("/policy").respond_with_data(PAGE.format(WORDS), content_type="text/html")
    loaded = load_config(write_project(tmp_path, {"policy": httpserver.url_for("/policy")}))
    return Context(loaded, Store(loaded.store_path), clock=lambda: clock_at(1), deliver=False)


def test_a_page_without_a_declaration_has_its_rules_worked_out_once_per_run(context, monkeypatch) -> None:
    page = context.config.pages[0]
    worked_out = []
    real = fingerprint.rule_parts_now

    def counted(ctx: Context, page_now: object) -> dict[str, object]:
        worked_out.append(page_now)
        return real(ctx, page_now)  # type: ignore[arg-type]

    monkeypatch.setattr(fingerprint, "rule_parts_now", counted)
    first = check_page(context, page)
    second = check_page(context, page)
    assert (first.record.outcome, second.record.outcome) == ("new", "unchanged")
    assert len(worked_out) == 1
    # the fingerprint recorded is the one a run of its own would record
    assert first.record.rules == second.record.rules == fingerprint_of(real(context, page))


def test_a_page_with_other_rules_in_the_same_run_has_its_own_fingerprint(context) -> None:
    page = context.config.pages[0]
    other = page.model_copy(update={"select": ["body"]})
    assert fingerprint.rules_now(context, page)[1] != fingerprint.rules_now(context, other)[1]
    parts = fingerprint.rule_parts_now(context, page)
    assert fingerprint.rules_now(context, page)[1] == fingerprint_of(parts)


class Terminal(io.StringIO):
    """A stream that says it is a terminal, and counts how often it was asked."""

    asked = 0

    def isatty(self) -> bool:
        self.asked += 1
        return True


def test_say_asks_once_per_stream_whether_it_writes_to_a_terminal(monkeypatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal, piped = Terminal(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", terminal)
    for n in range(3):
        say(f"page-{n}  \x1b[33mchanged\x1b[0m")
    assert terminal.asked == 1
    assert "\x1b[33mchanged" in terminal.getvalue()  # a terminal keeps the colour
    monkeypatch.setattr(sys, "stdout", piped)
    say("page-3  \x1b[33mchanged\x1b[0m")  # another stream is asked again: a pipe gets no colour codes
    assert "\\x1b[33mchanged" in piped.getvalue()
