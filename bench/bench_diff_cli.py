"""`privacy-monitor diff a.html b.html` as a user runs it, a process of its own, against a process that imports
trafilatura and calls `trafilatura.extract` on the same two pages, in one run.

The pages: two real captures of Facebook's printable privacy policy (about 350 KB each, ../shared/corpus), the
16 December 2025 update, diffed without `select` (the automatic region). Ours extracts both pages, diffs them and
renders the text format; the baseline only extracts, as the least any tool comparing two such pages must do.
Both start from bytecode (the project's modules are compiled first, as pip compiles an installed package's).
Wall and CPU time (the child's, from getrusage), best of N, taking turns. Goal: ours at most 1.3x.

    .venv/bin/python bench/bench_diff_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import compileall
import subprocess
import sys

from benchlib import CORPUS, ROOT, missing, paired, result

PRINTABLE = CORPUS / "html/genai-eu-snapshots/Llama_API/Privacy_Policy_privacy-policy-printable"
OLD, NEW = "2025-12-11T23-35-48Z_5411edc4.html", "2025-12-16T23-35-44Z_a98ddaea.html"
GOAL = 1.3
BASELINE = (
    "import sys, trafilatura\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, encoding='utf-8') as page:\n"
    "        trafilatura.extract(page.read())\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    old, new = PRINTABLE / OLD, PRINTABLE / NEW
    if not old.exists() or not new.exists():
        return missing(PRINTABLE)
    compileall.compile_dir(ROOT / "monitor", quiet=1)
    ours_command = [sys.executable, "-m", "monitor", "diff", str(old), str(new)]
    theirs_command = [sys.executable, "-c", BASELINE, str(old), str(new)]

    def ours() -> None:
        done = subprocess.run(ours_command, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1) or not done.stdout:  # 1: the pages differ, as diff(1) says
            raise RuntimeError(f"diff failed ({done.returncode}): {done.stderr[-300:]}")

    def theirs() -> None:
        subprocess.run(theirs_command, capture_output=True, check=True)

    ours()
    theirs()
    timings = paired({"privacy-monitor diff": ours, "trafilatura.extract x2": theirs}, args.repeat)
    size = (old.stat().st_size + new.stat().st_size) // 2 // 1024
    print(f"two captures of about {size} KB, no select, best of {args.repeat}, taking turns (a process each)")
    for label, timing in timings.items():
        print(f"  {label:<24} wall {timing.wall:7.3f} s   CPU {timing.cpu:7.3f} s")
    mine, base = timings["privacy-monitor diff"], timings["trafilatura.extract x2"]
    ok = result("diff-two-pages-vs-extract/wall", mine.wall / base.wall, GOAL)
    ok &= result("diff-two-pages-vs-extract/cpu", mine.cpu / base.cpu, GOAL)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
