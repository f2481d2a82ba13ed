"""Subcommands loaded when they are asked for (click's "Lazily loading subcommands"): a command's module, and
all it imports (the config models, the store, the scheduler...), loads only when that command runs or is
listed, so `privacy-monitor diff a.html b.html` starts without the modules of the other commands."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

import click


class LazyGroup(click.Group):
    """A group whose subcommands are named by a table (`command_modules`: name -> the module whose import adds
    that command with `@group.command`): `list_commands` reads the table, `get_command` imports the one module
    that defines the command. Commands added the usual way are kept as click keeps them."""

    def __init__(self, *args: Any, command_modules: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.command_modules = dict(command_modules or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.command_modules, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.command_modules:
            importlib.import_module(self.command_modules[cmd_name])
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.command_modules and args[0] not in self.commands:
            # An unknown name: click suggests the nearest from the commands it holds, so it holds all of them.
            for module in dict.fromkeys(self.command_modules.values()):
                importlib.import_module(module)
        return super().resolve_command(ctx, args)
