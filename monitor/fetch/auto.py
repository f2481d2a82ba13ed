"""The `auto` renderer: plain HTTP first, the browser when that gives a JavaScript shell or looks blocked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from monitor.config.loading import FetchConfig, PageConfig
from monitor.errors import FetchError
from monitor.fetch.base import Fetcher
from monitor.fetch.common import is_pdf
from monitor.fetch.deadline import pause
from monitor.fetch.http import HttpFetcher
from monitor.models import FetchResult
from monitor.registry import FETCHERS

log = logging.getLogger(__name__)

BLOCKED_STATUSES = frozenset({403, 406, 429})  # answers after which the browser may still get the page


@FETCHERS.register
class AutoFetcher(Fetcher):
    """Plain HTTP first; the browser when that gives a JavaScript shell or looks blocked (403/406/429)."""

    name = "auto"

    def __init__(
        self, settings: FetchConfig, *, base_dir: Path, sleep: Callable[[float], None] = pause
    ) -> None:
        super().__init__(settings, base_dir=base_dir)
        self.http = HttpFetcher(settings, base_dir=base_dir, sleep=sleep)
        self._browser: Fetcher | None = None

    @property
    def sleep(self) -> Callable[[float], None]:
        return self.http.sleep

    @sleep.setter
    def sleep(self, sleep: Callable[[float], None]) -> None:
        self.http.sleep = sleep

    def not_before(self, url: str) -> datetime | None:
        return self.http.not_before(url)

    def close(self) -> None:
        """Close the connections kept for the next fetches, and end the browser this fetcher started, if it
        started one (the pipeline calls this after a run)."""
        self.http.close()
        close = getattr(self._browser, "close", None)
        if close is not None:
            close()
        self._browser = None

    @property
    def browser(self) -> Fetcher:
        if self._browser is None:
            self._browser = FETCHERS.get("browser")(self.settings, base_dir=self.base_dir)
        return self._browser

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        try:
            result = self.http.fetch(page, validators=validators)
        except FetchError as error:
            # A server that said when to come back is asked again then, not through the back door.
            if error.status not in BLOCKED_STATUSES or error.retry_at is not None:
                raise
            log.info("%s: %s over plain HTTP; trying the browser", page.url, error.reason)
            return self.browser.fetch(page)
        from monitor.extract.walls import needs_browser  # the walls load with the first page that needs them

        if result.not_modified or is_pdf(result.body) or not needs_browser(result.html):
            return result
        log.info("%s: plain HTTP gave a JavaScript shell; trying the browser", page.url)
        return self.browser.fetch(page)
