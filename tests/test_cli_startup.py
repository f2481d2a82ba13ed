"""`privacy-monitor diff a.html b.html` starts without what it does not use: the commands load one module at
a time (`monitor.cli.main.COMMAND_MODULES`), so comparing two files imports no other command's module, nor
the config models, the store, the HTML renderer (Jinja) or the service's scheduler. The import case runs in a
fresh interpreter, as a user runs it: the first import in a process decides."""

from __future__ import annotations

import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

import monitor.cli.commands
from monitor.cli.main import COMMAND_MODULES, main

PAGE = """<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>
<h2>What we collect</h2><p>We collect information about how you use our Products and the features you use,
the content you create and share, and the devices you use them on, to provide and improve the service.</p>
<h2>Sharing</h2><p>We {verb} share information with partners who help us provide and improve our products,
and we explain here how we collect, use and keep it, in words we hope are clear for everyone.</p>
</main></body></html>"""
# Not on the path of comparing two files, however the pages differ.
NOT_IMPORTED = (
    "jinja2",
    "apscheduler",
    "monitor.config.loading",
    "monitor.config.schema",
    "monitor.store.core",
    "monitor.diff.render_html",
)
# `python -m monitor ARGS` (as runpy runs it), with the names of the modules loaded by the end of the process
# written to the file given first: importlib.import_module, which loads a command, is not in -X importtime.
RUN_AS_MAIN = """
import atexit, runpy, sys
listing = sys.argv.pop(1)

def write_listing():
    with open(listing, "w") as out:
        out.write("\\n".join(sorted(sys.modules)))

atexit.register(write_listing)
runpy.run_module("monitor", run_name="__main__", alter_sys=True)
"""


def importers(importtime: str) -> dict[str, list[str]]:
    """Each module a `python -X importtime` run imported (its stderr), with the modules whose import brought
    it in, nearest first. The listing writes a module before its importer, one level less indented."""
    entries = []
    for line in importtime.splitlines():
        if line.startswith("import time:") and not line.endswith("imported package"):
            field = line.rsplit("|", 1)[1]  # " " and two spaces a level, then the name
            entries.append(((len(field) - len(field.lstrip()) - 1) // 2, field.strip()))
    chains: dict[str, list[str]] = {}
    for index, (depth, name) in enumerate(entries):
        chain: list[str] = []
        for later_depth, later in entries[index + 1 :]:
            if depth == 0:
                break
            if later_depth < depth:
                chain.append(later)
                depth = later_depth
        chains[name] = chain
    return chains


def test_diff_of_two_files_imports_no_config_models_renderer_or_scheduler(tmp_path: Path) -> None:
    (tmp_path / "old.html").write_text(PAGE.format(verb="never"), encoding="utf-8")
    (tmp_path / "new.html").write_text(PAGE.format(verb="sometimes"), encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if name != "PRIVACY_MONITOR_CONFIG"}
    listing = tmp_path / "modules.txt"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", RUN_AS_MAIN, str(listing), "diff", "old.html", "new.html"],
        cwd=tmp_path,  # no config.toml here: comparing two files needs none
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # as diff(1): changes shown
    assert "never" in done.stdout and "sometimes" in done.stdout
    loaded = listing.read_text(encoding="utf-8").splitlines()
    assert "monitor.diff.core" in loaded  # the listing is the whole run's
    assert [name for name in NOT_IMPORTED if name in loaded] == []
    commands = [name for name in loaded if name.startswith("monitor.cli.commands.")]
    assert commands == ["monitor.cli.commands.diff_cmd"]
    # pydantic only as deepdiff's own optional support (deepdiff compares the two versions' heading trees, in
    # monitor.diff.structure): never for the CLI's config models.
    importing = importers(done.stderr)
    assert importing["monitor.cli.lazy"] == ["monitor.cli.main"]  # the importtime listing is read right
    assert "pydantic" not in importing or "deepdiff" in importing["pydantic"]


def test_the_command_table_names_every_command_each_module_defines() -> None:
    for module in pkgutil.iter_modules(monitor.cli.commands.__path__):
        importlib.import_module(f"monitor.cli.commands.{module.name}")
    defined = {
        name: command.callback.__module__ if command.callback else None
        for name, command in main.commands.items()
    }
    assert defined == COMMAND_MODULES
    assert main.list_commands(click.Context(main)) == sorted(defined)


def test_help_lists_every_command_with_its_short_help() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    lines = {
        line.split()[0]: line for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert sorted(lines) == sorted(COMMAND_MODULES)
    assert "Show what changed between two versions" in lines["diff"]
    assert CliRunner().invoke(main, ["config", "--help"]).output.count("Validate the config file") == 1


def test_an_unknown_command_is_clicks_usual_error() -> None:
    result = CliRunner().invoke(main, ["dif"])
    assert result.exit_code == 2
    assert "No such command 'dif'. Did you mean 'diff'?" in result.output
