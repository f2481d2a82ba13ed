"""Damage stays local: a flipped byte or a truncation in any kind of store file (a text blob, a raw capture,
the database) gives a clean one-line error naming the file (exit 4), never a traceback; `verify` lists it
with what to do; and a damaged page never stops the checks of the other pages.

The store is filled through the real pipeline: `check` against pages on loopback."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer

from monitor.store.core import Store
from monitor.store.db import close_all

PAGE = "<html><body><main><h1>Privacy Policy</h1><p>{text}</p>{filler}</main></body></html>"
FILLER = "<p>We use the information we have to provide, personalise and improve our Products, safely.</p>" * 3


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def run(project: Path, clock: Clock, *args: str) -> tuple[int, str]:
    close_all()  # read the files as they are now, as a new process would
    return run_cli(project / "config.toml", clock, *args)


@pytest.fixture(scope="module")
def pages_server() -> Iterator[HTTPServer]:
    """The module's own loopback server: the pages as they read at the second check, for every test."""
    server = HTTPServer()
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory, pages_server: HTTPServer) -> tuple[Path, datetime]:
    """A project whose store two real checks filled, built once for the module (each test damages a copy)."""
    folder = tmp_path_factory.mktemp("filled")
    write_project(folder, {name: pages_server.url_for(f"/{name}") for name in ("policy", "terms")})
    clock = Clock()
    for text in ("We may share your data with partners.", "We will share your data with partners."):
        serve(pages_server, {name: text for name in ("policy", "terms")})
        assert run(folder, clock, "check")[0] == 0
        clock.now += timedelta(days=1)
    return folder, clock.now


def serve(server: HTTPServer, texts: dict[str, str]) -> None:
    server.clear()
    for name, text in texts.items():
        body = PAGE.format(text=f"{name}: {text}", filler=FILLER)
        server.expect_request(f"/{name}").respond_with_data(body, content_type="text/html")


@pytest.fixture
def project(filled: tuple[Path, datetime], tmp_path: Path) -> tuple[Path, Clock]:
    template, now = filled
    folder = tmp_path / "project"
    shutil.copytree(template, folder)
    clock = Clock()
    clock.now = now
    return folder, clock


def latest_text(project: Path) -> Path:
    store = Store(project / "snapshots")
    return store.blobs.text_path("policy", store.versions.current("policy").id)


def latest_raw(project: Path) -> Path:
    store = Store(project / "snapshots")
    raw = store.versions.current("policy").raw_sha256
    return project / "snapshots" / "pages" / "policy" / "raw" / f"{raw}.html.gz"


def flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x55
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


BLOB_DAMAGE: dict[str, Callable[[Path], None]] = {
    "a flipped byte in the compressed data": lambda path: flip(path, len(path.read_bytes()) // 2),
    "a flipped byte in the gzip CRC": lambda path: flip(path, -6),
    "a truncation": truncate,
    "a valid gzip of other content": lambda path: path.write_bytes(gzip.compress(b"# Something else\n")),
}


@pytest.mark.parametrize("damage", BLOB_DAMAGE, ids=list(BLOB_DAMAGE))
def test_a_damaged_text_blob_is_one_clean_line_naming_it(project, damage: str) -> None:
    folder, clock = project
    blob = latest_text(folder)
    BLOB_DAMAGE[damage](blob)
    # `diff` exits 2 on trouble, as diff(1) does, but a damaged store is 4 there too.
    for command, status in (
        (["show", "policy"], 4),
        (["diff", "policy", "previous", "latest"], 4),
        (["verify"], 4),
    ):
        code, output = run(folder, clock, *command)
        assert code == status, (command, output)
        assert str(blob) in output and "Traceback" not in output, (command, output)
    assert len(run(folder, clock, "show", "policy")[1].strip().splitlines()) == 1
    assert "restore" in run(folder, clock, "verify")[1]


@pytest.mark.parametrize("damage", BLOB_DAMAGE, ids=list(BLOB_DAMAGE))
def test_a_damaged_raw_capture_is_one_clean_line_naming_it(project, damage: str) -> None:
    folder, clock = project
    blob = latest_raw(folder)
    BLOB_DAMAGE[damage](blob)
    for command in (["show", "policy", "--raw"], ["verify"]):
        code, output = run(folder, clock, *command)
        assert code == 4 and str(blob) in output and "Traceback" not in output, (command, output)
    assert run(folder, clock, "show", "policy")[0] == 0  # the text is intact


def test_a_damaged_page_is_a_failed_check_and_the_other_pages_carry_on(project, pages_server) -> None:
    folder, clock = project
    blob = latest_text(folder)
    flip(blob, len(blob.read_bytes()) // 2)
    # An unchanged page needs none of its stored text (the hash says it all), so its check does not see the
    # damage; `status` does, and so does the first check that needs the text: the page changed.
    code, output = run(folder, clock, "check", "policy")
    assert (code, output.split()[:2]) == (0, ["policy", "unchanged"])
    same = "We will share your data with partners."
    serve(pages_server, {"policy": "We will share your data with every partner.", "terms": same})
    try:
        code, output = run(folder, clock, "check")
    finally:
        serve(pages_server, {"policy": same, "terms": same})
    lines = dict(line.split(None, 1) for line in output.strip().splitlines())
    assert code == 3
    assert lines["policy"].split(None, 1) == ["failed", f"store damaged: {blob}"]
    assert lines["terms"].startswith("unchanged")
    code, output = run(folder, clock, "status")
    assert f"store damaged: {blob}" in output and "Traceback" not in output
    code, output = run(folder, clock, "digest", "--since", "2026-03-01")
    assert str(blob) in output and "Traceback" not in output
    code, output = run(folder, clock, "feed", "--out", str(folder / "feed.xml"))
    assert code == 0 and "Traceback" not in output


def checkpointed(folder: Path) -> Path:
    """The database with everything in the main file (as after the last process closed it)."""
    close_all()
    db = folder / "snapshots" / "monitor.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


def test_a_flipped_byte_inside_a_stored_check_is_found(project) -> None:
    folder, clock = project
    db = checkpointed(folder)
    data = db.read_bytes()
    flip(db, data.index(b"/policy") + 3)  # inside the JSON of a stored check: SQLite itself sees nothing
    for command in (["history", "policy", "--checks"], ["verify"]):
        code, output = run(folder, clock, *command)
        assert code == 4 and str(db) in output and "Traceback" not in output, (command, output)


@pytest.mark.parametrize("damage", ["header", "page", "truncation"])
def test_a_damaged_database_file_is_exit_4_naming_it(project, damage: str) -> None:
    folder, clock = project
    db = checkpointed(folder)
    if damage == "header":
        flip(db, 3)  # "SQLite format 3" no longer
    elif damage == "page":
        flip(db, 4096 + 5)  # the b-tree header of the second page
    else:
        truncate(db)
    code, output = run(folder, clock, "verify")
    assert code == 4 and str(db) in output and "Traceback" not in output, output
    code, output = run(folder, clock, "history", "policy", "--checks")
    assert code in (0, 4) and "Traceback" not in output, output
    if code == 4:
        assert str(db) in output
