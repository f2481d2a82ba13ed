"""`verify` checks every stored fact, a lost database is damage and never a fresh start, file modes honour the
umask.

One store is filled through the real pipeline (`check` on loopback pages, a fixed clock) once per module;
each test damages its own copy with sqlite3 or os calls, then runs `verify` (or another command) through the
CLI and reads the exact lines it prints."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli_support import run_cli, write_project

from monitor import fsutil
from monitor.store.chain import record_digest
from monitor.store.db import close_all

SCOPE = "Your objection applies to the account you are logged in to and to {} accounts in the same Accounts Center."
WATCH = f"""
[[watches]]
id = "scope"
pages = ["policy"]
kind = "clause"
text = "{SCOPE.format("all")}"
severity = "high"
"""
FILLER = "<p>We use the information we have to provide, personalise and improve our Products, safely.</p>" * 3
START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
RESTORE = "restore monitor.db from a backup (a copy of the store folder is a complete backup)"


def html(text: str) -> str:
    return f"<html><body><main><h1>Privacy Policy</h1><p>{text}</p>{FILLER}</main></body></html>"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Site:
    """Pages on loopback, answered from `bodies` (path -> HTML)."""

    def __init__(self) -> None:
        self.bodies: dict[str, str] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = site.bodies[self.path].encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def serve(self, policy: str, terms: str) -> None:
        self.bodies.update({"/policy": html(policy), "/terms": html(terms)})


def new_project(folder: Path, site: Site) -> Path:
    """`policy` (watched) and `terms` (fetched with a logged-in session's cookies)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cookies.txt").write_text(
        "# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tc_user\tx\n"
    )
    config = write_project(folder, {"policy": site.url("/policy"), "terms": site.url("/terms")}, extra=WATCH)
    terms = f'url = "{site.url("/terms")}"\n'
    config.write_text(config.read_text().replace(terms, terms + 'cookies_file = "cookies.txt"\n'))
    return config


def run(folder: Path, *args: str, now: datetime = START + timedelta(days=5)) -> tuple[int, str]:
    close_all()  # read the files as they are now, as a new process would
    return run_cli(folder / "config.toml", Clock(now), *args)


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    yield served
    served.server.shutdown()


