"""Every hint the CLI gives names a command that exists and helps: the hints are collected from the output of
the CLI's error and "nothing yet" cases, then each hinted command is run (PAGE and URL filled in)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock, record_check, utc

from monitor.cli.main import State, main
from monitor.store.core import Store

HINT = re.compile(r"`privacy-monitor (?P<args>[^`]+)`")
NOW = utc("2026-03-05 09:30")
POLICY = """<html><head><title>Privacy Policy</title></head><body><div id="root"><h1>Privacy Policy</h1>
<p>We use information to develop and improve our products, on the basis of legitimate interests. You can object
to this use at any time, and your objection applies to every account in the same Accounts Center.</p></div>
</body></html>"""

# (args, expected exit code): the cases whose messages carry hints
CASES = [
    (["check", "nosuch"], 2),
    (["check", "polcy"], 2),
    (["diff", "nosuch", "previous", "latest"], 2),
    (["history", "nosuch"], 2),
    (["show", "nosuch"], 2),
    (["test", "nosuch"], 2),
    (["history", "fresh"], 0),
    (["history", "fresh", "--checks"], 0),
    (["show", "fresh"], 0),
    (["watches"], 0),
    (["pages"], 0),
    (["show", "policy", "beef"], 2),
    (["status"], 3),
    (["history", "broken"], 0),
]


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    httpserver.expect_request("/policy").respond_with_data(POLICY, content_type="text/html")
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
per_host_min_gap = 0

[[pages]]
id = "policy"
url = "{httpserver.url_for("/policy")}"
select = ["#root"]

[[pages]]
id = "fresh"
url = "{httpserver.url_for("/policy")}"
select = ["#root"]

[[pages]]
id = "broken"
url = "{httpserver.url_for("/gone")}"

[[watches]]
id = "objection"
pages = ["fresh"]
kind = "term"
text = "object"
"""
    )
    store = Store(tmp_path / "snapshots")
    record_check(store, "policy", utc("2025-03-05 06:00"), text="# Privacy\n")
    record_check(store, "broken", utc("2026-03-05 06:00"), reason="HTTP 404")
    return config


def invoke(config: Path, args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-c", str(config), *args], obj=State(clock=FakeClock(NOW)))
    return result.exit_code, result.output


def collect_hints(config: Path) -> dict[str, str]:
    """Each hinted command line, with the case that gave it."""
    hints: dict[str, str] = {}
    for args, expected in CASES:
        code, output = invoke(config, args)
        assert code == expected, f"{args}: {output}"
        for match in HINT.finditer(output):
            hints.setdefault(match["args"], " ".join(args))
    return hints


def test_hints_name_commands_that_exist_and_help(project: Path, httpserver: HTTPServer) -> None:
    hints = collect_hints(project)
    assert set(hints) >= {"pages", "check fresh", "history policy", "history broken --checks", "run"}
    for hint, case in hints.items():
        args = [
            {"PAGE": "policy", "URL": httpserver.url_for("/policy")}.get(word, word)
            for word in shlex.split(hint)
        ]
        if args[0] == "run":  # the service runs until stopped: starting it is the hint; it must parse
            from monitor.cli.commands.service_cmds import run

            run.make_context("run", args[1:])
            continue
        code, output = invoke(project, args)
        assert code in (0, 3), f"hint `privacy-monitor {hint}` (from `{case}`) does not work:\n{output}"
        assert "Error" not in output, f"hint `privacy-monitor {hint}` (from `{case}`):\n{output}"


def test_unknown_pages_exit_2_everywhere_and_name_the_pages_command(project: Path) -> None:
    for command in (["check"], ["history"], ["history", "--checks"], ["show"], ["test"], ["diff"]):
        code, output = invoke(project, [*command[:1], "nosuch", *command[1:]])
        assert code == 2, command
        assert "`privacy-monitor pages`" in output, command


def test_diff_of_an_unknown_page_names_commands_that_exist(project: Path) -> None:
    assert invoke(project, ["diff", "nosuch", "previous", "latest"]) == (
        2,
        "Error: 'nosuch' is not a configured page id; to compare files or URLs give exactly two "
        "(privacy-monitor diff OLD NEW), or see `privacy-monitor pages` for page ids\n",
    )
