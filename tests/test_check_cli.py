"""`check`, `history`, `show`, `verify` end to end: a real HTTP server on loopback, a real store, a fixed clock."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock

POLICY = """<html><head><title>Privacy Policy</title></head><body>
<nav>Home · Help</nav>
<div id="root">
<h1>Privacy Policy</h1>
<h2>How do we use your information?</h2>
<p>We use information to develop and improve AI at Meta, on the basis of legitimate interests.
You can object to this use. {extra}</p>
<p>Your objection applies to the account you are logged in to and to all accounts in the same
<a href="https://accountscenter.example/?oh={token}&amp;oe=6650A1F2">Accounts Center</a>.</p>
<ul><li>Information that is publicly available on the Internet</li><li>Information you share with AI at Meta</li></ul>
<p>This policy has been in effect since 16 December 2025. It explains how we collect, use and share information,
and how long we keep it, in words that we hope are clear enough for everyone who uses our products.</p>
</div><footer>Meta © 2025</footer></body></html>"""

# Meta's login wall has none of the policy's structure: the page's `select` matches nothing in it.
LOGIN_WALL = """<html><head><title>Log in to Facebook</title></head><body><div id="login_form">
<h2>Log in to Facebook</h2><form><input name="email"><input name="pass" type="password">
<button>Log in</button></form><a href="/recover">Forgotten password?</a></div></body></html>"""


class Clock(FakeClock):
    def __init__(self) -> None:
        super().__init__(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))

    def advance(self, days: int = 1) -> None:
        self.set(self.now + timedelta(days=days))


@pytest.fixture
def site(httpserver: HTTPServer) -> Iterator[HTTPServer]:
    yield httpserver


def serve(server: HTTPServer, body: str, status: int = 200) -> None:
    server.clear()
    server.expect_request("/policy").respond_with_data(body, status=status, content_type="text/html")


@pytest.fixture
def project(tmp_path: Path, site: HTTPServer) -> Path:
    return write_project(tmp_path, {"policy": site.url_for("/policy")}, select="#root")


run = run_cli


def check_json(config: Path, clock: Clock) -> tuple[int, dict]:
    code, output = run(config, clock, "check", "--json")
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return code, json.loads(lines[0])


def test_a_page_goes_new_unchanged_changed_failed_and_back(project: Path, site: HTTPServer) -> None:
    clock = Clock()
    serve(site, POLICY.format(extra="", token="AfB1"))
    code, first = check_json(project, clock)
    assert (code, first["outcome"], first["previous"], first["alerts"]) == (0, "new", None, [])
    assert first["coverage"] >= 0.995

    # Same words, new signed link parameter: not a change.
    clock.advance()
    serve(site, POLICY.format(extra="", token="AfZ9"))
    code, again = check_json(project, clock)
    assert (code, again["outcome"], again["version"]) == (0, "unchanged", first["version"])

    clock.advance()
    serve(site, POLICY.format(extra="We may keep doing so after you object.", token="AfZ9"))
    code, changed = check_json(project, clock)
    assert (code, changed["outcome"], changed["previous"]) == (0, "changed", first["version"])
    assert changed["changes"]["by_class"]["substantive"] >= 1

    # A login wall is a failed check: no version, the last good one stays in effect.
    clock.advance()
    serve(site, LOGIN_WALL)
    code, failed = check_json(project, clock)
    assert (code, failed["outcome"], failed["reason"], failed["version"]) == (
        3,
        "failed",
        "login wall",
        changed["version"],
    )

    # A server error is a failed check too, never a change.
    clock.advance()
    serve(site, "oops", status=500)
    code, failed = check_json(project, clock)
    assert (code, failed["outcome"], failed["reason"]) == (3, "failed", "HTTP 500")

    # Back to normal: compared with the last good version.
    clock.advance()
    serve(site, POLICY.format(extra="We may keep doing so after you object.", token="AfQ3"))
    code, back = check_json(project, clock)
    assert (code, back["outcome"], back["version"]) == (0, "unchanged", changed["version"])

    code, output = run(project, clock, "history", "policy")
    assert code == 0
    assert output.splitlines() == [
        "VERSION       SINCE                 UNTIL                 CHECKS  EFFECTIVE",
        f"{first['version'][:12]}  2026-01-05 08:00 UTC  2026-01-07 08:00 UTC  2       -",
        "  first version",
        f"{changed['version'][:12]}  2026-01-07 08:00 UTC  now                   2       -",
        "  1 substantive change",
    ]
    code, output = run(project, clock, "history", "policy", "--json")
    assert code == 0
    assert [(v["id"], v["since"]) for v in json.loads(output)["versions"]] == [
        (first["version"], "2026-01-05T08:00:00Z"),
        (changed["version"], "2026-01-07T08:00:00Z"),
    ]

    code, output = run(project, clock, "history", "policy", "--checks")
    assert output.splitlines()[3] == f"2026-01-08 08:00 UTC  failed     {changed['version'][:12]}  login wall"
    assert [line.split()[3] for line in output.splitlines()] == [
        "new",
        "unchanged",
        "changed",
        "failed",
        "failed",
        "unchanged",
    ]

    code, text = run(project, clock, "show", "policy", "previous")
    assert code == 0 and "You can object to this use." in text and "keep doing so" not in text
    code, text = run(project, clock, "show", "policy", "2026-01-08")
    assert "We may keep doing so after you object." in text
    code, text = run(project, clock, "show", "policy", first["version"][:8])
    assert "keep doing so" not in text
    assert "Accounts Center" in text and "oh=" not in text  # link targets are never part of the text
    code, raw = run(project, clock, "show", "policy", "latest", "--raw")
    assert "<html>" in raw

    code, output = run(project, clock, "history", "policy", "--checks", "--json")
    data = json.loads(output)
    assert (code, data["page"], [c["outcome"] for c in data["checks"]][:2]) == (
        0,
        "policy",
        ["new", "unchanged"],
    )

    code, output = run(project, clock, "verify")
    assert code == 0 and output.endswith("ok (5 files checked)\n")


def test_human_output_is_one_line_per_page(project: Path, site: HTTPServer) -> None:
    clock = Clock()
    serve(site, POLICY.format(extra="", token="x"))
    code, output = run(project, clock, "check")
    assert code == 0
    assert output.startswith("policy  new        ")
    serve(site, "nope", status=404)
    code, output = run(project, clock, "check", "policy")
    assert (code, output) == (3, "policy  failed     HTTP 404\n")


def test_unknown_page_and_ref_are_usage_errors(project: Path, site: HTTPServer) -> None:
    clock = Clock()
    code, output = run(project, clock, "check", "polcy")
    assert (code, output) == (
        2,
        "Error: unknown page 'polcy' (did you mean 'policy'? see `privacy-monitor pages` for the configured ids)\n",
    )
    for command in ("history", "show", "check", "test"):
        code, output = run(project, clock, command, "nosuch")
        assert (code, output) == (
            2,
            "Error: unknown page 'nosuch' (see `privacy-monitor pages` for the configured ids)\n",
        ), command
    serve(site, POLICY.format(extra="", token="x"))
    run(project, clock, "check")
    code, output = run(project, clock, "show", "policy", "zzzz")
    assert code == 2 and output.startswith("Error: ") and output[-1] == "\n" and output.count("\n") == 1


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[[pages]]\nid = "a"\nurl = "https://x/"\nselecto = ["#root"]\n')
    code, output = run(config, Clock(), "check")
    assert code == 2
    assert (
        output == f"Error: {config}: pages[0] (id 'a').selecto: unknown key (hint: did you mean 'select'?)\n"
    )


def test_nothing_yet_exits_0_and_says_what_to_run(project: Path) -> None:
    clock = Clock()
    for args in (["history", "policy"], ["show", "policy"], ["show", "policy", "previous"]):
        assert run(project, clock, *args) == (
            0,
            "policy: no version stored yet (run `privacy-monitor check policy`)\n",
        ), args
    assert run(project, clock, "history", "policy", "--checks") == (
        0,
        "policy: not checked yet (run `privacy-monitor check policy`)\n",
    )
    assert run(project, clock, "history", "policy", "--json") == (
        0,
        '{\n  "page": "policy",\n  "versions": []\n}\n',
    )


def test_a_page_that_only_failed_points_at_its_checks(project: Path, site: HTTPServer) -> None:
    clock = Clock()
    serve(site, "gone", status=404)
    assert run(project, clock, "check")[0] == 3
    message = (
        "policy: no version stored yet: 1 check, none good, the last one HTTP 404 "
        "(see `privacy-monitor history policy --checks`)\n"
    )
    assert run(project, clock, "history", "policy") == (0, message)
    assert run(project, clock, "show", "policy") == (0, message)
    assert run(project, clock, "history", "policy", "--checks") == (
        0,
        "2026-01-05 08:00 UTC  failed     -             HTTP 404\n",
    )


WATCHED = """
[[watches]]
id = "objection-scope"
pages = ["policy"]
kind = "clause"
text = "Your objection applies to the account you are logged in to and to all accounts in the same Accounts Center."
severity = "high"

