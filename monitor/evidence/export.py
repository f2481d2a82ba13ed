"""`export`: the capture of a page in effect at a date, as a zip that holds up without this program.

The zip holds `capture.warc.gz` (warc.py), `capture.html` (the raw capture, when one was stored), `text.md` (the
extracted text, exactly as stored), `check.json` (the check record that brought the version, byte for byte as
stored: its `sha256sum` is what the page's next record names in its `chain`), `chain.json` (its position in
the page's hash chain), the record's time-stamp token (`check.tsr`), `SHA256SUMS`, the export's own token over
it (`export.tsr`) and `README.txt`. `--format wacz` writes the capture as WACZ instead (wacz.py). The zip of a
page fetched with a cookies file is written owner-only (0600), and its README says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

from monitor.config.loading import PageConfig
from monitor.errors import UsageError
from monitor.evidence.bundle import (
    Stamper,
    VersionFiles,
    manifest,
    version_files,
    write_stamped,
)
from monitor.pipeline.stamp import ExportStamp
from monitor.store.core import Store
from monitor.store.records import is_imported, is_technical, rules_note

PRIVATE_NOTE = (
    "PRIVATE: this page was fetched with the cookies of a logged-in session, so its capture can hold that\n"
    "person's data (name, account details). Share it only as far as the purpose needs.\n\n"
)


@dataclass(frozen=True, slots=True)
class Exported:
    path: Path
    version: str
    since: str
    position: int
    total: int
    private: bool
    files: dict[str, str]  # name -> sha256
    stamp: ExportStamp | None = None  # the export's own token (None: no TSA configured)


def export_capture(
    store: Store,
    page: PageConfig,
    at: str,
    out: Path,
    *,
    zone: tzinfo = UTC,
    stamper: Stamper | None = None,
    wacz: bool = False,
) -> Exported:
    """Write the bundle of `page`'s capture in effect at `at` (a date, date-time or any version reference; a
    date is read in `zone`, the reader's);
    `stamper` gives the export's token over its manifest, after the bundle is written once without it."""
    suffix = ".wacz" if wacz else ".zip"
    if out.suffix.lower() != suffix:
        raise UsageError(
            f"{out}: the {'WACZ file' if wacz else 'bundle is a zip file'}: name it FILE{suffix}"
        )
    info = store.versions.resolve(page.id, at, zone)
    version = version_files(store, page.id, info, cookies=page.cookies_file is not None)
    mode = 0o600 if version.private else 0o644
    if wacz:
        from monitor.evidence.wacz import write_wacz

        stamp = write_wacz(out, page.id, version, mode, stamper)
        return _exported(out, info.id, info.since, version, {}, stamp)
    files = dict(version.files)
    sums = manifest(files)
    files["SHA256SUMS"] = sums.encode("utf-8")
    if version.ca_pem is not None:  # the CA certificates the record's token chains to
        files["tsa-ca.pem"] = version.ca_pem.encode("utf-8")
    readme = _readme(page, version, info.id) + _token_note(version)
    time = version.chained.record.time
    stamp = write_stamped(out, files, readme, sums, stamper, time=time, mode=mode, step=6)
    hashes = {line[66:]: line[:64] for line in sums.splitlines()}
    return _exported(out, info.id, info.since, version, hashes, stamp)


def _exported(
    out: Path,
    version: str,
    since: str,
    files: VersionFiles,
    hashes: dict[str, str],
    stamp: ExportStamp | None,
) -> Exported:
    chained = files.chained
    return Exported(out, version, since, chained.n, chained.total, files.private, hashes, stamp)


