"""Evidence end to end: the hash chain of check records (`verify` names where an edited, deleted or inserted record
breaks it; a version-1 database is chained on upgrade), and `export`, whose bundle re-verifies with `sha256sum`
and `warcio` alone. Checks run against a real HTTP server on loopback with a fixed clock."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock
from warcio.archiveiterator import ArchiveIterator

from monitor.store.core import Store
from monitor.store.db import close_all

FILLER = (
    "We use information to develop and improve AI at Meta, on the basis of legitimate interests. This policy "
    "explains how we collect, use and share information, and how long we keep it, in words that we hope are "
    "clear enough for everyone who uses our products."
)
SECRET = "c-user-secret-4711"


def policy(extra: str) -> str:
    return (
        "<html><head><title>Privacy Policy</title></head><body><nav>Home</nav><div id='root'>"
        f"<h1>Privacy Policy</h1><p>{FILLER}</p><p>{extra}</p></div></body></html>"
    )


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    (tmp_path / "cookies.txt").write_text(
        f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\t{SECRET}\n"
    )
    pages = {name: httpserver.url_for(f"/{name}") for name in ("policy", "objection")}
    config = write_project(tmp_path, pages, select="#root", head='[store]\npath = "store"\n')
    config.write_text(config.read_text() + 'cookies_file = "cookies.txt"\n')  # for the last page, objection
    return config


run = run_cli


def checked(config: Path, server: HTTPServer, page: str, texts: list[str]) -> FakeClock:
    """Check `page` once per text, a day apart, the server answering each text in turn."""
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    for text in texts:
        server.clear()
        server.expect_request(f"/{page}").respond_with_data(
            policy(text), content_type="text/html; charset=utf-8", headers={"ETag": f'"{len(text)}"'}
        )
        code, output = run(config, clock, "check", page)
        assert code == 0, output
        clock.set(clock.now + timedelta(days=1))
    return clock


def rows(config: Path) -> list[tuple[int, int, str]]:
    with sqlite3.connect(config.parent / "store" / "monitor.db") as conn:
        return conn.execute("SELECT id, n, record FROM checks WHERE page = 'policy' ORDER BY n").fetchall()


def damage(config: Path, *statements: tuple[str, tuple]) -> None:
    close_all()
    with sqlite3.connect(config.parent / "store" / "monitor.db") as conn:
        for sql, params in statements:
            conn.execute(sql, params)
    close_all()


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the hash chain -------------------------------------------------------------------------------------------


def test_every_record_names_the_hash_of_the_one_before(project: Path, httpserver: HTTPServer) -> None:
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Two.", "Three."])
    records = rows(project)
    assert [json.loads(data)["chain"] for _, _, data in records] == [None] + [
        sha(data) for _, _, data in records[:-1]
    ]
    assert run(project, clock, "verify") == (0, f"{project.parent / 'store'}: ok (7 files checked)\n")


def _edit(project: Path, records: list) -> tuple[str, int]:
    row_id, n, data = records[1]
    edited = data.replace('"status": 200', '"status": 203')  # a careful forger also fixes the digest
    assert edited != data
    damage(
        project, ("UPDATE checks SET record = ?, digest = ? WHERE id = ?", (edited, sha(edited)[:32], row_id))
    )
    _, n3, data3 = records[2]
    return (
        f"checks row {records[2][0]} (page 'policy', record 3 of 2026-01-07T08:00:00Z): the hash chain breaks here: "
        f"it names {sha(data)[:12]} as the record before it, but record 2 hashes to {sha(edited)[:12]} "
        "(that record was edited, or this one was inserted)"
    ), n3


def _delete(project: Path, records: list) -> tuple[str, int]:
    damage(project, ("DELETE FROM checks WHERE id = ?", (records[1][0],)))
    return (
        f"checks row {records[2][0]} (page 'policy', record 3 of 2026-01-07T08:00:00Z): the hash chain breaks here: "
        "record 2 of this page is missing (deleted)"
    ), 3


def _insert(project: Path, records: list) -> tuple[str, int]:
    # A forged record slipped in after record 2, chained to it, the later records renumbered.
    row_id, _, data = records[1]
    forged = json.loads(data) | {"time": "2026-01-06T20:00:00Z", "chain": sha(data)}
    text = json.dumps(forged, ensure_ascii=False)
    damage(
        project,
        ("UPDATE checks SET n = -n WHERE page = 'policy' AND n >= 3", ()),
        ("UPDATE checks SET n = 1 - n WHERE page = 'policy' AND n < 0", ()),
        (
            "INSERT INTO checks (page, n, time, outcome, version, previous, text_sha256, raw_sha256, reason, record,"
            " digest, source, chain) SELECT page, 3, ?, outcome, version, previous, text_sha256, raw_sha256, reason,"
            " ?, ?, NULL, ? FROM checks WHERE id = ?",
            ("2026-01-06T20:00:00Z", text, sha(text)[:32], sha(data), row_id),
        ),
    )
    return (
        f"checks row {records[2][0]} (page 'policy', record 4 of 2026-01-07T08:00:00Z): the hash chain breaks here: "
        f"it names {sha(data)[:12]} as the record before it, but record 3 hashes to {sha(text)[:12]} "
        "(that record was edited, or this one was inserted)"
    ), 4


@pytest.mark.parametrize("tamper", [_edit, _delete, _insert], ids=["edited", "deleted", "inserted"])
def test_verify_names_the_record_where_the_chain_breaks(
    project: Path, httpserver: HTTPServer, tamper: object
) -> None:
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Two.", "Three."])
    message, _ = tamper(project, rows(project))  # type: ignore[operator]

    code, output = run(project, clock, "verify")

    db = project.parent / "store" / "monitor.db"
    restore = "restore monitor.db from a backup (a copy of the store folder is a complete backup)"
    assert (code, output.splitlines()[0]) == (4, f"damaged: {db}: {message}; {restore}")
    assert output.splitlines()[-1].startswith(f"{project.parent / 'store'}: 1 problem in ")


def test_a_version_1_database_is_chained_on_upgrade(project: Path, httpserver: HTTPServer) -> None:
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Three."])
    # Make it the store an older release left: no chain, no source, schema version 1.
    unchained = [
        (row_id, json.dumps({k: v for k, v in json.loads(data).items() if k != "chain"}))
        for row_id, _, data in rows(project)
    ]
    damage(
        project,
        ("DROP INDEX checks_imported", ()),
        ("ALTER TABLE checks DROP COLUMN source", ()),
        ("ALTER TABLE checks DROP COLUMN chain", ()),
        ("UPDATE meta SET value = '1' WHERE key = 'schema_version'", ()),
        *[
            ("UPDATE checks SET record = ?, digest = ? WHERE id = ?", (data, sha(data)[:32], row_id))
            for row_id, data in unchained
        ],
    )

    assert len(Store(project.parent / "store").checks.list("policy")) == 3  # opening it upgrades it
    records = rows(project)
    assert [json.loads(data)["chain"] for _, _, data in records] == [
        None,
        sha(records[0][2]),
        sha(records[1][2]),
    ]
    assert run(project, clock, "verify")[0] == 0
    checked(project, httpserver, "policy", ["Four."])
    assert run(project, clock, "verify")[0] == 0


def test_a_version_2_database_upgrades_once_and_loses_nothing(project: Path, httpserver: HTTPServer) -> None:
    """Schema 3 makes room for the rules fingerprint of each version, combined captures, the objections ledger
    and time-stamp tokens: a store of schema 2 gets them on first opening, every record and version as it was,
    each version's fingerprint taken from the record that brought it."""
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Two."])
    db = project.parent / "store" / "monitor.db"
    with sqlite3.connect(db) as conn:
        before = conn.execute(
            "SELECT page, seq, version, since, until, checks, last_seen FROM versions"
        ).fetchall()
        rules = [
            json.loads(data)["rules"] for (data,) in conn.execute("SELECT record FROM checks ORDER BY id")
        ]
    damage(
        project,
        ("DROP TABLE captures", ()),
        ("DROP TABLE objections", ()),
        ("DROP TABLE timestamps", ()),
        ("DROP INDEX baselines_by_page", ()),
        ("ALTER TABLE versions DROP COLUMN rules", ()),
        ("UPDATE meta SET value = '2' WHERE key = 'schema_version'", ()),
    )
    records = rows(project)

    assert len(Store(project.parent / "store").checks.list("policy")) == 3  # opening it upgrades it
    close_all()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
        assert (
            conn.execute(
                "SELECT page, seq, version, since, until, checks, last_seen FROM versions"
            ).fetchall()
            == before
        )
        assert [r for (r,) in conn.execute("SELECT rules FROM versions ORDER BY seq")] == [rules[0], rules[1]]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"captures", "objections", "timestamps"} <= tables
    assert rows(project) == records  # no record rewritten
    assert run(project, clock, "verify")[0] == 0


