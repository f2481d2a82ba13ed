"""The parts every evidence bundle shares: one version's files (its capture as WARC, the raw capture, the text,
the check record byte for byte, its chain position, its time-stamp token), the `SHA256SUMS` manifest the
export's own token covers, and the zip, its entries dated by the record so the same store gives the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from monitor import __version__
from monitor.evidence.warc import build_warc
from monitor.pipeline.stamp import ExportStamp

if TYPE_CHECKING:
    from pathlib import Path

    from monitor.store.core import Store
    from monitor.store.imported import ChainedRecord
    from monitor.store.timeline import VersionInfo

# Asks for (or finds) the token over an export's manifest; None: no TSA configured and none stored.
Stamper = Callable[[str], ExportStamp | None]


@dataclass(frozen=True, slots=True)
class VersionFiles:
    """One version's evidence, named as in a page's bundle (`capture.warc.gz`, `text.md`, `check.json`...)."""

    chained: ChainedRecord
    files: dict[str, bytes]
    parts: list[tuple[str, bytes]]  # a combined document's pages (URL, raw capture); [] for one page
    private: bool
    raw_name: str | None  # the raw capture's file name (`capture_name`), None when none was stored
    ca_pem: str | None  # the TSA's CA certificates the store kept, when the record has a token

    @property
    def warc(self) -> bytes:
        return self.files["capture.warc.gz"]


def version_files(store: Store, page_id: str, info: VersionInfo, *, cookies: bool = False) -> VersionFiles:
    """The files of `page_id`'s version `info` (cookies: the page is fetched with a logged-in session's)."""
    from monitor.errors import UsageError

    chained = store.versions.record(page_id, info.since, info.id)
    if chained is None:
        raise UsageError(f"{page_id}: no record brought version {info.id[:12]}; run `privacy-monitor verify`")
    text = store.versions.read_text(page_id, info.id).encode("utf-8")
    raw = store.versions.read_raw(page_id, info)
    private = cookies or (raw is not None and store.blobs.raw_is_private(page_id, info.raw_sha256 or ""))
    # A document combined from several pages: one request and response record per part, in order.
    parts = [
        (url, store.blobs.read_raw_blob(page_id, sha))
        for _, url, sha in store.versions.captures(page_id, info)
    ]
    software = f"privacy-monitor {__version__}"
    files = {"capture.warc.gz": build_warc(chained.record, raw, text, chained.json, software, parts=parts)}
    raw_name: str | None = None
    if raw is not None:
        raw_name = capture_name(raw)
        files[raw_name] = raw
    files["text.md"] = text
    files["check.json"] = chained.json.encode("utf-8")
    files["chain.json"] = (json.dumps(chain_position(page_id, chained), indent=2) + "\n").encode("utf-8")
    stamped = store.timestamps.token_for(chained.sha256)
    if stamped is not None:
        files["check.tsr"] = stamped[0]
    ca = stamped[1] if stamped is not None else None
    return VersionFiles(chained, files, parts, private, raw_name, ca)


def capture_name(raw: bytes) -> str:
    """The raw capture's file name in a bundle: a PDF is `capture.pdf`, anything else `capture.html`."""
    from monitor.extract.signature import is_pdf

    return "capture.pdf" if is_pdf(raw) else "capture.html"


def chain_position(page_id: str, chained: ChainedRecord) -> dict[str, object]:
    return {
        "page": page_id,
        "position": chained.n,
        "of": chained.total,
        "record_sha256": chained.sha256,
        "previous_record_sha256": chained.previous,
        "named_by_next_record": chained.next_chain,
        "head_sha256": chained.head,
    }


def manifest(files: dict[str, bytes]) -> str:
    """`SHA256SUMS` of `files`, in their order: what `sha256sum -c` checks and the export's token covers."""
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items())


def zip_bundle(files: dict[str, bytes], time: str, mode: int) -> bytes:
    """The zip of `files`, every entry dated `time` (ISO 8601) and carrying `mode`."""
    buffer = io.BytesIO()
    stamp = tuple(int(time[a:b]) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19)))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))  # type: ignore[arg-type]
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = mode << 16
            bundle.writestr(entry, data)
    return buffer.getvalue()


def write_stamped(
    out: Path, files: dict[str, bytes], readme: str, sums: str, stamper: Stamper | None, *,
    time: str, mode: int, step: int,
) -> ExportStamp | None:  # fmt: skip
    """Write the zip of `files` and `readme` to `out`; then, with `stamper`, ask for the export's token over
    `sums` and write it again with the token (`export.tsr`, the CA certificates as `tsa-ca.pem` when the bundle
    has none yet) and the README's words on it (`step`: its number in the README's steps)."""
    from monitor import fsutil

    fsutil.atomic_write(out, zip_bundle({**files, "README.txt": readme.encode()}, time, mode), mode=mode)
    stamp = stamper(sums) if stamper is not None else None
    if stamp is not None:  # written again with the export's own token, or the README saying it is to come
        readme += export_token_note(stamp, step=step)
        files = dict(files)
        if stamp.token is not None:
            files["export.tsr"] = stamp.token
            files.setdefault("tsa-ca.pem", (stamp.ca_pem or "").encode("utf-8"))
        fsutil.atomic_write(out, zip_bundle({**files, "README.txt": readme.encode()}, time, mode), mode=mode)
    return stamp


def export_token_note(stamp: ExportStamp | None, *, step: int, over: str = "SHA256SUMS") -> str:
    """The README's words on the export's own token (`export.tsr`, over `over`)."""
    if stamp is None:
        return (
            "\nTrusted time for the bundle: no time-stamping authority is configured ([evidence] tsa_url).\n"
        )
    if stamp.token is None:
        return (
            "\nTrusted time for the bundle: the time-stamping authority gave no token when this bundle was written\n"
            "(it is asked again at the monitor's next run and kept in its store, where `privacy-monitor verify`\n"
            "checks it; an export made then carries a token of its own as export.tsr).\n"
        )
    return (
        "\nTrusted time for the bundle\n"
        f"export.tsr       an RFC 3161 time-stamp response over the sha256 of {over}, which names the sha256 of\n"
        "                 every file above: the bundle existed, as it is, at the time the token states.\n"
        f"{step}. openssl ts -verify -in export.tsr -data {over} -CAfile tsa-ca.pem\n"
        "   prints 'Verification: OK'; then step 1 shows each file is the one the token covers.\n"
    )
