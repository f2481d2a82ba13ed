"""Trusted time: with `[evidence] tsa_url` and `tsa_ca_file`, each new version's check record and each objection
record gets an RFC 3161 token from the TSA after the run's checks; `verify` checks every token against the CA and
the record it covers; a TSA that is down delays no check, and the token comes at a later run. The TSA is OpenSSL's
own (`openssl ts -reply`) on loopback, with a CA made in the test."""

from __future__ import annotations

import hashlib
import io
import socket
import sqlite3
import subprocess
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import werkzeug
from cli_support import run_cli, write_project
from pytest_httpserver import HTTPServer
from service_support import FakeClock
from tsa_support import make_tsa, running_tsa

from monitor.config.loading import load_config
from monitor.models import Outcome
from monitor.pipeline.check import Context, check_pages
from monitor.pipeline.stamp import RETRY_AFTER, StampReport, stamp_pending
from monitor.store.core import Store
from monitor.store.db import close_all

FILLER = (
    "We use information to develop and improve AI at Meta, on the basis of legitimate interests. This policy "
    "explains how we collect, use and share information, and how long we keep it, in words that we hope are "
    "clear enough for everyone who uses our products."
)
PAGE = "<html><body><main><h1>Privacy Policy</h1><p>" + FILLER + "</p><p>{}</p></main></body></html>"


@pytest.fixture(scope="module")
def tsa_conf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tsa(tmp_path_factory.mktemp("tsa"))


def project(folder: Path, server: HTTPServer, tsa_url: str, ca: Path) -> Path:
    evidence = f'\n[evidence]\ntsa_url = "{tsa_url}"\ntsa_ca_file = "{ca}"\n'
    return write_project(folder, {"policy": server.url_for("/policy")}, head='[store]\npath = "store"\n',
                         extra=evidence)  # fmt: skip


def serve(server: HTTPServer, text: str) -> None:
    server.clear()
    server.expect_request("/policy").respond_with_data(PAGE.format(text), content_type="text/html")


def tokens(config: Path) -> list[tuple[str, str, str, bytes]]:
    with sqlite3.connect(config.parent / "store" / "monitor.db") as conn:
        return conn.execute(
            "SELECT kind, ref, record_sha256, token FROM timestamps ORDER BY kind, ref"
        ).fetchall()


