"""An Open Terms Archive snapshots repository keeps a PDF document as `<Service>/<Terms>.pdf` (OTA's ChatGPT Law
Enforcement Guidelines, for one): `import --path "... .pdf"` reads each commit's PDF as the raw capture a live
check of that address would have fetched: extracted as a check extracts a PDF, kept as the version's evidence,
with the address OTA fetched it from. A folder of dated `.pdf` captures imports the same way."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from cli_support import run_cli
from ota_repo_support import bare_clone, git
from pdf_support import report_pdf
from warcio.archiveiterator import ArchiveIterator

from monitor.config.loading import load_config
from monitor.store.core import Store

ADDRESS = "https://cdn.example.org/pdf/law-enforcement-policy.pdf"
DOCUMENT = "Example/Law Enforcement Guidelines.pdf"
CLOSING = "We notify users of requests for their data unless the law forbids it."


def clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def snapshots_repository(folder: Path, pdfs: list[tuple[str, bytes]]) -> Path:
    """A bare clone of a snapshots repository whose PDF document was recorded at each (date, bytes)."""
    work = folder / "snapshots"
    (work / "Example").mkdir(parents=True)
    git(work, "init", "-q")
    for n, (date, body) in enumerate(pdfs):
        (work / DOCUMENT).write_bytes(body)
        git(work, "add", DOCUMENT)
        subject = "First record of" if n == 0 else "Record new changes of"
        trailers = f"X-fetcher: htmlOnly\nX-source-document-location: {ADDRESS}\nX-engine-version: 10.1.2"
        git(
            work,
            "commit",
            "-q",
            "-m",
            f"{subject} Example Law Enforcement Guidelines",
            "-m",
            trailers,
            date=date,
        )
    bare = folder / "snapshots.git"
    return bare_clone(work, bare)


def project(folder: Path) -> Path:
    config = folder / "config.toml"
    config.write_text(
        '[fetch]\nretries = 0\n\n[[pages]]\nid = "guidelines"\nurl = "http://127.0.0.1:9/guidelines.pdf"\n'
    )
    return config


def test_a_pdf_document_of_a_snapshots_repository_imports_with_its_bytes_as_evidence(tmp_path: Path) -> None:
    first, same, changed = report_pdf(), report_pdf(), report_pdf(closing=CLOSING)
    repository = snapshots_repository(
        tmp_path,
        [
            ("2026-01-10T10:00:00Z", first),
            ("2026-02-10T10:00:00Z", same + b"\n"),
            ("2026-03-10T10:00:00Z", changed),
        ],
    )
    config = project(tmp_path)

    code, output = run_cli(config, clock, "import", "guidelines", str(repository), "--path", DOCUMENT)

    # the second PDF differs in its bytes only: the same text, merged into the first version
    assert (code, output.splitlines()[-1]) == (0, "2 versions imported, 1 merged, 0 failed"), output
    store = Store(load_config(config).store_path)
    timeline = store.versions.list("guidelines")
    assert [entry.since for entry in timeline] == ["2026-01-10T10:00:00Z", "2026-03-10T10:00:00Z"]
    assert [store.versions.read_raw("guidelines", entry) for entry in timeline] == [first, changed]
    assert "1. Section 1" in store.versions.read_text("guidelines", timeline[0].id)
    assert CLOSING in store.versions.read_text("guidelines", timeline[1].id)
    record = store.checks.list("guidelines")[-1]
    assert (record.url, record.source and record.source["format"]) == (ADDRESS, "pdf")
    assert run_cli(config, clock, "verify")[0] == 0

    # its evidence is a PDF, named and typed as one
    bundle = tmp_path / "guidelines.zip"
    code, output = run_cli(config, clock, "export", "guidelines", "--at", "2026-03-11", "--out", str(bundle))
    assert code == 0, output
    with zipfile.ZipFile(bundle) as archive:
        assert archive.read("capture.pdf") == changed and "capture.html" not in archive.namelist()
        assert "capture.pdf" in archive.read("README.txt").decode()
        warc = archive.read("capture.warc.gz")
    types = [
        r.http_headers or r.rec_headers.get_header("Content-Type") for r in ArchiveIterator(io.BytesIO(warc))
    ]
    assert "application/pdf" in types, types


def test_a_folder_of_dated_pdf_captures_imports(tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "2026-01-10T10-00-00Z.pdf").write_bytes(report_pdf())
    (folder / "2026-03-10T10-00-00Z.pdf").write_bytes(report_pdf(closing=CLOSING))
    config = project(tmp_path)

    code, output = run_cli(config, clock, "import", "guidelines", str(folder))

    assert (code, output.splitlines()[-1]) == (0, "2 versions imported, 0 merged, 0 failed"), output
