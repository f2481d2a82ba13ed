"""Locating a watched clause in a large real document, against two baselines measured in the same run.

Document: the largest text version of Facebook's privacy policy in ../shared/corpus (OTA Markdown read with
`document_from_markdown`, ~195 KB of text); clause: a ~300-character passage taken from it, then reworded
(a word replaced, one added) so the search has to be fuzzy.
- baseline 1: `str.find` of the exact folded clause in the folded text (the cheapest possible search, which
  cannot find a reworded clause at all);
- baseline 2: `rapidfuzz.fuzz.partial_ratio_alignment` of the clause over the whole folded text (the obvious
  fuzzy search);
- ours: `ClauseIndex(document)` (built once per version, shared by all watches of the page) + `find`.
Goal: index + find under 100 ms (partial_ratio is shown for reference). Every measurement runs the same
number of times, taking turns; wall and CPU time; `RESULT` lines; exit 1 when a goal is missed, 2 without corpus.

    .venv/bin/python bench/bench_locate.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import sys

from benchlib import FACEBOOK_HISTORY as HISTORY  # noqa: E402
from benchlib import (
    ROOT,  # noqa: E402, F401 - also puts the project on sys.path
)

CLAUSE = (
    "When we process your information as necessary to pursue our legitimate interests or those of a third "
    "party, you have the right to object to, and seek restriction of, such processing; to exercise your right, "
    "visit the Facebook settings and the Help Center and Instagram settings."
)
REWORDED = CLAUSE.replace("seek restriction of", "ask us to restrict").replace(
    "third party", "third party or partner"
)

from benchlib import missing, paired, result  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not HISTORY.is_dir():
        return missing(HISTORY)
    from rapidfuzz import fuzz

    from monitor.extract.document import document_from_markdown
    from monitor.extract.wording import fold
    from monitor.models import Document
    from monitor.watch.locate import ClauseIndex

    path = max(HISTORY.glob("*.md"), key=lambda p: p.stat().st_size)
    document = document_from_markdown(path.read_text(encoding="utf-8"))
    text = document.to_text()
    folded_text, folded_clause = fold(text), fold(CLAUSE)
    reworded_text = text.replace(CLAUSE, REWORDED)
    assert reworded_text != text, "the clause is not in the document any more: update CLAUSE"
    page = Document.from_text(reworded_text)
    index = ClauseIndex(page)
    found = index.find(CLAUSE, threshold=80)
    assert found.matches and found.matches[0].text == REWORDED, found.best

    folded_reworded = fold(reworded_text)
    timings = paired(
        {
            "str.find": lambda: folded_text.find(folded_clause),
            "partial_ratio": lambda: fuzz.partial_ratio_alignment(folded_clause, folded_reworded),
            "index": lambda: ClauseIndex(page),
            "find": lambda: index.find(CLAUSE, threshold=80),
        },
        args.repeat,
    )
    print(
        f"document: {path.name}, {len(text) / 1000:.0f} KB text, {len(page.blocks)} blocks; clause {len(CLAUSE)} chars"
    )
    for name, timing in timings.items():
        print(f"  {name:<14} wall {timing.wall * 1000:9.2f} ms   CPU {timing.cpu * 1000:9.2f} ms")
    ours = timings["index"].wall + timings["find"].wall
    ours_cpu = timings["index"].cpu + timings["find"].cpu
    print(f"index + find: {ours * 1000:.2f} ms wall (goal < 100 ms); score {found.matches[0].score}")
    print(
        f"ratio (index + find) / partial_ratio: wall {ours / timings['partial_ratio'].wall:.2f}x, "
        f"CPU {ours_cpu / timings['partial_ratio'].cpu:.2f}x (for reference: no goal)"
    )
    ok = result("locate-index+find/100ms-wall", ours / 0.1, 1.0)
    ok &= result("locate-index+find/100ms-cpu", ours_cpu / 0.1, 1.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
