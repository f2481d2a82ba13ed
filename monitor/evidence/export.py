"""`export`: the capture of a page in effect at a date, as a zip that holds up without this program.

The zip holds `capture.warc.gz` (warc.py), `capture.html` (the raw capture, when one was stored), `text.md` (the
extracted text, exactly as stored), `check.json` (the check record that brought the version, byte for byte as
stored: its `sha256sum` is what the page's next record names in its `chain`), `chain.json` (its position in
the page's hash chain), `SHA256SUMS` and `README.txt`. The zip of a page fetched with a cookies file is written
owner-only (0600), and its README says why.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor import __version__, fsutil
from monitor.config.loading import PageConfig
from monitor.errors import UsageError
from monitor.evidence.warc import build_warc
from monitor.store.core import Store
from monitor.store.records import is_imported, is_technical, rules_note
from monitor.store.timestamps import token_for

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


def export_capture(store: Store, page: PageConfig, at: str, out: Path) -> Exported:
    """Write the bundle of `page`'s capture in effect at `at` (a date, date-time or any version reference)."""
    if out.suffix.lower() != ".zip":
        raise UsageError(f"{out}: the bundle is a zip file: name it FILE.zip")
    info = store.resolve(page.id, at)
    chained = store.version_record(page.id, info.since, info.id)
    if chained is None:
        raise UsageError(f"{page.id}: no record brought version {info.id[:12]}; run `privacy-monitor verify`")
    record = chained.record
    text = store.read_text(page.id, info.id).encode("utf-8")
    raw = store.read_raw(page.id, info)
    private = page.cookies_file is not None or (
        raw is not None and store.raw_is_private(page.id, info.raw_sha256 or "")
    )
    # A document combined from several pages: one request and response record per part, in order.
    parts = [(url, store.read_raw_blob(page.id, sha)) for _, url, sha in store.captures(page.id, info)]
    files: dict[str, bytes] = {
        "capture.warc.gz": build_warc(
            record, raw, text, chained.json, f"privacy-monitor {__version__}", parts=parts
        )
    }
    if raw is not None:
        files["capture.html"] = raw
    files["text.md"] = text
    files["check.json"] = chained.json.encode("utf-8")
    chain = {
        "page": page.id,
        "position": chained.n,
        "of": chained.total,
        "record_sha256": chained.sha256,
        "previous_record_sha256": chained.previous,
        "named_by_next_record": chained.next_chain,
        "head_sha256": chained.head,
    }
    files["chain.json"] = (json.dumps(chain, indent=2) + "\n").encode("utf-8")
    stamped = token_for(store, chained.sha256)
    if stamped is not None:
        files["check.tsr"] = stamped[0]
        if stamped[1] is not None:
            files["tsa-ca.pem"] = stamped[1].encode("utf-8")
    sums = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    files["SHA256SUMS"] = "".join(f"{digest}  {name}\n" for name, digest in sums.items()).encode()
    files["README.txt"] = (
        _readme(page, record, info.id, chained, private, raw is not None)
        + _token_note(chained.sha256, stamped)
    ).encode("utf-8")
    mode = 0o600 if private else 0o644
    fsutil.atomic_write(out, _zip(files, record.time, mode), mode=mode)
    return Exported(out, info.id, info.since, chained.n, chained.total, private, sums)


def _token_note(record_sha256: str, stamped: tuple[bytes, str | None] | None) -> str:
    if stamped is None:
        return "\nTrusted time: this record has no RFC 3161 time-stamp token (none configured, or not yet asked).\n"
    ca = (
        "tsa-ca.pem (the CA certificates the monitor was configured with: compare them with those the TSA publishes)"
        if stamped[1] is not None
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


def _zip(files: dict[str, bytes], time: str, mode: int) -> bytes:
    buffer = io.BytesIO()
    stamp = (
        int(time[:4]),
        int(time[5:7]),
        int(time[8:10]),
        int(time[11:13]),
        int(time[14:16]),
        int(time[17:19]),
    )
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            entry = zipfile.ZipInfo(f"{name}", date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = mode << 16
            bundle.writestr(entry, data)
    return buffer.getvalue()


def _readme(page: PageConfig, record: Any, version: str, chained: Any, private: bool, has_raw: bool) -> str:
    source = record.source
    origin = (
        f"{rules_note(record)}: the stored capture {record.raw_sha256} extracted again under them"
        if is_technical(record)
        else imported_origin(source)
        if source
        else f"fetched from {record.final_url or record.url} (HTTP {record.status}, renderer {record.renderer})"
    )
    raw_line = "capture.html     the raw capture, byte for byte as stored\n" if has_raw else ""
    warc_line = (
        "request and response records (headers as fetched), the text (conversion) and the record (metadata)"
        if source is None and has_raw
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
        + ("   sha256sum capture.html                   equals raw_sha256 in check.json\n" if has_raw else "")
        + "3. sha256sum check.json                     equals record_sha256 in chain.json, and the `chain`\n"
        "   of the page's next record (named_by_next_record) in the store: the record was not edited since.\n"
        "   previous_record_sha256 is the hash of the record before it; `privacy-monitor verify` re-checks\n"
        "   the whole chain of the store this came from.\n"
        "4. Any WARC reader opens capture.warc.gz, e.g. Python's warcio:\n"
        "   warcio index capture.warc.gz                       (the records and their offsets)\n"
        "   warcio extract --payload capture.warc.gz OFFSET    (a record's body: the response's is capture.html)\n\n"
        "Notes: the response headers are those the monitor keeps with a check (content-type, etag, last-modified,\n"
        "date, content-length, server, cache-control, content-language, age, expires); the body is stored decoded\n"
        "from any Content-Encoding (kept as X-Archive-Orig-Content-Encoding). Cookie values are never stored.\n"
    )
