"""`privacy-monitor export`: the capture in effect at a date, as a bundle others can check (WARC, text, record)."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import find_page, human_time, say


@main.command("export")
@click.argument("page")
@click.option("--at", "at", required=True, help="The date or date-time (or a version reference) to export.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="FILE.zip")
@pass_state
def export(state: State, page: str, at: str, out: Path) -> None:
    """Export the capture of a page in effect at a date as evidence: a zip with the WARC file
    (request and response, headers as fetched), the extracted text, the check record with its place
    in the hash chain, SHA256SUMS and a README on checking them with sha256sum and any WARC reader.

    Example: privacy-monitor export facebook-privacy-policy-en --at 2026-03-01 --out policy-2026-03-01.zip
    """
    from monitor.evidence.export import export_capture
    from monitor.store.core import Store

    config_page = find_page(state.loaded.config, page)
    done = export_capture(Store(state.loaded.store_path, clock=state.clock), config_page, at, out)
    note = " (owner-only: fetched with a logged-in session's cookies)" if done.private else ""
    say(
        f"{out}: version {done.version[:12]} since {human_time(done.since, state.zone)}, record {done.position} of {done.total} "
        f"in the page's hash chain{note}"
    )