# --- export ------------------------------------------------------------------------------------------------------


def test_an_exported_bundle_reverifies_with_sha256sum_and_warcio(
    project: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Three."])
    out = tmp_path / "bundle.zip"
    store = Store(project.parent / "store")
    version = store.versions.resolve("policy", "2026-01-06")

    code, output = run(project, clock, "export", "policy", "--at", "2026-01-06", "--out", str(out))

    assert (code, output) == (
        0, f"{out}: version {version.id[:12]} since 2026-01-06 08:00 UTC, record 2 of 3 in the page's hash chain\n"
    )  # fmt: skip
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(folder)
    assert sorted(path.name for path in folder.iterdir()) == [
        "README.txt", "SHA256SUMS", "capture.html", "capture.warc.gz", "chain.json", "check.json", "text.md",
    ]  # fmt: skip
    checked_sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True
    )
    assert checked_sums.returncode == 0, checked_sums.stdout
    assert checked_sums.stdout.count(": OK") == 5
    record = json.loads((folder / "check.json").read_text())
    chain = json.loads((folder / "chain.json").read_text())
    records = rows(project)
    assert (chain["position"], chain["of"], chain["record_sha256"]) == (2, 3, sha(records[1][2]))
    assert chain["previous_record_sha256"] == sha(records[0][2]) == record["chain"]
    assert chain["named_by_next_record"] == json.loads(records[2][2])["chain"] == chain["record_sha256"]
    assert (
        hashlib.sha256((folder / "text.md").read_bytes()).hexdigest() == record["text_sha256"] == version.id
    )
    assert hashlib.sha256((folder / "capture.html").read_bytes()).hexdigest() == record["raw_sha256"]

    with (folder / "capture.warc.gz").open("rb") as handle:
        found = {item.rec_type: (item, item.content_stream().read()) for item in ArchiveIterator(handle)}
    assert list(found) == ["warcinfo", "request", "response", "conversion", "metadata"]
    request, _ = found["request"]
    assert request.http_headers.protocol == "GET" and request.http_headers.get_header("User-Agent")
    response, body = found["response"]
    assert response.http_headers.get_statuscode() == "200"
    assert response.http_headers.get_header("Content-Type") == "text/html; charset=utf-8"
    assert response.http_headers.get_header("ETag") == '"4"'
    assert response.rec_headers.get_header("WARC-Target-URI") == record["url"]
    assert body == (folder / "capture.html").read_bytes()
    assert found["conversion"][1] == (folder / "text.md").read_bytes()
    assert found["metadata"][1] == (folder / "check.json").read_bytes()
    assert "PRIVATE" not in (folder / "README.txt").read_text()


