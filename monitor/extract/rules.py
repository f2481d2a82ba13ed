"""The fingerprint of what turns a capture into a page's text and judges it: the page's rules, the walls, the
word threshold, and the extraction's own version.

The same capture under the same fingerprint always gives the same text and the same judgement, so a check whose
capture hashes like the last good one's, under the same fingerprint, is `unchanged` without extracting anything.
A version records the fingerprint it was made under, so a change of the rules can be told from a change of the
page.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from monitor.config.loading import PageConfig, QualityConfig, WallConfig

# Bumped when extraction output changes on purpose (a new block kind, another region rule, ...), so that a
# stored version tells which extractor made it and a re-extracted capture is not taken for the page's change.
# 2: headings found from bold lines and list items' first lines; inline items laid out apart read apart.
# 3: imported OTA Markdown finds those headings too (an import and a capture of the same text agree); the automatic
#    region leaves out lists of links beside the document (related topics, language menus, rows of site links).
# 4: a PDF's headings also where its structure tree tags them, and a heading wrapped over lines is one heading; a
#    region the page's rules name keeps its furniture (a breadcrumb nav inside the selected main), as OTA does.
# 5: invisible characters are removed before letters and accents are composed (a zero-width space between "e" and
#    its accent kept them apart until the text was normalized again).
# 6: a class name holding a character XML forbids no longer makes the automatic region the whole body.
# 7: an automatic region trafilatura cannot anchor is the page's one main when it holds most of the text, not the
#    whole body; an in-page "Skip to main content" link is furniture.
EXTRACTION_VERSION = 7


@lru_cache(maxsize=1)
def extractor() -> str:
    # Read from the installed package's metadata: importing trafilatura would cost a check that extracts nothing.
    from importlib.metadata import version

    return f"{EXTRACTION_VERSION}/trafilatura {version('trafilatura')}/pypdfium2 {version('pypdfium2')}"


def rule_parts(
    page: PageConfig,
    quality: QualityConfig,
    walls: tuple[WallConfig, ...] | list[WallConfig],
    *,
    filters: object = None,
) -> dict[str, object]:
    """Everything that makes and judges `page`'s text from a capture, by name: the page's effective rules
    (select and remove, ranges included, whether written on the page or read from its declaration), where they
    come from, the filters its declaration runs (`filters`: their names and parameters, and a hash of the
    script that defines them), the word threshold, the walls (by a hash of them), and the extractor's own
    version (PDF reading included)."""
    walls_json = json.dumps(
        [wall.model_dump(mode="json") for wall in walls], sort_keys=True, ensure_ascii=False
    )
    return {
        "select": page.select,
        "remove": page.remove,
        "declaration": page.declaration.model_dump(mode="json") if page.declaration else None,
        "filters": filters,
        "min_words": quality.min_words if page.min_words is None else page.min_words,
        "walls": hashlib.sha256(walls_json.encode("utf-8")).hexdigest()[:12],
        "extractor": extractor(),
    }


def fingerprint_of(parts: dict[str, object]) -> str:
    encoded = json.dumps(parts, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:16]
