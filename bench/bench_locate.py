"""Locating a watched clause in a large real document, against two baselines measured in the same run.

Document: the largest text version of Facebook's privacy policy in ../shared/corpus (OTA Markdown read with
`document_from_markdown`, ~195 KB of text); clause: a ~300-character passage taken from it, then reworded
(a word replaced, one added) so the search has to be fuzzy.
- baseline 1: `str.find` of the exact folded clause in the folded text (the cheapest possible search, which
  cannot find a reworded clause at all);
- baseline 2: `rapidfuzz.fuzz.partial_ratio_alignment` of the clause over the whole folded text (the obvious
  fuzzy search);
- ours: `ClauseIndex(document)` (built once per version, shared by all watches of the page) + `find`.
Goal: index + find well under 100 ms; find alone a small multiple of str.find.

    .venv/bin/python bench/bench_locate.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import sys

from benchlib import (
    CORPUS,  # noqa: E402
    ROOT,  # noqa: E402, F401 - also puts the project on sys.path
)
from benchlib import FACEBOOK_HISTORY as HISTORY  # noqa: E402

CLAUSE = (
    "When we process your information as necessary to pursue our legitimate interests or those of a third "
    "party, you have the right to object to, and seek restriction of, such processing; to exercise your right, "
    "visit the Facebook settings and the Help Center and Instagram settings."
)
REWORDED = CLAUSE.replace("seek restriction of", "ask us to restrict").replace(
    "third party", "third party or partner"
)

from benchlib import best  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not HISTORY.is_dir():
        print(f"corpus not found at {CORPUS} (set PRIVACY_MONITOR_CORPUS); nothing measured")
        return 0
    from rapidfuzz import fuzz

    from monitor.extract.document import document_from_markdown
    from monitor.models import Document
    from monitor.watch.locate import ClauseIndex, fold

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

    t_find = best(lambda: folded_text.find(folded_clause), args.repeat)
    t_partial = best(
        lambda: fuzz.partial_ratio_alignment(folded_clause, fold(reworded_text)), max(1, args.repeat // 3)
    )
    t_index = best(lambda: ClauseIndex(page), args.repeat)
    t_locate = best(lambda: index.find(CLAUSE, threshold=80), args.repeat)

    print(
        f"document: {path.name}, {len(text) / 1000:.0f} KB text, {len(page.blocks)} blocks; clause {len(CLAUSE)} chars"
    )
    print(f"baseline str.find (exact only):        {t_find * 1000:8.2f} ms")
    print(f"baseline partial_ratio over all text:  {t_partial * 1000:8.2f} ms")
    print(f"ClauseIndex (once per version):        {t_index * 1000:8.2f} ms")
    print(
        f"find (per watch):                      {t_locate * 1000:8.2f} ms   score {found.matches[0].score}"
    )
    print(f"index + find:                          {(t_index + t_locate) * 1000:8.2f} ms   (goal < 100 ms)")
    print(f"ratio find / str.find:                 {t_locate / t_find:8.1f}x")
    print(f"ratio (index + find) / partial_ratio:  {(t_index + t_locate) / t_partial:8.3f}x")
    return 0 if (t_index + t_locate) < 0.1 else 1


if __name__ == "__main__":
    sys.exit(main())
