"""`test PAGE` (fetch and extract without storing, for tuning selectors) and `add URL` (trial, then append)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, exits_with, main, pass_state
from monitor.config.loading import PageConfig
from monitor.errors import ExitStatus, UsageError

if TYPE_CHECKING:
    from monitor.pipeline.check import Capture


def _selector_options(func):  # noqa: ANN001, ANN202 - a click decorator bundle
    func = click.option("--remove", "remove", multiple=True, help="CSS selector to drop (repeatable).")(func)
    func = click.option(
        "--select", "select", multiple=True, help="CSS selector of the text region (repeatable)."
    )(func)
    return click.option(
        "--renderer",
        type=click.Choice(["http", "browser", "auto"]),
        help="How to fetch (default: the page's).",
    )(func)


def _overridden(
    page: PageConfig, select: tuple[str, ...], remove: tuple[str, ...], renderer: str | None
) -> PageConfig:
    update: dict[str, object] = {}
    if select:
        update["select"] = list(select)
    if remove:
        update["remove"] = list(remove)
    if renderer:
        update["renderer"] = renderer
    data = page.model_dump() | update
    return PageConfig.model_validate(data)


def _trial(state: State, page: PageConfig, lines: int, full: bool) -> tuple[ExitStatus, Capture]:
    from monitor.pipeline.check import capture_now
    from monitor.store.core import Store

    store = Store(state.loaded.store_path, clock=state.clock)
    capture = capture_now(state.loaded, store, page, clock=state.clock)
    current = store.current(page.id) if any(p.id == page.id for p in state.loaded.config.pages) else None
    fetched, extraction = capture.fetched, capture.extraction
    if fetched is not None:
        click.echo(
            f"{page.id}: HTTP {fetched.status} {fetched.final_url} "
            f"(renderer {fetched.renderer}, {fetched.elapsed:.2f} s, {len(fetched.body):,} bytes)"
        )
    if extraction is not None:
        document = extraction.document
        click.echo(
            f"coverage {extraction.coverage:.1%} of {extraction.region_words:,} words; "
            f"{len(document.blocks)} blocks, {document.words():,} words extracted"
            + (f"; title {extraction.title!r}" if extraction.title else "")
        )
    if capture.reason:
        click.secho(f"failed: {capture.reason}", fg="red")
    elif extraction is not None:
        text = extraction.document.to_text()
        verdict = "the document"
        if current:
            same = current.id == _sha(text)
            verdict += f" ({'same as' if same else 'differs from'} the stored version {current.id[:12]})"
        click.secho(f"ok: {verdict}", fg="green")
        shown = text.splitlines() if full else [line for line in text.splitlines() if line][:lines]
        click.echo("---")
        click.echo("\n".join(shown))
    return (ExitStatus.PAGE_FAILED if capture.reason else ExitStatus.OK), capture


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@main.command("test")
@click.argument("page")
@_selector_options
@click.option("--lines", default=15, show_default=True, help="How many lines of extracted text to show.")
@click.option("--full", is_flag=True, help="Show the whole extracted text.")
@pass_state
@exits_with
def test_page(state: State, page: str, select, remove, renderer, lines: int, full: bool) -> ExitStatus:  # noqa: ANN001
    """Fetch and extract PAGE (an id or a URL) without storing anything, to tune selectors.

    --select/--remove/--renderer override the page's config for this trial.

    Example: privacy-monitor test facebook-privacy-policy-en --select '#root' --remove img
    """
    if page.startswith(("http://", "https://")):
        config_page = PageConfig(id="trial", url=page, renderer="auto")
    else:
        config_page = state.loaded.config.page(page)
    return _trial(state, _overridden(config_page, select, remove, renderer), lines, full)[0]


@main.command()
@click.argument("url")
@click.option("--id", "page_id", help="The page's id (default: made from the URL).")
@_selector_options
@click.option("--force", is_flag=True, help="Add the page even if the trial fetch failed.")
@click.option("--dry-run", is_flag=True, help="Show the [[pages]] table, do not write the config.")
@pass_state
@exits_with
def add(
    state: State, url: str, page_id: str | None, select, remove, renderer, force: bool, dry_run: bool
) -> ExitStatus:  # noqa: ANN001
    """Try URL, then append it to the config as a new [[pages]] entry.

    The trial shows the first lines of the extracted text, the coverage and whether the
    browser was needed (with --renderer auto, the default, the page keeps the renderer that worked).

    Example: privacy-monitor add https://www.whatsapp.com/legal/privacy-policy-eea --select '#content-wrapper'
    """
    from monitor.config.edit import append_page, page_id_for

    loaded = state.loaded
    taken = {page.id for page in loaded.config.pages}
    if page_id in taken:
        raise UsageError(
            f"{state.config_path}: a page with id {page_id!r} exists already (choose another --id)"
        )
    try:
        page = PageConfig(
            id=page_id or page_id_for(url, taken),
            url=url,
            renderer=renderer or "auto",
            select=list(select),
            remove=list(remove),
        )
    except ValueError as error:
        raise UsageError(f"{url}: {str(error).splitlines()[-1].strip()}") from None
    status, capture = _trial(state, page, lines=10, full=False)
    if status and not force:
        raise UsageError(
            f"{url}: not added, the trial failed (fix the selectors, or add it anyway with --force)"
        )
    if not renderer and capture.fetched is not None:
        page = page.model_copy(update={"renderer": capture.fetched.renderer})  # the one that worked
    if dry_run:
        from monitor.config.edit import page_table

        click.echo(page_table(page), nl=False)
        return ExitStatus.OK
    append_page(state.config_path, page)
    click.echo(f"added {page.id} (renderer {page.renderer}) to {state.config_path}")
    return ExitStatus.OK
