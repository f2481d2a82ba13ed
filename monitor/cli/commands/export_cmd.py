"""`privacy-monitor export`: the capture in effect at a date (a zip with WARC, text, record; or WACZ), or an
objection's proof (`--objection ID`), as a bundle others can check, with its own time-stamp token."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli.main import State, main, pass_state
from monitor.cli.output import find_page, human_time, say
from monitor.errors import UsageError

if TYPE_CHECKING:
    from monitor.evidence.bundle import Stamper
    from monitor.pipeline.stamp import ExportStamp
    from monitor.store.core import Store


@main.command("export")
@click.argument("page", required=False)
@click.option(
    "--at", "at", help="The date or date-time ([digest] timezone unless zoned), or a version reference."
)
@click.option("--objection", "objection", type=int, help="An objection's proof instead of a page (its ID).")
@click.option("--include-mail", is_flag=True, help="With --objection: the confirmation mail itself, too.")
@click.option("--format", "fmt", type=click.Choice(["zip", "wacz"]), default="zip", show_default=True,
              help="zip: WARC, text, record and README; wacz: the capture as WACZ (ReplayWeb.page opens it).")  # fmt: skip
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), help="FILE.zip (FILE.wacz)")
@pass_state
def export(state: State, page: str | None, at: str | None, objection: int | None, include_mail: bool, fmt: str,
           out: Path | None) -> None:  # fmt: skip
    """Export the capture of a page in effect at a date as evidence: a zip with the WARC file
    (request and response, headers as fetched), the extracted text, the check record with its place
    in the hash chain, SHA256SUMS and a README on checking them with sha256sum and any WARC reader.
    With `--objection ID` (no PAGE): the objection's record, its confirmation mail's hash and the
    versions of its pages in effect that day. With a TSA configured, the bundle gets a time-stamp token.

    Example: privacy-monitor export facebook-privacy-policy-en --at 2026-03-01 --out policy-2026-03-01.zip
    """
    from monitor.cli.commands.store_cmds import open_store

    _check_arguments(page, at, objection, include_mail, fmt, out)
    assert out is not None
    store = open_store(state)
    stamper = _stamper(state, store)
    if objection is not None:
        from monitor.evidence.objection import export_objection

        made = export_objection(store, state.loaded.config, objection, out, include_mail=include_mail,
                                stamper=stamper)  # fmt: skip
        found = sum(1 for then in made.pages if then.files is not None)
        say(f"{out}: objection #{objection}, its record and {found} of {len(made.pages)} pages as they were on "
            f"{made.objection.date} (owner-only: it names your case){_stamp_note(made.stamp)}")  # fmt: skip
        return
    from monitor.evidence.export import export_capture

    assert page is not None and at is not None
    done = export_capture(
        store, find_page(state.loaded.config, page), at, out, zone=state.zone, stamper=stamper, wacz=fmt == "wacz"
    )  # fmt: skip
    note = " (owner-only: fetched with a logged-in session's cookies)" if done.private else ""
    say(
        f"{out}: version {done.version[:12]} since {human_time(done.since, state.zone)}, record {done.position} of {done.total} "
        f"in the page's hash chain{note}{_stamp_note(done.stamp, fmt)}"
    )


def _check_arguments(
    page: str | None, at: str | None, objection: int | None, include_mail: bool, fmt: str, out: Path | None
) -> None:
    """One line for each way the arguments do not fit together."""
    if page is not None and objection is not None:
        raise UsageError(f"export {page} --objection {objection}: give a PAGE or --objection ID, not both "
                         "(an objection's bundle holds its own pages)")  # fmt: skip
    if page is None and objection is None:
        raise UsageError("export: give a PAGE with --at DATE, or --objection ID; e.g. "
                         "privacy-monitor export PAGE --at 2026-03-01 --out page.zip")  # fmt: skip
    if objection is not None and at is not None:
        raise UsageError(f"export --objection {objection}: leave out --at (the bundle holds its pages as they "
                         "were on the objection's day)")  # fmt: skip
    if objection is not None and fmt == "wacz":
        raise UsageError(f"export --objection {objection}: the objection's bundle is a zip; --format wacz is "
                         "for a page's capture")  # fmt: skip
    if include_mail and objection is None:
        raise UsageError(
            "export: --include-mail goes with --objection ID (the objection's confirmation mail)"
        )
    if page is not None and at is None:
        raise UsageError(f"export {page}: give --at DATE (or a version reference, e.g. latest)")
    if out is None:
        suffix = "wacz" if fmt == "wacz" else "zip"
        raise UsageError(f"export: give --out FILE.{suffix} (where to write the bundle)")


def _stamper(state: State, store: Store) -> Stamper:
    from monitor.models import isoformat
    from monitor.pipeline.stamp import stamp_export

    def stamper(manifest: str) -> ExportStamp | None:
        return stamp_export(store, state.loaded, manifest, isoformat(state.clock()))

    return stamper


def _stamp_note(stamp: ExportStamp | None, fmt: str = "zip") -> str:
    if stamp is None:
        return ""
    if stamp.token is not None:
        return (
            "; time-stamped ("
            + ("timestampToken in datapackage-digest.json" if fmt == "wacz" else "export.tsr")
            + ")"
        )
    return f"\nNo time-stamp token yet: {stamp.error}; export again after it for a bundle with export.tsr"
