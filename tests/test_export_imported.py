"""An export of a version imported from a folder names the capture by its source (`file:NAME#sha256=...`) in every
WARC record, never the page's URL in today's config: the capture was never fetched from that address."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from service_support import FakeClock
from warcio.archiveiterator import ArchiveIterator

from monitor.cli.main import State, main

WORDS = (
    "We use information to develop and improve our products for everyone, and this policy explains it. " * 4
)
CAPTURE = f"<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1><p>{WORDS}</p></main></body></html>"


def run(config: Path, *args: str) -> tuple[int, str]:
    clock = FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    result = CliRunner().invoke(main, ["-c", str(config), *args], obj=State(clock=clock))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_every_warc_record_of_a_folder_import_names_its_source_not_the_configured_url(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[store]\npath = "store"\n\n[[pages]]\nid = "policy"\nurl = "https://example.org/privacy"\n'
    )
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "2024-01-01T10-00-00Z.html").write_text(CAPTURE, encoding="utf-8")
    assert run(config, "import", "policy", str(tmp_path / "history"))[0] == 0
    out = tmp_path / "policy.zip"
    code, output = run(config, "export", "policy", "--at", "2024-01-02", "--out", str(out))
    assert code == 0, output
    with zipfile.ZipFile(out) as bundle:
        warc = bundle.read("capture.warc.gz")
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(io.BytesIO(warc))} - {
        None,
        "",
    }
    assert len(uris) == 1 and next(iter(uris)).startswith("file:2024-01-01T10-00-00Z.html#sha256="), uris
