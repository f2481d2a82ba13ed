"""Subcommands loaded when they are asked for (click's "Lazily loading subcommands"): a command's module, and
all it imports (the config models, the store, the scheduler...), loads only when that command runs or is
listed, so `privacy-monitor diff a.html b.html` starts without the modules of the other commands."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

import click


class LazyCommands(MutableMapping[str, click.Command]):
    """A group's commands by name. Looking one up (`get`, `in`, `[]`) imports the module the table names for
    it, whose `@group.command` adds it here; reading the whole mapping (iterating it, as click's "did you
    mean" does) imports every module of the table."""

    def __init__(self, modules: Mapping[str, str], added: Mapping[str, click.Command] | None = None) -> None:
        self.modules = dict(modules)  # command name -> the module whose import adds that command
        self.added: dict[str, click.Command] = dict(added or {})

    def load(self, name: str) -> click.Command | None:
        """The command `name`, its module imported first if need be; None if there is no such command."""
        if name not in self.added and name in self.modules:
            importlib.import_module(self.modules[name])
        return self.added.get(name)

    def __getitem__(self, name: str) -> click.Command:
        command = self.load(name)
        if command is None:
            raise KeyError(name)
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self.added[name] = command

    def __delitem__(self, name: str) -> None:
        del self.added[name]

    def __iter__(self) -> Iterator[str]:
        for module in dict.fromkeys(self.modules.values()):
            importlib.import_module(module)
        return iter(dict(self.added))  # a copy: an import while iterating may add commands

    def __len__(self) -> int:
        return sum(1 for _ in self)


class LazyGroup(click.Group):
    """A group whose subcommands are named by a table (`command_modules`: name -> module) and imported one at
    a time: `list_commands` reads the table, `get_command` imports the one module that defines the command.
    Commands added the usual way (`@group.command`, `add_command`) are kept as click keeps them."""

    def __init__(self, *args: Any, command_modules: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = LazyCommands(command_modules or {}, self.commands)
        self.commands = self.lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy_commands.modules, *self.lazy_commands.added})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.lazy_commands.load(cmd_name)
