"""The cookie-banner markers are found by the page's one scan: a marker the scan missed would leave its
banner in the text."""

from __future__ import annotations

import pytest

from monitor.extract import boilerplate


@pytest.mark.parametrize("marker", boilerplate._COOKIE_BANNER_MARKERS)
def test_every_cookie_banner_marker_is_seen_by_the_one_scan(marker: str) -> None:
    html = f"<html><body><div id='{marker}'>We use cookies.</div></body></html>"
    assert "onetrust-consent-sdk" in html or boilerplate._COOKIE_BANNER_IN_HTML.search(html)


def test_a_page_without_a_marker_is_not_scanned_for_banners() -> None:
    html = "<html><body><p>Cookies are small files. We keep them for a year.</p></body></html>"
    assert not ("onetrust-consent-sdk" in html or boilerplate._COOKIE_BANNER_IN_HTML.search(html))
