"""`privacy-monitor diff`: compare two stored versions of a page, a stored version with the live page, or any
two files or URLs. Exit codes as diff(1): 0 no change shown, 1 changes shown, 2 trouble; and, as every
command, 4 when the store is damaged (the file to restore is named)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.main import State, main, pass_state, readable
from monitor.cli.output import PAGES_HINT, human_time, json_text, say, terminal_safe, write_output
from monitor.diff.formats import FORMATS
from monitor.errors import ConfigError, ExitStatus, MonitorError, StoreDamaged, UsageError
from monitor.models import Document, isoformat

if TYPE_CHECKING:
    from monitor.config.loading import PageConfig
    from monitor.store.core import Store

LIVE = "live"
_HTML_START = re.compile(r"\s*(<!doctype|<html|<head|<body|<\?xml|<div|<meta|<main|<article)", re.IGNORECASE)


class DiffTrouble(click.ClickException):
    """A failure of `diff` exits 2, as diff(1) does, whatever the error's usual exit code; only a damaged store
    keeps its 4, so that a script tells "restore this file" from "wrong arguments"."""

    exit_code = int(ExitStatus.USAGE)

    def format_message(self) -> str:
        return terminal_safe(self.message)  # click prints it: the reason may quote a server's text


@main.command("diff")
@click.argument("first", metavar="PAGE|A")
@click.argument("second", required=False, metavar="[FROM|B]")
@click.argument("third", required=False, metavar="[TO]")
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help="Output format."
)
@click.option(
    "--color/--no-color", default=None, help="Color the text format (default: when writing to a terminal)."
)
@click.option(
    "--context",
    type=click.IntRange(min=0),
    help="Unchanged blocks shown around each change (unified: lines) [default: 1; unified 3].",
)
@click.option(
    "--substantive-only", is_flag=True, help="Leave out cosmetic changes (case, punctuation, typography...)."
)
@click.option("--section", metavar="TEXT", help="Only changes whose section path contains TEXT (any case).")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of stdout."
)
@pass_state
def diff(
    state: State,
    first: str,
    second: str | None,
    third: str | None,
    fmt: str,
    color: bool | None,
    context: int | None,
    substantive_only: bool,
    section: str | None,
    out: Path | None,
) -> None:
    """Show what changed between two versions of a page, or between two files or URLs.

    \b
    PAGE [FROM] [TO]  versions of a configured page: an id prefix, a date or
                      date-time (the version in effect then; in [digest]
                      timezone unless it gives its zone), `previous`,
                      `latest`, or `live` (fetch now, store nothing).
                      Default: previous → latest; `PAGE live` alone
                      is latest → live.
    A B               two files (HTML, or text/Markdown) or http(s) URLs.

    Exit status: 0 no change shown, 1 changes shown, 2 trouble.

    \b
    Examples:
      privacy-monitor diff facebook-privacy-policy-en
      privacy-monitor diff facebook-privacy-policy-en 2025-11-01 live --substantive-only
      privacy-monitor diff old.html new.html --format html --out changes.html
    """
    from monitor.diff.core import diff_documents
    from monitor.diff.formats import render

    try:
        page = _configured_page(state, first)
        if page is not None and (hint := _nothing_stored(state, page)) is not None:
            say(hint)  # nothing is wrong with the command: a page not checked yet (exit 0, as `show` does)
            return
        if page is not None:
            if third is None and second is not None and second.lower() == LIVE:
                second, third = "latest", LIVE  # `diff PAGE live`: what changed since the last stored version
            old, new, meta = _page_sides(state, page, second or "previous", third or "latest")
        else:
            if second is None or third is not None:
                raise UsageError(
                    f"{first!r} is not a configured page id; to compare files or URLs give exactly two "
                    "(privacy-monitor diff OLD NEW), or see `privacy-monitor pages` for page ids"
                )
            (old, old_meta), (new, new_meta) = _load_input(state, first), _load_input(state, second)
            meta = {"page": None, "from": old_meta, "to": new_meta}
        result = diff_documents(old, new)
        shown = result.filtered(substantive_only=substantive_only, section=section)
        use_color = color if color is not None else (fmt == "text" and out is None and _stdout_is_terminal())
        meta["filtered"] = len(shown.changes) != len(result.changes)
        text = render(
            result,
            fmt,  # type: ignore[arg-type]
            color=use_color,
            context=context,
            meta=meta,
            substantive_only=substantive_only,
            section=section,
        )
        if out is not None:
            try:
                out.write_text(text, encoding="utf-8")
            except OSError as error:
                raise UsageError(f"{out}: cannot write ({error.strerror})") from None
        else:
            # A page's control characters never reach the terminal raw; JSON keeps them as JSON escapes.
            write_output(json_text(text) if fmt == "json" else text, colour=use_color)
    except StoreDamaged:
        raise
    except MonitorError as error:
        if state.traceback:
            raise
        raise DiffTrouble(readable(state, str(error))) from None
    if shown.changes:
        click.get_current_context().exit(int(ExitStatus.CHANGES))


def _nothing_stored(state: State, page: PageConfig) -> str | None:
    """What to run when `page` has no version stored yet (None when it has one)."""
    from monitor.cli.commands.store_cmds import nothing_yet, open_store

    store = open_store(state)
    return None if store.versions.list(page.id) else nothing_yet(store, page.id)


def _stdout_is_terminal() -> bool:
    import sys

    return bool(getattr(sys.stdout, "isatty", lambda: False)())


def _configured_page(state: State, name: str) -> PageConfig | None:
    """The page `name` names in the config, or None when it looks like a file or URL (or there is no page). A URL,
    or an existing file named with a folder or a suffix (`old.html`, `./a`), is an input without reading the
    config: comparing two files should not pay for loading every page's rules."""
    path = Path(name)
    looks_like_input = name.startswith(("http://", "https://")) or path.exists()
    if name.startswith(("http://", "https://")) or (path.exists() and (path.suffix or len(path.parts) > 1)):
        return None
    try:
        pages = state.loaded.config.pages
    except ConfigError:
        if looks_like_input:
            return None  # comparing two files needs no config
        raise
    return next((page for page in pages if page.id == name), None)


