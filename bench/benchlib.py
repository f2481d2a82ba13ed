"""What every benchmark shares: the project on sys.path, the corpus location, best-of-N timing."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = Path(os.environ.get("PRIVACY_MONITOR_CORPUS", ROOT.parent / "shared" / "corpus"))
FACEBOOK_HISTORY = CORPUS / "versions/pga-versions/Facebook/Privacy_Policy"


def best(action: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    """The fastest of `repeat` runs: the least disturbed by a noisy machine."""
    fastest = float("inf")
    for _ in range(repeat):
        started = clock()
        action()
        fastest = min(fastest, clock() - started)
    return fastest
