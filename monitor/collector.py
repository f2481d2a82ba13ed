"""Python's cyclic garbage collector held off where a stage makes many objects and no garbage worth a
collection: a diff (diff/core.py, diff/summary.py), which makes and drops hundreds of thousands of small objects
freed as they go by reference counting, and a command-line process's start-up (cli/process.py), whose objects
live as long as the process."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No collection inside. A diff's objects kept setting off collections that walk every object the process
    holds: in a process holding much (the service, the benchmark) that was two fifths of a big diff's time. The
    few cycles left are collected once it is done. Several threads may pause at once: whichever found the
    collector on turns it back on, and none leaves it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
