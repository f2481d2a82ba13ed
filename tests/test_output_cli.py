"""How every command writes: broken pipes end quietly, colour only on a terminal (and never with NO_COLOR),
the progress line of `check` only on a terminal, plurals right."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock, document_text, record_check, utc

from monitor.cli.main import State, main
from monitor.cli.output import plural
from monitor.store.core import Store

ROOT = Path(__file__).resolve().parents[1]
NOW = utc("2026-03-05 09:30")
V1 = document_text("# Privacy", "We may share your information with partners.")
POLICY = """<html><head><title>Privacy Policy</title></head><body><div id="root"><h1>Privacy Policy</h1>
<p>We use information to develop and improve our products, on the basis of legitimate interests. You can object
to this use at any time, and your objection applies to every account in the same Accounts Center.</p>
<p>This policy explains how we collect, use and share information and how long we keep it.</p></div></body></html>"""


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    httpserver.expect_request("/a").respond_with_data(POLICY, content_type="text/html")
    httpserver.expect_request("/b").respond_with_data("gone", status=404)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[fetch]
retries = 0
timeout = 5
per_host_min_gap = 0

[digest]
timezone = "UTC"

[[pages]]
id = "page-a"
url = "{httpserver.url_for("/a")}"
select = ["#root"]

[[pages]]
id = "page-b"
url = "{httpserver.url_for("/b")}"

[[watches]]
id = "objection"
pages = ["page-a"]
kind = "term"
text = "object"
severity = "high"
"""
    )
    store = Store(tmp_path / "snapshots")
    for day in range(1, 4):
        record_check(store, "page-a", utc(f"2026-03-0{day} 06:00"), text=V1)
    record_check(store, "page-b", utc("2026-03-01 06:00"), reason="HTTP 404")
    return config


LISTINGS = [
    ["pages"],
    ["pages", "--json"],
    ["status"],
    ["status", "--json"],
    ["watches"],
    ["watches", "--json"],
    ["outbox"],
    ["outbox", "--json"],
    ["history", "page-a"],
    ["history", "page-a", "--checks"],
    ["history", "page-a", "--checks", "--json"],
    ["show", "page-a"],
    ["digest"],
    ["config", "check"],
    ["verify"],
    ["check", "page-a", "page-b"],
    ["check", "--json"],
    ["diff", "page-a", "2026-03-01", "latest"],
]


@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(args) for args in LISTINGS])
def test_a_reader_closing_the_pipe_ends_every_command_quietly(
    project: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    real_echo = click.echo

    def closed_after_the_first_line(message=None, file=None, nl=True, err=False, color=None) -> None:  # noqa: ANN001
        if not err:  # the fault: `| head -1` has read its line and gone
            raise BrokenPipeError(32, "Broken pipe")
        real_echo(message, file=file, nl=nl, err=err, color=color)

    monkeypatch.setattr(click, "echo", closed_after_the_first_line)
    result = CliRunner().invoke(main, ["-c", str(project), *args], obj=State(clock=FakeClock(NOW)))
    assert (result.exit_code, result.output) == (0, "")


def _spawn(project: Path, *args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:  # noqa: ANN003
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", "-c", str(project), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        **kwargs,
    )


def test_a_real_closed_pipe_exits_0_without_a_word(project: Path) -> None:
    process = _spawn(project, "history", "page-a", "--checks", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the first line is written
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (0, b"")


def _on_a_terminal(project: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the real command with stdout and stderr on a pseudo-terminal; return its exit code and screen."""
    leader, follower = pty.openpty()
    process = _spawn(project, *args, env=env, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command ended and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode().replace("\r\n", "\n")


KEPT = (
    "1 alert not sent: no notifier is configured, so it is kept for the digest and `privacy-monitor watches`; "
    "to receive alerts, add a [notify.email] or [notify.apprise] section to {}"
)


def test_on_a_terminal_only_the_outcome_is_coloured_and_progress_shows(project: Path) -> None:
    code, screen = _on_a_terminal(project, "check", env={"NO_COLOR": ""})
    assert code == 3
    assert re.match(r"\r\x1b\[K\[0/2\] page-a \(0s\)\r\x1b\[K", screen)  # progress on stderr, erased
    assert re.search(r"\n\r\x1b\[K\[1/2\] page-b \(\d+s\)\r\x1b\[Kpage-b", screen)
    lines = [line.split("\r\x1b[K")[-1] for line in screen.split("\n") if line]
    assert lines[0].startswith("page-a  \x1b[33mchanged\x1b[0m    ")  # the outcome alone is coloured
    # (the fixture's checks ran under other rules: the line says so after the alert count)
    assert " substantive); 1 alert" in lines[0]
    assert lines[1:] == [
        "  alert \x1b[31mhigh\x1b[0m: watch objection appeared on page-a",  # and the severity
        "page-b  \x1b[31mfailed\x1b[0m     HTTP 404",
        KEPT.format(project),
    ]


def test_no_color_is_honoured_on_a_terminal(project: Path) -> None:
    code, screen = _on_a_terminal(project, "check", "page-b", env={"NO_COLOR": "1"})
    assert code == 3
    assert "\x1b[31m" not in screen and "page-b  failed     HTTP 404" in screen


def test_piped_there_is_no_colour_and_no_progress(project: Path) -> None:
    process = _spawn(project, "check", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 3
    assert stderr == b""
    assert stdout.decode().splitlines()[1:] == [
        "  alert high: watch objection appeared on page-a",
        "page-b  failed     HTTP 404",
        KEPT.format(project),
    ]
    assert b"\x1b" not in stdout


@pytest.mark.parametrize(
    ("number", "noun", "many", "expected"),
    [(0, "page", None, "0 pages"), (1, "page", None, "1 page"), (2, "check", None, "2 checks"),
     (1, "entry", "entries", "1 entry"), (3, "entry", "entries", "3 entries")],
)  # fmt: skip
def test_plurals(number: int, noun: str, many: str | None, expected: str) -> None:
    assert plural(number, noun, many) == expected


def test_one_page_one_watch_one_file_in_the_singular(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[pages]]\nid = "a"\nurl = "https://a.example/"\n')
    result = CliRunner().invoke(main, ["-c", str(config), "config", "check"])
    assert (result.exit_code, result.output) == (
        0,
        f"{config}: ok (1 page, 0 watches, store {tmp_path / 'snapshots'})\n",
    )
    result = CliRunner().invoke(main, ["-c", str(config), "pages"])
    assert result.output.splitlines()[-2:] == [
        "1 page, 0 checked",
        "Run `privacy-monitor check` to check them now.",
    ]