def _token_note(version: VersionFiles) -> str:
    record_sha256 = version.chained.sha256
    if "check.tsr" not in version.files:
        return "\nTrusted time: this record has no RFC 3161 time-stamp token (none configured, or not yet asked).\n"
    ca = (
        "tsa-ca.pem (the CA certificates the monitor was configured with: compare them with those the TSA publishes)"
        if version.ca_pem is not None
        else "the TSA's published CA certificates"
    )
    return (
        "\nTrusted time\n"
        "check.tsr        an RFC 3161 time-stamp response from a time-stamping authority over the sha256 of\n"
        "                 check.json: the record existed, as it is, at the time the token states.\n"
        f"5. openssl ts -verify -in check.tsr -digest {record_sha256} -CAfile tsa-ca.pem\n"
        f"   prints 'Verification: OK'; with {ca}.\n"
        "   openssl ts -reply -in check.tsr -text   shows the token's time and the TSA's name.\n"
    )


def imported_origin(source: dict[str, Any]) -> str:
    """Where an imported capture came from, as its source records it (OTA's: the address and fetch time)."""
    text = f"imported from {source.get('kind')} source {source.get('id')}"
    text += f" (file {source.get('path')})" if source.get("path") else ""
    if source.get("repository"):
        text += f" of {source.get('repository')}"
    if source.get("address"):
        text += f", fetched from {source['address']}"
        text += f" at {source['fetched']}" if source.get("fetched") else ""
        text += f" by the {source['fetcher']} fetcher" if source.get("fetcher") else ""
    return text


def _readme(page: PageConfig, files: VersionFiles, version: str) -> str:
    chained, private, raw_name = files.chained, files.private, files.raw_name
    has_raw = raw_name is not None
    record = chained.record
    source = record.source
    origin = (
        f"{rules_note(record)}: the stored capture {record.raw_sha256} extracted again under them"
        if is_technical(record)
        else imported_origin(source)
        if source
        else f"fetched from {record.final_url or record.url} (HTTP {record.status}, renderer {record.renderer})"
    )
    raw_line = f"{raw_name}     the raw capture, byte for byte as stored\n" if has_raw else ""
    body_note = f": the response's is {raw_name}" if has_raw else ""
    warc_line = (
        "request and response records (headers as fetched), the text (conversion) and the record (metadata)"
        if source is None and (has_raw or files.parts)
        else "a resource record of the imported capture or text, and the record (metadata)"
    )
    return (
        f"{PRIVATE_NOTE if private else ''}"
        f"Page {page.id}{'' if is_imported(record) else f' ({page.url})'}: the version in effect at the requested date.\n"
        f"Version {version} (sha256 of text.md), {origin}, recorded {record.time}.\n\n"
        "Files\n"
        f"capture.warc.gz  {warc_line}\n"
        f"{raw_line}"
        "text.md          the extracted text as the monitor compares it\n"
        "check.json       the check record exactly as stored\n"
        f"chain.json       its place in the page's hash chain: record {chained.n} of {chained.total}\n"
        "SHA256SUMS       the sha256 of each file above\n\n"
        "Checking it with standard tools\n"
        "1. sha256sum -c SHA256SUMS                  every file is intact\n"
        "2. sha256sum text.md                        equals text_sha256 in check.json\n"
        + (f"   sha256sum {raw_name}                   equals raw_sha256 in check.json\n" if has_raw else "")
        + "3. sha256sum check.json                     equals record_sha256 in chain.json, and the `chain`\n"
        "   of the page's next record (named_by_next_record) in the store: the record was not edited since.\n"
        "   previous_record_sha256 is the hash of the record before it; `privacy-monitor verify` re-checks\n"
        "   the whole chain of the store this came from.\n"
        "4. Any WARC reader opens capture.warc.gz, e.g. Python's warcio:\n"
        "   warcio index capture.warc.gz                       (the records and their offsets)\n"
        f"   warcio extract --payload capture.warc.gz OFFSET    (a record's body{body_note})\n\n"
        "Notes: the response headers are those the monitor keeps with a check (content-type, etag, last-modified,\n"
        "date, content-length, server, cache-control, content-language, age, expires); the body is stored decoded\n"
        "from any Content-Encoding (kept as X-Archive-Orig-Content-Encoding). Cookie values are never stored.\n"
    )