def records(config: Path) -> dict[str, str]:
    with sqlite3.connect(config.parent / "store" / "monitor.db") as conn:
        rows = conn.execute("SELECT id, record FROM checks WHERE outcome IN ('new', 'changed')").fetchall()
    return {str(row_id): record for row_id, record in rows}


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dead_url() -> str:
    """A loopback port where nothing listens (the TSA is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"


def test_each_new_version_and_objection_is_stamped_and_openssl_checks_the_token(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    with running_tsa(tsa_conf) as (url, requests):
        config = project(tmp_path, httpserver, url, tsa_conf.parent / "ca.pem")
        Store(tmp_path / "store").objections.append({"platform": "facebook", "date": "2026-01-05"})
        for text in ("One.", "One.", "Two."):
            serve(httpserver, text)
            code, output = run_cli(config, clock, "check")
            assert code == 0, output
            clock.advance(days=1)
    stamped = tokens(config)
    new_versions = records(config)
    assert [(kind, ref) for kind, ref, _, _ in stamped] == [
        ("check", ref) for ref in sorted(new_versions)
    ] + [("objection", "1")]
    assert len(requests) == 3  # the unchanged check brought no version: nothing to stamp
    for kind, ref, covered, token in stamped:
        if kind == "check":
            assert covered == sha(new_versions[ref])
        reply = tmp_path / f"{kind}-{ref}.tsr"
        reply.write_bytes(token)
        checked = subprocess.run(
            ["openssl", "ts", "-verify", "-in", str(reply), "-digest", covered, "-CAfile",
             str(tsa_conf.parent / "ca.pem")], capture_output=True, text=True,
        )  # fmt: skip
        assert checked.stdout == "Verification: OK\n", checked.stderr
    code, output = run_cli(config, clock, "verify")
    assert (code, output) == (0, f"{tmp_path / 'store'}: ok (8 files checked)\n")


def test_verify_names_a_token_that_no_longer_matches_its_record(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    with running_tsa(tsa_conf) as (url, _):
        config = project(tmp_path, httpserver, url, tsa_conf.parent / "ca.pem")
        for text in ("One.", "Two."):
            serve(httpserver, text)
            code, output = run_cli(config, clock, "check")
            assert code == 0, output
            clock.advance(days=1)
    (first, _, first_sha, first_token), (second, _, _, _) = tokens(config)
    close_all()
    with sqlite3.connect(tmp_path / "store" / "monitor.db") as conn:
        # a token moved onto another record: it covers the first one's hash, not the second's
        conn.execute("UPDATE timestamps SET token = ? WHERE ref = ?", (first_token, "2"))
    close_all()
    code, output = run_cli(config, clock, "verify")
    db = tmp_path / "store" / "monitor.db"
    assert code == 4
    second_sha = sha(records(config)["2"])
    assert (
        f"{db}: time-stamp token of check 2 (dated " in output
        and f"): it covers {first_sha[:12]}, the record hashes to {second_sha[:12]}; restore monitor.db"
        in output
    ), output
    with sqlite3.connect(db) as conn:  # a record edited after it was stamped (its digest fixed by the forger)
        edited = records(config)["1"].replace('"outcome": "new"', '"outcome": "new" ')
        conn.execute("UPDATE checks SET record = ?, digest = ? WHERE id = 1", (edited, sha(edited)[:32]))
    close_all()
    code, output = run_cli(config, clock, "verify")
    assert code == 4
    assert (
        ": it no longer matches its record (the record was changed after it was stamped); restore" in output
    )
    assert f"{db}: time-stamp token of check 1 (dated " in output, output


def test_a_tsa_that_is_down_delays_no_check_and_the_token_comes_at_a_later_run(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    ca = tsa_conf.parent / "ca.pem"
    config = project(tmp_path, httpserver, dead_url(), ca)
    serve(httpserver, "One.")
    started = time.monotonic()
    code, output = run_cli(config, clock, "check")
    assert time.monotonic() - started < 1.0
    assert code == 0, output
    assert records(config) and tokens(config) == []
    with running_tsa(tsa_conf) as (url, _):
        config = project(tmp_path, httpserver, url, ca)
        clock.advance(hours=6)
        assert run_cli(config, clock, "check")[0] == 0  # unchanged: the waiting version is stamped now
    assert [(kind, ref) for kind, ref, _, _ in tokens(config)] == [("check", "1")]
    assert run_cli(config, clock, "verify")[0] == 0


def test_a_silent_tsa_costs_the_run_one_request_timeout_and_the_check_is_recorded_first(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from monitor.pipeline import stamp

    monkeypatch.setattr(stamp, "TSA_TIMEOUT", 0.5)  # the fault: a TSA that accepts and never answers
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = project(tmp_path, httpserver, f"http://127.0.0.1:{silent.getsockname()[1]}/tsa",
                         tsa_conf.parent / "ca.pem")  # fmt: skip
        serve(httpserver, "One.")
        clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
        for _ in range(2):
            started = time.monotonic()
            assert run_cli(config, clock, "check")[0] == 0
            assert time.monotonic() - started < 0.5 + 1.0  # one request per run, not one per record
            clock.advance(hours=6)
    assert len(records(config)) == 1 and tokens(config) == []


def test_export_bundles_the_token_and_its_readme_command_verifies_it(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    with running_tsa(tsa_conf) as (url, _):
        config = project(tmp_path, httpserver, url, tsa_conf.parent / "ca.pem")
        serve(httpserver, "One.")
        assert run_cli(config, clock, "check")[0] == 0
    out = tmp_path / "bundle.zip"
    code, output = run_cli(
        config, clock, "export", "policy", "--at", "2026-01-05T09:00:00Z", "--out", str(out)
    )
    assert code == 0, output
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(folder)
        assert {"check.tsr", "tsa-ca.pem"} <= set(bundle.namelist())
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("5. openssl ts -verify"))
    assert sha((folder / "check.json").read_text(encoding="utf-8")) in command
    checked = subprocess.run(command.removeprefix("5. ").split(), cwd=folder, capture_output=True, text=True)
    assert checked.stdout == "Verification: OK\n", checked.stderr
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert "check.tsr: OK" in sums.stdout and sums.returncode == 0


def test_each_export_gets_a_token_over_its_sha256sums_that_openssl_checks_and_verify_too(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    out = tmp_path / "bundle.zip"
    with running_tsa(tsa_conf) as (url, requests):
        config = project(tmp_path, httpserver, url, tsa_conf.parent / "ca.pem")
        serve(httpserver, "One.")
        assert run_cli(config, clock, "check")[0] == 0
        code, output = run_cli(config, clock, "export", "policy", "--at", "latest", "--out", str(out))
        assert len(requests) == 2  # the check record's token, then the export's
    assert (code, output.splitlines()[0].split(": ", 1)[1]) == (
        0, "version " + output.split("version ")[1][:12] + " since 2026-01-05 08:00 UTC, record 1 of 1 in the "
        "page's hash chain; time-stamped (export.tsr)",
    )  # fmt: skip
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(out) as bundle:
        bundle.extractall(folder)
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    command = next(line for line in readme.splitlines() if line.startswith("6. openssl ts -verify"))
    assert command == "6. openssl ts -verify -in export.tsr -data SHA256SUMS -CAfile tsa-ca.pem"
    checked = subprocess.run(command.removeprefix("6. ").split(), cwd=folder, capture_output=True, text=True)
    assert checked.stdout == "Verification: OK\n", checked.stderr
    sums = hashlib.sha256((folder / "SHA256SUMS").read_bytes()).hexdigest()
    assert [(kind, ref) for kind, ref, _, _ in tokens(config)] == [("check", "1"), ("export", sums)]
    assert run_cli(config, clock, "verify")[0] == 0
    with sqlite3.connect(
        tmp_path / "store" / "monitor.db"
    ) as conn:  # the export's token moved onto another hash
        conn.execute("UPDATE timestamps SET record_sha256 = ? WHERE kind = 'export'", ("0" * 64,))
    close_all()
    code, output = run_cli(config, clock, "verify")
    assert code == 4 and f"time-stamp token of export {sums} (dated " in output, output


def test_an_export_while_the_tsa_is_down_is_written_and_its_token_comes_with_a_later_run(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    ca = tsa_conf.parent / "ca.pem"
    with running_tsa(tsa_conf) as (url, _):
        config = project(tmp_path, httpserver, url, ca)
        serve(httpserver, "One.")
        assert run_cli(config, clock, "check")[0] == 0
    down = dead_url()
    config = project(tmp_path, httpserver, down, ca)
    out = tmp_path / "bundle.zip"
    code, output = run_cli(config, clock, "export", "policy", "--at", "latest", "--out", str(out))
    assert code == 0
    assert output.splitlines()[1] == (
        f"No time-stamp token yet: {down}: the time-stamping authority did not answer (ConnectionError); the "
        "records are stamped at a later run; export again after it for a bundle with export.tsr"
    )
    first = out.read_bytes()
    with zipfile.ZipFile(out) as bundle:
        assert "export.tsr" not in bundle.namelist()
        assert "it is asked again at the monitor's next run" in bundle.read("README.txt").decode()
    with running_tsa(tsa_conf) as (url, requests):
        config = project(tmp_path, httpserver, url, ca)
        clock.advance(hours=6)
        assert run_cli(config, clock, "check")[0] == 0  # the run stamps the waiting export
        assert len(requests) == 1
        code, output = run_cli(config, clock, "export", "policy", "--at", "latest", "--out", str(out))
    assert code == 0 and output.endswith("; time-stamped (export.tsr)\n"), output
    with zipfile.ZipFile(io.BytesIO(first)) as before:
        earlier = hashlib.sha256(before.read("SHA256SUMS")).hexdigest()
    with zipfile.ZipFile(out) as bundle:
        assert "export.tsr" in bundle.namelist()
        again = hashlib.sha256(bundle.read("SHA256SUMS")).hexdigest()
    # the first bundle's token, asked at the later run, and the new bundle's (its chain.json names the new check)
    assert {ref for kind, ref, _, _ in tokens(config) if kind == "export"} == {earlier, again}
    assert run_cli(config, clock, "verify")[0] == 0


def service(config: Path, clock: FakeClock) -> Context:
    """One context for many checks, as the service keeps (it delivers and stamps after every check)."""
    close_all()
    loaded = load_config(config)
    return Context(loaded, Store(loaded.store_path, clock=clock), clock=clock)


def test_a_check_that_records_no_version_neither_reads_the_ca_file_nor_contacts_the_tsa(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    ca = tmp_path / "ca.pem"
    ca.write_bytes((tsa_conf.parent / "ca.pem").read_bytes())
    serve(httpserver, "One.")
    with running_tsa(tsa_conf) as (url, requests):
        ctx = service(project(tmp_path, httpserver, url, ca), clock)
        check_pages(ctx, ctx.config.pages)
        assert len(requests) == 1  # the new version's record
        ca.unlink()  # read again, it would fail the stamping: nothing reads it
        clock.advance(hours=1)
        assert [r.record.outcome for r in check_pages(ctx, ctx.config.pages)] == [Outcome.UNCHANGED]
        assert stamp_pending(ctx) == StampReport(0, False)
        assert len(requests) == 1


def test_a_tsa_that_is_down_is_asked_once_not_at_every_check_and_again_later(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    asked: list[datetime] = []
    served = {"text": PAGE.format("One.")}
    httpserver.expect_request("/policy").respond_with_handler(
        lambda _: werkzeug.Response(served["text"], content_type="text/html")
    )

    def down(_: werkzeug.Request) -> werkzeug.Response:
        asked.append(clock())
        return werkzeug.Response("overloaded", status=503)

    httpserver.expect_request("/tsa", method="POST").respond_with_handler(down)
    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    config = project(tmp_path, httpserver, httpserver.url_for("/tsa"), tsa_conf.parent / "ca.pem")
    ctx = service(config, clock)
    for text in ("One.", "Two.", "Three."):  # each check records a version to stamp
        served["text"] = PAGE.format(text)
        check_pages(ctx, ctx.config.pages)
        clock.advance(minutes=1)
    assert asked == [datetime(2026, 1, 5, 8, 0, tzinfo=UTC)]  # the first check's, then held back
    clock.set(asked[0] + RETRY_AFTER)
    check_pages(ctx, ctx.config.pages)  # unchanged, but records from before still wait
    assert len(asked) == 2 and asked[1] - asked[0] >= RETRY_AFTER
    assert len(records(config)) == 3 and tokens(config) == []


def test_a_running_service_stamps_an_objection_another_process_recorded_within_the_hour(
    tmp_path: Path, httpserver: HTTPServer, tsa_conf: Path
) -> None:
    from monitor.pipeline.stamp import LOOK_AGAIN

    clock = FakeClock(datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    ca = tsa_conf.parent / "ca.pem"
    serve(httpserver, "One.")
    with running_tsa(tsa_conf) as (url, _):
        config = project(tmp_path, httpserver, url, ca)
        ctx = service(config, clock)
        check_pages(ctx, ctx.config.pages)  # a new version, stamped
        Store(tmp_path / "store").objections.append(
            {"platform": "facebook", "date": "2026-01-05"}
        )  # the CLI's
        clock.advance(minutes=10)
        check_pages(ctx, ctx.config.pages)  # unchanged: nothing is looked for yet
        assert [kind for kind, _, _, _ in tokens(config)] == ["check"]
        clock.advance(seconds=LOOK_AGAIN.total_seconds())
        check_pages(ctx, ctx.config.pages)  # unchanged, but an hour on: what others recorded is found
    assert sorted(kind for kind, _, _, _ in tokens(config)) == ["check", "objection"]
