"""What the command-line tests share: a project's config.toml for pages served on loopback, and one way to run
a command against it (click's CliRunner, a fixed clock, the exit code and the output)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.main import State, main
from monitor.config.loading import load_config
from monitor.store.core import Store
from monitor.store.db import close_all

# A loopback server answers at once or not at all: no retry, a short timeout.
LOOPBACK_FETCH = "[fetch]\nretries = 0\ntimeout = 5\n"


def write_project(
    folder: Path, pages: Mapping[str, str], *, select: str | None = "main", extra: str = "", head: str = ""
) -> Path:
    """`folder/config.toml`: `head` TOML, the loopback fetch settings, one [[pages]] table per id -> url (with
    `select = [select]` unless None), then `extra` TOML (watches, notify ...). Returns the config's path."""
    tables = [head, LOOPBACK_FETCH]
    for page_id, url in pages.items():
        lines = [f'[[pages]]\nid = "{page_id}"\nurl = "{url}"']
        if select is not None:
            lines.append(f'select = ["{select}"]')
        tables.append("\n".join(lines) + "\n")
    config = folder / "config.toml"
    config.write_text("\n".join(table for table in tables if table) + extra, encoding="utf-8")
    return config


def store_of(config: Path) -> Store:
    """The store of `config`, opened afresh as a new process opens it (this process's connections closed first)."""
    close_all()
    return Store(load_config(config).store_path)


def run_cli(config: Path | None, clock: Callable[[], datetime], *args: str) -> tuple[int, str]:
    """Run `privacy-monitor [-c config] ARGS` in-process on `clock`; the exit code and what it printed.
    Every failure must come out as a message and an exit code, never as an exception (a traceback)."""
    options = ["-c", str(config)] if config is not None else []
    result = CliRunner().invoke(main, [*options, *args], obj=State(clock=clock))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output
