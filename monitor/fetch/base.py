"""What every fetcher is: a kind keyed by the page's `renderer`, turning a page into a FetchResult."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from monitor.config.loading import FetchConfig, PageConfig
from monitor.models import FetchResult


class Fetcher:
    """Base of the fetcher kinds; a kind sets `name` (its `renderer` value) and implements `fetch`."""

    name: ClassVar[str] = ""

    def __init__(self, settings: FetchConfig, *, base_dir: Path) -> None:
        self.settings = settings
        self.base_dir = base_dir

    def fetch(self, page: PageConfig, *, validators: Mapping[str, str] | None = None) -> FetchResult:
        raise NotImplementedError
