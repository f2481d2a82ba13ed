"""The entry point of the `privacy-monitor` script and of `python -m monitor`."""

from __future__ import annotations

from monitor.cli.process import pause, started


def run() -> None:
    """Run the command line as a process does (with the collector paused during start-up: process.py)."""
    pause()
    try:
        from monitor.cli.main import main

        main()
    finally:
        started()  # a run that never reached a command (--help, --version, a usage error)
