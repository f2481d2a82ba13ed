"""The processes of one Chromium, found and killed by the variable they all carry.

A browser is launched with MARKER_ENV=<token> in its environment, a token of its own; every process it starts
(renderers, GPU, zygotes) inherits it. So all of them are found through Linux /proc, whoever their parent
is now, and killed at once: by the watchdog of a page that overran, on shutdown for what closing left behind,
and by the tests that check nothing is left running.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

# Every Chromium process of one browser carries this variable, so the watchdog can find them all (Linux /proc).
MARKER_ENV = "PRIVACY_MONITOR_FETCH"


def marked_processes(token: str) -> list[int]:
    """Pids of live processes whose environment holds MARKER_ENV=token (empty where /proc is absent)."""
    needle = f"{MARKER_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def kill_marked(token: str, *, rounds: int = 3) -> int:
    """SIGKILL to every process marked with `token`; how many were killed. Looked for again after each round:
    a process that was forking when its parent was killed leaves a child the first look did not see."""
    killed = 0
    for _ in range(rounds):
        pids = marked_processes(token)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        if not pids:
            break
    return killed