def _page_sides(
    state: State, page: PageConfig, old_ref: str, new_ref: str
) -> tuple[Document, Document, dict[str, Any]]:
    from monitor.cli.commands.store_cmds import open_store

    store = open_store(state)
    old, old_meta = _page_side(state, store, page, old_ref)
    new, new_meta = _page_side(state, store, page, new_ref)
    return old, new, {"page": page.id, "from": old_meta, "to": new_meta}


def _page_side(state: State, store: Store, page: PageConfig, ref: str) -> tuple[Document, dict[str, Any]]:
    from monitor.store.records import is_technical, rules_note

    if ref.lower() == LIVE:
        return _live(state, store, page)
    version = store.versions.resolve(page.id, ref, state.zone)  # a date as the diff shows times
    label = f"{version.id[:12]} ({human_time(version.since, state.zone)})"
    meta: dict[str, Any] = {"id": version.id, "since": version.since, "until": version.until}
    brought = store.versions.record(page.id, version.since, version.id)
    if brought is not None and is_technical(brought.record):
        # a version the rules made, not the page: the reader of a diff must not take it for the policy's change
        meta["note"] = rules_note(brought.record)
        label += f" · {meta['note']}"
    meta["label"] = label
    return store.versions.read_document(page.id, version.id), meta


def _live(state: State, store: Any, page: PageConfig) -> tuple[Document, dict[str, Any]]:
    from monitor.pipeline.check import capture_now

    capture = capture_now(state.loaded, store, page, clock=state.clock)
    if capture.reason or capture.extraction is None or capture.fetched is None:
        raise UsageError(f"{page.url}: the live page is not the document ({capture.reason or 'no content'})")
    now = isoformat(state.clock())
    label = f"live ({human_time(state.clock(), state.zone)})"
    meta = {"id": LIVE, "since": now, "url": capture.fetched.final_url, "label": label}
    return capture.extraction.document, meta


def _load_input(state: State, name: str) -> tuple[Document, dict[str, Any]]:
    """A file (HTML, our stored text form, or Markdown) or an http(s) URL, as a Document."""
    if name.startswith(("http://", "https://")):
        return _fetch_url(state, name), {"id": name, "label": name, "url": name}
    path = Path(name)
    if not path.exists():
        # `diff UNKNOWN-ID REF` lands here too: name where the page ids are, as every command does
        raise UsageError(f"{name}: no such file, and not a configured page id or http(s) URL ({PAGES_HINT})")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise UsageError(f"{path}: cannot read ({error.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text (save it as UTF-8, or give the URL instead)") from None
    return document_from_file_text(text, path.suffix, name=str(path)), {"id": str(path), "label": str(path)}


def document_from_file_text(text: str, suffix: str = "", *, name: str | None = None) -> Document:
    """HTML is extracted like a fetched page (an error names the file, `name`); text already in our stored form
    is read as is; anything else is read as Markdown (e.g. an Open Terms Archive version)."""
    if suffix.lower() in (".html", ".htm", ".xhtml") or _HTML_START.match(text):
        from monitor.extract.document import extract_document

        return extract_document(text, url=name or "").document
    stored = Document.from_text(text)
    if stored.to_text() == text and not any("\n" in block.text for block in stored.blocks):
        return stored  # one block per line, a blank line between: our stored form
    from monitor.extract.document import document_from_markdown

    return document_from_markdown(text)


def _fetch_url(state: State, url: str) -> Document:
    from monitor.config.loading import FetchConfig, PageConfig
    from monitor.extract.document import extract_document
    from monitor.registry import FETCHERS

    try:
        loaded = state.loaded
        settings, base_dir = loaded.config.fetch, loaded.base_dir
    except ConfigError:
        settings, base_dir = FetchConfig(), Path.cwd()
    try:
        page = PageConfig(id="adhoc", url=url)
    except ValueError:
        raise UsageError(f"{url}: not an http(s) URL") from None
    fetcher = FETCHERS.get("http")(settings, base_dir=base_dir)
    try:
        fetched = fetcher.fetch(page)
    finally:
        close = getattr(fetcher, "close", None)
        if close:
            close()
    return extract_document(fetched.html, url=fetched.final_url).document
