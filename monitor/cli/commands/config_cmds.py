"""`privacy-monitor config check`: validate the config without touching the network."""

from __future__ import annotations

import click

from monitor.cli.main import State, main, pass_state


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
    click.echo(
        f"{state.config_path}: ok ({len(cfg.pages)} pages, {len(cfg.watches)} watches, store {state.loaded.store_path})"
    )
