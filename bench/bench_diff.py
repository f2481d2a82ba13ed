"""The structured diff on real versions of Facebook's privacy policy, against baselines measured in the same run.

Versions: OTA Markdown from ../shared/corpus/versions/pga-versions/Facebook/Privacy_Policy, converted to our
stored text form (`document_from_markdown(...).to_text()`) and written to two temporary files.
- ours: parse both stored texts, `diff_documents`, render the `text` format (what `privacy-monitor diff` does
  after reading the store);
- baseline: `git diff --no-index --word-diff` on the same two files (a process of its own, as a user would run it);
- for reference: `difflib.unified_diff` over the lines (the line diff peer tools show).
Pairs: two consecutive versions (a one-clause update, and the December 2025 rewrite) and the worst case, the
first against the last version (four years apart); and the printable policy's December 2025 update, whose
tables became lists (two captures in ../shared/corpus/html, extracted with the page's region). Goal: every pair
diffed and rendered in under a second.

Block pairing must never go quadratic; two more cases, diff only (`diff_documents`), absolute goals:
- the largest real policy version with every block edited (a word inserted in the middle of each): under 0.5 s;
- 2,000 similar blocks (words drawn from one small vocabulary, so every block resembles every other), each
  edited by one word: under 2 s.
Ours and the baselines run the same number of times, taking turns; wall and CPU time (git's CPU time is that of
its process) are both reported and both must meet the goal; `RESULT` lines; exit 1 when a goal is missed, 2
without the corpus.

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


from benchlib import Timing, missing, paired, result  # noqa: E402

GOAL_SECONDS = 1.0  # every real pair, diffed and rendered
EVERY_BLOCK_GOAL = 0.5  # the real policy with every block edited
SIMILAR_BLOCKS, SIMILAR_GOAL = 2000, 2.0  # similar blocks, all edited
VOCABULARY_TEXT = (
    "we collect information about how you use our products such as the content you view or engage with features "
    "actions time frequency duration activities partners advertisers measurement"
)


def every_block_edited(text: str) -> tuple[str, str]:
    """The stored text, and the same with one word inserted in the middle of every block."""
    from monitor.models import Block, Document

    document = Document.from_text(text)

    def edit(block: Block) -> Block:
        words = block.text.split(" ")
        words.insert(len(words) // 2, "generally")
        return Block(block.kind, " ".join(words), block.level)

    return text, Document([edit(block) for block in document.blocks], title=document.title).to_text()


def similar_blocks(count: int) -> tuple[str, str]:
    """`count` paragraphs of 28 words from one small vocabulary, and the same with one word changed in each."""
    import random

    rng = random.Random(14)
    vocabulary = VOCABULARY_TEXT.split()
    old, new = ["# Policy"], ["# Policy"]
    for number in range(count):
        words = [rng.choice(vocabulary) for _ in range(28)]
        old.append(" ".join(words) + f" item {number}.")
        words[rng.randrange(len(words))] = rng.choice(vocabulary) + "s"
        new.append(" ".join(words) + f" item {number}.")
    return "\n\n".join(old) + "\n", "\n\n".join(new) + "\n"


def git_word_diff(old_path: Path, new_path: Path) -> bytes:
    command = ["git", "diff", "--no-index", "--no-color", "--word-diff", str(old_path), str(new_path)]
    return subprocess.run(command, capture_output=True, check=False).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not HISTORY.is_dir():
        return missing(HISTORY)
    if not PRINTABLE.is_dir():
        return missing(PRINTABLE)
    from monitor.diff.core import diff_documents
    from monitor.diff.formats import render
    from monitor.diff.signals import _find_signals
    from monitor.models import Document

    signals_cache_clear = _find_signals.cache_clear
    diff_documents(
        Document.from_text("# a\n"), Document.from_text("# b\n")
    )  # imports (deepdiff) out of the timing
    print(f"best of {args.repeat}, ours and git taking turns; ms wall / ms CPU")
    print(
        f"{'pair':<32} {'old KB':>6} {'new KB':>6} {'changes':>7} {'ours wall':>9} {'ours CPU':>8} "
        f"{'git wall':>8} {'git CPU':>7} {'ratio':>6} {'difflib':>7}"
    )
    largest = max(HISTORY.glob("*.md"), key=lambda path: path.stat().st_size).name
    cases: list[tuple[str, str, str, bool, float]] = [
        (label, stored_text(old), stored_text(new), True, GOAL_SECONDS) for label, old, new in PAIRS
    ]
    edited_old, edited_new = every_block_edited(stored_text(largest))
    cases.append(("real policy, every block edited", edited_old, edited_new, False, EVERY_BLOCK_GOAL))
    similar_old, similar_new = similar_blocks(SIMILAR_BLOCKS)
    cases.append(
        (f"{SIMILAR_BLOCKS} similar blocks, all edited", similar_old, similar_new, False, SIMILAR_GOAL)
    )
    met = True
    goals: list[tuple[str, Timing, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        for label, old_text, new_text, rendered, goal in cases:
            old_path, new_path = Path(folder, "old.txt"), Path(folder, "new.txt")
            old_path.write_text(old_text, encoding="utf-8")
            new_path.write_text(new_text, encoding="utf-8")

            def ours(old_text: str = old_text, new_text: str = new_text, rendered: bool = rendered) -> object:
                signals_cache_clear()  # every run starts cold
                diff = diff_documents(Document.from_text(old_text), Document.from_text(new_text))
                return render(diff, "text") if rendered else diff

            def line_diff(old_text: str = old_text, new_text: str = new_text) -> str:
                return "".join(difflib.unified_diff(old_text.splitlines(True), new_text.splitlines(True)))

            changes = len(diff_documents(Document.from_text(old_text), Document.from_text(new_text)).changes)
            timings = paired(
                {
                    "ours": ours,
                    "git": lambda o=old_path, n=new_path: git_word_diff(o, n),
                    "difflib": line_diff,
                },
                args.repeat,
            )
            mine, git = timings["ours"], timings["git"]
            print(
                f"{label:<32} {len(old_text) / 1000:>6.0f} {len(new_text) / 1000:>6.0f} {changes:>7} "
                f"{mine.wall * 1000:>9.1f} {mine.cpu * 1000:>8.1f} {git.wall * 1000:>8.1f} {git.cpu * 1000:>7.1f} "
                f"{mine.wall / git.wall:>5.1f}x {timings['difflib'].wall * 1000:>7.1f}"
            )
            goals.append((label, mine, goal))
    print("ratio = ours / git diff --word-diff, wall (same files, same run; git's time includes starting it)")
    print("the real pairs are diffed and rendered; the two pairing cases are diffed only")
    for label, timing, goal in goals:
        name = "diff-" + label.replace(" ", "-").replace(",", "")
        met &= result(f"{name}/{goal:g}s-wall", timing.wall / goal, 1.0)
        met &= result(f"{name}/{goal:g}s-cpu", timing.cpu / goal, 1.0)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
