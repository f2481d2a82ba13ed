"""`export --format wacz`: a version's capture as WACZ (archive/, indexes/, pages/pages.jsonl, datapackage.json),
which Webrecorder's own `wacz validate` accepts and ReplayWeb.page opens; a combined document is one response
record (and one page) per part. Pages come through the real CLI from a server on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock
from test_combine import CASE, CLOCK, setup
from test_timestamps import PAGE as TIMESTAMPS_PAGE
from warcio.archiveiterator import ArchiveIterator

WACZ = Path(sys.executable).parent / "wacz"
PAGE = TIMESTAMPS_PAGE.format("One.")


def validate(wacz: Path) -> str:
    done = subprocess.run([str(WACZ), "validate", "-f", str(wacz)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_a_page_exports_as_a_wacz_that_wacz_validate_accepts(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/policy").respond_with_data(PAGE, content_type="text/html; charset=utf-8")
    config = write_project(
        tmp_path, {"policy": httpserver.url_for("/policy")}, head='[store]\npath = "store"\n'
    )
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert run_cli(config, clock, "check")[0] == 0
    out = tmp_path / "policy.wacz"
    code, output = run_cli(
        config, clock, "export", "policy", "--at", "latest", "--format", "wacz", "--out", str(out)
    )
    assert code == 0 and output.startswith(f"{out}: version "), output
    assert validate(out) == "Validation succeeded, the passed WACZ is valid"
    with zipfile.ZipFile(out) as wacz:
        assert sorted(wacz.namelist()) == [
            "archive/data.warc.gz", "datapackage-digest.json", "datapackage.json", "indexes/index.cdx",
            "pages/pages.jsonl",
        ]  # fmt: skip
        pages = [json.loads(line) for line in wacz.read("pages/pages.jsonl").splitlines()]
        package = json.loads(wacz.read("datapackage.json"))
        index = wacz.read("indexes/index.cdx").decode()
    url = httpserver.url_for("/policy")
    assert pages == [
        {"format": "json-pages-1.0", "id": "pages", "title": "Pages"},
        {"id": "page-1", "url": url, "ts": "2026-01-05T08:00:00Z", "title": "policy"},
    ]
    assert (package["mainPageURL"], package["wacz_version"], package["created"]) == (
        url, "1.1.1", "2026-01-05T08:00:00Z",
    )  # fmt: skip
    assert '"url": "' + url + '"' in index and '"filename": "data.warc.gz"' in index
    again = tmp_path / "again.wacz"
    run_cli(config, clock, "export", "policy", "--at", "latest", "--format", "wacz", "--out", str(again))
    assert again.read_bytes() == out.read_bytes()  # the same store gives the same package


def test_a_wacz_needs_its_suffix(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/policy").respond_with_data(PAGE, content_type="text/html")
    config = write_project(
        tmp_path, {"policy": httpserver.url_for("/policy")}, head='[store]\npath = "store"\n'
    )
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    run_cli(config, clock, "check")
    out = tmp_path / "policy.zip"
    code, output = run_cli(
        config, clock, "export", "policy", "--at", "latest", "--format", "wacz", "--out", str(out)
    )
    assert (code, output) == (2, f"Error: {out}: the WACZ file: name it FILE.wacz\n")


@pytest.mark.skipif(not CASE.is_dir(), reason="the shared OTA corpus is not here")
def test_a_combined_document_is_one_response_record_and_one_page_per_part(tmp_path: Path) -> None:
    from pytest_httpserver import HTTPServer as Server

    server = Server()
    server.start()
    try:
        config, paths = setup(server, tmp_path)
        assert run_cli(config, CLOCK, "check")[0] == 0
        urls = [server.url_for(path) for path in paths]
        bundle, wacz = tmp_path / "doc.zip", tmp_path / "doc.wacz"
        assert run_cli(config, CLOCK, "export", "doc", "--at", "latest", "--out", str(bundle))[0] == 0
        assert (
            run_cli(config, CLOCK, "export", "doc", "--at", "latest", "--format", "wacz", "--out", str(wacz))[
                0
            ]
            == 0
        )
    finally:
        server.clear()
        server.stop()
    with zipfile.ZipFile(bundle) as archive:
        warc = archive.read("capture.warc.gz")
    responses = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(BytesIO(warc)) if r.rec_type == "response"]  # fmt: skip
    assert responses == urls
    assert validate(wacz) == "Validation succeeded, the passed WACZ is valid"
    with zipfile.ZipFile(wacz) as archive:
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()[1:]]
    assert [(page["url"], page["title"]) for page in pages] == [
        (url, "doc" if number == 1 else f"doc, part {number}") for number, url in enumerate(urls, 1)
    ]
