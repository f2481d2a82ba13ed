"""`privacy-monitor config check`: validate the config without touching the network."""

from __future__ import annotations

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import plural, say


@main.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("check")
@pass_state
def config_check(state: State) -> None:
    """Validate the config file (no network).

    Example: privacy-monitor -c config.toml config check
    """
    cfg = state.loaded.config
    say(
        f"{state.config_path}: ok ({plural(len(cfg.pages), 'page')}, {plural(len(cfg.watches), 'watch', 'watches')}, "
        f"store {state.loaded.store_path})"
    )
