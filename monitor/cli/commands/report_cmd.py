"""`report`: the static report site (monitor/report), written from the store into a folder."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import plural, say
from monitor.errors import UsageError


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the site into (default: [report] out in the config).",
)
@click.argument("pages", nargs=-1, metavar="[PAGE]...")
@pass_state
def report(state: State, out: Path | None, pages: tuple[str, ...]) -> None:
    """Write the report site: an index, a timeline per page, a page per change and version, the feed.

    Only what changed since the last run is written again; PAGE... limits it to those pages (and the index).
    Open DIR/index.html in a browser, or publish the folder on any static host.

    Example: privacy-monitor report --out /var/www/html/privacy
    """
    from monitor.report.build import build_site, report_dir
    from monitor.store.core import Store

    loaded = state.loaded
    target = out or report_dir(loaded)
    if target is None:
        raise UsageError(
            f"{loaded.path or 'config'}: no report folder: give --out DIR or set [report] out in the config"
        )
    for page_id in pages:
        if loaded.config.page(page_id) not in loaded.config.published_pages():
            raise UsageError(
                f"{page_id}: a private page (fetched with cookies_file) stays out of the report; "
                "set [report] include_private = true in the config to publish it"
            )
    built = build_site(
        Store(loaded.store_path, clock=state.clock),
        loaded.config,
        target,
        pages,
        base_url=loaded.config.report.base_url,
    )
    say(
        f"{target}: {plural(built.pages, 'page')}, {plural(built.changes, 'change')}; "
        f"{plural(len(built.written), 'file')} written, {built.unchanged} already current"
    )
