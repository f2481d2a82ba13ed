"""Run every benchmark in bench/ (each prints its ratios against a baseline measured in the same run), one at a
time, then one table of every `RESULT name ratio goal` line they printed, with whether each goal was met.

A bench that exits non-zero, or prints no `RESULT` line at all (it measured nothing), is a row of its own that
is not met, and makes this exit non-zero too. A bench that says `SKIPPED: reason` (what it compares with is
not on this machine, e.g. OTA's engine without npm) is a row marked skipped, neither met nor missed.

    .venv/bin/python bench/run_all.py [--full] [NAME ...]     (./dev bench [--full] [NAME ...])

NAME picks benches (`diff` or `bench_diff`). `--full` gives the soak its full 20,000 checks (about 20 minutes);
without it the soak runs its quick default.
"""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
import time
from pathlib import Path

from benchlib import RESULT_PREFIX, SKIPPED_PREFIX

HERE = Path(__file__).resolve().parent
FULL_ONLY = {"bench_soak": ["--full"]}  # the extra arguments --full gives a bench


def main(argv: list[str]) -> int:
    full = "--full" in argv
    wanted = {name for name in argv if name != "--full"}
    status = 0
    rows: list[tuple[str, str, float, float]] = []
    skipped: list[tuple[str, str]] = []
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and script.stem not in wanted and script.stem.removeprefix("bench_") not in wanted:
            continue
        extra = FULL_ONLY.get(script.stem, []) if full else []
        print(f"== {script.name} {' '.join(extra)}".rstrip(), flush=True)
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, str(script), *extra], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        found, skip = 0, ""
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith(SKIPPED_PREFIX):
                skip = line.removeprefix(SKIPPED_PREFIX).strip()
            parts = line.split()
            if len(parts) == 4 and parts[0] == RESULT_PREFIX:
                with contextlib.suppress(ValueError):  # a malformed line is shown above, not tabled
                    rows.append((script.stem, parts[1], float(parts[2]), float(parts[3])))
                    found += 1
        code = process.wait()
        print(f"   ({time.perf_counter() - started:.0f} s)", flush=True)
        if code:
            rows.append((script.stem, f"(exit status {code})", math.nan, math.nan))
        elif not found and skip:
            skipped.append((script.stem, skip))
        elif not found:
            rows.append((script.stem, "(no RESULT line: nothing measured)", math.nan, math.nan))
            code = 1
        status |= code
    print(f"\n{'bench':<16} {'result':<52} {'ratio':>8} {'goal':>6}  met")
    for bench, name, ratio, goal in rows:
        met = "yes" if ratio <= goal else "NO"  # NaN: not met
        print(f"{bench:<16} {name:<52} {ratio:>8.3f} {goal:>6g}  {met}")
    for bench, reason in skipped:
        print(f"{bench:<16} skipped: {reason}")
    missed = sum(1 for _, _, ratio, goal in rows if not ratio <= goal)
    print(f"{len(rows) - missed} of {len(rows)} met" + (f", {len(skipped)} skipped" if skipped else ""))
    return status or (1 if missed else 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
