"""The structured diff on real versions of Facebook's privacy policy, against baselines measured in the same run.

Versions: OTA Markdown from ../shared/corpus/versions/pga-versions/Facebook/Privacy_Policy, converted to our
stored text form (`document_from_markdown(...).to_text()`) and written to two temporary files.
- ours: parse both stored texts, `diff_documents`, render the `text` format (what `privacy-monitor diff` does
  after reading the store);
- baseline: `git diff --no-index --word-diff` on the same two files (a process of its own, as a user would run it);
- for reference: `difflib.unified_diff` over the lines (the line diff peer tools show).
Pairs: two consecutive versions (a one-clause update, and the December 2025 rewrite) and the worst case, the
first against the last version (four years apart); and the printable policy's December 2025 update, whose
tables became lists (two captures in ../shared/corpus/html, extracted with the page's region). Goal: consecutive pairs feel instant (well under 100 ms),
the worst case about a second at most.

    .venv/bin/python bench/bench_diff.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from pathlib import Path

from benchlib import (
    CORPUS,  # noqa: E402
    ROOT,  # noqa: E402, F401 - also puts the project on sys.path
)
from benchlib import FACEBOOK_HISTORY as HISTORY  # noqa: E402

PAIRS = [
    ("consecutive, one clause", "2026-01-15T00-30-46Z_45b1fdc6.md", "2026-02-25T12-30-36Z_630993e3.md"),
    ("consecutive, Dec 2025 update", "2025-11-26T00-30-51Z_49ebd3da.md", "2025-12-17T00-30-45Z_df69a0e3.md"),
    ("first full vs last (4 years)", "2022-09-07T17-19-04Z_610967a0.md", "2026-08-22T00-30-50Z_e4da78fa.md"),
    ("first vs last (4 years)", "2022-07-11T14-58-05Z_a3689b38.md", "2026-08-22T00-30-50Z_e4da78fa.md"),
    # The printable policy's 16 December 2025 update (tables regrouped into lists; monitor.diff.reflow), from captures.
    (
        "printable, Dec 2025 regrouped",
        "2025-12-11T23-35-48Z_5411edc4.html",
        "2025-12-16T23-35-44Z_a98ddaea.html",
    ),
]
PRINTABLE = CORPUS / "html" / "genai-eu-snapshots" / "Llama_API" / "Privacy_Policy_privacy-policy-printable"


def stored_text(name: str) -> str:
    """A version's stored text: OTA Markdown from the history, or a capture extracted with the page's region."""
    from monitor.extract.document import document_from_markdown, extract_document

    if name.endswith(".html"):
        html = (PRINTABLE / name).read_text(encoding="utf-8")
        return extract_document(html, select=("#root",), remove=("img",)).document.to_text()
    return document_from_markdown((HISTORY / name).read_text(encoding="utf-8")).to_text()


from benchlib import best, missing, result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not HISTORY.is_dir():
        return missing(HISTORY)
    from monitor.diff.core import diff_documents
    from monitor.diff.formats import render
    from monitor.diff.signals import _find_signals
    from monitor.models import Document

    signals_cache_clear = _find_signals.cache_clear
    diff_documents(
        Document.from_text("# a\n"), Document.from_text("# b\n")
    )  # imports (deepdiff) out of the timing
    print(
        f"{'pair':<30} {'old KB':>7} {'new KB':>7} {'changes':>8} {'ours ms':>8} {'git ms':>8} {'ratio':>6} {'difflib ms':>10}"
    )
    met = True
    timings: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for label, old_name, new_name in PAIRS:
            old_text, new_text = stored_text(old_name), stored_text(new_name)
            old_path, new_path = Path(folder, "old.txt"), Path(folder, "new.txt")
            old_path.write_text(old_text, encoding="utf-8")
            new_path.write_text(new_text, encoding="utf-8")

            def ours(old_text: str = old_text, new_text: str = new_text) -> str:
                signals_cache_clear()  # every run starts cold
                result = diff_documents(Document.from_text(old_text), Document.from_text(new_text))
                return render(result, "text")

            def git(old_path: Path = old_path, new_path: Path = new_path) -> bytes:
                command = [
                    "git",
                    "diff",
                    "--no-index",
                    "--no-color",
                    "--word-diff",
                    str(old_path),
                    str(new_path),
                ]
                return subprocess.run(command, capture_output=True, check=False).stdout

            def line_diff(old_text: str = old_text, new_text: str = new_text) -> str:
                return "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True)))

            changes = len(diff_documents(Document.from_text(old_text), Document.from_text(new_text)).changes)
            ours_s, git_s, line_s = (
                best(ours, args.repeat),
                best(git, args.repeat),
                best(line_diff, args.repeat),
            )
            print(
                f"{label:<30} {len(old_text) / 1000:>7.0f} {len(new_text) / 1000:>7.0f} {changes:>8} "
                f"{ours_s * 1000:>8.1f} {git_s * 1000:>8.1f} {ours_s / git_s:>5.1f}x {line_s * 1000:>10.1f}"
            )
            timings.append((label, ours_s))
    print(
        "ratio = ours / git diff --word-diff (same files, same run; git's time includes starting the process)"
    )
    # The goal: every pair, the December 2025 regrouping among them, diffed and rendered in under a second.
    for label, seconds in timings:
        met &= result("diff-" + label.replace(" ", "-").replace(",", ""), seconds / GOAL_SECONDS, 1.0)
    return 0 if met else 1


GOAL_SECONDS = 1.0


if __name__ == "__main__":
    sys.exit(main())
