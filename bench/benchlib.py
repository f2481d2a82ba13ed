"""What every benchmark shares: the project on sys.path, the corpus location, paired best-of-N timing (wall and
CPU), and the `RESULT name ratio goal` line run_all.py gathers into its table."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = Path(os.environ.get("PRIVACY_MONITOR_CORPUS", ROOT.parent / "shared" / "corpus"))
FACEBOOK_HISTORY = CORPUS / "versions/pga-versions/Facebook/Privacy_Policy"
RESULT_PREFIX = "RESULT"


def best(action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest of `repeat` runs: the least disturbed by a noisy machine."""
    fastest = float("inf")
    for _ in range(repeat):
        started = clock()
        action()
        fastest = min(fastest, clock() - started)
    return fastest


@dataclass(frozen=True, slots=True)
class Timing:
    """Best-of-N seconds of one action: wall clock and this process's CPU time."""

    wall: float
    cpu: float


def cpu_time() -> float:
    """CPU seconds of this process and of its finished children (a baseline that runs as a process of its
    own, `git diff` or urlwatch, is charged its CPU time too)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def paired(actions: dict[str, Callable[[], object]], repeat: int) -> dict[str, Timing]:
    """Each action `repeat` times, taking turns (so a noisy moment of the machine hits all of them alike),
    the best wall and the best CPU time of each: same repetitions, same conditions for baseline and subject."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1: nothing would be measured")
    walls = dict.fromkeys(actions, float("inf"))
    cpus = dict.fromkeys(actions, float("inf"))
    for _ in range(repeat):
        for name, action in actions.items():
            wall, cpu = time.perf_counter(), cpu_time()
            action()
            walls[name] = min(walls[name], time.perf_counter() - wall)
            cpus[name] = min(cpus[name], cpu_time() - cpu)
    return {name: Timing(walls[name], cpus[name]) for name in actions}


def result(name: str, ratio: float, goal: float) -> bool:
    """Prints the machine-readable `RESULT name ratio goal` line; True when the goal (ratio <= goal) is met.
    A ratio that is not a number (nothing measured) never meets a goal."""
    met = ratio <= goal  # False for NaN
    print(f"{RESULT_PREFIX} {name} {ratio:.3f} {goal:g}", flush=True)
    return met


SKIPPED_PREFIX = "SKIPPED:"  # a bench whose baseline is not on this machine says so on a line of its own


def missing(what: Path) -> int:
    """A bench whose input is absent measured nothing: it says so and fails (exit status 2)."""
    print(f"NOT MEASURED: {what} not found (set PRIVACY_MONITOR_CORPUS to the corpus folder)", flush=True)
    return 2
