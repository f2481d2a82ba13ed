"""The documentation keeps up with the code: every command has an example and is documented in the README,
every command the README names exists and takes the options it shows, and the README's examples run.

As sqlite-utils' docs test does, documented commands are found with a pattern (a `./dev run ...` line of a
shell block, or an inline `privacy-monitor ...`), never with a substring search."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer
from service_support import FakeClock

from monitor.cli.main import State, main
from monitor.errors import ExitStatus

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLE = re.compile(r"^\./dev run (?P<args>[^#\n]+?)\s*(?:#.*)?$", re.MULTILINE)
INLINE = re.compile(r"`privacy-monitor (?P<args>[^`]+)`")
PLACEHOLDER = re.compile(r"^[A-Z][A-Z.]*$")  # PAGE, URL, FILE, FILE.txt, DATE...


def examples() -> list[list[str]]:
    """The `./dev run ARGS` lines of the README's shell blocks, as argument lists."""
    return [
        shlex.split(match["args"])
        for block in SHELL_BLOCK.findall(README)
        for match in EXAMPLE.finditer(block)
    ]


def inline_commands() -> list[list[str]]:
    """Every `privacy-monitor ...` written inline in the README, as argument lists."""
    found = [shlex.split(match["args"].split("|")[0]) for match in INLINE.finditer(README)]
    return [args for args in found if args != ["..."]]  # "the same commands are `privacy-monitor ...`"


def resolve(args: list[str]) -> tuple[str, click.Command, list[str]]:
    """('history', 'x', '--checks') -> the command's full name, the click command and its own arguments."""
    command: click.Command = main
    name: list[str] = []
    rest = list(args)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"README names `privacy-monitor {' '.join(args)}`: no command {rest[0]!r}"
        command, name, rest = sub, [*name, rest.pop(0)], rest
    return " ".join(name), command, rest


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((prefix + name, command))
    return found


COMMANDS = _commands(main)
DOCUMENTED = {resolve(args)[0] for args in examples() + inline_commands()}


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_an_example(name: str, command: click.Command) -> None:
    assert "Example" in (command.help or ""), f"`{name}` needs an example in its docstring"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str, command: click.Command) -> None:
    assert name in DOCUMENTED, f"README.md shows no `./dev run {name}` example nor `privacy-monitor {name}`"


ALL_DOCUMENTED = examples() + inline_commands()


@pytest.mark.parametrize("args", ALL_DOCUMENTED, ids=[" ".join(args) for args in ALL_DOCUMENTED])
def test_every_command_the_readme_names_exists_with_its_options(args: list[str]) -> None:
    name, command, rest = resolve(args)
    filled = [("x" if PLACEHOLDER.match(arg) else arg) for arg in rest if arg != "..."]
    try:
        command.make_context(name, filled, resilient_parsing=False)
    except click.UsageError as error:
        pytest.fail(f"README: `privacy-monitor {' '.join(args)}`: {error.format_message()}")


@pytest.mark.parametrize("status", list(ExitStatus), ids=[status.name for status in ExitStatus])
def test_every_exit_code_is_documented(status: ExitStatus) -> None:
    if status is ExitStatus.INTERRUPTED:
        return  # the shell's convention for Ctrl-C, not ours to document
    assert f"| {int(status)} | {status.name} |" in README


POLICY = """<html><head><title>Privacy Policy</title></head><body><div id="root"><h1>Privacy Policy</h1>
<h2>Sharing</h2><p>We {verb} share information with partners who help us provide and improve our products,
and we explain here how we collect, use and keep it, in words we hope are clear for everyone.</p>
<p>You can object to this use at any time; your objection applies to every account in the same Accounts Center.</p>
</div></body></html>"""
EXPECTED_EXIT = {"diff": ExitStatus.CHANGES}  # the README's `diff` examples show changes
NOT_RUN = {"run"}  # the service runs until stopped: its options are checked above


@pytest.fixture
def readme_project(tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A config with the README's page id, served on loopback, checked twice before 2026-03-01."""
    httpserver.expect_request("/policy").respond_with_handler(_serve)
    (tmp_path / "config.toml").write_text(
        f"""
[fetch]
retries = 0
per_host_min_gap = 0

[digest]
timezone = "Europe/Berlin"

[[pages]]
id = "facebook-privacy-policy-en"
title = "Facebook Privacy Policy (English)"
url = "{httpserver.url_for("/policy")}"
select = ["#root"]

[[watches]]
id = "accounts-center-scope-en"
pages = ["facebook-privacy-policy-en"]
kind = "clause"
text = "Your objection applies to every account in the same Accounts Center."
severity = "high"
"""
    )
    (tmp_path / "old.html").write_text(POLICY.format(verb="may"))
    (tmp_path / "new.html").write_text(POLICY.format(verb="will"))
    monkeypatch.chdir(tmp_path)
    yield tmp_path


VERB = {"value": "may"}


def _serve(request: object) -> object:
    from werkzeug import Response

    return Response(POLICY.format(verb=VERB["value"]), content_type="text/html")


def test_the_readme_examples_run(readme_project: Path) -> None:
    clock = FakeClock(datetime(2026, 2, 20, 9, 0, tzinfo=UTC))
    runner = CliRunner()

    def invoke(args: list[str]) -> tuple[int, str]:
        result = runner.invoke(main, ["-c", "config.toml", *args], obj=State(clock=clock))
        return result.exit_code, result.output

    VERB["value"] = "may"
    assert invoke(["check"])[0] == 0
    clock.advance(days=5)
    VERB["value"] = "will"
    assert invoke(["check"])[0] == 0
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    ran = []
    for args in examples():
        name, _, _ = resolve(args)
        if name in NOT_RUN:
            continue
        code, output = invoke(args)
        assert code == EXPECTED_EXIT.get(name, ExitStatus.OK), f"./dev run {' '.join(args)}:\n{output}"
        ran.append(name)
    assert {"config check", "pages", "check", "history", "show", "diff", "status", "digest"} <= set(ran)
    assert clock() - datetime(2026, 3, 2, 9, 0, tzinfo=UTC) == timedelta(0)