@pytest.fixture(scope="module")
def template(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of checks under umask 022: policy new, unchanged, changed (one alert queued, a baseline);
    terms the same without a watch."""
    folder = tmp_path_factory.mktemp("template") / "project"
    config = new_project(folder, site)
    old = os.umask(0o022)
    try:
        for day, (scope, terms) in enumerate((("all", "one"), ("all", "one"), ("the", "two"))):
            site.serve(SCOPE.format(scope), f"Terms {terms}.")
            close_all()
            code, output = run_cli(config, Clock(START + timedelta(days=day)), "check")
            assert code == 0, output
    finally:
        os.umask(old)
    close_all()
    return folder


@pytest.fixture
def project(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(template, folder)
    return folder


def store(folder: Path) -> Path:
    return folder / "snapshots"


def sql(folder: Path, *statements: str) -> None:
    close_all()
    with sqlite3.connect(store(folder) / "monitor.db") as conn:
        for statement in statements:
            conn.execute(statement)


def row(folder: Path, query: str) -> tuple:
    with sqlite3.connect(store(folder) / "monitor.db") as conn:
        return conn.execute(query).fetchone()


def rewrite_last_record(folder: Path, page: str, **changes: object) -> str:
    """Rewrite the page's last check record consistently (its hash, its columns and the versions it made),
    as someone who knows the layout would: only verify's other rules can see it. Returns its old time."""
    row_id, data = row(folder, f"SELECT id, record FROM checks WHERE page = '{page}' ORDER BY n DESC LIMIT 1")
    record = json.loads(data)
    old = record["time"]
    record.update(changes)
    text = json.dumps(record, ensure_ascii=False)
    new = record["time"]
    sql(
        folder,
        f"UPDATE checks SET record = '{text}', digest = '{record_digest(text)}', time = '{new}' WHERE id = {row_id}",
        f"UPDATE versions SET until = '{new}' WHERE page = '{page}' AND until = '{old}'",
        f"UPDATE versions SET since = '{new}', last_seen = '{new}' WHERE page = '{page}' AND since = '{old}'",
    )
    return old


def verify(folder: Path) -> tuple[int, list[str]]:
    code, output = run(folder, "verify")
    assert "Traceback" not in output
    return code, output.splitlines()


def db_line(folder: Path, where: str, text: str) -> str:
    return f"damaged: {store(folder) / 'monitor.db'}: {where}: {text}; {RESTORE}"


# -- a lost database is damage, never a fresh start ----------------------------------------------------------


LOSSES = {
    "deleted": ("missing", lambda db: db.unlink()),
    "emptied to 0 bytes": ("empty (0 bytes)", lambda db: db.write_bytes(b"")),
    "replaced by a database without tables": (
        "empty (it has no tables)",
        lambda db: (db.unlink(), sqlite3.connect(db).execute("PRAGMA user_version = 1").close()),
    ),
}


@pytest.mark.parametrize("loss", LOSSES, ids=list(LOSSES))
def test_a_lost_database_beside_stored_texts_is_damage_for_every_command(project: Path, loss: str) -> None:
    state, damage = LOSSES[loss]
    db, pages = store(project) / "monitor.db", store(project) / "pages"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    damage(db)
    before = db.read_bytes() if db.exists() else None
    lost = (
        f"{db}: {state}, but {pages} holds 4 stored texts and 4 raw captures of the history it recorded; "
        f"restore monitor.db from a backup, or to start a new history on purpose move {pages} aside first"
    )
    for command in (["check"], ["history", "policy"], ["show", "policy"], ["status"], ["digest"]):
        assert run(project, *command) == (4, f"Error: {lost}\n"), command
    assert (db.read_bytes() if db.exists() else None) == before  # no fresh database was created over it

    code, lines = verify(project)
    assert code == 4
    orphans = (
        "{} no record mentions (monitor.db, which recorded them, is missing or empty); restore monitor.db"
    )
    assert lines == [
        f"damaged: {lost}",
        f"damaged: {pages / 'policy'}: 2 stored texts and 2 raw captures {orphans.format('')[1:]} from a "
        f"backup, or to start the page anew on purpose move {pages / 'policy'} aside",
        f"damaged: {pages / 'terms'}: 2 stored texts and 2 raw captures {orphans.format('')[1:]} from a "
        f"backup, or to start the page anew on purpose move {pages / 'terms'} aside",
        f"{store(project)}: 3 problems in {8 + (state == 'empty (it has no tables)')} files checked",
    ]


def test_a_brand_new_store_folder_is_still_created_by_its_first_check(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "fresh"
    new_project(folder, site)
    site.serve(SCOPE.format("all"), "Terms one.")
    code, output = run(folder, "check")
    assert code == 0 and [line.split()[1] for line in output.splitlines()] == ["new", "new"], output
    assert run(folder, "verify") == (0, f"{store(folder)}: ok (5 files checked)\n")


# -- every stored fact against the facts it derives from ----------------------------------------------------


def test_the_untouched_store_verifies_ok(project: Path) -> None:
    assert verify(project) == (0, [f"{store(project)}: ok (9 files checked)"])


def test_a_checks_column_that_differs_from_its_hashed_record_is_named(project: Path) -> None:
    row_id = row(project, "SELECT id FROM checks WHERE page = 'policy' AND outcome = 'changed'")[0]
    sql(project, f"UPDATE checks SET outcome = 'unchanged', reason = 'edited' WHERE id = {row_id}")
    assert verify(project) == (
        4,
        [
            db_line(
                project,
                f"checks row {row_id} (page 'policy')",
                "its outcome, reason column differs from its hashed record (outcome 'unchanged', the record "
                "says 'changed'; reason 'edited', the record says none)",
            ),
            f"{store(project)}: 1 problem in 9 files checked",
        ],
    )


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("checks = 5", "checks 5 but the page's checks make it checks 2"),
        ("last_seen = '2026-03-02T09:00:00Z'", "last_seen '2026-03-02T09:00:00Z' but the page's checks make it "
         "last_seen '2026-03-02T08:00:00Z'"),
        ("raw_sha256 = NULL", "raw_sha256 none but the page's checks make it raw_sha256 '{raw}'"),
        ("until = '2026-02-01T08:00:00Z'", "it ends (until 2026-02-01T08:00:00Z) before it starts (since "
         "2026-03-01T08:00:00Z); until '2026-02-01T08:00:00Z' but the page's checks make it until "
         "'2026-03-03T08:00:00Z'"),
        ("until = NULL", "until none but the page's checks make it until '2026-03-03T08:00:00Z'"),
    ],
    ids=["checks count", "last_seen", "raw_sha256", "until before since", "until dropped"],
)  # fmt: skip
def test_a_versions_row_that_differs_from_the_checks_that_made_it_is_named(
    project: Path, change: str, said: str
) -> None:
    raw = row(project, "SELECT raw_sha256 FROM versions WHERE page = 'policy' AND seq = 1")[0]
    sql(project, f"UPDATE versions SET {change} WHERE page = 'policy' AND seq = 1")
    assert verify(project) == (
        4,
        [
            db_line(project, "versions row 1 of page 'policy'", said.format(raw=raw)),
            f"{store(project)}: 1 problem in 9 files checked",
        ],
    )


