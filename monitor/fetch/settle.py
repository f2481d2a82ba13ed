"""How long a browser page is waited for, and reading it: the `select` region is taken once its text has
stopped changing with no request in flight (`wait_for_region`), and the document is read in the page's own
world (`document_html`), again in the next document when a script sends the page on meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from monitor.config.loading import PageConfig

log = logging.getLogger(__name__)

# What Playwright's `content()` returns, read in the page's own world: `content()` first builds an isolated one,
# a tenth of a second per page.
_DOCUMENT_HTML = """() => {
  let html = document.doctype ? new XMLSerializer().serializeToString(document.doctype) : "";
  if (document.documentElement) html += document.documentElement.outerHTML;
  return html;
}"""
# The region is written once its text has stopped changing, with no request in flight, for this long.
QUIET = 0.2  # seconds
# ms between looks at the region: a change is seen this much late at most, and the quiet is counted from
# when it was seen, so a finer look takes the page sooner (50 ms cost about 40 ms more per page).
POLL = 25
# The text of every element the selectors match, as extraction reads them all; -1 while none matches.
_REGION_TEXT_LENGTH = """selectors => {
  let found = false, length = 0;
  for (const selector of selectors) {
    let matches = [];
    try { matches = document.querySelectorAll(selector); } catch (e) { continue; }
    for (const el of matches) { found = true; length += el.innerText.trim().length; }
  }
  return found ? length : -1;
}"""


class Network:
    """How many of a tab's requests are in flight, and since when none has started or ended."""

    def __init__(self, tab: Any) -> None:
        self.in_flight = 0
        self.changed = time.monotonic()
        tab.on("request", self._started)
        tab.on("requestfinished", self._ended)
        tab.on("requestfailed", self._ended)

    def _started(self, _request: Any) -> None:
        self.in_flight += 1
        self.changed = time.monotonic()

    def _ended(self, _request: Any) -> None:
        self.in_flight = max(self.in_flight - 1, 0)
        self.changed = time.monotonic()

    def quiet_for(self, now: float) -> float:
        return 0.0 if self.in_flight else now - self.changed


def _evaluate(tab: Any, script: str, arg: Any = None, *, deadline: float) -> Any:
    """`script` in the page's world; when the page navigates meanwhile (a script sends it on to another
    address), again in the next document, as Playwright's own waits do, until `deadline` (monotonic)."""
    from playwright.sync_api import Error as PlaywrightError

    for _ in range(_NAVIGATIONS):
        try:
            return tab.evaluate(script, arg)
        except PlaywrightError as error:
            left = deadline - time.monotonic()
            if left <= 0 or not any(sign in str(error) for sign in _NAVIGATED):
                raise
            with contextlib.suppress(PlaywrightError):
                tab.wait_for_load_state("domcontentloaded", timeout=left * 1000)
    return tab.evaluate(script, arg)


_NAVIGATIONS = 5  # a page sent on more often than this is still read, but a failure then is the page's
_NAVIGATED = ("Execution context was destroyed", "navigation", "Cannot find context")


def wait_for_region(tab: Any, page: PageConfig, network: Network, *, settle: float, deadline: float) -> None:
    """Until the `select` region has text that has not changed, with no request in flight, for QUIET seconds.

    The text may be slow to come (the whole budget); once it has come, settling it takes at most `settle`
    seconds, then the page is taken as it is. A page that writes its text late without any request (a timer)
    is waited for as one that fetches it, which Playwright's "no request for 500 ms" would not see; a page
    whose text is there at once costs QUIET, not 500 ms.
    """
    # A range's region starts where its start boundary is: that element is what the wait watches.
    selectors = [
        rule if isinstance(rule, str) else rule.get("start_before") or rule.get("start_after")
        for rule in page.select
    ]
    selectors = [selector for selector in selectors if selector]
    length, since, settled_by = None, time.monotonic(), None
    while True:
        seen = _evaluate(tab, _REGION_TEXT_LENGTH, selectors, deadline=deadline)
        now = time.monotonic()
        if seen != length:
            length, since = seen, now
            if seen > 0 and settled_by is None:
                settled_by = now + settle
        elif seen > 0 and now - since >= QUIET and network.quiet_for(now) >= QUIET:
            return
        if now >= deadline or (settled_by is not None and now >= settled_by):
            if length is None or length <= 0:
                log.info("%s: the select region held no text within the time limit", page.url)
            return
        tab.wait_for_timeout(min(POLL, max((deadline - now) * 1000, 1)))


def document_html(tab: Any, *, deadline: float) -> str:
    """What Playwright's `content()` returns (doctype and outer HTML), read in the page's own world: a page
    script could change what it reads (as it can change its own text), and building the isolated world that
    `content()` reads in cost a tenth of a second per page."""
    html: str = _evaluate(tab, _DOCUMENT_HTML, deadline=deadline)
    return html
