"""A command-line process pauses the garbage collector while it starts (monitor/cli/process.py): what start-up
makes is frozen out of later collections, and the collector runs again before the command's work. Code that
calls the CLI itself keeps the collector as it is."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import process


@pytest.fixture(autouse=True)
def collector_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(process, "_process", False)
    monkeypatch.setattr(process, "_paused", False)
    yield
    gc.enable()
    gc.unfreeze()


def test_start_up_pauses_the_collector_until_the_command_is_loaded() -> None:
    process.pause()
    assert not gc.isenabled()
    frozen = gc.get_freeze_count()
    process.started()
    assert gc.isenabled()
    assert gc.get_freeze_count() > frozen  # what start-up made is out of every later collection
    process.started()  # once only: a second command lookup changes nothing
    assert gc.isenabled()


def test_reading_the_config_is_start_up_too() -> None:
    process.pause()
    process.started()
    frozen = gc.get_freeze_count()
    with process.start_up():
        assert not gc.isenabled()
        config = [[f"page-{n}"] for n in range(1000)]  # lists: objects the collector tracks
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen + len(config)


def test_code_calling_the_cli_itself_keeps_the_collector_as_it_is() -> None:
    with process.start_up():
        assert gc.isenabled()
    process.started()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_process_collects_again_once_the_command_runs(tmp_path: Path) -> None:
    # The entry point as the script runs it, through a command that reads a config (start-up ends twice).
    config = tmp_path / "config.toml"
    config.write_text('[[pages]]\nid = "policy"\nurl = "https://example.org/privacy"\n')
    script = (
        "import gc, sys\n"
        "import monitor.cli.commands.config_cmds as commands\n"
        "from monitor.cli import entry\n"
        "import atexit\n"
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 0))\n"
        f"sys.argv = ['privacy-monitor', '-c', {str(config)!r}, 'config', 'check']\n"
        "entry.run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "collector True True"