def test_versions_out_of_order_are_named(project: Path) -> None:
    sql(project, "UPDATE versions SET since = '2026-02-28T08:00:00Z' WHERE page = 'terms' AND seq = 2")
    assert verify(project)[1][0] == db_line(
        project,
        "versions row 2 of page 'terms'",
        "it starts before version 1 (since 2026-03-01T08:00:00Z): out of order; since '2026-02-28T08:00:00Z' "
        "but the page's checks make it since '2026-03-03T08:00:00Z'",
    )


def test_a_version_whose_check_is_gone_and_a_deleted_last_check_are_named(project: Path) -> None:
    last = row(project, "SELECT id FROM checks WHERE page = 'terms' ORDER BY n DESC LIMIT 1")[0]
    sql(project, f"DELETE FROM checks WHERE id = {last}")  # the chain cannot see a deleted last record
    assert verify(project) == (
        4,
        [
            db_line(
                project,
                "versions row 1 of page 'terms'",
                "until '2026-03-03T08:00:00Z' but the page's checks make it until none",
            ),
            db_line(
                project,
                "versions row 2 of page 'terms'",
                f"the check that made it (checks row {last}) is gone",
            ),
            f"{store(project)}: 2 problems in 9 files checked",
        ],
    )


def test_an_outbox_entry_or_a_baseline_naming_what_is_not_stored_is_named(project: Path) -> None:
    entry = row(project, "SELECT id FROM outbox")[0]
    sql(
        project,
        'UPDATE outbox SET alerts = replace(alerts, \'"version": "\', \'"version": "ff\')',
        "UPDATE baselines SET page = 'gone'",
    )
    version = row(project, "SELECT version FROM versions WHERE page = 'policy' AND seq = 2")[0]
    assert verify(project) == (
        4,
        [
            db_line(project, "baselines row scope/gone", "names page 'gone', which is not stored"),
            db_line(
                project,
                f"outbox row {entry}",
                f"names version ff{version[:10]} of page 'policy', which is not stored",
            ),
            f"{store(project)}: 2 problems in 9 files checked",
        ],
    )


def test_a_check_dated_in_the_future_is_named(project: Path) -> None:
    rewrite_last_record(project, "terms", time="2099-01-01T00:00:00Z")
    row_id = row(project, "SELECT id FROM checks WHERE time = '2099-01-01T00:00:00Z'")[0]
    code, lines = verify(project)
    assert code == 4 and len(lines) == 2
    assert lines[0].startswith(
        f"damaged: {store(project) / 'monitor.db'}: checks row {row_id} (page 'terms'): dated 2099-01-01T00:00:00Z,"
        " more than 1 day, 0:00:00 after now ("
    )
    assert lines[0].endswith(
        f"if the clock was wrong then, set it right (the next check records the step back), else {RESTORE}"
    )


def test_a_check_dated_before_the_previous_one_is_damage_unless_its_record_says_the_clock_stepped_back(
    project: Path,
) -> None:
    before = row(project, "SELECT time FROM checks WHERE page = 'terms' AND n = 2")[0]
    rewrite_last_record(project, "terms", time="2026-03-01T20:00:00Z")
    row_id = row(project, "SELECT id FROM checks WHERE page = 'terms' AND n = 3")[0]
    assert verify(project) == (
        4,
        [
            db_line(
                project,
                f"checks row {row_id} (page 'terms')",
                f"dated 2026-03-01T20:00:00Z, before the page's previous check ({before}), and its record says no "
                "clock step back",
            ).replace(f"; {RESTORE}", f"; {RESTORE} (records were edited or reordered)"),
            f"{store(project)}: 1 problem in 9 files checked",
        ],
    )
    rewrite_last_record(project, "terms", clock_step=before)
    assert verify(project) == (0, [f"{store(project)}: ok (9 files checked)"])


