"""A range's page reads only as much of its own visible text as recognizing walls needs (`page_words_read`):
the walls' verdict is the same as with the whole text, on every recorded wall page and on real captures, and the
text it keeps is a start of the whole one with more words than any recognizer's limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CORPUS

from monitor.config.loading import PageConfig, QualityConfig, WallConfig
from monitor.extract.document import extract_document
from monitor.extract.walls import RECOGNIZERS, classify_capture, page_words_read
from monitor.models import FetchResult

WALLS = Path(__file__).parent / "fixtures" / "walls"
URL = "https://www.facebook.com/legal/eu-ai-terms"
# The whole body as a range: the region is the page, read apart from it as every range is.
BODY_RANGE = {"start_before": "body > *", "end_after": "body > *:last-child"}
META_AI_RANGE = {"start_before": '[role="main"]', "end_after": '[role="separator"]'}
UNLIMITED = WallConfig(reason="moved", pattern=r"this policy has moved to")


def verdict(
    html: str, select: list[object], walls: list[WallConfig], *, page_words: int | None
) -> str | None:
    extraction = extract_document(html, url=URL, select=select, page_words=page_words)  # type: ignore[arg-type]
    page = PageConfig(id="page", url=URL)
    fetched = FetchResult(URL, URL, 200, {}, html.encode(), html, "utf-8", "http", 0.1)
    return classify_capture(
        fetched, extraction, last_good=None, page=page, quality=QualityConfig(), walls=walls
    )


def test_the_words_read_are_the_largest_limit_or_all_of_them() -> None:
    largest = max(r.max_words for r in RECOGNIZERS if r.max_words is not None)

    assert page_words_read() == largest == 600
    assert page_words_read([WallConfig(reason="maintenance", pattern="down", max_words=900)]) == 900
    assert page_words_read([WallConfig(reason="maintenance", pattern="down", max_words=10)]) == 600
    assert page_words_read([UNLIMITED]) is None


@pytest.mark.parametrize("name", sorted(path.name for path in WALLS.glob("*.html")))
@pytest.mark.parametrize("walls", [[], [UNLIMITED]], ids=["built-in walls", "a wall without max_words"])
def test_a_wall_page_read_through_a_range_gives_the_same_verdict(name: str, walls: list[WallConfig]) -> None:
    html = (WALLS / name).read_text(encoding="utf-8")

    whole = verdict(html, [BODY_RANGE], walls, page_words=None)
    assert verdict(html, [BODY_RANGE], walls, page_words=page_words_read(walls)) == whole


def test_a_long_page_keeps_a_start_of_its_text_with_more_words_than_asked() -> None:
    paragraphs = "".join(f"<p>Paragraph {n} of the policy, with <b>its</b> words.</p>" for n in range(400))
    html = f"<html><body><nav>Home Help</nav><main role='main'>{paragraphs}</main><hr role='separator'></body></html>"

    whole = extract_document(html, select=[META_AI_RANGE])  # type: ignore[list-item]
    cut = extract_document(html, select=[META_AI_RANGE], page_words=50)  # type: ignore[list-item]

    assert len(cut.visible_text.split()) > 50
    assert len(cut.visible_text) < len(whole.visible_text)
    assert whole.visible_text.startswith(cut.visible_text)
    assert (cut.document, cut.coverage, cut.region_words) == (
        whole.document,
        whole.coverage,
        whole.region_words,
    )


def test_a_short_page_keeps_its_whole_text() -> None:
    html = "<html><body><main role='main'><p>Log in to Facebook</p></main><hr role='separator'><p>Footer</p></body></html>"

    cut = extract_document(html, select=[META_AI_RANGE], page_words=600)  # type: ignore[list-item]

    assert cut.visible_text == extract_document(html, select=[META_AI_RANGE]).visible_text  # type: ignore[list-item]
    assert cut.visible_text == "Log in to Facebook Footer"


def test_real_meta_ai_terms_captures_give_the_same_verdict_reading_less() -> None:
    captures = sorted(
        (CORPUS / "html" / "genai-eu-snapshots" / "Meta_AI" / "Terms_of_Service").glob("*.html")
    )
    if not captures:
        pytest.skip(f"no Meta AI Terms captures under {CORPUS}")
    for path in captures:
        html = path.read_text(encoding="utf-8")
        for walls in ([], [UNLIMITED]):
            whole = verdict(html, [META_AI_RANGE], walls, page_words=None)
            assert verdict(html, [META_AI_RANGE], walls, page_words=page_words_read(walls)) == whole, (
                path.name
            )
