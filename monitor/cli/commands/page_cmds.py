"""`test PAGE` (fetch and extract without storing, for tuning selectors) and `add URL` (trial, then append)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, exits_with, main, pass_state
from monitor.cli.output import find_page, paint, plural, say, with_hint
from monitor.config.loading import PageConfig, validate_page
from monitor.errors import ExitStatus, MonitorError, UsageError

if TYPE_CHECKING:
    from monitor.pipeline.check import Capture


class TrialFailed(MonitorError):
    """`add` of a page whose trial failed: the same exit code as `test` for the same failure."""

    exit_status = ExitStatus.PAGE_FAILED


def _selector_options(renderer_help: str):  # noqa: ANN202 - a click decorator bundle
    def bundle(func):  # noqa: ANN001, ANN202
        func = click.option("--remove", "remove", multiple=True, help="CSS selector to drop (repeatable).")(
            func
        )
        func = click.option(
            "--select", "select", multiple=True, help="CSS selector of the text region (repeatable)."
        )(func)
        return click.option("--renderer", type=click.Choice(["http", "browser", "auto"]), help=renderer_help)(
            func
        )

    return bundle


def _overridden(
    page: PageConfig, select: tuple[str, ...], remove: tuple[str, ...], renderer: str | None
) -> PageConfig:
    if page.declaration_problem is not None:
        return page  # its check fails with the declaration's problem; nothing to override
    update: dict[str, object] = {}
    if select:
        update["select"] = list(select)
    if remove:
        update["remove"] = list(remove)
    if renderer:
        update["renderer"] = renderer
    return validate_page(page.model_dump() | update, page.id)


def _trial(state: State, page: PageConfig, lines: int, full: bool) -> tuple[ExitStatus, Capture]:
    from monitor.pipeline.check import capture_now
    from monitor.store.core import Store

    store = Store(state.loaded.store_path, clock=state.clock)
    capture = capture_now(state.loaded, store, page, clock=state.clock)
    current = (
        store.versions.current(page.id) if any(p.id == page.id for p in state.loaded.config.pages) else None
    )
    fetched, extraction = capture.fetched, capture.extraction
    if fetched is not None:
        say(
            f"{page.id}: HTTP {fetched.status} {fetched.final_url} "
            f"(renderer {fetched.renderer}, {fetched.elapsed:.2f} s, {plural(len(fetched.body), 'byte')})"
        )
    if extraction is not None:
        document = extraction.document
        say(
            f"coverage {extraction.coverage:.1%} of {plural(extraction.region_words, 'word')}; "
            f"{plural(len(document.blocks), 'block')}, {plural(document.words(), 'word')} extracted"
            + (f"; title {extraction.title!r}" if extraction.title else "")
        )
    if capture.reason:
        say(paint(f"failed: {with_hint(capture.reason)}", "red"))
    elif extraction is not None:
        text = extraction.document.to_text()
        verdict = "the document"
        if current:
            same = current.id == _sha(text)
            verdict += f" ({'same as' if same else 'differs from'} the stored version {current.id[:12]})"
        say(paint(f"ok: {verdict}", "green"))
        shown = text.splitlines() if full else [line for line in text.splitlines() if line][:lines]
        say("---")
        say("\n".join(shown))
    return (ExitStatus.PAGE_FAILED if capture.reason else ExitStatus.OK), capture


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@main.command("test")
@click.argument("page")
@_selector_options("How to fetch (default: the page's renderer; auto for a URL).")
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
        config_page = validate_page({"id": "trial", "url": page, "renderer": "auto"}, page)
    else:
        config_page = find_page(state.loaded.config, page)
    return _trial(state, _overridden(config_page, select, remove, renderer), lines, full)[0]


@main.command()
@click.argument("url", required=False)
@click.option(
    "--declaration",
    "declaration",
    type=click.Path(file_okay=False),
    help="An Open Terms Archive declarations checkout: add its --service's documents instead of a URL.",
)
@click.option("--service", help="With --declaration: the service, as its file is named ('Meta AI').")
@click.option(
    "--terms", "terms", multiple=True, help="With --declaration: a terms type (repeatable; default: all)."
)
@click.option(
    "--id", "page_id", help="The page's id (default: made from its title, else from the URL's path)."
)
@_selector_options(
    "How to fetch (default: auto, plain HTTP first, then the browser; the renderer that worked is written)."
)
@click.option("--force", is_flag=True, help="Add the page even if the trial fetch failed.")
@click.option("--dry-run", is_flag=True, help="Show the [[pages]] table, do not write the config.")
@pass_state
@exits_with
def add(
    state: State,
    url: str | None,
    declaration: str | None,
    service: str | None,
    terms: tuple[str, ...],
    page_id: str | None,
    select,  # noqa: ANN001
    remove,  # noqa: ANN001
    renderer,  # noqa: ANN001
    force: bool,
    dry_run: bool,
) -> ExitStatus:
    """Try URL, then append it to the config as a new [[pages]] entry.

    The trial shows the first lines of the extracted text and the coverage. The entry gets the
    page's title and the renderer that worked (without --renderer the trial tries plain HTTP
    first, then the browser). Exit status 3 when the trial failed, as `test` does.

    With --declaration DIR --service NAME [--terms TYPE]... (no URL) it appends one page per terms type whose
    rules come from that Open Terms Archive declaration, read at each check.

    Example: privacy-monitor add https://www.whatsapp.com/legal/privacy-policy-eea --select '#content-wrapper'
    """
    from monitor.config.edit import append_page, page_id_for

    if declaration is not None or service is not None or terms:
        if url is not None or select or remove or page_id:
            raise UsageError(
                "add --declaration takes no URL, --select, --remove or --id (the declaration holds the rules)"
            )
        return _add_declared(state, declaration, service, terms, renderer, dry_run)
    if url is None:
        raise UsageError("add needs a URL, or --declaration DIR --service NAME")
    loaded = state.loaded
    taken = {page.id for page in loaded.config.pages}
    for existing in loaded.config.pages:
        if existing.url == url:
            say(
                paint(f"warning: {url} is configured already as page {existing.id}", "yellow", err=True),
                err=True,
            )
    if page_id in taken:
        raise UsageError(
            f"{state.config_path}: a page with id {page_id!r} exists already (choose another --id)"
        )
    page = validate_page(
        {"id": page_id or "trial", "url": url, "renderer": renderer or "auto", "select": list(select),
         "remove": list(remove)},
        url,
    )  # fmt: skip
    status, capture = _trial(state, page, lines=10, full=False)
    if status and not force:
        fix = (
            "check the URL"
            if capture.fetched is None
            else "tune --select/--remove with `privacy-monitor test URL`"
        )
        raise TrialFailed(f"{url}: not added, the trial failed ({fix}, or add it anyway with --force)")
    title = capture.extraction.title if capture.extraction is not None else None
    update: dict[str, object] = {"id": page_id or page_id_for(url, taken, title), "title": title}
    if not renderer and capture.fetched is not None:
        update["renderer"] = capture.fetched.renderer  # the one that worked
    page = page.model_copy(update=update)
    if dry_run:
        from monitor.config.edit import page_table

        say(page_table(page), nl=False)
        return ExitStatus.OK
    append_page(state.config_path, page)
    say(f"added {page.id} (renderer {page.renderer}) to {state.config_path}")
    return ExitStatus.OK


def _add_declared(
    state: State,
    folder: str | None,
    service: str | None,
    terms: tuple[str, ...],
    renderer: str | None,
    dry_run: bool,
) -> ExitStatus:
    """Append one page per terms type of `service`'s declaration (all of them without --terms)."""
    import os
    from pathlib import Path

    from monitor.config.declarations import read_service, service_file, terms_entry
    from monitor.config.edit import append_tables, declaration_page_id, declaration_table

    if folder is None or service is None:
        raise UsageError("add --declaration needs both --declaration DIR and --service NAME")
    config_dir = state.config_path.parent
    # Paths in the config are relative to the config file.
    path = os.path.relpath(Path(folder).resolve(), config_dir.resolve())
    file = service_file(config_dir, path, service)
    try:
        data = read_service(file)
        chosen = list(terms) or list(data["terms"])
        for name in chosen:
            terms_entry(file, data, name)
    except MonitorError as error:
        raise UsageError(str(error)) from None
    if not chosen:
        raise UsageError(
            f"{file}: declares no terms today (only its history may): nothing to add; pick another --service"
        )
    taken = {page.id for page in state.loaded.config.pages}
    tables, ids = [], []
    for name in chosen:
        ids.append(declaration_page_id(service, name, taken))
        taken.add(ids[-1])
        tables.append(declaration_table(ids[-1], path, service, name, renderer))
    if dry_run:
        say("".join(tables), nl=False)
        return ExitStatus.OK
    append_tables(state.config_path, tables)
    for new_id, name in zip(ids, chosen, strict=True):
        say(f"added {new_id} ({service} / {name}, rules from {file}) to {state.config_path}")
    return ExitStatus.OK
