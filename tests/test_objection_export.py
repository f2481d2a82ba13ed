"""`export --objection ID --out FILE.zip`: an objection's proof in one zip: its record as stored in the objections
chain with its position and token, the confirmation mail's hash (the mail itself only with `--include-mail`), and
each of its pages as it was on that day, every file checkable with sha256sum, openssl and a WARC reader. The
pages, the mail and the objection come through the real CLI against a server on loopback; a real TSA stamps."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_support import run_cli
from pytest_httpserver import HTTPServer
from service_support import FakeClock
from test_objections import CLAUSE, MAILS, REWORDED, serve
from tsa_support import make_tsa, running_tsa
from warcio.archiveiterator import ArchiveIterator

from monitor.store.db import close_all

MAIL = MAILS / "facebook-de.eml"
PAGE = "facebook-ai-objection-de"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 5, 20, 8, 0, tzinfo=UTC))


@pytest.fixture
def project(tmp_path: Path, httpserver: HTTPServer) -> Path:
    """Facebook's and Instagram's objection forms (test_objections.FORM) on loopback, the scope clause watched."""
    serve(httpserver, CLAUSE)
    config = tmp_path / "config.toml"
    pages = "".join(
        f'[[pages]]\nid = "{name}-ai-objection-de"\nurl = "{httpserver.url_for("/" + name)}"\n'
        f'platform = "{name}"\nselect = ["main"]\n\n'
        for name in ("facebook", "instagram")
    )
    config.write_text(
        f'[fetch]\nretries = 0\ntimeout = 5\n\n{pages}[[watches]]\nid = "accounts-center-scope-de"\n'
        f'pages = ["facebook-ai-objection-de", "instagram-ai-objection-de"]\nkind = "clause"\ntext = "{CLAUSE}"\n',
        encoding="utf-8",
    )
    return config


def objected(project: Path, clock: FakeClock, server: HTTPServer) -> None:
    """Checked on the day of the objection (20 May 2025), the objection recorded from its mail, the clause
    reworded on 1 July."""
    assert run_cli(project, clock, "check")[0] == 0
    assert run_cli(project, clock, "objections", "add", "--confirmation", str(MAIL))[0] == 0
    clock.set(datetime(2025, 7, 1, 8, 0, tzinfo=UTC))
    serve(server, REWORDED)
    assert run_cli(project, clock, "check")[0] == 0


def unzipped(bundle: Path, folder: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_bundle_holds_the_record_its_chain_position_and_the_page_as_it_was_that_day(
    project: Path, clock: FakeClock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    objected(project, clock, httpserver)
    out = tmp_path / "objection.zip"
    code, output = run_cli(project, clock, "export", "--objection", "1", "--out", str(out))
    assert (code, output) == (
        0, f"{out}: objection #1, its record and 1 of 1 pages as they were on 2025-05-20 (owner-only: it names your case)\n",
    )  # fmt: skip
    assert os.stat(out).st_mode & 0o777 == 0o600
    files = unzipped(out, tmp_path / "x")
    assert sorted(files) == [
        "README.txt", "SHA256SUMS", "objection-chain.json", "objection.json",
        f"pages/{PAGE}/capture.html", f"pages/{PAGE}/capture.warc.gz", f"pages/{PAGE}/chain.json",
        f"pages/{PAGE}/check.json", f"pages/{PAGE}/text.md",
    ]  # fmt: skip
    record = json.loads(files["objection.json"])
    assert record["case_id"] == "1234567890123456"
    assert record["confirmation"]["sha256"] == hashlib.sha256(MAIL.read_bytes()).hexdigest()
    chain = json.loads(files["objection-chain.json"])
    assert chain == {"chain": "objections", "position": 1, "of": 1,
                     "record_sha256": hashlib.sha256(files["objection.json"]).hexdigest(),
                     "previous_record_sha256": None, "named_by_next_record": None,
                     "head_sha256": chain["record_sha256"]}  # fmt: skip
    text = files[f"pages/{PAGE}/text.md"].decode()
    assert CLAUSE in text and REWORDED not in text  # the wording of that day, not today's
    sums = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=tmp_path / "x", capture_output=True, text=True
    )
    assert sums.returncode == 0 and sums.stdout.count(": OK") == 7, sums.stdout
    readme = files["README.txt"].decode()
    assert "the version in effect at the end of 2025-05-20 (UTC), since 2025-05-20T08:00:00Z" in readme
    assert "The confirmation mail is not in this bundle (export with --include-mail to add it)" in readme
    warc = tmp_path / "x" / "pages" / PAGE / "capture.warc.gz"
    with warc.open("rb") as stream:
        kinds = [item.rec_type for item in ArchiveIterator(stream)]
    assert kinds == ["warcinfo", "request", "response", "conversion", "metadata"]


def test_include_mail_adds_the_confirmation_mail_that_matches_its_hash(
    project: Path, clock: FakeClock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    objected(project, clock, httpserver)
    out = tmp_path / "objection.zip"
    assert run_cli(project, clock, "export", "--objection", "1", "--include-mail", "--out", str(out))[0] == 0
    files = unzipped(out, tmp_path / "x")
    assert files["confirmation.eml"] == MAIL.read_bytes()
    assert hashlib.sha256(files["confirmation.eml"]).hexdigest() in files["SHA256SUMS"].decode()


def test_an_objection_before_the_first_stored_version_bundles_that_version_and_says_so(
    project: Path, clock: FakeClock, tmp_path: Path
) -> None:
    clock.set(datetime(2025, 6, 2, 9, 0, tzinfo=UTC))
    run_cli(project, clock, "check")
    run_cli(project, clock, "objections", "add", "--platform", "facebook", "--date", "2025-05-20")
    run_cli(project, clock, "objections", "withdraw", "1", "--reason", "recorded twice")
    out = tmp_path / "objection.zip"
    assert run_cli(project, clock, "export", "--objection", "1", "--out", str(out))[0] == 0
    files = unzipped(out, tmp_path / "x")
    readme = files["README.txt"].decode()
    assert (f"pages/{PAGE}/  no version was stored from that day: the first stored version, in effect since "
            "2025-06-02T09:00:00Z") in readme  # fmt: skip
    assert "Withdrawn 2025-06-02T09:00:00Z" in readme
    assert json.loads(files["withdraw-2.json"])["reason"] == "recorded twice"
    assert (
        json.loads(files["objection-chain.json"])["named_by_next_record"]
        == json.loads(files["withdraw-2-chain.json"])["previous_record_sha256"]
    )


def test_with_a_tsa_the_records_tokens_are_bundled_and_openssl_checks_each(
    project: Path, clock: FakeClock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    (tmp_path / "tsa").mkdir()
    conf = make_tsa(tmp_path / "tsa")
    with running_tsa(conf) as (url, _):
        project.write_text(
            project.read_text()
            + f'\n[evidence]\ntsa_url = "{url}"\ntsa_ca_file = "{conf.parent / "ca.pem"}"\n'
        )
        objected(project, clock, httpserver)
        out = tmp_path / "objection.zip"
        code, output = run_cli(project, clock, "export", "--objection", "1", "--out", str(out))
    assert code == 0 and output.endswith("; time-stamped (export.tsr)\n"), output
    folder = tmp_path / "x"
    files = unzipped(out, folder)
    assert {"objection.tsr", f"pages/{PAGE}/check.tsr", "export.tsr", "tsa-ca.pem"} <= set(files)
    commands = [line.split(". ", 1)[1] if line[0].isdigit() else line.strip()
                for line in files["README.txt"].decode().splitlines() if "openssl ts -verify" in line]  # fmt: skip
    assert len(commands) == 3, commands  # the objection's, the page record's, the export's
    for command in commands:
        checked = subprocess.run(command.split(), cwd=folder, capture_output=True, text=True)
        assert checked.stdout == "Verification: OK\n", (command, checked.stderr)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--objection", "7", "--out", "o.zip"], "export --objection 7: no objection 7 (see `privacy-monitor objections`)"),
        ([PAGE, "--objection", "1", "--out", "o.zip"], f"export {PAGE} --objection 1: give a PAGE or --objection ID, not both (an objection's bundle holds its own pages)"),
        (["--objection", "1"], "export: give --out FILE.zip (where to write the bundle)"),
        (["--objection", "1", "--at", "2025-05-20", "--out", "o.zip"], "export --objection 1: leave out --at (the bundle holds its pages as they were on the objection's day)"),
        (["--objection", "1", "--format", "wacz", "--out", "o.wacz"], "export --objection 1: the objection's bundle is a zip; --format wacz is for a page's capture"),
        (["--objection", "1", "--out", "o.tar"], "o.tar: the bundle is a zip file: name it FILE.zip"),
        ([PAGE, "--include-mail", "--at", "latest", "--out", "o.zip"], "export: --include-mail goes with --objection ID (the objection's confirmation mail)"),
        ([PAGE, "--out", "o.zip"], f"export {PAGE}: give --at DATE (or a version reference, e.g. latest)"),
        (["--out", "o.zip"], "export: give a PAGE with --at DATE, or --objection ID; e.g. privacy-monitor export PAGE --at 2026-03-01 --out page.zip"),
        (["--objection", "2", "--include-mail", "--out", "o.zip"], "export --objection 2 --include-mail: objection 2 has no confirmation mail on record; leave out --include-mail"),
    ],
)  # fmt: skip
def test_arguments_that_do_not_fit_are_one_line_and_exit_2(
    project: Path,
    clock: FakeClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(project, clock, "check")[0] == 0
    run_cli(project, clock, "objections", "add", "--confirmation", str(MAIL))
    run_cli(project, clock, "objections", "add", "--platform", "instagram", "--date", "2025-05-20")
    assert run_cli(project, clock, "export", *args) == (2, f"Error: {message}\n")
    assert not (tmp_path / "o.zip").exists()


def damaged(project: Path, statement: str) -> Path:
    """The store's database with `statement` run on it behind the monitor's back (a flipped byte, a bad row)."""
    close_all()
    db = project.parent / "snapshots" / "monitor.db"
    conn = sqlite3.connect(db)
    conn.execute(statement)
    conn.commit()
    conn.close()
    return db


def test_a_damaged_objection_record_is_one_line_naming_the_row_and_no_bundle_is_written(
    project: Path, clock: FakeClock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    objected(project, clock, httpserver)
    run_cli(project, clock, "objections", "add", "--platform", "instagram", "--date", "2025-05-20")
    # the record after objection 1 (which its chain position reads) edited without its digest
    db = damaged(
        project, "UPDATE objections SET record = replace(record, 'instagram', 'instagrem') WHERE seq = 2"
    )
    out = tmp_path / "objection.zip"
    code, output = run_cli(project, clock, "export", "--objection", "1", "--out", str(out))
    assert code == 4
    assert output.startswith(
        f"Error: {db}: objections row 2: damaged record (it does not hash to its digest)"
    )
    assert len(output.splitlines()) == 1
    assert not out.exists()


def test_a_damaged_timeline_of_a_page_is_not_taken_for_no_stored_version(
    project: Path, clock: FakeClock, httpserver: HTTPServer, tmp_path: Path
) -> None:
    objected(project, clock, httpserver)
    db = damaged(project, f"UPDATE versions SET since = 'yesterday' WHERE page = '{PAGE}' AND seq = 1")
    out = tmp_path / "objection.zip"
    code, output = run_cli(project, clock, "export", "--objection", "1", "--out", str(out))
    assert code == 4
    assert output.startswith(f"Error: {db}: versions row 1 of page '{PAGE}': bad value")
    assert not out.exists()
