"""`watches WATCH --history`: a clause's wording through every stored version, replayed with the same steps
as the live evaluation, so the history and the alerts the live checks gave agree version by version."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock, loaded, make_config, render_html

from monitor.extract.document import document_from_markdown
from monitor.pipeline.check import Context, check_page
from monitor.store.core import Store
from monitor.watch.history import wording_history

PAGE = """<html><head><title>Privacy Policy</title></head><body><main>
<h1>Privacy Policy</h1>
<h2>Your right to object</h2>
<p>We use public posts to develop and improve AI at Meta. {clause}</p>
<p>This policy explains how we collect, use and share information, and how long we keep it, in words that
we hope are clear enough for everyone who uses our products and services every day.</p>
</main></body></html>"""
OBJECTION = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
NARROWER = "Your objection applies to the account you are logged in to and to some accounts in the same Accounts Center."


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    watch = f"""
[[watches]]
id = "objection-scope"
pages = ["policy"]
kind = "clause"
text = "{OBJECTION}"
severity = "high"
"""
    return write_project(tmp_path, {"policy": httpserver.url_for("/policy")}, extra=watch)


run = run_cli


def test_the_history_lists_each_wording_since_when_and_the_word_diff(
    project: Path, httpserver: HTTPServer
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    for clause in (OBJECTION, OBJECTION + " It takes effect at once.", NARROWER, ""):
        httpserver.clear()
        httpserver.expect_request("/policy").respond_with_data(
            PAGE.format(clause=clause), content_type="text/html"
        )
        code, output = run(project, clock, "check")
        assert code == 0, output
        clock.advance(days=1)

    code, output = run(project, clock, "watches", "objection-scope", "--history")
    assert code == 0, output
    assert output.splitlines() == [
        "objection-scope (clause) on policy: 3 wordings in 4 versions",
        "",
        f"2026-01-05 08:00 UTC → 2026-01-07 08:00 UTC: found, 2 versions from {_short(project, 0)}",
        "  section:  Privacy Policy › Your right to object",
        f"  wording:  {OBJECTION}",
        "",
        f"2026-01-07 08:00 UTC → 2026-01-08 08:00 UTC: found (changed), 1 version from {_short(project, 2)}",
        "  section:  Privacy Policy › Your right to object",
        "  change:   Your objection applies to the account you are logged in to and to [-all-]{+some+} accounts in"
        " the same Accounts Center.",
        "  why:      same place in section “Privacy Policy › Your right to object”, after the same sentence",
        "",
        f"2026-01-08 08:00 UTC → now: NOT FOUND (removed), 1 version from {_short(project, 3)}",
    ]

    code, output = run(project, clock, "watches", "objection-scope", "--history", "--json")
    assert code == 0
    (story,) = json.loads(output)["history"]
    assert [(w["status"], [a["kind"] for a in w["alerts"]]) for w in story["wordings"]] == [
        ("found", []),
        ("found", ["changed"]),
        ("missing", ["removed"]),
    ]


def _short(project: Path, index: int) -> str:
    return Store(project.parent / "snapshots").versions.list("policy")[index].id[:12]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["watches", "--history"], "Error: --history needs a WATCH: privacy-monitor watches WATCH --history"),
        (["watches", "nope", "--history"], "Error: unknown watch 'nope' (watches: objection-scope)"),
        (["watches", "--page", "nope"], "Error: unknown page 'nope' in --page (see `privacy-monitor pages`)"),
    ],
)
def test_a_wrong_watch_or_page_is_a_one_line_error(project: Path, args: list[str], message: str) -> None:
    code, output = run(project, FakeClock(datetime(2026, 1, 5, tzinfo=UTC)), *args)
    assert (code, output.strip()) == (2, message)


STILL_PROCESS = (
    "Even if you don’t use our Products or have an account, we may still process information about you to "
    "develop and improve AI at Meta."
)
AUDIENCE = "When you share and communicate using our Products, you choose the audience for what you share."


@pytest.mark.corpus
def test_the_history_of_the_real_facebook_policy_gives_the_alerts_the_live_checks_gave(
    corpus: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    folder = corpus / "versions" / "pga-versions" / "Facebook" / "Privacy_Policy"
    page = {"id": "facebook", "url": httpserver.url_for("/privacy"), "min_words": 0, "collapse_ratio": 1e-9}
    watches = [
        {
            "id": "still-process",
            "pages": ["facebook"],
            "kind": "clause",
            "text": STILL_PROCESS,
            "severity": "high",
        },
        {"id": "audience", "pages": ["facebook"], "kind": "clause", "text": AUDIENCE, "severity": "medium"},
        {"id": "objection-term", "pages": ["facebook"], "kind": "term", "text": "object", "severity": "low"},
    ]
    config = make_config([page], watches=watches, fetch={"retries": 0, "timeout": 10})
    store = Store(tmp_path / "snapshots")
    clock = FakeClock(datetime(2022, 7, 1, tzinfo=UTC))
    ctx = Context(loaded(config, tmp_path), store, clock=clock, deliver=False)
    live: list[tuple[str, str, str]] = []
    try:
        for path in sorted(folder.glob("*.md")):
            document = document_from_markdown(path.read_text(encoding="utf-8"))
            httpserver.clear()
            httpserver.expect_request("/privacy").respond_with_data(
                render_html(document.to_text()), content_type="text/html; charset=utf-8"
            )
            clock.set(datetime.strptime(path.stem[:20], "%Y-%m-%dT%H-%M-%SZ").replace(tzinfo=UTC))
            record = check_page(ctx, config.pages[0]).record
            assert record.outcome != "failed", (path.name, record.reason)
            live.extend((a["id"], a["watch"], a["kind"]) for a in record.alerts)
    finally:
        ctx.close()

    replayed = [
        (alert.id, alert.watch, alert.kind)
        for watch in config.watches
        for wording in wording_history(store, watch, "facebook")
        for alert in wording.alerts
    ]
    assert sorted(replayed) == sorted(live)
    # The AI clause was never in this policy (not found on the first check); the audience clause was reworded once.
    assert [(watch, kind) for _, watch, kind in live] == [
        ("still-process", "not_found"),
        ("audience", "changed"),
    ]
    stories = {watch.id: wording_history(store, watch, "facebook") for watch in config.watches}
    assert sum(w.versions for w in stories["audience"]) == len(store.versions.list("facebook"))
    assert all(a.until == b.since for a, b in zip(stories["audience"], stories["audience"][1:], strict=False))
    assert stories["audience"][0].since == "2022-07-11T14:58:05Z"