def test_captures_fetched_with_cookies_are_owner_only_and_the_export_says_so(
    project: Path, httpserver: HTTPServer, tmp_path: Path
) -> None:
    clock = checked(project, httpserver, "objection", ["Your objection applies to all accounts."])
    raw = next((project.parent / "store" / "pages" / "objection" / "raw").iterdir())
    assert stat.S_IMODE(raw.stat().st_mode) == 0o600
    out = tmp_path / "objection.zip"

    code, output = run(project, clock, "export", "objection", "--at", "latest", "--out", str(out))

    assert code == 0
    assert output.endswith(
        " in the page's hash chain (owner-only: fetched with a logged-in session's cookies)\n"
    )
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as bundle:
        readme = bundle.read("README.txt").decode()
        record = bundle.read("check.json").decode()
    assert readme.startswith("PRIVATE: this page was fetched with the cookies of a logged-in session")
    assert SECRET not in record


def test_export_needs_a_zip_and_a_version(project: Path, httpserver: HTTPServer, tmp_path: Path) -> None:
    clock = checked(project, httpserver, "policy", ["One."])
    assert run(project, clock, "export", "policy", "--at", "2026-01-05", "--out", str(tmp_path / "x.tar")) == (
        2, f"Error: {tmp_path / 'x.tar'}: the bundle is a zip file: name it FILE.zip\n"
    )  # fmt: skip
    code, output = run(
        project, clock, "export", "policy", "--at", "2025-01-01", "--out", str(tmp_path / "x.zip")
    )
    assert (code, output) == (
        2, "Error: page 'policy' had no version yet at 2025-01-01; tracking started 2026-01-05 08:00 UTC\n"
    )  # fmt: skip


def test_a_record_that_no_longer_matches_its_digest_is_one_problem_not_two(
    project: Path, httpserver: HTTPServer
) -> None:
    clock = checked(project, httpserver, "policy", ["One.", "Two.", "Three."])
    row_id, _, data = rows(project)[1]
    damage(
        project,
        (
            "UPDATE checks SET record = ? WHERE id = ?",
            (data.replace('"status": 200', '"status": 203'), row_id),
        ),
    )

    code, output = run(project, clock, "verify")

    db = project.parent / "store" / "monitor.db"
    assert code == 4
    assert [line for line in output.splitlines() if line.startswith("damaged: ")] == [
        f"damaged: {db}: checks row {row_id} (page 'policy'): damaged record (it does not hash to its digest); "
        "restore monitor.db from a backup, or rebuild it: `sqlite3 monitor.db .recover | sqlite3 new.db`"
    ]


def test_an_imported_capture_exports_as_a_resource_every_record_refers_to(
    project: Path, tmp_path: Path
) -> None:
    captures = tmp_path / "captures"
    captures.mkdir()
    words = "We collect information about how you use our Products and the content you share with us. " * 5
    (captures / "2025-01-01T08-00-00Z.html").write_text(
        f"<html><body><div id='root'><h1>Privacy Policy</h1><p>{words}</p></div></body></html>"
    )
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    code, output = run(project, clock, "import", "policy", str(captures))
    assert code == 0, output
    out = tmp_path / "imported.zip"
    code, output = run(project, clock, "export", "policy", "--at", "2025-01-02", "--out", str(out))
    assert code == 0, output
    folder = tmp_path / "imported"
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(folder)
    with (folder / "capture.warc.gz").open("rb") as handle:
        records = list(ArchiveIterator(handle))
    assert [item.rec_type for item in records] == ["warcinfo", "resource", "conversion", "metadata"]
    ids = {item.rec_headers.get_header("WARC-Record-ID") for item in records}
    refers = [item.rec_headers.get_header("WARC-Refers-To") for item in records[2:]]
    assert refers and all(target in ids for target in refers)
