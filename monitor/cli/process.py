"""How the command-line process treats Python's garbage collector (its entry point: `entry.py`).

Start-up (click, the command's modules, pydantic and the config models it builds, then the config itself)
makes some hundred thousand objects that live as long as the process, and no garbage; Python's cyclic
collector would still walk them every few hundred allocations. So `entry.run` pauses the collector until the
command's code is loaded (`started`), and again while the config is read (`start_up`); after each, every object
then alive moves to the permanent generation (`gc.freeze()`: no later collection walks it), and the collector
runs as usual. Together that is a fortieth of the instructions of a 200-page `check`. Code that calls `main`
itself (tests through CliRunner, a program embedding the CLI) keeps the collector as it is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from monitor.collector import collection_paused

_process = False  # entry.run() started this process: start-up may pause the collector
_paused = False


def pause() -> None:
    """The process starts (entry.run): no collection until `started`."""
    global _process, _paused
    _process = _paused = True
    gc.disable()


def started() -> None:
    """The command's code is loaded: what is alive now lives until the process ends; collect from here on."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()


@contextmanager
def start_up() -> Iterator[None]:
    """What is made inside lives as long as the process (the config): no collection meanwhile, frozen after."""
    if not _process or _paused:
        yield
        return
    with collection_paused():
        yield
    gc.freeze()