def test_a_clock_that_stepped_back_is_recorded_by_the_pipeline_and_not_damage(
    project: Path, site: Site
) -> None:
    site.serve(SCOPE.format("the"), "Terms three.")
    code, output = run(project, "check", now=START + timedelta(days=1, hours=12))  # before the last checks
    assert code == 0, output
    record = json.loads(
        row(project, "SELECT record FROM checks WHERE page = 'terms' ORDER BY n DESC LIMIT 1")[0]
    )
    assert record["clock_step"] == "2026-03-03T08:00:00Z"
    assert verify(project) == (0, [f"{store(project)}: ok (11 files checked)"])


# -- orphans: what a lost database leaves behind, or one check cut short ----------------------------------


def test_texts_of_a_page_whose_records_were_all_deleted_are_damage(project: Path) -> None:
    sql(project, "DELETE FROM checks WHERE page = 'terms'", "DELETE FROM versions WHERE page = 'terms'")
    folder = store(project) / "pages" / "terms"
    assert verify(project) == (
        4,
        [
            f"damaged: {folder}: 2 stored texts and 2 raw captures no record mentions (older than the page's "
            f"history in {store(project) / 'monitor.db'}: records of it were lost); restore monitor.db from a "
            f"backup, or to start the page anew on purpose move {folder} aside",
            f"{store(project)}: 1 problem in 9 files checked",
        ],
    )


def test_the_blobs_of_one_check_cut_short_are_a_warning(project: Path) -> None:
    text = "# Privacy Policy\n\nA check that never got recorded.\n"
    folder = store(project) / "pages" / "policy"
    name = hashlib.sha256(text.encode()).hexdigest()
    fsutil.atomic_write(folder / "texts" / f"{name}.md.gz", gzip.compress(text.encode(), mtime=0))
    code, output = run(project, "verify")
    assert (code, output.splitlines()) == (
        0,
        [
            f"warning: {folder}: 1 stored text no record mentions, left by a check cut short before it was "
            "recorded (harmless: the next check of the same text uses them)",
            f"{store(project)}: ok (10 files checked)",
        ],
    )


# -- file modes honour the umask; private texts are owner-only -------------------------------------------------


@pytest.mark.parametrize(
    ("umask", "mode", "expected"),
    [(0o022, 0o644, 0o644), (0o077, 0o644, 0o600), (0o002, 0o644, 0o644), (0o000, 0o600, 0o600),
     (0o277, 0o600, 0o600), (0o277, 0o644, 0o600)],
)  # fmt: skip
def test_atomic_write_gives_at_most_the_mode_the_umask_allows(
    tmp_path: Path, umask: int, mode: int, expected: int
) -> None:
    old = os.umask(umask)
    try:
        fsutil.atomic_write(tmp_path / "file", b"data", mode=mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "file").stat().st_mode) == expected


def test_a_check_under_umask_077_stores_owner_only_files(site: Site, tmp_path: Path) -> None:
    folder = tmp_path / "private"
    new_project(folder, site)
    site.serve(SCOPE.format("all"), "Terms one.")
    old = os.umask(0o077)
    try:
        assert run(folder, "check")[0] == 0
    finally:
        os.umask(old)
    blobs = sorted((store(folder) / "pages").glob("*/*/*.gz"))
    assert len(blobs) == 4
    assert {stat.S_IMODE(blob.stat().st_mode) for blob in blobs} == {0o600}


def test_the_text_of_a_page_fetched_with_cookies_is_owner_only_like_its_raw_capture(template: Path) -> None:
    modes = {
        (blob.parent.parent.name, blob.parent.name): stat.S_IMODE(blob.stat().st_mode)
        for blob in (store(template) / "pages").glob("*/*/*.gz")
    }
    assert modes == {
        ("policy", "texts"): 0o644,
        ("policy", "raw"): 0o644,
        ("terms", "texts"): 0o600,
        ("terms", "raw"): 0o600,
    }
