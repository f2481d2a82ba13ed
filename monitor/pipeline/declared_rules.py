"""What a page's Open Terms Archive declaration does to a capture before its region is extracted: whether
its selectors can select at all (a `select` that is no CSS fails a capture with a DOM; a PDF has none), and
its filters, run in Chromium on the capture's HTML (monitor/fetch/filters.py). Both come from what the check
read of the declaration (`PageConfig.read_rules`), else are read now."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.config.loading import PageConfig
from monitor.errors import FetchError
from monitor.models import FetchResult

if TYPE_CHECKING:
    from monitor.config.page_rules import Part
    from monitor.pipeline.capture import Context


def selector_problem(ctx: Context, page: PageConfig, part: Part | None) -> str | None:
    """Why the rules `page`'s declaration gives it (or `part`) cannot select in a DOM, from what its check
    read (else read now), or None."""
    if page.declaration is None:
        return None
    from monitor.config.declared_pages import rules_read

    return rules_read(ctx.loaded.base_dir, page).selector_problem_of(part)


def filtered_html(ctx: Context, page: PageConfig, fetched: FetchResult, part: Part | None = None) -> str:
    """The capture's HTML once its declaration's filters have edited it, in Chromium (monitor/fetch/filters.py);
    the raw capture stays as served. Raises FetchError (a failed check) naming the file or the filter."""
    if page.declaration is None:
        return fetched.html
    from monitor.config.declarations import DeclarationError, page_filters
    from monitor.fetch.browser import SYSTEM_CHROMIUM
    from monitor.fetch.filters import Filter, run_filters

    try:
        named, script_file, script = page_filters(ctx.loaded.base_dir, page, part)
    except DeclarationError as error:
        raise FetchError(page.url, str(error)) from None
    if not named:
        return fetched.html
    executable = ctx.config.fetch.browser_executable or (
        str(SYSTEM_CHROMIUM) if SYSTEM_CHROMIUM.exists() else ""
    )
    return run_filters(
        fetched.html,
        fetched.final_url,
        [Filter(*item) for item in named],
        script=script,
        script_file=script_file,
        executable=executable,
    )
