"""`privacy-monitor config check`: validate the config without touching the network."""

from __future__ import annotations

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import paint, plural, say
from monitor.errors import ConfigError


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@pass_state
def config_check(state: State) -> None:
    """Validate the config file (no network), and the Open Terms Archive declarations its pages follow.

    Example: privacy-monitor -c config.toml config check
    """
    from monitor.config.declaration_notes import declaration_notes

    cfg = state.loaded.config
    problems, notes = declaration_notes(cfg, state.loaded.base_dir)
    for note in notes:
        say(paint(f"note: {note}", "yellow", err=True), err=True)
    if problems:
        for problem in problems[:-1]:
            say(paint(f"error: {problem}", "red", err=True), err=True)
        raise ConfigError(
            f"{state.config_path}: {plural(len(problems), 'declaration')} cannot be followed: {problems[-1]}"
        )
    say(
        f"{state.config_path}: ok ({plural(len(cfg.pages), 'page')}, {plural(len(cfg.watches), 'watch', 'watches')}, "
        f"store {state.loaded.store_path})"
    )
