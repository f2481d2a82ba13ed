"""A clause watch stays with its clause: a sentence rewritten in its place is `changed` (whatever its
similarity) and followed, the next rewording alerts again, a deleted one is `removed`, one that comes back
is `reappeared`; a watch whose text is not on the first check is `not_found`, one line in `check` whatever
its kind; `watches WATCH --follow TEXT` puts a watch back on a sentence; no mail shows scores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock

from monitor.config.loading import load_config
from monitor.notify.message import render_alerts
from monitor.store.core import Store
from monitor.watch.alerts import Alert

PAGE = """<html><head><title>Terms</title></head><body><main>
<h1>Meta AI Terms</h1>
<h2>Private Processing</h2>
<p>In some cases, Meta will review your interactions with AIs, and this review can be automated or manual. {clause}
Meta provides Private Processing as a service on your behalf.</p>
<p>Meta may share certain information with select partners, like search engines, to provide you with the most
relevant information in connection with our AIs.</p>
</main></body></html>"""
SHARE = (
    "When you share your private messages with friends and family with AIs that use Private Processing "
    "technology, Meta cannot read or access the messages you have shared."
)
INTERACT = (
    "When you interact with AI chats that use Private Processing technology, Meta cannot read or access the "
    "messages you have shared, including AI chats with friends and family."
)
THIRD = "When you chat with AIs in Private Processing, Meta never sees those chats or what you share in them."


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    watches = f"""
[[watches]]
id = "private-processing"
pages = ["terms"]
kind = "clause"
text = "{SHARE}"
severity = "high"

[[watches]]
id = "training-term"
pages = ["terms"]
kind = "term"
text = "train our models"
severity = "low"
"""
    return write_project(tmp_path, {"terms": httpserver.url_for("/terms")}, extra=watches)


def check(project: Path, httpserver: HTTPServer, clock: FakeClock, clause: str) -> str:
    httpserver.clear()
    httpserver.expect_request("/terms").respond_with_data(
        PAGE.format(clause=clause), content_type="text/html"
    )
    code, output = run_cli(project, clock, "check")
    assert code == 0, output
    clock.advance(days=1)
    return output


def stored_alerts(project: Path) -> list[Alert]:
    store = Store(load_config(project).store_path)
    return [Alert.from_json(a) for record in store.checks.list("terms") for a in record.alerts]


def alert_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("alert ")]


def test_a_rewritten_clause_is_changed_and_followed_through_the_next_rewording(
    project: Path, httpserver: HTTPServer
) -> None:
    clock = FakeClock(datetime(2026, 5, 12, 10, 0, tzinfo=UTC))
    first = check(project, httpserver, clock, SHARE)
    assert alert_lines(first) == ["alert low: watch training-term not found on terms"]
    assert alert_lines(check(project, httpserver, clock, INTERACT)) == [
        "alert high: watch private-processing changed on terms"
    ]
    assert alert_lines(check(project, httpserver, clock, THIRD)) == [
        "alert high: watch private-processing changed on terms"
    ]
    assert alert_lines(check(project, httpserver, clock, "")) == [
        "alert high: watch private-processing removed on terms"
    ]
    assert alert_lines(check(project, httpserver, clock, INTERACT)) == [
        "alert high: watch private-processing reappeared on terms"
    ]
    changed = [a for a in stored_alerts(project) if a.kind == "changed"]
    assert [(a.old, a.new) for a in changed] == [(SHARE, INTERACT), (INTERACT, THIRD)]
    assert changed[0].details["reason"] == (
        "same place in section “Meta AI Terms › Private Processing”, between the same two sentences"
    )
    mail = render_alerts([changed[0]])
    assert mail.subject.endswith("private-processing changed (high)")
    assert (
        "Why:      the new sentence is taken for the one you watch: same place in section "
        "“Meta AI Terms › Private Processing”, between the same two sentences."
    ) in mail.text
    for part in (mail.text, mail.html):
        assert "similarity" not in part and "an alert needs" not in part


def test_a_clause_not_on_the_first_check_is_not_found_never_removed(
    project: Path, httpserver: HTTPServer
) -> None:
    clock = FakeClock(datetime(2026, 5, 12, 10, 0, tzinfo=UTC))
    output = check(project, httpserver, clock, "")
    assert alert_lines(output) == [
        "alert high: watch private-processing not found on terms",
        "alert low: watch training-term not found on terms",
    ]
    (clause, term) = stored_alerts(project)
    assert (clause.kind, term.kind) == ("not_found", "not_found")
    mail = render_alerts([clause])
    assert mail.subject.endswith("private-processing not found (high)")
    assert mail.text.startswith("The wording you watch was not found on the first check")
    assert "Closest sentence on the page now (in Meta AI Terms › Private Processing):" in mail.text


def test_follow_puts_the_watch_back_on_the_named_sentence(project: Path, httpserver: HTTPServer) -> None:
    clock = FakeClock(datetime(2026, 5, 12, 10, 0, tzinfo=UTC))
    check(project, httpserver, clock, SHARE)
    config = project
    code, output = run_cli(
        config, clock, "watches", "private-processing", "--follow", "Meta provides Private Processing"
    )
    assert (code, output) == (
        0,
        "private-processing on terms now follows, in Meta AI Terms › Private Processing: "
        "Meta provides Private Processing as a service on your behalf.\n",
    )
    page = PAGE.format(clause=SHARE).replace("as a service on your behalf", "as a paid service")
    httpserver.clear()
    httpserver.expect_request("/terms").respond_with_data(page, content_type="text/html")
    code, output = run_cli(config, clock, "check")
    assert alert_lines(output) == ["alert high: watch private-processing changed on terms"]

    code, output = run_cli(config, clock, "watches", "private-processing", "--follow", "Nothing like this")
    assert code == 2
    assert output.strip().startswith("Error: 'Nothing like this' is not on page 'terms'")
    code, output = run_cli(config, clock, "watches", "training-term", "--follow", "train")
    assert (code, output.strip()) == (
        2,
        "Error: --follow moves a clause watch; 'training-term' is a term watch",
    )
