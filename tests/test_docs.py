"""The documentation keeps up with the code: every command has an example and is named in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from monitor.cli.main import main
from monitor.errors import ExitStatus

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
        else:
            found.append((prefix + name, command))
    return found


COMMANDS = _commands(main)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_an_example(name: str, command: click.Command) -> None:
    assert "Example" in (command.help or ""), f"`{name}` needs an example in its docstring"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_is_in_the_readme(name: str, command: click.Command) -> None:
    assert f" {name}" in README, f"README.md does not mention `privacy-monitor {name}`"


@pytest.mark.parametrize("status", list(ExitStatus), ids=[status.name for status in ExitStatus])
def test_every_exit_code_is_documented(status: ExitStatus) -> None:
    if status is ExitStatus.INTERRUPTED:
        return  # the shell's convention for Ctrl-C, not ours to document
    assert f"| {int(status)} | {status.name} |" in README
