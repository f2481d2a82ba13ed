"""Run every benchmark in bench/ (each prints its ratios against a baseline measured in the same run), then one
table of every `RESULT name ratio goal` line they printed, with whether each goal was met."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULT_PREFIX = "RESULT"  # as benchlib.result prints it


def main(argv: list[str]) -> int:
    wanted = set(argv)
    status = 0
    rows: list[tuple[str, str, float, float]] = []
    for script in sorted(HERE.glob("bench_*.py")):
        if wanted and script.stem not in wanted and script.stem.removeprefix("bench_") not in wanted:
            continue
        print(f"== {script.name}", flush=True)
        process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            parts = line.split()
            if len(parts) == 4 and parts[0] == RESULT_PREFIX:
                with contextlib.suppress(ValueError):  # a malformed line is shown above, not tabled
                    rows.append((script.stem, parts[1], float(parts[2]), float(parts[3])))
        code = process.wait()
        if code:
            rows.append((script.stem, f"(exit status {code})", float("nan"), float("nan")))
        status |= code
    print(f"\n{'bench':<16} {'result':<36} {'ratio':>8} {'goal':>6}  met")
    for bench, name, ratio, goal in rows:
        met = "yes" if ratio <= goal else "NO"
        print(f"{bench:<16} {name:<36} {ratio:>8.3f} {goal:>6g}  {met}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