[[watches]]
id = "ai-term"
pages = ["policy"]
kind = "term"
text = "keep doing so"
severity = "low"
"""


def test_check_names_each_alert_it_raised(project: Path, site: HTTPServer) -> None:
    project.write_text(project.read_text() + WATCHED)
    clock = Clock()
    serve(site, POLICY.format(extra="", token="x"))
    run(project, clock, "check")
    clock.advance()
    serve(
        site,
        POLICY.format(extra="We may keep doing so after you object.", token="x").replace(
            "to all accounts in the same", "to the accounts in the same"
        ),
    )
    code, output = run(project, clock, "check")
    lines = output.splitlines()
    assert code == 0
    assert lines[0].startswith("policy  changed    ") and lines[0].endswith("; 2 alerts")
    assert lines[1:3] == [
        "  alert high: watch objection-scope changed on policy",
        "  alert low: watch ai-term appeared on policy",
    ]
    # No [notify] section: said where the alerts went, and how to receive them.
    assert lines[3:] == [
        "2 alerts not sent: no notifier is configured, so they are kept for the digest and "
        "`privacy-monitor watches`; to receive alerts, add a [notify.email] or [notify.apprise] section to "
        f"{project}"
    ]


def test_a_missing_browser_names_what_to_install(project: Path, site: HTTPServer, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_playwright(name: str, *args, **kwargs):  # the fault: Playwright is not installed
        if name.startswith("playwright"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_playwright)
    code, output = run(project, Clock(), "test", site.url_for("/policy"), "--renderer", "browser")
    assert (code, output) == (
        3,
        "failed: browser renderer unavailable: Playwright is not installed (install it: "
        "pip install 'privacy-monitor[browser]' (uses /usr/bin/chromium if present, else run "
        "`playwright install chromium`))\n",
    )


def test_check_without_chromium_says_what_to_install(
    project: Path, site: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("playwright")
    import monitor.fetch.browser as browser

    monkeypatch.setattr(browser, "SYSTEM_CHROMIUM", project.parent / "no-chromium")  # the fault
    project.write_text(
        project.read_text().replace('select = ["#root"]', 'select = ["#root"]\nrenderer = "browser"')
    )
    code, output = run(project, Clock(), "check")
    assert (code, output) == (
        3,
        "policy  failed     browser renderer unavailable: no Chromium found (install it: "
        "pip install 'privacy-monitor[browser]' (uses /usr/bin/chromium if present, else run "
        "`playwright install chromium`))\n",
    )
