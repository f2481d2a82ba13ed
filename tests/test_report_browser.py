"""The report site in real headless Chromium (Playwright, Debian's /usr/bin/chromium), from file://.

The site is built from real captures checked by the real pipeline (tests/report_support.py) and opened page by
page: each loads with no console error (a CSP violation is one), every link inside it leads to a file of the
site, page text holding `<img src=x onerror=...>`, `<script>` and `<svg onload=...>` never runs (the marker
they would set stays unset, while the same markup written as markup does set it), the timeline has one bar
per change and a bar opens its change, and on a phone's width no page scrolls sideways. Skipped without
Chromium; under CI=true that fails instead (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_support import HOSTILE, PRINTABLE, fill_store, launch_chromium, loopback

from monitor.models import Outcome
from monitor.present import links
from monitor.report.build import build_site

pytestmark = [pytest.mark.browser, pytest.mark.corpus]

LINKS = """() => Array.from(document.querySelectorAll('a[href], link[href]'))
    .map(a => new URL(a.getAttribute('href'), document.baseURI).href)"""
MARKERS = "() => [window.__xss === undefined, document.title !== 'XSS']"


@pytest.fixture(scope="module")
def site(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("browser-report")
    with loopback() as server:
        loaded, store, records = fill_store(corpus, root, server)
    build_site(store, loaded.config, root / "site")
    changes = {
        page: sum(r.outcome == Outcome.CHANGED and r.page == page for r in records)
        for page in (PRINTABLE, HOSTILE)
    }
    return root / "site", changes


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


def open_page(browser: Any, url: str, **options: Any) -> tuple[Any, list[str]]:
    page = browser.new_page(**options)
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, problems


def test_every_page_loads_cleanly_and_every_link_leads_to_a_file_of_the_site(
    site: tuple[Path, Any], browser: Any
) -> None:
    folder, _ = site
    pages = sorted(folder.rglob("*.html"))
    assert len(pages) == 10  # index, 2 pages, 2 changes, 4 versions, 1 watch
    followed = 0
    for path in pages:
        page, problems = open_page(browser, path.as_uri())
        try:
            assert problems == [], path
            assert page.evaluate(MARKERS) == [True, True], path
            assert page.locator("h1").count() == 1, path
            for url in page.evaluate(LINKS):
                if not url.startswith("file://"):
                    continue
                target = Path(url.removeprefix("file://").split("#")[0])
                assert target.is_file() and folder in target.parents, f"{path}: {url}"
                followed += 1
            # the stylesheet really applied (the CSP let it in): the page's font is not the browser default
            assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("-apple-system"), (
                path
            )
        finally:
            page.close()
    assert followed > 40


def test_page_text_with_markup_never_runs(site: tuple[Path, Any], browser: Any) -> None:
    folder, _ = site
    for path in [folder / links.page_file(HOSTILE), *sorted((folder / "versions" / HOSTILE).glob("*.html")),
                 *sorted((folder / "changes").glob(f"{HOSTILE}-*.html")), folder / links.INDEX]:  # fmt: skip
        page, problems = open_page(browser, path.as_uri())
        try:
            assert page.evaluate(MARKERS) == [True, True], path
            assert page.locator("script, img, [onerror], [onload]").count() == 0, path  # no element was made
            assert "onerror" in page.inner_text("main"), path  # shown as text
        finally:
            page.close()
    # The marker works: the same markup written as markup (no CSP, not escaped) sets it.
    control = folder.parent / "control.html"
    control.write_text(
        '<!DOCTYPE html><title>c</title><img src=x onerror="window.__xss=1">', encoding="utf-8"
    )
    page, _ = open_page(browser, control.as_uri())
    try:
        page.wait_for_function("window.__xss === 1")
    finally:
        page.close()


def test_the_timeline_has_one_bar_per_change_and_a_bar_opens_its_change(
    site: tuple[Path, Any], browser: Any
) -> None:
    folder, changes = site
    for page_id, count in changes.items():
        page, problems = open_page(browser, (folder / links.page_file(page_id)).as_uri())
        try:
            assert page.locator("svg.timeline rect.bar").count() == count, page_id
            page.locator("svg.timeline a").first.click()
            page.wait_for_load_state("load")
            assert "/changes/" in page.url and page_id in page.url
            assert page.locator("p.overview").is_visible()
            assert problems == []
        finally:
            page.close()


def test_on_a_phone_no_page_scrolls_sideways_and_the_summary_is_above_the_fold(
    site: tuple[Path, Any], browser: Any
) -> None:
    folder, _ = site
    (december,) = (folder / "changes").glob(f"{PRINTABLE}-*.html")
    for path in (folder / links.INDEX, folder / links.page_file(PRINTABLE), december):
        page, problems = open_page(browser, path.as_uri(), viewport={"width": 390, "height": 844})
        try:
            width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1], (path, width)
            if path == december:
                box = page.locator("p.overview").bounding_box()
                assert box is not None and box["y"] + box["height"] < 844
        finally:
            page.close()
