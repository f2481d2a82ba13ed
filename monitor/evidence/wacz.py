"""`export --format wacz`: a version's capture as WACZ 1.1.1, the Webrecorder package ReplayWeb.page opens.

The WARC is the one a zip export holds (warc.py, written with warcio: one response record per part of a
combined document); `indexes/index.cdx` is made by Webrecorder's own indexer (cdxj-indexer, which the `wacz`
package uses too); `pages/pages.jsonl` lists each page captured; `datapackage.json` names every file with its
sha256 and `datapackage-digest.json` the sha256 of that. The `wacz` package's `create` is a command-line program
(it prints, and dates the package by the clock), so the package is assembled here, every entry dated by the
record: the same store gives the same bytes. `wacz validate` accepts it (tests/test_wacz.py).

The export's time-stamp token covers `datapackage.json` (which names every other file's sha256); it travels
in `datapackage-digest.json` as `timestampToken` (the TSA's response, DER, base64), the one file WACZ leaves
outside its own hashes.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from warcio.archiveiterator import ArchiveIterator

from monitor import __version__, fsutil
from monitor.evidence.bundle import Stamper, zip_bundle
from monitor.pipeline.stamp import ExportStamp

if TYPE_CHECKING:
    from monitor.evidence.bundle import VersionFiles

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"


def write_wacz(
    out: Path, page_id: str, version: VersionFiles, mode: int, stamper: Stamper | None
) -> ExportStamp | None:
    """Write `version`'s capture to `out` as WACZ; the export's token (over datapackage.json) when asked."""
    time = version.chained.record.time
    pages = captured_pages(version.warc, page_id)
    files = {
        f"archive/{WARC_NAME}": version.warc,
        "indexes/index.cdx": cdxj_index(version.warc),
        "pages/pages.jsonl": "".join(json.dumps(line) + "\n" for line in pages).encode("utf-8"),
    }
    package = _datapackage(files, page_id, time, pages[1] if len(pages) > 1 else None)
    digest: dict[str, str] = {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(package).hexdigest(),
    }
    files["datapackage.json"] = package
    files["datapackage-digest.json"] = _json(digest)
    fsutil.atomic_write(out, zip_bundle(files, time, mode), mode=mode)
    stamp = stamper(package.decode("utf-8")) if stamper is not None else None
    if stamp is not None and stamp.token is not None:
        digest["timestampToken"] = base64.b64encode(stamp.token).decode("ascii")
        files["datapackage-digest.json"] = _json(digest)
        fsutil.atomic_write(out, zip_bundle(files, time, mode), mode=mode)
    return stamp


def captured_pages(warc: bytes, title: str) -> list[dict[str, str]]:
    """pages.jsonl: its header, then each response (or imported resource) of the WARC, in order."""
    lines: list[dict[str, str]] = [{"format": "json-pages-1.0", "id": "pages", "title": "Pages"}]
    for record in ArchiveIterator(io.BytesIO(warc)):
        if record.rec_type in ("response", "resource"):
            number = len(lines)
            lines.append({"id": f"page-{number}", "url": record.rec_headers.get_header("WARC-Target-URI"),
                          "ts": record.rec_headers.get_header("WARC-Date"),
                          "title": title if number == 1 else f"{title}, part {number}"})  # fmt: skip
    return lines


def cdxj_index(warc: bytes) -> bytes:
    """The CDXJ index of `warc` (sorted), its records named as `archive/data.warc.gz`."""
    from cdxj_indexer.main import CDXJIndexer

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / WARC_NAME
        path.write_bytes(warc)
        output = io.StringIO()
        CDXJIndexer(output=output, inputs=[str(path)], sort=True, post_append=True).process_all()
        return output.getvalue().encode("utf-8")


def _datapackage(files: dict[str, bytes], page_id: str, time: str, main: dict[str, str] | None) -> bytes:
    resources = [
        {"name": Path(name).name.lower(), "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
         "bytes": len(data)}
        for name, data in files.items()
    ]  # fmt: skip
    package: dict[str, object] = {"profile": "data-package", "resources": resources, "title": page_id,
                                  "created": time, "wacz_version": WACZ_VERSION,
                                  "software": f"privacy-monitor {__version__}"}  # fmt: skip
    if main is not None:
        package |= {"mainPageURL": main["url"], "mainPageDate": main["ts"]}
    return json.dumps(package, indent=2).encode("utf-8")


def _json(data: dict[str, str]) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")
